//! Copies of the vault: `backup` (an encrypted copy, checked) and
//! `restore` (a copy put back, the replaced file kept).

use otpvault::terminal::ShownPath;
use std::path::Path;

use otpvault::dispatch::{self, Restored};
use otpvault::vault::backups;

use otpvault::session::{Op, Outcome};

use super::context::{Context, report_saved, unexpected};
use super::passphrase::Prompt;
use super::{Failure, warn};

pub fn backup(ctx: &Context, file: &Path, force: bool) -> Result<(), Failure> {
    // Where it goes is checked before the passphrase is asked for.
    otpvault::vault::check_backup_destination(file, force)?;
    let outcome = ctx.run(Op::Backup {
        dest: file.to_path_buf(),
        force,
    })?;
    let Outcome::BackedUp { entries: n } = outcome else {
        return Err(unexpected(&outcome));
    };
    note!(
        "otp: backed up {n} {} to {} and checked that it opens with your passphrase",
        if n == 1 { "entry" } else { "entries" },
        ShownPath(file)
    );
    Ok(())
}

pub fn restore(ctx: &Context, file: Option<&Path>) -> Result<(), Failure> {
    let Some(file) = file else {
        let backups = backups::list(ctx.vault_path())?;
        if backups.is_empty() {
            note!(
                "otp: no automatic backups of {} yet",
                ShownPath(ctx.vault_path())
            );
        }
        for path in backups.iter().rev() {
            out!("{}", ShownPath(path))?;
        }
        if !backups.is_empty() {
            note!("otp: newest first; put one back with `otp restore FILE`");
        }
        return Ok(());
    };
    let Restored { vault, saved } = dispatch::restore(
        ctx.vault_path(),
        file,
        ctx.settings,
        &ctx.sources,
        &mut Prompt,
    )?;
    report_saved(saved);
    if vault.restored_other_slots() {
        warn(
            "the restored copy opens with the passphrase (and recovery key) it had when it was made, which are not the ones the replaced vault had; run `otp passwd` if you want today's passphrase back",
        );
    }
    note!(
        "otp: restored {} ({} entries) from {}; the replaced file is the newest in {}",
        ShownPath(ctx.vault_path()),
        vault.entries().len(),
        ShownPath(file),
        ShownPath(&backups::dir(ctx.vault_path()))
    );
    Ok(())
}
