//! Where passphrases come from: a file, a command, the environment, or a
//! person asked without echo, in that order (the product's contract), and
//! never argv, where every local user could read it in `ps`. Every source
//! is bounded ([`MAX_PASSPHRASE`]); a command ([`super::command`]) is timed and killed with
//! everything it started.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::secret::Passphrase;

pub use super::input::{MAX_PASSPHRASE, Need, PassphraseError, without_secrets};
use super::input::{bounded, read_at_most, without_newline};

/// How many times a new passphrase may be typed twice before giving up: a
/// slip of the finger must not cost the key pasted a moment ago.
pub const ATTEMPTS: u32 = 3;

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
    /// The program that runs the command as its warden (otp's own binary,
    /// `passphrase-warden`), so that a SIGKILL of otp ends it too; none:
    /// `sh` runs it directly.
    pub warden: Option<PathBuf>,
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
            warden: None,
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
            return super::command::run(command, self.command_timeout, self.warden.as_deref());
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

/// A passphrase from the environment variable `var`.
fn variable(var: &'static str, value: OsString) -> Result<Passphrase, PassphraseError> {
    let bytes = Zeroizing::new(value.into_encoded_bytes());
    bounded(Passphrase::new(bytes.to_vec()), var)
}
