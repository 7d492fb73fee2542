//! `otp time`: how far this clock is from an NTP server's, since a code is
//! only as right as the clock. See [`otpvault::ntp`].

use clap::Args;
use otpvault::ntp::{self, TimeError, Verdict};
use serde::Serialize;

use super::Failure;
use super::context::Context;

#[derive(Args, Debug)]
pub struct TimeArgs {
    /// The NTP server to ask [default: the config file's ntp_server, else pool.ntp.org].
    #[arg(long, value_name = "HOST[:PORT]")]
    server: Option<String>,
    /// Print {"server": ..., "offset_seconds": ...}.
    #[arg(short, long)]
    json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    server: &'a str,
    offset_seconds: f64,
}

pub fn time(ctx: &Context, args: TimeArgs) -> Result<(), Failure> {
    let server = args.server.as_deref().unwrap_or(ctx.config.time_server());
    let measured = ntp::measure(server)?;
    if args.json {
        let report = Report {
            server: &measured.server,
            offset_seconds: measured.offset_seconds,
        };
        let text = otpvault::terminal::to_json(&report).map_err(|e| Failure::Output(e.into()))?;
        out!("{text}")?;
    } else {
        out!("{}", measured.sentence())?;
    }
    let shift = otpvault::clock::offset();
    match measured.verdict(shift) {
        Verdict::Right => note!(
            "otp: this clock is within {} s of the server's: codes are on time",
            ntp::TOLERANCE
        ),
        Verdict::MadeUpByShift => note!(
            "otp: with OTP_TIME_OFFSET ({shift:+} s), codes are within {} s of the server's time",
            ntp::TOLERANCE
        ),
        Verdict::ClockOff | Verdict::ShiftWrong | Verdict::BothOff => {
            return Err(TimeError::Off { measured, shift }.into());
        }
    }
    Ok(())
}
