//! QR codes: reading them from screenshots ([`read`], the qr-read
//! feature), drawing them for phones ([`draw`], the qr feature).
//!
//! Reading decodes PNG (png) or JPEG (zune-jpeg) to grey levels and lets
//! rxing find every code in the picture, so a whole-page screenshot with a
//! small code in it works. Drawing uses qrcode, to the terminal as Unicode
//! half blocks in fixed colours (so that it scans on light and dark themes)
//! or to a PNG file.

#[cfg(feature = "qr")]
mod draw;
#[cfg(feature = "qr-read")]
mod read;

#[cfg(feature = "qr")]
pub use draw::{TERMINAL_COLUMNS, fits_terminal, to_png, to_terminal};
#[cfg(feature = "qr-read")]
pub use read::decode;

/// Without the qr-read feature, no image is read.
#[cfg(not(feature = "qr-read"))]
pub fn decode(_: &[u8]) -> Result<Vec<zeroize::Zeroizing<String>>, QrError> {
    Err(crate::error::NotBuilt("qr-read").into())
}

/// Without the qr feature, no code is drawn.
#[cfg(not(feature = "qr"))]
pub fn to_terminal(_: &str) -> Result<zeroize::Zeroizing<String>, QrError> {
    Err(crate::error::NotBuilt("qr").into())
}

/// Without the qr feature, no code is drawn.
#[cfg(not(feature = "qr"))]
pub fn to_png(_: &str) -> Result<Vec<u8>, QrError> {
    Err(crate::error::NotBuilt("qr").into())
}

use thiserror::Error;

use crate::error::{ErrorKind, Kinded};

/// Why no QR code text could be read from an image, or drawn.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QrError {
    #[error("the file is not a PNG or JPEG image: give a screenshot saved as PNG or JPEG")]
    NotAnImage,
    #[error("the {0} image cannot be decoded: save the screenshot again as PNG")]
    BadImage(ImageFormat),
    #[error("the image is {0} megapixels, larger than the 40 allowed: crop it around the QR code")]
    TooLarge(u64),
    #[error(
        "the image took over {0} s to search for QR codes (it holds many shapes like a code's corners): crop it around the QR code"
    )]
    TooSlow(u64),
    #[error(
        "no QR code was found in the image: crop the screenshot around the code, or paste the setup key instead"
    )]
    NotFound,
    #[error("the QR code is too long to draw ({0} bytes): export fewer accounts at a time")]
    TooLong(usize),
    #[error(transparent)]
    NotBuilt(#[from] crate::error::NotBuilt),
    /// Writing the PNG of a drawn code failed: a bug, not the input.
    #[error("otp could not write the QR code's PNG image: this is a bug in otp; please report it")]
    Drawing,
}

/// The kinds of image read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

impl std::fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
        })
    }
}

/// True if `bytes` start like a PNG or JPEG file.
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xff, 0xd8, 0xff])
}

impl Kinded for QrError {
    fn kind(&self) -> ErrorKind {
        match self {
            QrError::NotAnImage
            | QrError::BadImage(_)
            | QrError::TooLarge(_)
            | QrError::TooSlow(_)
            | QrError::NotFound
            | QrError::NotBuilt(_) => ErrorKind::Usage,
            // Not the user's doing: the data does not fit a QR code.
            QrError::TooLong(_) => ErrorKind::Environment,
            QrError::Drawing => ErrorKind::Internal,
        }
    }
}

#[cfg(all(test, feature = "qr", feature = "qr-read"))]
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
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\nbroken"),
            Err(QrError::BadImage(ImageFormat::Png))
        );
        assert_eq!(
            decode(&[0xff, 0xd8, 0xff, 0]),
            Err(QrError::BadImage(ImageFormat::Jpeg))
        );
    }

    #[test]
    fn terminal_rendering_has_rows() {
        let drawn = to_terminal("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(drawn.lines().count() > 10);
    }
}
