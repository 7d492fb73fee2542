//! The names and accounts of a collection, looked up in constant time, so
//! that adding many entries at once (an import of 100,000) checks each
//! against the others without reading them all again.

use std::collections::HashMap;

use super::fold;
use crate::entry::Entry;
use crate::names;

/// Why a name cannot be taken: the entry that has it, or one like it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clash {
    /// An entry has this name, regardless of case.
    Same(String),
    /// An entry's name looks like it ([`names::look_alike`]).
    LookAlike(String),
}

/// Names (folded, and by both confusable skeletons) and accounts
/// ([`Entry::account_key`]) of a set of entries, each with the name of the
/// entry that holds it.
#[derive(Debug, Default)]
pub struct Index {
    folded: HashMap<String, String>,
    skeletons: [HashMap<String, String>; 2],
    accounts: HashMap<String, String>,
}

impl Index {
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Index {
        let mut index = Index::default();
        for entry in entries {
            index.insert(&entry.name, entry.account_key());
        }
        index
    }

    /// Records that an entry called `name` holds the account `account`.
    pub fn insert(&mut self, name: &str, account: String) {
        self.insert_name(name);
        self.accounts.insert(account, name.to_string());
    }

    fn insert_name(&mut self, name: &str) {
        self.folded.insert(fold(name), name.to_string());
        for (map, skeleton) in self.skeletons.iter_mut().zip(names::skeletons(name)) {
            map.entry(skeleton).or_insert_with(|| name.to_string());
        }
    }

    /// The entry whose name `name` would clash with; `except` is a name
    /// that may be matched (an entry's own, when it is renamed).
    pub fn clash(&self, name: &str, except: Option<&str>) -> Option<Clash> {
        let other = |found: &String| except.is_none_or(|e| fold(e) != fold(found));
        if let Some(found) = self.folded.get(&fold(name)).filter(|f| other(f)) {
            return Some(Clash::Same(found.clone()));
        }
        self.skeletons
            .iter()
            .zip(names::skeletons(name))
            .find_map(|(map, skeleton)| map.get(&skeleton).filter(|f| other(f)))
            .map(|found| Clash::LookAlike(found.clone()))
    }

    /// True if an entry has this name, regardless of case.
    pub fn has_name(&self, name: &str) -> bool {
        self.folded.contains_key(&fold(name))
    }

    /// The name of the entry that holds `account`.
    pub fn holder(&self, account: &str) -> Option<&str> {
        self.accounts.get(account).map(String::as_str)
    }
}
