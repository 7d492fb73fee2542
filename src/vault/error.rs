//! What each vault operation can fail with, one enum an operation, as age
//! separates its encryption and decryption errors: a caller can tell a
//! damaged file from a wrong passphrase from a busy lock, and each message
//! says what to do next.

use crate::error::{ErrorKind, Kinded};
use std::path::PathBuf;

use thiserror::Error;

use super::store::StoreError;
use crate::clock;
use crate::crypto::SealError;
use crate::crypto::kdf::KdfError;
use crate::entries::{EntryError, InvalidPayload};
use crate::otp::ParamError;
use crate::terminal::{Quoted, ShownPath};

/// What is wrong with a file that cannot be opened, whatever the passphrase.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Damage {
    #[error("it is not an otpvault vault (its first bytes are not OTPVAULT); check the path")]
    NotAVault,
    #[error(
        "it was made by a newer otpvault (vault format version {0}), which this otp cannot read; upgrade otpvault"
    )]
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
    PayloadInvalid(InvalidPayload),
}

/// Why another copy could not be merged into the vault. Nothing was
/// changed.
#[derive(Debug, Error)]
pub enum MergeError {
    #[error(
        "{} is another vault (made {}), not a copy of this one (made {}): nothing was merged; to take its accounts into this vault, run `otp import` on it",
        ShownPath(.path),
        clock::date(*.theirs),
        clock::date(*.ours)
    )]
    OtherVault {
        path: PathBuf,
        ours: i64,
        theirs: i64,
    },
    #[error(
        "{} {}, last changed before removals {} has forgotten (they are kept 400 days): it may be an entry removed long ago, or one added on a device away that long; nothing was merged; check the copy's age, then run `otp merge --accept-old` to merge anyway",
        if *.in_copy { "the copy holds" } else { "this vault holds" },
        Quoted(.name),
        if *.in_copy { "this vault" } else { "the copy" }
    )]
    Forgotten { name: String, in_copy: bool },
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Wrapping the recovery key to the kept data key failed.
    #[error(transparent)]
    Rekey(#[from] RekeyError),
}

/// Why a vault could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("no vault at {shown_path0}: create one with `otp init` or `otp add NAME`, or give the path with --vault", shown_path0 = crate::terminal::ShownPath(.0))]
    NotFound(PathBuf),
    #[error("wrong passphrase for {shown_path0}: try again; the passphrase cannot be recovered, but a backup may have an older one", shown_path0 = crate::terminal::ShownPath(.0))]
    WrongPassphrase(PathBuf),
    #[error("cannot open {shown_path}: {damage}", shown_path = crate::terminal::ShownPath(.path))]
    Damaged { path: PathBuf, damage: Damage },
    #[error("{shown_path0} is not sealed with this vault's key: it is another vault, or the vault was replaced", shown_path0 = crate::terminal::ShownPath(.0))]
    OtherKey(PathBuf),
    #[error("{shown_path0} has no recovery key: it was never made (`otp recovery-key`) or was removed; a backup made while it existed may have one", shown_path0 = crate::terminal::ShownPath(.0))]
    NoRecoveryKey(PathBuf),
    #[error("wrong recovery key for {shown_path0}: it is a valid key, but not this vault's (an older one stops working when a new one is made)", shown_path0 = crate::terminal::ShownPath(.0))]
    WrongRecoveryKey(PathBuf),
    #[error(
        "not enough memory for Argon2id ({0} MiB) to unlock the vault: close other programs and try again"
    )]
    OutOfMemory(u64),
    #[error(transparent)]
    File(StoreError),
}

impl From<StoreError> for OpenError {
    fn from(e: StoreError) -> OpenError {
        match e {
            StoreError::Missing(path) => OpenError::NotFound(path),
            e => OpenError::File(e),
        }
    }
}

/// Why a vault could not be saved. Nothing was written.
#[derive(Debug, Error)]
pub enum SaveError {
    #[error("{shown_path0} was changed by another otp while this one had it open: run the command again", shown_path0 = crate::terminal::ShownPath(.0))]
    Changed(PathBuf),
    /// A bug: entries that serde_json cannot write. Its message is left
    /// out of ours (it could describe a value), kept as the source.
    #[error(
        "cannot serialise the entries: nothing was written; this is a bug in otp, please report it"
    )]
    Serialize(#[source] serde_json::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    File(#[from] StoreError),
}

