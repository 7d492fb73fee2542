//! `otp unlock` starts the agent (this same binary, `otp agent`, hidden)
//! that holds the vault's key; `otp lock` makes it forget. See
//! [`otpvault::agent`].

use otpvault::terminal::ShownPath;
use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use otpvault::Vault;
use otpvault::agent::{self, Agent, Reply};
use otpvault::clock::{self, human};
use otpvault::secret::VaultKey;
use otpvault::vault::{Access, Unlock};
use zeroize::Zeroizing;

use super::Failure;
use super::context::Context;
use super::detached;

#[derive(Args, Debug)]
pub struct UnlockArgs {
    /// Lock after this long unused: seconds, or 90s, 15m, 2h [default:
    /// OTP_UNLOCK_TIMEOUT, else 15m]. It locks after 12 hours in any case.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Lock after this long whatever happens (at most, and by default, 12h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max: Option<Duration>,
}

/// A duration for clap: see [`clock::parse_duration`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    clock::parse_duration(text).map_err(|e| e.to_string())
}

pub fn unlock(ctx: &Context, args: UnlockArgs) -> Result<(), Failure> {
    // A socket folder that cannot be trusted is said before any passphrase.
    agent::socket_path(ctx.vault_path(), true)?;
    let passphrase = ctx.passphrase()?;
    let vault = Vault::open(
        ctx.vault_path(),
        Unlock::Passphrase(&passphrase),
        Access::Read,
        ctx.settings,
    )?;
    drop(passphrase);
    let (idle, max) = agent::timeouts(args.timeout, args.max, ctx.config.unlock_timeout());
    start(ctx, vault.key(), idle, max)?;
    note!(
        "otp: unlocked {} until it is unused for {}, {} at the most; `otp lock` locks it now",
        ShownPath(&agent::canonical(ctx.vault_path())),
        human(idle.as_secs()),
        human(max.as_secs())
    );
    Ok(())
}

/// Starts `otp agent` for the vault and hands it the key; returns once it
/// listens.
fn start(ctx: &Context, key: &VaultKey, idle: Duration, max: Duration) -> Result<(), Failure> {
    let args: Vec<OsString> = vec![
        "--vault".into(),
        agent::canonical(ctx.vault_path()).into(),
        "agent".into(),
        "--idle".into(),
        idle.as_secs().to_string().into(),
        "--max".into(),
        max.as_secs().to_string().into(),
    ];
    let hex = Zeroizing::new(data_encoding::HEXLOWER.encode(key.expose()));
    detached::start(&args, hex.as_bytes(), "the agent")
}

pub fn lock(ctx: &Context) -> Result<(), Failure> {
    match agent::ask(ctx.vault_path(), "LOCK")? {
        Reply::Answer(_) => note!(
            "otp: locked {}",
            ShownPath(&agent::canonical(ctx.vault_path()))
        ),
        Reply::NoAgent => note!("otp: {} was not unlocked", ShownPath(ctx.vault_path())),
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct AgentArgs {
    /// Seconds unused before it locks.
    #[arg(long)]
    idle: u64,
    /// Seconds before it locks in any case.
    #[arg(long)]
    max: u64,
}

/// The agent itself (started by `otp unlock`): reads the key from stdin,
/// says `ready` once it listens, and serves until it locks.
pub fn run(ctx: &Context, args: AgentArgs) -> Result<(), Failure> {
    let line = detached::begin(80);
    let bytes = Zeroizing::new(
        data_encoding::HEXLOWER
            .decode(line.as_bytes())
            .unwrap_or_default(),
    );
    let Some(key) = VaultKey::from_slice(&bytes) else {
        detached::answer(Err("no key was handed to it".into()));
        return Ok(());
    };
    let mut agent = Agent::new(
        ctx.vault_path(),
        key,
        Duration::from_secs(args.idle),
        Duration::from_secs(args.max),
    );
    agent.lock_memory();
    let (listener, socket) = match agent.bind() {
        Ok(bound) => bound,
        Err(e) => {
            detached::answer(Err(e.to_string()));
            return Ok(());
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    detached::answer(Ok(()));
    agent.serve(&listener, &socket, &stop);
    // Dropping the agent wipes the key.
    drop(agent);
    Ok(())
}
