#!/usr/bin/env python3
"""zbar's read rate on a QR sweep made by generate.py, and a side-by-side
comparison with a second decoder.

    python3 benches/qr_sweep/zbar_rate.py SWEEP_DIR ZBAR_OUT.json
    python3 benches/qr_sweep/zbar_rate.py SWEEP_DIR ZBAR_OUT.json \\
        --other otp.json --other-name otp

Runs `zbarimg --raw -q` on every image listed in SWEEP_DIR/manifest.json
(installing zbar-tools with apt-get if zbarimg is missing), counts an image as
read when one of the lines zbarimg prints equals the manifest's text exactly,
writes {file: true/false} to ZBAR_OUT.json and prints markdown tables of reads
per group and per swept parameter, and the total "read N of M".

--other takes a JSON object {file: decoded text or null}, keyed by the file
name of the manifest (a path is cut to its last part); a value may also be a
list of texts (read if one is right) or true/false, so an earlier
ZBAR_OUT.json can be compared too. Its reads are
judged against the manifest in the same way (the text must be equal exactly;
a file missing from it counts as not read) and shown in a second column, and
the script lists the images that one decoder reads and the other does not.
--zbar-arg adds an argument to zbarimg's command line: zbar 0.23 reads
light-on-dark codes only with --zbar-arg=-Stest-inverted, which the baseline
leaves off because `zbarimg --raw -q` is how zbar is run by default.
--reuse takes zbar's results from an existing ZBAR_OUT.json instead of
running zbarimg again.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def ensure_zbarimg():
    if shutil.which("zbarimg"):
        return
    print("zbarimg missing: installing zbar-tools with apt-get", file=sys.stderr)
    subprocess.check_call(["apt-get", "update", "-qq"])
    subprocess.check_call(["apt-get", "install", "-y", "-qq", "zbar-tools"],
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def zbar_version():
    try:
        out = subprocess.run(["zbarimg", "--version"], capture_output=True, text=True)
        return out.stdout.strip() or out.stderr.strip()
    except OSError:
        return "?"


def run_zbar(path, timeout, extra):
    """The lines zbarimg decodes from `path` (empty if none)."""
    try:
        proc = subprocess.run(["zbarimg", "--raw", "-q", *extra, path], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return []
    text = proc.stdout.decode("utf-8", errors="replace")
    return [line for line in text.split("\n") if line]


def judge(value, expected):
    """True if a decoder's recorded value is a correct read."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):  # several codes found: any one right
        return expected in value
    return value == expected


# --------------------------------------------------------------------------
# Tables

