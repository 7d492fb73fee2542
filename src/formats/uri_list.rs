//! Lists of URIs, one a line: `otpauth://` URIs (Aegis, ente Auth and most
//! apps export these) and Google Authenticator's `otpauth-migration://`
//! transfer lines, in a text file or in the QR codes of a screenshot.
//! Blank lines and `#` comments are skipped. A file without a single URI
//! line is some other app's format, not a list with a bad line.

use zeroize::Zeroizing;

use super::error::FormatError;
use super::format::{Asked, Document, Format, Found, Output, Reader, Shape, Writer};
use super::migration;
use crate::account::Account;
use crate::entry::Entry;
use crate::uri;

pub const FORMAT: Format = Format {
    name: "uri",
    aliases: &[],
    app: "otpauth URI",
    readers: &[
        Reader {
            shape: Shape::Image,
            detect: detect_image,
            read: read_uris,
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Lines,
            detect: detect_uris,
            read: read_uris,
            decrypt: None,
            default_password: None,
        },
    ],
    writer: Some(Writer {
        unsupported: |_| None,
        output: Output::Texts(write),
    }),
};

/// What a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Skip,
    Migration,
    Otpauth,
    Other,
}

fn classify(line: &str) -> Line {
    if line.is_empty() || line.starts_with('#') {
        return Line::Skip;
    }
    let head = line
        .get(..migration::PREFIX.len())
        .unwrap_or(line)
        .to_ascii_lowercase();
    if head.starts_with(migration::PREFIX) {
        Line::Migration
    } else if head.starts_with("otpauth://") {
        Line::Otpauth
    } else {
        Line::Other
    }
}

/// The kinds of URI line in a document, if it is a list of them.
pub fn kinds(doc: &Document) -> Option<(bool, bool)> {
    let lines = doc.lines()?;
    let mut kinds = (false, false);
    for line in lines {
        match classify(line.trim()) {
            Line::Otpauth => kinds.0 = true,
            Line::Migration => kinds.1 = true,
            Line::Skip | Line::Other => {}
        }
    }
    (kinds.0 || kinds.1).then_some(kinds)
}

/// A screenshot: found as this format's when the user left the format to
/// be recognised (both kinds of line are read), or named it and the
/// codes hold no transfer line.
fn detect_image(doc: &Document, asked: Asked) -> Found {
    if !doc.is_image() {
        return Found::No;
    }
    detect_uris(doc, asked)
}

fn detect_uris(doc: &Document, asked: Asked) -> Found {
    match (kinds(doc), asked) {
        (Some(_), Asked::Auto) | (Some((true, false)), Asked::Named) => Found::Plain,
        _ => Found::No,
    }
}

/// The accounts of every URI line: both kinds unless the format was
/// named (`--format uri` then reads only otpauth:// lines, and `--format
/// google` only transfer lines).
fn read_uris(doc: &Document, asked: Asked) -> Result<Vec<Account>, FormatError> {
    read_lines(doc, true, asked == Asked::Auto)
}

/// The accounts of a document's lines; `otpauth` and `migration` say
/// which kinds may be there.
pub fn read_lines(
    doc: &Document,
    otpauth: bool,
    migration: bool,
) -> Result<Vec<Account>, FormatError> {
    let mut accounts = Vec::new();
    for (i, line) in doc.lines().unwrap_or_default().iter().enumerate() {
        let n = i + 1;
        let line = line.trim();
        match classify(line) {
            Line::Skip => {}
            Line::Migration if migration => {
                accounts.extend(migration::parse(line).map_err(|source| {
                    FormatError::MigrationLine {
                        line: n,
                        source: Box::new(source),
                    }
                })?)
            }
            Line::Otpauth if otpauth => accounts
                .push(uri::parse(line).map_err(|source| FormatError::UriLine { line: n, source })?),
            Line::Migration | Line::Otpauth => {
                return Err(FormatError::MixedLines { line: n });
            }
            Line::Other => return Err(FormatError::NotAUri { line: n }),
        }
    }
    Ok(accounts)
}

fn write(entries: &[&Entry], _: &dyn Fn(&str) -> bool) -> Vec<Zeroizing<String>> {
    entries.iter().map(|e| uri::format(e)).collect()
}
