//! The vault's entries as a collection whose every change keeps names
//! unique: finding by query, adding, renaming, removing, and moving an HOTP
//! counter on. Names are compared by [`same_name`] and queries matched by
//! [`matches`], the only two places that fold case.

mod change;
mod index;
mod order;
mod payload;
mod tombstone;

use std::collections::HashSet;

use serde::Serialize;

use crate::entry::{Entry, Stamps};
use crate::keyring::Keyring;
use crate::names::{self, Field};
use crate::otp::Code;
use crate::site::SiteEdit;
use crate::stamp::{self, Stamp};

/// A change to an entry's fields other than its name and secret: what is
/// `None` (or an empty [`SiteEdit`]) stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Edit {
    pub issuer: Option<String>,
    pub account: Option<String>,
    pub sites: SiteEdit,
    /// A new algorithm, number of digits or period (the kind of code and
    /// the counter stay: the kind is part of the account).
    pub algorithm: Option<crate::otp::Algorithm>,
    pub digits: Option<u8>,
    pub period: Option<u32>,
}

pub use crate::entry::EntryError;
pub use index::{Clash, Index};
pub use payload::{BrokenRule, InvalidPayload};
pub use tombstone::{TOMBSTONE_HORIZON_DAYS, Tombstone};

/// True if two names are the same name: names are unique regardless of
/// case, so "amazon" and "Amazon" are one entry.
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// A name with its case folded (in NFC, as names are kept): the one
/// definition of "regardless of case".
fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // ASCII is its own NFC: most names skip the normalizer.
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    name.nfc().collect::<String>().to_lowercase()
}

/// A name as typed, tidied and checked ([`names::typed`]).
pub fn check_name(name: &str) -> Result<String, EntryError> {
    Ok(names::typed(Field::Name, name)?)
}

/// The error for `name` clashing as `clash` says, naming the entry that
/// has the name (or one like it).
fn clash_error(name: &str, clash: Clash) -> EntryError {
    match clash {
        Clash::Same(existing) => EntryError::NameExists(existing),
        Clash::LookAlike(existing) => EntryError::LookAlike {
            name: name.to_string(),
            existing,
        },
    }
}

/// True if `query` is part of the entry's name, issuer or account,
/// regardless of case.
pub fn matches(entry: &Entry, query: &str) -> bool {
    matches_fields([&entry.name, &entry.issuer, &entry.account], query)
}

/// [`matches`] for an entry as a command shows it.
pub fn matches_view(entry: &crate::entry::View, query: &str) -> bool {
    matches_fields([&entry.name, &entry.issuer, &entry.account], query)
}

fn matches_fields(fields: [&String; 3], query: &str) -> bool {
    let query = fold(query);
    fields.iter().any(|field| fold(field).contains(&query))
}

/// The entries of a vault and the tombstones of removed ones, in one
/// canonical order (entries by creation time then id, tombstones by id), so
/// that two copies with the same entries are equal. Read from a payload
/// only if it keeps the collection's rules ([`Entries::from_json`]).
///
/// The rules every change keeps: names are unique regardless of case; no
/// two entries hold the same secret for the same kind of code (they would
/// be one account twice); names, issuers and accounts are plain text.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Entries {
    pub(crate) entries: Vec<Entry>,
    pub(crate) deleted: Vec<Tombstone>,
    /// The latest stamp this copy has seen: a change stamps after it
    /// ([`crate::stamp`]).
    pub(crate) clock: Stamp,
    /// See [`Entries::horizon`].
    pub(crate) horizon: Stamp,
    /// Retired data keys and revoked recovery keys ([`crate::keyring`]).
    #[serde(flatten)]
    pub(crate) keyring: Keyring,
    /// Top-level fields a newer otpvault wrote, kept as they are.
    #[serde(flatten)]
    pub(crate) unknown: serde_json::Map<String, serde_json::Value>,
}

impl Entries {
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn as_slice(&self) -> &[Entry] {
        &self.entries
    }

    pub fn tombstones(&self) -> &[Tombstone] {
        &self.deleted
    }

    /// The entry named exactly `name` (regardless of case).
    pub fn named(&self, name: &str) -> Option<&Entry> {
        self.index_of_name(name).map(|i| &self.entries[i])
    }

