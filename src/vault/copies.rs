//! Other copies of a vault: an encrypted backup written and checked, a
//! backup put back, another copy opened with this vault's key and merged.

use std::path::Path;

use crate::entries::Entries;
use crate::merge;

use super::{BackupError, OpenError, RestoreError, Saved, Settings, Unlock, Vault};
use super::{backups, format, store};
use store::StoreError;

impl Vault {
    /// The entries of another copy of this vault at `path`: a sync tool's
    /// conflict copy, a backup, the other side of a git merge. Copies of
    /// one vault share its key (a passphrase change rewraps the same key),
    /// so a copy opens with the key this vault holds, without a
    /// passphrase. A file made by another vault gives
    /// [`OpenError::OtherKey`]: open it with its own passphrase instead.
    pub fn open_copy(&self, path: &Path) -> Result<Entries, OpenError> {
        let path = store::resolve(path);
        let bytes = store::read(&path)?;
        Ok(Self::unlock_with_key(&path, &bytes, &self.key)?.entries)
    }

    /// Merges another copy's entries into this vault's (see
    /// [`crate::merge`]); this vault keeps its own passphrase and slots.
    /// Call [`Vault::save`] to keep the result.
    pub fn merge(&mut self, other: &Entries) -> merge::Report {
        let merged = merge::merge(&self.entries, other);
        let report = merge::report(&self.entries, other, &merged);
        self.entries = merged;
        report
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
            Some(previous) => backups::add(vault, &previous),
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
        // Through a symbolic link, as the vault's own path is.
        let dest = &store::resolve(dest);
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

/// Whether a backup can be written at `dest`: its folder exists, and
/// without `overwrite` no file is there. Asked before the passphrase, so
/// that nobody types it for a USB stick that is not mounted.
pub fn check_backup_destination(dest: &Path, overwrite: bool) -> Result<(), BackupError> {
    let dest = store::resolve(dest);
    let dir = store::parent_dir(&dest);
    if !dir.is_dir() {
        return Err(StoreError::NoFolder(dir.to_path_buf()).into());
    }
    if !overwrite && dest.exists() {
        return Err(StoreError::Exists(dest.to_path_buf()).into());
    }
    Ok(())
}

/// True if both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
