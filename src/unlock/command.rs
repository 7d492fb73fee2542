//! The passphrase command (`--passphrase-command`, `OTP_PASSPHRASE_COMMAND`
//! or the config file's): `sh -c COMMAND`, its standard output taken as
//! the passphrase, at most [`MAX_PASSPHRASE`] bytes within a timeout.
//!
//! When otp runs in the foreground of a terminal, the command gets that
//! terminal as if it had been typed in the shell: the terminal as its
//! standard input, and otp's own process group, which is the terminal's
//! foreground group, so that `keepassxc-cli` can ask for its database's
//! password, `read </dev/tty` is not stopped by the kernel, and Ctrl-C
//! reaches it. Without one it gets no input, in a process group of its own.
//!
//! Whatever ends otp's wait ends the command: the timeout, or SIGINT,
//! SIGTERM or SIGHUP to otp, which stop the command and everything it
//! started (its process group, or in a terminal every process under it)
//! before otp reports them. A SIGKILL of otp cannot be seen by otp: when
//! the front end names a warden (otp's own binary, [`super::warden`]), the
//! command runs under it, and the warden, told by the kernel that otp is
//! gone, stops it.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use zeroize::Zeroizing;

use super::input::{
    MAX_PASSPHRASE, PassphraseError, bounded, read_at_most, without_newline, without_secrets,
};
use crate::secret::Passphrase;

/// How often the wait looks at the signals otp received.
const TICK: Duration = Duration::from_millis(20);

