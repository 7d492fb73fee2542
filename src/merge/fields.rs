//! Each field of an account from every version a merge meets: the live
//! versions, and what removed ones left in their tombstones
//! ([`Remains`]). A field is a last-writer-wins register: its value is the
//! one with the latest stamp (equal stamps: the greater value, compared as
//! text), whichever copy it came from. Nothing a version wrote is lost
//! when a removal meets it first, so the order of merges does not matter.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::entry::{Entry, Part, Remains, Stamps};
use crate::otp::Params;
use crate::stamp::Stamp;

/// One version of an account: live (it has the secret), or what a removal
/// left.
#[derive(Clone, Copy)]
pub(super) enum Source<'a> {
    Live(&'a Entry),
    Gone(&'a Remains),
}

impl Source<'_> {
    fn stamps(&self) -> &Stamps {
        match self {
            Source::Live(e) => &e.stamps,
            Source::Gone(r) => &r.stamps,
        }
    }

    fn name(&self) -> &str {
        match self {
            Source::Live(e) => e.given_name(),
            Source::Gone(r) => &r.name,
        }
    }

    fn issuer(&self) -> &str {
        match self {
            Source::Live(e) => &e.issuer,
            Source::Gone(r) => &r.issuer,
        }
    }

    fn account(&self) -> &str {
        match self {
            Source::Live(e) => &e.account,
            Source::Gone(r) => &r.account,
        }
    }

    fn sites(&self) -> &[String] {
        match self {
            Source::Live(e) => &e.sites,
            Source::Gone(r) => &r.sites,
        }
    }

    fn otp(&self) -> Params {
        match self {
            Source::Live(e) => e.otp,
            Source::Gone(r) => r.otp,
        }
    }

    fn created(&self) -> i64 {
        match self {
            Source::Live(e) => e.created,
            Source::Gone(r) => r.created,
        }
    }

    fn unknown(&self) -> &serde_json::Map<String, serde_json::Value> {
        match self {
            Source::Live(e) => &e.unknown,
            Source::Gone(r) => &r.unknown,
        }
    }

    /// The stamp of a field a newer otpvault wrote: its own, else the
    /// version's latest (a field written without one changed no later
    /// than the version did).
    fn stamp_of(&self, key: &str) -> Stamp {
        self.stamps()
            .other
            .get(key)
            .copied()
            .unwrap_or_else(|| self.stamps().latest())
    }

    /// The part's value, compared by the tie-break.
    fn compare(&self, other: &Source, part: Part) -> Ordering {
        match part {
            Part::Name => self.name().cmp(other.name()),
            Part::Issuer => self.issuer().cmp(other.issuer()),
            Part::Account => self.account().cmp(other.account()),
            Part::Sites => self.sites().cmp(other.sites()),
            Part::Otp => {
                let (a, b) = (self.otp(), other.otp());
                (a.algorithm.as_str(), a.digits, a.period).cmp(&(
                    b.algorithm.as_str(),
                    b.digits,
                    b.period,
                ))
            }
        }
    }
}

/// Every field's latest value across `sources` (not empty).
pub(super) fn registers(sources: &[Source]) -> Remains {
    let latest = |part: Part| {
        sources
            .iter()
            .max_by(|a, b| {
                a.stamps()
                    .get(part)
                    .cmp(&b.stamps().get(part))
                    .then_with(|| a.compare(b, part))
            })
            .unwrap_or(&sources[0])
    };
    let name = latest(Part::Name);
    let issuer = latest(Part::Issuer);
    let account = latest(Part::Account);
    let sites = latest(Part::Sites);
    let otp = latest(Part::Otp);
    let mut remains = Remains {
        name: name.name().to_string(),
        issuer: issuer.issuer().to_string(),
        account: account.account().to_string(),
        sites: sites.sites().to_vec(),
        otp: Params {
            counter: 0,
            ..otp.otp()
        },
        created: sources.iter().map(Source::created).min().unwrap_or(0),
        stamps: Stamps {
            name: name.stamps().name,
            issuer: issuer.stamps().issuer,
            account: account.stamps().account,
            sites: sites.stamps().sites,
            otp: otp.stamps().otp,
            other: Default::default(),
        },
        unknown: serde_json::Map::new(),
    };
    // A newer otpvault's fields, each a register of its own.
    let keys: BTreeSet<&String> = sources
        .iter()
        .flat_map(|s| s.unknown().keys().chain(s.stamps().other.keys()))
        .collect();
    for key in keys {
        let from = sources
            .iter()
            .max_by(|a, b| {
                (
                    a.stamp_of(key),
                    a.unknown().get(key).map(ToString::to_string),
                )
                    .cmp(&(
                        b.stamp_of(key),
                        b.unknown().get(key).map(ToString::to_string),
                    ))
            })
            .unwrap_or(&sources[0]);
        if let Some(value) = from.unknown().get(key) {
            remains.unknown.insert(key.clone(), value.clone());
        }
        if let Some(stamp) = from.stamps().other.get(key) {
            remains.stamps.other.insert(key.clone(), *stamp);
        }
    }
    remains
}

/// True if every source holds what the first does: one version, or
/// copies of one version (the usual case, taken as it is).
pub(super) fn all_alike(sources: &[Source]) -> bool {
    let Some((first, rest)) = sources.split_first() else {
        return true;
    };
    rest.iter().all(|s| {
        s.stamps() == first.stamps()
            && s.created() == first.created()
            && s.unknown() == first.unknown()
            && Part::ALL
                .iter()
                .all(|&p| s.compare(first, p) == Ordering::Equal)
    })
}

/// True if `part` is the same in both entries.
pub(super) fn same_part(a: &Entry, b: &Entry, part: Part) -> bool {
    Source::Live(a).compare(&Source::Live(b), part) == Ordering::Equal
}
