//! The time codes are computed at, and the time changes are stamped with.
//!
//! A TOTP code is only as right as the clock: a clock before 1970 cannot
//! give one at all, so [`now`] refuses it rather than compute the code of
//! 1970. Change stamps are signed ([`timestamp`]): before 1970 they are
//! negative, which orders them correctly and is what the spec says.

use crate::error::{ErrorKind, Kinded};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use thiserror::Error;

/// The system clock cannot give a code.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClockError {
    #[error(
        "the system clock is set before 1970, so no code can be right: set the date and time (turn on network time)"
    )]
    BeforeEpoch,
}

/// Seconds added to the clock for codes: see [`set_offset`].
static OFFSET: AtomicI64 = AtomicI64::new(0);

/// Shifts the time every code is made at by `seconds`, for a machine whose
/// clock is wrong and cannot be fixed (`OTP_TIME_OFFSET`; `otp time` says
/// by how much). Change stamps are not shifted: they only order changes.
pub fn set_offset(seconds: i64) {
    OFFSET.store(seconds, Ordering::Relaxed);
}

/// The shift [`set_offset`] set.
pub fn offset() -> i64 {
    OFFSET.load(Ordering::Relaxed)
}

/// Seconds since the Unix epoch, for codes, with the [`offset`] added.
pub fn now() -> Result<u64, ClockError> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ClockError::BeforeEpoch)?
        .as_secs();
    let shifted = i64::try_from(seconds)
        .unwrap_or(i64::MAX)
        .saturating_add(offset());
    u64::try_from(shifted).map_err(|_| ClockError::BeforeEpoch)
}

/// The time a code is for: [`When::Now`], read from the clock at the
/// moment the code is made (after the vault is open, after any
/// passphrase was typed), or a time given (`--at`). Library calls that
/// make codes take this, never a time read earlier, so that no front end
/// can show a code that died while its user typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum When {
    Now,
    At(u64),
    /// Now, shifted by this many seconds rather than this process's
    /// [`offset`]: a code the agent makes for a command keeps that
    /// command's offset.
    Shifted(i64),
}

impl When {
    /// `--at`, if given, else now.
    pub fn at_or_now(at: Option<u64>) -> When {
        at.map_or(When::Now, When::At)
    }

    /// The time in Unix seconds, read now for [`When::Now`].
    pub fn time(self) -> Result<u64, ClockError> {
        match self {
            When::Now => now(),
            When::At(time) => Ok(time),
            When::Shifted(offset) => {
                let seconds = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_err(|_| ClockError::BeforeEpoch)?
                    .as_secs();
                let shifted = i64::try_from(seconds)
                    .unwrap_or(i64::MAX)
                    .saturating_add(offset);
                u64::try_from(shifted).map_err(|_| ClockError::BeforeEpoch)
            }
        }
    }

    /// The same moment, as another process must read it: the offset of
    /// this one made explicit.
    pub fn portable(self) -> When {
        match self {
            When::Now => When::Shifted(offset()),
            other => other,
        }
    }
}

/// [`now`] in milliseconds, for a wait that ends when a period turns.
pub fn now_millis() -> Result<u64, ClockError> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| ClockError::BeforeEpoch)?
        .as_millis();
    let shifted = i64::try_from(millis)
        .unwrap_or(i64::MAX)
        .saturating_add(offset().saturating_mul(1000));
    u64::try_from(shifted).map_err(|_| ClockError::BeforeEpoch)
}

/// Signed seconds since the Unix epoch, for the `created`, `modified` and
/// `deleted` stamps: negative for a clock before 1970, saturated at the
/// ends of `i64`.
pub fn timestamp() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The UTC date of Unix second `seconds`, as `2026-11-25`, for messages.
pub fn date(seconds: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => "an unknown date".to_string(),
    }
}

/// `1 h 5 min`, `14 min 30 s`, `45 s`.
pub fn human(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) if s == 0 => format!("{m} min"),
        (0, _) => format!("{m} min {s} s"),
        _ if m == 0 => format!("{h} h"),
        _ => format!("{h} h {m} min"),
    }
}

impl Kinded for ClockError {
    fn kind(&self) -> ErrorKind {
        match self {
            ClockError::BeforeEpoch => ErrorKind::ClockOff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_and_timestamp_agree_after_1970() {
        let a = now().unwrap();
        let b = timestamp();
        assert!(b >= 0 && (b as u64).abs_diff(a) <= 1);
    }
}
