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
//! before otp reports them. A SIGKILL of otp cannot be seen: a command
//! that outlives it is still bounded by nothing but itself (setting a
//! parent-death signal needs code between fork and exec, which this
//! crate, free of unsafe code, does not run).

use std::fs::File;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
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

/// Runs `command` and takes its standard output as the passphrase.
pub fn run(command: &str, timeout: Duration) -> Result<Passphrase, PassphraseError> {
    let terminal = foreground_terminal();
    let on_terminal = terminal.is_some();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    match terminal {
        Some(tty) => cmd.stdin(Stdio::from(tty)),
        None => cmd.stdin(Stdio::null()).process_group(0),
    };
    without_secrets(&mut cmd);
    let signals = Signals::watch();
    let _subreaper = on_terminal.then(Subreaper::become_one);
    let mut child = cmd.spawn().map_err(PassphraseError::CommandSpawn)?;
    let stop = |child: &mut Child| stop(child, on_terminal);
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
    if !status.success() {
        return Err(PassphraseError::CommandFailed(status));
    }
    let passphrase = bounded(without_newline(output), "the passphrase command's output")?;
    if passphrase.is_empty() {
        return Err(PassphraseError::CommandEmpty);
    }
    Ok(passphrase)
}

/// The controlling terminal, if otp has one and is in its foreground
/// process group (a command run in the background must not take it).
fn foreground_terminal() -> Option<File> {
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let foreground = rustix::termios::tcgetpgrp(&tty).ok()?;
    (foreground == rustix::process::getpgrp()).then_some(tty)
}

/// otp as the subreaper of what the command starts, for as long as it runs
/// (Linux's PR_SET_CHILD_SUBREAPER), so that nothing it starts escapes to
/// init when its parent dies first.
struct Subreaper;

impl Subreaper {
    fn become_one() -> Subreaper {
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
/// are removed when this is dropped.
struct Signals {
    got: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

impl Signals {
    fn watch() -> Signals {
        let got = Arc::new(AtomicUsize::new(0));
        let ids = [SIGINT, SIGTERM, SIGHUP]
            .into_iter()
            .filter_map(|signal| {
                let value = usize::try_from(signal).ok()?;
                signal_hook::flag::register_usize(signal, Arc::clone(&got), value).ok()
            })
            .collect();
        Signals { got, ids }
    }

    /// The name of a signal received since [`Signals::watch`].
    fn received(&self) -> Option<&'static str> {
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
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Kills the command and everything it started, and reaps it: its process
/// group, or on a terminal (where it shares otp's group) every process
/// under otp, found through /proc before any is killed. While the command
/// runs, otp has no other child, and it is a subreaper ([`Subreaper`]):
/// what the command started and left (a job in the background of `sh`,
/// orphaned when Ctrl-C ended `sh`) is otp's to find.
fn stop(child: &mut Child, on_terminal: bool) {
    let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    if on_terminal {
        for pid in descendants(rustix::process::getpid()) {
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
