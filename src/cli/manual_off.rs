//! Completion scripts and manual pages, in a build without the shell
//! feature: the commands are there, and say which feature makes them.

use clap::Args;
use otpvault::error::NotBuilt;

use super::Failure;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    shell: String,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The page of this command.
    command: Option<String>,
}

pub fn completions(_: clap::Command, _: &CompletionsArgs) -> Result<(), Failure> {
    Err(NotBuilt("shell").into())
}

pub fn man(_: clap::Command, _: &ManArgs) -> Result<(), Failure> {
    Err(NotBuilt("shell").into())
}
