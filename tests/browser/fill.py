"""The extension in a real Chromium: which pages get a code and which do not.

Started by tests/browser.rs, which made the vault, unlocked it, and ran
`otp browser install --browser chromium` in a scratch HOME. This script
serves pages over HTTPS (and plain HTTP, on the same port) on loopback
under real host names, drives Debian's chromium headless through
Playwright with the extension loaded unpacked, and checks each page's
one-time-code field, and the popup, against pyotp. It prints one line a
check and exits non-zero at the first that fails.

Environment: OTP (the binary), EXTENSION (browser/extension), PROFILE
(Chromium's user data folder, where `otp browser install` wrote the
manifest), CHROMIUM, KEYS (JSON: name -> base32 key), EXTENSION_ID, and
the variables the browser and its host run with (HOME, XDG_*, OTP_VAULT).
"""

import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import pyotp
from playwright.sync_api import sync_playwright

KEYS = json.loads(os.environ["KEYS"])
EXTENSION = os.environ["EXTENSION"]
EXTENSION_ID = os.environ["EXTENSION_ID"]
OTP = os.environ["OTP"]
# How long a page that must not be filled is watched.
QUIET_SECONDS = 2.5

EVENTS = """<script>
window.__events = [];
for (const kind of ["input", "change"]) {
  document.addEventListener(kind, () => window.__events.push(kind), true);
}
</script>"""

AMAZON = """<!doctype html><html><head><meta charset="utf-8"><title>Amazon Sign-In</title>%s</head>
<body><form name="signIn" method="post" action="/ap/signin">
<label for="auth-mfa-otpcode">Enter OTP:</label>
<input type="tel" id="auth-mfa-otpcode" name="otpCode" autocomplete="one-time-code" maxlength="20">
<input type="submit" id="auth-signin-button" value="Sign in">
</form></body></html>""" % EVENTS

GITHUB = """<!doctype html><html><head><meta charset="utf-8"><title>Two-factor authentication</title>%s</head>
<body><form action="/sessions/two-factor" method="post">
<label for="app_totp">Authentication code</label>
<input type="text" name="app_otp" id="app_totp" autocomplete="one-time-code" inputmode="numeric"
 pattern="([0-9]{6})|([0-9a-fA-F]{5}-?[0-9a-fA-F]{5})" maxlength="6" placeholder="XXXXXX">
<button type="submit">Verify</button></form></body></html>""" % EVENTS

BANK = """<!doctype html><html><head><meta charset="utf-8"><title>Bank</title>%s</head>
<body><form><label>Verification code <input name="code" id="mfa" inputmode="numeric" maxlength="6"></label>
</form></body></html>""" % EVENTS


FOCUS_BY_SCRIPT = """<script>
setTimeout(() => { document.querySelector("input").focus(); window.__focused = true; }, 6000);
</script>"""


def framing(src):
    return (
        """<!doctype html><html><head><meta charset="utf-8"><title>Amazon</title></head>
<body><h1>Amazon</h1><iframe id="inner" src="%s" width="600" height="300"></iframe></body></html>"""
        % src
    )


class Pages(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/frame":
            body = framing(query.removeprefix("src="))
        elif path == "/sessions/two-factor":
            body = GITHUB
        elif path == "/2fa":
            body = BANK
        else:
            body = AMAZON
        if "autofocus" in query:
            body = body.replace('autocomplete="one-time-code"', 'autocomplete="one-time-code" autofocus')
        if "focus=script" in query:
            # The page's own script puts the focus in its field, a while
            # after the content script is there, with no person acting.
            body = body.replace("</body>", FOCUS_BY_SCRIPT + "</body>")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    """HTTPS and plain HTTP on one port: a connection that starts with a
    TLS handshake is wrapped, any other is served as it is."""

    daemon_threads = True

    def __init__(self, context):
        super().__init__(("127.0.0.1", 0), Pages)
        self.context = context

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first == b"\x16":
                request = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)


def serve():
    folder = tempfile.mkdtemp()
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", cert, "-days", "1", "-subj", "/CN=otpvault-test"],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(context)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def fail(what):
    print("FAILED: " + what, flush=True)
    sys.exit(1)


def totp_codes(name):
    """The codes of `name` a fill made just now may hold."""
    totp = pyotp.TOTP(KEYS[name])
    now = time.time()
    return {totp.at(now), totp.at(now - 30)}


def field_of(page, selector, frame):
    return page.frame_locator("#inner").locator(selector) if frame else page.locator(selector)


