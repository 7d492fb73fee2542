//! `--copy`: a code onto the clipboard instead of the screen, taken away
//! again after a while. The rules are in [`otpvault::clipboard`]; this
//! starts the holder process (`otp clipboard-hold`, hidden) or sends the
//! terminal its OSC 52 sequence.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use otpvault::clipboard::{ClipboardError, Holder, Route, Schedule, Surroundings, osc52};

use super::{Failure, detached};

/// The longest schedule a holder is handed.
const MAX_SCHEDULE: u64 = 4096;

/// The terminal, if there is one to send OSC 52 to.
fn terminal() -> Option<std::fs::File> {
    OpenOptions::new().write(true).open("/dev/tty").ok()
}

/// Whether there is any clipboard to copy to: asked before a code is
/// made, so that an HOTP code is not used up for nothing.
pub fn available() -> Result<(), Failure> {
    Surroundings::of_this_process(terminal().is_some()).routes()?;
    Ok(())
}

/// Copies the first code of `schedule` (the system clipboard then follows
/// the rest), to be cleared after `clear_after` where that can be done
/// safely. Returns where it went.
pub fn copy(schedule: &Schedule, clear_after: Duration) -> Result<Route, Failure> {
    let code = &schedule.steps()[0].1;
    let mut terminal = terminal();
    let routes = Surroundings::of_this_process(terminal.is_some()).routes()?;
    let mut failure = None;
    for route in routes {
        let tried = match route {
            Route::System => {
                let args: Vec<OsString> = vec![
                    "clipboard-hold".into(),
                    "--seconds".into(),
                    clear_after.as_secs().to_string().into(),
                ];
                detached::start(&args, schedule.to_line().as_bytes(), "the clipboard holder")
            }
            Route::Terminal => match terminal.as_mut() {
                Some(tty) => tty
                    .write_all(osc52(code.as_str()).as_bytes())
                    .and_then(|()| tty.flush())
                    .map_err(Failure::Output),
                None => Err(ClipboardError::Unavailable.into()),
            },
        };
        match tried {
            Ok(()) => return Ok(route),
            Err(e) => failure = Some(e),
        }
    }
    Err(failure.unwrap_or_else(|| ClipboardError::Unavailable.into()))
}

#[derive(Args, Debug)]
pub struct HoldArgs {
    /// Seconds to offer the code before clearing it.
    #[arg(long)]
    seconds: u64,
}

/// The holder itself (started by [`copy`]): puts the first code it is
/// handed on the system clipboard, says `ready`, replaces it with the
/// next as each period turns while the clipboard still holds it, and
/// clears it when the time is up if it is still there.
pub fn hold(args: HoldArgs) -> Result<(), Failure> {
    let line = detached::begin(MAX_SCHEDULE);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let schedule = match Schedule::from_line(&line) {
        Ok(schedule) => schedule,
        Err(e) => {
            detached::answer(Err(e.to_string()));
            return Ok(());
        }
    };
    match Holder::copy(schedule.steps()[0].1.as_str()) {
        Ok(holder) => {
            detached::answer(Ok(()));
            let _ = holder.keep_until(&schedule, started, deadline);
        }
        Err(e) => detached::answer(Err(e.to_string())),
    }
    Ok(())
}
