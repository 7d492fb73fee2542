#!/usr/bin/env python3
"""Generate the QR-code screenshot sweep: PNG and JPEG images plus manifest.json.

    python3 benches/qr_sweep/generate.py OUT_DIR

Writes about 200 images into OUT_DIR (created if missing; earlier sweep files
in it are removed first) and OUT_DIR/manifest.json, which lists for every image
its file name, the exact text encoded and the parameters of its variant
(generator, module size in pixels, render size and scaling factor, resize
filter, JPEG quality or null, rotation, inverted, colours, contrast ratio,
quiet zone, canvas, noise, image size).

Needs Python 3 with `qrcode`, `segno` and `Pillow`; if one is missing the script
installs it with `python3 -m pip install qrcode segno Pillow` before it starts.
The output is deterministic: every random choice comes from a generator seeded
with SEED and the image's name, so the same command with the same package
versions (recorded in the manifest) writes byte-identical files. Pillow's
resize filters and its libjpeg decide the pixels, so another Pillow version
may give slightly different images; compare read rates on one folder.

Groups (manifest field "group"):
  size        clean black-on-white PNGs, 1.5 to 10 px/module, integer renders
              and non-integer resizes (bilinear, bicubic, Lanczos) as HiDPI
              screenshots and zoomed pages make them
  jpeg        JPEG quality 30/50/70/85/95 at 2, 2.5, 3 and 4 px/module
  rotation    5, 15, 30, 45, 90 degrees, bicubic, light fill
  inverted    light modules on dark: pure inversion and dark themes
  contrast    low contrast pairs such as #555 on #999 and #333 on #666
  quiet_zone  tight crops with 1 module of margin, and none at all
  canvas      whole 1920x1080 and 3840x2160 screenshots with text, boxes and
              gradients, the code somewhere in them at 3 to 6 px/module
  noise       Gaussian pixel noise on an otherwise clean code
"""

import base64
import hashlib
import importlib
import json
import os
import random
import subprocess
import sys
import urllib.parse

SEED = 20240611


def ensure_packages():
    missing = []
    for module, package in (("qrcode", "qrcode"), ("segno", "segno"), ("PIL", "Pillow")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        print("installing " + " ".join(missing) + " with pip", file=sys.stderr)
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + missing
        )
        importlib.invalidate_caches()


ensure_packages()

import qrcode  # noqa: E402
import segno  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402
import PIL  # noqa: E402
from importlib.metadata import version as package_version  # noqa: E402

# --------------------------------------------------------------------------
# Payloads


def b32_secret(rng, nbytes):
    return base64.b32encode(rng.randbytes(nbytes)).decode("ascii").rstrip("=")


def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(number, wire, value):
    key = pb_varint((number << 3) | wire)
    if wire == 0:
        return key + pb_varint(value)
    return key + pb_varint(len(value)) + value


def migration_uri(rng):
    """A real Google Authenticator export: MigrationPayload protobuf, base64,
    percent-encoded, as otpauth-migration://offline?data=..."""
    accounts = [
        ("alice@example.com", "Google"),
        ("alice.example", "GitHub"),
        ("alice@example.com", "Amazon Web Services"),
        ("alice", "Dropbox"),
    ]
    payload = b""
    for name, issuer in accounts:
        params = (
            pb_field(1, 2, rng.randbytes(20))  # secret
            + pb_field(2, 2, f"{issuer}:{name}".encode())  # name
            + pb_field(3, 2, issuer.encode())  # issuer
            + pb_field(4, 0, 1)  # algorithm SHA1
            + pb_field(5, 0, 1)  # digits SIX
            + pb_field(6, 0, 2)  # type TOTP
        )
        payload += pb_field(1, 2, params)
    payload += pb_field(2, 0, 1)  # version
    payload += pb_field(3, 0, 1)  # batch_size
    payload += pb_field(4, 0, 0)  # batch_index
    payload += pb_field(5, 0, rng.randrange(1, 2**31))  # batch_id
    data = base64.b64encode(payload).decode("ascii")
    return "otpauth-migration://offline?data=" + urllib.parse.quote(data, safe="")


