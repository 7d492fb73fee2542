//! The paper recovery key: 128 random bits that open the vault when the
//! passphrase is forgotten.
//!
//! It is written for people to copy by hand: 28 characters of Crockford's
//! base32 (digits and capital letters without I, L, O and U, so `0`/`O`
//! and `1`/`I`/`L` read the same), in seven groups of four:
//!
//! ```text
//! 7K3M-Q9XD-2PWA-HT6F-ZB0R-E4VN-C8J5
//! ```
//!
//! 26 characters carry the 16 bytes of the key; the last two are check
//! characters of a Reed-Solomon code over GF(32), which finds any single
//! mistyped character and says which one ("character 13 looks wrong"), and
//! tells two or more from a wrong key. Spaces, hyphens and case do not
//! matter when it is typed back.

use std::sync::LazyLock;

use data_encoding::{Encoding, Specification};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::crypto;

/// The key's bytes.
pub const KEY_BYTES: usize = 16;
/// Characters that carry the key (26 × 5 = 130 bits).
const DATA: usize = 26;
/// Check characters.
const CHECK: usize = 2;
/// Characters in all, as written.
pub const LENGTH: usize = DATA + CHECK;

/// A recovery key. Wiped on drop; never in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryKey(Zeroizing<[u8; KEY_BYTES]>);

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

/// Why typed text is not a recovery key. Never quotes what was typed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecoveryKeyError {
    #[error("the recovery key is empty: type the 28 characters written on your paper")]
    Empty,
    #[error(
        "the recovery key has {0} characters, not 28: check that you typed all seven groups of four"
    )]
    Length(usize),
    #[error(
        "character {position} of the recovery key is not one a recovery key uses ({kind}): check it against your paper"
    )]
    NotBase32 { position: usize, kind: String },
    #[error("character {0} of the recovery key looks wrong: check it against your paper")]
    Typo(usize),
    #[error(
        "more than one character of the recovery key looks wrong: check it against your paper, group by group"
    )]
    Garbled,
}

/// Crockford's base32: `0`–`9`, `A`–`Z` without I, L, O, U. (What is
/// typed is normalised first; see [`normalise`].)
static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    spec.check_trailing_bits = false;
    spec.encoding().expect("a valid base32 specification")
});

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl RecoveryKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> RecoveryKey {
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        crypto::fill_random(key.as_mut());
        RecoveryKey(key)
    }

    pub fn expose(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// The key as written on paper: seven groups of four.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut symbols = Zeroizing::new(CROCKFORD.encode(self.expose()).into_bytes());
        let data: Vec<u8> = symbols.iter().map(|&c| value(c)).collect();
        let data = Zeroizing::new(data);
        for check in rs::check(&data) {
            symbols.push(ALPHABET[usize::from(check)]);
        }
        let mut out = Zeroizing::new(String::with_capacity(LENGTH + LENGTH / 4));
        for (i, c) in symbols.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(*c));
        }
        out
    }

    /// The key typed back: spaces, hyphens and case do not matter, nor do
    /// the look-alikes Crockford's alphabet leaves out.
    pub fn parse(typed: &str) -> Result<RecoveryKey, RecoveryKeyError> {
        let mut symbols = Zeroizing::new(Vec::with_capacity(LENGTH));
        let mut position = 0;
        for c in typed.chars() {
            if c.is_whitespace() || c == '-' {
                continue;
            }
            position += 1;
            let symbol = u8::try_from(c)
                .ok()
                .map(normalise)
                .filter(|s| ALPHABET.contains(s));
            match symbol {
                Some(s) => symbols.push(value(s)),
                None => {
                    return Err(RecoveryKeyError::NotBase32 {
                        position,
                        kind: crate::text::kind_of(c),
                    });
                }
            }
        }
        match symbols.len() {
            0 => return Err(RecoveryKeyError::Empty),
            LENGTH => {}
            n => return Err(RecoveryKeyError::Length(n)),
        }
        match rs::correct(&mut symbols) {
            rs::Checked::Valid => {}
            rs::Checked::OneError(i) => return Err(RecoveryKeyError::Typo(i + 1)),
            rs::Checked::Garbled => return Err(RecoveryKeyError::Garbled),
        }
        let text = Zeroizing::new(
            symbols[..DATA]
                .iter()
                .map(|&v| ALPHABET[usize::from(v)])
                .collect::<Vec<u8>>(),
        );
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        CROCKFORD
            .decode_mut(&text, key.as_mut())
            .map_err(|_| RecoveryKeyError::Garbled)?;
        Ok(RecoveryKey(key))
    }
}

/// A typed symbol in the alphabet's own form (upper case, look-alikes
/// replaced).
fn normalise(c: u8) -> u8 {
    match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    }
}

/// A symbol's value, 0 to 31.
fn value(c: u8) -> u8 {
    ALPHABET.iter().position(|&a| a == c).unwrap_or(0) as u8
}

/// Reed-Solomon over GF(32) (x^5 + x^2 + 1), two check symbols, generator
/// (x - α)(x - α²): a single wrong symbol is found and located; two or more
/// are seen as such with high probability. Symbols are in writing order,
/// the first the highest power.
mod rs {
    const POLY: u16 = 0b100101;

