//! What a removed entry leaves in its tombstone.

use serde::{Deserialize, Serialize};

use super::{Entry, Stamps};
use crate::otp::Params;

/// What a removed entry leaves in its tombstone: every field but its
/// secret and id, with their stamps. A merge takes each field's latest
/// value from every version it meets, removed or not, so that the result
/// is the same whichever copies meet first (format 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remains {
    /// The name it was given.
    pub name: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub account: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// The parameters, the counter at 0: the tombstone keeps the largest.
    pub otp: Params,
    pub created: i64,
    pub stamps: Stamps,
    /// Fields a newer otpvault wrote.
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl Remains {
    /// What `entry` leaves when it is removed.
    pub fn of(entry: &Entry) -> Remains {
        Remains {
            name: entry.given_name().to_string(),
            issuer: entry.issuer.clone(),
            account: entry.account.clone(),
            sites: entry.sites.clone(),
            // The counter is the tombstone's own.
            otp: Params {
                counter: 0,
                ..entry.otp
            },
            created: entry.created,
            stamps: entry.stamps.clone(),
            unknown: entry.unknown.clone(),
        }
    }

    /// `base` (for its id, secret, kind and counter) with these fields.
    pub fn onto(self, base: &Entry) -> Entry {
        let modified = self.stamps.latest().seconds();
        Entry {
            id: base.id.clone(),
            name: self.name,
            given_name: None,
            issuer: self.issuer,
            account: self.account,
            secret: base.secret.clone(),
            otp: Params {
                kind: base.otp.kind,
                counter: base.otp.counter,
                ..self.otp
            },
            sites: self.sites,
            created: self.created,
            modified,
            stamps: self.stamps,
            unknown: self.unknown,
        }
    }
}
