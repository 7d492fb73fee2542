//! This terminal's side of passphrases: the no-echo prompt the library's
//! [`unlock`](otpvault::unlock) asks through, and the passwords of other
//! apps' files. Where passphrases come from, and in which order, is the
//! library's ([`otpvault::unlock::Sources`]).

use otpvault::Passphrase;
use otpvault::dispatch::{Front, Note};
use otpvault::unlock::{Ask, Need, PassphraseError, sources};

use super::input::InputError;

/// Asks on the terminal, without echo; says retries on stderr.
pub struct Prompt;

impl Ask for Prompt {
    fn hidden(&mut self, prompt: &str, need: Need) -> Result<Passphrase, PassphraseError> {
        super::input::prompt_hidden(prompt, need).map_err(|e| match e {
            InputError::TooLong { what, kib } => PassphraseError::TooLong { what, kib },
            _ => PassphraseError::NoTerminal(need),
        })
    }

    fn tell(&mut self, line: &str) {
        note!("otp: {line}");
    }
}

impl Front for Prompt {
    fn noted(&mut self, noted: &Note) {
        match noted {
            Note::AgentUnusable(_) => super::warn(&noted.to_string()),
            Note::AgentStale | Note::AgentReplaced => note!("otp: {noted}"),
            Note::ConflictCopies(_) => note!("otp: note: {noted}"),
        }
    }
}

/// A password for another app's file: the environment variable `var`,
/// else typed (twice when `confirm`).
pub fn other_password(
    var: &'static str,
    prompt: &str,
    confirm: bool,
) -> Result<Passphrase, PassphraseError> {
    sources::other_password(&mut Prompt, var, prompt, confirm)
}
