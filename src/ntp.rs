//! What time it really is: the clock's offset from an NTP server, asked
//! over SNTP (RFC 4330) with rsntp.
//!
//! A TOTP code is only as right as the clock. Servers accept a code for
//! its period and usually one period either side, so a clock a few seconds
//! off is harmless and one off by more than about half a period starts to
//! cost codes. [`TOLERANCE`] is the line `otp time` draws.

use crate::error::{ErrorKind, Kinded};
use std::time::Duration;

use thiserror::Error;

use crate::terminal::Escaped;

/// The server asked when none is given.
pub const DEFAULT_SERVER: &str = "pool.ntp.org";
/// How long to wait for the server's answer (once its name is resolved).
pub const TIMEOUT: Duration = Duration::from_secs(3);
/// The largest offset, in seconds, that is called fine: a sixth of a
/// 30-second period.
pub const TOLERANCE: f64 = 5.0;

/// The clock measured against a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub server: String,
    /// The server's time minus this machine's, in seconds: positive when
    /// this clock is behind.
    pub offset_seconds: f64,
}

impl Measured {
    /// The offset as it is shown and judged: to a tenth of a second, the
    /// one rounding rule, so that what a person reads is what was judged
    /// (+5.0 and -5.0 alike are within [`TOLERANCE`]).
    pub fn shown(&self) -> f64 {
        (self.offset_seconds * 10.0).round() / 10.0
    }

    /// Whether codes made with this clock, shifted by `shift` seconds
    /// ([`crate::clock::set_offset`]), will be accepted.
    pub fn within_tolerance(&self, shift: i64) -> bool {
        (self.shown() - shift as f64).abs() <= TOLERANCE
    }

    /// The verdict on this clock and on the shift, each on its own.
    pub fn verdict(&self, shift: i64) -> Verdict {
        let clock_right = self.shown().abs() <= TOLERANCE;
        match (clock_right, shift == 0, self.within_tolerance(shift)) {
            (true, true, _) => Verdict::Right,
            (_, false, true) => Verdict::MadeUpByShift,
            (false, true, _) => Verdict::ClockOff,
            (true, false, false) => Verdict::ShiftWrong,
            (false, false, false) => Verdict::BothOff,
        }
    }

    /// The sentence that says how this clock compares.
    pub fn sentence(&self) -> String {
        let shown = self.shown();
        if shown == 0.0 {
            return format!(
                "This clock agrees with {} to within a tenth of a second.",
                Escaped(&self.server)
            );
        }
        let direction = if shown > 0.0 { "behind" } else { "ahead of" };
        format!(
            "This clock is {:.1} s {direction} {}.",
            shown.abs(),
            Escaped(&self.server)
        )
    }
}

/// What is right and what is wrong, the raw clock and the shift
/// (`OTP_TIME_OFFSET`) judged apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The clock is right and nothing shifts it.
    Right,
    /// The clock is off, and the shift makes up for it.
    MadeUpByShift,
    /// The clock is off and nothing shifts it.
    ClockOff,
    /// The clock is right, but the shift moves codes away from it.
    ShiftWrong,
    /// The clock is off, and the shift does not make up for it.
    BothOff,
}

impl Verdict {
    pub fn is_fine(self) -> bool {
        matches!(self, Verdict::Right | Verdict::MadeUpByShift)
    }
}

#[derive(Debug, Error)]
pub enum TimeError {
    #[error(
        "no answer from the time server {} within 3 s: check the network, or give another server with --server",
        Escaped(.server)
    )]
    NoAnswer { server: String },
    #[error(
        "the time server {} could not be reached ({reason}): check the network connection, or give another server with --server",
        Escaped(.server)
    )]
    Unreachable { server: String, reason: String },
    #[error(
        "the time server {} sent an answer that is not a valid SNTP reply: give another server with --server",
        Escaped(.server)
    )]
    BadReply { server: String },
    #[error(transparent)]
    NotBuilt(#[from] crate::error::NotBuilt),
    /// A clock, or a shift, that makes codes sites may refuse.
    #[error("{}", off(.measured, *.shift))]
    Off { measured: Measured, shift: i64 },
}

fn off(m: &Measured, shift: i64) -> String {
    let shown = m.shown();
    let direction = if shown > 0.0 { "behind" } else { "ahead of" };
    let server = Escaped(&m.server);
    let clock = format!("this clock is {:.1} s {direction} {server}", shown.abs());
    let fix = format!(
        "turn on time sync (on Linux: timedatectl set-ntp true), or set OTP_TIME_OFFSET={:.0} if the clock cannot be fixed",
        shown
    );
    match m.verdict(shift) {
        Verdict::ShiftWrong => format!(
            "this clock is right (within {TOLERANCE} s of {server}), but OTP_TIME_OFFSET ({shift:+} s) moves codes away from it, so sites may refuse them: unset OTP_TIME_OFFSET (and time_offset in the config file)"
        ),
        Verdict::BothOff => format!(
            "{clock}, and OTP_TIME_OFFSET ({shift:+} s) does not make up for it, so sites may refuse its codes: {fix}"
        ),
        _ => format!("{clock}, so sites may refuse its codes: {fix}"),
    }
}

/// Without the time-sync feature, no server is asked.
#[cfg(not(feature = "time-sync"))]
pub fn measure(_: &str) -> Result<Measured, TimeError> {
    Err(crate::error::NotBuilt("time-sync").into())
}

/// Asks `server` (`host` or `host:port`) for the time.
#[cfg(feature = "time-sync")]
pub fn measure(server: &str) -> Result<Measured, TimeError> {
    let mut client = rsntp::SntpClient::new();
    client.set_timeout(TIMEOUT);
    match client.synchronize(server) {
        Ok(result) => Ok(Measured {
            server: server.to_string(),
            offset_seconds: result.clock_offset().as_secs_f64(),
        }),
        Err(rsntp::SynchronizationError::IOError(e)) => Err(match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => TimeError::NoAnswer {
                server: server.to_string(),
            },
            // No route, no name server, no such name: nothing was asked.
            _ => TimeError::Unreachable {
                server: server.to_string(),
                reason: e.to_string(),
            },
        }),
        Err(rsntp::SynchronizationError::ProtocolError(_)) => Err(TimeError::BadReply {
            server: server.to_string(),
        }),
    }
}

impl Kinded for TimeError {
    fn kind(&self) -> ErrorKind {
        match self {
            TimeError::NoAnswer { .. }
            | TimeError::Unreachable { .. }
            | TimeError::BadReply { .. } => ErrorKind::Environment,
            TimeError::NotBuilt(e) => e.kind(),
            TimeError::Off { .. } => ErrorKind::ClockOff,
        }
    }
}
