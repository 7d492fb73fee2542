//! What every passphrase source shares: the one bound on a passphrase,
//! the newline it may end with, what was being asked for, why none was
//! had, and the variables no child of otp may see.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

use thiserror::Error;
use zeroize::Zeroizing;

use crate::error::{ErrorKind, Kinded};
use crate::secret::Passphrase;

/// The longest passphrase read from any source, after one trailing
/// newline is dropped: longer is refused, not cut.
pub const MAX_PASSPHRASE: u64 = 64 * 1024;

/// What was being asked for when there was no terminal to ask on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The vault's passphrase (or a new one).
    Passphrase,
    /// Another app's file's password, which `var` can give instead.
    Password { var: &'static str },
    /// A setup key.
    Key,
    /// The paper recovery key.
    RecoveryKey,
    /// A screen for `otp watch`.
    View,
}

impl std::fmt::Display for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Need::Passphrase => f.write_str("no passphrase: there is no terminal to ask on; set OTP_PASSPHRASE_FILE, OTP_PASSPHRASE_COMMAND or OTP_PASSPHRASE (and OTP_NEW_PASSPHRASE for a new vault)"),
            Need::Password { var } => write!(f, "no password: there is no terminal to ask on; set {var}"),
            Need::Key => f.write_str("no setup key: there is no terminal to ask on; pipe the key on standard input"),
            Need::View => f.write_str("`otp watch` needs a terminal: in a script, use `otp code`"),
            Need::RecoveryKey => f.write_str("no recovery key: there is no terminal to ask on; set OTP_RECOVERY_KEY or give it as one line on standard input"),
        }
    }
}

/// Why no passphrase could be had.
#[derive(Debug, Error)]
pub enum PassphraseError {
    #[error("{0}")]
    NoTerminal(Need),
    #[error("cannot read the passphrase file {shown_path}: {source}; check --passphrase-file or OTP_PASSPHRASE_FILE", shown_path = crate::terminal::ShownPath(.path))]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run the passphrase command: {0}")]
    CommandSpawn(std::io::Error),
    #[error(
        "the passphrase command failed ({0}): check --passphrase-command or OTP_PASSPHRASE_COMMAND"
    )]
    CommandFailed(ExitStatus),
    #[error(
        "the passphrase command printed nothing: check --passphrase-command or OTP_PASSPHRASE_COMMAND"
    )]
    CommandEmpty,
    #[error(
        "the passphrase command did not finish within {0} s and was stopped: check it, or set OTP_PASSPHRASE_COMMAND_TIMEOUT"
    )]
    CommandTimeout(u64),
    #[error("otp was stopped by {0} while the passphrase command ran; the command was stopped too")]
    CommandInterrupted(&'static str),
    #[error("{0} is empty: set it to the password, or unset it to be asked")]
    EmptyVariable(&'static str),
    #[error("the passphrase is empty: choose a passphrase (a few random words is good)")]
    Empty,
    #[error("the two passphrases differ: run the command again and type the same passphrase twice")]
    Mismatch,
    #[error("{what} is over {kib} KiB, larger than any passphrase: check what it is")]
    TooLong { what: String, kib: u64 },
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        source: std::io::Error,
    },
}

impl Kinded for PassphraseError {
    fn kind(&self) -> ErrorKind {
        match self {
            PassphraseError::NoTerminal(_)
            | PassphraseError::File { .. }
            | PassphraseError::CommandSpawn(_)
            | PassphraseError::CommandFailed(_)
            | PassphraseError::CommandEmpty
            | PassphraseError::CommandTimeout(_)
            | PassphraseError::EmptyVariable(_)
            | PassphraseError::Empty
            | PassphraseError::Mismatch
            | PassphraseError::TooLong { .. } => ErrorKind::Usage,
            PassphraseError::Read { .. } | PassphraseError::CommandInterrupted(_) => {
                ErrorKind::Environment
            }
        }
    }
}

/// One bound for every source, applied after the newline is dropped.
pub fn bounded(p: Passphrase, what: &str) -> Result<Passphrase, PassphraseError> {
    if p.expose().len() as u64 > MAX_PASSPHRASE {
        return Err(PassphraseError::TooLong {
            what: what.to_string(),
            kib: MAX_PASSPHRASE / 1024,
        });
    }
    Ok(p)
}

/// Everything `input` holds, refused if over `max` bytes: a cut-off
/// passphrase would be worse than none.
pub fn read_at_most(
    input: impl Read,
    max: u64,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, PassphraseError> {
    // Room for all of it up front: a buffer that grows leaves unwiped
    // copies of what it held behind.
    let room = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
    let mut bytes = Zeroizing::new(Vec::with_capacity(room));
    input
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| PassphraseError::Read {
            what: what.to_string(),
            source,
        })?;
    if bytes.len() as u64 > max {
        return Err(PassphraseError::TooLong {
            what: what.to_string(),
            kib: MAX_PASSPHRASE / 1024,
        });
    }
    Ok(bytes)
}

/// Drops one trailing newline (`\n` or `\r\n`), as editors and `echo` add it.
pub fn without_newline(mut bytes: Zeroizing<Vec<u8>>) -> Passphrase {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Passphrase::new(std::mem::take(&mut *bytes))
}

/// Variables no child of otp may see (a passphrase command, the agent, the
/// clipboard holder): every passphrase otp may hold in its own
/// environment. None of them needs one, and a child's environment is
/// readable in /proc by the same user for as long as it runs.
fn is_secret_variable(name: &OsString) -> bool {
    let name = name.to_string_lossy();
    name.starts_with("OTP_") && (name.contains("PASSPHRASE") || name.contains("RECOVERY_KEY"))
}

/// Removes from `cmd`'s environment every variable [`is_secret_variable`]
/// names.
pub fn without_secrets(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if is_secret_variable(&name) {
            cmd.env_remove(name);
        }
    }
    cmd
}
