// otpvault's toolbar popup: the accounts of the current tab's site, each
// with its code, the seconds it has left and a copy button. On a site no
// account is for it says so, and lists nothing: otp answers for the tab's
// URL only, which the browser gives (chrome.tabs), never the page.
//
// Opened as popup.html?tab=ID, it shows the same for that tab (a popup
// opened in a tab of its own, as the tests open it).

"use strict";

const said = document.getElementById("said");
const list = document.getElementById("accounts");
// HOTP codes shown in this popup, by account: each was used up when shown,
// so a refresh must not lose it.
const shown = new Map();

/** The tab the popup is for, or null (closed, say). */
async function theTab() {
  try {
    const id = Number(new URLSearchParams(location.search).get("tab"));
    if (Number.isInteger(id) && id > 0) {
      return await chrome.tabs.get(id);
    }
    const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
    return tab || null;
  } catch (_) {
    return null;
  }
}

function say(text) {
  said.textContent = text;
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  el.textContent = text;
  return el;
}

/** One account: its name, who it is, its code (or a button for an HOTP
 *  account's next code) and a copy button. */
function row(account, url) {
  const li = document.createElement("li");
  li.append(element("span", "name", account.name));
  const copy = element("button", "copy", "Copy");
  li.append(copy);
  const who = [account.issuer, account.account].filter((s) => s).join(" · ");
  li.append(element("span", "who", who));
  const code = element("span", "code", account.code || shown.get(account.name) || "");
  const left = element("span", "left", "");
  li.append(code, left);
  // A time-based code has its seconds left; should otp not say, its period.
  let seconds = account.seconds_left ?? account.period ?? 30;
  if (account.code) {
    left.textContent = `${seconds} s left`;
  } else if (shown.has(account.name)) {
    left.textContent = "counter-based: this code was used up when shown";
  } else {
    copy.textContent = "Next code";
    left.textContent = "counter-based: a code is used up when shown";
  }
  copy.addEventListener("click", async () => {
    if (!code.textContent) {
      const answer = await askOtp({ request: "next", url, name: account.name });
      if (answer.answer !== "code") {
        left.textContent = "otp gave no code: run `otp code` in a terminal to see why";
        return;
      }
      shown.set(account.name, answer.code);
      code.textContent = answer.code;
      copy.textContent = "Copy";
      return;
    }
    try {
      await navigator.clipboard.writeText(code.textContent);
      copy.textContent = "Copied";
    } catch (_) {
      copy.textContent = "Select and copy the code";
    }
  });
  li.tick = () => {
    if (!account.code) {
      return false;
    }
    seconds -= 1;
    left.textContent = `${Math.max(seconds, 0)} s left`;
    return seconds <= 0;
  };
  return li;
}

async function show() {
  const tab = await theTab();
  let url = null;
  try {
    url = tab && tab.url && new URL(tab.url).protocol === "https:" ? tab.url : null;
  } catch (_) {
    url = null;
  }
  list.replaceChildren();
  if (!tab) {
    say("The tab is gone: open this again on the page you want a code for.");
    return;
  }
  if (url === null) {
    say("otp gives codes only to https pages.");
    return;
  }
  const answer = await askOtp({ request: "codes", url });
  switch (answer.answer) {
    case "locked":
      say("The vault is locked: run `otp unlock` in a terminal, then open this again.");
      return;
    case "codes":
      break;
    default:
      say(answer.message || "otp did not answer: run `otp browser status` in a terminal.");
      return;
  }
  if (answer.accounts.length === 0) {
    say("No account of otp is for this site.");
    return;
  }
  say(`For ${new URL(url).hostname}:`);
  const rows = answer.accounts.map((account) => row(account, url));
  list.replaceChildren(...rows);
  const timer = setInterval(() => {
    const turned = rows.map((r) => r.tick()).some((t) => t);
    if (turned) {
      clearInterval(timer);
      show();
    }
  }, 1000);
}

show();
