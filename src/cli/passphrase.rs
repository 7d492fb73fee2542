//! Where passphrases come from: a file, a command, the environment, or a
//! no-echo prompt on the terminal, in that order. Never from argv, where
//! every local user could read it in `ps`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use otpvault::Passphrase;

use super::input::{InputError, Need, prompt_hidden};

/// The passphrase sources given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub command: Option<String>,
}

impl Sources {
    fn env_passphrase() -> Option<OsString> {
        std::env::var_os("OTP_PASSPHRASE").filter(|v| !v.is_empty())
    }

    /// True if a passphrase can be had without a terminal.
    pub fn any(&self) -> bool {
        self.file.is_some() || self.command.is_some() || Self::env_passphrase().is_some()
    }

    /// The passphrase of an existing vault: the first source that is set,
    /// else the terminal.
    pub fn current(&self, prompt: &str) -> Result<Passphrase, InputError> {
        if let Some(path) = &self.file {
            let bytes = std::fs::read(path).map_err(|source| InputError::PassphraseFile {
                path: path.clone(),
                source,
            })?;
            return Ok(without_newline(bytes));
        }
        if let Some(command) = &self.command {
            return run_command(command);
        }
        if let Some(value) = Self::env_passphrase() {
            return Ok(Passphrase::new(value.into_encoded_bytes()));
        }
        prompt_hidden(prompt, Need::Passphrase)
    }

    /// A new passphrase: `OTP_NEW_PASSPHRASE`, else (when `reuse_current`)
    /// the current sources, else typed twice on the terminal.
    pub fn new_passphrase(&self, reuse_current: bool) -> Result<Passphrase, InputError> {
        if let Some(value) = std::env::var_os("OTP_NEW_PASSPHRASE") {
            return nonempty(Passphrase::new(value.into_encoded_bytes()));
        }
        if reuse_current && self.any() {
            return nonempty(self.current("")?);
        }
        prompt_twice(
            "New passphrase: ",
            "Repeat the new passphrase: ",
            Need::Passphrase,
        )
    }
}

/// A password for another app's file: the environment variable `var`, else
/// the terminal (typed twice when `confirm`, as for a file being written).
pub fn other_password(
    var: &'static str,
    prompt: &str,
    confirm: bool,
) -> Result<Passphrase, InputError> {
    if let Some(value) = std::env::var_os(var) {
        if value.is_empty() {
            return Err(InputError::EmptyVariable(var));
        }
        return Ok(Passphrase::new(value.into_encoded_bytes()));
    }
    let need = Need::Password { var };
    if confirm {
        prompt_twice(prompt, "Repeat it: ", need)
    } else {
        prompt_hidden(prompt, need)
    }
}

fn prompt_twice(first: &str, second: &str, need: Need) -> Result<Passphrase, InputError> {
    let typed = nonempty(prompt_hidden(first, need)?)?;
    if typed != prompt_hidden(second, need)? {
        return Err(InputError::Mismatch);
    }
    Ok(typed)
}

fn nonempty(p: Passphrase) -> Result<Passphrase, InputError> {
    if p.is_empty() {
        Err(InputError::EmptyPassphrase)
    } else {
        Ok(p)
    }
}

/// Drops one trailing newline (`\n` or `\r\n`), as editors and `echo` add it.
fn without_newline(mut bytes: Vec<u8>) -> Passphrase {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    Passphrase::new(bytes)
}

/// Runs `command` with `sh -c` and takes its standard output.
fn run_command(command: &str) -> Result<Passphrase, InputError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(InputError::PassphraseCommandSpawn)?;
    let passphrase = without_newline(output.stdout);
    if !output.status.success() {
        return Err(InputError::PassphraseCommandFailed(output.status));
    }
    Ok(passphrase)
}
