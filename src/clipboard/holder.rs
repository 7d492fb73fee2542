//! The system clipboard (X11 or Wayland) through arboard: text offered
//! for as long as a [`Holder`] lives.

use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::{ClipboardError, Kept, Schedule, SystemProblem};
use crate::otp::Code;

/// How often a [`Holder`] looks whether its text was replaced.
const POLL: Duration = Duration::from_millis(200);

/// True when the system clipboard can be used.
pub const BUILT: bool = true;

/// Text on the system clipboard, offered for as long as this lives.
pub struct Holder {
    clipboard: arboard::Clipboard,
}

impl Holder {
    /// Puts `text` on the system clipboard.
    pub fn copy(text: &str) -> Result<Holder, ClipboardError> {
        let mut clipboard = arboard::Clipboard::new().map_err(system)?;
        clipboard.set_text(text).map_err(system)?;
        Ok(Holder { clipboard })
    }

    /// Whether the clipboard still holds `text`; `None` if it could not be
    /// read just now (a clipboard manager busy with it, say).
    pub fn holds(&mut self, text: &str) -> Option<bool> {
        let mut now = self.clipboard.get_text().ok()?;
        let same = now == text;
        now.zeroize();
        Some(same)
    }

    /// Offers the schedule's codes, each in turn, until `deadline`, then
    /// clears the clipboard if it still holds the last one offered (or
    /// cannot tell). A code is replaced by the next only while the
    /// clipboard still holds it; once something else was copied, it is
    /// left alone and this returns. `started` is when the first code was
    /// put on the clipboard.
    pub fn keep_until(mut self, schedule: &Schedule, started: Instant, deadline: Instant) -> Kept {
        let mut steps = schedule.steps().iter();
        let Some((_, first)) = steps.next() else {
            return Kept::Replaced;
        };
        let mut offered = first.clone();
        for (after, next) in steps {
            let at = started + Duration::from_millis(*after);
            if at >= deadline {
                break;
            }
            if self.wait(&offered, at) == Some(Kept::Replaced) {
                return Kept::Replaced;
            }
            if self.holds(offered.as_str()) == Some(false) {
                return Kept::Replaced;
            }
            if self.clipboard.set_text(next.as_str()).is_ok() {
                offered = next.clone();
            }
        }
        if self.wait(&offered, deadline) == Some(Kept::Replaced) {
            return Kept::Replaced;
        }
        let _ = self.clipboard.clear();
        if self.holds(offered.as_str()) != Some(false) {
            // Clearing did not take: overwrite rather than leave the code.
            let _ = self.clipboard.set_text("");
        }
        Kept::Cleared
    }

    /// Waits until `until` while the clipboard holds `offered`; `Replaced`
    /// as soon as it holds something else.
    fn wait(&mut self, offered: &Code, until: Instant) -> Option<Kept> {
        loop {
            if self.holds(offered.as_str()) == Some(false) {
                return Some(Kept::Replaced);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep(POLL.min(until - now));
        }
    }
}

fn system(error: arboard::Error) -> ClipboardError {
    ClipboardError::System(match error {
        arboard::Error::ClipboardNotSupported => SystemProblem::NotSupported,
        arboard::Error::ClipboardOccupied => SystemProblem::Busy,
        arboard::Error::ConversionFailure => SystemProblem::Conversion,
        arboard::Error::ContentNotAvailable => SystemProblem::NoText,
        _ => SystemProblem::Failed,
    })
}
