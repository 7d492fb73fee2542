//! One vault on several devices: `merge`, `merge --conflicts` and git's
//! `merge-driver`. What a merge does is the library's
//! ([`otpvault::merge`], [`otpvault::vault::Vault::merge`]); this file
//! says what it did.

use std::path::PathBuf;

use clap::Args;
use otpvault::clock;
use otpvault::dispatch;
use otpvault::session::{Op, Outcome};
use otpvault::terminal::{Escaped, ShownPath};
use otpvault::unlock::CopiesLeft;
use otpvault::vault::{Merged, conflicts};

use super::context::{Context, report_backup, unexpected};
use super::passphrase::Prompt;
use super::{Failure, input::InputError};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Other copies of the vault to merge into it.
    files: Vec<PathBuf>,
    /// Merge the conflict copies a sync tool left beside the vault, then
    /// move them into VAULT.backups/; a copy that cannot be merged is left
    /// where it is, with why (exit status 14).
    #[arg(long)]
    conflicts: bool,
    /// Merge a copy even if it holds entries last changed before removals
    /// this vault has forgotten (over 400 days ago): such an entry comes
    /// back.
    #[arg(long)]
    accept_old: bool,
}

pub fn merge(ctx: &Context, args: MergeArgs) -> Result<(), Failure> {
    if args.files.is_empty() && !args.conflicts {
        return Err(InputError::NothingToMerge.into());
    }
    if args.files.is_empty() && conflicts::find(ctx.vault_path()).is_empty() {
        note!("otp: no conflict copies beside the vault: nothing to merge");
        return Ok(());
    }
    let copies_named = args.files.len();
    let outcome = ctx.run(Op::Merge {
        files: args.files,
        conflicts: args.conflicts,
        accept_old: args.accept_old,
    })?;
    let Outcome::Merged {
        merged,
        taken,
        left,
        backup,
    } = outcome
    else {
        return Err(unexpected(&outcome));
    };
    report_backup(backup);
    say(&merged, copies_named + taken.len());
    if merged.keys.key_changed && dispatch::lock_stale_agent(ctx.vault_path()) {
        note!(
            "otp: locked the agent, which held the key from before: run `otp unlock` with the vault's passphrase now"
        );
    }
    for (copy, kept) in &taken {
        note!("otp: moved {} to {}", ShownPath(copy), ShownPath(kept));
    }
    for (copy, why) in &left {
        note!("otp: left {} where it is: {why}", ShownPath(copy));
    }
    if !left.is_empty() {
        return Err(CopiesLeft(left.len()).into());
    }
    Ok(())
}

/// `merged 2 copies: 3 added, 1 removed, 1 renamed (GitHub → GitHub (2)), 1 updated`,
/// and a line for each change of keys.
fn say(merged: &Merged, copies: usize) {
    let report = &merged.entries;
    let copies_said = format!("{copies} cop{}", if copies == 1 { "y" } else { "ies" });
    if copies == 0 {
        return;
    }
    if !merged.changed {
        note!("otp: merged {copies_said}: nothing new, so the vault was not rewritten");
        return;
    }
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
        "otp: merged {copies_said}: {} added, {} removed, {} renamed{renamed}, {} updated (each field from the copy that changed it last)",
        report.added.len(),
        report.removed.len(),
        report.renamed.len(),
        report.updated.len(),
    );
    for (dropped, kept) in &report.joined {
        note!(
            "otp: {} and {} were one account (the same key), enrolled twice: kept as {}",
            Escaped(dropped),
            Escaped(kept),
            Escaped(kept)
        );
    }
    let keys = &merged.keys;
    if let Some(when) = keys.passphrase {
        note!(
            "otp: the passphrase was changed on another copy{}: this vault now opens with that passphrase",
            when.map(|t| format!(" on {}", clock::date(t)))
                .unwrap_or_default()
        );
    }
    if let Some(when) = keys.recovery_made {
        note!(
            "otp: a recovery key made on another copy on {} now opens this vault; one made before no longer does",
            clock::date(when)
        );
    }
    if keys.recovery_removed {
        note!("otp: the recovery key was removed on another copy: it no longer opens this vault");
    }
    if let Some(latest) = report.ahead.latest {
        note!(
            "otp: {} change{} stamped as late as {}, more than a day ahead of this computer's clock, counted as made a day from now: check the other device's clock",
            report.ahead.count,
            if report.ahead.count == 1 {
                " was"
            } else {
                "s were"
            },
            clock::date(latest.seconds())
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
    /// Where the vault is in the working tree (git's %P): the vault whose
    /// agent is asked for the key; the configured vault if not given.
    path: Option<PathBuf>,
}

/// git's merge driver: merges THEIRS into OURS and writes the result to
/// OURS, exit 0 on success, so that `git pull` merges vaults without a
/// conflict. OURS opens through the vault's agent when it is unlocked,
/// else with the passphrase from the usual sources.
pub fn merge_driver(ctx: &Context, args: MergeDriverArgs) -> Result<(), Failure> {
    let _ = args.base;
    // git runs the driver at the top of the working tree, where %P is.
    let vault_path = args.path.as_deref().unwrap_or(ctx.vault_path());
    let outcome = dispatch::run(
        vault_path,
        Op::MergeDriver {
            ours: args.ours,
            theirs: args.theirs,
        },
        ctx.settings,
        &ctx.sources,
        &mut Prompt,
    )?;
    let Outcome::Merged { merged, .. } = outcome else {
        return Err(unexpected(&outcome));
    };
    say(&merged, 1);
    Ok(())
}
