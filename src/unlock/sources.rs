//! Where passphrases come from: a file, a command, the environment, or a
//! person asked without echo, in that order (the product's contract), and
//! never argv, where every local user could read it in `ps`. Every source
//! is bounded ([`MAX_PASSPHRASE`]); a command ([`super::command`]) is timed and killed with
//! everything it started.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use thiserror::Error;
use zeroize::Zeroizing;

use crate::error::{ErrorKind, Kinded};
use crate::secret::Passphrase;

/// The longest passphrase read from any source, after one trailing
/// newline is dropped: longer is refused, not cut.
pub const MAX_PASSPHRASE: u64 = 64 * 1024;

/// How many times a new passphrase may be typed twice before giving up: a
/// slip of the finger must not cost the key pasted a moment ago.
pub const ATTEMPTS: u32 = 3;

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

/// What asks a person: the front end's prompt. The library decides what
/// is asked and when; the front end only shows and reads.
pub trait Ask {
    /// A secret typed without echo after `prompt`;
    /// [`PassphraseError::NoTerminal`] when no one can be asked.
    fn hidden(&mut self, prompt: &str, need: Need) -> Result<Passphrase, PassphraseError>;
    /// A line for the person (a retry, say).
    fn tell(&mut self, line: &str);
}

/// The passphrase sources given by flag, environment or config file.
#[derive(Debug, Clone)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub command: Option<String>,
    /// How long the passphrase command may run before it is killed.
    pub command_timeout: Duration,
}

impl Sources {
    /// The sources given: a passphrase file by flag or environment, a
    /// command by flag or environment, and the config file's command. A
    /// passphrase given by flag or environment in any form (a file, or
    /// OTP_PASSPHRASE) comes before the config file's command, as a flag
    /// or variable comes before the file for every setting.
    pub fn given(
        file: Option<PathBuf>,
        command: Option<String>,
        config_command: Option<String>,
    ) -> Sources {
        let given_elsewhere = file.is_some() || Self::env_passphrase().is_some();
        Sources {
            command: command.or(config_command.filter(|_| !given_elsewhere)),
            file,
            command_timeout: crate::config::DEFAULT_PASSPHRASE_COMMAND_TIMEOUT,
        }
    }

    fn env_passphrase() -> Option<OsString> {
        std::env::var_os("OTP_PASSPHRASE").filter(|v| !v.is_empty())
    }

    /// True if a passphrase can be had without asking.
    pub fn any(&self) -> bool {
        self.file.is_some() || self.command.is_some() || Self::env_passphrase().is_some()
    }

    /// The passphrase of an existing vault: the first source that is set,
    /// else asked with `prompt`.
    pub fn current(&self, ask: &mut dyn Ask, prompt: &str) -> Result<Passphrase, PassphraseError> {
        if let Some(path) = &self.file {
            // A FIFO is fine here (`--passphrase-file <(pass show otp)`).
            let file = std::fs::File::open(path).map_err(|source| PassphraseError::File {
                path: path.clone(),
                source,
            })?;
            let what = format!("the passphrase file {}", crate::terminal::ShownPath(path));
            return bounded(
                without_newline(read_at_most(file, MAX_PASSPHRASE + 2, &what)?),
                &what,
            );
        }
        if let Some(command) = &self.command {
            return super::command::run(command, self.command_timeout);
        }
        if let Some(value) = Self::env_passphrase() {
            return variable("OTP_PASSPHRASE", value);
        }
        ask_bounded(ask, prompt, Need::Passphrase)
    }

    /// True if [`Sources::new_passphrase`] would ask a person.
    pub fn new_is_asked(&self, reuse_current: bool) -> bool {
        std::env::var_os("OTP_NEW_PASSPHRASE").is_none() && !(reuse_current && self.any())
    }

    /// A new passphrase: `OTP_NEW_PASSPHRASE`, else (when `reuse_current`,
    /// for a vault being made) the current sources, else typed twice.
    pub fn new_passphrase(
        &self,
        ask: &mut dyn Ask,
        reuse_current: bool,
    ) -> Result<Passphrase, PassphraseError> {
        if let Some(value) = std::env::var_os("OTP_NEW_PASSPHRASE") {
            return nonempty(variable("OTP_NEW_PASSPHRASE", value)?);
        }
        if reuse_current && self.any() {
            return nonempty(self.current(ask, "")?);
        }
        twice(
            ask,
            "New passphrase: ",
            "Repeat the new passphrase: ",
            Need::Passphrase,
        )
    }
}

/// A password for another app's file: the environment variable `var`,
/// else asked (twice when `confirm`, as for a file being written).
pub fn other_password(
    ask: &mut dyn Ask,
    var: &'static str,
    prompt: &str,
    confirm: bool,
) -> Result<Passphrase, PassphraseError> {
    if let Some(value) = std::env::var_os(var) {
        if value.is_empty() {
            return Err(PassphraseError::EmptyVariable(var));
        }
        return variable(var, value);
    }
    let need = Need::Password { var };
    if confirm {
        twice(ask, prompt, "Repeat it: ", need)
    } else {
        ask_bounded(ask, prompt, need)
    }
}

/// Asked once, and bounded like every source.
fn ask_bounded(ask: &mut dyn Ask, prompt: &str, need: Need) -> Result<Passphrase, PassphraseError> {
    bounded(ask.hidden(prompt, need)?, "what was typed")
}

/// Typed twice, the same both times, up to [`ATTEMPTS`] times.
fn twice(
    ask: &mut dyn Ask,
    first: &str,
    second: &str,
    need: Need,
) -> Result<Passphrase, PassphraseError> {
    for attempt in 1..=ATTEMPTS {
        let typed = ask_bounded(ask, first, need)?;
        let problem = if typed.is_empty() {
            PassphraseError::Empty
        } else if typed != ask_bounded(ask, second, need)? {
            PassphraseError::Mismatch
        } else {
            return Ok(typed);
        };
        if attempt == ATTEMPTS {
            return Err(problem);
        }
        let what = match problem {
            PassphraseError::Mismatch => "the two did not match",
            _ => "it was empty",
        };
        ask.tell(&format!(
            "{what}; try again ({} of {ATTEMPTS})",
            attempt + 1
        ));
    }
    Err(PassphraseError::Mismatch)
}

fn nonempty(p: Passphrase) -> Result<Passphrase, PassphraseError> {
    if p.is_empty() {
        Err(PassphraseError::Empty)
    } else {
        Ok(p)
    }
}

/// One bound for every source, applied after the newline is dropped.
pub(super) fn bounded(p: Passphrase, what: &str) -> Result<Passphrase, PassphraseError> {
    if p.expose().len() as u64 > MAX_PASSPHRASE {
        return Err(PassphraseError::TooLong {
            what: what.to_string(),
            kib: MAX_PASSPHRASE / 1024,
        });
    }
    Ok(p)
}

/// A passphrase from the environment variable `var`.
fn variable(var: &'static str, value: OsString) -> Result<Passphrase, PassphraseError> {
    let bytes = Zeroizing::new(value.into_encoded_bytes());
    bounded(Passphrase::new(bytes.to_vec()), var)
}

/// Everything `input` holds, refused if over `max` bytes: a cut-off
/// passphrase would be worse than none.
pub(super) fn read_at_most(
    input: impl Read,
    max: u64,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, PassphraseError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
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
pub(super) fn without_newline(mut bytes: Zeroizing<Vec<u8>>) -> Passphrase {
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
