//! Copying a code to the clipboard, and taking it away again.
//!
//! A code on the clipboard outlives its use: it is pasted by accident into
//! a chat, or read by the next program that looks. So a copy is cleared
//! after [`crate::config::DEFAULT_CLEAR_AFTER`], as `pass -c` and phone apps do, but only if
//! the clipboard still holds that code: whatever the user copied since is
//! theirs.
//!
//! Two clipboards are used. The system's (X11 or Wayland, through arboard)
//! belongs to a process: on X11 the text is served by the process that set
//! it, so the [`Holder`] lives in a small process of its own for as long as
//! the code is offered. Over SSH, or with no display, the terminal's own
//! clipboard is reached with the OSC 52 escape sequence ([`osc52`]), which
//! most terminals and tmux accept; a terminal cannot be asked what its
//! clipboard holds, so such a copy cannot be cleared safely and is not.

use crate::error::{ErrorKind, Kinded};
use std::time::Duration;

use data_encoding::BASE64;
use thiserror::Error;
use zeroize::Zeroizing;

/// The system clipboard through arboard, or without the clipboard feature
/// a stand-in that says it was not built.
#[cfg_attr(not(feature = "clipboard"), path = "holder_off.rs")]
mod holder;
pub use holder::Holder;

use crate::clock::{self, ClockError};
use crate::entry::{Current, Entry};
use crate::otp::Code;
use crate::vault::CodeError;

#[derive(Debug, Error)]
pub enum ClipboardError {
    #[error(
        "no clipboard to copy to: no display (DISPLAY or WAYLAND_DISPLAY) and no terminal; leave out --copy to print the code"
    )]
    Unavailable,
    /// What arboard said failed; never the text.
    #[error(
        "the system clipboard cannot be used ({0}): check DISPLAY or WAYLAND_DISPLAY, or leave out --copy to print the code"
    )]
    System(SystemProblem),
    /// There is a display, but this otp cannot use its clipboard.
    #[error(transparent)]
    NotBuilt(#[from] crate::error::NotBuilt),
}

/// What went wrong with the system clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemProblem {
    NotSupported,
    Busy,
    Conversion,
    NoText,
    /// Any other failure of the display server's clipboard.
    Failed,
}

impl std::fmt::Display for SystemProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SystemProblem::NotSupported => "not supported here",
            SystemProblem::Busy => "busy",
            SystemProblem::Conversion => "conversion failed",
            SystemProblem::NoText => "no text",
            SystemProblem::Failed => "the display server's clipboard failed",
        })
    }
}

/// Which clipboard a copy goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The desktop's clipboard (X11 or Wayland).
    System,
    /// The terminal's clipboard, through OSC 52.
    Terminal,
}

/// What the environment says about where a copy can go.
#[derive(Debug, Clone, Copy, Default)]
pub struct Surroundings {
    /// DISPLAY or WAYLAND_DISPLAY is set.
    pub display: bool,
    /// SSH_TTY or SSH_CONNECTION is set: the user's screen is elsewhere.
    pub ssh: bool,
    /// A terminal is there to send OSC 52 to.
    pub terminal: bool,
}

impl Surroundings {
    /// The environment of this process; `terminal` is the caller's to say.
    pub fn of_this_process(terminal: bool) -> Surroundings {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Surroundings {
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            ssh: set("SSH_TTY") || set("SSH_CONNECTION"),
            terminal,
        }
    }

    /// The clipboards to try, best first. Over SSH the user's own screen is
    /// the terminal's far end, so OSC 52 comes first; a display forwarded
    /// over SSH is the second choice.
    pub fn routes(self) -> Result<Vec<Route>, ClipboardError> {
        let mut routes = Vec::with_capacity(2);
        if self.terminal && self.ssh {
            routes.push(Route::Terminal);
        }
        if self.display && holder::BUILT {
            routes.push(Route::System);
        }
        if self.terminal && !self.ssh {
            routes.push(Route::Terminal);
        }
        if routes.is_empty() && self.display {
            return Err(crate::error::NotBuilt("clipboard").into());
        }
        if routes.is_empty() {
            return Err(ClipboardError::Unavailable);
        }
        Ok(routes)
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> Zeroizing<String> {
    let mut sequence = Zeroizing::new(String::with_capacity(16 + text.len() * 2));
    sequence.push_str("\x1b]52;c;");
    BASE64.encode_append(text.as_bytes(), &mut sequence);
    sequence.push('\x07');
    sequence
}

/// The most codes a [`Schedule`] holds: a period of 1 s and a clear time
/// of an hour would need 3,600, and a copy is not kept current that long.
pub const MAX_STEPS: usize = 64;

/// What a clipboard holder offers over time: a code from the start, and
/// each following code from the moment (in milliseconds after the start)
/// its period begins.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    steps: Vec<(u64, Code)>,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Schedule({} codes)", self.steps.len())
    }
}

