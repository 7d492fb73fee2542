//! What a command and the agent say to each other: one request, one
//! answer, each a frame of a 32-bit big-endian length and that many bytes
//! of JSON, `{"v": 1, ...}`. The length is capped before anything is
//! allocated, and every read and write has a deadline: a peer that
//! trickles bytes or says nothing costs its deadline, never a hang.
//!
//! Requests: `status`, `lock`, and `run` with an [`Op`]. Answers:
//! `status`, `locked`, `done` with an [`Outcome`], `failed` with why. No
//! answer carries a key or an account's secret; a request may carry a
//! secret in (a new account's key), never out.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::{AgentError, Garbled};
use crate::session::{Failed, Op, Outcome};

/// The protocol's version: a peer that speaks another is refused.
pub const VERSION: u16 = 1;
/// The largest frame either side reads: an import of 100,000 accounts
/// fits.
pub const MAX_FRAME: u32 = 64 * 1024 * 1024;

/// What a command asks of the agent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// How long the agent will keep the key, and whether its memory is
    /// locked.
    Status,
    /// Forget the key now.
    Lock,
    /// Run an operation on the vault (boxed: an import carries its file).
    Run { op: Box<Op> },
}

/// The agent's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Status(Status),
    Locked,
    Done {
        outcome: Box<Outcome>,
    },
    Failed {
        failed: Failed,
    },
    /// Its key does not open the vault any more (another vault, or one
    /// sealed with another key, was put in its place): it has locked.
    Stale,
}

/// The agent's state, for `otp status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// The vault it holds the key of.
    pub vault: PathBuf,
    /// Seconds until it locks if unused, and at the latest.
    pub idle_left: u64,
    pub max_left: u64,
    /// Its process id.
    pub pid: u32,
    /// Whether the page that holds the key is locked against swapping.
    pub memory_locked: bool,
}

/// What `otp unlock` hands the agent on its standard input: never in its
/// arguments or environment, which other users can read.
#[derive(Serialize, Deserialize)]
pub struct Handoff {
    pub vault: PathBuf,
    pub idle: u64,
    pub max: u64,
    pub keep_backups: usize,
    pub lock_timeout_ms: u64,
    /// The vault key in hex; wiped when dropped.
    pub key: String,
}

impl Drop for Handoff {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

/// A frame: the version and the message.
#[derive(Serialize, Deserialize)]
struct Frame<T> {
    v: u16,
    #[serde(flatten)]
    message: T,
}

/// Writes `message` as one frame before `deadline`.
pub fn write<T: Serialize>(
    stream: &mut UnixStream,
    message: &T,
    deadline: Instant,
) -> Result<(), AgentError> {
    let body = Zeroizing::new(
        serde_json::to_vec(&Frame {
            v: VERSION,
            message,
        })
        .map_err(|_| AgentError::Protocol(Garbled::NotJson))?,
    );
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME)
        .ok_or(AgentError::Protocol(Garbled::TooLong))?;
    let mut frame = Zeroizing::new(Vec::with_capacity(body.len() + 4));
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&body);
    let mut written = 0;
    while written < frame.len() {
        stream
            .set_write_timeout(Some(left(deadline)?))
            .map_err(io_error)?;
        match stream.write(&frame[written..]) {
            Ok(0) => return Err(io_error(io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(timed_out_or(e, deadline)),
        }
    }
    Ok(())
}

/// Reads one frame before `deadline`: however slowly the peer sends it,
/// the deadline holds for the whole of it.
pub fn read<T: serde::de::DeserializeOwned>(
    stream: &mut UnixStream,
    deadline: Instant,
) -> Result<T, AgentError> {
    let mut len = [0u8; 4];
    read_exact(stream, &mut len, deadline)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(AgentError::Protocol(Garbled::TooLong));
    }
    let mut body = Zeroizing::new(vec![0u8; len as usize]);
    read_exact(stream, &mut body, deadline)?;
    #[derive(Deserialize)]
    struct Version {
        v: u16,
    }
    let version: Version =
        serde_json::from_slice(&body).map_err(|_| AgentError::Protocol(Garbled::NotJson))?;
    if version.v != VERSION {
        return Err(AgentError::Protocol(Garbled::Version));
    }
    let frame: Frame<T> =
        serde_json::from_slice(&body).map_err(|_| AgentError::Protocol(Garbled::NotJson))?;
    Ok(frame.message)
}

fn read_exact(
    stream: &mut UnixStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<(), AgentError> {
    let mut got = 0;
    while got < buf.len() {
        stream
            .set_read_timeout(Some(left(deadline)?))
            .map_err(io_error)?;
        match stream.read(&mut buf[got..]) {
            Ok(0) => return Err(io_error(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(timed_out_or(e, deadline)),
        }
    }
    Ok(())
}

/// The time left before `deadline`, or the timeout it is.
fn left(deadline: Instant) -> Result<std::time::Duration, AgentError> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or(AgentError::Timeout(0))
}

fn timed_out_or(e: io::Error, deadline: Instant) -> AgentError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut if Instant::now() >= deadline => {
            AgentError::Timeout(0)
        }
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => AgentError::Timeout(0),
        _ => io_error(e),
    }
}

fn io_error(source: io::Error) -> AgentError {
    AgentError::Io {
        action: "talk to",
        path: PathBuf::from("the agent's socket"),
        source,
    }
}
