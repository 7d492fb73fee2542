//! Unlock once: an agent process holds a vault's key for a while, so that
//! a code takes milliseconds and no passphrase, as ssh-agent and rbw-agent
//! do.
//!
//! The agent is the `otp` binary itself, started by `otp unlock`. It listens
//! on a Unix socket in a directory only the user can enter
//! (`$XDG_RUNTIME_DIR/otpvault/`, else `otpvault-<uid>` in the temporary
//! folder), one socket a vault, and answers only peers of its own uid. It
//! holds the vault key, never the passphrase, and hands it to a client that
//! asks: the client then opens the vault file with it as usual, so saves,
//! locks and backups work exactly as without an agent
//! (docs/threat-model.md says why the key is handed over rather than kept).
//! It forgets the key after an idle time, after an absolute time, on
//! `otp lock`, and on SIGTERM or SIGINT.
//!
//! The protocol is one request line (`KEY`, `STATUS`, `LOCK`) and one JSON
//! answer line.

use crate::config::{DEFAULT_IDLE, DEFAULT_MAX};
use crate::error::{ErrorKind, Kinded};
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use data_encoding::HEXLOWER;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::secret::VaultKey;
use crate::vault::{OpenError, Unlock, store};

/// The longest answer an agent gives: its JSON with the key's hex and the
/// vault's path (at most 4096 bytes on Linux).
const MAX_ANSWER: usize = 16 * 1024;

/// How long a client waits for an agent before going on without it: a dead
/// or hung agent must never hold a command up.
pub const CLIENT_TIMEOUT: Duration = Duration::from_millis(500);

/// Why the agent's socket could not be used.
#[derive(Debug, Error)]
pub enum AgentError {
    #[error(
        "the agent's folder {path} belongs to another user (uid {owner}): remove it, or set XDG_RUNTIME_DIR to a folder of your own"
    )]
    FolderOwner { path: PathBuf, owner: u32 },
    #[error(
        "the agent's folder {path} can be entered by other users (mode {mode:o}): `chmod 700` it, or remove it"
    )]
    FolderMode { path: PathBuf, mode: u32 },
    #[error("{0} is not a folder: remove it, or set XDG_RUNTIME_DIR to a folder of your own")]
    NotAFolder(PathBuf),
    #[error("could not {action} {path}: {source}")]
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

/// The folder that holds the agents' sockets, created (mode 0700) if
/// missing and `create` (an agent starting; a client only looks), and
/// refused if another user owns it or others can enter it.
pub fn socket_dir(create: bool) -> Result<PathBuf, AgentError> {
    let uid = rustix::process::getuid().as_raw();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(runtime) => PathBuf::from(runtime).join("otpvault"),
        None => std::env::temp_dir().join(format!("otpvault-{uid}")),
    };
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(&dir)
                .map_err(|source| AgentError::Io {
                    action: "create",
                    path: dir.clone(),
                    source,
                })?;
        }
        Err(source) => {
            return Err(AgentError::Io {
                action: "look at",
                path: dir,
                source,
            });
        }
        Ok(_) => {}
    }
    check_dir(&dir, uid)?;
    Ok(dir)
}

