//! `otp init`: a new, empty vault, at a KDF cost this machine can afford.

use clap::Args;
use otpvault::Vault;
use otpvault::crypto::cost::Requested;
use otpvault::terminal::ShownPath;
use otpvault::vault::CreateError;
use otpvault::vault::store::StoreError;

use super::Failure;
use super::context::{Context, choose_kdf};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Argon2id memory in MiB (default 512).
    #[arg(long, value_name = "MIB")]
    kdf_memory_mib: Option<u32>,
    /// Argon2id passes over the memory (default 2).
    #[arg(long, value_name = "N")]
    kdf_iterations: Option<u32>,
    /// Argon2id lanes (default 4).
    #[arg(long, value_name = "N")]
    kdf_parallelism: Option<u32>,
    /// Choose the memory by measuring: the most (from the default up) that
    /// unlocks within --target-ms on this machine.
    #[arg(long, conflicts_with = "kdf_memory_mib")]
    kdf_calibrate: bool,
    /// The unlock time --kdf-calibrate aims at.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 500,
        requires = "kdf_calibrate"
    )]
    target_ms: u64,
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<(), Failure> {
    if ctx.vault_path().exists() {
        return Err(CreateError::File(StoreError::Exists(ctx.vault_path().into())).into());
    }
    let kdf = choose_kdf(Requested {
        memory_mib: args.kdf_memory_mib,
        iterations: args.kdf_iterations,
        parallelism: args.kdf_parallelism,
        calibrate: args
            .kdf_calibrate
            .then(|| std::time::Duration::from_millis(args.target_ms)),
    })?;
    let passphrase = ctx.new_passphrase(true, kdf)?;
    drop(Vault::create(
        ctx.vault_path(),
        &passphrase,
        kdf,
        ctx.settings,
    )?);
    note!(
        "otp: created the vault {} (Argon2id {} MiB, {} iterations, {} lanes)",
        ShownPath(ctx.vault_path()),
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    );
    Ok(())
}
