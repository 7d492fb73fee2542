//! `otp watch`, in a build without the tui feature: the command is there,
//! and says which feature makes it.

use clap::Args;
use otpvault::error::NotBuilt;

use super::Failure;
use super::context::Context;

#[derive(Args, Debug, Default)]
pub struct WatchArgs {
    /// Show only the accounts whose name, issuer or account contains this.
    query: Option<String>,
}

pub fn watch(_: &Context, _: WatchArgs) -> Result<(), Failure> {
    Err(NotBuilt("tui").into())
}
