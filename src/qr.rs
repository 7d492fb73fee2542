//! QR codes: reading them from screenshots, drawing them for phones.
//!
//! Reading decodes PNG (png) or JPEG (jpeg-decoder) to grey levels and lets
//! rqrr find every code in the picture, so a whole-page screenshot with a
//! small code in it works. Drawing uses qrcode, to the terminal as Unicode
//! half blocks or to a PNG file.

use std::io::Cursor;

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;
use zeroize::Zeroizing;

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

/// The texts of the QR codes rqrr finds and decodes in `grey`.
///
/// rqrr asserts on some geometry instead of returning an error (its
/// issue #54): a picture that trips an assertion holds no code it can read,
/// which is no reason to crash. The panic is caught, and its message kept
/// off the terminal for that moment, so the user gets one line: no code.
fn find_codes(grey: &Grey) -> Vec<Zeroizing<String>> {
    let detect = || {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(grey.width, grey.height, |x, y| {
                grey.pixels[y * grey.width + x]
            });
        prepared
            .detect_grids()
            .iter()
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, text)| Zeroizing::new(text))
            .collect()
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(detect));
    std::panic::set_hook(hook);
    found.unwrap_or_default()
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
    let bad = |e: jpeg_decoder::Error| QrError::BadImage(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(bad)?;
    let info = decoder
        .info()
        .ok_or_else(|| QrError::BadImage("no image header".into()))?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    check_size(width, height)?;
    let data = decoder.decode().map_err(bad)?;
    use jpeg_decoder::PixelFormat::*;
    let pixels: Vec<u8> = match info.pixel_format {
        L8 => data,
        L16 => data.chunks_exact(2).map(|p| p[0]).collect(),
        RGB24 => data
            .chunks_exact(3)
            .map(|p| luma(p[0], p[1], p[2]))
            .collect(),
        CMYK32 => data
            .chunks_exact(4)
            .map(|p| luma(255 - p[0], 255 - p[1], 255 - p[2]).saturating_sub(p[3]))
            .collect(),
    };
    Grey::new(width, height, pixels)
}

fn encode(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong(text.len()))
}

/// `text` as a QR code drawn with Unicode half blocks, dark on light, for a
/// phone to scan from the terminal.
pub fn to_terminal(text: &str) -> Result<Zeroizing<String>, QrError> {
    let code = encode(text)?;
    Ok(Zeroizing::new(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    ))
}

/// `text` as a QR code in a PNG image, 8 pixels a module with a 4-module
/// quiet zone.
pub fn to_png(text: &str) -> Result<Vec<u8>, QrError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
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
