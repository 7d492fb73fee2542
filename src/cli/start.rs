//! What `otp` alone does, for someone who has not read the help yet.

use std::io::{self, IsTerminal};

use super::Failure;
use super::context::Context;
use super::watch::{self, WatchArgs};

/// `otp` alone: on a terminal, with a vault, the live view; otherwise a
/// short usage that says where to start.
pub fn no_command(ctx: &Context) -> Result<(), Failure> {
    let terminal = io::stdin().is_terminal() && io::stdout().is_terminal();
    if terminal && ctx.vault_path().exists() {
        return watch::watch(ctx, WatchArgs::default());
    }
    out!(
        "otp: TOTP codes from an encrypted vault\n\n  \
         otp add NAME        add an account (paste its setup key) and print its code\n  \
         otp code [QUERY]    print a code; -c copies it instead\n  \
         otp watch           every code, live\n  \
         otp --help          everything else\n\n\
         start with: otp add NAME"
    )
}
