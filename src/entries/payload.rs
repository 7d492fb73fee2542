//! The payload as it is stored, and the rules a stored collection must
//! keep to be read: what another program (or a hand) wrote wrong is a
//! damaged vault, not a collection with broken rules.

use std::collections::HashSet;

use serde::Deserialize;
use thiserror::Error;

use super::{Entries, Tombstone, fold};
use crate::entry::{Entry, Stamps};
use crate::keyring::Keyring;
use crate::otp::ParamError;
use crate::stamp::Stamp;
use crate::terminal::Quoted;

/// The payload as stored, before its rules are checked.
#[derive(Deserialize)]
struct Stored {
    entries: Vec<Entry>,
    #[serde(default)]
    deleted: Vec<Tombstone>,
    /// Format 3; absent before.
    #[serde(default)]
    clock: Stamp,
    #[serde(default)]
    horizon: Stamp,
    #[serde(flatten)]
    keyring: Keyring,
    #[serde(flatten)]
    unknown: serde_json::Map<String, serde_json::Value>,
}

/// A stored collection that breaks a rule every writer keeps: another
/// program wrote it wrong, or someone changed it by hand.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BrokenRule {
    #[error("two entries are named {}, regardless of case", Quoted(.0))]
    SameName(String),
    #[error("an entry has an empty name")]
    EmptyName,
    #[error("two entries have the id {}", Quoted(.0))]
    SameId(String),
    #[error("the entry {} has invalid parameters: {source}", Quoted(.name))]
    Params { name: String, source: ParamError },
}

/// Why a decrypted payload is not a valid collection.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum InvalidPayload {
    /// Not the JSON document the spec gives. Only the kind of problem and
    /// where it is are kept: serde's own message can quote a value, and a
    /// value can be a secret.
    #[error("{what} at line {line}, column {column}")]
    Json {
        what: &'static str,
        line: usize,
        column: usize,
    },
    #[error(transparent)]
    Rule(#[from] BrokenRule),
}

impl Entries {
    /// Reads a decrypted payload and checks the collection's rules.
    pub fn from_json(bytes: &[u8]) -> Result<Entries, InvalidPayload> {
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| InvalidPayload::Json {
            what: match e.classify() {
                serde_json::error::Category::Syntax => "malformed JSON",
                serde_json::error::Category::Eof => "JSON cut short",
                serde_json::error::Category::Data => "a field missing or of the wrong kind",
                serde_json::error::Category::Io => "unreadable JSON",
            },
            line: e.line(),
            column: e.column(),
        })?;
        Ok(Entries::try_from(stored)?)
    }
}

impl TryFrom<Stored> for Entries {
    type Error = BrokenRule;
    /// Checks every rule in one pass (a vault may hold 10,000 entries).
    fn try_from(stored: Stored) -> Result<Entries, BrokenRule> {
        let n = stored.entries.len();
        let mut names = HashSet::with_capacity(n);
        let mut ids = HashSet::with_capacity(n);
        for entry in &stored.entries {
            if entry.name.trim().is_empty() {
                return Err(BrokenRule::EmptyName);
            }
            if !names.insert(fold(&entry.name)) {
                return Err(BrokenRule::SameName(entry.name.clone()));
            }
            if !ids.insert(entry.id.as_str()) {
                return Err(BrokenRule::SameId(entry.id.clone()));
            }
            entry.otp.validate().map_err(|source| BrokenRule::Params {
                name: entry.name.clone(),
                source,
            })?;
        }
        let mut all = Entries {
            entries: stored.entries,
            deleted: stored.deleted,
            clock: stored.clock,
            horizon: stored.horizon,
            keyring: stored.keyring,
            unknown: stored.unknown,
        };
        all.upgrade_stamps();
        all.sort();
        Ok(all)
    }
}

impl Entries {
    /// Gives entries and tombstones of an older format the stamps that
    /// format 3 keeps (each field changed at `modified`, each removal at
    /// `deleted`: every device that upgrades the same file agrees), and
    /// sets the clock to the latest stamp held, so that no change is ever
    /// stamped before one the copy has.
    fn upgrade_stamps(&mut self) {
        let mut latest = self.clock.max(self.horizon);
        for entry in &mut self.entries {
            if entry.stamps.is_unset() {
                entry.stamps = Stamps::all(Stamp::from_seconds(entry.modified));
            }
            latest = latest.max(entry.latest());
        }
        for tombstone in &mut self.deleted {
            if tombstone.stamp == Stamp::default() {
                tombstone.stamp = Stamp::from_seconds(tombstone.deleted);
            }
            latest = latest.max(tombstone.stamp);
        }
        self.clock = latest;
    }
}
