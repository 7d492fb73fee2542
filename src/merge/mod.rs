//! Merging diverged copies of a vault's entries, so that a vault kept in a
//! synced folder (Syncthing, Dropbox, git) loses nothing when two devices
//! change it at once.
//!
//! It is a state merge: the result depends only on the copies (and the
//! merging device's clock, which bounds stamps from the future), not on
//! the order they are merged in, and merging a result again changes
//! nothing. It works account by account, an account being a secret for a
//! kind of code ([`Entry::account_key`]); an account is usually one entry
//! id, but the same account enrolled separately on two devices has two.
//! For each account:
//!
//! - each field (name, issuer, account, sites, parameters) is the value
//!   with the latest stamp ([`crate::stamp`]); equal stamps go to the
//!   greater value, so that every device picks the same;
//! - it keeps the smallest id it has had in any copy, so two ids of one
//!   account become one entry (an account enrolled once keeps its id);
//! - its HOTP counter is the largest any version or tombstone had, so no
//!   code is ever shown twice;
//! - a removal wins over the entry only if it is later than every change
//!   to it; a tombstone stays only while its account is gone;
//! - two accounts with the same name both stay: the newer is shown as
//!   `Name (2)` ([`Entries::settle_names`]).
//!
//! A file of an older format may hold one account twice (six and eight
//! digits of one secret): such entries are matched by id, never joined.
//! The horizon is the later of the two; tombstones are forgotten only when
//! a vault is saved, never by a merge (which would make the order of
//! merges matter), and a copy that may hold entries whose removal was
//! forgotten is refused before it is merged ([`forgotten`]).
//!
//! `tests/merge_properties.rs` checks these laws on random histories.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

mod fields;
mod report;

pub use report::report;

use fields::Source;

use crate::entries::{Entries, Tombstone};
use crate::entry::{Entry, Part, Remains, Stamps};
use crate::otp::Kind;
use crate::stamp::Stamp;

/// What a merge changed in the first copy, for the person who asked.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// Names of entries the first copy did not have.
    pub added: Vec<String>,
    /// Names of entries of the first copy that are gone.
    pub removed: Vec<String>,
    /// (name before, name now) of entries shown under another name, by a
    /// rename from the other copy or a clash of names.
    pub renamed: Vec<(String, String)>,
    /// Names of entries whose issuer, account, sites or parameters came
    /// from the other copy.
    pub updated: Vec<String>,
    /// (name dropped, name kept) of accounts that were there twice.
    pub joined: Vec<(String, String)>,
    /// Stamps from more than a day ahead of this device's clock, counted
    /// as made a day ahead; the latest of them as it was.
    pub ahead: Ahead,
}

/// Stamps a merge moved back ([`Stamp::limited`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ahead {
    pub count: usize,
    pub latest: Option<Stamp>,
}

impl Ahead {
    fn note(&mut self, original: Stamp, moved: bool) {
        if moved {
            self.count += 1;
            self.latest = self.latest.max(Some(original));
        }
    }
}

/// A copy that holds an entry whose removal the other may have forgotten
/// ([`forgotten`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgotten {
    /// The entry's name.
    pub name: String,
    /// True if it is in the copy being merged in (else in this vault).
    pub in_copy: bool,
}

/// The first entry that one copy holds, the other does not, and that was
/// last changed at or before the other's horizon: it may have been
/// removed there and the removal forgotten, so merging cannot tell a
/// removed entry from a new one. `None` when the copies can be merged.
pub fn forgotten(ours: &Entries, copy: &Entries) -> Option<Forgotten> {
    let lacking = |have: &Entries, other: &Entries, in_copy: bool| {
        // Few entries are that old, if any: the sets only for them.
        let old: Vec<&Entry> = have
            .iter()
            .filter(|e| e.latest() <= other.horizon())
            .collect();
        if old.is_empty() {
            return None;
        }
        let accounts: HashSet<String> = other.iter().map(Entry::account_key).collect();
        let ids: HashSet<&str> = other.iter().map(|e| e.id.as_str()).collect();
        old.into_iter()
            .find(|e| !ids.contains(e.id.as_str()) && !accounts.contains(&e.account_key()))
            .map(|e| Forgotten {
                name: e.name.clone(),
                in_copy,
            })
    };
    lacking(copy, ours, true).or_else(|| lacking(ours, copy, false))
}