def visit(context, url, selector, frame=False, by_script=False):
    """Opens `url` and puts the focus in its field: by a click, as a person
    does, or (`by_script`) by the page's own script."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    field = field_of(page, selector, frame)
    if by_script:
        # The page focuses its field itself (?focus=script), 6 s after it
        # loaded: Playwright's own calls into the page count as a person's
        # gesture for 5 s, so none is made before.
        page.wait_for_timeout(6500)
        if not page.evaluate("() => window.__focused === true"):
            fail("%s never focused its field" % url)
        return page, field
    field.wait_for(state="attached", timeout=10000)
    # The content script runs at document_idle: give it the page first.
    page.wait_for_timeout(300)
    if "autofocus" in url and not field.evaluate("el => el === document.activeElement"):
        fail("%s: the page did not focus its field as it loaded" % url)
    field.click()
    return page, field


def filled(context, url, selector, codes, frame=False):
    page, field = visit(context, url, selector, frame)
    focused = time.time()
    deadline = focused + 10
    while field.input_value() == "":
        if time.time() > deadline:
            fail("%s: the field was not filled" % url)
        page.wait_for_timeout(100)
    value = field.input_value()
    took = time.time() - focused
    wanted = codes() if callable(codes) else codes
    if value not in wanted:
        fail("%s: filled %s, pyotp says %s" % (url, value, sorted(wanted)))
    scope = page.frame_locator("#inner").locator("html") if frame else page.locator("html")
    events = scope.evaluate("() => window.__events")
    if "input" not in events or "change" not in events:
        fail("%s: filled without input and change events (%s)" % (url, events))
    print("filled   %-62s %s in %.2f s (pyotp agrees; input and change fired)" % (url, value, took),
          flush=True)
    page.close()
    return value


def not_filled(context, url, selector, frame=False, by_script=False):
    page, field = visit(context, url, selector, frame, by_script)
    if page.url.split(":")[0] != url.split(":")[0]:
        fail("%s was loaded as %s" % (url, page.url))
    page.wait_for_timeout(int(QUIET_SECONDS * 1000))
    value = field.input_value()
    if value != "":
        fail("%s: filled with %s, which it must not be" % (url, value))
    print("refused  %s%s" % (url, " (focused by the page's script)" if by_script else ""),
          flush=True)
    page.close()


def tab_id(worker, url):
    tabs = worker.evaluate("async () => (await chrome.tabs.query({})).map(t => [t.id, t.url])")
    for tab, tab_url in tabs:
        if tab_url == url:
            return tab
    fail("no tab shows %s (tabs: %s)" % (url, tabs))


def popup(context, worker, url, then=None):
    """The popup's text for a tab showing `url`; `then(pop)`, if given, acts
    in the popup before it is closed and its result comes second."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    pop = context.new_page()
    said = []
    pop.on("console", lambda m: said.append("console: " + m.text))
    pop.on("pageerror", lambda e: said.append("error: %s" % e))
    pop.goto("chrome-extension://%s/popup.html?tab=%d" % (EXTENSION_ID, tab_id(worker, url)))
    # Polled from here: the popup's content security policy forbids the
    # string evaluation wait_for_function would use.
    deadline = time.time() + 20
    while pop.locator("#said").text_content() == "Asking otp…":
        if time.time() > deadline:
            fail("the popup for %s never said anything (%s)" % (url, said))
        pop.wait_for_timeout(100)
    text = pop.locator("body").inner_text()
    after = then(pop) if then else None
    pop.close()
    page.close()
    return (text, after) if then else text


def copied(pop):
    """Clicks the first Copy button and reads the clipboard back, in a page
    of an origin that may read it (an extension's origin cannot be given
    the permission)."""
    pop.locator("button.copy").first.click()
    deadline = time.time() + 5
    while pop.locator("button.copy").first.text_content() != "Copied":
        if time.time() > deadline:
            fail("the Copy button never said Copied (%r)" % pop.locator("body").inner_text())
        pop.wait_for_timeout(100)
    reader = pop.context.new_page()
    reader.goto("https://clipboard.example/", wait_until="load")
    text = reader.evaluate("() => navigator.clipboard.readText()")
    reader.close()
    return text


def next_code(pop):
    """Clicks an HOTP account's Next code button and reads the code shown."""
    pop.locator("button.copy", has_text="Next code").click()
    deadline = time.time() + 10
    while pop.locator(".code").first.text_content() == "":
        if time.time() > deadline:
            fail("Next code showed nothing (%r)" % pop.locator("body").inner_text())
        pop.wait_for_timeout(100)
    return pop.locator(".code").first.text_content()


