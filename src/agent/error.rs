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
}

/// How an agent's answer was not what the protocol says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Garbled {
    #[error("answered with something other than JSON")]
    NotJson,
    #[error("answered for another vault")]
    OtherVault,
    #[error("answered without the key")]
    NoKey,
    #[error("sent a key that is not hexadecimal")]
    KeyNotHex,
    #[error("sent a key of the wrong length")]
    KeyLength,
}

impl Kinded for AgentError {
    fn kind(&self) -> ErrorKind {
        match self {
            AgentError::FolderOwner { .. }
            | AgentError::FolderMode { .. }
            | AgentError::NotAFolder(_)
            | AgentError::Io { .. }
            | AgentError::Protocol(_) => ErrorKind::Environment,
        }
    }
}