/// Refuses a socket folder that is not a real folder of `uid`'s alone.
pub fn check_dir(dir: &Path, uid: u32) -> Result<(), AgentError> {
    let meta = fs::symlink_metadata(dir).map_err(|source| AgentError::Io {
        action: "look at",
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.file_type().is_dir() {
        return Err(AgentError::NotAFolder(dir.to_path_buf()));
    }
    if meta.uid() != uid {
        return Err(AgentError::FolderOwner {
            path: dir.to_path_buf(),
            owner: meta.uid(),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AgentError::FolderMode {
            path: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// The socket of the agent for `vault`: one a vault, named by a hash of
/// the vault's canonical path (short enough for a socket address). With
/// `create`, its folder is made if missing.
pub fn socket_path(vault: &Path, create: bool) -> Result<PathBuf, AgentError> {
    let canonical = canonical(vault);
    let hash = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    Ok(socket_dir(create)?.join(format!("{}.sock", HEXLOWER.encode(&hash[..12]))))
}

/// The vault's path as the agent knows it: symbolic links followed, made
/// absolute.
pub fn canonical(vault: &Path) -> PathBuf {
    let resolved = store::resolve(vault);
    fs::canonicalize(&resolved).unwrap_or(resolved)
}

/// True if the peer on `stream` runs as this process's user.
pub fn peer_is_us(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::getuid())
}

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

/// How long an agent keeps the key: `idle` unused (else `configured`),
/// and `max` in any case, never more than [`DEFAULT_MAX`]; the idle time is
/// never longer than the whole.
pub fn timeouts(
    idle: Option<Duration>,
    max: Option<Duration>,
    configured: Duration,
) -> (Duration, Duration) {
    let max = max.unwrap_or(DEFAULT_MAX).min(DEFAULT_MAX);
    (idle.unwrap_or(configured).min(max), max)
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

/// The socket an agent listens on, and which file it is: a newer agent
/// that took the path over has another.
pub struct Bound {
    pub path: PathBuf,
    identity: (u64, u64),
}

impl Bound {
    fn is_ours(&self) -> bool {
        identity(&self.path) == Some(self.identity)
    }
}

/// A file's device and inode.
fn identity(path: &Path) -> Option<(u64, u64)> {
    fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Time since boot, counting suspend (Linux's `CLOCK_BOOTTIME`).
fn boot_time() -> Duration {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let clock = rustix::time::ClockId::Boottime;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let clock = rustix::time::ClockId::Monotonic;
    let t = rustix::time::clock_gettime(clock);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// An unlocked vault's key, held until it is time to forget it.
pub struct Agent {
    vault: PathBuf,
    key: VaultKey,
    idle: Duration,
    max: Duration,
    memory_locked: bool,
}

impl Agent {
    /// An agent for `vault` holding `key`; the times are bounded as
    /// [`timeouts`] bounds them, whoever started it.
    pub fn new(vault: &Path, key: VaultKey, idle: Duration, max: Duration) -> Agent {
        let (idle, max) = timeouts(Some(idle), Some(max), DEFAULT_IDLE);
        Agent {
            vault: canonical(vault),
            key,
            idle,
            max,
            memory_locked: false,
        }
    }

    /// Locks the process's memory against swapping (the key is in it); best
    /// effort, as `RLIMIT_MEMLOCK` may forbid it. Says whether it worked.
    pub fn lock_memory(&mut self) -> bool {
        use rustix::mm::{MlockAllFlags, mlockall};
        self.memory_locked = mlockall(MlockAllFlags::CURRENT | MlockAllFlags::FUTURE).is_ok();
        self.memory_locked
    }

    /// Binds the vault's socket, removing a stale one (its agent gone). An
    /// agent that still answers is asked to lock first.
    pub fn bind(&self) -> Result<(UnixListener, Bound), AgentError> {
        let socket = socket_path(&self.vault, true)?;
        if UnixStream::connect(&socket).is_ok() {
            let _ = ask(&self.vault, "LOCK");
        }
        let _ = fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).map_err(|source| AgentError::Io {
            action: "listen on",
            path: socket.clone(),
            source,
        })?;
        let _ = fs::set_permissions(&socket, fs::Permissions::from_mode(0o600));
        listener
            .set_nonblocking(true)
            .map_err(|source| AgentError::Io {
                action: "listen on",
                path: socket.clone(),
                source,
            })?;
        let identity = identity(&socket).ok_or_else(|| AgentError::Io {
            action: "listen on",
            path: socket.clone(),
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
        Ok((
            listener,
            Bound {
                path: socket,
                identity,
            },
        ))
    }

    /// Answers clients until the key is to be forgotten: idle too long, held
    /// too long, asked to lock, `stop` set (a signal), or its socket gone or
    /// taken over by another agent. The key is wiped when the agent is
    /// dropped.
    ///
    /// Time is counted on the boot clock, which goes on while the machine
    /// sleeps: a laptop suspended overnight wakes up locked.
    pub fn serve(&self, listener: &UnixListener, socket: &Bound, stop: &AtomicBool) {
        let started = boot_time();
        let mut last_use = started;
        loop {
            let now = boot_time();
            let idle_left = self.idle.saturating_sub(now.saturating_sub(last_use));
            let max_left = self.max.saturating_sub(now.saturating_sub(started));
            if stop.load(Ordering::SeqCst) || idle_left.is_zero() || max_left.is_zero() {
                break;
            }
            // Another `otp unlock`, or someone, removed or replaced the
            // socket: this agent is no longer the one clients reach.
            if !socket.is_ours() {
                break;
            }
            let wait = idle_left.min(max_left).min(Duration::from_millis(250));
            let mut fds = [rustix::event::PollFd::new(
                listener,
                rustix::event::PollFlags::IN,
            )];
            let timeout = rustix::event::Timespec {
                tv_sec: wait.as_secs() as i64,
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            if rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
                continue;
            }
            let Ok((stream, _)) = listener.accept() else {
                continue;
            };
            match self.answer(stream, idle_left, max_left) {
                Some(Request::Key) => last_use = boot_time(),
                Some(Request::Lock) => break,
                Some(Request::Status) | None => {}
            }
        }
        // Only its own socket: a newer agent's is left alone.
        if socket.is_ours() {
            let _ = fs::remove_file(&socket.path);
        }
    }

    /// Answers one client; `None` if it was refused or said nothing useful.
    fn answer(
        &self,
        stream: UnixStream,
        idle_left: Duration,
        max_left: Duration,
    ) -> Option<Request> {
        if !peer_is_us(&stream) {
            return None;
        }
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let mut line = String::with_capacity(16);
        BufReader::new(&stream).take(64).read_line(&mut line).ok()?;
        let request = match line.trim() {
            "KEY" => Request::Key,
            "STATUS" => Request::Status,
            "LOCK" => Request::Lock,
            _ => return None,
        };
        let mut answer = Answer {
            vault: self.vault.clone(),
            key: matches!(request, Request::Key).then(|| HEXLOWER.encode(self.key.expose())),
            idle_left: if matches!(request, Request::Key) {
                self.idle.as_secs()
            } else {
                idle_left.as_secs()
            },
            max_left: max_left.as_secs(),
            pid: std::process::id(),
            memory_locked: self.memory_locked,
        };
        // Sized up front, so that the key's hex is in one buffer, wiped.
        let mut text = Zeroizing::new(Vec::with_capacity(MAX_ANSWER));
        let written = serde_json::to_writer(&mut *text, &answer);
        if let Some(key) = answer.key.as_mut() {
            key.zeroize();
        }
        written.ok()?;
        text.push(b'\n');
        let mut stream = stream;
        let _ = stream.write_all(&text);
        Some(request)
    }
}

enum Request {
    Key,
    Status,
    Lock,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_check_sees_this_user() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(peer_is_us(&a));
    }

    #[test]
    fn a_folder_others_can_enter_or_own_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let uid = rustix::process::getuid().as_raw();
        let sockets = dir.path().join("otpvault");
        fs::DirBuilder::new().mode(0o700).create(&sockets).unwrap();
        assert!(check_dir(&sockets, uid).is_ok());
        fs::set_permissions(&sockets, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(matches!(
            check_dir(&sockets, uid),
            Err(AgentError::FolderMode { .. })
        ));
        fs::set_permissions(&sockets, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(
            check_dir(&sockets, uid + 1),
            Err(AgentError::FolderOwner { .. })
        ));
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(matches!(
            check_dir(&file, uid),
            Err(AgentError::NotAFolder(_))
        ));
    }
}
