//! The encrypted vault: a file of entries that opens only with the passphrase.
//!
//! [`format`] lays out the bytes, [`keys`] wraps the vault key in slots,
//! [`store`] puts files on disk atomically and under a lock, and [`error`]
//! names what each operation can fail with. This module ties them together
//! and owns the rules that need both the entries and the file, such as
//! saving an HOTP counter before its code is shown.

pub mod error;
pub mod format;
pub mod keys;
pub mod store;

use std::path::{Path, PathBuf};

use crate::crypto::kdf::{KdfError, KdfParams};
use crate::crypto::{self, NONCE_LEN};
use crate::entries::{Entries, EntryError};
use crate::entry::Entry;
use crate::otp::{Code, Kind};
use crate::secret::Passphrase;
pub use error::{
    BackupError, CodeError, CreateError, Damage, OpenError, RekeyError, RestoreError, SaveError,
};
use format::{Header, Slot};
use keys::{UnwrapError, VaultKey};
use store::StoreError;

/// An unlocked vault.
pub struct Vault {
    path: PathBuf,
    header: Header,
    key: VaultKey,
    /// The payload: the entries and the tombstones of removed ones (JSON).
    entries: Entries,
    /// Held from open to drop by vaults opened for update.
    lock: Option<store::Lock>,
    /// The checksum of the file as last read or written, to detect a
    /// change by another writer when this vault was opened without a lock.
    file_checksum: [u8; format::CHECKSUM_LEN],
    /// How many automatic backups [`Vault::save`] keeps.
    keep_backups: usize,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new, empty vault at `path`; refuses to replace one.
    pub fn create(
        path: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
    ) -> Result<Vault, CreateError> {
        kdf.check()?;
        let lock = store::lock(path, store::LOCK_TIMEOUT)?;
        if path.exists() {
            return Err(StoreError::Exists(path.to_path_buf()).into());
        }
        let key = crypto::random_key();
        let slot = keys::wrap(&key, passphrase, kdf).map_err(|e| match e {
            RekeyError::Kdf(e) => CreateError::Kdf(e),
            RekeyError::Seal(e) => CreateError::Save(e.into()),
        })?;
        let mut vault = Vault {
            path: path.to_path_buf(),
            header: Header {
                slots: vec![Slot::Passphrase(slot)],
                payload_nonce: [0; NONCE_LEN],
            },
            key,
            entries: Entries::default(),
            lock: Some(lock),
            file_checksum: [0; format::CHECKSUM_LEN],
            keep_backups: store::DEFAULT_KEEP_BACKUPS,
        };
        let bytes = vault.seal()?;
        store::write_atomic(path, &bytes, false)?;
        vault.file_checksum = format::checksum_of(&bytes);
        Ok(vault)
    }

    /// Opens a vault to read it. Use [`Vault::open_for_update`] to change it.
    pub fn open(path: &Path, passphrase: &Passphrase) -> Result<Vault, OpenError> {
        let path = store::resolve(path);
        let bytes = store::read(&path)?;
        Self::unlock(&path, &bytes, passphrase)
    }

    /// Opens a vault and holds its writer's lock until the value is dropped,
    /// so that no other writer's change is lost between read and save.
    pub fn open_for_update(path: &Path, passphrase: &Passphrase) -> Result<Vault, OpenError> {
        let path = store::resolve(path);
        let lock = store::lock(&path, store::LOCK_TIMEOUT)?;
        let mut vault = Self::open(&path, passphrase)?;
        vault.lock = Some(lock);
        Ok(vault)
    }

    /// Decrypts a vault file already in memory; `path` names it in errors
    /// and is where [`Vault::save`] would write.
    pub fn from_bytes(
        path: &Path,
        bytes: &[u8],
        passphrase: &Passphrase,
    ) -> Result<Vault, OpenError> {
        Self::unlock(path, bytes, passphrase)
    }

