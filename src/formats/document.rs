//! An export file as the readers see it.

use std::cell::OnceCell;

use zeroize::Zeroizing;

use super::error::{FormatError, Problem};
use super::json::Json;
use super::prefs::Prefs;
#[cfg(feature = "phone-db")]
use super::sqlite::Database;

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
            problem: Problem::NotJson,
        })
    }

    /// The document as a preferences file, likewise.
    pub fn require_prefs(&self, app: &'static str) -> Result<&Prefs, FormatError> {
        self.prefs().ok_or(FormatError::Malformed {
            app,
            part: "document",
            problem: Problem::NotValid,
        })
    }

    /// The document as text, likewise.
    pub fn require_text(&self, app: &'static str) -> Result<&'a str, FormatError> {
        self.text().ok_or(FormatError::Malformed {
            app,
            part: "document",
            problem: Problem::NotValid,
        })
    }

    /// The document as a database, likewise.
    #[cfg(feature = "phone-db")]
    pub fn require_database(&self, app: &'static str) -> Result<&Database, FormatError> {
        self.database().ok_or(FormatError::Malformed {
            app,
            part: "database",
            problem: Problem::Unreadable,
        })
    }
}