def make_payloads():
    rng = random.Random(f"{SEED}:payloads")
    short = (
        "otpauth://totp/Amazon:me@example.com?secret="
        + b32_secret(rng, 32)
        + "&issuer=Amazon"
    )
    issuer = "Example Corporation Internal Services"
    label = issuer + ":firstname.lastname@subsidiary.example.co.uk"
    long_ = (
        "otpauth://totp/"
        + urllib.parse.quote(label, safe="")
        + "?secret="
        + b32_secret(rng, 40)
        + "&issuer="
        + urllib.parse.quote(issuer, safe="")
        + "&algorithm=SHA256&digits=8&period=60"
    )
    migration = migration_uri(rng)
    assert len(short.split("secret=")[1].split("&")[0]) == 52
    return {"short": short, "long": long_, "migration": migration}


PAYLOADS = make_payloads()
PAYLOAD_NAMES = list(PAYLOADS)  # short, long, migration

# --------------------------------------------------------------------------
# QR matrices from each generator


def matrix_qrcode(text):
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(text)  # default optimize=20: mixed alphanumeric/byte segments
    qr.make(fit=True)
    m = [[bool(c) for c in row] for row in qr.get_matrix()]
    return m, qr.version, "M"


def matrix_segno(text):
    qr = segno.make(text, error="m", micro=False)  # boost_error on, segno's default
    m = [[bool(c) for c in row] for row in qr.matrix]
    return m, qr.version, qr.error


GENERATORS = {"qrcode": matrix_qrcode, "segno": matrix_segno}
_matrix_cache = {}


def matrix(generator, payload):
    key = (generator, payload)
    if key not in _matrix_cache:
        _matrix_cache[key] = GENERATORS[generator](PAYLOADS[payload])
    return _matrix_cache[key]


# --------------------------------------------------------------------------
# Colours


def hex_rgb(h):
    h = h.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


def rel_luminance(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a, b):
    la, lb = rel_luminance(hex_rgb(a)), rel_luminance(hex_rgb(b))
    hi, lo = max(la, lb), min(la, lb)
    return round((hi + 0.05) / (lo + 0.05), 2)


# --------------------------------------------------------------------------
# Rendering

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


def render_code(generator, payload, render_px, scale, filt, fg, bg, quiet):
    """The code alone: modules of render_px pixels, quiet zone of `quiet`
    modules, then resized by `scale` with filter `filt`."""
    m, ver, ecc = matrix(generator, payload)
    n = len(m)
    side = n + 2 * quiet
    img = Image.new("L", (side, side), 255)
    px = img.load()
    for y, row in enumerate(m):
        for x, dark in enumerate(row):
            if dark:
                px[x + quiet, y + quiet] = 0
    if render_px != 1:
        img = img.resize((side * render_px, side * render_px), Image.Resampling.NEAREST)
    fg_rgb, bg_rgb = hex_rgb(fg), hex_rgb(bg)
    rgb = Image.merge(
        "RGB",
        [img.point(lambda v, f=f, b=b: f if v == 0 else b) for f, b in zip(fg_rgb, bg_rgb)],
    )
    if scale != 1:
        w = round(rgb.width * scale)
        rgb = rgb.resize((w, w), FILTERS[filt])
    return rgb, {"qr_version": ver, "ecc": ecc, "modules": n}


def add_noise(img, sigma, rng):
    """Gaussian noise of standard deviation sigma on each channel."""
    data = bytearray(img.tobytes())
    gauss = rng.gauss
    for i in range(len(data)):
        v = data[i] + gauss(0, sigma)
        data[i] = 0 if v < 0 else 255 if v > 255 else int(v + 0.5)
    return Image.frombytes(img.mode, img.size, bytes(data))


WORDS = (
    "account security two-factor authentication enable sign in password "
    "settings profile billing help privacy backup codes recovery scan the "
    "QR code with your authenticator app enter the six-digit code verify "
    "cancel continue manage devices sessions notifications email phone "
    "organization members api tokens keys webhooks audit log dashboard"
).split()


