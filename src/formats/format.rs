//! What a format is, as one value ([`Format`]): its `--format` name and
//! aliases, the app that writes it, the shapes its files come in and how
//! each is recognised, read and decrypted ([`Reader`]), and how entries
//! are written in it ([`Writer`]). Each format's module holds its own;
//! [`super::registry::ALL`] lists them.

use zeroize::Zeroizing;

pub use super::document::Document;
use super::error::FormatError;
use crate::account::Account;
use crate::entry::Entry;
use crate::secret::Passphrase;

/// One other app's file format.
pub struct Format {
    /// Its `--format` name.
    pub name: &'static str,
    /// Other names `--format` takes for it.
    pub aliases: &'static [&'static str],
    /// The app, for messages ("Password of the Aegis export").
    pub app: &'static str,
    /// The shapes its files come in; empty for a format otp only writes.
    pub readers: &'static [Reader],
    /// How entries are written in it, for the formats `otp export` writes.
    pub writer: Option<Writer>,
}

impl Format {
    /// True if `name` (any case, `_` for `-`) is this format's name or
    /// one of its aliases.
    pub fn is_named(&self, name: &str) -> bool {
        let wanted = name.to_ascii_lowercase().replace('_', "-");
        self.name == wanted || self.aliases.contains(&wanted.as_str())
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Format({})", self.name)
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name == other.name
    }
}

impl Eq for Format {}

/// Where in the order of recognition a reader looks: shapes that cannot
/// be mistaken first (an image, a container with magic bytes), text that
/// anything could hold last. Within a shape, the order of
/// [`super::registry::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// A PNG or JPEG screenshot of QR codes.
    Image,
    /// A binary container with its own magic bytes: a zip, a Java
    /// serialization stream, Stratum's header.
    Container,
    /// A SQLite database, by its tables.
    Database,
    /// Binary data with nothing else to go by (andOTP's encrypted backup).
    Binary,
    /// A JSON document, by its keys.
    Json,
    /// An Android preferences file (XML), by its keys.
    Xml,
    /// A CSV file, by its header.
    Csv,
    /// One line of base64 (TOTP Authenticator).
    Text,
    /// Lines of URIs.
    Lines,
}

/// Whether a document is a reader's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    No,
    /// Its accounts can be read as they are.
    Plain,
    /// It needs its password first.
    Encrypted,
}

/// Whether the user named the format (`--format NAME`) or left it to be
/// recognised: a named format may accept what could not be told apart
/// otherwise (an old andOTP backup), and may refuse a mix it would accept
/// unnamed (URI lines with Google transfer lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    Auto,
    Named,
}

/// Reads the accounts of a document.
pub type Read = fn(&Document, Asked) -> Result<Vec<Account>, FormatError>;
/// Reads the accounts of an encrypted document with its password.
pub type Decrypt = fn(&Document, &Passphrase) -> Result<Vec<Account>, FormatError>;

/// One shape a format's files come in.
pub struct Reader {
    pub shape: Shape,
    pub detect: fn(&Document, Asked) -> Found,
    /// The accounts of a plain document.
    pub read: Read,
    /// The accounts of an encrypted one, with its password.
    pub decrypt: Option<Decrypt>,
    /// A password the app uses when the user set none: tried before
    /// anyone is asked.
    pub default_password: Option<&'static str>,
}

/// How a format writes entries.
pub struct Writer {
    /// Why an entry cannot be written in the format, if it cannot.
    pub unsupported: fn(&Entry) -> Option<&'static str>,
    pub output: Output,
}

/// Writes entries as texts; told whether a text fits one QR code on an
/// 80-column terminal.
pub type WriteTexts = fn(&[&Entry], &dyn Fn(&str) -> bool) -> Vec<Zeroizing<String>>;
/// Writes entries as a file sealed with a password.
pub type WriteFile = fn(&[&Entry], &Passphrase) -> Result<Zeroizing<Vec<u8>>, FormatError>;

/// What a writer makes.
pub enum Output {
    /// Texts, one QR code each: URIs, Google transfer codes.
    Texts(WriteTexts),
    /// A file encrypted with a password.
    EncryptedFile(WriteFile),
}

/// A JSON reader's detector: `is` says the value is the format's, and
/// `encrypted` whether it needs a password.
pub fn json_found(
    doc: &Document,
    is: fn(&serde_json::Value) -> bool,
    encrypted: fn(&serde_json::Value) -> bool,
) -> Found {
    match doc.json_value() {
        Some(value) if is(value) && encrypted(value) => Found::Encrypted,
        Some(value) if is(value) => Found::Plain,
        _ => Found::No,
    }
}

/// A CSV reader's detector: `is` says the header is the format's. CSV
/// exports are never encrypted.
pub fn csv_found(doc: &Document, is: fn(&csv::StringRecord) -> bool) -> Found {
    match doc.csv_header() {
        Some(header) if is(header) => Found::Plain,
        _ => Found::No,
    }
}

/// For a format that is never encrypted.
pub fn never(_: &serde_json::Value) -> bool {
    false
}
