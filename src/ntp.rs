//! What time it really is: the clock's offset from an NTP server, asked
//! over SNTP (RFC 4330) with rsntp.
//!
//! A TOTP code is only as right as the clock. Servers accept a code for
//! its period and usually one period either side, so a clock a few seconds
//! off is harmless and one off by more than about half a period starts to
//! cost codes. [`TOLERANCE`] is the line `otp time` draws.

use std::time::Duration;

use thiserror::Error;

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
    /// Whether codes made with this clock, shifted by `shift` seconds
    /// ([`crate::clock::set_offset`]), will be accepted.
    pub fn within_tolerance(&self, shift: i64) -> bool {
        (self.offset_seconds - shift as f64).abs() <= TOLERANCE
    }
}

#[derive(Debug, Error)]
pub enum TimeError {
    #[error(
        "no answer from the time server {server} within 3 s ({reason}): check the network, or give another server with --server"
    )]
    NoAnswer { server: String, reason: String },
    #[error(
        "the time server {server} sent an answer that is not a valid SNTP reply: give another server with --server"
    )]
    BadReply { server: String },
    /// The verdict on a [`Measured`] beyond [`TOLERANCE`].
    #[error("{}", off(.0))]
    Off(Measured),
}

fn off(m: &Measured) -> String {
    let direction = if m.offset_seconds > 0.0 {
        "behind"
    } else {
        "ahead of"
    };
    format!(
        "this clock is {:.1} s {direction} {}, so sites may refuse its codes: turn on time sync (on Linux: timedatectl set-ntp true), or set OTP_TIME_OFFSET={:.0} if the clock cannot be fixed",
        m.offset_seconds.abs(),
        m.server,
        m.offset_seconds
    )
}

/// Asks `server` (`host` or `host:port`) for the time.
pub fn measure(server: &str) -> Result<Measured, TimeError> {
    let mut client = rsntp::SntpClient::new();
    client.set_timeout(TIMEOUT);
    match client.synchronize(server) {
        Ok(result) => Ok(Measured {
            server: server.to_string(),
            offset_seconds: result.clock_offset().as_secs_f64(),
        }),
        Err(rsntp::SynchronizationError::IOError(e)) => Err(TimeError::NoAnswer {
            server: server.to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    "timed out".to_string()
                }
                other => other.to_string(),
            },
        }),
        Err(rsntp::SynchronizationError::ProtocolError(_)) => Err(TimeError::BadReply {
            server: server.to_string(),
        }),
    }
}
