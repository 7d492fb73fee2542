//! `otp unlock` starts the agent (this same binary, `otp agent`, hidden)
//! that holds the vault's key; `otp lock` makes it forget. See
//! [`otpvault::agent`].

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;
use otpvault::Vault;
use otpvault::agent::{self, Agent, Reply};
use otpvault::secret::VaultKey;
use zeroize::Zeroizing;

use super::Failure;
use super::context::Context;
use super::input::InputError;

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

/// `90`, `90s`, `15m`, `2h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let seconds: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: give seconds, or 90s, 15m, 2h"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "{text:?} is not a duration: give seconds, or 90s, 15m, 2h"
            ));
        }
    };
    let duration = Duration::from_secs(seconds.saturating_mul(scale));
    if duration.is_zero() {
        return Err("a timeout of 0 would lock at once: give a longer one".into());
    }
    Ok(duration)
}

/// `1 h 5 min`, `14 min 30 s`, `45 s`.
pub fn human(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) if s == 0 => format!("{m} min"),
        (0, _) => format!("{m} min {s} s"),
        _ if m == 0 => format!("{h} h"),
        _ => format!("{h} h {m} min"),
    }
}

pub fn unlock(
    ctx: &Context,
    args: UnlockArgs,
    env_timeout: Option<Duration>,
) -> Result<(), Failure> {
    // A socket folder that cannot be trusted is said before any passphrase.
    agent::socket_path(ctx.vault_path(), true)?;
    let passphrase = ctx.passphrase()?;
    let vault = Vault::open(ctx.vault_path(), &passphrase, ctx.settings)?;
    drop(passphrase);
    let max = args
        .max
        .unwrap_or(agent::DEFAULT_MAX)
        .min(agent::DEFAULT_MAX);
    let idle = args
        .timeout
        .or(env_timeout)
        .unwrap_or(agent::DEFAULT_IDLE)
        .min(max);
    start(ctx, vault.key(), idle, max)?;
    note!(
        "otp: unlocked {} until it is unused for {}, {} at the most; `otp lock` locks it now",
        agent::canonical(ctx.vault_path()).display(),
        human(idle.as_secs()),
        human(max.as_secs())
    );
    Ok(())
}

/// Starts `otp agent` for the vault, detached, and hands it the key on its
/// standard input (never in its arguments or environment, where other
/// users could read it). Returns once it listens.
fn start(ctx: &Context, key: &VaultKey, idle: Duration, max: Duration) -> Result<(), Failure> {
    let exe = std::env::current_exe().map_err(|e| failed("find otp itself", e))?;
    let mut child = Command::new(exe)
        .arg("--vault")
        .arg(agent::canonical(ctx.vault_path()))
        .args(["agent", "--idle", &idle.as_secs().to_string()])
        .args(["--max", &max.as_secs().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir("/")
        .spawn()
        .map_err(|e| failed("start the agent", e))?;
    {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| failed("start the agent", None))?;
        let mut line = Zeroizing::new(data_encoding::HEXLOWER.encode(key.expose()));
        line.push('\n');
        stdin
            .write_all(line.as_bytes())
            .map_err(|e| failed("hand the key to the agent", e))?;
    }
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("start the agent", None))?;
    let mut ready = String::new();
    let _ = BufReader::new(stdout).take(64).read_line(&mut ready);
    if ready.trim() != "ready" {
        let _ = child.kill();
        let _ = child.wait();
        return Err(failed("start the agent", None));
    }
    Ok(())
}

fn failed(what: &'static str, source: impl Into<Option<std::io::Error>>) -> Failure {
    InputError::AgentStart {
        what,
        why: source
            .into()
            .map_or_else(|| "it did not answer".to_string(), |e| e.to_string()),
    }
    .into()
}

pub fn lock(ctx: &Context) -> Result<(), Failure> {
    match agent::ask(ctx.vault_path(), "LOCK")? {
        Reply::Answer(_) => note!(
            "otp: locked {}",
            agent::canonical(ctx.vault_path()).display()
        ),
        Reply::None => note!("otp: {} was not unlocked", ctx.vault_path().display()),
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
    // Its own session: closing the terminal does not end it.
    let _ = rustix::process::setsid();
    let mut line = Zeroizing::new(String::with_capacity(80));
    let _ = std::io::stdin().lock().take(80).read_line(&mut line);
    let bytes = Zeroizing::new(
        data_encoding::HEXLOWER
            .decode(line.trim().as_bytes())
            .map_err(|_| failed("read the key", None))?,
    );
    let key = VaultKey::from_slice(&bytes).ok_or_else(|| failed("read the key", None))?;
    let mut agent = Agent::new(
        ctx.vault_path(),
        key,
        Duration::from_secs(args.idle),
        Duration::from_secs(args.max),
    );
    agent.lock_memory();
    let (listener, socket) = agent.bind()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&stop));
    }
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "ready");
        let _ = stdout.flush();
    }
    agent.serve(&listener, &socket, &stop);
    // Dropping the agent wipes the key.
    drop(agent);
    Ok(())
}
