//! The canonical order of a vault's entries and the names they are shown
//! under: functions of the entries alone, so that every copy agrees.

use std::collections::HashSet;

use super::{Entries, fold};
use crate::entry::Entry;

impl Entries {
    /// Puts entries and tombstones in the canonical order.
    pub(crate) fn sort(&mut self) {
        self.entries.sort_by_cached_key(|e| {
            let (created, name, id) = order(e);
            (created, name, id.to_string())
        });
        self.deleted.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// Gives every entry its given name, except where an older entry (in the
    /// canonical order: by creation time) has the same one: the later ones are shown
    /// as `Name (2)`, `Name (3)`, ..., skipping names in use. A function of
    /// the entries alone, so that every copy settles the same way, and an
    /// entry gets its given name back once the clash is gone.
    pub(crate) fn settle_names(&mut self) {
        // Names settle themselves unless some entry shows a name other than
        // its given one (the usual case: nothing to do).
        if self.entries.iter().all(|e| e.given_name.is_none()) && self.names_unique() {
            return;
        }
        let given: HashSet<String> = self.entries.iter().map(|e| fold(e.given_name())).collect();
        let mut taken: HashSet<String> = HashSet::with_capacity(self.entries.len());
        for entry in &mut self.entries {
            let base = entry.given_name().to_string();
            let mut name = base.clone();
            let mut n = 1;
            while taken.contains(&fold(&name)) || (n > 1 && given.contains(&fold(&name))) {
                n += 1;
                name = format!("{base} ({n})");
            }
            taken.insert(fold(&name));
            entry.given_name = (name != base).then_some(base);
            entry.name = name;
        }
    }
}

impl Entries {
    /// True if no two shown names are the same regardless of case.
    fn names_unique(&self) -> bool {
        let mut seen = HashSet::with_capacity(self.entries.len());
        self.entries.iter().all(|e| seen.insert(fold(&e.name)))
    }
}

/// The canonical order of entries: creation time, then (for entries made
/// in the same second, as by an import) given name, then id. The order
/// `otp list` shows, and a function of the entries alone, so that every
/// copy holds them the same way.
fn order(entry: &Entry) -> (i64, String, &str) {
    (entry.created, fold(entry.given_name()), entry.id.as_str())
}
