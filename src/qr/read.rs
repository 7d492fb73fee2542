//! Reading QR codes from PNG and JPEG screenshots.

use std::io::Cursor;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::{ImageFormat, QrError};

/// The largest image decoded, in pixels: an 8K screenshot (7680 × 4320)
/// is 33 million.
const MAX_PIXELS: u64 = 40_000_000;

/// The longest the search for codes in one image may take. A 4K
/// screenshot takes about 0.1 s; a picture tiled with shapes like a code's
/// corners (34 KiB of PNG) made rxing try their combinations for 44 s.
pub const SEARCH_LIMIT: Duration = Duration::from_secs(5);

/// Grey levels, one byte a pixel, row by row.
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    fn new(
        format: ImageFormat,
        width: usize,
        height: usize,
        pixels: Vec<u8>,
    ) -> Result<Grey, QrError> {
        if pixels.len() != width * height {
            return Err(QrError::BadImage(format));
        }
        Ok(Grey {
            width,
            height,
            pixels,
        })
    }
}

/// The text of every QR code in a PNG or JPEG image. The texts usually hold
/// secrets, so they come back wiped on drop.
pub fn decode(image: &[u8]) -> Result<Vec<Zeroizing<String>>, QrError> {
    let grey = if image.starts_with(b"\x89PNG") {
        decode_png(image)?
    } else if image.starts_with(&[0xff, 0xd8, 0xff]) {
        decode_jpeg(image)?
    } else {
        return Err(QrError::NotAnImage);
    };
    let limit = search_limit();
    let texts =
        find_codes(grey, Instant::now() + limit).ok_or(QrError::TooSlow(limit.as_secs()))?;
    if texts.is_empty() {
        return Err(QrError::NotFound);
    }
    Ok(texts)
}

/// The texts of the QR codes in `grey`, found and decoded by rxing (a port
/// of ZXing), chosen over rqrr and preprocessing on a measured sweep
/// (docs/performance.md): it reads codes of 1.5 pixels a module, scaled by
/// odd factors, JPEG-compressed, and light on dark. A picture of low
/// contrast (grey on grey) is read again with its grey levels stretched to
/// the full range.
///
/// A decoder that panics on some geometry holds no code it can read, which
/// is no reason to crash: the panic is caught and the picture reported as
/// holding no code. The library leaves the panic hook alone (process-wide
/// state is the program's); `otp` installs one that keeps such a message
/// off the terminal.
///
/// The search runs on a thread of its own, and `None` comes back when it
/// has not finished by `deadline`: the thread cannot be stopped, but the
/// command goes on (and ends) without waiting for it.
fn find_codes(grey: Grey, deadline: Instant) -> Option<Vec<Zeroizing<String>>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let found = read_codes(grey.pixels.clone(), grey.width, grey.height);
        let found = match (found.is_empty(), stretched(&grey.pixels)) {
            (true, Some(pixels)) => read_codes(pixels, grey.width, grey.height),
            _ => found,
        };
        let _ = send.send(found);
    });
    receive
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// [`SEARCH_LIMIT`]; in a debug build a test may set a shorter one
/// (`OTP_TEST_QR_SEARCH_MS`), so that its check does not depend on how
/// fast the machine or the decoder is.
fn search_limit() -> Duration {
    let test = cfg!(debug_assertions)
        .then(|| std::env::var("OTP_TEST_QR_SEARCH_MS").ok()?.parse().ok())
        .flatten();
    test.map_or(SEARCH_LIMIT, Duration::from_millis)
}

fn read_codes(pixels: Vec<u8>, width: usize, height: usize) -> Vec<Zeroizing<String>> {
    let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
        return Vec::new();
    };
    let detect = move || {
        let mut hints = rxing::DecodeHints {
            TryHarder: Some(true),
            AlsoInverted: Some(true),
            PossibleFormats: Some(std::collections::HashSet::from([
                rxing::BarcodeFormat::QR_CODE,
            ])),
            ..rxing::DecodeHints::default()
        };
        rxing::helpers::detect_multiple_in_luma_with_hints(pixels, width, height, &mut hints)
            .unwrap_or_default()
    };
    let results = std::panic::catch_unwind(detect).unwrap_or_default();
    let mut texts: Vec<Zeroizing<String>> = Vec::new();
    for result in results {
        let text = Zeroizing::new(result.getText().to_string());
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    texts
}

/// `pixels` with their grey levels stretched to 0-255, or `None` if they
/// span most of the range already (stretching would change little).
fn stretched(pixels: &[u8]) -> Option<Vec<u8>> {
    let (low, high) = pixels
        .iter()
        .fold((u8::MAX, u8::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    let span = u32::from(high.checked_sub(low)?);
    if span == 0 || span > 192 {
        return None;
    }
    Some(
        pixels
            .iter()
            .map(|&p| (u32::from(p - low) * 255 / span) as u8)
            .collect(),
    )
}

fn check_size(width: usize, height: usize) -> Result<(), QrError> {
    let pixels = width as u64 * height as u64;
    if pixels > MAX_PIXELS {
        return Err(QrError::TooLarge(pixels / 1_000_000));
    }
    Ok(())
}

/// ITU-R BT.601 luma.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000) as u8
}

fn decode_png(bytes: &[u8]) -> Result<Grey, QrError> {
    let bad = |_: png::DecodingError| QrError::BadImage(ImageFormat::Png);
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette to RGB, 16-bit to 8-bit, sub-byte grey to bytes.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(bad)?;
    check_size(header.width as usize, header.height as usize)?;
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or(QrError::BadImage(ImageFormat::Png))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    if frame.line_size == 0 || channels == 0 {
        return Err(QrError::BadImage(ImageFormat::Png));
    }
    let data = &buf[..frame.buffer_size()];
    let mut pixels = Vec::with_capacity(width * height);
    for row in data.chunks(frame.line_size).take(height) {
        for px in row.chunks(channels).take(width) {
            pixels.push(match (px, channels) {
                ([g], 1) | ([g, _], 2) => *g,
                ([r, g, b], 3) | ([r, g, b, _], 4) => luma(*r, *g, *b),
                _ => 255,
            });
        }
    }
    Grey::new(ImageFormat::Png, width, height, pixels)
}

fn decode_jpeg(bytes: &[u8]) -> Result<Grey, QrError> {
    let bad = |_: zune_jpeg::errors::DecodeErrors| QrError::BadImage(ImageFormat::Jpeg);
    // Straight to grey levels: the decoder converts colour itself.
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX));
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(bad)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or(QrError::BadImage(ImageFormat::Jpeg))?;
    check_size(width, height)?;
    let size = decoder
        .output_buffer_size()
        .ok_or(QrError::BadImage(ImageFormat::Jpeg))?;
    let mut pixels = vec![0; size];
    decoder.decode_into(&mut pixels).map_err(bad)?;
    Grey::new(ImageFormat::Jpeg, width, height, pixels)
}
