//! The agent process: holds a vault's key and answers its user's
//! commands until it is time to forget it.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use data_encoding::HEXLOWER;
use zeroize::{Zeroize, Zeroizing};

use super::client::{Answer, MAX_ANSWER, ask};
use super::error::AgentError;
use super::socket::{canonical, peer_is_us, socket_path};
use crate::config::{DEFAULT_IDLE, DEFAULT_MAX};
use crate::secret::VaultKey;

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
