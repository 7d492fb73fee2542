//! The encrypted vault: a file of entries that opens only with the passphrase.
//!
//! [`format`] lays out the bytes, [`keys`] wraps the vault key in slots,
//! [`store`] puts files on disk atomically and under a lock, and [`error`]
//! names what each operation can fail with. This module ties them together
//! and owns the rules that need both the entries and the file, such as
//! saving an HOTP counter before its code is shown.

pub mod backups;
mod bytes;
mod codes;
pub mod conflicts;
mod copies;
pub mod error;
pub mod format;
pub mod keys;
pub mod layout;
mod rekey;
pub mod slot;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::crypto::kdf::{KdfError, KdfParams};
use crate::crypto::{self, NONCE_LEN};
use crate::entries::{Edit, Entries, EntryError};
use crate::entry::Entry;
use crate::keyring::key_id;
use crate::recovery::RecoveryKey;
use crate::secret::{Passphrase, VaultKey};
use crate::stamp::{self, Stamp};
pub use codes::{AllCodes, ForUrl, Shown};
pub use copies::check_backup_destination;
pub use copies::{Copy, KeysTaken, Merged};
pub use error::{
    BackupError, CodeError, CreateError, Damage, MergeError, OpenError, RekeyError, RestoreError,
    SaveError,
};
use format::{Header, Identity, Slot};
use keys::UnwrapError;
pub use rekey::Rotated;
use rekey::legacy_identity;
use store::StoreError;

/// How a vault behaves on disk: how many automatic backups a save keeps,
/// and how long a writer waits for another's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub keep_backups: usize,
    pub lock_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            keep_backups: backups::DEFAULT_KEEP,
            lock_timeout: store::LOCK_TIMEOUT,
        }
    }
}

/// A save that succeeded: the new vault is durably in place. Keeping the
/// previous version as an automatic backup comes after, and its failure
/// (a full disk, a foreign file in the way) does not undo the save: the
/// caller should say so.
#[must_use = "a failed automatic backup should be reported"]
#[derive(Debug)]
pub struct Saved {
    pub backup: Result<(), StoreError>,
}

