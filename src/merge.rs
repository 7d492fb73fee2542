//! Merging diverged copies of a vault's entries, so that a vault kept in a
//! synced folder (Syncthing, Dropbox, git) loses nothing when two devices
//! change it at once.
//!
//! It is a state merge: the result depends only on the copies, not on the
//! order they are merged in, and merging a copy with itself changes
//! nothing. It works account by account, an account being a secret for a
//! kind of code ([`Entry::account_key`]); an account is usually one entry
//! id, but the same account enrolled separately on two devices has two.
//! For each account:
//!
//! - the version with the later `modified` wins (ties: the greater
//!   content, so that every device picks the same);
//! - it keeps the smallest id it has had in any copy, so two ids of one
//!   account become one entry (an account enrolled once keeps its id);
//! - its HOTP counter is the largest any version or tombstone had, so no
//!   code is ever shown twice;
//! - a removal wins over an edit only if it is later; a tombstone stays
//!   only while its account is gone;
//! - two accounts with the same name both stay: the newer is shown as
//!   `Name (2)` ([`Entries::settle_names`]).
//!
//! `tests/merge_properties.rs` checks these laws on random histories.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use zeroize::Zeroizing;

use crate::entries::{Entries, Tombstone};
use crate::entry::Entry;
use crate::otp::{Kind, Params};

/// What a merge changed in the first copy, for the person who asked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Names of entries the first copy did not have.
    pub added: Vec<String>,
    /// Names of entries of the first copy that are gone.
    pub removed: Vec<String>,
    /// (name before, name now) of entries shown under another name.
    pub renamed: Vec<(String, String)>,
    /// (name dropped, name kept) of accounts that were there twice.
    pub joined: Vec<(String, String)>,
    /// Entries the two copies held in different versions: the later change
    /// won.
    pub conflicts: usize,
}

/// What one account holds across the copies being merged.
#[derive(Default)]
struct Account<'a> {
    best: Option<&'a Entry>,
    id: Option<&'a str>,
    counter: Option<u64>,
    removed: Option<&'a Tombstone>,
}

/// The merge of two copies' entries. Commutative, associative and
/// idempotent (see the module documentation).
pub fn merge(a: &Entries, b: &Entries) -> Entries {
    let entries = || a.entries.iter().chain(&b.entries);
    let tombstones = || a.deleted.iter().chain(&b.deleted);
    // The account of every id an entry holds: tombstones written before
    // format 2 name only their id.
    let account_of_id: HashMap<&str, String> = entries()
        .map(|e| (e.id.as_str(), e.account_key()))
        .collect();
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    for entry in entries() {
        let account = accounts.entry(entry.account_key()).or_default();
        if entry.otp.kind == Kind::Hotp {
            account.counter = account.counter.max(Some(entry.otp.counter));
        }
        account.id = Some(
            account
                .id
                .map_or(entry.id.as_str(), |id| id.min(entry.id.as_str())),
        );
        account.best = Some(match account.best {
            Some(best) if later(best, entry) != Ordering::Less => best,
            _ => entry,
        });
    }
    // Tombstones of ids that no entry holds and that name no account pass
    // through as they are, the later of two for one id.
    let mut orphans: BTreeMap<&str, &Tombstone> = BTreeMap::new();
    for tombstone in tombstones() {
        let key = tombstone
            .account
            .clone()
            .or_else(|| account_of_id.get(tombstone.id.as_str()).cloned());
        let Some(key) = key else {
            let kept = orphans.entry(tombstone.id.as_str()).or_insert(tombstone);
            if later_removal(tombstone, kept) {
                *kept = tombstone;
            }
            continue;
        };
        let account = accounts.entry(key).or_default();
        account.counter = account.counter.max(tombstone.counter);
        account.id = Some(
            account
                .id
                .map_or(tombstone.id.as_str(), |id| id.min(tombstone.id.as_str())),
        );
        account.removed = Some(match account.removed {
            Some(removed) if !later_removal(tombstone, removed) => removed,
            _ => tombstone,
        });
    }
    let mut out = Entries {
        entries: Vec::new(),
        deleted: Vec::new(),
        unknown: merge_unknown(&a.unknown, &b.unknown),
    };
    for (key, account) in accounts {
        let alive = account
            .best
            .filter(|best| account.removed.is_none_or(|t| best.modified > t.deleted));
        if let Some(best) = alive {
            let mut entry = best.clone();
            if let Some(id) = account.id {
                entry.id = id.to_string();
            }
            if let Some(counter) = account.counter.filter(|_| entry.otp.kind == Kind::Hotp) {
                entry.otp.counter = counter;
            }
            out.entries.push(entry);
        } else if let Some(removed) = account.removed {
            out.deleted.push(Tombstone {
                // One tombstone an account, under its smallest id.
                id: account.id.unwrap_or(&removed.id).to_string(),
                deleted: removed.deleted,
                counter: account.counter,
                account: Some(key),
                unknown: removed.unknown.clone(),
            });
        }
    }
    let used: std::collections::HashSet<&str> = out
        .entries
        .iter()
        .map(|e| e.id.as_str())
        .chain(out.deleted.iter().map(|t| t.id.as_str()))
        .collect();
    let orphans: Vec<Tombstone> = orphans
        .into_iter()
        .filter(|(id, _)| !used.contains(id))
        .map(|(_, t)| t.clone())
        .collect();
    out.deleted.extend(orphans);
    out.sort();
    out.settle_names();
    out
}

