//! The encrypted vault: a file of entries that opens only with the passphrase.
//!
//! [`format`] lays out the bytes, [`crypto`] derives and wraps keys and seals
//! the payload, [`store`] puts files on disk atomically and under a lock.
//! This module ties them together and owns the entries.

pub mod crypto;
pub mod format;
pub mod store;

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::entry::{self, Entry};
use crate::otp::ParamError;
use crate::secret::Passphrase;
use crypto::{KEY_LEN, KdfError, KdfParams, SealError};
use format::{Header, PassphraseSlot, Slot};

/// What is wrong with a file that cannot be opened, whatever the passphrase.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Damage {
    #[error("it is not an otpvault vault (its first bytes are not OTPVAULT); check the path")]
    NotAVault,
    #[error("it uses vault format version {0}, which this otp cannot read; upgrade otpvault")]
    UnsupportedVersion(u16),
    #[error("the file is truncated; restore it from a backup")]
    Truncated,
    #[error("its checksum does not match, so bytes were changed or lost; restore it from a backup")]
    ChecksumMismatch,
    #[error("its header is malformed ({0}); restore it from a backup")]
    Malformed(&'static str),
    #[error("it has no passphrase slot this otp can use; upgrade otpvault")]
    NoPassphraseSlot,
    #[error(
        "its KDF parameters are refused ({0}), so the file is damaged or hostile; restore it from a backup"
    )]
    Kdf(KdfError),
    #[error(
        "its encrypted entries fail authentication, so they were changed after writing; restore it from a backup"
    )]
    PayloadAuthentication,
    #[error("its decrypted entries are not valid ({0}); restore it from a backup")]
    PayloadInvalid(String),
}

/// Why a vault operation failed.
#[derive(Debug, Error)]
pub enum VaultError {
    #[error(
        "no vault at {0}: create one with `otp init` or `otp add NAME`, or give the path with --vault"
    )]
    NotFound(PathBuf),
    #[error("{0} already exists: choose another path (or --force where offered)")]
    AlreadyExists(PathBuf),
    #[error(
        "wrong passphrase for {0}: try again; the passphrase cannot be recovered, but a backup may have an older one"
    )]
    WrongPassphrase(PathBuf),
    #[error("cannot open {path}: {damage}")]
    Unreadable { path: PathBuf, damage: Damage },
    #[error("{0} is over 64 MiB, far larger than any vault: check the path")]
    TooLarge(PathBuf),
    #[error("the vault {0} is busy: another otp is changing it; try again when it has finished")]
    Busy(PathBuf),
    #[error("{0} was changed by another otp while this one had it open: run the command again")]
    Changed(PathBuf),
    #[error("invalid KDF parameters: {0}")]
    Kdf(#[from] KdfError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("cannot serialise the entries ({0}): nothing was written; please report this")]
    Serialize(String),
    #[error(
        "the backup written to {0} did not read back the same: the disk may be failing; try another place"
    )]
    BackupMismatch(PathBuf),
    #[error("the backup must be a different file from the vault itself: choose another path")]
    BackupOverVault,
    #[error(
        "could not {action} {path}: {source}; check the path, its permissions and the free space"
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// Why an entry could not be found, added or changed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EntryError {
    #[error(
        "an entry named {0:?} already exists: choose another name, or remove or rename that one first"
    )]
    NameExists(String),
    #[error("the name is empty: give the entry a name, such as Amazon")]
    EmptyName,
    #[error("no entry matches {0:?}: run `otp list` to see the names")]
    NoMatch(String),
    #[error("{} entries match {query:?} ({}): give the exact name", .names.len(), .names.join(", "))]
    Ambiguous { query: String, names: Vec<String> },
    #[error(transparent)]
    Params(#[from] ParamError),
}

/// A removed entry's id and when it went, so that a later merge of two
/// copies does not bring it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub id: String,
    pub deleted: i64,
}

/// The plaintext inside the payload (JSON).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    entries: Vec<Entry>,
    #[serde(default)]
    deleted: Vec<Tombstone>,
}

