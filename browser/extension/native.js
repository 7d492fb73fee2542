// What the service worker and the popup share: asking otp's host.

"use strict";

/** The host's name, as `otp browser install` registers it. */
const OTP_HOST = "org.otpvault.otp";

/** Sends one request to otp's host and resolves with its answer; an
 *  answer of the form {answer: "error", message} when otp could not be
 *  started or said nothing. */
function askOtp(request) {
  return new Promise((resolve) => {
    chrome.runtime.sendNativeMessage(OTP_HOST, request, (answer) => {
      if (chrome.runtime.lastError || !answer || typeof answer.answer !== "string") {
        resolve({
          answer: "error",
          message: "otp could not be started: run `otp browser install` in a terminal.",
        });
      } else {
        resolve(answer);
      }
    });
  });
}