def font(size):
    return ImageFont.load_default(size=size)


def draw_text_lines(draw, rng, box, size, colour, lines):
    x0, y0, x1, y1 = box
    f = font(size)
    y = y0
    for _ in range(lines):
        if y + size > y1:
            break
        words, width = [], 0
        target = rng.uniform(0.5, 1.0) * (x1 - x0)
        while width < target:
            w = rng.choice(WORDS)
            words.append(w)
            width += (len(w) + 1) * size * 0.55
        draw.text((x0, y), " ".join(words), fill=colour, font=f)
        y += int(size * 1.6)


def make_canvas(width, height, theme, rng):
    """A whole-screen screenshot: gradient, title bar, sidebar, text, boxes.
    Returns the image, the content box where a code card may go, and the
    page colour."""
    s = width / 1920  # 2 on the 4K canvas: a HiDPI screen
    if theme == "light":
        top, bottom = (246, 248, 251), (225, 230, 238)
        bar, side, text, muted, box = "#24292f", "#eef1f5", "#1f2328", "#656d76", "#ffffff"
    else:
        top, bottom = (30, 30, 30), (18, 20, 24)
        bar, side, text, muted, box = "#0d1117", "#252526", "#e6edf3", "#8b949e", "#2d2d30"
    img = Image.new("RGB", (width, height))
    d = ImageDraw.Draw(img)
    for y in range(height):
        t = y / (height - 1)
        d.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    # title bar with tabs and an address field
    d.rectangle([0, 0, width, int(40 * s)], fill=bar)
    for i in range(rng.randint(3, 6)):
        x = int((10 + i * 190) * s)
        d.rounded_rectangle([x, int(6 * s), x + int(180 * s), int(34 * s)], int(6 * s), fill="#3a3f47" if theme == "light" else "#161b22")
        d.text((x + int(12 * s), int(12 * s)), rng.choice(WORDS).title(), fill="#d0d7de", font=font(int(14 * s)))
    d.rounded_rectangle([int(200 * s), int(48 * s), width - int(200 * s), int(78 * s)], int(14 * s), fill=side)
    d.text((int(220 * s), int(54 * s)), "https://accounts.example.com/settings/security/two-factor", fill=muted, font=font(int(15 * s)))
    # sidebar with menu entries and a horizontal gradient strip
    d.rectangle([0, int(86 * s), int(280 * s), height], fill=side)
    draw_text_lines(d, rng, (int(24 * s), int(110 * s), int(260 * s), height - int(20 * s)), int(16 * s), muted, 30)
    for x in range(int(280 * s)):
        c = round(120 + 100 * x / (280 * s))
        d.line([(x, height - int(60 * s)), (x, height - int(40 * s))], fill=(c, 90, 255 - c))
    # content: heading, paragraphs, buttons, coloured boxes
    cx0, cy0 = int(320 * s), int(110 * s)
    d.text((cx0, cy0), "Two-factor authentication", fill=text, font=font(int(30 * s)))
    draw_text_lines(d, rng, (cx0, cy0 + int(50 * s), width - int(60 * s), cy0 + int(200 * s)), int(17 * s), text, 5)
    for _ in range(rng.randint(6, 10)):
        x = rng.randint(cx0, width - int(300 * s))
        y = rng.randint(int(320 * s), height - int(120 * s))
        w, h = int(rng.randint(80, 260) * s), int(rng.randint(28, 120) * s)
        colour = rng.choice(["#0969da", "#1f883d", "#cf222e", "#8250df", "#bf8700", box, side])
        d.rounded_rectangle([x, y, x + w, y + h], int(6 * s), fill=colour)
        if h < 50 * s:
            d.text((x + int(10 * s), y + int(6 * s)), rng.choice(WORDS).title(), fill="#ffffff", font=font(int(15 * s)))
    for _ in range(rng.randint(4, 7)):
        x = rng.randint(cx0, width - int(500 * s))
        y = rng.randint(int(320 * s), height - int(200 * s))
        draw_text_lines(d, rng, (x, y, x + int(460 * s), y + int(150 * s)), int(rng.choice([13, 15, 17]) * s), rng.choice([text, muted]), 6)
    content = (cx0, int(300 * s), width - int(40 * s), height - int(40 * s))
    page = "#{:02x}{:02x}{:02x}".format(*bottom)
    return img, content, page


