//! The agent process: holds an unlocked vault's key in one locked page and
//! runs the operations commands ask for ([`crate::session`]), never
//! handing out the key or a secret. It waits on events (a connection, a
//! signal, a lock, its deadlines), never on a timer tick: idle, it wakes
//! at most once a minute, to check that its socket is still its own.
//! Each connection is served on a thread of its own, with deadlines, so
//! that no client, however slow, delays the key's wiping.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::client::{self as client_side};
use super::error::AgentError;
use super::protocol::{self, Answer, Request, Status};
use super::socket::{canonical, peer_is_us, socket_path};
use crate::config::{DEFAULT_IDLE, DEFAULT_MAX};
use crate::error::ErrorKind;
use crate::secret::{Passphrase, VaultKey};
use crate::session::{self, Failed, Op, Outcome};
use crate::unlock::{Ask, By, Need, PassphraseError};
use crate::vault::{OpenError, Settings, Unlock, Vault};

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

/// How often an idle agent looks at its socket.
const SOCKET_CHECK: Duration = Duration::from_secs(60);
/// How long a client may take to send its request, and to take the answer.
const REQUEST_WITHIN: Duration = Duration::from_secs(30);

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

/// Time since boot, counting suspend (Linux's `CLOCK_BOOTTIME`): a laptop
/// suspended overnight wakes up locked.
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

/// The key, in memory of its own that is locked against swapping when
/// the system allows: one page, not the whole process (an ordinary
/// user's limit, 8 MiB, is smaller than the agent's address space).
struct Held {
    key: Mutex<Option<Box<VaultKey>>>,
    _locked: Option<region::LockGuard>,
}

impl Held {
    fn new(key: VaultKey) -> Held {
        let key = Box::new(key);
        let page: *const VaultKey = &*key;
        let locked = region::lock(page, std::mem::size_of::<VaultKey>()).ok();
        Held {
            key: Mutex::new(Some(key)),
            _locked: locked,
        }
    }

    fn locked(&self) -> bool {
        self._locked.is_some()
    }

    /// A copy of the key for one operation, if it is still held.
    fn get(&self) -> Option<VaultKey> {
        self.key.lock().ok()?.as_deref().cloned()
    }

    /// Wipes the key (dropping it zeroes it).
    fn wipe(&self) {
        if let Ok(mut key) = self.key.lock() {
            key.take();
        }
    }
}

/// An unlocked vault's agent.
pub struct Agent {
    vault: PathBuf,
    held: Held,
    idle: Duration,
    max: Duration,
    settings: Settings,
    started: Duration,
    /// Milliseconds after `started` of the last operation.
    last_use: AtomicU64,
    stop: AtomicBool,
}

impl Agent {
    /// An agent for `vault` holding `key`; the times are bounded as
    /// [`timeouts`] bounds them, whoever started it.
    pub fn new(
        vault: &Path,
        key: VaultKey,
        idle: Duration,
        max: Duration,
        settings: Settings,
    ) -> Agent {
        let (idle, max) = timeouts(Some(idle), Some(max), DEFAULT_IDLE);
        Agent {
            vault: canonical(vault),
            held: Held::new(key),
            idle,
            max,
            settings,
            started: boot_time(),
            last_use: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        }
    }

    /// Whether the key's page is locked in memory.
    pub fn memory_locked(&self) -> bool {
        self.held.locked()
    }