/// Which group an entry or tombstone belongs to: its account, or, for an
/// account a copy holds twice (older formats), its id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group<'a> {
    Account(&'a str),
    Id(&'a str),
}

/// What a group holds: versions of an entry, and removals.
#[derive(Clone, Copy)]
enum Item<'a> {
    Version(&'a Entry),
    Removal(&'a Tombstone),
}

/// The merge of two copies' entries, with stamps from more than a day
/// after `wall_ms` (this device's clock) counted as made a day after it.
/// Commutative, associative and idempotent (see the module
/// documentation).
pub fn merge(a: &Entries, b: &Entries, wall_ms: i64) -> (Entries, Ahead) {
    let mut ahead = Ahead::default();
    let limit = |stamp: Stamp| stamp.limited(wall_ms).0;
    // Every entry's account, computed once (a hash of its secret).
    let accounts: Vec<String> = a.iter().chain(b.iter()).map(Entry::account_key).collect();
    let (of_a, of_b) = accounts.split_at(a.len());
    let twins: HashSet<&str> = [of_a, of_b].into_iter().flat_map(held_twice).collect();
    let account_of_id: HashMap<&str, &str> = a
        .iter()
        .chain(b.iter())
        .zip(&accounts)
        .map(|(e, account)| (e.id.as_str(), account.as_str()))
        .collect();
    // Everything, by group: sorted, each group is one run.
    let mut items: Vec<(Group, Item)> =
        Vec::with_capacity(accounts.len() + a.deleted.len() + b.deleted.len());
    for (entry, account) in a.iter().chain(b.iter()).zip(&accounts) {
        let group = if twins.contains(account.as_str()) {
            Group::Id(&entry.id)
        } else {
            Group::Account(account)
        };
        items.push((group, Item::Version(entry)));
    }
    // Tombstones of ids that no entry holds and that name no account pass
    // through as they are, the later of two for one id.
    let mut orphans: BTreeMap<&str, Tombstone> = BTreeMap::new();
    for tombstone in a.deleted.iter().chain(&b.deleted) {
        let account = tombstone
            .account
            .as_deref()
            .or_else(|| account_of_id.get(tombstone.id.as_str()).copied());
        let Some(account) = account else {
            let mut clamped = tombstone.clone();
            let (to, moved) = tombstone.stamp.limited(wall_ms);
            ahead.note(tombstone.stamp, moved);
            clamped.stamp = to;
            let kept = orphans
                .entry(tombstone.id.as_str())
                .or_insert_with(|| clamped.clone());
            if (clamped.stamp, &clamped.id) > (kept.stamp, &kept.id) {
                *kept = clamped;
            }
            continue;
        };
        let group = if twins.contains(account) {
            Group::Id(&tombstone.id)
        } else {
            Group::Account(account)
        };
        items.push((group, Item::Removal(tombstone)));
    }
    items.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    let mut out = Entries {
        entries: Vec::with_capacity(items.len()),
        deleted: Vec::new(),
        clock: limit(a.clock).max(limit(b.clock)),
        horizon: limit(a.horizon.max(b.horizon)),
        keyring: a.keyring.union(&b.keyring),
        unknown: merge_unknown(&a.unknown, &b.unknown),
    };
    let mut versions: Vec<Cow<Entry>> = Vec::new();
    let mut removals: Vec<&Tombstone> = Vec::new();
    let mut remains: Vec<Cow<Remains>> = Vec::new();
    for run in items.chunk_by(|x, y| x.0 == y.0) {
        versions.clear();
        removals.clear();
        remains.clear();
        for (_, item) in run {
            match *item {
                Item::Version(entry) => versions.push(within(entry, wall_ms, &mut ahead)),
                Item::Removal(tombstone) => {
                    removals.push(tombstone);
                    if let Some(left) = &tombstone.remains {
                        remains.push(remains_within(left, wall_ms, &mut ahead));
                    }
                }
            }
        }
        resolve(
            run[0].0, &versions, &removals, &remains, wall_ms, &mut out, &mut ahead,
        );
    }
    let used: HashSet<&str> = out
        .entries
        .iter()
        .map(|e| e.id.as_str())
        .chain(out.deleted.iter().map(|t| t.id.as_str()))
        .collect();
    let orphans: Vec<Tombstone> = orphans
        .into_values()
        .filter(|t| !used.contains(t.id.as_str()))
        .collect();
    out.deleted.extend(orphans);
    for stamp in out
        .entries
        .iter()
        .map(Entry::latest)
        .chain(out.deleted.iter().map(|t| t.stamp))
    {
        out.clock = out.clock.max(stamp);
    }
    out.sort();
    out.settle_names();
    (out, ahead)
}

/// `entry` with every stamp at most a day past `wall_ms` (borrowed when
/// none is further).
fn within<'a>(entry: &'a Entry, wall_ms: i64, ahead: &mut Ahead) -> Cow<'a, Entry> {
    if !entry.latest().limited(wall_ms).1 {
        return Cow::Borrowed(entry);
    }
    let mut clamped = entry.clone();
    clamp(&mut clamped.stamps, wall_ms, ahead);
    Cow::Owned(clamped)
}

