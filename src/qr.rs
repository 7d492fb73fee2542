//! QR codes: reading them from screenshots, drawing them for phones.
//!
//! Reading decodes PNG (png) or JPEG (zune-jpeg) to grey levels and lets
//! rxing find every code in the picture, so a whole-page screenshot with a
//! small code in it works. Drawing uses qrcode, to the terminal as Unicode
//! half blocks in fixed colours (so that it scans on light and dark themes)
//! or to a PNG file.

use std::io::Cursor;

use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;
use zeroize::Zeroizing;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Why no QR code text could be read from an image.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QrError {
    #[error("the file is not a PNG or JPEG image: give a screenshot saved as PNG or JPEG")]
    NotAnImage,
    #[error("the image cannot be decoded ({0}): save the screenshot again as PNG")]
    BadImage(String),
    #[error("the image is {0} megapixels, larger than the 100 allowed: crop it around the QR code")]
    TooLarge(u64),
    #[error(
        "no QR code was found in the image: crop the screenshot around the code, or paste the setup key instead"
    )]
    NotFound,
    #[error("the QR code is too long to draw ({0} bytes): export fewer accounts at a time")]
    TooLong(usize),
}

/// The largest image decoded, in pixels.
const MAX_PIXELS: u64 = 100_000_000;

/// Grey levels, one byte a pixel, row by row.
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Grey, QrError> {
        if pixels.len() != width * height {
            return Err(QrError::BadImage("truncated pixel data".into()));
        }
        Ok(Grey {
            width,
            height,
            pixels,
        })
    }
}

/// True if `bytes` start like a PNG or JPEG file.
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xff, 0xd8, 0xff])
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
    let texts = find_codes(&grey);
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
fn find_codes(grey: &Grey) -> Vec<Zeroizing<String>> {
    let found = read_codes(grey.pixels.clone(), grey.width, grey.height);
    if !found.is_empty() {
        return found;
    }
    match stretched(&grey.pixels) {
        Some(pixels) => read_codes(pixels, grey.width, grey.height),
        None => found,
    }
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
    let bad = |e: png::DecodingError| QrError::BadImage(e.to_string());
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette to RGB, 16-bit to 8-bit, sub-byte grey to bytes.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(bad)?;
    check_size(header.width as usize, header.height as usize)?;
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| QrError::BadImage("size overflow".into()))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let (width, height) = (frame.width as usize, frame.height as usize);
    let channels = frame.color_type.samples();
    if frame.line_size == 0 || channels == 0 {
        return Err(QrError::BadImage("empty image".into()));
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
    Grey::new(width, height, pixels)
}

fn decode_jpeg(bytes: &[u8]) -> Result<Grey, QrError> {
    let bad = |e: zune_jpeg::errors::DecodeErrors| QrError::BadImage(e.to_string());
    // Straight to grey levels: the decoder converts colour itself.
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX));
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(bad)?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| QrError::BadImage("no image header".into()))?;
    check_size(width, height)?;
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| QrError::BadImage("size overflow".into()))?;
    let mut pixels = vec![0; size];
    decoder.decode_into(&mut pixels).map_err(bad)?;
    Grey::new(width, height, pixels)
}

fn encode(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong(text.len()))
}

/// The width a QR code drawn in the terminal may take: the classic 80.
pub const TERMINAL_COLUMNS: usize = 80;

/// The quiet zone around a drawn code, in modules, as the standard asks.
const QUIET: usize = 4;

/// Whether `text`'s QR code, drawn by [`to_terminal`], fits in
/// [`TERMINAL_COLUMNS`].
pub fn fits_terminal(text: &str) -> bool {
    encode(text).is_ok_and(|code| code.width() + 2 * QUIET <= TERMINAL_COLUMNS)
}

/// `text` as a QR code for a phone to scan from the terminal: Unicode
/// upper half blocks (`▀`), two modules to a character cell, each cell's
/// foreground the upper module and its background the lower one.
///
/// The colours are set explicitly, black and white from the 256-colour
/// palette's fixed cube (16 and 231, which themes do not remap), so the
/// code is dark on light on a light theme and a dark one alike. A code
/// drawn with the terminal's own colours is inverted on one of the two,
/// and most phone readers do not read inverted codes.
pub fn to_terminal(text: &str) -> Result<Zeroizing<String>, QrError> {
    const BLACK: u8 = 16;
    const WHITE: u8 = 231;
    let code = encode(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = modules + 2 * QUIET;
    let dark = |x: usize, y: usize| {
        x >= QUIET
            && y >= QUIET
            && x < QUIET + modules
            && y < QUIET + modules
            && colors[(y - QUIET) * modules + (x - QUIET)] == Color::Dark
    };
    let shade = |is_dark: bool| if is_dark { BLACK } else { WHITE };
    let mut out = Zeroizing::new(String::with_capacity(side * side * 8));
    for y in (0..side).step_by(2) {
        let mut last = None;
        for x in 0..side {
            let cell = (shade(dark(x, y)), shade(dark(x, y + 1)));
            if last != Some(cell) {
                out.push_str(&format!("\x1b[38;5;{};48;5;{}m", cell.0, cell.1));
                last = Some(cell);
            }
            out.push('▀');
        }
        out.push_str("\x1b[0m\n");
    }
    out.pop();
    Ok(out)
}

/// `text` as a QR code in a PNG image, 8 pixels a module with a 4-module
/// quiet zone.
pub fn to_png(text: &str) -> Result<Vec<u8>, QrError> {
    const SCALE: usize = 8;
    let code = encode(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let result = encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&pixels));
        result.map_err(|e| QrError::BadImage(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip() {
        let text = "otpauth://totp/Amazon:me?secret=JBSWY3DPEHPK3PXP&issuer=Amazon";
        let png = to_png(text).unwrap();
        assert!(is_image(&png));
        let found = decode(&png).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].as_str(), text);
    }

    #[test]
    fn non_images_are_refused() {
        assert_eq!(decode(b"hello"), Err(QrError::NotAnImage));
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\nbroken"),
            Err(QrError::BadImage(_))
        ));
        assert!(matches!(
            decode(&[0xff, 0xd8, 0xff, 0]),
            Err(QrError::BadImage(_))
        ));
    }

    #[test]
    fn terminal_rendering_has_rows() {
        let drawn = to_terminal("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(drawn.lines().count() > 10);
    }
}