    /// Binds the vault's socket, removing a stale one (its agent gone). An
    /// agent that still answers is asked to lock first.
    pub fn bind(&self) -> Result<(UnixListener, Bound), AgentError> {
        let socket = socket_path(&self.vault, true)?;
        if UnixStream::connect(&socket).is_ok() {
            let _ = client_side::call(&self.vault, &Request::Lock);
        }
        let _ = fs::remove_file(&socket);
        let io = |action: &'static str| {
            let path = socket.clone();
            move |source| AgentError::Io {
                action,
                path,
                source,
            }
        };
        let listener = UnixListener::bind(&socket).map_err(io("listen on"))?;
        let _ = fs::set_permissions(&socket, fs::Permissions::from_mode(0o600));
        listener.set_nonblocking(true).map_err(io("listen on"))?;
        let identity = identity(&socket)
            .ok_or_else(|| io("listen on")(io::Error::from(io::ErrorKind::NotFound)))?;
        Ok((
            listener,
            Bound {
                path: socket,
                identity,
            },
        ))
    }

    /// The time left before it locks unused, and at the latest.
    fn left(&self) -> (Duration, Duration) {
        let now = boot_time().saturating_sub(self.started);
        let last = Duration::from_millis(self.last_use.load(Ordering::SeqCst));
        (
            self.idle.saturating_sub(now.saturating_sub(last)),
            self.max.saturating_sub(now),
        )
    }

    fn used(&self) {
        let now = boot_time().saturating_sub(self.started);
        self.last_use.store(
            u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Serves until the key is to be forgotten: idle too long, held too
    /// long, asked to lock, a signal on `signals`, or its socket gone or
    /// taken over. Then wipes the key and removes its socket. `wake` is
    /// written to when a connection asks it to lock.
    pub fn serve(
        self: &Arc<Self>,
        listener: UnixListener,
        socket: &Bound,
        signals: &UnixStream,
        wake: (UnixStream, UnixStream),
    ) {
        let (wake_read, wake_write) = wake;
        let wake_write = Arc::new(wake_write);
        loop {
            let (idle_left, max_left) = self.left();
            if self.stop.load(Ordering::SeqCst) || idle_left.is_zero() || max_left.is_zero() {
                break;
            }
            // Another `otp unlock`, or someone, removed or replaced the
            // socket: this agent is no longer the one clients reach.
            if !socket.is_ours() {
                break;
            }
            let wait = idle_left.min(max_left).min(SOCKET_CHECK);
            let mut fds = [
                rustix::event::PollFd::new(&listener, rustix::event::PollFlags::IN),
                rustix::event::PollFd::new(signals, rustix::event::PollFlags::IN),
                rustix::event::PollFd::new(&wake_read, rustix::event::PollFlags::IN),
            ];
            let timeout = rustix::event::Timespec {
                tv_sec: i64::try_from(wait.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            if rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
                continue;
            }
            let [listening, signalled, woken] = fds.map(|fd| !fd.revents().is_empty());
            if signalled {
                break;
            }
            if woken {
                drain(&wake_read);
            }
            if listening {
                while let Ok((stream, _)) = listener.accept() {
                    let agent = Arc::clone(self);
                    let wake = Arc::clone(&wake_write);
                    std::thread::spawn(move || agent.answer(stream, &wake));
                }
            }
        }
        self.held.wipe();
        // Only its own socket: a newer agent's is left alone.
        if socket.is_ours() {
            let _ = fs::remove_file(&socket.path);
        }
    }

    /// Answers one client. A client of another user gets nothing.
    fn answer(&self, mut stream: UnixStream, wake: &UnixStream) {
        if !peer_is_us(&stream) {
            return;
        }
        let _ = stream.set_nonblocking(false);
        let Ok(request) = protocol::read::<Request>(&mut stream, Instant::now() + REQUEST_WITHIN)
        else {
            return;
        };
        // A lock is answered first, then done: the process ends with it.
        let mut lock_after = false;
        let answer = match request {
            Request::Status => {
                let (idle_left, max_left) = self.left();
                Answer::Status(Status {
                    vault: self.vault.clone(),
                    idle_left: idle_left.as_secs(),
                    max_left: max_left.as_secs(),
                    pid: std::process::id(),
                    memory_locked: self.held.locked(),
                })
            }
            Request::Lock => {
                // Wiped now; the process ends once the answer is out.
                self.held.wipe();
                lock_after = true;
                Answer::Locked
            }
            Request::Run { op } => match self.run(*op) {
                Err(Ran::Stale) => {
                    self.held.wipe();
                    lock_after = true;
                    Answer::Stale
                }
                Err(Ran::Failed(failed)) => Answer::Failed { failed },
                Ok(outcome) => {
                    // A merge that took another copy's key: the key held
                    // here no longer seals the vault.
                    if matches!(&outcome, Outcome::Merged { merged, .. } if merged.keys.key_changed)
                    {
                        self.held.wipe();
                        lock_after = true;
                    }
                    Answer::Done {
                        outcome: Box::new(outcome),
                    }
                }
            },
        };
        let _ = protocol::write(&mut stream, &answer, Instant::now() + REQUEST_WITHIN);
        if lock_after {
            self.lock(wake);
        }
    }

    fn lock(&self, wake: &UnixStream) {
        self.stop.store(true, Ordering::SeqCst);
        self.held.wipe();
        let _ = (&*wake).write_all(b"L");
    }

    /// One operation on the vault, opened with the held key.
    fn run(&self, op: Op) -> Result<Outcome, Ran> {
        let key = self.held.get().ok_or(Ran::Failed(Failed {
            kind: ErrorKind::Environment,
            message: "the agent has locked the vault: run the command again".into(),
        }))?;
        self.used();
        let path = match &op {
            Op::MergeDriver { ours, .. } => ours.clone(),
            _ => self.vault.clone(),
        };
        let mut vault = match Vault::open(&path, Unlock::Key(&key), op.access(), self.settings) {
            Ok(vault) => vault,
            Err(OpenError::OtherKey(_)) if path == self.vault => return Err(Ran::Stale),
            Err(e) => return Err(Ran::Failed(Failed::of(&e))),
        };
        drop(key);
        session::apply(&mut vault, op, &By::Agent, &mut NoTerminal).map_err(Ran::Failed)
    }
}

/// Why an operation did not run.
enum Ran {
    Failed(Failed),
    /// The key no longer opens the vault.
    Stale,
}

/// Empties the wake pipe.
fn drain(stream: &UnixStream) {
    let _ = stream.set_nonblocking(true);
    let mut buf = [0u8; 64];
    while matches!((&*stream).read(&mut buf), Ok(n) if n > 0) {}
}

/// The agent has no terminal: nothing is ever asked there.
struct NoTerminal;

impl Ask for NoTerminal {
    fn hidden(&mut self, _: &str, need: Need) -> Result<Passphrase, PassphraseError> {
        Err(PassphraseError::NoTerminal(need))
    }

    fn tell(&mut self, _: &str) {}
}
