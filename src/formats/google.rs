//! Google Authenticator's exports: the "Transfer accounts" QR codes (as
//! a screenshot, or their text one a line; the codec is
//! [`migration`](super::migration)) and, from a rooted phone, its
//! database.

use super::error::FormatError;
use super::format::{Asked, Document, Format, Found, Output, Reader, Shape, Writer};
use super::migration::{self, APP};
use super::uri_list;
use crate::account::Account;

pub const FORMAT: Format = Format {
    name: "google",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Image,
            detect: detect_image,
            read: read_transfer,
            decrypt: None,
            default_password: None,
        },
        #[cfg(feature = "phone-db")]
        Reader {
            shape: Shape::Database,
            detect: |doc, _| super::phone_db::detect_google_db(doc),
            read: |doc, _| super::phone_db::read_google_db(doc),
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Lines,
            detect: detect_transfer,
            read: read_transfer,
            decrypt: None,
            default_password: None,
        },
    ],
    writer: Some(Writer {
        unsupported: migration::unsupported,
        output: Output::Texts(|entries, fits| migration::format(entries, fits)),
    }),
};

/// Lines of transfer URIs, and no otpauth:// line (`--format google`
/// reads only those; unnamed, the URI list reads both).
fn detect_transfer(doc: &Document, _: Asked) -> Found {
    match uri_list::kinds(doc) {
        Some((false, true)) => Found::Plain,
        _ => Found::No,
    }
}

fn detect_image(doc: &Document, asked: Asked) -> Found {
    if !doc.is_image() {
        return Found::No;
    }
    detect_transfer(doc, asked)
}

fn read_transfer(doc: &Document, _: Asked) -> Result<Vec<Account>, FormatError> {
    uri_list::read_lines(doc, false, true)
}
