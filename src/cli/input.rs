//! What `otp` reads from the person or the shell: typed secrets without
//! echo, keys and exports on standard input, yes/no answers; and how each
//! of those can fail.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::Path;

use otpvault::Passphrase;
use otpvault::error::{ErrorKind, Kinded};
use otpvault::terminal::ShownPath;
pub use otpvault::unlock::Need;
use thiserror::Error;
use zeroize::Zeroizing;

/// Input that could not be had, or was not usable.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("{0}")]
    NoTerminal(Need),
    #[error("export cancelled: nothing was written")]
    ExportCancelled,
    #[error("cannot read {what}: {source}")]
    Read { what: String, source: io::Error },
    #[error("{what} is over {kib} KiB, larger than any this command reads: check what it is")]
    TooLong { what: String, kib: u64 },
    #[error("{0} is not text: give the setup key")]
    NotText(&'static str),
    #[error("nothing to merge: give the copies to merge (otp merge FILE...), or --conflicts")]
    NothingToMerge,
    #[error("could not start {what} ({why}): try again")]
    HelperStart { what: &'static str, why: String },
}

impl Kinded for InputError {
    fn kind(&self) -> ErrorKind {
        match self {
            InputError::NoTerminal(_)
            | InputError::ExportCancelled
            | InputError::TooLong { .. }
            | InputError::NotText(_)
            | InputError::NothingToMerge => ErrorKind::Usage,
            InputError::Read { .. } | InputError::HelperStart { .. } => ErrorKind::Environment,
        }
    }
}

/// Everything `input` holds, refused if over `max` bytes: a cut-off input
/// would be worse than none (a key truncated at the limit is still a key).
/// `what` names the input in the messages.
pub fn read_at_most(
    input: impl Read,
    max: u64,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    // Room up front for a key or a typical export, so that no unwiped
    // copy is left behind by the buffer growing.
    let room = usize::try_from((max + 1).min(64 * 1024)).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(room));
    input
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Read {
            what: what.to_string(),
            source,
        })?;
    if bytes.len() as u64 > max {
        return Err(InputError::TooLong {
            what: what.to_string(),
            kib: max / 1024,
        });
    }
    Ok(bytes)
}

/// Reads a line without echo from the controlling terminal. With no
/// terminal this fails at once instead of waiting on stdin.
pub fn prompt_hidden(prompt: &str, need: Need) -> Result<Passphrase, InputError> {
    match super::tty::read_hidden(prompt, MAX_TYPED as usize) {
        Ok(mut typed) => Ok(Passphrase::from(std::mem::take(&mut *typed))),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Err(InputError::TooLong {
            what: "what was typed".into(),
            kib: MAX_TYPED / 1024,
        }),
        Err(_) => Err(InputError::NoTerminal(need)),
    }
}

/// The most a prompt takes: a pasted key or passphrase fits many times.
const MAX_TYPED: u64 = 64 * 1024;

/// The longest key or URI accepted on stdin.
const MAX_KEY_INPUT: u64 = 64 * 1024;

/// A key or URI read from the terminal (no echo) or from stdin.
pub fn read_key() -> Result<Zeroizing<String>, InputError> {
    if io::stdin().is_terminal() {
        let typed = prompt_hidden("Setup key (input hidden): ", Need::Key)?;
        return String::from_utf8(typed.expose().to_vec())
            .map(Zeroizing::new)
            .map_err(|_| InputError::NotText("the key"));
    }
    let bytes = read_at_most(io::stdin(), MAX_KEY_INPUT, "the key on standard input")?;
    std::str::from_utf8(&bytes)
        .map(|text| Zeroizing::new(text.to_owned()))
        .map_err(|_| InputError::NotText("the key on standard input"))
}

/// The file at `path`, or standard input for `-`, up to the size of the
/// largest export ([`otpvault::import::MAX_FILE`]).
pub fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let what = ShownPath(path).to_string();
    if path == Path::new("-") {
        return read_at_most(io::stdin(), otpvault::import::MAX_FILE, &what);
    }
    let max = otpvault::import::MAX_FILE;
    match std::fs::File::open(path) {
        // A file that says it is too large is refused before a byte is
        // read; one that grows meanwhile (or a pipe) is cut at the bound.
        Ok(file) if file.metadata().is_ok_and(|m| m.is_file() && m.len() > max) => {
            Err(InputError::TooLong {
                what,
                kib: max / 1024,
            })
        }
        Ok(file) => read_at_most(file, max, &what),
        Err(source) => Err(InputError::Read { what, source }),
    }
}

/// Asks on the terminal before secrets leave the vault; scripts (no
/// terminal) go ahead.
pub fn confirm_export(question: &str) -> Result<(), InputError> {
    if !io::stdin().is_terminal() {
        return Ok(());
    }
    let _ = write!(io::stderr(), "{question} [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|source| InputError::Read {
            what: "the answer".into(),
            source,
        })?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(InputError::ExportCancelled)
    }
}

/// Shows `prompt` on the terminal and waits for Enter.
pub fn wait_for_enter(prompt: &str) -> Result<(), InputError> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| InputError::NoTerminal(Need::View))?;
    let _ = write!(tty, "{prompt}");
    let _ = tty.flush();
    let mut line = String::new();
    io::BufReader::new(tty)
        .read_line(&mut line)
        .map_err(|source| InputError::Read {
            what: "the terminal".into(),
            source,
        })?;
    Ok(())
}
