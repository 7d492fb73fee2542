//! The QR reader's work is bounded: a picture tiled with shapes like a QR
//! code's corners (finder patterns) made 0.2 search for 44 s (4000²) and
//! 378 s (10000², 761 MB) from a PNG of a few dozen KiB.
#![cfg(feature = "qr-read")]

mod common;

use common::*;
use std::time::Duration;

/// A grey PNG of `width` × `height` tiled with finder patterns: 7 × 7
/// modules of 4 pixels (dark ring, light ring, dark centre), a module apart.
fn finder_tiles(width: u32, height: u32) -> Vec<u8> {
    const MODULE: u32 = 4;
    const PERIOD: u32 = 8 * MODULE;
    let dark = |x: u32, y: u32| {
        let (mx, my) = ((x % PERIOD) / MODULE, (y % PERIOD) / MODULE);
        if mx >= 7 || my >= 7 {
            return false;
        }
        let ring = mx.min(my).min(6 - mx).min(6 - my);
        ring != 1
    };
    let mut pixels = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        for x in 0..width {
            pixels.push(if dark(x, y) { 0 } else { 255 });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn a_picture_of_many_corners_is_given_up_on_in_seconds() {
    let v = TestVault::new();
    let image = v.dir.path().join("corners.png");
    std::fs::write(&image, finder_tiles(6000, 6000)).unwrap();
    let kib = std::fs::metadata(&image).unwrap().len() / 1024;
    assert!(kib < 1024, "a small file: {kib} KiB");
    // The limit is 5 s; a test one, in a debug build, keeps the check
    // apart from the machine's speed (0.2 searched this for minutes).
    let mut cmd = v.command(&["import", image.to_str().unwrap()]);
    cmd.env("OTP_TEST_QR_SEARCH_MS", "300");
    let out = run_within(cmd, Duration::from_secs(120)).expect("otp must give up, not search on");
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("took over"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn a_picture_over_40_megapixels_is_refused_by_its_header() {
    let v = TestVault::new();
    let image = v.dir.path().join("huge.png");
    std::fs::write(&image, finder_tiles(7000, 6000)).unwrap();
    let out = v.run(&["import", image.to_str().unwrap()], None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("42 megapixels"), "{}", stderr(&out));
}