/// An unlocked vault.
pub struct Vault {
    path: PathBuf,
    header: Header,
    key: Zeroizing<[u8; KEY_LEN]>,
    payload: Payload,
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
            .field("entries", &self.payload.entries.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new, empty vault at `path`; refuses to replace one.
    pub fn create(
        path: &Path,
        passphrase: &Passphrase,
        kdf: KdfParams,
    ) -> Result<Vault, VaultError> {
        kdf.check().map_err(VaultError::Kdf)?;
        let lock = store::lock(path, store::LOCK_TIMEOUT)?;
        if path.exists() {
            return Err(VaultError::AlreadyExists(path.to_path_buf()));
        }
        let key = crypto::random_key();
        let slot = wrap_key(&key, passphrase, kdf)?;
        let mut vault = Vault {
            path: path.to_path_buf(),
            header: Header {
                slots: vec![Slot::Passphrase(slot)],
                payload_nonce: [0; crypto::NONCE_LEN],
            },
            key,
            payload: Payload::default(),
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
    pub fn open(path: &Path, passphrase: &Passphrase) -> Result<Vault, VaultError> {
        let path = store::resolve(path);
        let bytes = store::read(&path)?;
        Self::unlock(&path, &bytes, passphrase)
    }

    /// Opens a vault and holds its writer's lock until the value is dropped,
    /// so that no other writer's change is lost between read and save.
    pub fn open_for_update(path: &Path, passphrase: &Passphrase) -> Result<Vault, VaultError> {
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
    ) -> Result<Vault, VaultError> {
        Self::unlock(path, bytes, passphrase)
    }

    /// Decrypts `bytes` read from `path`.
    fn unlock(path: &Path, bytes: &[u8], passphrase: &Passphrase) -> Result<Vault, VaultError> {
        let unreadable = |damage| VaultError::Unreadable {
            path: path.to_path_buf(),
            damage,
        };
        let parsed = format::parse(bytes).map_err(unreadable)?;
        let slot = parsed
            .header
            .passphrase_slot()
            .ok_or_else(|| unreadable(Damage::NoPassphraseSlot))?;
        // Bounded before Argon2 allocates anything.
        slot.kdf.check().map_err(|e| unreadable(Damage::Kdf(e)))?;
        let kek = slot
            .kdf
            .derive(passphrase, &slot.salt)
            .map_err(|e| match e {
                KdfError::OutOfMemory(_) => VaultError::Kdf(e),
                e => unreadable(Damage::Kdf(e)),
            })?;
        // The checksum has passed, so a failure to unwrap means the key
        // derived from the passphrase is not the one that wrapped it.
        let key = crypto::open(&kek, &slot.nonce, &slot.aad(), &slot.wrapped_key)
            .ok_or_else(|| VaultError::WrongPassphrase(path.to_path_buf()))?;
        let key: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(
            key.as_slice()
                .try_into()
                .map_err(|_| unreadable(Damage::Malformed("vault key length")))?,
        );
        let plaintext = crypto::open(
            &key,
            &parsed.header.payload_nonce,
            parsed.header_bytes,
            parsed.ciphertext,
        )
        .ok_or_else(|| unreadable(Damage::PayloadAuthentication))?;
        let payload: Payload = serde_json::from_slice(&plaintext)
            .map_err(|e| unreadable(Damage::PayloadInvalid(e.to_string())))?;
        Ok(Vault {
            path: path.to_path_buf(),
            header: parsed.header,
            key,
            payload,
            lock: None,
            file_checksum: format::checksum_of(bytes),
            keep_backups: store::DEFAULT_KEEP_BACKUPS,
        })
    }

    /// Encrypts the current entries under a fresh nonce; returns the file.
    fn seal(&mut self) -> Result<Vec<u8>, VaultError> {
        self.header.payload_nonce = crypto::random_array();
        let mut plaintext = Vec::with_capacity(1024 + 512 * self.payload.entries.len());
        serde_json::to_writer(&mut plaintext, &self.payload)
            .map_err(|e| VaultError::Serialize(e.to_string()))?;
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
    pub fn save(&mut self) -> Result<(), VaultError> {
        if self.lock.is_none() {
            let lock = store::lock(&self.path, store::LOCK_TIMEOUT)?;
            let on_disk = store::read(&self.path)?;
            if format::checksum_of(&on_disk) != self.file_checksum {
                return Err(VaultError::Changed(self.path.clone()));
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
    ) -> Result<Vault, VaultError> {
        if same_file(vault, from) {
            return Err(VaultError::BackupOverVault);
        }
        let vault = &store::resolve(vault);
        let bytes = store::read(from)?;
        let mut restored = Self::unlock(from, &bytes, passphrase)?;
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
    ) -> Result<(), VaultError> {
        if same_file(dest, &self.path) {
            return Err(VaultError::BackupOverVault);
        }
        if !overwrite && dest.exists() {
            return Err(VaultError::AlreadyExists(dest.to_path_buf()));
        }
        let bytes = self.seal()?;
        let mismatch = || VaultError::BackupMismatch(dest.to_path_buf());
        store::write_checked(dest, &bytes, overwrite, |written| {
            // The passphrase has just opened the vault: a copy that does not
            // open with it was not written as sent. Only a lack of memory
            // for the KDF is not the copy's fault, and is said as such.
            let copy = Vault::open(written, passphrase).map_err(|e| match e {
                VaultError::Kdf(KdfError::OutOfMemory(_)) => e,
                _ => mismatch(),
            })?;
            if copy.payload.entries != self.payload.entries {
                return Err(mismatch());
            }
            Ok(())
        })
    }

    /// Re-wraps the vault key under a new passphrase (new salt, same KDF
    /// cost). The entries are not touched; call [`Vault::save`] to keep it.
    pub fn change_passphrase(&mut self, new: &Passphrase) -> Result<(), VaultError> {
        let kdf = self.kdf();
        let slot = wrap_key(&self.key, new, kdf)?;
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

    pub fn entries(&self) -> &[Entry] {
        &self.payload.entries
    }

    pub fn tombstones(&self) -> &[Tombstone] {
        &self.payload.deleted
    }

    /// Adds an entry; names are unique regardless of case.
    pub fn add(&mut self, entry: Entry) -> Result<&Entry, EntryError> {
        if entry.name.trim().is_empty() {
            return Err(EntryError::EmptyName);
        }
        if self.index_of_name(&entry.name).is_some() {
            return Err(EntryError::NameExists(entry.name));
        }
        entry.otp.validate()?;
        self.payload.entries.push(entry);
        Ok(&self.payload.entries[self.payload.entries.len() - 1])
    }

    fn index_of_name(&self, name: &str) -> Option<usize> {
        self.payload
            .entries
            .iter()
            .position(|e| e.name.to_lowercase() == name.to_lowercase())
    }

    fn index_of_exact(&self, name: &str) -> Result<usize, EntryError> {
        self.index_of_name(name)
            .ok_or_else(|| EntryError::NoMatch(name.to_string()))
    }

    /// Entries matching `query` (name, issuer or account, ignoring case);
    /// an entry whose name equals the query wins alone.
    pub fn search(&self, query: &str) -> Vec<&Entry> {
        if let Some(i) = self.index_of_name(query) {
            return vec![&self.payload.entries[i]];
        }
        self.payload
            .entries
            .iter()
            .filter(|e| e.matches(query))
            .collect()
    }

    /// The one entry `query` designates; see [`Vault::search`].
    pub fn find(&self, query: &str) -> Result<&Entry, EntryError> {
        self.position(query).map(|i| &self.payload.entries[i])
    }

    /// The index in [`Vault::entries`] of the one entry `query` designates.
    pub fn position(&self, query: &str) -> Result<usize, EntryError> {
        match self.search(query).as_slice() {
            [] => Err(EntryError::NoMatch(query.to_string())),
            [one] => Ok(self
                .payload
                .entries
                .iter()
                .position(|e| e.id == one.id)
                .unwrap_or_default()),
            many => Err(EntryError::Ambiguous {
                query: query.to_string(),
                names: many.iter().map(|e| e.name.clone()).collect(),
            }),
        }
    }

    /// For changes that keep names unique, such as an HOTP counter.
    pub fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.payload.entries
    }

    /// Removes the entry named exactly `name` (ignoring case) and leaves a
    /// tombstone. Destructive, so no partial matching.
    pub fn remove(&mut self, name: &str) -> Result<Entry, EntryError> {
        let i = self.index_of_exact(name)?;
        let entry = self.payload.entries.remove(i);
        self.payload.deleted.push(Tombstone {
            id: entry.id.clone(),
            deleted: entry::now(),
        });
        Ok(entry)
    }

    /// Renames the entry named exactly `old`; its id stays.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<(), EntryError> {
        if new.trim().is_empty() {
            return Err(EntryError::EmptyName);
        }
        let i = self.index_of_exact(old)?;
        if let Some(j) = self.index_of_name(new)
            && j != i
        {
            return Err(EntryError::NameExists(new.to_string()));
        }
        let entry = &mut self.payload.entries[i];
        entry.name = new.to_string();
        entry.touch();
        Ok(())
    }
}

/// A passphrase slot holding `key`, wrapped under a key derived from
/// `passphrase` with a fresh salt and nonce.
fn wrap_key(
    key: &[u8; KEY_LEN],
    passphrase: &Passphrase,
    kdf: KdfParams,
) -> Result<PassphraseSlot, VaultError> {
    let salt = crypto::random_array();
    let nonce = crypto::random_array();
    let kek = kdf.derive(passphrase, &salt)?;
    let mut slot = PassphraseSlot {
        kdf,
        salt,
        nonce,
        wrapped_key: [0; crypto::WRAPPED_KEY_LEN],
    };
    let wrapped = crypto::seal(&kek, &nonce, &slot.aad(), key.to_vec())?;
    slot.wrapped_key = wrapped.try_into().map_err(|_| SealError)?;
    Ok(slot)
}

/// True if both paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
