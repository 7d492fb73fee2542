//! One account in the vault ([`Entry`]), and one account as a key, a URI
//! or another app's export describes it ([`Account`]), with the rules that
//! turn the second into the first.

use crate::error::{ErrorKind, Kinded};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::clock;
use crate::key;
use crate::names::NameError;
use crate::otp::{Code, Kind, ParamError, Params};
use crate::secret::Secret;
use crate::site::SiteError;
use crate::stamp::Stamp;

mod remains;
mod stamps;

use crate::terminal::{Escaped, Quoted};
pub use remains::Remains;
pub use stamps::{Part, Stamps};

/// Why an entry could not be found, added or changed. Names in the
/// messages are escaped: they come from the vault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EntryError {
    #[error(
        "an entry named {} already exists: choose another name, or remove or rename that one first",
        Quoted(.0)
    )]
    NameExists(String),
    #[error(
        "the name {} looks like the entry {}: names that look alike let one account pass for another; choose a name that reads differently",
        Quoted(.name),
        Quoted(.existing)
    )]
    LookAlike { name: String, existing: String },
    #[error("no entry matches {}: run `otp list` to see the names", Quoted(.0))]
    NoMatch(String),
    #[error(
        "{} entries match {} ({}): give the exact name",
        .names.len(),
        Quoted(.query),
        Escaped(&.names.join(", "))
    )]
    Ambiguous { query: String, names: Vec<String> },
    #[error(
        "this key is already in the vault as {}: one account needs one entry (rename that one if its name is wrong)",
        Quoted(.0)
    )]
    SameSecret(String),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Site(#[from] SiteError),
}

/// An account: what the user calls it, whose it is, and how to make codes.
///
/// `id` never changes (renames keep it), and `created`/`modified` are kept,
/// so that two diverged copies of a vault can be merged entry by entry.
/// Entries live in an [`Entries`](crate::entries::Entries) collection, which
/// hands out only shared references: every change goes through it, so that
/// names stay unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// The name shown and looked up; unique in a vault.
    pub name: String,
    /// The name the entry was given, when a merge shows it under another
    /// because an older entry has the same one (`GitHub (2)`); see
    /// [`crate::merge`]. `None` when `name` is the given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub account: String,
    #[serde(with = "key::base32")]
    pub secret: Secret,
    pub otp: Params,
    /// The sites where this code may be typed: domain names in lower-case
    /// ASCII ([`crate::site`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// Unix seconds (negative before 1970; see [`clock::timestamp`]).
    pub created: i64,
    /// Unix seconds of the latest change ([`Entry::latest`]), for people;
    /// merges go by [`Entry::stamps`].
    pub modified: i64,
    /// When each field last changed (format 3). A file of an older format
    /// has none; its entries read as changed wholly at `modified`.
    #[serde(default, skip_serializing_if = "Stamps::is_unset")]
    pub stamps: Stamps,
    /// Fields a newer otpvault wrote, kept as they are (format 2).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl Entry {
    /// A new entry with a fresh random id, stamped now.
    pub fn new(
        name: String,
        issuer: String,
        account: String,
        secret: Secret,
        otp: Params,
    ) -> Result<Entry, ParamError> {
        let now = clock::timestamp();
        Ok(Entry {
            id: new_id(),
            name,
            given_name: None,
            issuer,
            account,
            secret,
            otp: otp.validate()?,
            sites: Vec::new(),
            created: now,
            modified: now,
            stamps: Stamps::all(Stamp::from_seconds(now)),
            unknown: serde_json::Map::new(),
        })
    }

    /// The code at Unix time `time`; see [`Params::code`]. For an HOTP
    /// entry this is the code at its stored counter: showing it uses it
    /// up, which [`Vault::next_code`](crate::vault::Vault::next_code) takes care of.
    pub fn code(&self, time: u64) -> Result<Code, ParamError> {
        self.otp.code(&self.secret, time)
    }

    /// What a person needs to type a time-based code in time: the code at
    /// `time`, the seconds it has left and, when those are
    /// [`NEXT_CODE_WITHIN`] or fewer, the code that follows, so that nobody
    /// types a code that dies on the way. `None` for an HOTP entry, whose
    /// code is shown only by using it up.
    pub fn current(&self, time: u64) -> Result<Option<Current>, ParamError> {
        if self.otp.kind == Kind::Hotp {
            return Ok(None);
        }
        let remaining = self.otp.remaining(time);
        let next = if remaining <= NEXT_CODE_WITHIN {
            Some(self.code(time.saturating_add(remaining))?)
        } else {
            None
        };
        Ok(Some(Current {
            code: self.code(time)?,
            remaining,
            period: self.otp.period,
            next,
        }))
    }

    /// Moves an HOTP counter on, returning the code at the old one. At the
    /// last counter there is no next one, so no code is made.
    ///
    /// `modified` stays: a merge takes the larger counter of two copies on
    /// its own, so using a code must not make this version of the entry
    /// win over a rename made elsewhere.
    pub(crate) fn advance_hotp(&mut self) -> Result<Code, ParamError> {
        let next = self
            .otp
            .counter
            .checked_add(1)
            .ok_or(ParamError::CounterExhausted)?;
        let code = self.code(0)?;
        self.otp.counter = next;
        Ok(code)
    }

    /// Marks `field` as changed at `stamp`, which the caller made later
    /// than every stamp the vault has seen.
    pub(crate) fn stamp(&mut self, field: Part, stamp: Stamp) {
        *self.stamps.of(field) = stamp;
        self.modified = self.latest().seconds();
    }

    /// The latest change to any field.
    pub fn latest(&self) -> Stamp {
        self.stamps.latest()
    }

    /// Which account the entry is, for a merge: entries that hold the same
    /// secret for the same kind of code are one account, whatever their ids
    /// (the account enrolled separately on two devices). A hash, so that a
    /// tombstone can name the account without holding its secret.
    pub fn account_key(&self) -> String {
        account_key(self.otp.kind, &self.secret)
    }

    /// The name the entry was given: what a merge compares and restores.
    pub fn given_name(&self) -> &str {
        self.given_name.as_deref().unwrap_or(&self.name)
    }

    /// The account written into an export: the entry's, else its name,
    /// since phone apps need a label. (The issuer is written as it is: an
    /// account without one is exported without one, never with an invented
    /// one that an app would show beside the account, twice.)
    pub fn export_account(&self) -> &str {
        if self.account.is_empty() {
            &self.name
        } else {
            &self.account
        }
    }
}

