//! QR codes out: the terminal drawing scans on light and dark themes (drawn
//! again as a picture both ways and read by zbar, an independent reader),
//! `show --qr --output` writes a PNG, and Google transfer codes fit an
//! 80-column terminal, shown one at a time there.
#![cfg(feature = "qr")]

mod common;

use std::path::Path;
use std::process::Command;

use common::screen::{Tmux, otp_path};
use common::*;

/// A terminal theme: the colours of text and background when none is set.
#[derive(Clone, Copy, Debug)]
struct Theme {
    fg: u8,
    bg: u8,
}

const LIGHT: Theme = Theme { fg: 0, bg: 255 };
const DARK: Theme = Theme { fg: 230, bg: 20 };

/// A grey level for a 256-colour palette index (only black and white and
/// the basic colours matter here).
fn grey(index: u16) -> u8 {
    match index {
        0 | 16 => 0,
        7 | 15 | 231 => 255,
        232..=255 => (8 + (index - 232) * 10) as u8,
        _ => 128,
    }
}

/// Draws terminal output (half-block characters and SGR colour codes) as a
/// grey picture the way a terminal with `theme` shows it: each cell 4
/// pixels wide and 8 tall, split in an upper and a lower half.
fn render(text: &str, theme: Theme) -> (usize, usize, Vec<u8>) {
    const W: usize = 4;
    const H: usize = 4;
    let mut cells: Vec<Vec<(u8, u8)>> = Vec::new();
    for line in text.lines() {
        let (mut fg, mut bg) = (theme.fg, theme.bg);
        let mut row = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                let mut sgr = String::new();
                chars.next(); // '['
                for d in chars.by_ref() {
                    if d == 'm' {
                        break;
                    }
                    sgr.push(d);
                }
                let parts: Vec<u16> = sgr.split(';').filter_map(|p| p.parse().ok()).collect();
                let mut i = 0;
                while i < parts.len() {
                    match parts[i] {
                        0 => (fg, bg) = (theme.fg, theme.bg),
                        38 if parts.get(i + 1) == Some(&5) => {
                            fg = grey(parts[i + 2]);
                            i += 2;
                        }
                        48 if parts.get(i + 1) == Some(&5) => {
                            bg = grey(parts[i + 2]);
                            i += 2;
                        }
                        n @ 30..=37 => fg = grey(n - 30),
                        n @ 40..=47 => bg = grey(n - 40),
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            row.push(match c {
                '▀' => (fg, bg),
                '▄' => (bg, fg),
                '█' => (fg, fg),
                _ => (bg, bg),
            });
        }
        cells.push(row);
    }
    let width = cells.iter().map(Vec::len).max().unwrap_or(0) * W + 8 * W;
    let height = cells.len() * 2 * H + 8 * H;
    let mut pixels = vec![theme.bg; width * height];
    for (y, row) in cells.iter().enumerate() {
        for (x, (top, bottom)) in row.iter().enumerate() {
            for dy in 0..2 * H {
                let shade = if dy < H { *top } else { *bottom };
                let py = 4 * H + y * 2 * H + dy;
                let px = 4 * W + x * W;
                pixels[py * width + px..py * width + px + W].fill(shade);
            }
        }
    }
    (width, height, pixels)
}

fn write_png(path: &Path, (width, height, pixels): (usize, usize, Vec<u8>)) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(file, width as u32, height as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
}

/// What zbar reads in the picture, if anything.
fn zbar(path: &Path) -> Option<String> {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(path)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

#[test]
fn the_terminal_code_scans_on_light_and_dark_themes() {
    if !have_tool("zbarimg") {
        return;
    }
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let uri = stdout(&v.run(&["show", "Amazon", "--uri"], None));
    let out = v.run(&["show", "Amazon", "--qr"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let drawn = stdout(&out);
    let dir = tempfile::tempdir().unwrap();
    for (name, theme) in [("light", LIGHT), ("dark", DARK)] {
        let png = dir.path().join(format!("{name}.png"));
        write_png(&png, render(&drawn, theme));
        assert_eq!(
            zbar(&png).as_deref(),
            Some(uri.trim_end()),
            "the {name} theme"
        );
    }
}

#[test]
fn show_writes_a_png_that_scans_and_replaces_nothing() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let png = v.dir.path().join("amazon.png");
    let out = v.run(
        &["show", "Amazon", "--qr", "--output", png.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "nothing drawn on the terminal");
    assert!(stderr(&out).contains("UNENCRYPTED"), "{}", stderr(&out));
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&png).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let fresh = TestVault::new();
    let added = fresh.run(&["add", "Amazon", "--qr", png.to_str().unwrap()], None);
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(fresh.code_at("Amazon", 59), v.code_at("Amazon", 59));
    // A second time: the file is there, and stays as it is.
    let before = std::fs::read(&png).unwrap();
    let out = v.run(
        &["show", "Amazon", "--qr", "--output", png.to_str().unwrap()],
        None,
    );
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));
    assert_eq!(std::fs::read(&png).unwrap(), before);
}

/// A vault of `n` accounts with long names, which no longer fit eight to a
/// code.
fn long_named(n: usize) -> TestVault {
    let v = TestVault::new();
    for i in 0..n {
        let name = format!("A company with a rather long name, number {i:02}");
        let out = v.run(
            &[
                "add",
                &name,
                "--account",
                &format!("someone.with.a.long.address.{i}@example.com"),
            ],
            Some(&key_for(&name)),
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    v
}

/// The width of a drawn line in character cells (escape codes take none).
fn cells(line: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (false, _) => n += 1,
            _ => {}
        }
    }
    n
}

#[test]
fn google_transfer_codes_fit_80_columns_and_hold_every_account() {
    let v = long_named(12);
    let out = v.run(&["export", "--format", "google", "--qr"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let drawn = stdout(&out);
    let widest = drawn.lines().map(cells).max().unwrap();
    assert!(widest <= 80, "{widest} columns");
    let batches = drawn.matches(" of ").count();
    assert!(batches >= 2, "{batches} codes");
    // Every account comes back from the URIs.
    let out = v.run(&["export", "--format", "google"], None);
    let fresh = TestVault::new();
    let imported = fresh.run(&["import", "-"], Some(&stdout(&out)));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let list = stdout(&fresh.run(&["list", "--json"], None));
    let entries: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 12);
}

#[test]
fn on_a_terminal_transfer_codes_come_one_at_a_time() {
    let v = long_named(12);
    let Some(tmux) = Tmux::start(&[
        ("OTP_VAULT", v.path.to_str().unwrap()),
        ("OTP_PASSPHRASE", PASSPHRASE),
    ]) else {
        return;
    };
    tmux.run(&["resize-window", "-x", "100", "-y", "60"]);
    tmux.type_text(
        &format!("{} export --format google --qr", otp_path().display()),
        true,
    );
    tmux.wait_for(|s| s.contains("Continue?"), "the confirmation");
    tmux.type_text("y", true);
    let screen = tmux.wait_for(|s| s.contains("press Enter for the next, 2 of"), "code 1");
    assert!(screen.contains("1 of "), "{screen}");
    assert!(
        !screen.contains("2 of 3:") && !screen.contains("2 of 4:"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(|s| s.contains("press Enter for the next, 3 of"), "code 2");
}
