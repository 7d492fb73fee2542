//! One function a command. Each opens the vault, asks the library to do the
//! work, and prints the result: the output scripts read on stdout, progress
//! and warnings on stderr.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Args;
use otpvault::otp::{self, Algorithm, Kind, Params};
use otpvault::vault::crypto::FLOOR;
use otpvault::vault::store;
use otpvault::{Entry, KdfParams, Passphrase, Secret, Vault, VaultError, key, uri};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use super::passphrase::{Sources, prompt_terminal};
use super::{Failure, read_at_most, warn};

/// What every command needs: where the vault is and how to unlock it.
pub struct Context {
    vault: PathBuf,
    sources: Sources,
    keep_backups: usize,
}

impl Context {
    pub fn new(
        vault: Option<PathBuf>,
        sources: Sources,
        keep_backups: usize,
    ) -> Result<Context, Failure> {
        let vault = match vault {
            Some(path) => path,
            None => default_vault_path()?,
        };
        Ok(Context {
            vault,
            sources,
            keep_backups,
        })
    }

    /// The passphrase of the existing vault. A missing vault is reported
    /// before anyone is asked to type a passphrase for it.
    fn passphrase(&self) -> Result<Passphrase, Failure> {
        // Only a vault known to be absent: one that cannot be looked at
        // (a permission error) is opened, and that error shown.
        if matches!(self.vault.try_exists(), Ok(false)) {
            return Err(VaultError::NotFound(self.vault.clone()).into());
        }
        self.sources
            .current(&format!("Passphrase for {}: ", self.vault.display()))
    }

    pub fn open(&self) -> Result<(Vault, Passphrase), Failure> {
        let passphrase = self.passphrase()?;
        let mut vault = Vault::open(&self.vault, &passphrase)?;
        vault.set_keep_backups(self.keep_backups);
        Ok((vault, passphrase))
    }

    fn open_for_update(&self) -> Result<Vault, Failure> {
        let passphrase = self.passphrase()?;
        let mut vault = Vault::open_for_update(&self.vault, &passphrase)?;
        vault.set_keep_backups(self.keep_backups);
        Ok(vault)
    }

    /// Opens the vault for update, or creates it (default KDF) if missing:
    /// the first `add` needs no separate `init`.
    pub fn open_or_create(&self) -> Result<Vault, Failure> {
        if !matches!(self.vault.try_exists(), Ok(false)) {
            return self.open_for_update();
        }
        let passphrase = self.sources.new_passphrase(true)?;
        match Vault::create(&self.vault, &passphrase, KdfParams::default()) {
            Ok(mut vault) => {
                note!("otp: created the vault {}", self.vault.display());
                vault.set_keep_backups(self.keep_backups);
                Ok(vault)
            }
            // Another otp created it first: use theirs.
            Err(VaultError::AlreadyExists(_)) => self.open_for_update(),
            Err(e) => Err(e.into()),
        }
    }
}

/// `$XDG_DATA_HOME/otpvault/vault.otpvault` on Linux.
fn default_vault_path() -> Result<PathBuf, Failure> {
    directories::ProjectDirs::from("", "", "otpvault")
        .map(|dirs| dirs.data_dir().join("vault.otpvault"))
        .ok_or_else(|| {
            Failure::Input(
                "cannot find your home directory: give the vault's path with --vault or OTP_VAULT"
                    .into(),
            )
        })
}

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

