//! A vault's keys changing: a new passphrase (and with it a new data key),
//! a recovery key made or removed, and the identity that stays through
//! all of them.

use super::format::{Header, Identity, Slot};
use super::{RekeyError, Vault, keys};
use crate::crypto;
use crate::entries::Entries;
use crate::keyring::key_id;
use crate::recovery::RecoveryKey;
use crate::secret::{Passphrase, VaultKey};
use crate::stamp::{self, Stamp};

impl Vault {
    /// Makes `recovery` the vault's recovery key (a recipient slot: see
    /// [`keys`]), replacing the one it had, which stops working here and,
    /// through merges, on every copy. Call [`Vault::save`] to keep it.
    pub fn set_recovery_key(&mut self, recovery: &RecoveryKey) -> Result<(), RekeyError> {
        let recipient = keys::recipient(recovery);
        let slot = Slot::Recipient(keys::wrap_to_recipient(
            &self.key,
            &recipient,
            crate::clock::timestamp(),
        )?);
        self.revoke_recovery();
        self.header.slots.push(slot);
        self.recovery_changed();
        Ok(())
    }

    /// Removes the recovery slot, here and, through merges, on every copy;
    /// false if there was none.
    pub fn remove_recovery_key(&mut self) -> bool {
        let removed = self.revoke_recovery();
        if removed {
            self.recovery_changed();
        }
        removed
    }

    /// Drops the recovery slot and remembers its id as revoked.
    fn revoke_recovery(&mut self) -> bool {
        let before = self.header.slots.len();
        let revoked = &mut self.entries.keyring.revoked;
        self.header.slots.retain(|slot| match slot.recovery_id() {
            Some(id) => {
                revoked.insert(id);
                false
            }
            None => true,
        });
        self.header.slots.len() != before
    }

    /// Stamps the recovery key as made or removed now: a merge keeps the
    /// later.
    fn recovery_changed(&mut self) {
        let stamp = self.entries.tick(stamp::wall_ms());
        let mut identity = self.identity();
        identity.recovery_changed = stamp;
        self.header.identity = Some(identity);
    }

    /// The vault's identity (its id, when it was made, its key's id).
    pub fn identity(&self) -> Identity {
        self.header
            .identity
            .unwrap_or_else(|| legacy_identity(&self.header, &self.entries, &self.key))
    }

    /// Sets a new passphrase and rotates the data key: a fresh key seals
    /// the payload from the next save, so an old backup opened with the old
    /// passphrase gives no key to anything written after. The passphrase
    /// slot is made anew (same KDF cost), a format-3 recovery key is
    /// wrapped to again without its paper key, and slots that cannot be
    /// wrapped again are dropped: a format-2 recovery key and a newer
    /// otpvault's slots ([`Rotated`] says which). The old key is kept in
    /// the payload, so that the vault still opens its older copies. Call
    /// [`Vault::save`] to keep it.
    pub fn change_passphrase(&mut self, new: &Passphrase) -> Result<Rotated, RekeyError> {
        let key = VaultKey::new(crypto::random_key());
        let mut rotated = Rotated::default();
        let mut slots = vec![Slot::Passphrase(keys::wrap(&key, new, self.kdf())?)];
        for slot in &self.header.slots {
            match slot {
                Slot::Passphrase(_) => {}
                Slot::Recipient(r) => slots.push(Slot::Recipient(keys::wrap_to_recipient(
                    &key,
                    &r.recipient,
                    r.created,
                )?)),
                Slot::Recovery(_) => {
                    rotated.dropped_recovery_key = true;
                    if let Some(id) = slot.recovery_id() {
                        self.entries.keyring.revoked.insert(id);
                    }
                }
                Slot::Unknown { .. } => rotated.dropped_unknown += 1,
            }
        }
        // The id stays what it was, whatever the key becomes.
        let mut identity = self.identity();
        let stamp = self.entries.tick(stamp::wall_ms());
        identity.passphrase_changed = stamp;
        if rotated.dropped_recovery_key {
            identity.recovery_changed = stamp;
        }
        self.header.identity = Some(identity);
        self.entries.keyring.retire(&self.key, stamp);
        self.key = key;
        self.header.slots = slots;
        Ok(rotated)
    }
}

/// What a passphrase change could not carry to the new data key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// A recovery key made before format 3 no longer opens the vault (or
    /// any copy written from now on): make a new one.
    pub dropped_recovery_key: bool,
    /// Slots of a newer otpvault, dropped.
    pub dropped_unknown: usize,
}

/// The identity of a vault read from a file of an older format, which had
/// none: an id derived from its data key (copies upgraded on two devices
/// agree), made when its oldest slot or entry was, its passphrase and
/// recovery key set when their slots say.
pub(super) fn legacy_identity(header: &Header, entries: &Entries, key: &VaultKey) -> Identity {
    let created = header
        .slots
        .iter()
        .filter_map(Slot::created)
        .chain(entries.iter().map(|e| e.created))
        .min()
        .unwrap_or(0);
    let made = |recovery: bool| {
        header
            .slots
            .iter()
            .filter(|s| s.recovery_id().is_some() == recovery && !matches!(s, Slot::Unknown { .. }))
            .filter_map(Slot::created)
            .max()
            .map_or(Stamp::default(), Stamp::from_seconds)
    };
    Identity {
        vault_id: keys::legacy_vault_id(key),
        created,
        key_id: key_id(key),
        passphrase_changed: made(false),
        recovery_changed: made(true),
    }
}
