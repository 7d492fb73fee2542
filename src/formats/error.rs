//! Why an export file could not be read or written.

use crate::error::{ErrorKind, Kinded};

use std::fmt;

use thiserror::Error;

use crate::crypto::kdf::{ForeignKdfError, KdfError};
use crate::otp::ParamError;
use crate::terminal::Quoted;
use crate::uri::UriError;

/// Why an export file could not be read or written. Nothing in a message
/// quotes a field's value: any field of an export may hold a secret.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    /// A part of the file is not what its format says.
    #[error(
        "the {app} file's {part} {problem}: the file is damaged or not a whole {app} export; export it again"
    )]
    Malformed {
        app: &'static str,
        part: &'static str,
        problem: Problem,
    },
    /// One account of the file cannot be imported: the whole file is
    /// refused, so that an import is all or nothing.
    #[error(transparent)]
    Account(Box<BadAccount>),
    /// Something in the file otp does not read.
    #[error("the {app} file {what}, which otp does not read; nothing was imported")]
    Unsupported { app: &'static str, what: Unread },
    #[error(
        "wrong password for the encrypted export: try again (it is the password set in the other app when exporting)"
    )]
    WrongPassword,
    #[error(
        "the export's key-derivation parameters are out of bounds ({0}), so the file is damaged or hostile"
    )]
    KdfOutOfBounds(#[from] ForeignKdfError),
    #[error("cannot derive the export's key: {0}")]
    Argon2(KdfError),
    #[error("line {line}: {source}")]
    UriLine { line: usize, source: UriError },
    #[error("line {line}: {source}")]
    MigrationLine {
        line: usize,
        source: Box<FormatError>,
    },
    #[error("line {line} is not an otpauth:// or otpauth-migration:// URI")]
    NotAUri { line: usize },
    #[error(
        "line {line} is a URI of the other kind (otpauth:// and Google's otpauth-migration://): use --format auto to read both"
    )]
    MixedLines { line: usize },
    #[error(transparent)]
    Feature(#[from] crate::error::NotBuilt),
    /// Serialising or sealing an export failed: a bug, not the input.
    #[error("otp could not write the {0} file: this is a bug in otp; please report it")]
    WriteFailed(&'static str),
}

/// An account of a file that cannot be imported, and why.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error(
    "{who} in the {app} file {problem}; nothing was imported: fix or remove that account in {app}, then export again"
)]
pub struct BadAccount {
    pub app: &'static str,
    pub who: Who,
    pub problem: AccountProblem,
}

/// What is wrong with a part of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Missing,
    NotJson,
    NotBase64,
    NotHex,
    CutShort,
    /// Not the structure the format gives it.
    NotValid,
    /// A database table that cannot be read.
    Unreadable,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Missing => "is missing",
            Problem::NotJson => "is not JSON",
            Problem::NotBase64 => "is not base64",
            Problem::NotHex => "is not hex",
            Problem::CutShort => "is cut short",
            Problem::NotValid => "is not valid",
            Problem::Unreadable => "cannot be read",
        })
    }
}

/// An account of a file, by its issuer and name (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub issuer: String,
    pub name: String,
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.issuer.is_empty(), self.name.is_empty()) {
            (false, false) => write!(f, "{} ({})", Quoted(&self.issuer), Quoted(&self.name)),
            (false, true) => write!(f, "{}", Quoted(&self.issuer)),
            (true, false) => write!(f, "{}", Quoted(&self.name)),
            (true, true) => f.write_str("an account without a name"),
        }
    }
}

