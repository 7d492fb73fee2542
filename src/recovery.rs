//! The paper recovery key: 128 random bits that open the vault when the
//! passphrase is forgotten.
//!
//! It is written for people to copy by hand: 30 characters of Crockford's
//! base32 (digits and capital letters without I, L, O and U, so `0`/`O`
//! and `1`/`I`/`L` read the same), in six groups of five:
//!
//! ```text
//! 7K3MQ-9XD2P-WAHT6-FZB0R-E4VNC-8J5A2
//! ```
//!
//! 26 characters carry the 16 bytes of the key; the last four are check
//! characters of a Reed-Solomon code over GF(32) (distance 5). It names
//! the one mistyped character when there is one ("character 13 looks
//! wrong"), two swapped neighbours ("characters 5 and 6 look swapped"),
//! and otherwise says that more than one character looks wrong: no
//! pattern of up to three wrong characters can pass for one wrong
//! character elsewhere, so a position it names is a position that is
//! wrong.
//!
//! Keys made before (0.2) have 28 characters in seven groups of four, with
//! two check characters. They stay valid, but two check characters cannot
//! tell one wrong character from two (a double typo looks like a single
//! one somewhere else), so for them no position is ever named. Spaces,
//! hyphens and case do not matter when a key is typed back.

use crate::error::{ErrorKind, Kinded};
use std::sync::LazyLock;

use data_encoding::{Encoding, Specification};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::crypto;

