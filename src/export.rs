//! Writing the vault's accounts for another authenticator or a phone:
//! which entries a format can carry, and the texts or file that carry them.
//! Where the result goes (a terminal, a QR code, a file) is the caller's.

use thiserror::Error;
use zeroize::Zeroizing;

use crate::entries::Entries;
use crate::entry::Entry;
use crate::formats::{FormatError, aegis, google};
use crate::qr::{self, QrError};
use crate::secret::Passphrase;
use crate::uri;

/// The formats `otp export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// otpauth:// URIs, one a line.
    Uri,
    /// Google Authenticator transfer codes (otpauth-migration://).
    Google,
    /// An encrypted Aegis vault file.
    Aegis,
}

/// Why nothing was exported.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("there is nothing to export")]
    Nothing,
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Qr(#[from] QrError),
}

/// The entries a format can carry, and those it cannot with the reason.
pub struct Selection<'a> {
    pub entries: Vec<&'a Entry>,
    pub left_out: Vec<(&'a Entry, &'static str)>,
}

/// Picks what `format` can carry out of `entries`; refuses an export that
/// would carry nothing.
pub fn select(entries: &Entries, format: Format) -> Result<Selection<'_>, ExportError> {
    let mut selection = Selection {
        entries: Vec::new(),
        left_out: Vec::new(),
    };
    for entry in entries.iter() {
        match (format, google::unsupported(entry)) {
            (Format::Google, Some(why)) => selection.left_out.push((entry, why)),
            _ => selection.entries.push(entry),
        }
    }
    if selection.entries.is_empty() {
        return Err(ExportError::Nothing);
    }
    Ok(selection)
}

/// The texts of a text format: one URI an entry, or Google transfer URIs
/// each as long as a QR code drawn in an 80-column terminal can hold. `None`
/// for a file format.
pub fn texts(selection: &Selection, format: Format) -> Option<Vec<Zeroizing<String>>> {
    match format {
        Format::Uri => Some(selection.entries.iter().map(|e| uri::format(e)).collect()),
        Format::Google => Some(google::format(&selection.entries, qr::fits_terminal)),
        Format::Aegis => None,
    }
}

/// An encrypted Aegis vault that opens with `password`.
pub fn aegis_file(
    selection: &Selection,
    password: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    Ok(aegis::format(&selection.entries, password)?)
}