def natural(key):
    """Sort key that puts "2.5 px" before "10 px" and "q30" before "q100"."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(key))]


def px(e):
    return f"{e['module_px']:g} px"


def resize(e):
    if e["scale"] == 1:
        return f"{e['render_px']} px, no resize"
    return f"{e['render_px']} px x{e['scale']:g} {e['filter']}"


def colours(e):
    return f"{e['fg']} on {e['bg']} ({e['contrast']:g}:1)"


# (title, group the table is limited to or None for all, key, sort key)
DIMENSIONS = [
    ("By group", None, lambda e: e["group"], None),
    ("By module size (group size: clean PNG, 4-module quiet zone)", "size", px, natural),
    ("By resize (group size)", "size", lambda e: f"{e['module_px']:g} px = {resize(e)}", natural),
    ("By JPEG quality (group jpeg, 2-4 px/module)", "jpeg", lambda e: f"q{e['jpeg_quality']}", natural),
    ("By module size (group jpeg, all qualities)", "jpeg", px, natural),
    ("By rotation (group rotation, 3 and 6 px/module)", "rotation", lambda e: f"{e['rotation']} deg", natural),
    ("By colours (group inverted: light modules on dark)", "inverted",
     lambda e: colours(e) + (" JPEG q%d" % e["jpeg_quality"] if e["jpeg_quality"] else ""), None),
    ("By colours (group contrast)", "contrast",
     lambda e: colours(e) + (" JPEG q%d" % e["jpeg_quality"] if e["jpeg_quality"] else ""), None),
    ("By quiet zone (group quiet_zone)", "quiet_zone",
     lambda e: f"{e['quiet_zone']} module(s), {e['module_px']:g} px", natural),
    ("By canvas (group canvas)", "canvas",
     lambda e: f"{e['canvas']}, {e['module_px']:g} px" + (f", JPEG q{e['jpeg_quality']}" if e["jpeg_quality"] else ""),
     natural),
    ("By noise (group noise, 3 px/module)", "noise", lambda e: e["noise"], natural),
    ("By generator (all images)", None, lambda e: e["generator"], None),
    ("By payload (all images)", None,
     lambda e: f"{e['payload']} ({len(e['text'])} chars)", None),
    ("By generator and payload (all images)", None,
     lambda e: f"{e['generator']} {e['payload']}: version {e['qr_version']}-{e['ecc']}, {e['modules']} modules", None),
    ("By format (all images)", None, lambda e: e["format"], None),
]


def cell(n, total):
    return f"{n}/{total} ({100 * n / total:.0f}%)" if total else "-"


def print_tables(entries, columns):
    """columns: list of (name, {file: bool})."""
    for title, group, key, sort in DIMENSIONS:
        rows = {}
        order = []
        for e in entries:
            if group and e["group"] != group:
                continue
            k = key(e)
            if k not in rows:
                rows[k] = []
                order.append(k)
            rows[k].append(e["file"])
        if not rows:
            continue
        if sort:
            order.sort(key=sort)
        print(f"### {title}\n")
        print("| variant | images | " + " | ".join(name for name, _ in columns) + " |")
        print("|---|---:|" + "---:|" * len(columns))
        for k in order:
            files = rows[k]
            cells = [cell(sum(res[f] for f in files), len(files)) for _, res in columns]
            print(f"| {k} | {len(files)} | " + " | ".join(cells) + " |")
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep_dir", help="folder written by generate.py")
    ap.add_argument("out_json", help="where to write zbar's per-image results {file: true/false}")
    ap.add_argument("--other", help="a second decoder's results: JSON {file: text or null}")
    ap.add_argument("--other-name", default="other", help="column name for --other (default: other)")
    ap.add_argument("--jobs", type=int, default=1, help="zbarimg processes at once (default 1)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per image (default 60)")
    ap.add_argument("--zbar-arg", action="append", default=[], metavar="ARG",
                    help="an extra zbarimg argument, e.g. --zbar-arg=-Stest-inverted (repeatable)")
    ap.add_argument("--reuse", action="store_true", help="read zbar's results from out_json instead of running zbarimg")
    args = ap.parse_args()

    with open(os.path.join(args.sweep_dir, "manifest.json")) as f:
        manifest = json.load(f)
    entries = manifest["images"]
    missing = [e["file"] for e in entries if not os.path.exists(os.path.join(args.sweep_dir, e["file"]))]
    if missing:
        sys.exit(f"{len(missing)} images of the manifest are missing, e.g. {missing[0]}: run generate.py again")

    misread = {}
    if args.reuse:
        with open(args.out_json) as f:
            zbar = {k: bool(v) for k, v in json.load(f).items()}
        version = "(results reused from %s)" % args.out_json
    else:
        ensure_zbarimg()
        version = zbar_version() + "".join(" " + a for a in args.zbar_arg)

        def one(e):
            lines = run_zbar(os.path.join(args.sweep_dir, e["file"]), args.timeout, args.zbar_arg)
            return e, lines

        zbar = {}
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for e, lines in pool.map(one, entries):
                ok = e["text"] in lines
                zbar[e["file"]] = ok
                if lines and not ok:
                    misread[e["file"]] = lines
        with open(args.out_json, "w") as f:
            json.dump(zbar, f, indent=1, sort_keys=True)
            f.write("\n")
    zbar = {e["file"]: zbar.get(e["file"], False) for e in entries}
    columns = [("zbar", zbar)]

    other = None
    if args.other:
        with open(args.other) as f:
            raw = {os.path.basename(k): v for k, v in json.load(f).items()}
        absent = [e["file"] for e in entries if e["file"] not in raw]
        other = {e["file"]: judge(raw.get(e["file"]), e["text"]) for e in entries}
        other_misread = [e["file"] for e in entries
                         if isinstance(raw.get(e["file"]), str) and not other[e["file"]]]
        columns.append((args.other_name, other))

    total = len(entries)
    print(f"## QR sweep: {total} images, zbarimg {version}\n")
    print_tables(entries, columns)
    print("### Total\n")
    for name, res in columns:
        n = sum(res.values())
        print(f"- {name}: read {n} of {total} ({100 * n / total:.1f}%)")
    print()
    if misread:
        print(f"zbar decoded a different text from {len(misread)} image(s): " + ", ".join(sorted(misread)) + "\n")
    if other is not None:
        name = args.other_name
        if absent:
            print(f"{len(absent)} image(s) are missing from {args.other}, counted as not read.\n")
        if other_misread:
            print(f"{name} decoded a different text from {len(other_misread)} image(s): "
                  + ", ".join(other_misread) + "\n")
        only_zbar = [e["file"] for e in entries if zbar[e["file"]] and not other[e["file"]]]
        only_other = [e["file"] for e in entries if other[e["file"]] and not zbar[e["file"]]]
        for title, files in ((f"zbar reads, {name} does not", only_zbar),
                             (f"{name} reads, zbar does not", only_other)):
            print(f"### {title} ({len(files)})\n")
            for fname in files:
                print(f"- {fname}")
            if not files:
                print("- (none)")
            print()


if __name__ == "__main__":
    main()