    /// Decrypts `bytes` read from `path`, in the order of checks that
    /// docs/vault-format.md gives.
    fn unlock(path: &Path, bytes: &[u8], passphrase: &Passphrase) -> Result<Vault, OpenError> {
        let damaged = |damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        };
        let parsed = format::parse(bytes).map_err(damaged)?;
        let slot = parsed
            .header
            .passphrase_slot()
            .ok_or_else(|| damaged(Damage::NoPassphraseSlot))?;
        // The checksum has passed, so a slot that does not open means the
        // key derived from the passphrase is not the one that wrapped it.
        let key = keys::unwrap(slot, passphrase).map_err(|e| match e {
            UnwrapError::Kdf(KdfError::OutOfMemory(mib)) => OpenError::OutOfMemory(mib),
            UnwrapError::Kdf(e) => damaged(Damage::Kdf(e)),
            UnwrapError::WrongPassphrase => OpenError::WrongPassphrase(path.to_path_buf()),
        })?;
        let plaintext = crypto::open(
            &key,
            &parsed.header.payload_nonce,
            parsed.header_bytes,
            parsed.ciphertext,
        )
        .ok_or_else(|| damaged(Damage::PayloadAuthentication))?;
        let entries: Entries = serde_json::from_slice(&plaintext)
            .map_err(|e| damaged(Damage::PayloadInvalid(e.to_string())))?;
        Ok(Vault {
            path: path.to_path_buf(),
            header: parsed.header,
            key,
            entries,
            lock: None,
            file_checksum: format::checksum_of(bytes),
            keep_backups: store::DEFAULT_KEEP_BACKUPS,
        })
    }

    /// Encrypts the current entries under a fresh nonce; returns the file.
    fn seal(&mut self) -> Result<Vec<u8>, SaveError> {
        self.header.payload_nonce = crypto::random_array();
        let mut plaintext = Vec::with_capacity(1024 + 512 * self.entries.len());
        serde_json::to_writer(&mut plaintext, &self.entries)
            .map_err(|e| SaveError::Serialize(e.to_string()))?;
        let header_bytes = self.header.to_bytes();
        // Encrypted in place: the plaintext buffer becomes the ciphertext.
        let ciphertext = crypto::seal(
            &self.key,
            &self.header.payload_nonce,
            &header_bytes,
            plaintext,
        )?;
        Ok(format::assemble(&self.header, &ciphertext))
    }

    /// Writes the vault back to its file, atomically. A vault opened
    /// read-only takes the writer's lock first and refuses to save over a
    /// file another writer changed since it was read.
    pub fn save(&mut self) -> Result<(), SaveError> {
        if self.lock.is_none() {
            let lock = store::lock(&self.path, store::LOCK_TIMEOUT)?;
            let on_disk = store::read(&self.path)?;
            if format::checksum_of(&on_disk) != self.file_checksum {
                return Err(SaveError::Changed(self.path.clone()));
            }
            self.lock = Some(lock);
        }
        let bytes = self.seal()?;
        store::remove_stale_temps(&self.path);
        if self.keep_backups > 0 {
            store::keep_previous(&self.path)?;
            store::prune_backups(&self.path, self.keep_backups)?;
        }
        store::write_atomic(&self.path, &bytes, true)?;
        self.file_checksum = format::checksum_of(&bytes);
        Ok(())
    }

    /// How many automatic backups of the previous file each save keeps
    /// (default 10; 0 keeps none).
    pub fn set_keep_backups(&mut self, keep: usize) {
        self.keep_backups = keep;
    }

    /// Replaces the vault at `vault` with the vault file `from` (a backup),
    /// after checking that `from` opens with `passphrase`, and keeps the
    /// current file, damaged or not, as an automatic backup first. Returns
    /// the restored vault.
    pub fn restore(
        vault: &Path,
        from: &Path,
        passphrase: &Passphrase,
        keep: usize,
    ) -> Result<Vault, RestoreError> {
        if same_file(vault, from) {
            return Err(RestoreError::OverVault);
        }
        let vault = &store::resolve(vault);
        let bytes = store::read(from).map_err(|e| RestoreError::Source(e.into()))?;
        let mut restored = Self::unlock(from, &bytes, passphrase).map_err(RestoreError::Source)?;
        let lock = store::lock(vault, store::LOCK_TIMEOUT)?;
        // Whatever the configured number, the replaced file is kept and no
        // backup is rotated away, not even `from` itself: a restore is
        // undone by restoring again.
        store::keep_previous(vault)?;
        store::write_atomic(vault, &bytes, true)?;
        restored.path = vault.to_path_buf();
        restored.lock = Some(lock);
        restored.keep_backups = keep;
        Ok(restored)
    }

    /// Writes an encrypted copy to `dest` once it has checked that the
    /// written copy opens with `passphrase` and holds the same entries, so
    /// that a bad copy never replaces a good older one.
    pub fn backup(
        &mut self,
        dest: &Path,
        passphrase: &Passphrase,
        overwrite: bool,
    ) -> Result<(), BackupError> {
        if same_file(dest, &self.path) {
            return Err(BackupError::OverVault);
        }
        if !overwrite && dest.exists() {
            return Err(StoreError::Exists(dest.to_path_buf()).into());
        }
        let bytes = self.seal()?;
        let mismatch = || BackupError::Mismatch(dest.to_path_buf());
        store::write_checked(dest, &bytes, overwrite, |written| {
            // The passphrase has just opened the vault: a copy that does not
            // open with it was not written as sent. Only a lack of memory
            // for the KDF is not the copy's fault, and is said as such.
            let copy = Vault::open(written, passphrase).map_err(|e| match e {
                OpenError::OutOfMemory(_) => BackupError::Check(e),
                _ => mismatch(),
            })?;
            if copy.entries != self.entries {
                return Err(mismatch());
            }
            Ok(())
        })
    }

    /// Re-wraps the vault key under a new passphrase (new salt, same KDF
    /// cost). The entries are not touched; call [`Vault::save`] to keep it.
    pub fn change_passphrase(&mut self, new: &Passphrase) -> Result<(), RekeyError> {
        let slot = keys::wrap(&self.key, new, self.kdf())?;
        match self.header.passphrase_slot_mut() {
            Some(existing) => *existing = slot,
            None => self.header.slots.insert(0, Slot::Passphrase(slot)),
        }
        Ok(())
    }

    /// The Argon2id cost of the passphrase slot.
    pub fn kdf(&self) -> KdfParams {
        self.header
            .passphrase_slot()
            .map(|s| s.kdf)
            .unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &Entries {
        &self.entries
    }

    /// Adds an entry; names are unique regardless of case.
    pub fn add(&mut self, entry: Entry) -> Result<&Entry, EntryError> {
        self.entries.add(entry)
    }

    /// Removes the entry named exactly `name` and leaves a tombstone.
    pub fn remove(&mut self, name: &str) -> Result<Entry, EntryError> {
        self.entries.remove(name)
    }

    /// Renames the entry named exactly `old`.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<&Entry, EntryError> {
        self.entries.rename(old, new)
    }

    /// The code of the one entry `query` designates, at Unix time `time`.
    ///
    /// An HOTP code is used up once shown: its counter is moved on and the
    /// vault saved *before* the code is returned, so that a crash never
    /// lets the same code be shown twice.
    pub fn next_code(&mut self, query: &str, time: u64) -> Result<(&Entry, Code), CodeError> {
        if self.entries.find(query)?.otp.kind != Kind::Hotp {
            let entry = self.entries.find(query)?;
            return Ok((entry, entry.code(time)?));
        }
        let (entry, code) = self.entries.advance_hotp(query)?;
        let id = entry.id.clone();
        self.save()?;
        let entry = self
            .entries
            .by_id(&id)
            .ok_or_else(|| EntryError::NoMatch(query.to_string()))?;
        Ok((entry, code))
    }

    /// Every entry with its code at `time`. HOTP entries get none: showing
    /// one would use it up, which only asking for that entry should do.
    pub fn all_codes(&self, time: u64) -> Result<Vec<(&Entry, Option<Code>)>, CodeError> {
        self.entries
            .iter()
            .map(|entry| match entry.otp.kind {
                Kind::Hotp => Ok((entry, None)),
                _ => Ok((entry, Some(entry.code(time)?))),
            })
            .collect()
    }
}

/// True if both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
