//! The vault's entries as a collection whose every change keeps names
//! unique: finding by query, adding, renaming, removing, and moving an HOTP
//! counter on. Names are compared by [`same_name`] and queries matched by
//! [`matches`], the only two places that fold case.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clock;
use crate::entry::Entry;
use crate::otp::{Code, ParamError};
use crate::text::{self, Escaped, Field, ForbiddenChar, Quoted};

/// Why an entry could not be found, added or changed. Names in the
/// messages are escaped: they come from the vault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EntryError {
    #[error(
        "an entry named {} already exists: choose another name, or remove or rename that one first",
        Quoted(.0)
    )]
    NameExists(String),
    #[error("the name is empty: give the entry a name, such as Amazon")]
    EmptyName,
    #[error("no entry matches {}: run `otp list` to see the names", Quoted(.0))]
    NoMatch(String),
    #[error(
        "{} entries match {} ({}): give the exact name",
        .names.len(),
        Quoted(.query),
        Escaped(&.names.join(", "))
    )]
    Ambiguous { query: String, names: Vec<String> },
    #[error(transparent)]
    Forbidden(#[from] ForbiddenChar),
    #[error(transparent)]
    Params(#[from] ParamError),
}

/// A removed entry's id and when it went, so that a later merge of two
/// copies does not bring it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: String,
    pub deleted: i64,
}

/// True if two names are the same name: names are unique regardless of
/// case, so "amazon" and "Amazon" are one entry.
pub fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// A name with its case folded: the one definition of "regardless of case".
fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// True if `query` is part of the entry's name, issuer or account,
/// regardless of case.
pub fn matches(entry: &Entry, query: &str) -> bool {
    let query = fold(query);
    [&entry.name, &entry.issuer, &entry.account]
        .iter()
        .any(|field| fold(field).contains(&query))
}

/// The entries of a vault, in the order they were added, and the
/// tombstones of removed ones. Read from a payload only if it keeps the
/// collection's rules ([`Entries::from_json`]).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Entries {
    entries: Vec<Entry>,
    deleted: Vec<Tombstone>,
}

/// The payload as stored, before its rules are checked.
#[derive(Deserialize)]
struct Stored {
    entries: Vec<Entry>,
    #[serde(default)]
    deleted: Vec<Tombstone>,
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
        Ok(Entries {
            entries: stored.entries,
            deleted: stored.deleted,
        })
    }
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
    fn position(&self, query: &str) -> Result<usize, EntryError> {
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

    /// Adds an entry whose name is not taken and whose name, issuer and
    /// account are plain text.
    pub fn add(&mut self, entry: Entry) -> Result<&Entry, EntryError> {
        if entry.name.trim().is_empty() {
            return Err(EntryError::EmptyName);
        }
        text::check(Field::Name, &entry.name)?;
        text::check(Field::Issuer, &entry.issuer)?;
        text::check(Field::Account, &entry.account)?;
        if self.index_of_name(&entry.name).is_some() {
            return Err(EntryError::NameExists(entry.name));
        }
        entry.otp.validate()?;
        self.entries.push(entry);
        Ok(&self.entries[self.entries.len() - 1])
    }

    /// Removes the entry named exactly `name` (ignoring case) and leaves a
    /// tombstone. Destructive, so no partial matching.
    pub fn remove(&mut self, name: &str) -> Result<Entry, EntryError> {
        let i = self.index_of_exact(name)?;
        let entry = self.entries.remove(i);
        self.deleted.push(Tombstone {
            id: entry.id.clone(),
            deleted: clock::timestamp(),
        });
        Ok(entry)
    }

    /// Renames the entry named exactly `old`; its id stays.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<&Entry, EntryError> {
        if new.trim().is_empty() {
            return Err(EntryError::EmptyName);
        }
        text::check(Field::Name, new)?;
        let i = self.index_of_exact(old)?;
        if self.index_of_name(new).is_some_and(|j| j != i) {
            return Err(EntryError::NameExists(new.to_string()));
        }
        let entry = &mut self.entries[i];
        entry.name = new.to_string();
        entry.touch();
        Ok(entry)
    }

    /// The code at the counter of the HOTP entry `query` designates, with
    /// the counter moved on. The caller must save before showing it.
    pub(crate) fn advance_hotp(&mut self, query: &str) -> Result<(&Entry, Code), EntryError> {
        let i = self.position(query)?;
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
    use crate::entry::{Account, Overrides};
    use crate::key;

    fn entry(name: &str, issuer: &str) -> Entry {
        let mut e = Account::from_key(key::parse("JBSWY3DPEHPK3PXP").unwrap())
            .enrol(name.into(), Overrides::default())
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
            Err(EntryError::NameExists("AMAZON".into()))
        );
        assert_eq!(all.add(entry("  ", "x")), Err(EntryError::EmptyName));
        assert_eq!(
            all.rename("github", "amazon aws").unwrap_err(),
            EntryError::NameExists("amazon aws".into())
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
    fn remove_takes_an_exact_name_and_leaves_a_tombstone() {
        let mut all = sample();
        assert!(matches!(all.remove("Ama"), Err(EntryError::NoMatch(_))));
        let removed = all.remove("amazon aws").unwrap();
        assert_eq!(all.tombstones()[0].id, removed.id);
        assert_eq!(all.len(), 2);
    }
}
