//! What a merge changed in the first copy, for the person who asked.

use std::collections::{HashMap, HashSet};

use super::fields::same_part;
use super::{Ahead, Report};
use crate::entries::Entries;
use crate::entry::{Entry, Part};

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
    // Entries of the other copy joined into one of the first's: the same
    // account enrolled on both under two ids (rare: the hashes of
    // accounts only for them).
    let mut theirs: HashMap<String, Vec<&Entry>> = HashMap::new();
    for e in other
        .iter()
        .filter(|e| !after_ids.contains(e.id.as_str()) && !by_id.contains_key(e.id.as_str()))
    {
        theirs.entry(e.account_key()).or_default().push(e);
    }
    for e in after.iter() {
        // An entry of the first copy is found by its id; only one that is
        // not, or one another may have been joined into, needs its account.
        let by_own_id = by_id.get(e.id.as_str()).copied();
        let account = ((by_own_id.is_none() && !gone.is_empty()) || !theirs.is_empty())
            .then(|| e.account_key());
        let joined = account
            .as_ref()
            .and_then(|a| gone.remove(a))
            .unwrap_or_default();
        let Some(old) = by_own_id.or(joined.first().copied()) else {
            report.added.push(e.name.clone());
            if let Some(given) = &e.given_name {
                report.renamed.push((given.clone(), e.name.clone()));
            }
            continue;
        };
        for dropped in joined.iter().filter(|o| o.id != old.id) {
            report.joined.push((dropped.name.clone(), e.name.clone()));
        }
        let twin = account
            .as_ref()
            .and_then(|a| theirs.get(a))
            .and_then(|t| t.iter().find(|t| t.id != old.id));
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
            .any(|&p| !same_part(old, e, p))
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
