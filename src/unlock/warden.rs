//! The passphrase command's warden: otp's own binary, started as
//! `otp passphrase-warden --parent PID -- COMMAND` between otp and
//! `sh -c COMMAND`, so that even a SIGKILL of otp, which otp itself never
//! sees, ends the command and everything it started.
//!
//! The warden asks the kernel for SIGTERM when its parent dies (Linux's
//! PR_SET_PDEATHSIG, set on itself: setting it on the command would need
//! code between fork and exec, which this crate, free of unsafe code, does
//! not run), becomes the subreaper of what the command starts, and on that
//! signal, or SIGINT or SIGHUP, stops every process under it before it
//! exits. Otherwise it passes the command's exit status on. Its standard
//! streams and process group are the command's, as otp set them up.

use std::process::Command;
use std::time::Duration;

use std::os::unix::process::ExitStatusExt;

use super::command::{Signals, Subreaper, stop};

/// How often the warden looks at the command and at the signals.
const TICK: Duration = Duration::from_millis(5);

/// Runs `command` under the warden's watch and returns the exit status to
/// end with: the command's, 128 + its signal if one ended it, and 1 if the
/// warden stopped it (its parent `parent` gone, or a signal).
pub fn serve(command: &str, parent: u32) -> u8 {
    // The handlers first: the parent-death signal must find them.
    let signals = Signals::watch();
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM));
    // otp may have died before the line above, and then no signal comes.
    let parent_alive = rustix::process::getppid()
        .is_some_and(|pid| u32::try_from(pid.as_raw_nonzero().get()).ok() == Some(parent));
    if !parent_alive {
        return 1;
    }
    let _subreaper = Subreaper::become_one();
    let Ok(mut child) = Command::new("sh").arg("-c").arg(command).spawn() else {
        return 127;
    };
    loop {
        if signals.received().is_some() {
            stop(&mut child, true);
            return 1;
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                return match (status.code(), status.signal()) {
                    (Some(code), _) => u8::try_from(code).unwrap_or(1),
                    (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(1),
                    (None, None) => 1,
                };
            }
            Ok(None) => std::thread::sleep(TICK),
            Err(_) => {
                stop(&mut child, true);
                return 1;
            }
        }
    }
}
