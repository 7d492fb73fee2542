// otpvault's service worker: the one part of the extension that a page's
// frame can reach, through the content script. A content script asks it
// for the code of the frame it runs in; the URL sent to otp is the one the
// browser reports for that frame (sender.url), never one a page or a
// script could choose. otp decides whether that URL may have a code, by
// the same rule as `otp code --for-url`.

"use strict";

// Chromium runs this file as a service worker, which loads the shared
// part here; Firefox runs both as background scripts, listed in order.
if (typeof askOtp === "undefined") {
  importScripts("native.js");
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

/** Whether the frame is a live, ordinary document at `url`: not
 *  prerendered or kept in the back/forward cache, and not sandboxed or
 *  otherwise given an origin other than its address's (where the browser
 *  says). */
function liveAt(sender, url) {
  if (sender.documentLifecycle !== undefined && sender.documentLifecycle !== "active") {
    return false;
  }
  return sender.origin === undefined || sender.origin === new URL(url).origin;
}

// One request at a time from a frame, and not more than one a second: a
// page cannot make otp work for it in a loop.
const lastAsked = new Map();
const PAUSE_MS = 1000;

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only this extension's own content scripts, in a tab.
  if (sender.id !== chrome.runtime.id || !sender.tab || !message || message.type !== "fill") {
    return false;
  }
  const url = httpsUrl(sender.url);
  if (url === null || !liveAt(sender, url)) {
    reply({ answer: "none" });
    return false;
  }
  const frame = `${sender.tab.id}/${sender.frameId}`;
  const now = Date.now();
  if (now - (lastAsked.get(frame) || 0) < PAUSE_MS) {
    reply({ answer: "busy" });
    return false;
  }
  lastAsked.set(frame, now);
  askOtp({ request: "fill", url }).then((answer) => {
    // The page's script learns the code by its field; nothing more.
    reply(answer.answer === "code" ? { answer: "code", code: answer.code } : { answer: answer.answer });
  });
  return true;
});

// A closed tab's frames are forgotten.
chrome.tabs.onRemoved.addListener((tab) => {
  for (const frame of lastAsked.keys()) {
    if (frame.startsWith(`${tab}/`)) {
      lastAsked.delete(frame);
    }
  }
});
