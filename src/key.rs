//! Setup keys as people paste or type them.
//!
//! Sites show the key in base32, usually grouped (Amazon: 52 characters in
//! thirteen groups of four). People copy it with spaces, hyphens, lower case,
//! `=` padding or a stray newline, and retype it with look-alike mistakes.
//! [`parse`] accepts every harmless variation and names the exact character
//! when one is wrong.

use crate::error::{ErrorKind, Kinded};
use std::sync::LazyLock;

use data_encoding::{BASE32_NOPAD, Encoding, Specification};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// Why a setup key was refused. Messages name the character and its
/// 1-based position in the text as the user gave it, never the key itself.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the key is empty: paste the setup key the site shows (letters A-Z and digits 2-7)")]
    Empty,
    #[error(
        "the key has an invalid character {ch:?} at position {position}{}: a setup key uses only the letters A-Z and the digits 2-7; correct it and try again",
        lookalike_hint(*.ch)
    )]
    InvalidCharacter { ch: char, position: usize },
    #[error("the key is too short to hold a single byte: copy the whole setup key from the site")]
    TooShort,
    #[error(
        "the key looks cut short or has an extra character ({0} letters and digits, a length no key has): copy the whole setup key from the site again"
    )]
    ImpossibleLength(usize),
}

/// Base32 has no 0, 1, 8 or 9 because they look like O, I, B and g.
fn lookalike_hint(ch: char) -> &'static str {
    match ch {
        '0' => " (base32 has no zero: did you mean the letter O?)",
        '1' => " (base32 has no one: did you mean the letter I?)",
        '8' => " (base32 has no eight: did you mean the letter B?)",
        '9' => " (base32 has no nine: check this character against the site)",
        _ => "",
    }
}

/// RFC 4648 base32 that ignores the unused bits at the end of the last
/// character. Amazon's 52-character keys end in 4 such bits; a strict decoder
/// (data-encoding's `BASE32_NOPAD`) would reject them.
static LENIENT_BASE32: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.check_trailing_bits = false;
    spec.encoding().expect("a valid base32 specification")
});

/// Parses a setup key: whitespace and hyphens anywhere are dropped, case is
/// folded, trailing `=` padding is optional, and any length that carries at
/// least one byte is accepted.
pub fn parse(input: &str) -> Result<Secret, KeyError> {
    let mut symbols = Zeroizing::new(String::with_capacity(input.len()));
    let mut padding_from = None;
    for (index, ch) in input.chars().enumerate() {
        let position = index + 1;
        if ch.is_whitespace() || ch == '-' {
            continue;
        }
        if ch == '=' {
            padding_from.get_or_insert(position);
            continue;
        }
        let upper = ch.to_ascii_uppercase();
        if padding_from.is_some() || !matches!(upper, 'A'..='Z' | '2'..='7') {
            // A symbol after padding is as wrong as a symbol outside the
            // alphabet; report the first offending character.
            let (ch, position) = match padding_from {
                Some(p) if matches!(upper, 'A'..='Z' | '2'..='7') => ('=', p),
                _ => (ch, position),
            };
            return Err(KeyError::InvalidCharacter { ch, position });
        }
        symbols.push(upper);
    }
    if symbols.is_empty() {
        return Err(KeyError::Empty);
    }
    // No number of bytes encodes to 1, 3 or 6 characters modulo 8: such a
    // key lost a character or gained one (a 52-character Amazon key
    // pasted without its last character has 51), and a decoder that
    // dropped the odd character would store a wrong secret.
    if symbols.len() > 1 && matches!(symbols.len() % 8, 1 | 3 | 6) {
        return Err(KeyError::ImpossibleLength(symbols.len()));
    }
    let text = symbols.as_bytes();
    let len = LENIENT_BASE32
        .decode_len(text.len())
        .map_err(|_| KeyError::TooShort)?;
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    let written = LENIENT_BASE32
        .decode_mut(text, &mut bytes)
        .map_err(|_| KeyError::TooShort)?;
    if written == 0 {
        return Err(KeyError::TooShort);
    }
    bytes.truncate(written);
    Ok(Secret::new(std::mem::take(&mut *bytes)))
}

/// Unpadded upper-case base32, as otpauth URIs and phone apps expect.
pub fn encode(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(vec![0u8; BASE32_NOPAD.encode_len(bytes.len())]);
    BASE32_NOPAD.encode_mut(bytes, &mut out);
    // The alphabet is ASCII, so this cannot fail; fall back to empty rather
    // than panic.
    Zeroizing::new(String::from_utf8(std::mem::take(&mut *out)).unwrap_or_default())
}

/// A secret as unpadded upper-case base32.
pub fn to_base32(secret: &Secret) -> Zeroizing<String> {
    encode(secret.expose())
}

/// Serde for a [`Secret`] field written as base32, as the vault's payload
/// and other apps' JSON exports hold it: `#[serde(with = "key::base32")]`.
/// Reading is as lenient as [`parse`] (spaces, case, padding), which the
/// vault spec states.
pub mod base32 {
    use serde::{Deserializer, Serializer, de};

    use crate::secret::Secret;

