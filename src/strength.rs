//! How long a new passphrase would hold against someone who has a copy of
//! the vault and guesses on GPUs, at the vault's own Argon2id cost.
//!
//! The model (docs/threat-model.md): Argon2id is bound by memory
//! bandwidth. Each guess fills and reads the whole memory `passes` times,
//! moving about three bytes a byte of memory a pass (two blocks read, one
//! written); an H100-class GPU moves 3.35 TB/s. At the default 512 MiB × 2
//! passes that is about 1,000 guesses a second per GPU; at 64 MiB × 3,
//! 5,500. The number of guesses a passphrase needs is zxcvbn's estimate,
//! which knows common passwords, words, names, dates, keyboard patterns
//! and l33t. A new passphrase that one GPU would guess within a year is
//! refused unless the user says the vault is a throwaway one.

use crate::error::{ErrorKind, Kinded};
use std::fmt;

use thiserror::Error;
use zeroize::Zeroizing;

use crate::crypto::kdf::KdfParams;
use crate::secret::Passphrase;

/// Bytes a second one H100-class GPU moves between its cores and memory.
pub const GPU_BYTES_PER_SECOND: f64 = 3.35e12;

/// The floor: a passphrase one GPU would guess in less than this is
/// refused without `--weak-passphrase`. One year.
pub const FLOOR_SECONDS: f64 = 365.25 * 86_400.0;

/// zxcvbn looks at this many characters: past it a passphrase is long
/// enough, and zxcvbn's matching grows fast with length.
const LOOKED_AT: usize = 100;

/// Guesses a second one GPU makes at the Argon2id cost `kdf`.
pub fn guesses_per_second(kdf: KdfParams) -> f64 {
    let bytes_per_guess = 3.0 * f64::from(kdf.memory_kib) * 1024.0 * f64::from(kdf.iterations);
    GPU_BYTES_PER_SECOND / bytes_per_guess.max(1.0)
}

/// How strong a passphrase is at a KDF cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// zxcvbn's estimate of the guesses needed.
    pub guesses: f64,
    /// Seconds one GPU needs for that many guesses at the vault's cost.
    pub gpu_seconds: f64,
}

impl Strength {
    /// True if one GPU would need less than [`FLOOR_SECONDS`].
    pub fn below_floor(&self) -> bool {
        self.gpu_seconds < FLOOR_SECONDS
    }
}

/// Estimates `passphrase` at the cost `kdf`. Runs zxcvbn on a copy that is
/// wiped afterwards (zxcvbn's own working copies are not; they live only
/// as long as this call).
pub fn estimate(passphrase: &Passphrase, kdf: KdfParams) -> Strength {
    let text = Zeroizing::new(
        String::from_utf8_lossy(passphrase.expose())
            .chars()
            .take(LOOKED_AT)
            .collect::<String>(),
    );
    let guesses = if text.is_empty() {
        1.0
    } else {
        zxcvbn::zxcvbn(&text, &[]).guesses() as f64
    };
    Strength {
        guesses,
        gpu_seconds: guesses / guesses_per_second(kdf),
    }
}

/// A new passphrase refused for being too easy to guess.
#[derive(Debug, Error, PartialEq)]
#[error(
    "this passphrase would be guessed by one GPU in {} at this vault's settings (the floor is a year): choose a longer one, such as four or five random words; for a throwaway vault give --weak-passphrase",
    Duration(.0.gpu_seconds)
)]
pub struct TooWeak(pub Strength);

/// Checks a new passphrase against the floor; `allow_weak` lets one below
/// it through (the caller then says what that gives up).
pub fn check(
    passphrase: &Passphrase,
    kdf: KdfParams,
    allow_weak: bool,
) -> Result<Strength, TooWeak> {
    let strength = estimate(passphrase, kdf);
    if strength.below_floor() && !allow_weak {
        return Err(TooWeak(strength));
    }
    Ok(strength)
}

/// A length of time as a person says it: "less than a second", "about 3
/// days", "about 40,000 years", "longer than the age of the universe".
pub struct Duration(pub f64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MINUTE: f64 = 60.0;
        const HOUR: f64 = 60.0 * MINUTE;
        const DAY: f64 = 24.0 * HOUR;
        const YEAR: f64 = 365.25 * DAY;
        let s = self.0;
        if !s.is_finite() || s > 1.4e10 * YEAR {
            return f.write_str("longer than the age of the universe");
        }
        if s < 1.0 {
            return f.write_str("less than a second");
        }
        let (amount, unit) = [
            (YEAR, "year"),
            (DAY, "day"),
            (HOUR, "hour"),
            (MINUTE, "minute"),
            (1.0, "second"),
        ]
        .into_iter()
        .find(|(size, _)| s >= *size)
        .map_or((s, "second"), |(size, unit)| (s / size, unit));
        let rounded = round_for_people(amount);
        let plural = if rounded == 1 { "" } else { "s" };
        write!(f, "about {} {unit}{plural}", with_commas(rounded))
    }
}

/// A rate of guesses a second as people read it: "1,000", "5,500", "1.1
/// million".
pub struct Rate(pub f64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 1e6 {
            write!(f, "{:.1} million", self.0 / 1e6)
        } else {
            f.write_str(&with_commas(round_for_people(self.0)))
        }
    }
}

/// Two significant digits: 40,000 rather than 41,873.
fn round_for_people(x: f64) -> u64 {
    if x < 100.0 {
        return x.round() as u64;
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / magnitude).round() * magnitude) as u64
}

fn with_commas(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Kinded for TooWeak {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cost_is_about_a_thousand_guesses_a_second() {
        let rate = guesses_per_second(KdfParams::default());
        assert!((900.0..1200.0).contains(&rate), "{rate}");
    }

    #[test]
    fn common_passphrases_are_below_the_floor_and_random_words_above() {
        let kdf = KdfParams::default();
        for weak in ["abc", "password1", "Amazon2024!", "qwertyuiop"] {
            let s = estimate(&Passphrase::new(weak.as_bytes().to_vec()), kdf);
            assert!(s.below_floor(), "{weak}: {s:?}");
        }
        let strong = Passphrase::new(b"plinth okra gravel sonnet humid".to_vec());
        assert!(!estimate(&strong, kdf).below_floor());
        assert!(check(&Passphrase::new(b"abc".to_vec()), kdf, true).is_ok());
        assert!(check(&Passphrase::new(b"abc".to_vec()), kdf, false).is_err());
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(Duration(0.2).to_string(), "less than a second");
        assert_eq!(Duration(3.0 * 86_400.0).to_string(), "about 3 days");
        assert_eq!(
            Duration(41_873.0 * FLOOR_SECONDS).to_string(),
            "about 42,000 years"
        );
        assert_eq!(
            Duration(1e30).to_string(),
            "longer than the age of the universe"
        );
    }
}
