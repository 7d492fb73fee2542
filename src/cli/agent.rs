//! `otp unlock` starts the agent (this same binary, `otp agent`, hidden)
//! that holds the vault's key and runs commands' operations with it; `otp
//! lock` makes it forget. See [`otpvault::agent`].

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use otpvault::Vault;
use otpvault::agent::{self, Agent, Answer, Handoff, Request};
use otpvault::clock::human;
use otpvault::config::{Number, Source};
use otpvault::secret::VaultKey;
use otpvault::terminal::ShownPath;
use otpvault::vault::{Access, Settings, Unlock};
use zeroize::Zeroizing;

use super::Failure;
use super::context::Context;
use super::detached;

#[derive(Args, Debug)]
pub struct UnlockArgs {
    /// Lock after this long unused: seconds, or 90s, 15m, 2h [default:
    /// OTP_UNLOCK_TIMEOUT, else 15m]. It locks after 12 hours in any case.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Lock after this long whatever happens (at most, and by default, 12h).
    #[arg(long, value_name = "DURATION")]
    max: Option<String>,
}

/// A duration flag of `otp unlock`, read by the library's bounds.
fn duration(number: Number, text: Option<&str>) -> Result<Option<Duration>, Failure> {
    match text {
        Some(text) => Ok(number.read(text, Source::Flag)?.duration()),
        None => Ok(None),
    }
}

pub fn unlock(ctx: &Context, args: UnlockArgs) -> Result<(), Failure> {
    let timeout = duration(Number::UnlockTimeout, args.timeout.as_deref())?;
    let max = duration(Number::UnlockMax, args.max.as_deref())?;
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
    let (idle, max) = agent::timeouts(timeout, max, ctx.config.unlock_timeout());
    start(ctx, vault.key(), idle, max)?;
    note!(
        "otp: unlocked {} until it is unused for {}, {} at the most; `otp lock` locks it now",
        ShownPath(&agent::canonical(ctx.vault_path())),
        human(idle.as_secs()),
        human(max.as_secs())
    );
    Ok(())
}

/// Starts `otp agent` and hands it the vault's path, its settings and the
/// key on its standard input (its command line says nothing of them);
/// returns once it listens. Descriptors this command inherited (a pipe
/// its caller waits on) are kept from it.
fn start(ctx: &Context, key: &VaultKey, idle: Duration, max: Duration) -> Result<(), Failure> {
    let handoff = Handoff {
        vault: agent::canonical(ctx.vault_path()),
        idle: idle.as_secs(),
        max: max.as_secs(),
        keep_backups: ctx.settings.keep_backups,
        lock_timeout_ms: u64::try_from(ctx.settings.lock_timeout.as_millis()).unwrap_or(u64::MAX),
        key: data_encoding::HEXLOWER.encode(key.expose()),
    };
    let line = Zeroizing::new(serde_json::to_vec(&handoff).unwrap_or_default());
    close_fds::set_fds_cloexec(3, &[]);
    detached::start(&["agent".into()], &line, "the agent")
}

pub fn lock(ctx: &Context) -> Result<(), Failure> {
    let vault = agent::canonical(ctx.vault_path());
    match agent::call(ctx.vault_path(), &Request::Lock) {
        Ok(Some(Answer::Locked)) => note!("otp: locked {}", ShownPath(&vault)),
        Ok(Some(_)) => note!(
            "otp: could not reach the agent of {}: it did not answer as agents do",
            ShownPath(&vault)
        ),
        Ok(None) => note!("otp: {} was not unlocked", ShownPath(ctx.vault_path())),
        Err(e) => {
            note!("otp: could not reach the agent of {}", ShownPath(&vault));
            return Err(e.into());
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct AgentArgs {}

/// The agent itself (started by `otp unlock`): reads what it is handed,
/// leaves the terminal's session, says `ready` once it listens, and serves
/// until it locks. Its standard streams then point at /dev/null.
pub fn run(_ctx: &Context, _args: AgentArgs) -> Result<(), Failure> {
    let line = detached::begin(64 * 1024);
    let Ok(handoff) = serde_json::from_str::<Handoff>(&line) else {
        detached::answer(Err("it was handed no vault".into()));
        return Ok(());
    };
    drop(line);
    let bytes = Zeroizing::new(
        data_encoding::HEXLOWER
            .decode(handoff.key.as_bytes())
            .unwrap_or_default(),
    );
    let Some(key) = VaultKey::from_slice(&bytes) else {
        detached::answer(Err("no key was handed to it".into()));
        return Ok(());
    };
    drop(bytes);
    // Nothing of its memory in a core dump, and no debugger of the same
    // user may attach.
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    let settings = Settings {
        keep_backups: handoff.keep_backups,
        lock_timeout: Duration::from_millis(handoff.lock_timeout_ms),
    };
    let agent = Arc::new(Agent::new(
        &handoff.vault,
        key,
        Duration::from_secs(handoff.idle),
        Duration::from_secs(handoff.max),
        settings,
    ));
    drop(handoff);
    let (listener, socket) = match agent.bind() {
        Ok(bound) => bound,
        Err(e) => {
            detached::answer(Err(e.to_string()));
            return Ok(());
        }
    };
    let (signals, signalled) = match UnixStream::pair() {
        Ok(pair) => pair,
        Err(e) => {
            detached::answer(Err(e.to_string()));
            return Ok(());
        }
    };
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        if let Ok(pipe) = signalled.try_clone() {
            let _ = signal_hook::low_level::pipe::register(signal, pipe);
        }
    }
    let Ok(wake) = UnixStream::pair() else {
        detached::answer(Err("it could not make a pipe".into()));
        return Ok(());
    };
    detached::answer(Ok(()));
    detached::quiet();
    agent.serve(listener, &socket, &signals, wake);
    Ok(())
}
