//! The stand-in for the system clipboard in a build without the clipboard
//! feature: no route ever leads here (`Surroundings::routes` leaves the
//! system clipboard out), and a holder started anyway says why.

use std::time::Instant;

use super::{ClipboardError, Kept, Schedule};
use crate::error::NotBuilt;

/// True when the system clipboard can be used.
pub const BUILT: bool = false;

/// Never made: [`Holder::copy`] always fails.
pub struct Holder(());

impl Holder {
    pub fn copy(_: &str) -> Result<Holder, ClipboardError> {
        Err(NotBuilt("clipboard").into())
    }

    pub fn keep_until(self, _: &Schedule, _: Instant, _: Instant) -> Kept {
        Kept::Replaced
    }
}
