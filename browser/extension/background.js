// otpvault's service worker: the one part of the extension that talks to
// otp. A content script asks it for the code of the frame it runs in; the
// URL sent to otp is the one the browser reports for that frame
// (sender.url), never one a page or a script could choose. otp decides
// whether that URL may have a code, by the same rule as
// `otp code --for-url`.

"use strict";

const HOST = "org.otpvault.otp";

/** Sends one request to otp's host and resolves with its answer. */
function ask(request) {
  return new Promise((resolve) => {
    chrome.runtime.sendNativeMessage(HOST, request, (answer) => {
      if (chrome.runtime.lastError || !answer || typeof answer.answer !== "string") {
        resolve({
          answer: "error",
          message: "otp could not be started: run `otp browser install` in a terminal",
        });
      } else {
        resolve(answer);
      }
    });
  });
}

/** The URL if it is an https address, else null: nothing else gets a code. */
function httpsUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only this extension's own content scripts, in a tab.
  if (sender.id !== chrome.runtime.id || !sender.tab || !message || message.type !== "fill") {
    return false;
  }
  const url = httpsUrl(sender.url);
  if (url === null) {
    reply({ answer: "none" });
    return false;
  }
  ask({ request: "fill", url }).then(reply);
  return true;
});
