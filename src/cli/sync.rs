//! One vault on several devices: `merge`, `merge --conflicts`, git's
//! `merge-driver`, and the note every command gives when a sync tool has
//! left conflict copies beside the vault.

use std::path::PathBuf;

use clap::Args;
use otpvault::merge::Report;
use otpvault::terminal::Escaped;
use otpvault::unlock::{self, Opened};
use otpvault::vault::{Access, conflicts, store};

use super::context::{Context, report_saved};
use super::passphrase::Prompt;
use super::{Failure, input::InputError};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Other copies of the vault to merge into it.
    files: Vec<PathBuf>,
    /// Merge the conflict copies a sync tool left beside the vault, then
    /// move them into VAULT.backups/.
    #[arg(long)]
    conflicts: bool,
}

pub fn merge(ctx: &Context, args: MergeArgs) -> Result<(), Failure> {
    let mut files = args.files;
    let found = if args.conflicts {
        conflicts::find(ctx.vault_path())
    } else {
        Vec::new()
    };
    files.extend(found.iter().cloned());
    if files.is_empty() {
        if args.conflicts {
            note!("otp: no conflict copies beside the vault: nothing to merge");
            return Ok(());
        }
        return Err(InputError::NothingToMerge.into());
    }
    let (mut vault, by) = ctx.open_to_merge()?;
    let copies = unlock::open_copies(&vault, &by, &files, &mut Prompt)?;
    let report = vault.merge(&copies);
    report_saved(vault.save()?);
    say(&report, files.len());
    for copy in &found {
        let kept = conflicts::put_away(vault.path(), copy)?;
        note!("otp: moved {} to {}", copy.display(), kept.display());
    }
    Ok(())
}

/// `merged 2 copies: 3 added, 1 removed, 1 renamed (GitHub → GitHub (2)), 0 conflicts`
fn say(report: &Report, copies: usize) {
    let renamed = if report.renamed.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = report
            .renamed
            .iter()
            .map(|(from, to)| format!("{} → {}", Escaped(from), Escaped(to)))
            .collect();
        format!(" ({})", pairs.join(", "))
    };
    note!(
        "otp: merged {copies} cop{}: {} added, {} removed, {} renamed{renamed}, {} conflict{} (the later change won)",
        if copies == 1 { "y" } else { "ies" },
        report.added.len(),
        report.removed.len(),
        report.renamed.len(),
        report.conflicts,
        if report.conflicts == 1 { "" } else { "s" },
    );
    for (dropped, kept) in &report.joined {
        note!(
            "otp: {} and {} were one account (the same key), enrolled twice: kept as {}",
            Escaped(dropped),
            Escaped(kept),
            Escaped(kept)
        );
    }
}

#[derive(Args, Debug)]
pub struct MergeDriverArgs {
    /// The common ancestor (git's %O); not needed by a state merge.
    base: PathBuf,
    /// This branch's vault (git's %A): the merge is written here.
    ours: PathBuf,
    /// The other branch's vault (git's %B).
    theirs: PathBuf,
}

/// git's merge driver: merges THEIRS into OURS and writes the result to
/// OURS, exit 0 on success, so that `git pull` merges vaults without a
/// conflict. The passphrase is OURS's, from the usual sources.
pub fn merge_driver(ctx: &Context, args: MergeDriverArgs) -> Result<(), Failure> {
    let _ = args.base;
    // OURS is a copy of this vault: its agent is asked first.
    let Opened { mut vault, by, .. } = unlock::open_file(
        ctx.vault_path(),
        &args.ours,
        Access::Read,
        ctx.settings,
        &ctx.sources,
        &mut Prompt,
    )?;
    let theirs = unlock::open_copies(&vault, &by, std::slice::from_ref(&args.theirs), &mut Prompt)?;
    let report = vault.merge(&theirs);
    store::write_atomic(&args.ours, &vault.to_file()?, true)?;
    say(&report, 1);
    Ok(())
}