/// Which of two versions of an account is the later: by `modified`, then
/// by content (ignoring the shown name and the counter, which the merge
/// sets itself), so that every device decides the same.
fn later(a: &Entry, b: &Entry) -> Ordering {
    a.modified
        .cmp(&b.modified)
        .then_with(|| content(a).cmp(&content(b)))
}

/// True if removal `a` is to be kept over removal `b` of the same account.
fn later_removal(a: &Tombstone, b: &Tombstone) -> bool {
    (a.deleted, &a.id) > (b.deleted, &b.id)
}

/// An entry's content as the tie-break compares it: without what the merge
/// sets itself (the id, the shown name, the counter). It holds the secret,
/// so it is wiped when dropped.
fn content(entry: &Entry) -> Zeroizing<Vec<u8>> {
    let mut plain = entry.clone();
    plain.id = String::new();
    plain.name = entry.given_name().to_string();
    plain.given_name = None;
    plain.otp.counter = 0;
    Zeroizing::new(serde_json::to_vec(&plain).unwrap_or_default())
}

/// Top-level fields of a newer otpvault: where the copies differ, the
/// greater value, so that the order of the copies does not matter.
fn merge_unknown(
    a: &serde_json::Map<String, serde_json::Value>,
    b: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = a.clone();
    for (key, value) in b {
        let keep = out
            .get(key)
            .is_some_and(|ours| ours.to_string().cmp(&value.to_string()).is_ge());
        if !keep {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

/// True if two versions of an account differ in more than what a merge
/// sets itself (the shown name, the counter, the id).
fn differ(a: &Entry, b: &Entry) -> bool {
    a.given_name() != b.given_name()
        || a.issuer != b.issuer
        || a.account != b.account
        || Params {
            counter: 0,
            ..a.otp
        } != Params {
            counter: 0,
            ..b.otp
        }
        || a.sites != b.sites
        || a.modified != b.modified
        || a.unknown != b.unknown
}

/// A copy's entries by account.
fn by_account(all: &Entries) -> HashMap<String, Vec<&Entry>> {
    let mut map: HashMap<String, Vec<&Entry>> = HashMap::new();
    for e in all.iter() {
        map.entry(e.account_key()).or_default().push(e);
    }
    map
}

/// What turned `before` (the first copy) into `after` (the merge), with
/// `other` the copy merged in.
pub fn report(before: &Entries, other: &Entries, after: &Entries) -> Report {
    let mut report = Report::default();
    let (ours, theirs, merged) = (by_account(before), by_account(other), by_account(after));
    for e in after.iter() {
        let key = e.account_key();
        let Some(old) = ours.get(&key) else {
            report.added.push(e.name.clone());
            // Added under another name, as an older entry has its own.
            if let Some(given) = &e.given_name {
                report.renamed.push((given.clone(), e.name.clone()));
            }
            continue;
        };
        for o in old {
            if o.id != e.id {
                report.joined.push((o.name.clone(), e.name.clone()));
            } else if o.name != e.name && e.given_name.is_some() {
                report.renamed.push((o.name.clone(), e.name.clone()));
            }
        }
        if let Some(theirs) = theirs.get(&key) {
            if old.iter().any(|o| theirs.iter().any(|t| differ(o, t))) {
                report.conflicts += 1;
            }
            for t in theirs
                .iter()
                .filter(|t| t.id != e.id && !old.iter().any(|o| o.id == t.id))
            {
                report.joined.push((t.name.clone(), e.name.clone()));
            }
        }
    }
    for e in before.iter() {
        if !merged.contains_key(&e.account_key()) {
            report.removed.push(e.name.clone());
        }
    }
    report
}
