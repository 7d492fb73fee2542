//! Text from a vault or another app's file, on its way to a terminal.
//!
//! A name, issuer or account could hold a control character or a bidi
//! override that, printed raw, moves the cursor, hides what follows, sets
//! the window title or makes a fake code line. New text is checked or
//! cleaned ([`crate::names`]); and everything printed from a vault is
//! escaped ([`Escaped`], [`to_json`]), so that a vault written by an older
//! version cannot inject either, and measured in terminal columns
//! ([`width`], [`fit`], [`fit_columns`]) so that a long name cannot push a
//! table off the screen. This module also describes bad input without
//! repeating it ([`describe`]), since the input may hold a secret.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;

use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// True for a character that must not reach a terminal raw: one that
/// moves the cursor or the text (controls, bidi marks and overrides) or
/// that cannot be seen (zero-width and other format characters,
/// private-use characters, blank letters). The same set no name may hold:
/// see [`crate::names::hidden`].
pub fn is_forbidden(c: char) -> bool {
    crate::names::hidden(c).is_some()
}

/// The columns `text` takes on a terminal (East Asian wide characters take
/// two, combining marks none).
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` terminal columns, ending in `…` when cut.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(max + 3);
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max.saturating_sub(1) {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Column widths that fit `available` columns: each column's `natural`
/// width, with the widest ones narrowed first, one column at a time, but
/// none below its `min`. When even the minimums do not fit, the minimums.
pub fn fit_columns(natural: &[usize], min: &[usize], available: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let mut total: usize = widths.iter().sum();
    while total > available {
        // The widest that can still give way; the first of equals.
        let widest = (0..widths.len())
            .filter(|&i| widths[i] > min[i])
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        let Some(i) = widest else { break };
        widths[i] -= 1;
        total -= 1;
    }
    widths
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

/// A path as it is printed in messages and prompts: its file names may
/// hold anything a sync tool or another user put there, so escaped as
/// [`Escaped`] escapes text (and lossily decoded where not UTF-8).
pub struct ShownPath<'a>(pub &'a std::path::Path);

impl fmt::Display for ShownPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped(&self.0.to_string_lossy()).fmt(f)
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
        use crate::names::{self, Field, Hidden, NameError};
        assert_eq!(
            names::typed(Field::Issuer, HOSTILE),
            Err(NameError::Hidden {
                field: Field::Issuer,
                position: 5,
                kind: Hidden::Control,
                code: "U+000A".into()
            })
        );
        assert!(names::typed(Field::Name, "Amazon.co.jp (仕事) — ü").is_ok());
        let cleaned = names::imported(Field::Issuer, HOSTILE);
        assert!(!cleaned.text.chars().any(is_forbidden));
        assert_eq!(cleaned.text.chars().filter(|&c| c == '\u{FFFD}').count(), 5);
        let shown = Escaped(HOSTILE).to_string();
        assert!(!shown.chars().any(is_forbidden), "{shown}");
        assert!(shown.contains("\\u{1b}[8m") && shown.contains("\\u{202e}"));
        let invisible = Escaped("Amazon\u{200b}").to_string();
        assert_eq!(invisible, "Amazon\\u{200b}", "an invisible character shows");
    }

    #[test]
    fn columns_are_counted_as_the_terminal_draws_them() {
        assert_eq!(width("仕事"), 4);
        assert_eq!(fit("Amazon Web Services", 10), "Amazon We…");
        assert_eq!(fit("仕事用アカウント", 7), "仕事用…");
        assert_eq!(fit("Amazon", 6), "Amazon");
        // The widest column gives way first, none below its minimum.
        assert_eq!(fit_columns(&[10, 40, 6], &[4, 4, 6], 30), [10, 14, 6]);
        assert_eq!(fit_columns(&[30, 30], &[4, 4], 40), [20, 20]);
        assert_eq!(fit_columns(&[30, 30], &[20, 20], 10), [20, 20]);
        assert_eq!(fit_columns(&[3, 5], &[6, 6], 80), [3, 5]);
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
