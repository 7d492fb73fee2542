//! Tombstones: what is left of a removed entry, so that a merge with a copy
//! that still has it does not bring it back.

use serde::{Deserialize, Serialize};

use super::Entries;

/// A removed entry's id and when it went, so that a later merge of two
/// copies does not bring it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: String,
    pub deleted: i64,
    /// The largest HOTP counter the entry had: should a later edit on
    /// another copy bring the entry back, no code it showed is shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<u64>,
    /// The account the entry held ([`crate::entry::Entry::account_key`]), so that a
    /// removal also covers the same account enrolled separately on another
    /// copy. Absent in tombstones written before format 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Fields a newer otpvault wrote, kept as they are (format 2).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

/// How long a tombstone is kept: 400 days. A copy that was away longer
/// than this (a laptop in a drawer for over a year) can bring back an
/// entry removed before it left; a tombstone is a few dozen bytes, so the
/// horizon is generous.
pub const TOMBSTONE_HORIZON_DAYS: i64 = 400;

impl Entries {
    /// Forgets tombstones older than [`TOMBSTONE_HORIZON_DAYS`] before `now`.
    pub(crate) fn forget_old_tombstones(&mut self, now: i64) {
        let horizon = now.saturating_sub(TOMBSTONE_HORIZON_DAYS * 86_400);
        self.deleted.retain(|t| t.deleted >= horizon);
    }
}
