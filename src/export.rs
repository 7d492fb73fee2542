//! Writing the vault's accounts for another authenticator or a phone:
//! which entries a format can carry, and the texts or file that carry them
//! (each format's [`Writer`](crate::formats::format::Writer) says how).
//! Where the result goes (a terminal, a QR code, a file) is the caller's.

use crate::error::{ErrorKind, Kinded};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::entries::Entries;
use crate::entry::Entry;
use crate::formats::FormatError;
use crate::formats::format::{Format, Output};
use crate::formats::registry;
use crate::qr::QrError;
use crate::secret::Passphrase;

/// Why nothing was exported.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("there is nothing to export")]
    Nothing,
    #[error(
        "otp does not write the {0} format: export as uri, google or aegis (`otp export --help`)"
    )]
    NotWritten(&'static str),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Qr(#[from] QrError),
}

/// The format `otp export --format NAME` writes.
pub fn format(name: &str) -> Option<&'static Format> {
    registry::writers().find(|f| f.is_named(name))
}

/// The entries a format can carry, and those it cannot with the reason.
pub struct Selection<'a> {
    pub format: &'static Format,
    pub entries: Vec<&'a Entry>,
    pub left_out: Vec<(&'a Entry, &'static str)>,
}

/// Picks what `format` can carry out of `entries`; refuses an export that
/// would carry nothing.
pub fn select<'a>(
    entries: &'a Entries,
    format: &'static Format,
) -> Result<Selection<'a>, ExportError> {
    let writer = format
        .writer
        .as_ref()
        .ok_or(ExportError::NotWritten(format.app))?;
    let mut selection = Selection {
        format,
        entries: Vec::new(),
        left_out: Vec::new(),
    };
    for entry in entries.iter() {
        match (writer.unsupported)(entry) {
            Some(why) => selection.left_out.push((entry, why)),
            None => selection.entries.push(entry),
        }
    }
    if selection.entries.is_empty() {
        return Err(ExportError::Nothing);
    }
    Ok(selection)
}

impl Selection<'_> {
    /// True if the format is a file sealed with a password (Aegis); else
    /// it is texts ([`Selection::texts`]).
    pub fn is_encrypted_file(&self) -> bool {
        matches!(
            self.format.writer.as_ref().map(|w| &w.output),
            Some(Output::EncryptedFile(_))
        )
    }

    /// The texts of a text format: one URI an entry, or Google transfer
    /// URIs each as long as a QR code drawn in an 80-column terminal can
    /// hold. `None` for a file format.
    pub fn texts(&self) -> Option<Vec<Zeroizing<String>>> {
        match &self.format.writer.as_ref()?.output {
            Output::Texts(write) => Some(write(&self.entries, &fits_terminal)),
            Output::EncryptedFile(_) => None,
        }
    }

    /// The file of a file format, sealed with `password`.
    pub fn encrypted_file(&self, password: &Passphrase) -> Result<Zeroizing<Vec<u8>>, ExportError> {
        match &self.format.writer.as_ref().map(|w| &w.output) {
            Some(Output::EncryptedFile(write)) => Ok(write(&self.entries, password)?),
            _ => Err(ExportError::NotWritten(self.format.app)),
        }
    }
}

/// Whether a text fits one QR code on an 80-column terminal; without QR
/// drawing built, any text does (it is printed, not drawn).
fn fits_terminal(text: &str) -> bool {
    #[cfg(feature = "qr")]
    return crate::qr::fits_terminal(text);
    #[cfg(not(feature = "qr"))]
    return {
        let _ = text;
        true
    };
}

impl Kinded for ExportError {
    fn kind(&self) -> ErrorKind {
        match self {
            ExportError::Nothing | ExportError::NotWritten(_) => ErrorKind::Usage,
            ExportError::Format(e) => e.kind(),
            ExportError::Qr(e) => e.kind(),
        }
    }
}
