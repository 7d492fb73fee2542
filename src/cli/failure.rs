//! Everything a command can fail with, and the one place that decides each
//! failure's exit code. Every match here is exhaustive, with no wildcard
//! arm: a new error variant anywhere does not compile until someone has
//! decided what scripts see when it happens.

use std::io;

use otpvault::clock::ClockError;
use otpvault::crypto::kdf::KdfError;
use otpvault::export::ExportError;
use otpvault::formats::FormatError;
use otpvault::import::ImportError;
use otpvault::key::KeyError;
use otpvault::otp::ParamError;
use otpvault::qr::QrError;
use otpvault::uri::UriError;
use otpvault::vault::store::StoreError;
use otpvault::vault::{
    BackupError, CodeError, CreateError, OpenError, RekeyError, RestoreError, SaveError,
};
use otpvault::{Damage, EntryError};
use thiserror::Error;

use super::input::InputError;

/// Exit codes, documented in the README; scripts rely on them.
pub mod exit {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const WRONG_PASSPHRASE: u8 = 3;
    pub const DAMAGED: u8 = 4;
    pub const NO_MATCH: u8 = 5;
    pub const AMBIGUOUS: u8 = 6;
    pub const BUSY: u8 = 7;
    pub const NO_VAULT: u8 = 8;
    pub const EXISTS: u8 = 9;
}

/// Everything a command can fail with.
#[derive(Debug, Error)]
pub enum Failure {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    Create(#[from] CreateError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error(transparent)]
    Restore(#[from] RestoreError),
    #[error(transparent)]
    Rekey(#[from] RekeyError),
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    File(#[from] StoreError),
    #[error(transparent)]
    Kdf(#[from] KdfError),
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Uri(#[from] UriError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot write the output ({0}): check where it is sent")]
    Output(io::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        use exit::*;
        match self {
            Failure::Open(e) => open(e),
            Failure::Save(e) => save(e),
            Failure::Create(e) => match e {
                CreateError::Kdf(e) => kdf(e),
                CreateError::Save(e) => save(e),
                CreateError::File(e) => file(e),
            },
            Failure::Backup(e) => match e {
                BackupError::OverVault => USAGE,
                BackupError::Mismatch(_) => FAILURE,
                BackupError::Check(e) => open(e),
                BackupError::Save(e) => save(e),
                BackupError::File(e) => file(e),
            },
            Failure::Restore(e) => match e {
                RestoreError::OverVault => USAGE,
                RestoreError::Source(e) => open(e),
                RestoreError::File(e) => file(e),
            },
            Failure::Rekey(e) => match e {
                RekeyError::Kdf(e) => kdf(e),
                RekeyError::Seal(_) => FAILURE,
            },
            Failure::Code(e) => match e {
                CodeError::Entry(e) => entry(e),
                CodeError::Save(e) => save(e),
            },
            Failure::File(e) => file(e),
            Failure::Kdf(e) => kdf(e),
            Failure::Entry(e) => entry(e),
            Failure::Import(e) => import(e),
            Failure::Export(e) => match e {
                ExportError::Nothing => USAGE,
                // Not the user's doing: the data does not fit a QR code.
                ExportError::Qr(_) => FAILURE,
                ExportError::Format(e) => format(e),
            },
            Failure::Key(_) | Failure::Uri(_) | Failure::Params(_) | Failure::Input(_) => USAGE,
            Failure::Clock(ClockError::BeforeEpoch) => FAILURE,
            Failure::Output(_) => FAILURE,
        }
    }
}

fn open(e: &OpenError) -> u8 {
    match e {
        OpenError::NotFound(_) => exit::NO_VAULT,
        OpenError::WrongPassphrase(_) => exit::WRONG_PASSPHRASE,
        OpenError::Damaged { damage, .. } => match damage {
            Damage::NotAVault
            | Damage::UnsupportedVersion(_)
            | Damage::Truncated
            | Damage::ChecksumMismatch
            | Damage::Malformed(_)
            | Damage::NoPassphraseSlot
            | Damage::Kdf(_)
            | Damage::PayloadAuthentication
            | Damage::PayloadInvalid(_) => exit::DAMAGED,
        },
        OpenError::OutOfMemory(_) => exit::FAILURE,
        OpenError::File(e) => file(e),
    }
}

fn save(e: &SaveError) -> u8 {
    match e {
        SaveError::Changed(_) => exit::BUSY,
        SaveError::Serialize(_) | SaveError::Seal(_) => exit::FAILURE,
        SaveError::File(e) => file(e),
    }
}

fn file(e: &StoreError) -> u8 {
    match e {
        StoreError::Missing(_) => exit::NO_VAULT,
        StoreError::Exists(_) => exit::EXISTS,
        StoreError::TooLarge(_) => exit::DAMAGED,
        StoreError::Busy(_) => exit::BUSY,
        StoreError::Io { .. } => exit::FAILURE,
    }
}

fn kdf(e: &KdfError) -> u8 {
    match e {
        KdfError::OutOfMemory(_) => exit::FAILURE,
        KdfError::TooCostly { .. } | KdfError::OutOfBounds(_) | KdfError::TooSlow { .. } => {
            exit::USAGE
        }
    }
}

fn entry(e: &EntryError) -> u8 {
    match e {
        EntryError::NoMatch(_) => exit::NO_MATCH,
        EntryError::Ambiguous { .. } => exit::AMBIGUOUS,
        EntryError::NameExists(_) => exit::EXISTS,
        EntryError::EmptyName | EntryError::Params(_) => exit::USAGE,
    }
}

fn import(e: &ImportError) -> u8 {
    match e {
        ImportError::Format(e) => format(e),
        ImportError::Empty
        | ImportError::NotAnExport
        | ImportError::Uri { .. }
        | ImportError::Migration { .. }
        | ImportError::NotAUri { .. }
        | ImportError::WrongFormat(_)
        | ImportError::SeveralAccounts(_) => exit::USAGE,
        ImportError::Qr(e) => match e {
            QrError::NotAnImage
            | QrError::BadImage(_)
            | QrError::TooLarge(_)
            | QrError::NotFound
            | QrError::TooLong(_) => exit::USAGE,
        },
    }
}

fn format(e: &FormatError) -> u8 {
    match e {
        FormatError::WrongPassword => exit::WRONG_PASSPHRASE,
        FormatError::Invalid(_)
        | FormatError::Unsupported(_)
        | FormatError::KdfOutOfBounds(_)
        | FormatError::Argon2(_) => exit::USAGE,
    }
}
