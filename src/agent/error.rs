//! Why an agent could not be used.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::error::{ErrorKind, Kinded};

/// Why the agent's socket could not be used.
#[derive(Debug, Error)]
pub enum AgentError {
    #[error("the agent's folder {shown_path} belongs to another user (uid {owner}): remove it, or set XDG_RUNTIME_DIR to a folder of your own", shown_path = crate::terminal::ShownPath(.path))]
    FolderOwner { path: PathBuf, owner: u32 },
    #[error("the agent's folder {shown_path} can be entered by other users (mode {mode:o}): `chmod 700` it, or remove it", shown_path = crate::terminal::ShownPath(.path))]
    FolderMode { path: PathBuf, mode: u32 },
    #[error("{shown_path0} is not a folder: remove it, or set XDG_RUNTIME_DIR to a folder of your own", shown_path0 = crate::terminal::ShownPath(.0))]
    NotAFolder(PathBuf),
    #[error("could not {action} {shown_path}: {source}", shown_path = crate::terminal::ShownPath(.path))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("the agent for this vault {0}: run `otp lock`, then `otp unlock`")]
    Protocol(Garbled),
    #[error(
        "neither XDG_RUNTIME_DIR nor HOME is an absolute path, so there is no place of your own for the agent's socket: set one"
    )]
    NoHome,
    /// What answers at the socket runs as another user: not a byte was
    /// sent to it.
    #[error(
        "the agent's socket is answered by another user (uid {0}), not you: nothing was sent to it; remove it, or set XDG_RUNTIME_DIR to a folder of your own"
    )]
    Impostor(u32),
    /// The agent did not answer in time (stopped, or stuck).
    #[error("the agent for this vault did not answer within {0} ms: run `otp lock`, or end it")]
    Timeout(u128),
}

/// How an agent's answer was not what the protocol says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Garbled {
    #[error("answered with something other than JSON")]
    NotJson,
    #[error("sent a message longer than any answer")]
    TooLong,
    #[error("speaks another version of the protocol")]
    Version,
    #[error("answered something other than what it was asked")]
    Unexpected,
}

impl Kinded for AgentError {
    fn kind(&self) -> ErrorKind {
        match self {
            AgentError::FolderOwner { .. }
            | AgentError::FolderMode { .. }
            | AgentError::NotAFolder(_)
            | AgentError::Io { .. }
            | AgentError::Protocol(_)
            | AgentError::NoHome
            | AgentError::Impostor(_)
            | AgentError::Timeout(_) => ErrorKind::Environment,
        }
    }
}
