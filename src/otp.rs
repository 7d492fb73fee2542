//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238).
//!
//! totp-rs computes the codes; this module adds what a stored entry needs
//! around it: HOTP as TOTP with a one-second step, and 10-digit codes,
//! which totp-rs cannot make (see `ten_digits`). Steam Guard codes (TOTP
//! rendered in a 26-letter alphabet) come from totp-rs as they are.

use crate::error::{ErrorKind, Kinded};
use std::fmt::{self, Write};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use totp_rs::Builder;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The HMAC hash an entry uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Algorithm {
    #[default]
    SHA1,
    SHA256,
    SHA512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::SHA1 => "SHA1",
            Algorithm::SHA256 => "SHA256",
            Algorithm::SHA512 => "SHA512",
        }
    }

    fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Algorithm::SHA1 => totp_rs::Algorithm::SHA1,
            Algorithm::SHA256 => totp_rs::Algorithm::SHA256,
            Algorithm::SHA512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ParamError;
    /// Case-insensitive, with or without the hyphen (`sha-256`) and with or
    /// without Java's `Hmac` prefix (`HmacSHA256`), as URIs in the wild
    /// spell it all these ways.
    fn from_str(s: &str) -> Result<Self, ParamError> {
        let name = s.to_ascii_uppercase().replace('-', "");
        match name.strip_prefix("HMAC").unwrap_or(&name) {
            "SHA1" => Ok(Algorithm::SHA1),
            "SHA256" => Ok(Algorithm::SHA256),
            "SHA512" => Ok(Algorithm::SHA512),
            _ => Err(ParamError::Algorithm),
        }
    }
}

/// How the moving factor is chosen and the code rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Totp,
    Hotp,
    Steam,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Totp => "totp",
            Kind::Hotp => "hotp",
            Kind::Steam => "steam",
        }
    }
}

/// A kind name otpvault does not know.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown OTP type: otpvault reads totp, hotp and steam")]
pub struct UnknownKind;

impl FromStr for Kind {
    type Err = UnknownKind;
    /// `totp`, `hotp` or `steam`, in any case: the names URIs and other
    /// apps' exports use.
    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        match s.to_ascii_lowercase().as_str() {
            "totp" => Ok(Kind::Totp),
            "hotp" => Ok(Kind::Hotp),
            "steam" => Ok(Kind::Steam),
            _ => Err(UnknownKind),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter outside what otpvault can compute.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ParamError {
    #[error("{0} digits is not supported: use 6 to 10 digits (most sites use 6)")]
    Digits(u32),
    #[error("a period of 0 seconds is not valid: use the site's period (usually 30)")]
    PeriodZero,
    #[error("unknown algorithm: use SHA1, SHA256 or SHA512")]
    Algorithm,
    #[error("Steam Guard codes have 5 characters, not {0}")]
    SteamDigits(u32),
    #[error(
        "this HOTP entry's counter is at its maximum, so every further code would repeat one: enrol the account again with a new key"
    )]
    CounterExhausted,
}

/// The code parameters of one entry, checked on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    pub kind: Kind,
    pub algorithm: Algorithm,
    pub digits: u8,
    /// Seconds per TOTP step; unused for HOTP.
    pub period: u32,
    /// The next HOTP counter; unused for TOTP.
    pub counter: u64,
}

pub const MIN_DIGITS: u32 = 6;
pub const MAX_DIGITS: u32 = 10;
pub const STEAM_DIGITS: u8 = 5;

impl Default for Params {
    /// What Amazon, and most sites, use: TOTP, SHA-1, 6 digits, 30 seconds.
    fn default() -> Self {
        Params {
            kind: Kind::Totp,
            algorithm: Algorithm::SHA1,
            digits: 6,
            period: 30,
            counter: 0,
        }
    }
}

impl Params {
    /// Refuses digits outside 6..=10 and a zero period, the values for which
    /// no code (or a meaningless one) could be computed.
    pub fn validate(self) -> Result<Self, ParamError> {
        if self.kind == Kind::Steam {
            if self.digits != STEAM_DIGITS {
                return Err(ParamError::SteamDigits(self.digits.into()));
            }
        } else if !(MIN_DIGITS..=MAX_DIGITS).contains(&u32::from(self.digits)) {
            return Err(ParamError::Digits(self.digits.into()));
        }
        if self.period == 0 {
            return Err(ParamError::PeriodZero);
        }
        Ok(self)
    }

    /// Seconds until the TOTP code shown at `time` changes.
    pub fn remaining(&self, time: u64) -> u64 {
        let period = u64::from(self.period.max(1));
        period - time % period
    }