/// What a removal left, with every stamp at most a day past `wall_ms`.
fn remains_within<'a>(left: &'a Remains, wall_ms: i64, ahead: &mut Ahead) -> Cow<'a, Remains> {
    if !left.stamps.latest().limited(wall_ms).1 {
        return Cow::Borrowed(left);
    }
    let mut clamped = left.clone();
    clamp(&mut clamped.stamps, wall_ms, ahead);
    Cow::Owned(clamped)
}

/// Every stamp of `stamps`, named fields and others alike, made at most a
/// day past `wall_ms`; what moved is noted in `ahead`.
fn clamp(stamps: &mut Stamps, wall_ms: i64, ahead: &mut Ahead) {
    for part in Part::ALL {
        let stamp = stamps.get(part);
        let (to, moved) = stamp.limited(wall_ms);
        ahead.note(stamp, moved);
        *stamps.of(part) = to;
    }
    for stamp in stamps.other.values_mut() {
        let (to, moved) = stamp.limited(wall_ms);
        ahead.note(*stamp, moved);
        *stamp = to;
    }
}

/// The accounts a copy holds more than once (a file of an older format).
fn held_twice(accounts: &[String]) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(accounts.len());
    accounts
        .iter()
        .map(String::as_str)
        .filter(|account| !seen.insert(*account))
        .collect()
}

/// One group's entry, or its tombstone, into `out`: each field from
/// every version ([`fields::registers`]); the entry if a field changed
/// after its latest removal, else a tombstone that keeps its fields.
fn resolve(
    group: Group,
    live: &[Cow<Entry>],
    removals: &[&Tombstone],
    remains: &[Cow<Remains>],
    wall_ms: i64,
    out: &mut Entries,
    ahead: &mut Ahead,
) {
    let id = match group {
        Group::Id(id) => id.to_string(),
        Group::Account(_) => live
            .iter()
            .map(|e| e.id.as_str())
            .chain(removals.iter().map(|t| t.id.as_str()))
            .min()
            .unwrap_or_default()
            .to_string(),
    };
    let counter = live
        .iter()
        .filter(|e| e.otp.kind == Kind::Hotp)
        .map(|e| e.otp.counter)
        .chain(removals.iter().filter_map(|t| t.counter))
        .max();
    let removal = removals
        .iter()
        .map(|t| {
            let (stamp, moved) = t.stamp.limited(wall_ms);
            ahead.note(t.stamp, moved);
            (stamp, *t)
        })
        .max_by(|(s1, t1), (s2, t2)| (s1, &t1.id).cmp(&(s2, &t2.id)));
    let sources: Vec<Source> = live
        .iter()
        .map(|e| Source::Live(e))
        .chain(remains.iter().map(|r| Source::Gone(r)))
        .collect();
    let fields = match live.first() {
        Some(base) if fields::all_alike(&sources) => Some(Entry::clone(base)),
        Some(base) => Some(fields::registers(&sources).onto(base)),
        None => None,
    };
    let tombstone = |stamp: Stamp, removed: &Tombstone, remains: Option<Remains>| Tombstone {
        id: id.clone(),
        deleted: stamp.seconds(),
        stamp,
        counter,
        // One entry of an account held twice is removed by id alone:
        // naming the account would remove the other.
        account: match group {
            Group::Account(account) => Some(account.to_string()),
            Group::Id(_) => None,
        },
        remains,
        unknown: removed.unknown.clone(),
    };
    match (fields, removal) {
        (Some(mut entry), removal) if removal.is_none_or(|(stamp, _)| entry.latest() > stamp) => {
            if entry.id != id {
                entry.id.clone_from(&id);
            }
            if let Some(counter) = counter.filter(|_| entry.otp.kind == Kind::Hotp) {
                entry.otp.counter = counter;
            }
            // A function of the stamps, which may have been moved back.
            entry.modified = entry.latest().seconds();
            out.entries.push(entry);
        }
        (Some(entry), Some((stamp, removed))) => {
            out.deleted
                .push(tombstone(stamp, removed, Some(Remains::of(&entry))));
        }
        (None, Some((stamp, removed))) => {
            let kept = match remains.first() {
                Some(first) if fields::all_alike(&sources) => Some(Remains::clone(first)),
                Some(_) => Some(fields::registers(&sources)),
                None => None,
            };
            out.deleted.push(tombstone(stamp, removed, kept));
        }
        (_, None) => {}
    }
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
