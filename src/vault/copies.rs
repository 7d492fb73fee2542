//! Other copies of a vault: an encrypted backup written and checked, a
//! backup put back, another copy opened with this vault's keys and merged,
//! slots and all.

use std::path::Path;

use crate::entries::Entries;
use crate::keyring::key_id;
use crate::merge;
use crate::secret::VaultKey;
use crate::stamp::{self, Stamp};

use super::format::{Header, Identity, Slot};
use super::{BackupError, MergeError, OpenError, RestoreError, Saved, Settings, Unlock, Vault};
use super::{backups, format, keys, store};
use store::StoreError;

/// Another copy of this vault, opened: a sync tool's conflict copy, a
/// backup, the other side of a git merge.
pub struct Copy {
    header: Header,
    key: VaultKey,
    entries: Entries,
}

impl Copy {
    pub fn entries(&self) -> &Entries {
        &self.entries
    }

    /// Set when the copy was decrypted (derived for older formats).
    fn identity(&self) -> Identity {
        self.header.identity.unwrap_or(Identity {
            vault_id: keys::legacy_vault_id(&self.key),
            created: 0,
            key_id: key_id(&self.key),
            passphrase_changed: Stamp::default(),
            recovery_changed: Stamp::default(),
        })
    }
}

impl From<Vault> for Copy {
    /// A copy opened on its own (with its passphrase), to merge.
    fn from(vault: Vault) -> Copy {
        Copy {
            header: vault.header,
            key: vault.key,
            entries: vault.entries,
        }
    }
}

/// What a merge took from the other copy's slots: they are kept as a set,
/// and the later set wins.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeysTaken {
    /// The passphrase was changed on the other copy, on this date (Unix
    /// seconds, when known): the vault now opens with that passphrase.
    pub passphrase: Option<Option<i64>>,
    /// A recovery key made on the other copy, on this date, now opens it.
    pub recovery_made: Option<i64>,
    /// The recovery key was removed (here or on another copy).
    pub recovery_removed: bool,
    /// The vault is sealed with another data key from now on.
    pub key_changed: bool,
}

/// What a merge did to this vault.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Merged {
    pub entries: merge::Report,
    pub keys: KeysTaken,
    /// False if nothing changed: there is nothing to save.
    pub changed: bool,
}

impl Merged {
    /// Adds what another merge did, for a report of several copies.
    pub fn add(&mut self, other: Merged) {
        let (a, b) = (&mut self.entries, other.entries);
        a.added.extend(b.added);
        a.removed.extend(b.removed);
        a.renamed.extend(b.renamed);
        a.updated.extend(b.updated);
        a.joined.extend(b.joined);
        a.ahead.count += b.ahead.count;
        a.ahead.latest = a.ahead.latest.max(b.ahead.latest);
        let (k, o) = (&mut self.keys, other.keys);
        k.passphrase = o.passphrase.or(k.passphrase);
        k.recovery_made = o.recovery_made.or(k.recovery_made);
        k.recovery_removed |= o.recovery_removed;
        k.key_changed |= o.key_changed;
        self.changed |= other.changed;
    }
}