/// The key's bytes.
pub const KEY_BYTES: usize = 16;
/// Characters that carry the key (26 × 5 = 130 bits).
const DATA: usize = 26;
/// Check characters of a key made now.
const CHECK: usize = 4;
/// Check characters of a key made by otpvault 0.2.
const OLD_CHECK: usize = 2;
/// Characters in all, as written now.
pub const LENGTH: usize = DATA + CHECK;
/// Characters in all of a key made by otpvault 0.2.
pub const OLD_LENGTH: usize = DATA + OLD_CHECK;
/// Characters in a written group: six groups of five.
const GROUP: usize = 5;

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
    #[error("the recovery key is empty: type the 30 characters written on your paper")]
    Empty,
    #[error(
        "the recovery key has {0} characters, not 30 (six groups of five; 28 for a key made before version 0.3): check that you typed every group"
    )]
    Length(usize),
    #[error(
        "character {position} of the recovery key is not one a recovery key uses ({kind}): check it against your paper"
    )]
    NotBase32 { position: usize, kind: String },
    #[error("character {0} of the recovery key looks wrong: check it against your paper")]
    Typo(usize),
    #[error(
        "characters {0} and {next} of the recovery key look swapped: check them against your paper",
        next = .0 + 1
    )]
    Swapped(usize),
    #[error(
        "one or more characters of the recovery key look wrong: check it against your paper, group by group"
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
        for check in rs::check(&data, CHECK) {
            symbols.push(ALPHABET[usize::from(check)]);
        }
        let mut out = Zeroizing::new(String::with_capacity(LENGTH + LENGTH / GROUP));
        for (i, c) in symbols.iter().enumerate() {
            if i > 0 && i % GROUP == 0 {
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
                        kind: crate::terminal::kind_of(c),
                    });
                }
            }
        }
        let check = match symbols.len() {
            0 => return Err(RecoveryKeyError::Empty),
            LENGTH => CHECK,
            OLD_LENGTH => OLD_CHECK,
            n => return Err(RecoveryKeyError::Length(n)),
        };
        match rs::diagnose(&symbols, check) {
            rs::Checked::Valid => {}
            rs::Checked::OneError(i) => return Err(RecoveryKeyError::Typo(i + 1)),
            rs::Checked::Swapped(i) => return Err(RecoveryKeyError::Swapped(i + 1)),
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

/// Reed-Solomon over GF(32) (x^5 + x^2 + 1) with `r` check symbols,
/// generator (x - α)(x - α²)…(x - α^r). Symbols are in writing order, the
/// first the highest power.
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
        if a == 0 || b == 0 {
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

    /// The generator's coefficients, highest power (always 1) first.
    fn generator(r: usize) -> Vec<u8> {
        let mut g = vec![1u8];
        for j in 1..=r {
            // g · (x - α^j); subtraction is addition in GF(2^5).
            let root = TABLES.exp[j];
            let mut next = vec![0u8; g.len() + 1];
            for (i, &c) in g.iter().enumerate() {
                next[i] ^= c;
                next[i + 1] ^= mul(c, root);
            }
            g = next;
        }
        g
    }

    /// The `r` check symbols of `data`: the remainder of data·x^r divided
    /// by the generator.
    pub fn check(data: &[u8], r: usize) -> Vec<u8> {
        let g = generator(r);
        let mut rem = vec![0u8; r];
        for &d in data {
            let f = d ^ rem[0];
            rem.rotate_left(1);
            rem[r - 1] = 0;
            for (i, slot) in rem.iter_mut().enumerate() {
                *slot ^= mul(f, g[i + 1]);
            }
        }
        rem
    }

    pub enum Checked {
        Valid,
        /// The index (0-based, in writing order) of the one wrong symbol.
        OneError(usize),
        /// The index of the first of two neighbours typed the other way
        /// round.
        Swapped(usize),
        Garbled,
    }

    fn syndromes(word: &[u8], r: usize) -> Vec<u8> {
        (1..=r).map(|j| eval(word, j)).collect()
    }

    /// What is wrong with a codeword of `r` check symbols. A position is
    /// named only where no other explanation of up to `r - 1` wrong
    /// symbols exists: never with two check symbols.
    pub fn diagnose(word: &[u8], r: usize) -> Checked {
        let s = syndromes(word, r);
        if s.iter().all(|&x| x == 0) {
            return Checked::Valid;
        }
        if r < 4 {
            return Checked::Garbled;
        }
        if let Some(index) = one_error(&s, word.len()) {
            return Checked::OneError(index);
        }
        // Two neighbours swapped: the one swap that makes a codeword.
        let mut fixed = word.to_vec();
        let mut found = None;
        for i in 0..word.len() - 1 {
            if word[i] == word[i + 1] {
                continue;
            }
            fixed.swap(i, i + 1);
            if syndromes(&fixed, r).iter().all(|&x| x == 0) {
                if found.is_some() {
                    return Checked::Garbled;
                }
                found = Some(i);
            }
            fixed.swap(i, i + 1);
        }
        found.map_or(Checked::Garbled, Checked::Swapped)
    }

    /// The index of the one wrong symbol the syndromes `s` point to, if
    /// they are those of exactly one error: s_j = e·α^(jp) for every j.
    fn one_error(s: &[u8], n: usize) -> Option<usize> {
        if s.contains(&0) {
            return None;
        }
        let x = div(s[1], s[0]); // α^p
        if s.windows(2).any(|w| mul(w[0], x) != w[1]) {
            return None;
        }
        let p = usize::from(TABLES.log[usize::from(x)]);
        (p < n).then(|| n - 1 - p)
    }
}

impl Kinded for RecoveryKeyError {
    fn kind(&self) -> ErrorKind {
        match self {
            RecoveryKeyError::Empty
            | RecoveryKeyError::Length(_)
            | RecoveryKeyError::NotBase32 { .. }
            | RecoveryKeyError::Typo(_)
            | RecoveryKeyError::Swapped(_)
            | RecoveryKeyError::Garbled => ErrorKind::Usage,
        }
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
            assert_eq!(text.len(), LENGTH + 5);
            assert_eq!(text.split('-').count(), 6);
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
        let swapped = format!("{}{}{}", &text[5..10], &text[..5], &text[10..]);
        assert_eq!(RecoveryKey::parse(&swapped), Err(RecoveryKeyError::Garbled));
    }

    /// A key as otpvault 0.2 wrote it: the same 26 characters and the two
    /// check characters of the generator (x - α)(x - α²).
    fn old_text(key: &RecoveryKey) -> String {
        let mut symbols = CROCKFORD.encode(key.expose()).into_bytes();
        let data: Vec<u8> = symbols.iter().map(|&c| value(c)).collect();
        for check in rs::check(&data, OLD_CHECK) {
            symbols.push(ALPHABET[usize::from(check)]);
        }
        String::from_utf8(symbols).unwrap()
    }

    #[test]
    fn keys_made_before_stay_valid_and_name_no_position() {
        let key = RecoveryKey::generate();
        let old = old_text(&key);
        assert_eq!(old.len(), OLD_LENGTH);
        assert_eq!(RecoveryKey::parse(&old).unwrap(), key);
        let mut typo = old.into_bytes();
        typo[12] = if typo[12] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            RecoveryKey::parse(std::str::from_utf8(&typo).unwrap()),
            Err(RecoveryKeyError::Garbled),
            "two check characters cannot tell one typo from two"
        );
    }
}