    /// The code at Unix time `time` (TOTP) or at the stored counter (HOTP).
    pub fn code(&self, secret: &Secret, time: u64) -> Result<Code, ParamError> {
        let params = self.validate()?;
        match params.kind {
            Kind::Totp => Ok(totp(
                secret,
                time,
                params.period.into(),
                params.algorithm,
                params.digits,
            )),
            Kind::Hotp => Ok(hotp(
                secret,
                params.counter,
                params.algorithm,
                params.digits,
            )),
            Kind::Steam => Ok(steam(secret, time, params.period.into())),
        }
    }

    /// Steam Guard's parameters: SHA-1, 5 characters, 30 seconds.
    pub fn steam() -> Params {
        Params {
            kind: Kind::Steam,
            digits: STEAM_DIGITS,
            ..Params::default()
        }
    }
}

/// A one-time code. Short-lived, but still wiped: it is a valid credential
/// for up to a period.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(Zeroizing<String>);

/// A code travels as its text (from the agent to a command).
impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Code::from_digits(&text).ok_or_else(|| serde::de::Error::custom("not a code"))
    }
}

impl Code {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A code handed over as text (to the clipboard holder): digits, or
    /// Steam's letters and digits, and nothing else.
    pub fn from_digits(text: &str) -> Option<Code> {
        text.chars()
            .all(|c| c.is_ascii_alphanumeric())
            .then(|| Code(Zeroizing::new(text.to_string())))
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(..)")
    }
}

/// RFC 4226 HOTP: HMAC the counter, truncate dynamically, keep `digits`.
/// `digits` must be 6..=10 (see [`Params::validate`]).
pub fn hotp(secret: &Secret, counter: u64, algorithm: Algorithm, digits: u8) -> Code {
    // A one-second step makes totp-rs's moving factor equal the counter.
    let generator = Builder::new()
        .with_algorithm(algorithm.to_totp_rs())
        .with_digits(digits.min(9))
        .with_secret(secret.expose())
        .with_step_duration(1)
        .build_noncompliant();
    let mut code = Zeroizing::new(String::with_capacity(MAX_DIGITS as usize));
    if digits <= 9 {
        // Formatting into a buffer sized up front leaves no unwiped copy.
        let _ = write!(code, "{}", generator.generate(counter));
    } else {
        let _ = write!(code, "{:010}", ten_digits(generator.sign(counter).as_ref()));
    }
    Code(code)
}

/// RFC 4226's dynamic truncation, modulo 10^10. totp-rs computes codes in a
/// `u32` and panics for 10 digits (`Totp::generate`), so this is the one
/// place otpvault truncates by hand; the HMAC is still totp-rs's.
fn ten_digits(mac: &[u8]) -> u64 {
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let word = [
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ];
    u64::from(u32::from_be_bytes(word) & 0x7fff_ffff) % 10u64.pow(10)
}

/// RFC 6238 TOTP: HOTP over the number of `period`-second steps since the
/// Unix epoch.
pub fn totp(secret: &Secret, time: u64, period: u64, algorithm: Algorithm, digits: u8) -> Code {
    hotp(secret, time / period.max(1), algorithm, digits)
}

/// Steam Guard: TOTP over SHA-1 whose code is written in Steam's
/// 26-character alphabet, 5 characters long.
pub fn steam(secret: &Secret, time: u64, period: u64) -> Code {
    let totp = Builder::new()
        .with_algorithm(totp_rs::Algorithm::Steam)
        .with_digits(STEAM_DIGITS)
        .with_secret(secret.expose())
        .with_step_duration(period.max(1))
        .build_noncompliant();
    Code(Zeroizing::new(totp.generate(time).to_string()))
}

impl Kinded for ParamError {
    fn kind(&self) -> ErrorKind {
        match self {
            ParamError::Digits(_)
            | ParamError::PeriodZero
            | ParamError::Algorithm
            | ParamError::SteamDigits(_)
            | ParamError::CounterExhausted => ErrorKind::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_bounds() {
        let ok = Params::default();
        assert!(ok.validate().is_ok());
        for digits in [0, 5, 11, 255] {
            let p = Params { digits, ..ok };
            assert_eq!(p.validate(), Err(ParamError::Digits(digits.into())));
        }
        for digits in 6..=10 {
            assert!(Params { digits, ..ok }.validate().is_ok());
        }
        let p = Params { period: 0, ..ok };
        assert_eq!(p.validate(), Err(ParamError::PeriodZero));
    }

    #[test]
    fn algorithm_names() {
        assert_eq!("sha-256".parse::<Algorithm>(), Ok(Algorithm::SHA256));
        assert_eq!("SHA512".parse::<Algorithm>(), Ok(Algorithm::SHA512));
        assert!("MD5".parse::<Algorithm>().is_err());
    }

    #[test]
    fn remaining_counts_down_to_one() {
        let p = Params::default();
        assert_eq!(p.remaining(0), 30);
        assert_eq!(p.remaining(29), 1);
        assert_eq!(p.remaining(30), 30);
    }
}
