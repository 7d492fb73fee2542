//! The time codes are computed at, and the time changes are stamped with.
//!
//! A TOTP code is only as right as the clock: a clock before 1970 cannot
//! give one at all, so [`now`] refuses it rather than compute the code of
//! 1970. Change stamps are signed ([`timestamp`]): before 1970 they are
//! negative, which orders them correctly and is what the spec says.

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

/// Seconds since the Unix epoch, for codes.
pub fn now() -> Result<u64, ClockError> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| ClockError::BeforeEpoch)
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