/// A holder was handed something that is not a schedule.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("the clipboard holder was handed no code it can use")]
pub struct BadSchedule;

impl Schedule {
    /// One code, kept until the clipboard is cleared.
    pub fn single(code: &Code) -> Schedule {
        Schedule {
            steps: vec![(0, code.clone())],
        }
    }

    /// `entry`'s code at this moment, then each following one as its
    /// period begins, until `clear_after`; for a counter-based entry, its
    /// current code alone (the caller has used it up).
    pub fn now(entry: &Entry, clear_after: Duration) -> Result<Schedule, CodeError> {
        let now = clock::now()?;
        match entry.current(now)? {
            Some(current) => Ok(Schedule::following(entry, &current, clear_after)?),
            None => Ok(Schedule::single(&entry.code(now)?)),
        }
    }

    /// `current`'s code now, then each code of `entry` as its period
    /// begins, until `clear_after` (at most [`MAX_STEPS`] codes).
    pub fn following(
        entry: &Entry,
        current: &Current,
        clear_after: Duration,
    ) -> Result<Schedule, ClockError> {
        let mut steps = vec![(0, current.code.clone())];
        let now_ms = clock::now_millis()?;
        let period = u64::from(current.period.max(1));
        // The first turn of the period, in Unix seconds.
        let first_turn = (now_ms / 1000).saturating_add(current.remaining);
        let clear_ms = u64::try_from(clear_after.as_millis()).unwrap_or(u64::MAX);
        for n in 0..(MAX_STEPS as u64 - 1) {
            let turn = first_turn.saturating_add(n.saturating_mul(period));
            let after = turn.saturating_mul(1000).saturating_sub(now_ms);
            if after >= clear_ms {
                break;
            }
            match entry.code(turn) {
                Ok(code) => steps.push((after, code)),
                Err(_) => break,
            }
        }
        Ok(Schedule { steps })
    }

    /// The codes in order, with when each begins (ms after the start).
    pub fn steps(&self) -> &[(u64, Code)] {
        &self.steps
    }

    /// The schedule as one line, for the holder's standard input.
    pub fn to_line(&self) -> Zeroizing<String> {
        let mut line = Zeroizing::new(String::with_capacity(self.steps.len() * 24));
        for (i, (after, code)) in self.steps.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push_str(&format!("{after}:{}", code.as_str()));
        }
        line
    }

    /// A schedule from [`Schedule::to_line`]'s line.
    pub fn from_line(line: &str) -> Result<Schedule, BadSchedule> {
        let mut steps = Vec::new();
        let mut last = 0;
        for step in line.split_ascii_whitespace().take(MAX_STEPS) {
            let (after, code) = step.split_once(':').ok_or(BadSchedule)?;
            let after: u64 = after.parse().map_err(|_| BadSchedule)?;
            if after < last || code.is_empty() || code.len() > 16 {
                return Err(BadSchedule);
            }
            last = after;
            steps.push((after, Code::from_digits(code).ok_or(BadSchedule)?));
        }
        if steps.is_empty() {
            return Err(BadSchedule);
        }
        Ok(Schedule { steps })
    }
}

/// What became of a copied text when a [`Holder`] let it go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The time was up and the clipboard still held the text: it was cleared.
    Cleared,
    /// Something else was copied meanwhile: left as it is.
    Replaced,
}

impl Kinded for ClipboardError {
    fn kind(&self) -> ErrorKind {
        match self {
            ClipboardError::Unavailable | ClipboardError::System(_) => ErrorKind::Environment,
            ClipboardError::NotBuilt(e) => e.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_the_text_in_base64() {
        assert_eq!(osc52("773698").as_str(), "\x1b]52;c;NzczNjk4\x07");
    }

    #[test]
    #[cfg(feature = "clipboard")]
    fn routes_prefer_the_screen_the_user_looks_at() {
        let at = |display, ssh, terminal| {
            Surroundings {
                display,
                ssh,
                terminal,
            }
            .routes()
            .ok()
        };
        use Route::*;
        assert_eq!(at(true, false, true), Some(vec![System, Terminal]));
        assert_eq!(at(true, false, false), Some(vec![System]));
        assert_eq!(at(false, false, true), Some(vec![Terminal]));
        assert_eq!(at(true, true, true), Some(vec![Terminal, System]));
        assert_eq!(at(false, true, true), Some(vec![Terminal]));
        assert_eq!(at(false, true, false), None);
        assert_eq!(at(false, false, false), None);
    }
}
