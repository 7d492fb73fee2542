// otpvault's content script, in every https frame: it finds the field a
// page asks a one-time code in and, when that field gets focus, asks the
// service worker for a code. The page's URL is not sent from here: the
// service worker takes the browser's own record of this frame, so a page
// can neither choose the site nor see anything but the code of its own.

"use strict";

(() => {
  // What a field's name, id, label or placeholder says when it wants a
  // one-time code, matched against the lower-cased text with camelCase
  // split into words ("otpCode" is "otp code"): "otp", "2fa" and "mfa"
  // stand alone or between non-letters ("login_otp_input"), never inside a
  // word ("hotpink").
  const SAYS_CODE =
    /(one[-_ ]?time|(^|[^a-z])t?otp([^a-z]|$)|(^|[^a-z])(2fa|mfa)([^a-z]|$)|two[-_ ]?factor|verification[-_ ]?code|security[-_ ]?code|auth(entication)?[-_ ]?code)/;
  const TEXT_TYPES = new Set(["text", "tel", "number", "password", ""]);
  const CODE = /^[0-9A-Za-z]{4,10}$/;

  /** Whether `el` is a field for a one-time code. */
  function isCodeField(el) {
    if (!(el instanceof HTMLInputElement) || el.disabled || el.readOnly) {
      return false;
    }
    const type = (el.getAttribute("type") || "").toLowerCase();
    if (!TEXT_TYPES.has(type)) {
      return false;
    }
    const autocomplete = (el.getAttribute("autocomplete") || "").toLowerCase().split(/\s+/);
    if (autocomplete.includes("one-time-code")) {
      return true;
    }
    const labels = Array.from(el.labels || [], (label) => label.textContent || "");
    const said = [
      el.name,
      el.id,
      el.placeholder,
      el.getAttribute("aria-label") || "",
      ...labels,
    ].join(" ");
    if (!SAYS_CODE.test(said.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase())) {
      return false;
    }
    const mode = (el.getAttribute("inputmode") || "").toLowerCase();
    const numeric = mode === "numeric" || type === "tel" || type === "number";
    const max = el.maxLength;
    return numeric || (max >= 6 && max <= 8);
  }

  /** Sets the field's value as typing would, with the events frameworks
   *  listen to. */
  function fill(el, code) {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(el, code);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A field is filled once: an HOTP code is used up when given. It may be
  // asked again only if otp gave nothing for a reason that can pass (the
  // vault locked, a request too soon after another).
  const done = new WeakSet();

  function offer(el) {
    if (!isCodeField(el) || el.value !== "" || done.has(el)) {
      return;
    }
    // Only when a person put the focus there (a click, a key): a page's
    // own script focusing fields gets nothing.
    if (!navigator.userActivation || !navigator.userActivation.isActive) {
      return;
    }
    done.add(el);
    chrome.runtime.sendMessage({ type: "fill" }, (answer) => {
      if (chrome.runtime.lastError || !answer) {
        done.delete(el);
        return;
      }
      if (answer.answer !== "code") {
        if (answer.answer !== "none" && answer.answer !== "several") {
          done.delete(el);
        }
        return;
      }
      if (typeof answer.code === "string" && CODE.test(answer.code) && el.isConnected && el.value === "") {
        fill(el, answer.code);
      }
    });
  }

  /** The element an event happened at, inside open shadow roots too. */
  function target(event) {
    const path = event.composedPath();
    return path.length > 0 ? path[0] : event.target;
  }

  // Focus given by a person; or a click in a field that already had it (a
  // field the page focused when it loaded gets no new focus event).
  for (const kind of ["focusin", "click"]) {
    document.addEventListener(
      kind,
      (event) => {
        const el = target(event);
        if (event.isTrusted && (kind === "focusin" || el === document.activeElement)) {
          offer(el);
        }
      },
      true,
    );
  }
})();
