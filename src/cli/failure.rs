//! Everything a command can fail with, and the one place that decides each
//! failure's exit code. Every match here is exhaustive, with no wildcard
//! arm: a new error variant anywhere does not compile until someone has
//! decided what scripts see when it happens.

use std::io;

use otpvault::agent::AgentError;
use otpvault::clipboard::ClipboardError;
use otpvault::clock::ClockError;
use otpvault::config::ConfigError;
use otpvault::crypto::kdf::KdfError;
use otpvault::export::ExportError;
use otpvault::formats::FormatError;
use otpvault::import::ImportError;
use otpvault::key::KeyError;
use otpvault::ntp::TimeError;
use otpvault::otp::ParamError;
use otpvault::qr::QrError;
use otpvault::recovery::RecoveryKeyError;
use otpvault::site::SiteError;
use otpvault::strength::TooWeak;
use otpvault::uri::{PasteError, UriError};
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
    pub const CLOCK_OFF: u8 = 10;
    pub const NOT_THE_SITE: u8 = 11;

    /// What each exit status means, for the manual page and the README.
    pub const MEANINGS: [(u8, &str); 12] = [
        (0, "success"),
        (
            FAILURE,
            "a failure not listed below (a file that cannot be read or written, no clipboard, no answer from a time server)",
        ),
        (
            USAGE,
            "a usage error: a flag, a name, a key, a site or a passphrase that cannot be used as given",
        ),
        (
            WRONG_PASSPHRASE,
            "the passphrase or recovery key does not open the vault",
        ),
        (
            DAMAGED,
            "the vault (or a file given) is damaged or not a vault",
        ),
        (NO_MATCH, "no entry matches"),
        (AMBIGUOUS, "several entries match: give the exact name"),
        (
            BUSY,
            "another otp is changing the vault and did not finish in time",
        ),
        (NO_VAULT, "there is no vault at the path"),
        (
            EXISTS,
            "the name, the account or the file exists already (or a name looks like one that does)",
        ),
        (
            CLOCK_OFF,
            "otp time: the clock (or OTP_TIME_OFFSET) is off by more than 5 s",
        ),
        (
            NOT_THE_SITE,
            "code --for-url: the URL is not at the entry's site, so no code was given",
        ),
    ];
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
    Paste(#[from] PasteError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error(transparent)]
    RecoveryKey(#[from] RecoveryKeyError),
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Time(#[from] TimeError),
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Weak(#[from] TooWeak),
    #[error(transparent)]
    Clipboard(#[from] ClipboardError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot write the output ({0}): check where it is sent")]
    Output(io::Error),
}

/// The exit code a failure gives. Implemented for every error type a
/// command can meet, each with a match that names every variant.
trait Exit {
    fn exit(&self) -> u8;
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Open(e) => e.exit(),
            Failure::Save(e) => e.exit(),
            Failure::Create(e) => e.exit(),
            Failure::Backup(e) => e.exit(),
            Failure::Restore(e) => e.exit(),
            Failure::Rekey(e) => e.exit(),
            Failure::Code(e) => e.exit(),
            Failure::File(e) => e.exit(),
            Failure::Kdf(e) => e.exit(),
            Failure::Entry(e) => e.exit(),
            Failure::Key(e) => e.exit(),
            Failure::Uri(e) => e.exit(),
            Failure::Paste(e) => e.exit(),
            Failure::Params(e) => e.exit(),
            Failure::Import(e) => e.exit(),
            Failure::Export(e) => e.exit(),
            Failure::Clock(e) => e.exit(),
            Failure::RecoveryKey(e) => e.exit(),
            Failure::Agent(e) => e.exit(),
            Failure::Time(e) => e.exit(),
            Failure::Site(_) | Failure::Weak(_) => exit::USAGE,
            Failure::Clipboard(e) => e.exit(),
            Failure::Config(e) => e.exit(),
            Failure::Input(e) => e.exit(),
            Failure::Output(_) => exit::FAILURE,
        }
    }
}

impl Exit for OpenError {
    fn exit(&self) -> u8 {
        match self {
            OpenError::NotFound(_) => exit::NO_VAULT,
            OpenError::WrongPassphrase(_)
            | OpenError::OtherKey(_)
            | OpenError::NoRecoveryKey(_)
            | OpenError::WrongRecoveryKey(_) => exit::WRONG_PASSPHRASE,
            OpenError::Damaged { damage, .. } => damage.exit(),
            OpenError::OutOfMemory(_) => exit::FAILURE,
            OpenError::File(e) => e.exit(),
        }
    }
}

impl Exit for Damage {
    fn exit(&self) -> u8 {
        match self {
            Damage::NotAVault
            | Damage::UnsupportedVersion(_)
            | Damage::Truncated
            | Damage::ChecksumMismatch
            | Damage::Malformed(_)
            | Damage::NoPassphraseSlot
            | Damage::Kdf(_)
            | Damage::PayloadAuthentication
            | Damage::PayloadInvalid(_) => exit::DAMAGED,
        }
    }
}

impl Exit for SaveError {
    fn exit(&self) -> u8 {
        match self {
            SaveError::Changed(_) => exit::BUSY,
            SaveError::Serialize(_) | SaveError::Seal(_) => exit::FAILURE,
            SaveError::File(e) => e.exit(),
        }
    }
}

impl Exit for CreateError {
    fn exit(&self) -> u8 {
        match self {
            CreateError::Kdf(e) => e.exit(),
            CreateError::Save(e) => e.exit(),
            CreateError::File(e) => e.exit(),
        }
    }
}

impl Exit for BackupError {
    fn exit(&self) -> u8 {
        match self {
            BackupError::OverVault => exit::USAGE,
            BackupError::Mismatch(_) => exit::FAILURE,
            BackupError::Save(e) => e.exit(),
            BackupError::File(e) => e.exit(),
        }
    }
}

impl Exit for RestoreError {
    fn exit(&self) -> u8 {
        match self {
            RestoreError::OverVault => exit::USAGE,
            RestoreError::Source(e) => e.exit(),
            RestoreError::File(e) => e.exit(),
        }
    }
}

impl Exit for RekeyError {
    fn exit(&self) -> u8 {
        match self {
            RekeyError::Kdf(e) => e.exit(),
            RekeyError::Seal(_) => exit::FAILURE,
        }
    }
}

impl Exit for CodeError {
    fn exit(&self) -> u8 {
        match self {
            CodeError::Entry(e) => e.exit(),
            CodeError::Save(e) => e.exit(),
            CodeError::Withheld(_) => exit::NOT_THE_SITE,
            CodeError::Clock(e) => e.exit(),
        }
    }
}

impl Exit for StoreError {
    fn exit(&self) -> u8 {
        match self {
            StoreError::Missing(_) => exit::NO_VAULT,
            StoreError::Exists(_) => exit::EXISTS,
            StoreError::TooLarge(_) | StoreError::NotAFile { .. } => exit::DAMAGED,
            StoreError::NoFolder(_) => exit::USAGE,
            StoreError::Busy(_) => exit::BUSY,
            StoreError::Io { .. } => exit::FAILURE,
        }
    }
}

impl Exit for KdfError {
    fn exit(&self) -> u8 {
        match self {
            KdfError::OutOfMemory(_) => exit::FAILURE,
            KdfError::TooCostly { .. } | KdfError::OutOfBounds(_) | KdfError::TooSlow { .. } => {
                exit::USAGE
            }
        }
    }
}

impl Exit for EntryError {
    fn exit(&self) -> u8 {
        match self {
            EntryError::NoMatch(_) => exit::NO_MATCH,
            EntryError::Ambiguous { .. } => exit::AMBIGUOUS,
            EntryError::NameExists(_)
            | EntryError::LookAlike { .. }
            | EntryError::SameSecret(_) => exit::EXISTS,
            EntryError::Name(_) | EntryError::Site(_) => exit::USAGE,
            EntryError::Params(e) => e.exit(),
        }
    }
}

impl Exit for KeyError {
    fn exit(&self) -> u8 {
        match self {
            KeyError::Empty
            | KeyError::InvalidCharacter { .. }
            | KeyError::TooShort
            | KeyError::ImpossibleLength(_) => exit::USAGE,
        }
    }
}

impl Exit for UriError {
    fn exit(&self) -> u8 {
        match self {
            UriError::Secret(e) => e.exit(),
            UriError::NotOtpauth
            | UriError::UnknownType(_)
            | UriError::MissingSecret
            | UriError::Label
            | UriError::Parameter { .. }
            | UriError::MissingCounter => exit::USAGE,
        }
    }
}

impl Exit for PasteError {
    fn exit(&self) -> u8 {
        match self {
            PasteError::Key(e) => e.exit(),
            PasteError::Uri(e) => e.exit(),
        }
    }
}

impl Exit for ParamError {
    fn exit(&self) -> u8 {
        match self {
            ParamError::Digits(_)
            | ParamError::PeriodZero
            | ParamError::Algorithm
            | ParamError::SteamDigits(_)
            | ParamError::CounterExhausted => exit::USAGE,
        }
    }
}

impl Exit for ImportError {
    fn exit(&self) -> u8 {
        match self {
            ImportError::Format(e) => e.exit(),
            ImportError::Uri { source, .. } => source.exit(),
            ImportError::Migration { source, .. } => source.exit(),
            ImportError::Qr(e) => e.exit(),
            ImportError::Empty
            | ImportError::NotAnExport
            | ImportError::NotAUri { .. }
            | ImportError::WrongFormat(_)
            | ImportError::SeveralAccounts(_) => exit::USAGE,
        }
    }
}

impl Exit for QrError {
    fn exit(&self) -> u8 {
        match self {
            QrError::NotAnImage
            | QrError::BadImage(_)
            | QrError::TooLarge(_)
            | QrError::NotFound
            | QrError::TooLong(_) => exit::USAGE,
        }
    }
}

impl Exit for FormatError {
    fn exit(&self) -> u8 {
        match self {
            FormatError::WrongPassword => exit::WRONG_PASSPHRASE,
            FormatError::Invalid(_)
            | FormatError::Unsupported(_)
            | FormatError::KdfOutOfBounds(_)
            | FormatError::Argon2(_) => exit::USAGE,
        }
    }
}

impl Exit for ExportError {
    fn exit(&self) -> u8 {
        match self {
            ExportError::Nothing => exit::USAGE,
            ExportError::Format(e) => e.exit(),
            // Not the user's doing: the data does not fit a QR code.
            ExportError::Qr(e) => match e {
                QrError::TooLong(_)
                | QrError::BadImage(_)
                | QrError::NotAnImage
                | QrError::TooLarge(_)
                | QrError::NotFound => exit::FAILURE,
            },
        }
    }
}

impl Exit for RecoveryKeyError {
    fn exit(&self) -> u8 {
        match self {
            RecoveryKeyError::Empty
            | RecoveryKeyError::Length(_)
            | RecoveryKeyError::NotBase32 { .. }
            | RecoveryKeyError::Typo(_)
            | RecoveryKeyError::Swapped(_)
            | RecoveryKeyError::Garbled => exit::USAGE,
        }
    }
}

impl Exit for AgentError {
    fn exit(&self) -> u8 {
        match self {
            AgentError::FolderOwner { .. }
            | AgentError::FolderMode { .. }
            | AgentError::NotAFolder(_)
            | AgentError::Io { .. }
            | AgentError::Protocol => exit::FAILURE,
        }
    }
}

impl Exit for ClockError {
    fn exit(&self) -> u8 {
        match self {
            ClockError::BeforeEpoch => exit::FAILURE,
        }
    }
}

impl Exit for InputError {
    fn exit(&self) -> u8 {
        match self {
            InputError::NoTerminal(_)
            | InputError::ExportCancelled
            | InputError::Read { .. }
            | InputError::TooLong { .. }
            | InputError::NotText(_)
            | InputError::PassphraseFile { .. }
            | InputError::PassphraseCommandSpawn(_)
            | InputError::PassphraseCommandFailed(_)
            | InputError::PassphraseCommandEmpty
            | InputError::PassphraseCommandTimeout(_)
            | InputError::EmptyVariable(_)
            | InputError::EmptyPassphrase
            | InputError::Mismatch
            | InputError::NoHome
            | InputError::NothingToMerge
            | InputError::NoSuchCommand(_) => exit::USAGE,
            InputError::HelperStart { .. } | InputError::WriteFile { .. } => exit::FAILURE,
        }
    }
}

impl Exit for ClipboardError {
    fn exit(&self) -> u8 {
        match self {
            ClipboardError::Unavailable | ClipboardError::System(_) => exit::FAILURE,
        }
    }
}

impl Exit for ConfigError {
    fn exit(&self) -> u8 {
        match self {
            ConfigError::Read { .. } => exit::FAILURE,
            ConfigError::TooLarge(_)
            | ConfigError::Writable(_)
            | ConfigError::Owner(_)
            | ConfigError::Syntax { .. }
            | ConfigError::UnknownKey { .. }
            | ConfigError::UnsetVariable { .. }
            | ConfigError::BadValue { .. } => exit::USAGE,
        }
    }
}

impl Exit for TimeError {
    fn exit(&self) -> u8 {
        match self {
            TimeError::NoAnswer { .. }
            | TimeError::Unreachable { .. }
            | TimeError::BadReply { .. } => exit::FAILURE,
            TimeError::Off { .. } => exit::CLOCK_OFF,
        }
    }
}