def main():
    port = serve()
    env = {k: v for k, v in os.environ.items()}
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            os.environ["PROFILE"],
            executable_path=os.environ["CHROMIUM"],
            headless=True,
            env=env,
            ignore_https_errors=True,
            args=[
                "--disable-extensions-except=" + EXTENSION,
                "--load-extension=" + EXTENSION,
                "--host-resolver-rules=MAP * 127.0.0.1:%d" % port,
                "--ignore-certificate-errors",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # Else an http: address is loaded over https when the
                # server speaks it, as this one does: not an http: page.
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
            ],
        )
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event(
            "serviceworker", timeout=20000)
        if not worker.url.startswith("chrome-extension://%s/" % EXTENSION_ID):
            fail("the extension's id is not the one its key fixes: %s" % worker.url)
        print("loaded   the extension as %s" % EXTENSION_ID, flush=True)

        amazon = lambda: totp_codes("Amazon")
        filled(context, "https://www.amazon.co.jp/ap/mfa", "input[name=otpCode]", amazon)
        filled(context, "https://github.com/sessions/two-factor", "#app_totp", lambda: totp_codes("GitHub"))
        # Focused by the page as it loaded (as Amazon's is): filled on the
        # first click in it.
        filled(context, "https://www.amazon.co.jp/ap/mfa?autofocus", "input[name=otpCode]", amazon)
        # A frame is judged by its own URL: Amazon's own frame is filled.
        filled(context, "https://www.amazon.co.jp/frame?src=https://www.amazon.co.jp/ap/mfa",
               "input[name=otpCode]", amazon, frame=True)
        # An HOTP code is used up when given: the next field gets the next.
        hotp = pyotp.HOTP(KEYS["Bank"])
        filled(context, "https://www.bank.example/2fa", "#mfa", {hotp.at(0)})
        filled(context, "https://www.bank.example/2fa", "#mfa", {hotp.at(1)})

        for url in [
            "https://amazon.co.jp.evil.example/ap/mfa",
            "https://www.amaz0n.co.jp/ap/mfa",
            "https://amazon-co-jp.com/ap/mfa",
            "https://xn--mazon-3ve.co.jp/ap/mfa",
            "https://evil.example/amazon.co.jp",
        ]:
            not_filled(context, url, "input[name=otpCode]")
        # An http: page of a site otp has an account for. (Chromium loads
        # www.amazon.co.jp over https whatever the address says: it is on
        # its HSTS preload list.)
        not_filled(context, "http://www.bank.example/2fa", "#mfa")
        not_filled(context, "https://github.io/sessions/two-factor", "#app_totp")
        not_filled(context, "https://www.amazon.co.jp/frame?src=https://evil.example/ap/mfa",
                   "input[name=otpCode]", frame=True)
        # The right page, but the focus put there by its own script, not
        # by a person: nothing.
        not_filled(context, "https://www.amazon.co.jp/ap/mfa?focus=script", "input[name=otpCode]",
                   by_script=True)
        # Still filling after all those: the refusals were refusals, and the
        # http: page used up no HOTP code.
        filled(context, "https://www.amazon.co.jp/ap/mfa", "input[name=otpCode]", amazon)
        filled(context, "https://www.bank.example/2fa", "#mfa", {hotp.at(2)})

        context.grant_permissions(["clipboard-read"], origin="https://clipboard.example")
        text, clipboard = popup(context, worker, "https://www.amazon.co.jp/ap/mfa", then=copied)
        codes = totp_codes("Amazon")
        if "Amazon" not in text or not any(c in text for c in codes) or "s left" not in text:
            fail("the popup on Amazon shows %r, not Amazon's code (%s)" % (text, sorted(codes)))
        if "GitHub" in text or "Bank" in text:
            fail("the popup on Amazon lists another site's account: %r" % text)
        if clipboard not in totp_codes("Amazon"):
            fail("Copy put %r on the clipboard, not Amazon's code" % clipboard)
        print("popup    on www.amazon.co.jp: %r; Copy put %s on the clipboard"
              % (" ".join(text.split()), clipboard), flush=True)
        # An HOTP account's code is made only when asked, and used up.
        text, code = popup(context, worker, "https://www.bank.example/2fa", then=next_code)
        if code != hotp.at(3) or "Next code" not in text:
            fail("the popup on the bank shows %r, then %r, not HOTP code 3 (%s)"
                 % (text, code, hotp.at(3)))
        print("popup    on www.bank.example: Next code gave %s (pyotp: counter 3)" % code,
              flush=True)
        # A name that is markup is shown as text, and runs nothing.
        markup = os.environ["MARKUP"]
        text, images = popup(context, worker, "https://www.shop.example/",
                             then=lambda pop: (pop.locator("img").count(), pop.title()))
        if markup not in text or images != (0, "otpvault"):
            fail("the popup on shop.example shows %r with %s images and title %r"
                 % (text, images[0], images[1]))
        print("popup    on www.shop.example: the name %r shown as text" % markup, flush=True)
        text = popup(context, worker, "https://github.io/sessions/two-factor")
        if "No account of otp is for this site" not in text or any(
                n in text for n in ["Amazon", "GitHub", "Bank"]):
            fail("the popup on github.io shows %r" % text)
        print("popup    on github.io: %r" % " ".join(text.split()), flush=True)

        locked = subprocess.run([OTP, "lock"], env=env, capture_output=True, text=True)
        if locked.returncode != 0:
            fail("otp lock: %s" % locked.stderr)
        not_filled(context, "https://www.amazon.co.jp/ap/mfa", "input[name=otpCode]")
        text = popup(context, worker, "https://www.amazon.co.jp/ap/mfa")
        if "otp unlock" not in text or any(c in text for c in totp_codes("Amazon")):
            fail("the popup while locked shows %r" % text)
        print("locked   the popup says: %r" % " ".join(text.split()), flush=True)
        context.close()
    print("ALL PASSED", flush=True)


if __name__ == "__main__":
    main()