/// Half the machine's memory in KiB: calibration must leave room for the
/// rest of the system on every machine that unlocks the vault.
fn half_of_memory_kib() -> u32 {
    // SAFETY: sysconf only reads system configuration.
    let (pages, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let kib = (pages.max(0) as u64).saturating_mul(page_size.max(0) as u64) / 1024 / 2;
    u32::try_from(kib).unwrap_or(u32::MAX)
}

pub fn init(ctx: &Context, args: InitArgs) -> Result<(), Failure> {
    if ctx.vault.exists() {
        return Err(VaultError::AlreadyExists(ctx.vault.clone()).into());
    }
    let default = KdfParams::default();
    let kdf = KdfParams {
        memory_kib: args
            .kdf_memory_mib
            .map_or(default.memory_kib, |mib| mib.saturating_mul(1024)),
        iterations: args.kdf_iterations.unwrap_or(default.iterations),
        parallelism: args.kdf_parallelism.unwrap_or(default.parallelism),
    };
    kdf.check().map_err(VaultError::from)?;
    let kdf = if args.kdf_calibrate {
        let target = std::time::Duration::from_millis(args.target_ms);
        note!(
            "otp: measuring Argon2id on this machine (target {} ms)...",
            args.target_ms
        );
        let (chosen, took) = kdf
            .calibrate(target, half_of_memory_kib())
            .map_err(VaultError::from)?;
        note!(
            "otp: chose {} MiB ({} iterations, {} lanes): {} ms here{}",
            chosen.memory_kib / 1024,
            chosen.iterations,
            chosen.parallelism,
            took.as_millis(),
            if took > target {
                "; that is over the target, but calibration never goes below the default (give --kdf-memory-mib for a weaker vault)"
            } else {
                ""
            }
        );
        chosen
    } else {
        kdf
    };
    if kdf.below_floor() {
        warn(&format!(
            "Argon2id with {} MiB and {} passes makes each passphrase guess cheap; use at least {} MiB, and at least {} MiB × {} passes in all",
            kdf.memory_kib / 1024,
            kdf.iterations,
            FLOOR.memory_kib / 1024,
            FLOOR.memory_kib / 1024,
            FLOOR.iterations
        ));
    }
    let passphrase = ctx.sources.new_passphrase(true)?;
    Vault::create(&ctx.vault, &passphrase, kdf)?;
    note!(
        "otp: created the vault {} (Argon2id {} MiB, {} iterations, {} lanes)",
        ctx.vault.display(),
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// What to call the account, e.g. Amazon.
    name: String,
    /// The service [default: from the URI, else NAME].
    #[arg(long)]
    issuer: Option<String>,
    /// The account at the service, e.g. an email address.
    #[arg(long)]
    account: Option<String>,
    /// The setup key (visible to other local users in `ps`: prefer the prompt or stdin).
    #[arg(long, conflicts_with = "uri")]
    key: Option<String>,
    /// An otpauth:// URI (visible to other local users in `ps`: prefer stdin).
    #[arg(long, conflicts_with = "qr")]
    uri: Option<String>,
    /// A PNG or JPEG screenshot of the site's QR code.
    #[arg(long, value_name = "IMAGE", conflicts_with = "key")]
    qr: Option<PathBuf>,
    /// HMAC algorithm [default: SHA1, or the URI's].
    #[arg(long, value_parser = parse_algorithm)]
    algorithm: Option<Algorithm>,
    /// Code length, 6 to 10 [default: 6, or the URI's].
    #[arg(long)]
    digits: Option<u8>,
    /// Seconds a code lasts [default: 30, or the URI's].
    #[arg(long)]
    period: Option<u32>,
    /// Counter-based (HOTP) instead of time-based.
    #[arg(long)]
    hotp: bool,
    /// The HOTP counter of the next code [default: 0].
    #[arg(long, requires = "hotp")]
    counter: Option<u64>,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|e: otp::ParamError| e.to_string())
}

/// The longest key or URI accepted on stdin.
const MAX_STDIN: u64 = 64 * 1024;

/// A key or URI read from the terminal (no echo) or from stdin.
fn read_key_input() -> Result<Zeroizing<String>, Failure> {
    if io::stdin().is_terminal() {
        let typed = prompt_terminal("Setup key (input hidden): ")?;
        return String::from_utf8(typed.expose().to_vec())
            .map(Zeroizing::new)
            .map_err(|_| Failure::Input("the key is not text: paste the setup key again".into()));
    }
    let bytes = read_at_most(io::stdin(), MAX_STDIN, "the key on standard input")?;
    std::str::from_utf8(&bytes)
        .map(|text| Zeroizing::new(text.to_owned()))
        .map_err(|_| {
            Failure::Input("the key on standard input is not text: give the setup key".into())
        })
}

pub fn add(ctx: &Context, args: AddArgs) -> Result<(), Failure> {
    let from_argv = args.key.is_some() || args.uri.is_some();
    if from_argv {
        warn(
            "a key on the command line can be read by other users of this machine and stays in shell history; next time run `otp add NAME` and paste it at the prompt or pipe it on stdin",
        );
    }
    let input = match (args.key, args.uri, args.qr) {
        (Some(key), _, _) => KeyInput::Key(Zeroizing::new(key)),
        (None, Some(text), _) => KeyInput::Account(uri::parse(&text)?),
        (None, None, Some(image)) => KeyInput::Account(super::transfer::account_from_qr(&image)?),
        (None, None, None) => {
            let text = read_key_input()?;
            if text
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("otpauth:")
            {
                KeyInput::Account(uri::parse(&text)?)
            } else {
                KeyInput::Key(text)
            }
        }
    };
    // Everything about the key is checked before the slow unlock.
    let (secret, mut params, issuer, account) = match input {
        KeyInput::Key(text) => (key::parse(&text)?, Params::default(), None, None),
        KeyInput::Account(a) => (a.secret, a.params, Some(a.issuer), Some(a.account)),
    };
    if let Some(algorithm) = args.algorithm {
        params.algorithm = algorithm;
    }
    if let Some(digits) = args.digits {
        params.digits = digits;
    }
    if let Some(period) = args.period {
        params.period = period;
    }
    if args.hotp {
        params.kind = Kind::Hotp;
        // A URI's counter stands unless --counter replaces it.
        if let Some(counter) = args.counter {
            params.counter = counter;
        }
    }
    let params = params.validate()?;
    warn_if_short(&secret);
    let issuer = args
        .issuer
        .or(issuer.filter(|i| !i.is_empty()))
        .unwrap_or_else(|| args.name.clone());
    let account = args.account.or(account).unwrap_or_default();
    let entry = Entry::new(args.name, issuer, account, secret, params)?;

    let mut vault = ctx.open_or_create()?;
    let entry = vault.add(entry)?.clone();
    vault.save()?;
    note!(
        "otp: added {} ({}, {}, {} digits{}) to {}",
        entry.name,
        entry.otp.kind.as_str().to_uppercase(),
        entry.otp.algorithm,
        entry.otp.digits,
        match entry.otp.kind {
            Kind::Hotp => format!(", counter {}", entry.otp.counter),
            _ => format!(", {} s", entry.otp.period),
        },
        vault.path().display()
    );
    if entry.otp.kind == Kind::Totp {
        let now = unix_now();
        note!(
            "otp: type this code into {} to finish its setup:",
            entry.issuer
        );
        let code = entry.code(now)?;
        out!(
            "{} (valid {} s more)",
            code.as_str(),
            entry.otp.remaining(now)
        )?;
    } else {
        note!("otp: run `otp code {}` for its first code", entry.name);
    }
    Ok(())
}

/// A bare setup key, or a whole account from a URI or QR code.
enum KeyInput {
    Key(Zeroizing<String>),
    Account(otpvault::Account),
}

fn warn_if_short(secret: &Secret) {
    if secret.bits() < 128 {
        warn(&format!(
            "this key has only {} bits; RFC 4226 asks for at least 128. It works, but check that you copied all of it",
            secret.bits()
        ));
    }
}

#[derive(Args, Debug)]
pub struct CodeArgs {
    /// Part of a name, issuer or account; an exact name wins.
    query: Option<String>,
    /// Compute the code at this time: Unix seconds or RFC 3339.
    #[arg(long, value_parser = parse_time)]
    at: Option<u64>,
    /// Print a JSON array with the code and seconds remaining.
    #[arg(long)]
    json: bool,
}

fn parse_time(s: &str) -> Result<u64, String> {
    if let Ok(seconds) = s.parse::<u64>() {
        return Ok(seconds);
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        format!(
            "{s:?} is not a time: give Unix seconds (1700000000) or RFC 3339 (2026-01-31T12:00:00Z)"
        )
    })?;
    u64::try_from(t.unix_timestamp())
        .map_err(|_| format!("{s:?} is before 1970: give a later time"))
}