impl Vault {
    /// Opens another copy of this vault at `path` with the keys this vault
    /// knows: its own and the ones it was sealed with before (a copy made
    /// before or after a passphrase change elsewhere). A file of another
    /// vault is refused by its header, before anything is tried; a copy
    /// sealed with a key this vault does not know gives
    /// [`OpenError::OtherKey`]: open it with its passphrase and
    /// [`Copy::from`].
    pub fn read_copy(&self, path: &Path) -> Result<Copy, MergeError> {
        let path = store::resolve(path);
        let bytes = store::read(&path).map_err(OpenError::from)?;
        let parsed = format::parse(&bytes).map_err(|damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        })?;
        if let Some(theirs) = parsed.header.identity {
            self.check_same_vault(&path, &theirs)?;
        }
        let keys =
            std::iter::once(&self.key).chain(self.entries.keyring.previous.iter().map(|o| &o.key));
        for key in keys {
            match Self::unlock_with_key(&path, &bytes, key) {
                Ok(copy) => {
                    let copy = Copy::from(copy);
                    self.check_same_vault(&path, &copy.identity())?;
                    return Ok(copy);
                }
                Err(OpenError::OtherKey(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(OpenError::OtherKey(path.to_path_buf()).into())
    }

    /// Refuses a copy whose vault id is not this vault's.
    pub fn check_same_vault(&self, path: &Path, theirs: &Identity) -> Result<(), MergeError> {
        let ours = self.identity();
        if theirs.vault_id != ours.vault_id {
            return Err(MergeError::OtherVault {
                path: path.to_path_buf(),
                ours: ours.created,
                theirs: theirs.created,
            });
        }
        Ok(())
    }

    /// Merges another copy into this vault (see [`crate::merge`]): its
    /// entries field by field, and its slots kind by kind: the later
    /// passphrase, with the data key it wraps, and the later recovery key
    /// (made or removed), wrapped again to that data key if needed. So a
    /// passphrase changed or a recovery key made or removed on any copy
    /// holds on every copy. Refuses another vault, and, unless
    /// `accept_old`, a copy that holds an entry whose removal this vault
    /// may have forgotten ([`merge::forgotten`]). Call [`Vault::save`] to
    /// keep the result when [`Merged::changed`].
    pub fn merge(&mut self, copy: &Copy, accept_old: bool) -> Result<Merged, MergeError> {
        let path = self.path.clone();
        self.check_same_vault(&path, &copy.identity())?;
        if !accept_old && let Some(forgotten) = merge::forgotten(&self.entries, &copy.entries) {
            return Err(MergeError::Forgotten {
                name: forgotten.name,
                in_copy: forgotten.in_copy,
            });
        }
        let (mut entries, ahead) = merge::merge(&self.entries, &copy.entries, stamp::wall_ms());
        let before_slots = self.header.slots.clone();
        let before_key = self.key.clone();
        let ours = self.identity();
        let theirs = copy.identity();
        let mut identity = ours;
        let mut keys = KeysTaken::default();
        let passphrase = |slots: &[Slot]| -> Vec<Slot> {
            slots
                .iter()
                .filter(|s| s.recovery_id().is_none())
                .cloned()
                .collect()
        };
        let recovery = |slots: &[Slot]| -> Option<Slot> {
            slots.iter().find(|s| s.recovery_id().is_some()).cloned()
        };
        // The passphrase, its data key and the slots of a newer otpvault
        // (which wrap that key) go together.
        let mut slots = passphrase(&self.header.slots);
        if (
            theirs.passphrase_changed,
            slot_bytes(&passphrase(&copy.header.slots)),
        ) > (ours.passphrase_changed, slot_bytes(&slots))
        {
            let their = passphrase(&copy.header.slots);
            if slot_bytes(&their) != slot_bytes(&slots) {
                keys.passphrase = Some(their.iter().find_map(Slot::created));
            }
            slots = their;
            self.key = copy.key.clone();
            identity.passphrase_changed = theirs.passphrase_changed;
        }
        // The recovery key, and which data key its slot wraps.
        let (mut kept, mut wraps) = (recovery(&self.header.slots), &before_key);
        if (
            theirs.recovery_changed,
            recovery(&copy.header.slots).map(|s| slot_bytes(&[s])),
        ) > (
            ours.recovery_changed,
            kept.clone().map(|s| slot_bytes(&[s])),
        ) {
            let their = recovery(&copy.header.slots);
            match (&kept, &their) {
                (_, Some(slot))
                    if kept.as_ref().and_then(Slot::recovery_id) != slot.recovery_id() =>
                {
                    keys.recovery_made = slot.created();
                }
                (Some(_), None) => keys.recovery_removed = true,
                _ => {}
            }
            (kept, wraps) = (their, &copy.key);
            identity.recovery_changed = theirs.recovery_changed;
        }
        let revoked = &entries.keyring.revoked;
        if kept
            .as_ref()
            .and_then(Slot::recovery_id)
            .is_some_and(|id| revoked.contains(&id))
        {
            kept = None;
            keys.recovery_removed = true;
        }
        match kept {
            Some(Slot::Recipient(r)) if *wraps != self.key => slots.insert(
                1.min(slots.len()),
                Slot::Recipient(super::keys::wrap_to_recipient(
                    &self.key,
                    &r.recipient,
                    r.created,
                )?),
            ),
            // Format 2's recovery slot cannot be wrapped again: it goes.
            Some(Slot::Recovery(_)) if *wraps != self.key => keys.recovery_removed = true,
            Some(slot) => slots.insert(1.min(slots.len()), slot),
            None => {}
        }
        self.header.slots = slots;
        self.header.identity = Some(identity);
        for key in [&before_key, &copy.key] {
            if *key != self.key {
                entries
                    .keyring
                    .retire(key, theirs.passphrase_changed.max(ours.passphrase_changed));
            }
        }
        entries.keyring.forget(&self.key);
        keys.key_changed = self.key != before_key;
        let report = merge::report(&self.entries, &copy.entries, &entries, ahead);
        let changed = !entries.same_but_clock(&self.entries)
            || self.header.slots != before_slots
            || self.header.identity != Some(ours)
            || keys.key_changed;
        self.entries = entries;
        Ok(Merged {
            entries: report,
            keys,
            changed,
        })
    }

    /// Replaces the vault at `vault` with the vault file `from` (a backup),
    /// after checking that `from` opens with `passphrase`, and keeps the
    /// file it replaced, damaged or not, as the newest automatic backup.
    /// No backup is deleted, whatever the setting: a restore is undone by
    /// restoring again.
    pub fn restore(
        vault: &Path,
        from: &Path,
        unlock: Unlock,
        settings: Settings,
    ) -> Result<(Vault, Saved), RestoreError> {
        if same_file(vault, from) {
            return Err(RestoreError::OverVault);
        }
        let vault = &store::resolve(vault);
        let bytes = store::read(from).map_err(|e| RestoreError::Source(e.into()))?;
        let mut restored = Self::from_bytes(from, &bytes, unlock).map_err(RestoreError::Source)?;
        store::ensure_private_dir(store::parent_dir(vault))?;
        let lock = store::lock(vault, settings.lock_timeout)?;
        let previous = store::read_if_exists(vault)?;
        store::write_vault(vault, &bytes)?;
        // The copy opens as it did when it was made: say so when that is
        // not as the vault did (a passphrase or recovery key changed since).
        let other_slots = previous.as_ref().is_some_and(|previous| {
            format::parse(previous).map_or(true, |parsed| parsed.header.slots != restored.slots())
        });
        let backup = match previous {
            Some(previous) => backups::add(vault, &previous, |_| false),
            None => Ok(()),
        };
        restored.path = vault.to_path_buf();
        restored.lock = Some(lock);
        restored.settings = settings;
        restored.restored_other_slots = other_slots;
        Ok((restored, Saved { backup }))
    }

    /// True if this vault was just restored from a copy whose passphrase or
    /// recovery key differ from the vault's it replaced: the vault now opens
    /// with the copy's.
    pub fn restored_other_slots(&self) -> bool {
        self.restored_other_slots
    }

    /// Writes an encrypted copy to `dest` once it has checked that the
    /// written copy reads back as this vault: the same slots, byte for byte
    /// (so it opens with the same passphrase and recovery key), and a
    /// payload that opens with this vault's key to the same entries. A bad
    /// copy never replaces a good older one. No KDF runs: the check needs
    /// neither the passphrase nor half a second.
    pub fn backup(&mut self, dest: &Path, overwrite: bool) -> Result<(), BackupError> {
        check_backup_destination(dest, overwrite)?;
        let backups_dir = backups::dir(&self.path);
        if same_file(dest, &self.path)
            || same_file(dest, &store::lock_path(&self.path))
            || same_file(dest, &backups_dir)
            || dest.parent().is_some_and(|p| same_file(p, &backups_dir))
        {
            return Err(BackupError::OverVault);
        }
        let bytes = self.seal()?;
        let mismatch = || BackupError::Mismatch(dest.to_path_buf());
        store::write_checked(dest, &bytes, overwrite, |written| {
            let read_back = store::read(written)?;
            let copy =
                Self::unlock_with_key(written, &read_back, &self.key).map_err(|_| mismatch())?;
            if copy.header.slots != self.header.slots || copy.entries != self.entries {
                return Err(mismatch());
            }
            Ok(())
        })
    }
}

/// Whether a backup can be written at `dest`: its folder exists, nothing
/// is there, or with `overwrite` a regular file. A symbolic link is never
/// followed (a link planted at `dest` would have otp write wherever it
/// points); the backup replaces nothing but a file. Asked before the
/// passphrase, so that nobody types it for a USB stick that is not mounted.
pub fn check_backup_destination(dest: &Path, overwrite: bool) -> Result<(), BackupError> {
    let dir = store::parent_dir(dest);
    if !dir.is_dir() {
        return Err(StoreError::NoFolder(dir.to_path_buf()).into());
    }
    match std::fs::symlink_metadata(dest) {
        Err(_) => Ok(()),
        Ok(meta) if !meta.file_type().is_file() => Err(BackupError::NotAFile {
            path: dest.to_path_buf(),
            kind: store::not_a_file(meta.file_type()).unwrap_or("not a regular file"),
        }),
        Ok(_) if overwrite => Ok(()),
        Ok(_) => Err(StoreError::Exists(dest.to_path_buf()).into()),
    }
}

/// True if both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Slots as bytes: the tie-break between two sets stamped alike.
fn slot_bytes(slots: &[Slot]) -> Vec<u8> {
    let mut out = Vec::new();
    for slot in slots {
        slot.write(&mut out);
    }
    out
}