/// Runs `command` (under `warden`, when one is named) and takes its
/// standard output as the passphrase.
pub fn run(
    command: &str,
    timeout: Duration,
    warden: Option<&Path>,
) -> Result<Passphrase, PassphraseError> {
    let terminal = Terminal::foreground();
    let on_terminal = terminal.is_some();
    let mut cmd = match warden {
        Some(otp) => {
            let mut cmd = Command::new(otp);
            cmd.arg("passphrase-warden")
                .arg("--parent")
                .arg(std::process::id().to_string())
                .arg("--");
            cmd
        }
        None => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c");
            cmd
        }
    };
    cmd.arg(command)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match terminal.as_ref().and_then(|t| t.tty.try_clone().ok()) {
        Some(tty) => cmd.stdin(Stdio::from(tty)),
        None => cmd.stdin(Stdio::null()).process_group(0),
    };
    without_secrets(&mut cmd);
    let signals = Signals::watch();
    let _subreaper = on_terminal.then(Subreaper::become_one);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        // otp's binary replaced or gone since it started: the command runs
        // without a warden rather than not at all.
        Err(_) if warden.is_some() => {
            drop(_subreaper);
            drop(signals);
            return run(command, timeout, None);
        }
        Err(e) => return Err(PassphraseError::CommandSpawn(e)),
    };
    let stop = |child: &mut Child| {
        stop(child, on_terminal);
        // A command killed while it read a password without echo would
        // leave the terminal so.
        if let Some(terminal) = &terminal {
            terminal.restore();
        }
    };
    let deadline = Instant::now() + timeout;
    // The output is read on its own thread, so that the wait can end.
    let stdout = child.stdout.take();
    let (sent, received) = mpsc::channel();
    std::thread::spawn(move || {
        let read = stdout
            .map(|out| read_at_most(out, MAX_PASSPHRASE + 2, "the passphrase command's output"));
        let _ = sent.send(read);
    });
    let output: Zeroizing<Vec<u8>> = loop {
        if let Some(signal) = signals.received() {
            stop(&mut child);
            return Err(PassphraseError::CommandInterrupted(signal));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left.min(TICK)) {
            Ok(Some(Ok(output))) => break output,
            Ok(Some(Err(e))) => {
                stop(&mut child);
                return Err(e);
            }
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                stop(&mut child);
                return Err(PassphraseError::CommandSpawn(std::io::Error::other(
                    "its output could not be read",
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                stop(&mut child);
                return Err(PassphraseError::CommandTimeout(timeout.as_secs()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    };
    // Its output is closed; it should be exiting. It gets the rest of the
    // time to do so.
    let status = loop {
        if let Some(signal) = signals.received() {
            stop(&mut child);
            return Err(PassphraseError::CommandInterrupted(signal));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                stop(&mut child);
                return Err(PassphraseError::CommandTimeout(timeout.as_secs()));
            }
            Err(e) => return Err(PassphraseError::CommandSpawn(e)),
        }
    };
    // A signal that came as the command ended is not lost.
    if let Some(signal) = signals.received() {
        return Err(PassphraseError::CommandInterrupted(signal));
    }
    if !status.success() {
        return Err(PassphraseError::CommandFailed(status));
    }
    let passphrase = bounded(without_newline(output), "the passphrase command's output")?;
    if passphrase.is_empty() {
        return Err(PassphraseError::CommandEmpty);
    }
    Ok(passphrase)
}

/// The controlling terminal, when otp is in its foreground process group
/// (a command run in the background must not take it), with its settings
/// as they were before the command ran.
struct Terminal {
    tty: File,
    saved: Option<rustix::termios::Termios>,
}

impl Terminal {
    fn foreground() -> Option<Terminal> {
        let tty = File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        let foreground = rustix::termios::tcgetpgrp(&tty).ok()?;
        if foreground != rustix::process::getpgrp() {
            return None;
        }
        let saved = rustix::termios::tcgetattr(&tty).ok();
        Some(Terminal { tty, saved })
    }

    /// Puts the settings back (echo, above all).
    fn restore(&self) {
        if let Some(saved) = &self.saved {
            let _ =
                rustix::termios::tcsetattr(&self.tty, rustix::termios::OptionalActions::Now, saved);
        }
    }
}

/// otp as the subreaper of what the command starts, for as long as it runs
/// (Linux's PR_SET_CHILD_SUBREAPER), so that nothing it starts escapes to
/// init when its parent dies first.
pub(super) struct Subreaper;

impl Subreaper {
    pub(super) fn become_one() -> Subreaper {
        let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
        Subreaper
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        let _ = rustix::process::set_child_subreaper(None);
    }
}

/// SIGINT, SIGTERM and SIGHUP, noted while the command runs instead of
/// ending otp at once, so that the command is stopped first. The handlers
/// are installed once a process and stay: outside a command's run they do
/// what the signal's default does (end otp), as if none were there.
pub(super) struct Signals {
    got: &'static AtomicUsize,
    armed: &'static AtomicBool,
}

impl Signals {
    pub(super) fn watch() -> Signals {
        static HANDLERS: OnceLock<(Arc<AtomicUsize>, Arc<AtomicBool>)> = OnceLock::new();
        let (got, armed) = HANDLERS.get_or_init(|| {
            let got = Arc::new(AtomicUsize::new(0));
            // True: the default action (otp ends). False while a command runs.
            let armed = Arc::new(AtomicBool::new(true));
            for signal in [SIGINT, SIGTERM, SIGHUP] {
                let Ok(value) = usize::try_from(signal) else {
                    continue;
                };
                let _ = signal_hook::flag::register_usize(signal, Arc::clone(&got), value);
                let _ = signal_hook::flag::register_conditional_default(signal, Arc::clone(&armed));
            }
            (got, armed)
        });
        got.store(0, Ordering::SeqCst);
        armed.store(false, Ordering::SeqCst);
        Signals { got, armed }
    }

    /// The name of a signal received since [`Signals::watch`].
    pub(super) fn received(&self) -> Option<&'static str> {
        match i32::try_from(self.got.load(Ordering::SeqCst)).ok()? {
            SIGINT => Some("SIGINT (Ctrl-C)"),
            SIGTERM => Some("SIGTERM"),
            SIGHUP => Some("SIGHUP"),
            _ => None,
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.armed.store(true, Ordering::SeqCst);
    }
}

/// Kills the command and everything it started, and reaps it: its process
/// group, or on a terminal (where it shares otp's group) every process
/// under otp, found through /proc before any is killed. While the command
/// runs, otp has no other child, and it is a subreaper ([`Subreaper`]):
/// what the command started and left (a job in the background of `sh`,
/// orphaned when Ctrl-C ended `sh`) is otp's to find.
pub(super) fn stop(child: &mut Child, on_terminal: bool) {
    let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if on_terminal {
        // Stopped first, listed again until nothing new appears, then
        // killed: a stopped process neither exits nor starts another, so
        // no number in the list can meanwhile name someone else.
        let mut stopped: Vec<rustix::process::Pid> = Vec::new();
        for _ in 0..16 {
            let new: Vec<_> = descendants(rustix::process::getpid())
                .into_iter()
                .filter(|pid| !stopped.contains(pid))
                .collect();
            if new.is_empty() {
                break;
            }
            for &pid in &new {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::STOP);
            }
            stopped.extend(new);
        }
        for &pid in &stopped {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    } else {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
    // The orphans that became otp's (already dead ones; the rest are
    // reaped by init once otp ends, soon after).
    while rustix::process::wait(rustix::process::WaitOptions::NOHANG).is_ok_and(|w| w.is_some()) {}
}

/// Every process under `pid`, children first listed before theirs, from
/// /proc/PID/task/TID/children.
fn descendants(pid: rustix::process::Pid) -> Vec<rustix::process::Pid> {
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(parent) = next.pop() {
        let tasks = format!("/proc/{}/task", parent.as_raw_nonzero());
        let Ok(tasks) = std::fs::read_dir(tasks) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for child in children.split_whitespace() {
                if let Some(child) = child.parse().ok().and_then(rustix::process::Pid::from_raw) {
                    found.push(child);
                    next.push(child);
                }
            }
        }
        // A bound against a runaway fork: nothing real starts this many.
        if found.len() > 4096 {
            break;
        }
    }
    found
}