/// Why a new vault could not be created.
#[derive(Debug, Error)]
pub enum CreateError {
    #[error("invalid KDF parameters: {0}")]
    Kdf(#[from] KdfError),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    File(#[from] StoreError),
}

/// Why `otp backup` wrote no backup (an existing one is left as it was).
#[derive(Debug, Error)]
pub enum BackupError {
    #[error(
        "the backup must be a file apart from the vault, its lock file and its automatic backups: choose another path"
    )]
    OverVault,
    #[error("{shown_path} is {kind}: a backup replaces only a regular file (it never writes through a link); choose another path", shown_path = crate::terminal::ShownPath(.path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("the backup written to {shown_path0} did not read back the same: the disk may be failing; try another place", shown_path0 = crate::terminal::ShownPath(.0))]
    Mismatch(PathBuf),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    File(#[from] StoreError),
}

/// Why `otp restore` put nothing back (the vault is as it was).
#[derive(Debug, Error)]
pub enum RestoreError {
    #[error("the backup must be a different file from the vault itself: choose another path")]
    OverVault,
    /// The backup does not open: missing, damaged, or another passphrase.
    #[error(transparent)]
    Source(OpenError),
    #[error(transparent)]
    File(#[from] StoreError),
}

/// Why the passphrase could not be changed.
#[derive(Debug, Error)]
pub enum RekeyError {
    #[error(transparent)]
    Kdf(#[from] KdfError),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Why no code could be given.
#[derive(Debug, Error)]
pub enum CodeError {
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// An HOTP code is shown only once its advanced counter is saved.
    #[error(transparent)]
    Save(#[from] SaveError),
    /// The code was asked for a URL that is not the entry's site.
    #[error(transparent)]
    Withheld(#[from] crate::site::Withheld),
    #[error(transparent)]
    Clock(#[from] crate::clock::ClockError),
}

impl From<ParamError> for CodeError {
    fn from(e: ParamError) -> CodeError {
        CodeError::Entry(EntryError::Params(e))
    }
}

impl Kinded for Damage {
    fn kind(&self) -> ErrorKind {
        match self {
            Damage::NotAVault
            | Damage::UnsupportedVersion(_)
            | Damage::Truncated
            | Damage::ChecksumMismatch
            | Damage::Malformed(_)
            | Damage::NoPassphraseSlot
            | Damage::Kdf(_)
            | Damage::PayloadAuthentication
            | Damage::PayloadInvalid(_) => ErrorKind::Damaged,
        }
    }
}

impl Kinded for OpenError {
    fn kind(&self) -> ErrorKind {
        match self {
            OpenError::NotFound(_) => ErrorKind::NoVault,
            OpenError::WrongPassphrase(_)
            | OpenError::OtherKey(_)
            | OpenError::NoRecoveryKey(_)
            | OpenError::WrongRecoveryKey(_) => ErrorKind::WrongSecret,
            OpenError::Damaged { damage, .. } => damage.kind(),
            OpenError::OutOfMemory(_) => ErrorKind::Environment,
            OpenError::File(e) => e.kind(),
        }
    }
}

impl Kinded for MergeError {
    fn kind(&self) -> ErrorKind {
        match self {
            MergeError::OtherVault { .. } => ErrorKind::OtherVault,
            MergeError::Forgotten { .. } => ErrorKind::TooOld,
            MergeError::Open(e) => e.kind(),
            MergeError::Rekey(e) => e.kind(),
        }
    }
}

impl Kinded for SaveError {
    fn kind(&self) -> ErrorKind {
        match self {
            SaveError::Changed(_) => ErrorKind::Busy,
            SaveError::Serialize(_) | SaveError::Seal(_) => ErrorKind::Internal,
            SaveError::File(e) => e.kind(),
        }
    }
}

impl Kinded for CreateError {
    fn kind(&self) -> ErrorKind {
        match self {
            CreateError::Kdf(e) => e.kind(),
            CreateError::Save(e) => e.kind(),
            CreateError::File(e) => e.kind(),
        }
    }
}

impl Kinded for BackupError {
    fn kind(&self) -> ErrorKind {
        match self {
            BackupError::OverVault | BackupError::NotAFile { .. } => ErrorKind::Usage,
            BackupError::Mismatch(_) => ErrorKind::Environment,
            BackupError::Save(e) => e.kind(),
            BackupError::File(e) => e.kind(),
        }
    }
}

impl Kinded for RestoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            RestoreError::OverVault => ErrorKind::Usage,
            RestoreError::Source(e) => e.kind(),
            RestoreError::File(e) => e.kind(),
        }
    }
}

impl Kinded for RekeyError {
    fn kind(&self) -> ErrorKind {
        match self {
            RekeyError::Kdf(e) => e.kind(),
            RekeyError::Seal(_) => ErrorKind::Internal,
        }
    }
}

impl Kinded for CodeError {
    fn kind(&self) -> ErrorKind {
        match self {
            CodeError::Entry(e) => e.kind(),
            CodeError::Save(e) => e.kind(),
            CodeError::Withheld(_) => ErrorKind::SiteRule,
            CodeError::Clock(e) => e.kind(),
        }
    }
}
