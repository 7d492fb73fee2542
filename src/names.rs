//! What a name, an issuer or an account may be: the text people read to
//! pick the code they type, and so the text an impersonator forges.
//!
//! Every such text is tidied the same way ([`tidy`]): Unicode NFC, white
//! space trimmed at both ends and each inner run made one space, so that
//! `Amazon`, `Amazon ` and `Amazon` + U+00A0 are one name, and no name can
//! be padded to push a forged code line across the screen. What a person
//! types is refused if it holds a character that cannot be seen or that
//! moves the text around ([`typed`]: controls, format characters such as
//! zero-width spaces, bidi marks, the soft hyphen and tag characters, and
//! private-use characters), naming the position; what another app's file
//! holds is cleaned instead ([`imported`]), since the file cannot be asked
//! again. Both are bounded in length.
//!
//! Two names that look the same are one name too: [`skeleton`] is Unicode
//! TS #39's confusable skeleton (Cyrillic `А` is Latin `A`, `rn` is `m`),
//! which [`crate::entries::Entries`] compares before it takes a new name.
//! A name that mixes scripts in a way no language does is allowed but
//! worth a warning ([`is_mixed_script`]).

use crate::error::{ErrorKind, Kinded};
use std::fmt;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};
use unicode_security::mixed_script::AugmentedScriptSet;

/// The longest name, in characters: room for "Amazon (work, me@example.com)"
/// many times over, and short enough to show on one line.
pub const MAX_NAME: usize = 128;
/// The longest issuer or account, in characters (an email address is at
/// most 254).
pub const MAX_FIELD: usize = 256;

/// Which field of an entry a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Issuer,
    Account,
}

impl Field {
    /// The most characters the field may hold.
    pub fn max_len(self) -> usize {
        match self {
            Field::Name => MAX_NAME,
            Field::Issuer | Field::Account => MAX_FIELD,
        }
    }
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

/// What kind of character a refused one is, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// A control character (C0, C1, DEL) or a line or paragraph separator.
    Control,
    /// A format character: zero-width, bidi mark or override, BOM, soft
    /// hyphen, tag character.
    Format,
    /// A private-use character, which each font draws as it likes.
    PrivateUse,
    /// A letter that is drawn as nothing (the Hangul fillers, the braille
    /// blank).
    Blank,
}

impl fmt::Display for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hidden::Control => "a control character",
            Hidden::Format => "an invisible format character",
            Hidden::PrivateUse => "a private-use character",
            Hidden::Blank => "a character drawn as blank",
        })
    }
}

/// The kind of `c` if no name may hold it; see the module's comment.
pub fn hidden(c: char) -> Option<Hidden> {
    if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
        return Some(Hidden::Control);
    }
    if matches!(
        c,
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
    ) {
        return Some(Hidden::Blank);
    }
    match c.general_category() {
        GeneralCategory::Format => Some(Hidden::Format),
        GeneralCategory::PrivateUse => Some(Hidden::PrivateUse),
        GeneralCategory::Control => Some(Hidden::Control),
        _ => None,
    }
}

/// Why typed text cannot be a name, an issuer or an account.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    #[error(
        "the {field} has {kind} ({code}) at position {position}: names, issuers and accounts are plain text that can be seen; remove it"
    )]
    Hidden {
        field: Field,
        /// 1-based, in characters of what was given.
        position: usize,
        kind: Hidden,
        /// `U+200B` and so on: the character itself cannot be shown.
        code: String,
    },
    #[error("the {field} is {length} characters long: at most {max} are kept; shorten it")]
    TooLong {
        field: Field,
        length: usize,
        max: usize,
    },
    #[error("the name is empty: give the entry a name, such as Amazon")]
    Empty,
}

/// `text` in NFC, trimmed, with every inner run of white space made one
/// space.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.nfc().collect()
}

/// Text a person typed for `field`, tidied; refused if it holds a hidden
/// character (named by its position in `text`), if it is too long, or if a
/// name is empty.
pub fn typed(field: Field, text: &str) -> Result<String, NameError> {
    if let Some((i, c, kind)) = text
        .chars()
        .enumerate()
        .find_map(|(i, c)| hidden(c).map(|kind| (i, c, kind)))
    {
        return Err(NameError::Hidden {
            field,
            position: i + 1,
            kind,
            code: format!("U+{:04X}", u32::from(c)),
        });
    }
    let tidied = tidy(text);
    let length = tidied.chars().count();
    if length > field.max_len() {
        return Err(NameError::TooLong {
            field,
            length,
            max: field.max_len(),
        });
    }
    if field == Field::Name && tidied.is_empty() {
        return Err(NameError::Empty);
    }
    Ok(tidied)
}

/// Text from another app's file or a QR code, made fit to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub text: String,
    /// Hidden characters were replaced with U+FFFD, which shows.
    pub replaced: bool,
    /// It was longer than the field holds and was cut.
    pub cut: bool,
}

/// Text for `field` from a file: hidden characters replaced with U+FFFD,
/// tidied, and cut to the field's length. Never refused: the file cannot
/// be asked again, and the caller warns about what changed.
pub fn imported(field: Field, text: &str) -> Imported {
    let mut replaced = false;
    let visible: String = text
        .chars()
        .map(|c| match hidden(c) {
            Some(_) => {
                replaced = true;
                '\u{FFFD}'
            }
            None => c,
        })
        .collect();
    let tidied = tidy(&visible);
    let max = field.max_len();
    let cut = tidied.chars().count() > max;
    let text = if cut {
        tidy(&tidied.chars().take(max).collect::<String>())
    } else {
        tidied
    };
    Imported {
        text,
        replaced,
        cut,
    }
}