/// The account a secret is for a kind of code; see [`Entry::account_key`].
pub fn account_key(kind: Kind, secret: &Secret) -> String {
    let mut hash = Sha256::new();
    hash.update(b"otpvault account\0");
    hash.update(kind.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(secret.expose());
    data_encoding::HEXLOWER.encode(&hash.finalize()[..16])
}

/// A code is shown with the next one when this many seconds or fewer are
/// left: about the time it takes to read six digits and type them.
pub const NEXT_CODE_WITHIN: u64 = 5;

/// A time-based code as [`Entry::current`] gives it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Current {
    pub code: Code,
    /// Seconds until `code` changes.
    pub remaining: u64,
    /// Seconds a code lasts.
    pub period: u32,
    /// The code after `code`, when it is close.
    pub next: Option<Code>,
}

/// An entry as a command shows it: everything but its secret and its
/// stamps. What the agent hands out about an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: String,
    pub issuer: String,
    pub account: String,
    pub otp: Params,
    pub sites: Vec<String>,
    pub created: i64,
}

impl From<&Entry> for View {
    fn from(entry: &Entry) -> View {
        View {
            name: entry.name.clone(),
            issuer: entry.issuer.clone(),
            account: entry.account.clone(),
            otp: entry.otp,
            sites: entry.sites.clone(),
            created: entry.created,
        }
    }
}

/// 128 random bits as hex: unique without coordination between devices.
fn new_id() -> String {
    data_encoding::HEXLOWER.encode(&crate::crypto::random_array::<16>())
}

impl Kinded for EntryError {
    fn kind(&self) -> ErrorKind {
        match self {
            EntryError::NoMatch(_) => ErrorKind::NoMatch,
            EntryError::Ambiguous { .. } => ErrorKind::Ambiguous,
            EntryError::NameExists(_)
            | EntryError::LookAlike { .. }
            | EntryError::SameSecret(_) => ErrorKind::Exists,
            EntryError::Name(_) | EntryError::Site(_) => ErrorKind::Usage,
            EntryError::Params(e) => e.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Account, Overrides};
    use crate::key;

    fn key() -> Secret {
        key::parse("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap()
    }

    #[test]
    fn the_next_code_comes_with_five_seconds_or_fewer_left() {
        let entry = Account::from_key(key())
            .enrol("Amazon", Overrides::default())
            .unwrap()
            .entry;
        let t = 1_700_000_020; // 20 s left in its period
        let now = entry.current(t).unwrap().unwrap();
        assert_eq!((now.remaining, now.next.is_none()), (20, true));
        let late = entry.current(t + 15).unwrap().unwrap();
        assert_eq!(late.remaining, 5);
        assert_eq!(late.code.as_str(), entry.code(t).unwrap().as_str());
        assert_eq!(
            late.next.unwrap().as_str(),
            entry.code(t + 20).unwrap().as_str()
        );
        let hotp = Account::from_key(key())
            .enrol(
                "Bank",
                Overrides {
                    hotp: true,
                    ..Overrides::default()
                },
            )
            .unwrap()
            .entry;
        assert!(hotp.current(t).unwrap().is_none());
    }

    #[test]
    fn the_last_hotp_counter_gives_no_code() {
        let mut entry = Account::from_key(key())
            .enrol("Bank", Overrides::default())
            .unwrap()
            .entry;
        entry.otp.kind = Kind::Hotp;
        entry.otp.counter = u64::MAX;
        assert_eq!(entry.advance_hotp(), Err(ParamError::CounterExhausted));
        assert_eq!(entry.otp.counter, u64::MAX);
    }
}
