//! The vault's keys: `otp passwd` changes the passphrase, `otp
//! recovery-key [--remove]` makes (or removes) the paper recovery key, and
//! `otp recover` uses it to set a new passphrase.

use std::io::{self, IsTerminal};

use clap::Args;
use otpvault::Vault;
use otpvault::dispatch;
use otpvault::recovery::RecoveryKey;
use otpvault::terminal::ShownPath;
use otpvault::vault::{Access, Rotated, Unlock};
use zeroize::Zeroizing;

use super::Failure;
use super::context::{Context, report_saved};
use super::input::{self, InputError, Need};

#[derive(Args, Debug)]
pub struct RecoveryKeyArgs {
    /// Remove the recovery key: it no longer opens the vault.
    #[arg(long)]
    remove: bool,
}

pub fn recovery_key(ctx: &Context, args: RecoveryKeyArgs) -> Result<(), Failure> {
    ctx.passphrase_even_if_unlocked("recovery-key");
    let mut vault = ctx.open_for_update()?;
    if args.remove {
        if !vault.remove_recovery_key() {
            note!("otp: the vault has no recovery key: nothing was changed");
            return Ok(());
        }
        report_saved(vault.save()?);
        note!(
            "otp: removed the recovery key: it no longer opens the vault (backups made while it existed still open with it)"
        );
        return Ok(());
    }
    let replaced = vault.has_recovery_key();
    let key = RecoveryKey::generate();
    vault.set_recovery_key(&key)?;
    // Shown the moment it opens the vault, and not before: before the
    // previous file is kept as a backup, which can fail or be killed.
    let mut shown = Ok(());
    let saved = vault.save_and(|| shown = out!("{}", key.to_text().as_str()))?;
    shown?;
    report_saved(saved);
    note!(
        "otp: write this recovery key on paper and keep it apart from this computer: with it, anyone can open the vault without the passphrase{}",
        if replaced {
            "; the old recovery key no longer opens it"
        } else {
            ""
        }
    );
    Ok(())
}

/// The longest line of recovery key read from stdin.
const MAX_TYPED: u64 = 1024;

/// The recovery key: `OTP_RECOVERY_KEY`, else a prompt without echo, else
/// one line of standard input.
fn read_recovery_key() -> Result<RecoveryKey, Failure> {
    let typed: Zeroizing<String> = if let Some(value) = std::env::var_os("OTP_RECOVERY_KEY") {
        Zeroizing::new(value.to_string_lossy().into_owned())
    } else if io::stdin().is_terminal() {
        let typed = input::prompt_hidden("Recovery key (input hidden): ", Need::RecoveryKey)?;
        Zeroizing::new(String::from_utf8_lossy(typed.expose()).into_owned())
    } else {
        let bytes =
            input::read_at_most(io::stdin(), MAX_TYPED, "the recovery key on standard input")?;
        let text =
            std::str::from_utf8(&bytes).map_err(|_| InputError::NotText("the recovery key"))?;
        Zeroizing::new(text.lines().next().unwrap_or_default().to_string())
    };
    Ok(RecoveryKey::parse(&typed)?)
}

pub fn passwd(ctx: &Context) -> Result<(), Failure> {
    ctx.passphrase_even_if_unlocked("passwd");
    let mut vault = ctx.open_for_update()?;
    let new = ctx.new_passphrase(false, vault.kdf())?;
    let rotated = vault.change_passphrase(&new)?;
    report_saved(vault.save()?);
    note!(
        "otp: changed the passphrase of {}, and sealed it with a new key: backups and copies made before still open with the old passphrase, and nothing written from now on does",
        ShownPath(vault.path())
    );
    say_rotated(rotated);
    if dispatch::lock_stale_agent(vault.path()) {
        note!(
            "otp: locked the agent, which held the old key: run `otp unlock` to unlock with the new passphrase"
        );
    }
    Ok(())
}

/// What a new data key could not take along.
fn say_rotated(rotated: Rotated) {
    if rotated.dropped_recovery_key {
        note!(
            "otp: the recovery key was made by an older otpvault and cannot follow a new key: it no longer opens this vault or any copy written from now on; make a new one with `otp recovery-key`"
        );
    }
    if rotated.dropped_unknown > 0 {
        super::warn(&format!(
            "{} slot{} of a newer otpvault could not follow the new key and {} dropped",
            rotated.dropped_unknown,
            if rotated.dropped_unknown == 1 {
                ""
            } else {
                "s"
            },
            if rotated.dropped_unknown == 1 {
                "was"
            } else {
                "were"
            }
        ));
    }
}

pub fn recover(ctx: &Context) -> Result<(), Failure> {
    ctx.require_vault()?;
    let key = read_recovery_key()?;
    let mut vault = Vault::open(
        ctx.vault_path(),
        Unlock::Recovery(&key),
        Access::Update,
        ctx.settings,
    )?;
    let new = ctx.new_passphrase(false, vault.kdf())?;
    let rotated = vault.change_passphrase(&new)?;
    if rotated.dropped_recovery_key {
        // The paper key was just typed: it follows the new key as a
        // recipient, in the slot format 3 keeps.
        vault.set_recovery_key(&key)?;
    }
    report_saved(vault.save()?);
    note!(
        "otp: {} has a new passphrase and a new key, and the recovery key still opens it",
        ShownPath(vault.path())
    );
    say_rotated(Rotated {
        dropped_recovery_key: false,
        ..rotated
    });
    if dispatch::lock_stale_agent(vault.path()) {
        note!(
            "otp: locked the agent, which held the old key: run `otp unlock` to unlock with the new passphrase"
        );
    }
    Ok(())
}
