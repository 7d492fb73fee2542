//! A command's side of the agent. Before a byte is sent, the socket's
//! folder must be the user's own (owner and mode), and the process that
//! answers at the socket must run as the user (SO_PEERCRED): a socket
//! someone else put there gets nothing. One deadline bounds the whole
//! exchange, the answer's last byte included: a stopped or trickling agent
//! costs that deadline and the command goes on without it.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::AgentError;
use super::protocol::{self, Answer, Request};
use super::socket::{check_dir, socket_dir, socket_path};
use crate::session::Op;

/// How long a command waits for an agent before going on without it: a
/// dead, stopped or hung agent must never hold a command up.
pub const CLIENT_TIMEOUT: Duration = Duration::from_millis(500);

/// How long an operation that may read or write many entries or files
/// (an import, a merge, a backup) may take in the agent.
pub const LONG_TIMEOUT: Duration = Duration::from_secs(60);

/// The deadline of a request: quick ones in [`CLIENT_TIMEOUT`].
fn budget(request: &Request) -> Duration {
    match request {
        Request::Run { op } => match **op {
            Op::Import { .. } | Op::Merge { .. } | Op::MergeDriver { .. } | Op::Backup { .. } => {
                LONG_TIMEOUT
            }
            _ => CLIENT_TIMEOUT,
        },
        _ => CLIENT_TIMEOUT,
    }
}

/// Asks the agent of `vault` one request. `None` when no agent listens
/// there (no folder, no socket, nobody accepting): the command goes on
/// without it. An error when something is there that must not be trusted
/// or did not answer in time: the caller says so in one line and goes on
/// without it.
pub fn call(vault: &Path, request: &Request) -> Result<Option<Answer>, AgentError> {
    let dir = socket_dir(false)?;
    match std::fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        _ => check_dir(&dir, rustix::process::getuid().as_raw())?,
    }
    let socket = socket_path(vault, false)?;
    let mut stream = match UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(source) => {
            return Err(AgentError::Io {
                action: "connect to",
                path: socket,
                source,
            });
        }
    };
    let peer = rustix::net::sockopt::socket_peercred(&stream).map_err(|e| AgentError::Io {
        action: "check who answers at",
        path: socket.clone(),
        source: e.into(),
    })?;
    if peer.uid != rustix::process::getuid() {
        return Err(AgentError::Impostor(peer.uid.as_raw()));
    }
    let budget = budget(request);
    let deadline = Instant::now() + budget;
    let timed = |e: AgentError| match e {
        AgentError::Timeout(_) => AgentError::Timeout(budget.as_millis()),
        e => e,
    };
    protocol::write(&mut stream, request, deadline).map_err(timed)?;
    let answer = protocol::read(&mut stream, deadline).map_err(timed)?;
    Ok(Some(answer))
}
