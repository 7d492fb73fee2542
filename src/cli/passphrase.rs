//! Where passphrases come from: a file, a command, the environment, or a
//! no-echo prompt on the terminal, in that order. Never from argv, where
//! every local user could read it in `ps`.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use otpvault::Passphrase;
use zeroize::Zeroizing;

use super::input::{InputError, Need, prompt_hidden, read_at_most};

/// The longest passphrase read from any source: longer is refused, not cut.
pub const MAX_PASSPHRASE: u64 = 64 * 1024;

/// The passphrase sources given on the command line or in the environment.
#[derive(Debug, Clone)]
pub struct Sources {
    pub file: Option<PathBuf>,
    pub command: Option<String>,
    /// How long the passphrase command may run before it is killed.
    pub command_timeout: Duration,
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
            // A FIFO is fine here (`--passphrase-file <(pass show otp)`).
            let file = std::fs::File::open(path).map_err(|source| InputError::PassphraseFile {
                path: path.clone(),
                source,
            })?;
            let what = format!("the passphrase file {}", path.display());
            return Ok(without_newline(read_at_most(file, MAX_PASSPHRASE, &what)?));
        }
        if let Some(command) = &self.command {
            return run_command(command, self.command_timeout);
        }
        if let Some(value) = Self::env_passphrase() {
            return bounded_variable("OTP_PASSPHRASE", value);
        }
        prompt_hidden(prompt, Need::Passphrase)
    }

    /// True if [`Sources::new_passphrase`] would ask on the terminal.
    pub fn new_is_typed(&self, reuse_current: bool) -> bool {
        std::env::var_os("OTP_NEW_PASSPHRASE").is_none() && !(reuse_current && self.any())
    }

    /// A new passphrase: `OTP_NEW_PASSPHRASE`, else (when `reuse_current`)
    /// the current sources, else typed twice on the terminal.
    pub fn new_passphrase(&self, reuse_current: bool) -> Result<Passphrase, InputError> {
        if let Some(value) = std::env::var_os("OTP_NEW_PASSPHRASE") {
            return nonempty(bounded_variable("OTP_NEW_PASSPHRASE", value)?);
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
        return bounded_variable(var, value);
    }
    let need = Need::Password { var };
    if confirm {
        prompt_twice(prompt, "Repeat it: ", need)
    } else {
        prompt_hidden(prompt, need)
    }
}

/// How many times a new passphrase may be typed twice before giving up: a
/// slip of the finger must not cost the key pasted a moment ago.
const ATTEMPTS: u32 = 3;

fn prompt_twice(first: &str, second: &str, need: Need) -> Result<Passphrase, InputError> {
    for attempt in 1..=ATTEMPTS {
        let typed = prompt_hidden(first, need)?;
        let problem = if typed.is_empty() {
            InputError::EmptyPassphrase
        } else if typed != prompt_hidden(second, need)? {
            InputError::Mismatch
        } else {
            return Ok(typed);
        };
        if attempt == ATTEMPTS {
            return Err(problem);
        }
        note!(
            "otp: {}; try again ({} of {ATTEMPTS})",
            match problem {
                InputError::Mismatch => "the two did not match",
                _ => "it was empty",
            },
            attempt + 1
        );
    }
    Err(InputError::Mismatch)
}

fn nonempty(p: Passphrase) -> Result<Passphrase, InputError> {
    if p.is_empty() {
        Err(InputError::EmptyPassphrase)
    } else {
        Ok(p)
    }
}

/// A passphrase from the environment variable `var`, refused if over the
/// limit that every source has.
fn bounded_variable(var: &'static str, value: OsString) -> Result<Passphrase, InputError> {
    let bytes = Zeroizing::new(value.into_encoded_bytes());
    read_at_most(bytes.as_slice(), MAX_PASSPHRASE, var).map(|b| Passphrase::new(b.to_vec()))
}

/// Drops one trailing newline (`\n` or `\r\n`), as editors and `echo` add it.
fn without_newline(mut bytes: Zeroizing<Vec<u8>>) -> Passphrase {
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

/// Runs `command` with `sh -c` in a process group of its own and takes its
/// standard output: at most [`MAX_PASSPHRASE`] bytes, within `timeout`.
/// A command that runs longer or prints more is killed, with every
/// process it started.
fn run_command(command: &str, timeout: Duration) -> Result<Passphrase, InputError> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    without_secrets(&mut cmd);
    let mut child = cmd.spawn().map_err(InputError::PassphraseCommandSpawn)?;
    let deadline = Instant::now() + timeout;
    // The output is read on its own thread, so that the wait can time out.
    let stdout = child.stdout.take();
    let (sent, received) = mpsc::channel();
    std::thread::spawn(move || {
        let read =
            stdout.map(|out| read_at_most(out, MAX_PASSPHRASE, "the passphrase command's output"));
        let _ = sent.send(read);
    });
    let output = match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Some(Ok(output))) => output,
        Ok(Some(Err(e))) => {
            kill_group(&mut child);
            return Err(e);
        }
        Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            kill_group(&mut child);
            return Err(InputError::PassphraseCommandSpawn(std::io::Error::other(
                "its output could not be read",
            )));
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            kill_group(&mut child);
            return Err(InputError::PassphraseCommandTimeout(timeout.as_secs()));
        }
    };
    // Its output is closed; it should be exiting. It gets the rest of the
    // time to do so.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                kill_group(&mut child);
                return Err(InputError::PassphraseCommandTimeout(timeout.as_secs()));
            }
            Err(e) => return Err(InputError::PassphraseCommandSpawn(e)),
        }
    };
    if !status.success() {
        return Err(InputError::PassphraseCommandFailed(status));
    }
    let passphrase = without_newline(output);
    if passphrase.is_empty() {
        return Err(InputError::PassphraseCommandEmpty);
    }
    Ok(passphrase)
}

/// Kills the command and everything it started (its process group), and
/// reaps it.
fn kill_group(child: &mut Child) {
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}