fn unix_now() -> u64 {
    u64::try_from(otpvault::entry::now()).unwrap_or(0)
}

/// One entry as `list --json` and `code --json` print it. Never the secret.
#[derive(Serialize)]
struct EntryJson<'a> {
    name: &'a str,
    issuer: &'a str,
    account: &'a str,
    kind: Kind,
    algorithm: Algorithm,
    digits: u8,
    period: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remaining: Option<u64>,
}

impl<'a> EntryJson<'a> {
    fn new(entry: &'a Entry) -> Self {
        EntryJson {
            name: &entry.name,
            issuer: &entry.issuer,
            account: &entry.account,
            kind: entry.otp.kind,
            algorithm: entry.otp.algorithm,
            digits: entry.otp.digits,
            period: entry.otp.period,
            counter: (entry.otp.kind == Kind::Hotp).then_some(entry.otp.counter),
            code: None,
            remaining: None,
        }
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::Input(format!("cannot format JSON: {e}")))?;
    out!("{text}")?;
    Ok(())
}

pub fn code(ctx: &Context, args: CodeArgs) -> Result<(), Failure> {
    let time = args.at.unwrap_or_else(unix_now);
    let (mut vault, _) = ctx.open()?;
    let chosen: Vec<usize> = match &args.query {
        Some(query) => vec![vault.position(query)?],
        None => (0..vault.entries().len()).collect(),
    };
    // An HOTP code is used up once shown: advance its counter and save
    // before printing, so that a crash never shows the same code twice.
    // Listing every entry shows no HOTP codes, to advance none by accident.
    let mut codes = Vec::with_capacity(chosen.len());
    let mut advanced = false;
    for &i in &chosen {
        let entry = &mut vault.entries_mut()[i];
        codes.push(match entry.otp.kind {
            Kind::Hotp if args.query.is_none() => None,
            Kind::Hotp => {
                advanced = true;
                Some(entry.next_hotp_code()?)
            }
            _ => Some(entry.code(time)?),
        });
    }
    if advanced {
        vault.save()?;
    }

    let entries = vault.entries();
    if args.json {
        let items: Vec<EntryJson> = chosen
            .iter()
            .zip(&codes)
            .map(|(&i, code)| {
                let entry = &entries[i];
                EntryJson {
                    code: code.as_ref().map(|c| c.as_str()),
                    remaining: (entry.otp.kind != Kind::Hotp).then(|| entry.otp.remaining(time)),
                    ..EntryJson::new(entry)
                }
            })
            .collect();
        return print_json(&items);
    }
    if args.query.is_some() {
        if let Some(Some(code)) = codes.first() {
            out!("{}", code.as_str())?;
        }
        return Ok(());
    }
    if chosen.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
    }
    for (&i, code) in chosen.iter().zip(&codes) {
        let entry = &entries[i];
        match code {
            Some(code) => out!("{:<10} {}", code.as_str(), entry.name)?,
            None => out!("{:<10} {}", "(hotp)", entry.name)?,
        }
    }
    Ok(())
}

