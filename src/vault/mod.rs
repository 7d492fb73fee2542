//! The encrypted vault: a file of entries that opens only with the passphrase.
//!
//! [`format`] lays out the bytes, [`keys`] wraps the vault key in slots,
//! [`store`] puts files on disk atomically and under a lock, and [`error`]
//! names what each operation can fail with. This module ties them together
//! and owns the rules that need both the entries and the file, such as
//! saving an HOTP counter before its code is shown.

pub mod backups;
pub mod conflicts;
pub mod error;
pub mod format;
pub mod keys;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::When;
use crate::crypto::kdf::{KdfError, KdfParams};
use crate::crypto::{self, NONCE_LEN};
use crate::entries::{Edit, Entries, EntryError};
use crate::entry::{Current, Entry};
use crate::merge;
use crate::otp::{Code, Kind};
use crate::recovery::RecoveryKey;
use crate::secret::{Passphrase, VaultKey};
use crate::site;
pub use error::{
    BackupError, CodeError, CreateError, Damage, OpenError, RekeyError, RestoreError, SaveError,
};
use format::{Header, Slot};
use keys::UnwrapError;
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

/// A code shown, with the entry it belongs to; `saved` is the save that
/// moved an HOTP counter on before the code was given.
#[derive(Debug)]
pub struct Shown<'a> {
    pub entry: &'a Entry,
    pub code: Code,
    /// The time the code is for (Unix seconds), read when it was made.
    pub time: u64,
    /// For a time-based code: the seconds it has left and, when few, the
    /// next one, at that same time.
    pub current: Option<Current>,
    pub saved: Option<Saved>,
}

/// A URL a code is asked for, with whether plain HTTP may have it.
#[derive(Debug, Clone, Copy)]
pub struct ForUrl<'a> {
    pub url: &'a str,
    pub allow_http: bool,
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
        let mut vault = Vault {
            path: path.to_path_buf(),
            header: Header {
                version: format::VERSION,
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
        Ok(Vault {
            path: path.to_path_buf(),
            header: parsed.header,
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
        let key = keys::unwrap_recovery(slot, recovery)
            .ok_or_else(|| OpenError::WrongRecoveryKey(path.to_path_buf()))?;
        Self::decrypt(path, bytes, parsed, key)
    }

    /// Adds a recovery slot for `recovery`, replacing the vault's recovery
    /// slot if it has one (the old recovery key stops working). Call
    /// [`Vault::save`] to keep it.
    pub fn set_recovery_key(&mut self, recovery: &RecoveryKey) -> Result<(), RekeyError> {
        let slot = Slot::Recovery(keys::wrap_recovery(&self.key, recovery)?);
        match self
            .header
            .slots
            .iter_mut()
            .find(|s| matches!(s, Slot::Recovery(_)))
        {
            Some(existing) => *existing = slot,
            None => self.header.slots.push(slot),
        }
        Ok(())
    }

    /// Removes the recovery slot; false if there was none.
    pub fn remove_recovery_key(&mut self) -> bool {
        let before = self.header.slots.len();
        self.header
            .slots
            .retain(|s| !matches!(s, Slot::Recovery(_)));
        self.header.slots.len() != before
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
        self.header.payload_nonce = crypto::random_array();
        let mut plaintext = Vec::with_capacity(1024 + 512 * self.entries.len());
        serde_json::to_writer(&mut plaintext, &self.entries)
            .map_err(|e| SaveError::Serialize(e.to_string()))?;
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
        if self.lock.is_none() {
            self.lock = Some(store::lock(&self.path, self.settings.lock_timeout)?);
        }
        let previous = store::read_if_exists(&self.path)?;
        if previous.as_deref().map(format::checksum_of) != Some(self.file_checksum) {
            return Err(SaveError::Changed(self.path.clone()));
        }
        self.entries
            .forget_old_tombstones(crate::clock::timestamp());
        let bytes = self.seal()?;
        store::remove_stale_temps(&self.path);
        store::write_vault(&self.path, &bytes)?;
        self.file_checksum = format::checksum_of(&bytes);
        let backup = match previous {
            Some(previous) => backups::keep(&self.path, &previous, self.settings.keep_backups),
            None => Ok(()),
        };
        Ok(Saved { backup })
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

    /// The code of the one entry `query` designates, for `when`.
    ///
    /// An HOTP code is used up once shown: its counter is moved on and the
    /// vault saved *before* the code is returned, so that a crash never
    /// lets the same code be shown twice.
    pub fn next_code(&mut self, query: &str, when: When) -> Result<Shown<'_>, CodeError> {
        self.next_code_for(query, when, None)
    }

    /// [`Vault::next_code`], given only if `url` is at one of the entry's
    /// sites ([`site::release`]), checked before an HOTP code is used up.
    /// The clock is read last, just before the code is made.
    pub fn next_code_for(
        &mut self,
        query: &str,
        when: When,
        url: Option<ForUrl>,
    ) -> Result<Shown<'_>, CodeError> {
        let i = self.entries.position(query)?;
        if let Some(url) = url {
            site::release(&self.entries.as_slice()[i], url.url, url.allow_http)?;
        }
        if self.entries.as_slice()[i].otp.kind != Kind::Hotp {
            let entry = &self.entries.as_slice()[i];
            let time = when.time()?;
            let current = entry.current(time)?;
            let code = entry.code(time)?;
            return Ok(Shown {
                entry,
                code,
                time,
                current,
                saved: None,
            });
        }
        let (entry, code) = self.entries.advance_hotp_at(i)?;
        let id = entry.id.clone();
        let saved = self.save()?;
        let entry = self
            .entries
            .by_id(&id)
            .ok_or_else(|| EntryError::NoMatch(query.to_string()))?;
        Ok(Shown {
            entry,
            code,
            time: when.time()?,
            current: None,
            saved: Some(saved),
        })
    }

    /// Every entry with its code for `when`, and the time they are for.
    /// HOTP entries get none: showing one would use it up, which only
    /// asking for that entry should do.
    pub fn all_codes(&self, when: When) -> Result<AllCodes<'_>, CodeError> {
        let time = when.time()?;
        let codes = self
            .entries
            .iter()
            .map(|entry| match entry.otp.kind {
                Kind::Hotp => Ok((entry, None)),
                _ => Ok((entry, Some(entry.code(time)?))),
            })
            .collect::<Result<_, CodeError>>()?;
        Ok(AllCodes { time, codes })
    }
}

/// Every entry's code, as [`Vault::all_codes`] gives them.
#[derive(Debug)]
pub struct AllCodes<'a> {
    /// The time the codes are for (Unix seconds).
    pub time: u64,
    pub codes: Vec<(&'a Entry, Option<Code>)>,
}

/// The header of the vault at `path`, checked (magic, version, checksum,
/// structure) but not unlocked: which slots it has, for `otp status`.
pub fn read_header(path: &Path) -> Result<Header, OpenError> {
    let path = store::resolve(path);
    let bytes = store::read(&path)?;
    Ok(format::parse(&bytes)
        .map_err(|damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        })?
        .header)
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
