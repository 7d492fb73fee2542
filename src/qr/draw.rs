//! Drawing QR codes, in the terminal and as PNG files.

use qrcode::{Color, EcLevel, QrCode};
use zeroize::Zeroizing;

use super::QrError;

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
        result.map_err(|_| QrError::Drawing)?;
    }
    Ok(out)
}
