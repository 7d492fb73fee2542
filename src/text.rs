//! Text from a vault or another app's file, on its way to a terminal.
//!
//! A name, issuer or account could hold a control character or a bidi
//! override that, printed raw, moves the cursor, hides what follows, sets
//! the window title or makes a fake code line. New text is checked
//! ([`check`]) or cleaned ([`clean`]); and everything printed from a vault
//! is escaped ([`Escaped`], [`to_json`]), so that a vault written by an
//! older version cannot inject either. This module also describes bad
//! input without repeating it ([`describe`]), since the input may hold a
//! secret.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;

use serde::Serialize;
use thiserror::Error;

/// True for a character no name may hold: C0 and C1 controls and DEL
/// (Unicode's Cc), the line and paragraph separators, and the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Which field of an entry held a forbidden character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Issuer,
    Account,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Name => "name",
            Field::Issuer => "issuer",
            Field::Account => "account",
        })
    }
}

/// A forbidden character in text a person gave.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "the {field} has a control or text-direction character ({code}) at position {position}: names, issuers and accounts are plain text; remove it"
)]
pub struct ForbiddenChar {
    pub field: Field,
    /// 1-based, in characters.
    pub position: usize,
    /// `U+001B` and so on: the character itself cannot be shown.
    pub code: String,
}

/// Refuses `text` if it holds a forbidden character.
pub fn check(field: Field, text: &str) -> Result<(), ForbiddenChar> {
    match text.chars().enumerate().find(|(_, c)| is_forbidden(*c)) {
        Some((i, c)) => Err(ForbiddenChar {
            field,
            position: i + 1,
            code: format!("U+{:04X}", u32::from(c)),
        }),
        None => Ok(()),
    }
}

/// `text` with every forbidden character replaced by U+FFFD, the
/// replacement character, for text read from a file or a QR code.
pub fn clean(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_forbidden) {
        Cow::Owned(
            text.chars()
                .map(|c| if is_forbidden(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Displays text with every forbidden character escaped as `\u{1b}`:
/// the way anything from a vault is printed.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if is_forbidden(c) {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Like `{:?}` for a string (quoted), but escaping exactly the forbidden
/// characters, for names in messages.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", Escaped(self.0))
    }
}

/// `value` as pretty JSON in which forbidden characters are written as
/// `\uXXXX` escapes too (JSON itself escapes only C0 controls, so DEL, C1
/// controls and bidi overrides would otherwise reach the terminal raw).
pub fn to_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    let formatter = SafeFormatter(serde_json::ser::PrettyFormatter::new());
    value.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    // serde_json writes only UTF-8.
    String::from_utf8(out).map_err(|e| serde_json::Error::io(io::Error::other(e)))
}

struct SafeFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for SafeFormatter<'_> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        for c in fragment.chars() {
            if is_forbidden(c) {
                write!(writer, "\\u{:04x}", u32::from(c))?;
            } else {
                let mut buf = [0u8; 4];
                writer.write_all(c.encode_utf8(&mut buf).as_bytes())?;
            }
        }
        Ok(())
    }

    // Pretty-printing is the inner formatter's.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Describes input that was refused without repeating any of it (it may
/// hold a secret): its length and the first character that is not
/// `expected`, by position and kind.
pub fn describe(value: &str, expected: impl Fn(char) -> bool) -> String {
    let length = value.chars().count();
    match value.chars().enumerate().find(|(_, c)| !expected(*c)) {
        Some((i, c)) => format!("{length} characters; character {} is {}", i + 1, kind_of(c)),
        None => format!("{length} characters"),
    }
}

/// What a character is, in words; ASCII punctuation (never part of a
/// base32 secret) is shown as itself.
pub fn kind_of(c: char) -> String {
    if c.is_ascii_punctuation() {
        format!("'{c}'")
    } else if c.is_alphabetic() {
        "a letter".into()
    } else if c.is_numeric() {
        "a digit".into()
    } else if c.is_whitespace() {
        "white space".into()
    } else if is_forbidden(c) {
        format!("the control character U+{:04X}", u32::from(c))
    } else {
        format!("the character U+{:04X}", u32::from(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "Shop\n000000  Amazon\u{1b}[8m\u{202e}\u{9b}\u{7f}";

    #[test]
    fn forbidden_characters_are_refused_cleaned_and_escaped() {
        assert_eq!(
            check(Field::Issuer, HOSTILE),
            Err(ForbiddenChar {
                field: Field::Issuer,
                position: 5,
                code: "U+000A".into()
            })
        );
        assert!(check(Field::Name, "Amazon.co.jp (仕事) — ü").is_ok());
        let cleaned = clean(HOSTILE);
        assert!(!cleaned.chars().any(is_forbidden));
        assert_eq!(cleaned.chars().filter(|&c| c == '\u{FFFD}').count(), 5);
        let shown = Escaped(HOSTILE).to_string();
        assert!(!shown.chars().any(is_forbidden), "{shown}");
        assert!(shown.contains("\\u{1b}[8m") && shown.contains("\\u{202e}"));
    }

    #[test]
    fn json_escapes_what_json_leaves_raw() {
        let json = to_json(&[HOSTILE]).unwrap();
        // The pretty printer's own line breaks are the only control bytes.
        assert!(!json.lines().any(|l| l.chars().any(is_forbidden)), "{json}");
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [HOSTILE]);
    }

    #[test]
    fn descriptions_never_repeat_letters_or_digits() {
        let said = describe("8secret=JBSWY3DPEHPK3PXP", |c| c.is_ascii_digit());
        assert_eq!(said, "24 characters; character 2 is a letter");
        assert_eq!(describe("12", |c| c.is_ascii_digit()), "2 characters");
        assert_eq!(kind_of('='), "'='");
    }
}