/// True if `text` is what [`imported`] or [`typed`] would keep as it is:
/// the rule a stored entry keeps.
pub fn is_kept_as_is(field: Field, text: &str) -> bool {
    imported(field, text).text == text
}

/// The confusable skeleton of a name, as Unicode TS #39 defines it: two
/// names with one skeleton look alike. Compared as it is written and
/// with its case folded, so that `Аmazon` (Cyrillic) matches `amazon` and
/// `PayPaI` (capital i) matches `PayPal`.
pub fn skeletons(name: &str) -> [String; 2] {
    [
        skeleton(name),
        skeleton(&name.to_lowercase()).to_lowercase(),
    ]
}

/// TS #39's skeleton of `text`. ASCII text (most names) is mapped a
/// character at a time from a table made once, which is the same thing
/// (NFD leaves ASCII as it is) and fast enough to check a new name against
/// 10,000 others.
fn skeleton(text: &str) -> String {
    static ASCII: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        (0u8..128)
            .map(|b| full_skeleton(&char::from(b).to_string()))
            .collect()
    });
    if text.is_ascii() {
        return text
            .bytes()
            .map(|b| ASCII[usize::from(b)].as_str())
            .collect();
    }
    full_skeleton(text)
}

fn full_skeleton(text: &str) -> String {
    unicode_security::confusable_detection::skeleton(text)
        .collect::<String>()
        .nfc()
        .collect()
}

/// True if two names look alike ([`skeletons`]).
pub fn look_alike(a: &str, b: &str) -> bool {
    let (a, b) = (skeletons(a), skeletons(b));
    a[0] == b[0] || a[1] == b[1]
}

/// True if `text` mixes scripts in a way no writing system does: more
/// than one script, beyond Latin with Japanese, Chinese or Korean (the
/// "highly restrictive" level of TS #39). `Amazon 仕事` is fine; `Аmazon`
/// with a Cyrillic `А` is not.
pub fn is_mixed_script(text: &str) -> bool {
    if !AugmentedScriptSet::for_str(text).is_empty() {
        return false;
    }
    let without_latin: String = text
        .chars()
        .filter(|c| c.script() != Script::Latin)
        .collect();
    let rest = AugmentedScriptSet::for_str(&without_latin);
    !(rest.jpan || rest.hanb || rest.kore)
}

impl Kinded for NameError {
    fn kind(&self) -> ErrorKind {
        match self {
            NameError::Hidden { .. } | NameError::TooLong { .. } | NameError::Empty => {
                ErrorKind::Usage
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_looks_like_amazon_is_amazon_or_refused() {
        for same in ["Amazon ", " Amazon", "Amazon\u{A0}", "Amazon\u{3000}"] {
            assert_eq!(typed(Field::Name, same).unwrap(), "Amazon", "{same:?}");
        }
        assert_eq!(typed(Field::Name, "My   Amazon").unwrap(), "My Amazon");
        for (hidden_char, kind) in [
            ('\u{200B}', Hidden::Format),
            ('\u{200E}', Hidden::Format),
            ('\u{200F}', Hidden::Format),
            ('\u{061C}', Hidden::Format),
            ('\u{FEFF}', Hidden::Format),
            ('\u{AD}', Hidden::Format),
            ('\u{E0041}', Hidden::Format),
            ('\u{E000}', Hidden::PrivateUse),
            ('\u{1B}', Hidden::Control),
            ('\u{3164}', Hidden::Blank),
        ] {
            let name = format!("Ama{hidden_char}zon");
            assert_eq!(
                typed(Field::Name, &name),
                Err(NameError::Hidden {
                    field: Field::Name,
                    position: 4,
                    kind,
                    code: format!("U+{:04X}", u32::from(hidden_char)),
                }),
                "{name:?}"
            );
            let kept = imported(Field::Name, &name);
            assert_eq!(kept.text, "Ama\u{FFFD}zon");
            assert!(kept.replaced && !kept.cut);
        }
        assert!(look_alike("Аmazon", "Amazon"), "Cyrillic А");
        assert!(look_alike("аmazon", "Amazon"), "Cyrillic а, other case");
        assert!(look_alike("PayPaI", "PayPal"), "capital i for l");
        assert!(look_alike("arnazon", "amazon"), "rn for m");
        assert!(!look_alike("Amazon", "Amazon AWS"));
        assert!(is_mixed_script("Аmazon"));
        assert!(!is_mixed_script("Amazon 仕事用"));
        assert!(!is_mixed_script("Amazon (work) 2"));
        assert!(!is_mixed_script("Яндекс"));
    }

    #[test]
    fn the_ascii_table_is_the_skeleton() {
        for name in ["Amazon", "PayPaI", "arnazon", "g00gle", "x-1 (2)", "WW W"] {
            assert_eq!(skeleton(name), full_skeleton(name), "{name}");
        }
    }

    #[test]
    fn lengths_are_bounded_and_nfc_is_one_form() {
        let long = "a".repeat(MAX_NAME + 1);
        assert!(matches!(
            typed(Field::Name, &long),
            Err(NameError::TooLong { length: 129, .. })
        ));
        let kept = imported(Field::Name, &"b".repeat(65_536));
        assert_eq!((kept.text.chars().count(), kept.cut), (MAX_NAME, true));
        assert!(typed(Field::Account, &"c".repeat(MAX_FIELD)).is_ok());
        // e + combining acute is é.
        assert_eq!(typed(Field::Name, "Caf\u{65}\u{301}").unwrap(), "Café");
        assert_eq!(typed(Field::Name, "   "), Err(NameError::Empty));
        assert_eq!(typed(Field::Issuer, "").unwrap(), "");
    }
}