pub fn list(ctx: &Context, json: bool) -> Result<(), Failure> {
    let (vault, _) = ctx.open()?;
    let entries = vault.entries();
    if json {
        let items: Vec<EntryJson> = entries.iter().map(EntryJson::new).collect();
        return print_json(&items);
    }
    if entries.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
        return Ok(());
    }
    let width = |f: fn(&Entry) -> &str, title: &str| {
        entries
            .iter()
            .map(|e| f(e).chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let name_w = width(|e| &e.name, "NAME");
    let issuer_w = width(|e| &e.issuer, "ISSUER");
    let account_w = width(|e| &e.account, "ACCOUNT");
    out!(
        "{:<name_w$}  {:<issuer_w$}  {:<account_w$}  TYPE",
        "NAME",
        "ISSUER",
        "ACCOUNT"
    )?;
    for e in entries {
        let p = &e.otp;
        out!(
            "{:<name_w$}  {:<issuer_w$}  {:<account_w$}  {} {} {}d {}",
            e.name,
            e.issuer,
            e.account,
            p.kind,
            p.algorithm,
            p.digits,
            match p.kind {
                Kind::Hotp => format!("counter {}", p.counter),
                _ => format!("{}s", p.period),
            }
        )?;
    }
    Ok(())
}

pub fn remove(ctx: &Context, name: &str) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    let removed = vault.remove(name)?;
    vault.save()?;
    note!("otp: removed {}", removed.name);
    Ok(())
}

pub fn rename(ctx: &Context, old: &str, new: &str) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    vault.rename(old, new)?;
    vault.save()?;
    note!("otp: renamed {old} to {new}");
    Ok(())
}

pub fn backup(ctx: &Context, file: &Path, force: bool) -> Result<(), Failure> {
    let (mut vault, passphrase) = ctx.open()?;
    vault.backup(file, &passphrase, force)?;
    let n = vault.entries().len();
    note!(
        "otp: backed up {n} {} to {} and checked that it opens with your passphrase",
        if n == 1 { "entry" } else { "entries" },
        file.display()
    );
    Ok(())
}

pub fn passwd(ctx: &Context) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    let new = ctx.sources.new_passphrase(false)?;
    vault.change_passphrase(&new)?;
    vault.save()?;
    note!("otp: changed the passphrase of {}", vault.path().display());
    Ok(())
}

pub fn restore(ctx: &Context, file: Option<&Path>) -> Result<(), Failure> {
    // Backups sit beside the file a symlinked vault points to.
    let resolved = store::resolve(&ctx.vault);
    let Some(file) = file else {
        let backups = store::list_backups(&resolved)?;
        if backups.is_empty() {
            note!("otp: no automatic backups of {} yet", ctx.vault.display());
        }
        for path in backups.iter().rev() {
            out!("{}", path.display())?;
        }
        if !backups.is_empty() {
            note!("otp: newest first; put one back with `otp restore FILE`");
        }
        return Ok(());
    };
    let passphrase = ctx
        .sources
        .current(&format!("Passphrase for {}: ", file.display()))?;
    let vault = Vault::restore(&ctx.vault, file, &passphrase, ctx.keep_backups)?;
    note!(
        "otp: restored {} ({} entries) from {}; the replaced file is the newest in {}",
        ctx.vault.display(),
        vault.entries().len(),
        file.display(),
        store::backups_dir(&resolved).display()
    );
    Ok(())
}
