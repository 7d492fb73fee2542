//! The terminal side of `otp`: one function a command, plus how failures
//! become one-line messages and exit codes. Only this module prints.

/// Prints a line on stdout, the output that scripts read. A write that fails
/// (a full disk, a closed pipe) becomes a [`Failure`] to report, not a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_line(&mut std::io::stdout().lock(), format_args!($($arg)*))
            .map_err($crate::cli::Failure::Output)
    };
}

/// Prints a line of progress or a warning on stderr. Diagnostics that cannot
/// be written are dropped: there is nowhere left to report them.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = $crate::cli::write_line(&mut std::io::stderr().lock(), format_args!($($arg)*));
    }};
}

pub mod commands;
pub mod passphrase;
pub mod transfer;

use std::fmt;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use otpvault::formats::FormatError;
use otpvault::import::ImportError;
use otpvault::key::KeyError;
use otpvault::otp::ParamError;
use otpvault::uri::UriError;
use otpvault::vault::crypto::KdfError;
use otpvault::{EntryError, VaultError};
use thiserror::Error;

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
    Vault(#[from] VaultError),
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
    /// Bad or missing input that clap could not see: a passphrase, a time.
    #[error("{0}")]
    Input(String),
    #[error("cannot write the output ({0}): check where it is sent")]
    Output(io::Error),
}

/// Everything `input` holds, refused if over `max` bytes: a cut-off input
/// would be worse than none (a key truncated at the limit is still a key).
/// `what` names the input in the messages.
pub fn read_at_most(
    input: impl io::Read,
    max: u64,
    what: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    // Room up front for a key or a typical export, so that no unwiped
    // copy is left behind by the buffer growing.
    let room = usize::try_from((max + 1).min(64 * 1024)).unwrap_or(0);
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(room));
    input
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Input(format!("cannot read {what}: {e}")))?;
    if bytes.len() as u64 > max {
        return Err(Failure::Input(format!(
            "{what} is over {} KiB, larger than any this command reads: check what it is",
            max / 1024
        )));
    }
    Ok(bytes)
}

/// Writes `args` and a newline to `out`.
pub fn write_line(out: &mut impl Write, args: fmt::Arguments) -> io::Result<()> {
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Vault(e) => match e {
                VaultError::WrongPassphrase(_) => exit::WRONG_PASSPHRASE,
                VaultError::Unreadable { .. } | VaultError::TooLarge(_) => exit::DAMAGED,
                VaultError::Busy(_) | VaultError::Changed(_) => exit::BUSY,
                VaultError::NotFound(_) => exit::NO_VAULT,
                VaultError::AlreadyExists(_) => exit::EXISTS,
                VaultError::Kdf(KdfError::OutOfMemory(_)) => exit::FAILURE,
                VaultError::Kdf(_) | VaultError::BackupOverVault => exit::USAGE,
                _ => exit::FAILURE,
            },
            Failure::Entry(e) => match e {
                EntryError::NoMatch(_) => exit::NO_MATCH,
                EntryError::Ambiguous { .. } => exit::AMBIGUOUS,
                EntryError::NameExists(_) => exit::EXISTS,
                EntryError::EmptyName | EntryError::Params(_) => exit::USAGE,
            },
            Failure::Import(ImportError::Format(FormatError::WrongPassword)) => {
                exit::WRONG_PASSPHRASE
            }
            Failure::Key(_)
            | Failure::Uri(_)
            | Failure::Params(_)
            | Failure::Import(_)
            | Failure::Input(_) => exit::USAGE,
            Failure::Output(_) => exit::FAILURE,
        }
    }
}

/// Prints a failure as one line on stderr and turns it into the exit code.
pub fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // A reader that stopped reading (`otp list | head -1`) wanted
            // no more output, and no message either.
            if !matches!(&failure, Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe) {
                note!("otp: {failure}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Keeps secrets out of core dumps: no core file, and (on Linux) not
/// dumpable, which also stops other processes of the same user from
/// attaching a debugger to read the unlocked vault.
pub fn harden_process() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on process attributes; they touch no Rust
    // memory. Failure leaves the defaults, which is no worse than not trying.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// A warning on stderr, kept apart from the output scripts read.
pub fn warn(message: &str) {
    note!("otp: warning: {message}");
}