/// What is wrong with one account of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountProblem {
    /// The secret is not in the encoding the format gives it.
    Secret(Encoding),
    /// A kind of code otp does not make (mOTP, Yandex, push).
    Kind,
    /// An algorithm otp does not use (MD5).
    Algorithm,
    /// A number of digits no code has.
    Digits,
    /// A period longer than any code has.
    Period,
    /// An HOTP counter below zero.
    NegativeCounter,
    /// An HOTP account without its counter.
    NoCounter,
    /// Parameters out of range.
    Params(ParamError),
    /// Its otpauth URI does not read.
    Uri(UriError),
    /// Its secret is sealed under a key the file does not hold.
    SealedSecret,
    /// Its secret is empty.
    EmptySecret,
    /// A secret for both TOTP and HOTP.
    TwoSecrets,
    /// A column that holds a number holds something else.
    NotANumber,
    /// The phone encrypted its secret (newer Microsoft Authenticator).
    EncryptedByPhone,
}

/// The encodings formats keep secrets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Base32,
    Base64,
    Hex,
    Bytes,
}

impl fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountProblem::Secret(encoding) => write!(
                f,
                "has a secret that is not {}",
                match encoding {
                    Encoding::Base32 => "base32",
                    Encoding::Base64 => "base64",
                    Encoding::Hex => "hex",
                    Encoding::Bytes => "a byte array",
                }
            ),
            AccountProblem::Kind => f.write_str("is of a kind otp does not make (not TOTP, HOTP or Steam)"),
            AccountProblem::Algorithm => f.write_str("uses an algorithm otp does not (not SHA1, SHA256 or SHA512)"),
            AccountProblem::Digits => f.write_str("has a number of digits no code has"),
            AccountProblem::Period => f.write_str("has a period longer than any code has"),
            AccountProblem::NegativeCounter => f.write_str("has a negative counter"),
            AccountProblem::NoCounter => f.write_str("is counter-based (HOTP) but has no counter"),
            AccountProblem::Params(e) => write!(f, "has parameters out of range ({e})"),
            AccountProblem::Uri(e) => write!(f, "has a URI that does not read ({e})"),
            AccountProblem::SealedSecret => f.write_str(
                "has a secret that does not open with the backup's master key (FreeOTP writes such backups after a restore)",
            ),
            AccountProblem::EmptySecret => f.write_str("has an empty secret"),
            AccountProblem::TwoSecrets => f.write_str("has both a TOTP and an HOTP secret"),
            AccountProblem::NotANumber => f.write_str("has a number column that is not a number"),
            AccountProblem::EncryptedByPhone => f.write_str(
                "has its secret missing or encrypted by the phone (newer app versions): add it again from the site",
            ),
        }
    }
}

/// A feature of a file otp does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// A version of the format newer than otp knows.
    Version(u64),
    /// An encrypted file without a password slot (keys in hardware).
    NoPasswordSlot,
    /// A secret protected by something other than the app's usual mask.
    OtherProtection,
    /// A key derivation the app never used.
    OtherKdf,
    /// An export encrypted by the app's account, not a password.
    AccountEncrypted,
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::Version(v) => write!(f, "is of version {v}"),
            Unread::NoPasswordSlot => f.write_str("has no password slot (its key is in hardware)"),
            Unread::OtherProtection => {
                f.write_str("protects its secret other than with the app's mask")
            }
            Unread::OtherKdf => f.write_str("derives its key in a way the app never did"),
            Unread::AccountEncrypted => f.write_str(
                "is encrypted with the account's key (export again as unencrypted .json or .csv)",
            ),
        }
    }
}

impl Kinded for FormatError {
    fn kind(&self) -> ErrorKind {
        match self {
            FormatError::WrongPassword => ErrorKind::WrongSecret,
            FormatError::Malformed { .. }
            | FormatError::Account(_)
            | FormatError::Unsupported { .. }
            | FormatError::KdfOutOfBounds(_)
            | FormatError::Argon2(_)
            | FormatError::UriLine { .. }
            | FormatError::NotAUri { .. }
            | FormatError::MixedLines { .. }
            | FormatError::Feature(_) => ErrorKind::Usage,
            FormatError::MigrationLine { source, .. } => source.kind(),
            FormatError::WriteFailed(_) => ErrorKind::Internal,
        }
    }
}
