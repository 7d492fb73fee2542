//! What a vault remembers about keys, inside its sealed payload: the data
//! keys it was sealed with before a rotation (so that it still opens its
//! own older copies and backups without a passphrase), and the recovery
//! keys that were removed or replaced (so that a merge with a copy that
//! still has one does not bring it back).
//!
//! Keeping old keys inside the new payload gives nothing to someone who
//! has only an old key: the new payload is sealed with the new one. It
//! gives whoever opens the new vault the old copies, which they could
//! already open with the passphrase of their time.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::secret::VaultKey;
use crate::stamp::Stamp;

/// How many retired keys a vault keeps: one per passphrase change, so
/// years of them.
pub const MAX_PREVIOUS: usize = 64;

/// The short, non-secret name of a data key: the first 8 bytes of
/// SHA-256 over `otpvault key id`, a zero byte and the key, in hex. Two
/// files with the same key id are sealed with the same key.
pub fn key_id(key: &VaultKey) -> [u8; 8] {
    let mut hash = Sha256::new();
    hash.update(b"otpvault key id\0");
    hash.update(key.expose());
    let digest = hash.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    id
}

/// A data key the vault was sealed with before, and when it was retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldKey {
    pub key: VaultKey,
    pub retired: Stamp,
}

/// The keys a vault remembers; see the module documentation. In the
/// payload: `previous_keys` and `revoked_recovery`, each left out when
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyring {
    /// Oldest first.
    #[serde(
        rename = "previous_keys",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub previous: Vec<OldKey>,
    /// The recovery keys that no longer open the vault, by the id of their
    /// slot ([`crate::vault::format::Slot::recovery_id`]).
    #[serde(
        rename = "revoked_recovery",
        default,
        skip_serializing_if = "BTreeSet::is_empty"
    )]
    pub revoked: BTreeSet<String>,
}

impl Keyring {
    /// Remembers `key`, retired at `when`, unless it is remembered already.
    pub fn retire(&mut self, key: &VaultKey, when: Stamp) {
        if self.previous.iter().any(|old| old.key == *key) {
            return;
        }
        self.previous.push(OldKey {
            key: key.clone(),
            retired: when,
        });
        self.trim();
    }

    /// Forgets `key` (it is the vault's key again, after a merge).
    pub fn forget(&mut self, key: &VaultKey) {
        self.previous.retain(|old| old.key != *key);
    }

    /// Both keyrings: every key either remembers, the newest
    /// [`MAX_PREVIOUS`] by when they were retired, and every revocation.
    pub fn union(&self, other: &Keyring) -> Keyring {
        let mut out = self.clone();
        for old in &other.previous {
            match out.previous.iter_mut().find(|o| o.key == old.key) {
                Some(known) => known.retired = known.retired.max(old.retired),
                None => out.previous.push(old.clone()),
            }
        }
        out.revoked.extend(other.revoked.iter().cloned());
        out.trim();
        out
    }

    /// The newest [`MAX_PREVIOUS`], in one order whatever the merge order.
    fn trim(&mut self) {
        self.previous
            .sort_by_key(|old| (old.retired, key_id(&old.key)));
        let extra = self.previous.len().saturating_sub(MAX_PREVIOUS);
        self.previous.drain(..extra);
    }

    pub fn is_empty(&self) -> bool {
        self.previous.is_empty() && self.revoked.is_empty()
    }
}

/// A retired key as the payload holds it: `{"key": HEX, "retired": STAMP}`.
#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    retired: Stamp,
}

impl Drop for Stored {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Serialize for OldKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Stored {
            key: data_encoding::HEXLOWER.encode(self.key.expose()),
            retired: self.retired,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OldKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<OldKey, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        let bytes = zeroize::Zeroizing::new(
            data_encoding::HEXLOWER_PERMISSIVE
                .decode(stored.key.as_bytes())
                .map_err(|_| serde::de::Error::custom("a retired key is not hexadecimal"))?,
        );
        let key = VaultKey::from_slice(&bytes)
            .ok_or_else(|| serde::de::Error::custom("a retired key is not 32 bytes"))?;
        Ok(OldKey {
            key,
            retired: stored.retired,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> VaultKey {
        VaultKey::from_slice(&[byte; 32]).unwrap()
    }

    #[test]
    fn union_is_the_same_either_way_and_bounded() {
        let mut a = Keyring::default();
        let mut b = Keyring::default();
        for i in 0..40u8 {
            a.retire(&key(i), Stamp(i64::from(i), 0));
            b.retire(&key(100 + i), Stamp(i64::from(i), 1));
        }
        a.revoked.insert("one".into());
        b.revoked.insert("two".into());
        let ab = a.union(&b);
        assert_eq!(ab, b.union(&a));
        assert_eq!(ab.previous.len(), MAX_PREVIOUS);
        assert_eq!(ab.revoked.len(), 2);
        assert_eq!(ab.union(&ab), ab);
    }

    #[test]
    fn a_retired_key_round_trips_as_hex() {
        let old = OldKey {
            key: key(7),
            retired: Stamp(5, 1),
        };
        let text = serde_json::to_string(&old).unwrap();
        assert!(text.contains(&"07".repeat(32)), "{text}");
        let back: OldKey = serde_json::from_str(&text).unwrap();
        assert_eq!(back, old);
    }
}