    /// exp[i] = α^i; log[α^i] = i.
    struct Tables {
        exp: [u8; 62],
        log: [u8; 32],
    }

    const TABLES: Tables = {
        let mut exp = [0u8; 62];
        let mut log = [0u8; 32];
        let mut x: u16 = 1;
        let mut i = 0;
        while i < 31 {
            exp[i] = x as u8;
            exp[i + 31] = x as u8;
            log[x as usize] = i as u8;
            x <<= 1;
            if x & 0b100000 != 0 {
                x ^= POLY;
            }
            i += 1;
        }
        Tables { exp, log }
    };

    fn mul(a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            return 0;
        }
        TABLES.exp
            [usize::from(TABLES.log[usize::from(a)]) + usize::from(TABLES.log[usize::from(b)])]
    }

    fn div(a: u8, b: u8) -> u8 {
        if a == 0 {
            return 0;
        }
        let (la, lb) = (TABLES.log[usize::from(a)], TABLES.log[usize::from(b)]);
        TABLES.exp[(usize::from(la) + 31 - usize::from(lb)) % 31]
    }

    /// The polynomial whose coefficients are `symbols` (first = highest
    /// power), at x = α^k.
    fn eval(symbols: &[u8], k: usize) -> u8 {
        let x = TABLES.exp[k % 31];
        symbols.iter().fold(0, |acc, &s| mul(acc, x) ^ s)
    }

    /// The two check symbols of `data`: the remainder of data·x² divided by
    /// the generator g(x) = x² + g1·x + g0.
    pub fn check(data: &[u8]) -> [u8; 2] {
        let (a1, a2) = (TABLES.exp[1], TABLES.exp[2]);
        let g1 = a1 ^ a2;
        let g0 = mul(a1, a2);
        let mut r = [0u8; 2];
        for &d in data {
            let f = d ^ r[0];
            r[0] = r[1] ^ mul(f, g1);
            r[1] = mul(f, g0);
        }
        r
    }

    pub enum Checked {
        Valid,
        /// The index (0-based, in writing order) of the one wrong symbol.
        OneError(usize),
        Garbled,
    }

    /// Checks a codeword; a single error is located (and corrected in
    /// place, though the caller only reports it).
    pub fn correct(word: &mut [u8]) -> Checked {
        let s1 = eval(word, 1);
        let s2 = eval(word, 2);
        if s1 == 0 && s2 == 0 {
            return Checked::Valid;
        }
        if s1 == 0 || s2 == 0 {
            return Checked::Garbled;
        }
        // One error e at power p: s1 = e·α^p, s2 = e·α^2p, so α^p = s2/s1.
        let x = div(s2, s1);
        let p = usize::from(TABLES.log[usize::from(x)]);
        let n = word.len();
        if p >= n {
            return Checked::Garbled;
        }
        let e = div(mul(s1, s1), s2);
        let index = n - 1 - p;
        word[index] ^= e;
        Checked::OneError(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_in_every_typed_form() {
        for _ in 0..50 {
            let key = RecoveryKey::generate();
            let text = key.to_text();
            assert_eq!(text.len(), LENGTH + 6);
            assert_eq!(text.split('-').count(), 7);
            for typed in [
                text.to_string(),
                text.to_lowercase(),
                text.replace('-', " "),
                text.replace('-', ""),
                text.replace('0', "O").replace('1', "l"),
            ] {
                assert_eq!(RecoveryKey::parse(&typed).unwrap(), key, "{typed}");
            }
        }
    }

    #[test]
    fn every_single_mistyped_character_is_located() {
        let key = RecoveryKey::generate();
        let text: Vec<u8> = key.to_text().bytes().filter(|&c| c != b'-').collect();
        for i in 0..LENGTH {
            for &wrong in ALPHABET.iter().filter(|&&c| c != text[i]) {
                let mut typed = text.clone();
                typed[i] = wrong;
                let typed = String::from_utf8(typed).unwrap();
                assert_eq!(
                    RecoveryKey::parse(&typed),
                    Err(RecoveryKeyError::Typo(i + 1)),
                    "{typed}"
                );
            }
        }
    }

    #[test]
    fn other_mistakes_are_named() {
        let text: String = RecoveryKey::generate()
            .to_text()
            .chars()
            .filter(|&c| c != '-')
            .collect();
        assert_eq!(RecoveryKey::parse("  - "), Err(RecoveryKeyError::Empty));
        assert_eq!(
            RecoveryKey::parse(&text[..27]),
            Err(RecoveryKeyError::Length(27))
        );
        let with_u = format!("{}U{}", &text[..4], &text[5..]);
        assert!(matches!(
            RecoveryKey::parse(&with_u),
            Err(RecoveryKeyError::NotBase32 { position: 5, .. })
        ));
        // Two swapped groups: more than one character wrong.
        let swapped = format!("{}{}{}", &text[4..8], &text[..4], &text[8..]);
        assert!(RecoveryKey::parse(&swapped).is_err());
    }
}