/// How a vault is opened: with its passphrase, with its key itself (as
/// the agent holds it), or with its paper recovery key.
#[derive(Debug, Clone, Copy)]
pub enum Unlock<'a> {
    Passphrase(&'a Passphrase),
    Key(&'a VaultKey),
    Recovery(&'a RecoveryKey),
}

/// Whether a vault is opened to read it or to change it (holding the
/// writer's lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Update,
}

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
    settings: Settings,
    /// See [`Vault::restored_other_slots`].
    restored_other_slots: bool,
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
        settings: Settings,
    ) -> Result<Vault, CreateError> {
        kdf.check()?;
        // Through a symbolic link, even to a file not there yet.
        let path = &store::resolve(path);
        store::ensure_private_dir(store::parent_dir(path))?;
        let lock = store::lock(path, settings.lock_timeout)?;
        if path.exists() {
            return Err(StoreError::Exists(path.to_path_buf()).into());
        }
        let key = VaultKey::new(crypto::random_key());
        let slot = keys::wrap(&key, passphrase, kdf).map_err(|e| match e {
            RekeyError::Kdf(e) => CreateError::Kdf(e),
            RekeyError::Seal(e) => CreateError::Save(e.into()),
        })?;
        let now = stamp::wall_ms();
        let mut vault = Vault {
            path: path.to_path_buf(),
            header: Header {
                version: format::VERSION,
                identity: Some(Identity {
                    vault_id: crypto::random_array(),
                    created: Stamp(now, 0).seconds(),
                    key_id: key_id(&key),
                    passphrase_changed: Stamp(now, 0),
                    recovery_changed: Stamp::default(),
                }),
                slots: vec![Slot::Passphrase(slot)],
                payload_nonce: [0; NONCE_LEN],
            },
            key,
            entries: Entries::default(),
            lock: Some(lock),
            file_checksum: [0; format::CHECKSUM_LEN],
            settings,
            restored_other_slots: false,
        };
        let bytes = vault.seal()?;
        store::write_atomic(path, &bytes, false)?;
        vault.file_checksum = format::checksum_of(&bytes);
        Ok(vault)
    }

    /// Opens the vault at `path` as `unlock` says (its passphrase, its key
    /// as the agent holds it, or its paper recovery key); with
    /// [`Access::Update`], holding its writer's lock until the value is
    /// dropped, so that no other writer's change is lost between read and
    /// save. The one way a vault file is opened.
    pub fn open(
        path: &Path,
        unlock: Unlock,
        access: Access,
        settings: Settings,
    ) -> Result<Vault, OpenError> {
        let path = store::resolve(path);
        let lock = match access {
            Access::Update => Some(store::lock(&path, settings.lock_timeout)?),
            Access::Read => None,
        };
        let bytes = store::read(&path)?;
        let mut vault = Self::from_bytes(&path, &bytes, unlock)?;
        vault.settings = settings;
        vault.lock = lock;
        Ok(vault)
    }

    /// The vault as its file is now, read again under its writer's lock
    /// with the key this one holds (held until the value is dropped): for
    /// a change made without the lock, whose save found that another
    /// writer had saved meanwhile ([`SaveError::Changed`]), to be made
    /// again on top of theirs.
    pub fn reread(&mut self) -> Result<(), OpenError> {
        // The failed save may hold the lock: let it go, to take it anew.
        self.lock = None;
        let now = Vault::open(
            &self.path,
            Unlock::Key(&self.key),
            Access::Update,
            self.settings,
        )?;
        *self = now;
        Ok(())
    }

    /// Decrypts a vault file already in memory; `path` names it in errors
    /// and is where [`Vault::save`] would write.
    pub fn from_bytes(path: &Path, bytes: &[u8], unlock: Unlock) -> Result<Vault, OpenError> {
        match unlock {
            Unlock::Passphrase(passphrase) => Self::unlock(path, bytes, passphrase),
            Unlock::Key(key) => Self::unlock_with_key(path, bytes, key),
            Unlock::Recovery(recovery) => Self::unlock_with_recovery(path, bytes, recovery),
        }
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
        Self::decrypt(path, bytes, parsed, key)
    }

    /// Decrypts `bytes` read from `path` with the vault key itself, as the
    /// agent holds it: no passphrase, no KDF. A file the key does not open
    /// is not this vault (any more): [`OpenError::OtherKey`].
    fn unlock_with_key(path: &Path, bytes: &[u8], key: &VaultKey) -> Result<Vault, OpenError> {
        let parsed = format::parse(bytes).map_err(|damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        })?;
        let opens = crypto::open(
            key.expose(),
            &parsed.header.payload_nonce,
            parsed.header_bytes,
            parsed.ciphertext,
        )
        .is_some();
        if !opens {
            return Err(OpenError::OtherKey(path.to_path_buf()));
        }
        Self::decrypt(path, bytes, parsed, key.clone())
    }

    /// The payload of a parsed file, with the key that (should) seal it.
    fn decrypt(
        path: &Path,
        bytes: &[u8],
        parsed: format::Parsed,
        key: VaultKey,
    ) -> Result<Vault, OpenError> {
        let damaged = |damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        };
        let plaintext = crypto::open(
            key.expose(),
            &parsed.header.payload_nonce,
            parsed.header_bytes,
            parsed.ciphertext,
        )
        .ok_or_else(|| damaged(Damage::PayloadAuthentication))?;
        let entries =
            Entries::from_json(&plaintext).map_err(|e| damaged(Damage::PayloadInvalid(e)))?;
        let mut header = parsed.header;
        match header.identity {
            Some(identity) if identity.key_id != key_id(&key) => {
                return Err(damaged(Damage::Malformed("key id")));
            }
            Some(_) => {}
            None => header.identity = Some(legacy_identity(&header, &entries, &key)),
        }
        Ok(Vault {
            path: path.to_path_buf(),
            header,
            key,
            entries,
            lock: None,
            file_checksum: format::checksum_of(bytes),
            settings: Settings::default(),
            restored_other_slots: false,
        })
    }

    /// Decrypts `bytes` read from `path` with the paper recovery key
    /// instead of the passphrase.
    fn unlock_with_recovery(
        path: &Path,
        bytes: &[u8],
        recovery: &RecoveryKey,
    ) -> Result<Vault, OpenError> {
        let parsed = format::parse(bytes).map_err(|damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        })?;
        let slot = parsed
            .header
            .recovery_slot()
            .ok_or_else(|| OpenError::NoRecoveryKey(path.to_path_buf()))?;
        let key = match slot {
            Slot::Recovery(slot) => keys::unwrap_recovery(slot, recovery),
            Slot::Recipient(slot) => keys::unwrap_recipient(slot, recovery),
            Slot::Passphrase(_) | Slot::Unknown { .. } => None,
        }
        .ok_or_else(|| OpenError::WrongRecoveryKey(path.to_path_buf()))?;
        Self::decrypt(path, bytes, parsed, key)
    }

    /// The vault's slots, for `otp status`: nothing secret.
    pub fn slots(&self) -> &[Slot] {
        &self.header.slots
    }

    /// The key this vault is sealed with, for the agent to hold while the
    /// vault is unlocked.
    pub fn key(&self) -> &VaultKey {
        &self.key
    }

    /// The vault as a file, sealed under a fresh nonce, for a caller that
    /// writes it elsewhere (git's merge driver writes its `%A` file).
    pub fn to_file(&mut self) -> Result<Vec<u8>, SaveError> {
        self.seal()
    }

    /// Encrypts the current entries under a fresh nonce; returns the file.
    fn seal(&mut self) -> Result<Vec<u8>, SaveError> {
        // A vault read in an older version is written in the current one;
        // the automatic backup keeps the older file.
        self.header.version = format::VERSION;
        let mut identity = self.identity();
        identity.key_id = key_id(&self.key);
        self.header.identity = Some(identity);
        self.header.payload_nonce = crypto::random_array();
        let mut plaintext = Vec::with_capacity(1024 + 512 * self.entries.len());
        serde_json::to_writer(&mut plaintext, &self.entries).map_err(SaveError::Serialize)?;
        let header_bytes = self.header.to_bytes();
        // Encrypted in place: the plaintext buffer becomes the ciphertext.
        let ciphertext = crypto::seal(
            self.key.expose(),
            &self.header.payload_nonce,
            &header_bytes,
            plaintext,
        )?;
        Ok(format::assemble(&self.header, &ciphertext))
    }

    /// Writes the vault back to its file, atomically, then keeps what the
    /// file held before as an automatic backup. Refuses to save over a file
    /// that changed since it was read (another writer, a sync tool).
    pub fn save(&mut self) -> Result<Saved, SaveError> {
        self.save_and(|| {})
    }

    /// [`Vault::save`], calling `written` as soon as the new file is in
    /// place and durable, before the previous file is kept as a backup:
    /// what must be shown once the change holds (a new recovery key) is
    /// shown before anything that can fail or be killed after the write.
    pub fn save_and(&mut self, written: impl FnOnce()) -> Result<Saved, SaveError> {
        if self.lock.is_none() {
            self.lock = Some(store::lock(&self.path, self.settings.lock_timeout)?);
        }
        let previous = store::read_if_exists(&self.path)?;
        if previous.as_deref().map(format::checksum_of) != Some(self.file_checksum) {
            return Err(SaveError::Changed(self.path.clone()));
        }
        self.entries.forget_old_tombstones(stamp::wall_ms());
        let bytes = self.seal()?;
        store::write_vault(&self.path, &bytes)?;
        self.file_checksum = format::checksum_of(&bytes);
        written();
        let backup = match previous {
            Some(previous) => backups::keep(
                &self.path,
                &previous,
                self.settings.keep_backups,
                |newest| self.same_content(newest, &previous),
            ),
            None => Ok(()),
        };
        Ok(Saved { backup })
    }

    /// The Argon2id cost of the passphrase slot.
    pub fn kdf(&self) -> KdfParams {
        self.header
            .passphrase_slot()
            .map(|s| s.kdf)
            .unwrap_or_default()
    }

    /// True if two vault files hold the same: the same header but for the
    /// payload nonce, and payloads that open with one of this vault's keys
    /// to the same bytes. So a backup is not kept twice under two nonces.
    fn same_content(&self, a: &[u8], b: &[u8]) -> bool {
        let (Ok(a), Ok(b)) = (format::parse(a), format::parse(b)) else {
            return false;
        };
        let header = |h: &Header| (h.version, h.identity, h.slots.clone());
        if header(&a.header) != header(&b.header) {
            return false;
        }
        let keys = std::iter::once(&self.key)
            .chain(self.entries.keyring.previous.iter().map(|old| &old.key));
        for key in keys {
            let open = |p: &format::Parsed| {
                crypto::open(
                    key.expose(),
                    &p.header.payload_nonce,
                    p.header_bytes,
                    p.ciphertext,
                )
            };
            if let (Some(x), Some(y)) = (open(&a), open(&b)) {
                return x == y;
            }
        }
        false
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

    /// Adds entries all at once, each checked as [`Vault::add`] checks
    /// one, or none.
    pub fn add_all(&mut self, entries: Vec<Entry>) -> Result<(), EntryError> {
        self.entries.add_all(entries)
    }

    /// Removes the entry named exactly `name` and leaves a tombstone.
    pub fn remove(&mut self, name: &str) -> Result<Entry, EntryError> {
        self.entries.remove(name)
    }

    /// Renames the entry named exactly `old`.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<&Entry, EntryError> {
        self.entries.rename(old, new)
    }

    /// Changes the issuer, account or sites of the entry named exactly
    /// `name`.
    pub fn edit(&mut self, name: &str, edit: &Edit) -> Result<&Entry, EntryError> {
        self.entries.edit(name, edit)
    }
}
