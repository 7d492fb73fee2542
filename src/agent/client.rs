//! A command's side of the agent: ask it for the key, its status, or to
//! lock, and never wait long for it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{AgentError, Garbled};
use super::socket::{canonical, socket_path};
use crate::secret::VaultKey;
use crate::vault::{OpenError, Unlock};

/// The longest answer an agent gives: its JSON with the key's hex and the
/// vault's path (at most 4096 bytes on Linux).
pub(super) const MAX_ANSWER: usize = 16 * 1024;

/// How long a client waits for an agent before going on without it: a dead
/// or hung agent must never hold a command up.
pub const CLIENT_TIMEOUT: Duration = Duration::from_millis(500);

/// An agent's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Answer {
    /// The vault it holds the key of.
    pub vault: PathBuf,
    /// The vault key, in hex, for `KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Seconds until it locks for want of use.
    pub idle_left: u64,
    /// Seconds until it locks whatever happens.
    pub max_left: u64,
    /// Its process id.
    pub pid: u32,
    /// Whether its memory is locked against swapping.
    pub memory_locked: bool,
}

/// What a client learns from the agent of a vault.
#[derive(Debug)]
pub enum Reply {
    /// No agent (no socket, or a dead or hung one).
    NoAgent,
    Answer(Answer),
}

/// Asks the agent of `vault` one request (`KEY`, `STATUS` or `LOCK`). No
/// agent, a dead one or one that does not answer within
/// [`CLIENT_TIMEOUT`] is [`Reply::NoAgent`]: the caller goes on without it.
pub fn ask(vault: &Path, request: &str) -> Result<Reply, AgentError> {
    let socket = socket_path(vault, false)?;
    let Ok(mut stream) = UnixStream::connect(&socket) else {
        return Ok(Reply::NoAgent);
    };
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CLIENT_TIMEOUT));
    if writeln!(stream, "{request}").is_err() {
        return Ok(Reply::NoAgent);
    }
    // Read straight into one wiped buffer (no reader's buffer of its own,
    // which would keep the key): the agent answers one line and closes.
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_ANSWER));
    match (&stream).take(MAX_ANSWER as u64).read_to_end(&mut line) {
        Ok(0) | Err(_) => return Ok(Reply::NoAgent),
        Ok(_) => {}
    }
    let answer: Answer =
        serde_json::from_slice(&line).map_err(|_| AgentError::Protocol(Garbled::NotJson))?;
    if answer.vault != canonical(vault) {
        return Err(AgentError::Protocol(Garbled::OtherVault));
    }
    Ok(Reply::Answer(answer))
}

/// The key the agent of `vault` holds, if it is unlocked.
pub fn key(vault: &Path) -> Result<Option<VaultKey>, AgentError> {
    match ask(vault, "KEY")? {
        Reply::NoAgent => Ok(None),
        Reply::Answer(answer) => {
            let hex = Zeroizing::new(answer.key.ok_or(AgentError::Protocol(Garbled::NoKey))?);
            let bytes = Zeroizing::new(
                HEXLOWER
                    .decode(hex.as_bytes())
                    .map_err(|_| AgentError::Protocol(Garbled::KeyNotHex))?,
            );
            VaultKey::from_slice(&bytes)
                .map(Some)
                .ok_or(AgentError::Protocol(Garbled::KeyLength))
        }
    }
}

/// What came of opening a vault with its agent's key.
#[derive(Debug)]
pub enum Through<T> {
    Opened(T),
    /// No agent holds the key; an agent that is there but cannot be used
    /// says why, and is passed over.
    NoKey(Option<AgentError>),
    /// The agent's key no longer opens the file: another vault was put in
    /// its place (a restore of another vault, a sync tool, a copy). The
    /// agent has been told to lock; the passphrase is needed.
    Replaced,
}

/// Opens `vault` with `open` and the key its agent holds, if any. A key
/// that no longer opens the file locks the agent, so that it does not keep
/// a key to a vault that is gone; any other failure to open is the vault's
/// and is returned.
pub fn open_through<T>(
    vault: &Path,
    open: impl FnOnce(Unlock) -> Result<T, OpenError>,
) -> Result<Through<T>, OpenError> {
    let key = match key(vault) {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(Through::NoKey(None)),
        Err(e) => return Ok(Through::NoKey(Some(e))),
    };
    match open(Unlock::Key(&key)) {
        Ok(opened) => Ok(Through::Opened(opened)),
        Err(OpenError::OtherKey(_)) => {
            let _ = ask(vault, "LOCK");
            Ok(Through::Replaced)
        }
        Err(e) => Err(e),
    }
}
