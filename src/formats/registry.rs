//! Every format as one value ([`Format`]): its `--format` name and
//! aliases, the app that writes it, the shapes its files come in and how
//! each is recognised, read and decrypted ([`Reader`]), and how entries
//! are written in it ([`Writer`]). [`ALL`] lists them; `otp import`,
//! `otp export` and their help iterate it. Adding a format is its file and
//! one line here.

use std::cell::OnceCell;

use zeroize::Zeroizing;

use super::prefs::Prefs;
#[cfg(feature = "phone-db")]
use super::sqlite::Database;
use super::{FormatError, Json};
use crate::entry::{Account, Entry};
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
/// anything could hold last. Within a shape, the order of [`ALL`].
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

/// Every format otp reads or writes, in the order in which formats of one
/// shape are tried.
pub const ALL: &[&Format] = &[
    &super::uri_list::FORMAT,
    &super::google::FORMAT,
    &super::aegis::FORMAT,
    &super::twofas::FORMAT,
    &super::proton::FORMAT,
    &super::stratum::FORMAT,
    &super::bitwarden::FORMAT,
    &super::steam::FORMAT,
    &super::freeotp::FORMAT_PLUS,
    &super::duo::FORMAT,
    &super::andotp::FORMAT,
    &super::authy::FORMAT,
    #[cfg(feature = "archives")]
    &super::authplus::FORMAT,
    &super::battlenet::FORMAT,
    &super::freeotp::FORMAT,
    &super::totpauth::FORMAT,
    #[cfg(feature = "phone-db")]
    &super::phone_db::MICROSOFT_FORMAT,
    &super::keepass::FORMAT,
    &super::extract::FORMAT,
];

/// The format `--format` names.
pub fn named(name: &str) -> Option<&'static Format> {
    ALL.iter().copied().find(|f| f.is_named(name))
}

/// Every name `--format` takes, for help and completion.
pub fn names() -> Vec<&'static str> {
    ALL.iter()
        .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
        .collect()
}

/// The formats `otp export` writes.
pub fn writers() -> impl Iterator<Item = &'static Format> {
    ALL.iter().copied().filter(|f| f.writer.is_some())
}

/// Every reader with its format, in the order of recognition.
pub fn readers() -> Vec<(&'static Format, &'static Reader)> {
    let mut all: Vec<(&'static Format, &'static Reader)> = ALL
        .iter()
        .flat_map(|f| f.readers.iter().map(move |r| (*f, r)))
        .collect();
    // Stable: formats of one shape keep the order of ALL.
    all.sort_by_key(|(_, r)| r.shape);
    all
}

/// An export file, parsed as far as each reader needs and no further,
/// and once: a JSON document is parsed once however many formats look at
/// it.
pub struct Document<'a> {
    bytes: &'a [u8],
    json: OnceCell<Option<Json>>,
    prefs: OnceCell<Option<Prefs>>,
    #[cfg(feature = "phone-db")]
    database: OnceCell<Option<Database>>,
    csv_header: OnceCell<Option<csv::StringRecord>>,
    lines: OnceCell<Option<Vec<Zeroizing<String>>>>,
    /// Read from the QR codes of an image.
    image: bool,
}

impl<'a> Document<'a> {
    /// A document of `bytes` (a leading UTF-8 byte-order mark dropped).
    pub fn new(bytes: &'a [u8]) -> Document<'a> {
        Document {
            bytes: bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
            json: OnceCell::new(),
            prefs: OnceCell::new(),
            #[cfg(feature = "phone-db")]
            database: OnceCell::new(),
            csv_header: OnceCell::new(),
            lines: OnceCell::new(),
            image: false,
        }
    }

    /// A screenshot (`bytes`) and the texts of its QR codes, read as lines.
    pub fn of_image(bytes: &'a [u8], texts: Vec<Zeroizing<String>>) -> Document<'a> {
        let doc = Document {
            image: true,
            ..Document::new(bytes)
        };
        let _ = doc.lines.set(Some(texts));
        doc
    }

    /// True for a screenshot's QR codes.
    pub fn is_image(&self) -> bool {
        self.image
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The document as text, if it is UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes).ok()
    }

    /// The first character that is not white space.
    fn first_char(&self) -> Option<char> {
        self.text()?.trim_start().chars().next()
    }

    /// The document as JSON, if it is an object or array.
    pub fn json(&self) -> Option<&Json> {
        self.json
            .get_or_init(|| {
                matches!(self.first_char(), Some('{' | '['))
                    .then(|| Json::parse(self.bytes))
                    .flatten()
            })
            .as_ref()
    }

    /// The JSON value, for detectors.
    pub fn json_value(&self) -> Option<&serde_json::Value> {
        self.json().map(Json::value)
    }

    /// The document as an Android preferences file.
    pub fn prefs(&self) -> Option<&Prefs> {
        self.prefs
            .get_or_init(|| {
                (self.first_char() == Some('<'))
                    .then(|| Prefs::parse(self.text()?))
                    .flatten()
            })
            .as_ref()
    }

    /// The document as a SQLite database.
    #[cfg(feature = "phone-db")]
    pub fn database(&self) -> Option<&Database> {
        self.database
            .get_or_init(|| Database::load(self.bytes))
            .as_ref()
    }

    /// The header of a CSV document (text that is not JSON or XML, with
    /// more than one column).
    pub fn csv_header(&self) -> Option<&csv::StringRecord> {
        self.csv_header
            .get_or_init(|| {
                if matches!(self.first_char(), None | Some('{' | '[' | '<')) {
                    return None;
                }
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(self.text()?.as_bytes())
                    .records()
                    .next()
                    .and_then(Result::ok)
                    .filter(|h| h.len() > 1)
            })
            .as_ref()
    }

    /// The lines of the document: of its text, or the texts of the QR
    /// codes of an image.
    pub fn lines(&self) -> Option<&[Zeroizing<String>]> {
        self.lines
            .get_or_init(|| {
                let text = self.text()?;
                Some(
                    text.lines()
                        .map(|l| Zeroizing::new(l.to_string()))
                        .collect(),
                )
            })
            .as_deref()
    }

    /// The document as JSON, for a reader whose detector found it so.
    pub fn require_json(&self, app: &'static str) -> Result<&Json, FormatError> {
        self.json().ok_or(FormatError::Malformed {
            app,
            part: "document",
            problem: super::Problem::NotJson,
        })
    }

    /// The document as a preferences file, likewise.
    pub fn require_prefs(&self, app: &'static str) -> Result<&Prefs, FormatError> {
        self.prefs().ok_or(FormatError::Malformed {
            app,
            part: "document",
            problem: super::Problem::NotValid,
        })
    }

    /// The document as text, likewise.
    pub fn require_text(&self, app: &'static str) -> Result<&'a str, FormatError> {
        self.text().ok_or(FormatError::Malformed {
            app,
            part: "document",
            problem: super::Problem::NotValid,
        })
    }

    /// The document as a database, likewise.
    #[cfg(feature = "phone-db")]
    pub fn require_database(&self, app: &'static str) -> Result<&Database, FormatError> {
        self.database().ok_or(FormatError::Malformed {
            app,
            part: "database",
            problem: super::Problem::Unreadable,
        })
    }
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

/// For a format that is never encrypted.
pub fn never(_: &serde_json::Value) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_format_can_be_named() {
        let all = names();
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        for format in ALL {
            assert_eq!(named(format.name), Some(*format));
            assert_eq!(named(&format.name.to_uppercase()), Some(*format));
        }
        assert!(named("authenticator_pro").is_some_and(|f| f.name == "stratum"));
    }
}
