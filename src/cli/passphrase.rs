//! Where passphrases come from: a file, a command, the environment, or a
//! no-echo prompt on the terminal, in that order. Never from argv, where
//! every local user could read it in `ps`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use otpvault::Passphrase;

use super::Failure;

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
    pub fn current(&self, prompt: &str) -> Result<Passphrase, Failure> {
        if let Some(path) = &self.file {
            let bytes = std::fs::read(path).map_err(|e| {
                Failure::Input(format!(
                    "cannot read the passphrase file {}: {e}; check --passphrase-file or OTP_PASSPHRASE_FILE",
                    path.display()
                ))
            })?;
            return Ok(without_newline(bytes));
        }
        if let Some(command) = &self.command {
            return run_command(command);
        }
        if let Some(value) = Self::env_passphrase() {
            return Ok(Passphrase::new(value.into_encoded_bytes()));
        }
        prompt_terminal(prompt)
    }

    /// A new passphrase: `OTP_NEW_PASSPHRASE`, else (when `reuse_current`)
    /// the current sources, else typed twice on the terminal.
    pub fn new_passphrase(&self, reuse_current: bool) -> Result<Passphrase, Failure> {
        if let Some(value) = std::env::var_os("OTP_NEW_PASSPHRASE") {
            return nonempty(Passphrase::new(value.into_encoded_bytes()));
        }
        if reuse_current && self.any() {
            return nonempty(self.current("")?);
        }
        prompt_twice("New passphrase: ", "Repeat the new passphrase: ")
    }
}

/// A password for another app's file: the environment variable `var`, else
/// the terminal (typed twice when `confirm`, as for a file being written).
pub fn other_password(var: &str, prompt: &str, confirm: bool) -> Result<Passphrase, Failure> {
    if let Some(value) = std::env::var_os(var) {
        if value.is_empty() {
            return Err(Failure::Input(format!(
                "{var} is empty: set it to the password, or unset it to be asked"
            )));
        }
        return Ok(Passphrase::new(value.into_encoded_bytes()));
    }
    let typed = if confirm {
        prompt_twice(prompt, "Repeat it: ")
    } else {
        prompt_terminal(prompt)
    };
    typed.map_err(|e| match e {
        Failure::Input(m) if m.starts_with("no passphrase") => Failure::Input(format!(
            "no password: there is no terminal to ask on; set {var}"
        )),
        other => other,
    })
}

fn prompt_twice(first_prompt: &str, second_prompt: &str) -> Result<Passphrase, Failure> {
    let first = nonempty(prompt_terminal(first_prompt)?)?;
    let second = prompt_terminal(second_prompt)?;
    if first != second {
        return Err(Failure::Input(
            "the two passphrases differ: run the command again and type the same passphrase twice"
                .into(),
        ));
    }
    Ok(first)
}

fn nonempty(p: Passphrase) -> Result<Passphrase, Failure> {
    if p.is_empty() {
        Err(Failure::Input(
            "the passphrase is empty: choose a passphrase (a few random words is good)".into(),
        ))
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
fn run_command(command: &str) -> Result<Passphrase, Failure> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Failure::Input(format!("cannot run the passphrase command: {e}")))?;
    let passphrase = without_newline(output.stdout);
    if !output.status.success() {
        return Err(Failure::Input(format!(
            "the passphrase command failed ({}): check --passphrase-command or OTP_PASSPHRASE_COMMAND",
            output.status
        )));
    }
    Ok(passphrase)
}

/// Reads a line without echo from the controlling terminal. With no
/// terminal this fails at once instead of waiting on stdin.
pub fn prompt_terminal(prompt: &str) -> Result<Passphrase, Failure> {
    rpassword::prompt_password(prompt)
        .map(Passphrase::from)
        .map_err(|_| {
            Failure::Input(
                "no passphrase: there is no terminal to ask on; set OTP_PASSPHRASE_FILE, OTP_PASSPHRASE_COMMAND or OTP_PASSPHRASE (and OTP_NEW_PASSPHRASE for a new vault)".into(),
            )
        })
}