    /// The entry with this id.
    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    fn index_of_name(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| same_name(&e.name, name))
    }

    fn index_of_exact(&self, name: &str) -> Result<usize, EntryError> {
        self.index_of_name(name)
            .ok_or_else(|| EntryError::NoMatch(name.to_string()))
    }

    /// The one entry `query` designates: the entry named exactly `query`
    /// (regardless of case), else the only one whose name, issuer or
    /// account contains it.
    pub fn find(&self, query: &str) -> Result<&Entry, EntryError> {
        self.position(query).map(|i| &self.entries[i])
    }

    /// The index of the one entry `query` designates.
    pub(crate) fn position(&self, query: &str) -> Result<usize, EntryError> {
        if let Some(i) = self.index_of_name(query) {
            return Ok(i);
        }
        let found: Vec<usize> = (0..self.entries.len())
            .filter(|&i| matches(&self.entries[i], query))
            .collect();
        match found.as_slice() {
            [] => Err(EntryError::NoMatch(query.to_string())),
            [one] => Ok(*one),
            many => Err(EntryError::Ambiguous {
                query: query.to_string(),
                names: many.iter().map(|&i| self.entries[i].name.clone()).collect(),
            }),
        }
    }

    /// Adds an entry whose name is not taken (nor like one taken), whose
    /// secret is not already in the vault, and whose name, issuer and
    /// account are plain text (tidied as [`names::typed`] does).
    pub fn add(&mut self, entry: Entry) -> Result<&Entry, EntryError> {
        let id = entry.id.clone();
        self.add_all(vec![entry])?;
        self.by_id(&id).ok_or(EntryError::NoMatch(id))
    }

    /// Adds every entry of `new` as [`Entries::add`] does, each checked
    /// against the others too, or none if one is refused: in time linear
    /// in the entries, for imports of any size.
    pub fn add_all(&mut self, new: Vec<Entry>) -> Result<(), EntryError> {
        self.add_all_at(new, stamp::wall_ms())
    }

    /// [`Entries::add_all`], with the new entries stamped as made when the
    /// wall clock read `wall_ms` ([`Entries::tick`]).
    pub fn add_all_at(&mut self, new: Vec<Entry>, wall_ms: i64) -> Result<(), EntryError> {
        let mut index = self.index();
        let mut checked = Vec::with_capacity(new.len());
        for mut entry in new {
            entry.name = names::typed(Field::Name, &entry.name)?;
            entry.issuer = names::typed(Field::Issuer, &entry.issuer)?;
            entry.account = names::typed(Field::Account, &entry.account)?;
            if let Some(clash) = index.clash(&entry.name, None) {
                return Err(clash_error(&entry.name, clash));
            }
            let account = entry.account_key();
            if let Some(holder) = index.holder(&account) {
                return Err(EntryError::SameSecret(holder.to_string()));
            }
            entry.otp.validate()?;
            index.insert(&entry.name, account);
            checked.push(entry);
        }
        // An account may have been removed before: adding it again is a
        // change later than that removal (the clock has seen it), and this
        // copy forgets the removal.
        let stamp = self.tick(wall_ms);
        let mut readded = HashSet::new();
        for entry in &mut checked {
            entry.stamps = Stamps::all(stamp);
            entry.modified = stamp.seconds();
            readded.insert(entry.account_key());
        }
        self.deleted
            .retain(|t| t.account.as_ref().is_none_or(|a| !readded.contains(a)));
        self.entries.extend(checked);
        self.sort();
        self.settle_names();
        Ok(())
    }

    /// The stamp of a change made now: the wall clock (`wall_ms`), or just
    /// after the latest stamp this copy has seen if that is later.
    pub(crate) fn tick(&mut self, wall_ms: i64) -> Stamp {
        self.clock = self.clock.next(wall_ms);
        self.clock
    }

    /// The latest stamp this copy has seen.
    pub fn clock(&self) -> Stamp {
        self.clock
    }

    /// True if the two hold the same, whatever their clocks have seen: a
    /// merge that changed only the clock changed nothing to save.
    pub fn same_but_clock(&self, other: &Entries) -> bool {
        self.entries == other.entries
            && self.deleted == other.deleted
            && self.horizon == other.horizon
            && self.keyring == other.keyring
            && self.unknown == other.unknown
    }

    /// The names and accounts of the entries, for checks of many new ones.
    pub fn index(&self) -> Index {
        Index::of(&self.entries)
    }

    /// The name a new entry called `name` would have (tidied), if it may:
    /// plain text ([`check_name`]) that no entry has and that looks like
    /// no entry's name. `otp add` asks this before the key is pasted.
    pub fn check_new_name(&self, name: &str) -> Result<String, EntryError> {
        let name = check_name(name)?;
        if let Some(clash) = self.index().clash(&name, None) {
            return Err(clash_error(&name, clash));
        }
        Ok(name)
    }

    /// The entry that already holds `entry`'s secret for its kind of code.
    pub fn holding(&self, entry: &Entry) -> Option<&Entry> {
        let account = entry.account_key();
        self.entries.iter().find(|e| e.account_key() == account)
    }

    /// The code at the counter of the HOTP entry `query` designates, with
    /// the counter moved on. The caller must save before showing it.
    pub fn advance_hotp(&mut self, query: &str) -> Result<(&Entry, Code), EntryError> {
        let i = self.position(query)?;
        self.advance_hotp_at(i)
    }

    /// [`Entries::advance_hotp`] for the entry at index `i`.
    pub(crate) fn advance_hotp_at(&mut self, i: usize) -> Result<(&Entry, Code), EntryError> {
        let code = self.entries[i].advance_hotp()?;
        Ok((&self.entries[i], code))
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Account, Overrides};

    fn entry(name: &str, issuer: &str) -> Entry {
        // A key of its own for every name: one account, one entry.
        let secret = crate::secret::Secret::new(format!("key of {name}").into_bytes());
        let mut e = Account::from_key(secret)
            .enrol(name, Overrides::default())
            .unwrap()
            .entry;
        e.issuer = issuer.into();
        e
    }

    fn sample() -> Entries {
        let mut all = Entries::default();
        for (name, issuer) in [("Amazon", "Amazon"), ("Amazon AWS", "AWS"), ("GitHub", "")] {
            all.add(entry(name, issuer)).unwrap();
        }
        all
    }

    #[test]
    fn names_are_unique_regardless_of_case() {
        let mut all = sample();
        assert_eq!(
            all.add(entry("AMAZON", "x")),
            Err(EntryError::NameExists("Amazon".into()))
        );
        let mut blank = entry("blank", "x");
        blank.name = "  ".into();
        assert_eq!(
            all.add(blank),
            Err(EntryError::Name(crate::names::NameError::Empty))
        );
        assert_eq!(
            all.rename("github", "amazon aws").unwrap_err(),
            EntryError::NameExists("Amazon AWS".into())
        );
        // A rename to the same name in another case is no clash.
        assert_eq!(all.rename("github", "GITHUB").unwrap().name, "GITHUB");
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn an_exact_name_wins_and_several_matches_are_named() {
        let all = sample();
        assert_eq!(all.find("amazon").unwrap().name, "Amazon");
        assert_eq!(all.find("aws").unwrap().name, "Amazon AWS");
        match all.find("ama") {
            Err(EntryError::Ambiguous { names, .. }) => {
                assert_eq!(names, ["Amazon", "Amazon AWS"])
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            all.find("paypal").unwrap_err(),
            EntryError::NoMatch("paypal".into())
        );
    }

    #[test]
    fn one_account_is_one_entry() {
        let mut all = sample();
        let mut twin = entry("Amazon again", "Amazon");
        twin.secret = all.named("Amazon").unwrap().secret.clone();
        assert_eq!(all.add(twin), Err(EntryError::SameSecret("Amazon".into())));
    }

    #[test]
    fn a_later_entry_with_a_taken_given_name_is_shown_numbered() {
        let mut all = sample();
        // As a merge leaves it: two entries given the name GitHub.
        let mut second = entry("GitHub two", "");
        second.created += 10;
        let id = second.id.clone();
        all.add(second).unwrap();
        let last = all.entries.iter().position(|e| e.id == id).unwrap();
        all.entries[last].name = "github".into();
        all.settle_names();
        let second = all.by_id(&id).unwrap();
        assert_eq!(second.name, "github (2)", "the newer one is numbered");
        assert_eq!(second.given_name.as_deref(), Some("github"));
        assert_eq!(all.named("GitHub").unwrap().given_name, None);
        // Once the clash is gone, the given name comes back.
        all.remove("GitHub").unwrap();
        let second = all.by_id(&id).unwrap();
        assert_eq!(
            (second.name.as_str(), second.given_name.as_deref()),
            ("github", None)
        );
    }

    #[test]
    fn remove_takes_an_exact_name_and_leaves_a_tombstone() {
        let mut all = sample();
        assert!(matches!(all.remove("Ama"), Err(EntryError::NoMatch(_))));
        let removed = all.remove("amazon aws").unwrap();
        assert_eq!(all.tombstones()[0].id, removed.id);
        assert_eq!(all.len(), 2);
    }
}
