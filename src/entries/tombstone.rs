//! Tombstones: what is left of a removed entry, so that a merge with a copy
//! that still has it does not bring it back.

use serde::{Deserialize, Serialize};

use super::Entries;
use crate::entry::Remains;
use crate::stamp::Stamp;

fn is_unset(stamp: &Stamp) -> bool {
    *stamp == Stamp::default()
}

/// A removed entry's id and when it went, so that a later merge of two
/// copies does not bring it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: String,
    /// Unix seconds of the removal, for people; merges go by `stamp`.
    pub deleted: i64,
    /// When the entry was removed (format 3; from `deleted` in older
    /// files).
    #[serde(default, skip_serializing_if = "is_unset")]
    pub stamp: Stamp,
    /// The largest HOTP counter the entry had: should a later edit on
    /// another copy bring the entry back, no code it showed is shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<u64>,
    /// The account the entry held ([`crate::entry::Entry::account_key`]), so that a
    /// removal also covers the same account enrolled separately on another
    /// copy. Absent in tombstones written before format 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The entry as it was, without its secret (format 3): a merge that
    /// meets it takes each field's latest value from it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remains: Option<Remains>,
    /// Fields a newer otpvault wrote, kept as they are (format 2).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

/// How long a tombstone is kept: 400 days. A copy that was away longer
/// than this (a laptop in a drawer for over a year) may hold an entry
/// whose removal this vault has forgotten: a merge refuses it
/// ([`Entries::horizon`]) unless told to take it anyway. A tombstone is a
/// few dozen bytes, so the horizon is generous.
pub const TOMBSTONE_HORIZON_DAYS: i64 = 400;

impl Entries {
    /// Forgets tombstones stamped more than [`TOMBSTONE_HORIZON_DAYS`]
    /// before `wall_ms`, and remembers the latest one forgotten as the
    /// horizon: a copy that still holds an entry removed before it cannot
    /// be told from one that never saw the removal.
    pub fn forget_old_tombstones(&mut self, wall_ms: i64) {
        let cutoff = Stamp(
            wall_ms.saturating_sub(TOMBSTONE_HORIZON_DAYS * 86_400_000),
            0,
        );
        let mut forgotten = self.horizon;
        self.deleted.retain(|t| {
            let keep = t.stamp >= cutoff;
            if !keep {
                forgotten = forgotten.max(t.stamp);
            }
            keep
        });
        self.horizon = forgotten;
    }

    /// Every removal stamped at or before this may have been forgotten
    /// ([`Entries::forget_old_tombstones`]); nothing was, at the default.
    pub fn horizon(&self) -> Stamp {
        self.horizon
    }
}