def place_on_canvas(canvas, content, code, card, rng, s):
    """Put `code` at a random place in `content`, on a card of colour `card`
    (None: straight on the page). Returns the (x, y) of the code."""
    pad = int(24 * s) if card else 0
    cx0, cy0, cx1, cy1 = content
    w, h = code.width + 2 * pad, code.height + 2 * pad + (int(40 * s) if card else 0)
    x = rng.randint(cx0, max(cx0, cx1 - w))
    y = rng.randint(cy0, max(cy0, cy1 - h))
    d = ImageDraw.Draw(canvas)
    if card:
        d.rounded_rectangle([x, y, x + w, y + h], int(10 * s), fill=card, outline="#d0d7de")
        d.text((x + pad, y + int(10 * s)), "Scan with your app", fill="#1f2328", font=font(int(18 * s)))
        canvas.paste(code, (x + pad, y + pad + int(40 * s)))
        return x + pad, y + pad + int(40 * s)
    canvas.paste(code, (x, y))
    return x, y


# --------------------------------------------------------------------------
# The sweep


class Sweep:
    def __init__(self, out):
        self.out = out
        self.entries = []

    def add(self, group, generator, payload, *, render_px, scale=1.0, filt="nearest",
            fg="#000000", bg="#ffffff", quiet=4, jpeg=None, rotation=0, noise=None,
            canvas=None, page=None, label=""):
        index = len(self.entries) + 1
        module_px = round(render_px * scale, 3)
        desc = label or f"{module_px:g}px"
        stem = f"{index:03d}_{group}_{generator}_{payload}_{desc}".replace(" ", "-")
        name = stem + (".jpg" if jpeg else ".png")
        rng = random.Random(f"{SEED}:{stem}")
        code, info = render_code(generator, payload, render_px, scale, filt, fg, bg, quiet)
        if rotation:
            fill = hex_rgb(page or bg)
            code = code.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
            # a little page around the rotated square, as in a screenshot
            margin = round(2 * module_px)
            framed = Image.new("RGB", (code.width + 2 * margin, code.height + 2 * margin), fill)
            framed.paste(code, (margin, margin))
            code = framed
        position = None
        canvas_desc = None
        if canvas:
            width, height, theme, card = canvas
            img, content, page_colour = make_canvas(width, height, theme, rng)
            position = place_on_canvas(img, content, code, card, rng, width / 1920)
            canvas_desc = f"{width}x{height} {theme}" + (f", code on a {card} card" if card else ", code on the page")
        else:
            img = code
        if noise:
            img = add_noise(img, noise, rng)
        path = os.path.join(self.out, name)
        if jpeg:
            img.save(path, "JPEG", quality=jpeg)  # Pillow's default 4:2:0 subsampling
        else:
            img.save(path, "PNG")
        self.entries.append({
            "file": name,
            "text": PAYLOADS[payload],
            "group": group,
            "payload": payload,
            "generator": generator,
            "qr_version": info["qr_version"],
            "ecc": info["ecc"],
            "modules": info["modules"],
            "module_px": module_px,
            "render_px": render_px,
            "scale": scale,
            "filter": filt if scale != 1 else "none",
            "format": "jpeg" if jpeg else "png",
            "jpeg_quality": jpeg,
            "rotation": rotation,
            "inverted": rel_luminance(hex_rgb(fg)) > rel_luminance(hex_rgb(bg)),
            "fg": fg,
            "bg": bg,
            "contrast": contrast_ratio(fg, bg),
            "quiet_zone": quiet,
            "canvas": canvas_desc,
            "position": position,
            "noise": f"gaussian sigma={noise}" if noise else None,
            "width": img.width,
            "height": img.height,
        })


