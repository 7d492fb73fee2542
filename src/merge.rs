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

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::entries::{Entries, Tombstone};
use crate::entry::{Entry, Part};
use crate::otp::{Kind, Params};
use crate::stamp::Stamp;

/// What a merge changed in the first copy, for the person who asked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
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
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
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
        let accounts: HashSet<String> = other.iter().map(Entry::account_key).collect();
        let ids: HashSet<&str> = other.iter().map(|e| e.id.as_str()).collect();
        have.iter()
            .find(|e| {
                e.latest() <= other.horizon()
                    && !ids.contains(e.id.as_str())
                    && !accounts.contains(&e.account_key())
            })
            .map(|e| Forgotten {
                name: e.name.clone(),
                in_copy,
            })
    };
    lacking(copy, ours, true).or_else(|| lacking(ours, copy, false))
}

/// Which group an entry or tombstone belongs to: its account, or, for an
/// account a copy holds twice (older formats), its id.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Group {
    Account(String),
    Id(String),
}

/// What one group holds across the copies being merged.
#[derive(Default)]
struct Versions<'a> {
    entries: Vec<Entry>,
    removals: Vec<&'a Tombstone>,
    account: Option<String>,
}

/// The merge of two copies' entries, with stamps from more than a day
/// after `wall_ms` (this device's clock) counted as made a day after it.
/// Commutative, associative and idempotent (see the module
/// documentation).
pub fn merge(a: &Entries, b: &Entries, wall_ms: i64) -> (Entries, Ahead) {
    let mut ahead = Ahead::default();
    let clamp = |stamp: Stamp, ahead: &mut Ahead| {
        let (clamped, moved) = stamp.limited(wall_ms);
        ahead.note(stamp, moved);
        clamped
    };
    let twins: HashSet<String> = [a, b].iter().flat_map(|c| held_twice(c)).collect();
    let group_of = |account: String, id: &str| {
        if twins.contains(&account) {
            Group::Id(id.to_string())
        } else {
            Group::Account(account)
        }
    };
    let account_of_id: HashMap<&str, String> = a
        .iter()
        .chain(b.iter())
        .map(|e| (e.id.as_str(), e.account_key()))
        .collect();
    let mut groups: BTreeMap<Group, Versions> = BTreeMap::new();
    for entry in a.iter().chain(b.iter()) {
        let account = entry.account_key();
        let mut version = entry.clone();
        for part in Part::ALL {
            let stamp = version.stamps.get(part);
            *version.stamps.of(part) = clamp(stamp, &mut ahead);
        }
        for stamp in version.stamps.other.values_mut() {
            *stamp = clamp(*stamp, &mut ahead);
        }
        let group = groups
            .entry(group_of(account.clone(), &entry.id))
            .or_default();
        group.account = Some(account);
        group.entries.push(version);
    }
    // Tombstones of ids that no entry holds and that name no account pass
    // through as they are, the later of two for one id.
    let mut orphans: BTreeMap<&str, Tombstone> = BTreeMap::new();
    for tombstone in a.deleted.iter().chain(&b.deleted) {
        let account = tombstone
            .account
            .clone()
            .or_else(|| account_of_id.get(tombstone.id.as_str()).cloned());
        let Some(account) = account else {
            let mut clamped = tombstone.clone();
            clamped.stamp = clamp(tombstone.stamp, &mut ahead);
            let kept = orphans
                .entry(tombstone.id.as_str())
                .or_insert_with(|| clamped.clone());
            if (clamped.stamp, &clamped.id) > (kept.stamp, &kept.id) {
                *kept = clamped;
            }
            continue;
        };
        let group = groups
            .entry(group_of(account.clone(), &tombstone.id))
            .or_default();
        group.account = Some(account);
        group.removals.push(tombstone);
    }
    let horizon = clamp(a.horizon.max(b.horizon), &mut ahead);
    let mut out = Entries {
        entries: Vec::new(),
        deleted: Vec::new(),
        clock: clamp(a.clock, &mut ahead).max(clamp(b.clock, &mut ahead)),
        horizon,
        keyring: a.keyring.union(&b.keyring),
        unknown: merge_unknown(&a.unknown, &b.unknown),
    };
    for (group, versions) in groups {
        resolve(group, versions, wall_ms, &mut out, &mut ahead);
    }
    let used: HashSet<String> = out
        .entries
        .iter()
        .map(|e| e.id.clone())
        .chain(out.deleted.iter().map(|t| t.id.clone()))
        .collect();
    out.deleted
        .extend(orphans.into_values().filter(|t| !used.contains(&t.id)));
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

/// The accounts a copy holds more than once (a file of an older format).
fn held_twice(copy: &Entries) -> Vec<String> {
    let mut seen = HashSet::new();
    copy.iter()
        .map(Entry::account_key)
        .filter(|account| !seen.insert(account.clone()))
        .collect()
}

/// One group's entry, or its tombstone, into `out`.
fn resolve(group: Group, versions: Versions, wall_ms: i64, out: &mut Entries, ahead: &mut Ahead) {
    let Versions {
        entries,
        removals,
        account,
    } = versions;
    let id = match &group {
        Group::Id(id) => id.clone(),
        Group::Account(_) => entries
            .iter()
            .map(|e| e.id.as_str())
            .chain(removals.iter().map(|t| t.id.as_str()))
            .min()
            .unwrap_or_default()
            .to_string(),
    };
    let counter = entries
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
    let removed_at = removal.map(|(stamp, _)| stamp);
    let merged = (!entries.is_empty()).then(|| fields(&entries, removed_at.unwrap_or_default()));
    match merged {
        Some(mut entry) if removed_at.is_none_or(|stamp| entry.latest() > stamp) => {
            entry.id = id;
            if let Some(counter) = counter.filter(|_| entry.otp.kind == Kind::Hotp) {
                entry.otp.counter = counter;
            }
            out.entries.push(entry);
        }
        _ => {
            if let Some((stamp, removed)) = removal {
                out.deleted.push(Tombstone {
                    id,
                    deleted: stamp.seconds(),
                    stamp,
                    counter,
                    // One entry of an account held twice is removed by id
                    // alone: naming the account would remove the other.
                    account: account.filter(|_| matches!(group, Group::Account(_))),
                    unknown: removed.unknown.clone(),
                });
            }
        }
    }
}

/// One entry from the versions of one account: each field from the
/// version that changed it last after `removed` (the account's latest
/// removal, if any). What nothing changed after the removal, and what has
/// no stamp (a newer otpvault's fields without one, the creation time),
/// comes from the version changed last. So a version that a removal
/// overrides counts for nothing, whether it meets the removal before or
/// after the others: the order of merges does not matter.
fn fields(versions: &[Entry], removed: Stamp) -> Entry {
    let newest = versions
        .iter()
        .max_by(|a, b| (a.latest(), content(a)).cmp(&(b.latest(), content(b))))
        .unwrap_or(&versions[0]);
    let mut entry = newest.clone();
    for part in Part::ALL {
        let from = versions
            .iter()
            .filter(|v| v.stamps.get(part) > removed)
            .max_by(|a, b| {
                (a.stamps.get(part), value(a, part)).cmp(&(b.stamps.get(part), value(b, part)))
            })
            .unwrap_or(newest);
        take(&mut entry, from, part);
    }
    let stamped: HashSet<&String> = versions
        .iter()
        .flat_map(|v| v.stamps.other.keys())
        .collect();
    for key in stamped {
        let from = versions
            .iter()
            .filter(|v| v.stamps.other.get(key).is_some_and(|&s| s > removed))
            .max_by_key(|v| {
                (
                    v.stamps.other.get(key).copied(),
                    v.unknown.get(key).map(|value| value.to_string()),
                )
            })
            .unwrap_or(newest);
        match from.unknown.get(key) {
            Some(value) => {
                entry.unknown.insert(key.clone(), value.clone());
            }
            None => {
                entry.unknown.remove(key);
            }
        }
        match from.stamps.other.get(key) {
            Some(stamp) => entry.stamps.other.insert(key.clone(), *stamp),
            None => entry.stamps.other.remove(key),
        };
    }
    entry.modified = entry.latest().seconds();
    entry
}

/// `part` of `from`, with its stamp, into `entry`.
fn take(entry: &mut Entry, from: &Entry, part: Part) {
    match part {
        Part::Name => {
            entry.name = from.given_name().to_string();
            entry.given_name = None;
        }
        Part::Issuer => entry.issuer = from.issuer.clone(),
        Part::Account => entry.account = from.account.clone(),
        Part::Sites => entry.sites = from.sites.clone(),
        Part::Otp => {
            entry.otp = Params {
                counter: entry.otp.counter,
                ..from.otp
            }
        }
    }
    *entry.stamps.of(part) = from.stamps.get(part);
}

/// A field's value as the tie-break compares it.
fn value(entry: &Entry, part: Part) -> String {
    match part {
        Part::Name => entry.given_name().to_string(),
        Part::Issuer => entry.issuer.clone(),
        Part::Account => entry.account.clone(),
        Part::Sites => entry.sites.join("\n"),
        Part::Otp => {
            let p = entry.otp;
            format!("{:?} {} {}", p.algorithm, p.digits, p.period)
        }
    }
}

/// An entry's fields as the tie-break between whole versions compares
/// them: everything but the id, the counter and the secret (one account
/// has one secret).
fn content(entry: &Entry) -> Vec<String> {
    let mut out: Vec<String> = Part::ALL.iter().map(|&p| value(entry, p)).collect();
    out.push(serde_json::Value::Object(entry.unknown.clone()).to_string());
    out
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

/// What turned `before` (the first copy) into `after` (the merge of it
/// and `other`).
pub fn report(before: &Entries, other: &Entries, after: &Entries, ahead: Ahead) -> Report {
    let mut report = Report {
        ahead,
        ..Report::default()
    };
    let after_ids: HashSet<&str> = after.iter().map(|e| e.id.as_str()).collect();
    let by_id: HashMap<&str, &Entry> = before.iter().map(|e| (e.id.as_str(), e)).collect();
    // Entries of the first copy whose id is gone: joined into another
    // entry of their account, or removed.
    let mut gone: HashMap<String, Vec<&Entry>> = HashMap::new();
    for e in before.iter().filter(|e| !after_ids.contains(e.id.as_str())) {
        gone.entry(e.account_key()).or_default().push(e);
    }
    // The other copy's entries by account, for accounts enrolled on both.
    let mut theirs: HashMap<String, Vec<&Entry>> = HashMap::new();
    for e in other.iter() {
        theirs.entry(e.account_key()).or_default().push(e);
    }
    for e in after.iter() {
        let account = e.account_key();
        let joined = gone.remove(&account).unwrap_or_default();
        let Some(old) = by_id
            .get(e.id.as_str())
            .copied()
            .or(joined.first().copied())
        else {
            report.added.push(e.name.clone());
            if let Some(given) = &e.given_name {
                report.renamed.push((given.clone(), e.name.clone()));
            }
            continue;
        };
        for dropped in joined.iter().filter(|o| o.id != old.id) {
            report.joined.push((dropped.name.clone(), e.name.clone()));
        }
        // The same account enrolled on the other copy under its own id.
        let twin = theirs.get(&account).and_then(|t| {
            t.iter()
                .find(|t| t.id != old.id && !by_id.contains_key(t.id.as_str()))
        });
        if let Some(twin) = twin {
            let dropped = if e.name == old.name {
                &twin.name
            } else {
                &old.name
            };
            report.joined.push((dropped.clone(), e.name.clone()));
        } else if old.id != e.id {
            report.joined.push((old.name.clone(), e.name.clone()));
        } else if old.name != e.name {
            report.renamed.push((old.name.clone(), e.name.clone()));
        }
        if [Part::Issuer, Part::Account, Part::Sites, Part::Otp]
            .iter()
            .any(|&p| value(old, p) != value(e, p))
        {
            report.updated.push(e.name.clone());
        }
    }
    report.removed = gone
        .into_values()
        .flatten()
        .map(|e| e.name.clone())
        .collect();
    report.removed.sort();
    report
}