    pub fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::to_base32(secret))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        struct Base32;
        impl de::Visitor<'_> for Base32 {
            type Value = Secret;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base32 secret")
            }
            // Borrowed from the decrypted buffer where the format allows,
            // so that no unwiped copy is made.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Secret, E> {
                super::parse(v).map_err(|_| E::custom("invalid base32 secret"))
            }
        }
        deserializer.deserialize_str(Base32)
    }

    /// [`deserialize`], with a text that is not a base32 secret read as
    /// `None`, so that the format can name the entry it belongs to instead
    /// of refusing the whole file as damaged.
    pub mod or_none {
        use serde::{Deserializer, Serializer, de};

        use crate::secret::Secret;

        pub fn serialize<S: Serializer>(
            secret: &Option<Secret>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match secret {
                Some(secret) => super::serialize(secret, serializer),
                None => serializer.serialize_str(""),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Secret>, D::Error> {
            struct Base32;
            impl de::Visitor<'_> for Base32 {
                type Value = Option<Secret>;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a base32 secret")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Secret>, E> {
                    Ok(crate::key::parse(v).ok())
                }
            }
            deserializer.deserialize_str(Base32)
        }
    }
}

impl Kinded for KeyError {
    fn kind(&self) -> ErrorKind {
        match self {
            KeyError::Empty
            | KeyError::InvalidCharacter { .. }
            | KeyError::TooShort
            | KeyError::ImpossibleLength(_) => ErrorKind::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAZON_GROUPED: &str = "N4OP SGLF 7HZP EQ3R 4ZZK SWUM Y6PR 5TDG N7LX P4X7 SA7Z 2ECH 47XA";
    const AMAZON_HEX: &str = "6f1cf91965f9f2f24371e672a95a8cc79f1ecc666fd777f2ff903f9d1047e7ee";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn amazon_key_in_every_pasted_form() {
        let forms = [
            AMAZON_GROUPED.to_string(),
            AMAZON_GROUPED.to_lowercase(),
            AMAZON_GROUPED.replace(' ', ""),
            AMAZON_GROUPED.replace(' ', "-"),
            format!("{}====\n", AMAZON_GROUPED.replace(' ', "")),
            format!("  {}\r\n", AMAZON_GROUPED.replace(' ', "\t")),
        ];
        for form in forms {
            let secret = parse(&form).unwrap();
            assert_eq!(hex(secret.expose()), AMAZON_HEX, "form {form:?}");
            assert_eq!(secret.bits(), 256);
        }
    }

    #[test]
    fn rfc4648_vectors_decode() {
        for (text, plain) in [
            ("MY", "f"),
            ("MZXQ", "fo"),
            ("MZXW6", "foo"),
            ("MZXW6YQ", "foob"),
            ("MZXW6YTB", "fooba"),
            ("MZXW6YTBOI======", "foobar"),
        ] {
            assert_eq!(parse(text).unwrap().expose(), plain.as_bytes(), "{text}");
        }
    }

    #[test]
    fn lengths_with_a_dangling_character_are_refused() {
        // "MZXW6YTBO" is "fooba" plus one character no encoder writes:
        // a key that gained one, or lost one, is refused, not decoded
        // into another secret.
        assert_eq!(parse("MZXW6YTBO"), Err(KeyError::ImpossibleLength(9)));
        assert_eq!(parse("MZX"), Err(KeyError::ImpossibleLength(3)));
        assert_eq!(parse("MZXW6Y"), Err(KeyError::ImpossibleLength(6)));
    }

    #[test]
    fn lookalikes_are_named_with_position_and_hint() {
        for (input, ch, position, hint) in [
            ("N4OP SGLF 0HZP", '0', 11, "letter O"),
            ("n4op1", '1', 5, "letter I"),
            ("N4O8", '8', 4, "letter B"),
        ] {
            let err = parse(input).unwrap_err();
            assert_eq!(err, KeyError::InvalidCharacter { ch, position });
            assert!(err.to_string().contains(hint), "{err}");
            assert!(err.to_string().contains(&format!("position {position}")));
        }
    }

    #[test]
    fn other_bad_input_is_refused() {
        assert_eq!(parse(""), Err(KeyError::Empty));
        assert_eq!(parse("  - \n"), Err(KeyError::Empty));
        assert_eq!(parse("A"), Err(KeyError::TooShort));
        // An Amazon key with its last character lost, or one too many.
        let amazon: String = AMAZON_GROUPED.split_whitespace().collect();
        assert_eq!(amazon.len(), 52);
        assert_eq!(parse(&amazon[..51]), Err(KeyError::ImpossibleLength(51)));
        assert_eq!(
            parse(&format!("{amazon}AA")),
            Err(KeyError::ImpossibleLength(54))
        );
        assert_eq!(parse(&amazon[..49]), Err(KeyError::ImpossibleLength(49)));
        for fine in [2, 4, 5, 7, 8, 16, 26, 32, 52] {
            assert!(parse(&amazon[..fine]).is_ok(), "{fine}");
        }
        assert_eq!(
            parse("AB=CD"),
            Err(KeyError::InvalidCharacter {
                ch: '=',
                position: 3
            })
        );
        assert_eq!(
            parse("ABCDé"),
            Err(KeyError::InvalidCharacter {
                ch: 'é',
                position: 5
            })
        );
    }

    #[test]
    fn serde_round_trips_as_base32() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Field(#[serde(with = "base32")] Secret);
        let secret = Secret::new(b"Hello!\xde\xad\xbe\xef".to_vec());
        let json = serde_json::to_string(&Field(secret.clone())).unwrap();
        assert_eq!(json, "\"JBSWY3DPEHPK3PXP\"");
        let back: Field = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, secret);
    }

    #[test]
    fn encode_is_the_inverse() {
        let secret = parse(AMAZON_GROUPED).unwrap();
        assert_eq!(
            parse(&encode(secret.expose())).unwrap().expose(),
            secret.expose()
        );
    }
}