def build(out):
    sw = Sweep(out)
    gens = list(GENERATORS)

    # size: every payload with both generators, clean PNG, 4-module quiet zone.
    # (render px, scale, filter, label)
    sizes = [
        (1, 1.5, "bilinear", "1.5px-1x1.5-bilinear"),
        (1, 1.5, "lanczos", "1.5px-1x1.5-lanczos"),
        (3, 0.5, "bilinear", "1.5px-3x0.5-bilinear"),
        (2, 1, "nearest", "2px"),
        (1, 2.5, "bilinear", "2.5px-1x2.5-bilinear"),
        (2, 1.25, "lanczos", "2.5px-2x1.25-lanczos"),
        (3, 1, "nearest", "3px"),
        (2, 1.5, "bilinear", "3px-2x1.5-bilinear"),
        (4, 1, "nearest", "4px"),
        (4, 1.5, "lanczos", "6px-4x1.5-lanczos"),
        (10, 1, "nearest", "10px"),
    ]
    for g in gens:
        for p in PAYLOAD_NAMES:
            for render_px, scale, filt, label in sizes:
                sw.add("size", g, p, render_px=render_px, scale=scale, filt=filt, label=label)

    # jpeg: 5 qualities x 4 small module sizes x 2 generators; payload fixed
    # per (generator, size) so each quality row sees the same codes.
    jsizes = [(2, 1, "nearest"), (1, 2.5, "bilinear"), (3, 1, "nearest"), (4, 1, "nearest")]
    for gi, g in enumerate(gens):
        for si, (render_px, scale, filt) in enumerate(jsizes):
            p = PAYLOAD_NAMES[(gi + si) % 3]
            for q in (30, 50, 70, 85, 95):
                px = round(render_px * scale, 3)
                sw.add("jpeg", g, p, render_px=render_px, scale=scale, filt=filt, jpeg=q,
                       label=f"{px:g}px-q{q}")

    # rotation
    for gi, g in enumerate(gens):
        for si, render_px in enumerate((3, 6)):
            p = PAYLOAD_NAMES[(2 * gi + si) % 3]
            for angle in (5, 15, 30, 45, 90):
                sw.add("rotation", g, p, render_px=render_px, rotation=angle, label=f"{render_px}px-rot{angle}")

    # inverted and dark themes: light modules on a dark background
    schemes = [
        ("#ffffff", "#000000", "pure-inverse"),
        ("#ffffff", "#1e1e1e", "white-on-1e1e1e"),
        ("#e6edf3", "#0d1117", "e6edf3-on-0d1117"),
        ("#d4d4d4", "#252526", "d4d4d4-on-252526"),
    ]
    for gi, g in enumerate(gens):
        for ci, (fg, bg, name) in enumerate(schemes):
            for si, render_px in enumerate((3, 4)):
                p = PAYLOAD_NAMES[(gi + ci + si) % 3]
                sw.add("inverted", g, p, render_px=render_px, fg=fg, bg=bg, label=f"{render_px}px-{name}")
        sw.add("inverted", g, PAYLOAD_NAMES[gi], render_px=3, fg="#ffffff", bg="#1e1e1e", jpeg=70,
               label="3px-white-on-1e1e1e-q70")

    # low contrast
    low = [
        ("#555555", "#999999"),
        ("#333333", "#666666"),
        ("#777777", "#aaaaaa"),
        ("#888888", "#bbbbbb"),
        ("#1a73e8", "#8ab4f8"),
        ("#999999", "#555555"),  # light on dark, low contrast
    ]
    for gi, g in enumerate(gens):
        for ci, (fg, bg) in enumerate(low):
            p = PAYLOAD_NAMES[(gi + ci) % 3]
            sw.add("contrast", g, p, render_px=4, fg=fg, bg=bg, label=f"4px-{fg[1:]}-on-{bg[1:]}")
        sw.add("contrast", g, PAYLOAD_NAMES[(gi + 1) % 3], render_px=3, fg="#555555", bg="#999999", jpeg=85,
               label="3px-555555-on-999999-q85")

    # quiet zone: tight crops with 1 module of margin, and none
    for g in gens:
        for p in PAYLOAD_NAMES:
            for render_px in (3, 6):
                sw.add("quiet_zone", g, p, render_px=render_px, quiet=1, label=f"{render_px}px-qz1")
    for gi, g in enumerate(gens):
        sw.add("quiet_zone", g, PAYLOAD_NAMES[gi], render_px=1, scale=2.5, filt="bilinear", quiet=1,
               label="2.5px-qz1-1x2.5-bilinear")
        sw.add("quiet_zone", g, PAYLOAD_NAMES[gi + 1], render_px=4, quiet=0, label="4px-qz0")

    # canvas: whole-screen screenshots
    canvases = [
        # (width, height, theme, card colour or None, render px, scale, filter, fg, bg, jpeg)
        (1920, 1080, "light", "#ffffff", 3, 1, "nearest", "#000000", "#ffffff", None),
        (1920, 1080, "light", "#ffffff", 4, 1, "nearest", "#000000", "#ffffff", None),
        (1920, 1080, "light", "#ffffff", 6, 1, "nearest", "#000000", "#ffffff", None),
        (1920, 1080, "light", None, 4, 1, "nearest", "#000000", "#ffffff", None),
        (1920, 1080, "light", "#ffffff", 4, 1, "nearest", "#000000", "#ffffff", 85),
        (1920, 1080, "dark", "#ffffff", 3, 1.5, "bilinear", "#000000", "#ffffff", None),
        (1920, 1080, "dark", None, 4, 1, "nearest", "#ffffff", "#1e1e1e", None),
        (1920, 1080, "dark", None, 5, 1, "nearest", "#e6edf3", "#0d1117", 85),
        (3840, 2160, "light", "#ffffff", 3, 1, "nearest", "#000000", "#ffffff", None),
        (3840, 2160, "light", "#ffffff", 6, 1, "nearest", "#000000", "#ffffff", None),
        (3840, 2160, "dark", None, 3, 1.5, "bilinear", "#ffffff", "#1e1e1e", None),
    ]
    for ci, (w, h, theme, card, render_px, scale, filt, fg, bg, q) in enumerate(canvases):
        for gi, g in enumerate(gens):
            p = PAYLOAD_NAMES[(ci + gi) % 3]
            px = round(render_px * scale, 3)
            label = f"{w}x{h}-{theme}-{'card' if card else 'page'}-{px:g}px" + (f"-q{q}" if q else "")
            sw.add("canvas", g, p, render_px=render_px, scale=scale, filt=filt, fg=fg, bg=bg,
                   jpeg=q, canvas=(w, h, theme, card), page=bg, label=label)

    # noise: Gaussian pixel noise on a clean 3 px code
    for gi, g in enumerate(gens):
        for si, sigma in enumerate((10, 25, 40)):
            sw.add("noise", g, PAYLOAD_NAMES[(gi + si) % 3], render_px=3, noise=sigma, label=f"3px-sigma{sigma}")

    return sw.entries


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name == "manifest.json" or (name[:3].isdigit() and name.endswith((".png", ".jpg"))):
            os.remove(os.path.join(out, name))
    entries = build(out)
    manifest = {
        "seed": SEED,
        "generator_script": "benches/qr_sweep/generate.py",
        "versions": {
            "python": sys.version.split()[0],
            "qrcode": package_version("qrcode"),
            "segno": segno.__version__,
            "Pillow": PIL.__version__,
        },
        "payloads": PAYLOADS,
        "images": entries,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    digest = hashlib.sha256()
    for e in entries:
        with open(os.path.join(out, e["file"]), "rb") as f:
            digest.update(f.read())
    total = sum(os.path.getsize(os.path.join(out, e["file"])) for e in entries)
    print(f"wrote {len(entries)} images ({total / 1e6:.1f} MB) and manifest.json to {out}; "
          f"sha256 of the images {digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
