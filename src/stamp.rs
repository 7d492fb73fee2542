//! When a change was made, so that a merge can take the later one: a
//! hybrid logical clock (Kulkarni et al., 2014). A stamp is the wall clock
//! in milliseconds and a counter; a device stamps a change with its clock,
//! or, if that is not later than every stamp the vault has seen, one step
//! after the latest. So a change always stamps later than what it changes,
//! even on a device whose clock is behind, and stamps stay close to real
//! time: a clock that is wrong by a minute moves them by a minute, not by
//! how many changes were made.
//!
//! A device whose clock runs ahead would stamp far in the future and win
//! every merge for as long as that lasts; a merge therefore counts stamps
//! more than [`AHEAD_LIMIT_MS`] past its own clock as made at that limit
//! ([`Stamp::limited`]), and says so.

use serde::{Deserialize, Serialize};

/// How far past the merging device's clock a stamp is believed: a day, for
/// time zones set wrong and clocks that drift between syncs.
pub const AHEAD_LIMIT_MS: i64 = 86_400_000;

/// Milliseconds since 1970 (negative before) and a counter, ordered by
/// both; written as the JSON array `[ms, counter]`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Stamp(pub i64, pub u32);

impl Stamp {
    /// The stamp of a change made in whole second `seconds` by a version
    /// of otpvault that kept no stamps: every device that upgrades the same
    /// file reads the same stamps.
    pub fn from_seconds(seconds: i64) -> Stamp {
        Stamp(seconds.saturating_mul(1000), 0)
    }

    /// The whole second the stamp falls in.
    pub fn seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The stamp of a change made now, by a clock that last stood at
    /// `self` (the latest stamp seen): the wall clock if it is later, else
    /// one step after `self`.
    pub fn next(self, wall_ms: i64) -> Stamp {
        if wall_ms > self.0 {
            Stamp(wall_ms, 0)
        } else if self.1 == u32::MAX {
            Stamp(self.0.saturating_add(1), 0)
        } else {
            Stamp(self.0, self.1 + 1)
        }
    }

    /// The stamp as a merge on a device whose wall clock reads `wall_ms`
    /// believes it: at most [`AHEAD_LIMIT_MS`] ahead. True in the second
    /// place if it was moved back.
    pub fn limited(self, wall_ms: i64) -> (Stamp, bool) {
        let limit = Stamp(wall_ms.saturating_add(AHEAD_LIMIT_MS), 0);
        if self > limit {
            (limit, true)
        } else {
            (self, false)
        }
    }
}

/// The wall clock in milliseconds since 1970 (negative before).
pub fn wall_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_stamps_later_than_what_it_saw_whatever_the_clock() {
        let seen = Stamp(5_000, 3);
        assert_eq!(seen.next(9_000), Stamp(9_000, 0));
        assert_eq!(seen.next(5_000), Stamp(5_000, 4));
        assert_eq!(seen.next(1_000), Stamp(5_000, 4));
        assert!(Stamp(7, u32::MAX).next(0) > Stamp(7, u32::MAX));
    }

    #[test]
    fn stamps_far_ahead_are_moved_back_to_a_day_ahead() {
        let now = 1_000_000;
        assert_eq!(Stamp(now + 10, 0).limited(now), (Stamp(now + 10, 0), false));
        assert_eq!(
            Stamp(now + 400 * AHEAD_LIMIT_MS, 2).limited(now),
            (Stamp(now + AHEAD_LIMIT_MS, 0), true)
        );
    }

    #[test]
    fn seconds_before_1970_round_down() {
        assert_eq!(Stamp(-1, 0).seconds(), -1);
        assert_eq!(Stamp::from_seconds(-3).seconds(), -3);
        assert_eq!(serde_json::to_string(&Stamp(12, 3)).unwrap(), "[12,3]");
    }
}
