//! One function a command. Each opens the vault, asks the library to do the
//! work, and prints the result: the output scripts read on stdout, progress
//! and warnings on stderr.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Args;
use otpvault::clipboard::Route;
use otpvault::crypto::kdf::{self, FLOOR};
use otpvault::entry::Current;
use otpvault::otp::{self, Algorithm, Kind};
use otpvault::site::{self, SiteEdit};
use otpvault::text::{self, Escaped};
use otpvault::vault::store;
use otpvault::vault::{CreateError, OpenError, RestoreError, Unlock, backups};
use otpvault::{
    Account, Code, Entry, KdfParams, Overrides, Secret, Vault, clock, entries, import, key, uri,
};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use super::context::{Context, kdf_for_new_vault, report_saved, suggest_recovery_key};
use super::input;
use super::{Failure, clip, warn};

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
        return Err(CreateError::File(store::StoreError::Exists(ctx.vault_path().into())).into());
    }
    // Without a cost of memory given, one that fits this machine.
    let base = match (args.kdf_memory_mib, args.kdf_calibrate) {
        (None, false) => kdf_for_new_vault(),
        _ => KdfParams::default(),
    };
    let kdf = KdfParams {
        memory_kib: args
            .kdf_memory_mib
            .map_or(base.memory_kib, |mib| mib.saturating_mul(1024)),
        iterations: args.kdf_iterations.unwrap_or(base.iterations),
        parallelism: args.kdf_parallelism.unwrap_or(base.parallelism),
    };
    kdf.check()?;
    let kdf = if args.kdf_calibrate {
        let target = std::time::Duration::from_millis(args.target_ms);
        note!(
            "otp: measuring Argon2id on this machine (target {} ms)...",
            args.target_ms
        );
        let (chosen, took) = kdf.calibrate(target, kdf::half_of_memory_kib())?;
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
    drop(Vault::create(
        ctx.vault_path(),
        &passphrase,
        kdf,
        ctx.settings,
    )?);
    note!(
        "otp: created the vault {} (Argon2id {} MiB, {} iterations, {} lanes)",
        ctx.vault_path().display(),
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
    /// A site where the code may be typed, such as amazon.co.jp (repeat for
    /// several): shown with the code, and checked by `code --for-url`.
    #[arg(long = "site", value_name = "DOMAIN")]
    sites: Vec<String>,
}

fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|e: otp::ParamError| e.to_string())
}

/// The account `add` was given: a bare key, a URI, or a QR screenshot.
fn account_to_add(args: &mut AddArgs) -> Result<Account, Failure> {
    if let Some(key) = args.key.take() {
        let key = Zeroizing::new(key);
        return Ok(Account::from_key(key::parse(&key)?));
    }
    if let Some(text) = args.uri.take() {
        let text = Zeroizing::new(text);
        return Ok(uri::parse(&text)?);
    }
    if let Some(image) = &args.qr {
        return Ok(import::account_from_image(&input::read_file(image)?)?);
    }
    Ok(uri::parse_pasted(&input::read_key()?)?)
}

pub fn add(ctx: &Context, mut args: AddArgs) -> Result<(), Failure> {
    if args.key.is_some() || args.uri.is_some() {
        warn(
            "a key on the command line can be read by other users of this machine and stays in shell history; next time run `otp add NAME` and paste it at the prompt or pipe it on stdin",
        );
    }
    let overrides = Overrides {
        issuer: args.issuer.take(),
        account: args.account.take(),
        algorithm: args.algorithm,
        digits: args.digits,
        period: args.period,
        hotp: args.hotp,
        counter: args.counter,
        sites: (!args.sites.is_empty()).then(|| std::mem::take(&mut args.sites)),
    };
    // The name and what was typed are checked before anything is asked,
    // and a name the vault already has before the key is pasted.
    entries::check_name(&args.name)?;
    overrides.check()?;
    let existing = match ctx.vault_path().try_exists() {
        Ok(false) => None,
        _ => {
            let (vault, _) = ctx.open()?;
            vault.entries().check_new_name(&args.name)?;
            Some(vault)
        }
    };
    let account = account_to_add(&mut args)?;
    let enrolled = account.enrol(args.name, overrides)?;
    if enrolled.cleaned {
        warn(
            "the URI or QR code's issuer or account held control or text-direction characters; they were replaced with U+FFFD",
        );
    }
    warn_if_short(&enrolled.entry.secret);

    // Saved under the writer's lock, taken only now (not while the key was
    // being pasted), with the key already derived.
    let (mut vault, created) = match existing {
        Some(read) => (
            Vault::open_for_update_with(ctx.vault_path(), Unlock::Key(read.key()), ctx.settings)?,
            false,
        ),
        None => ctx.open_or_create()?,
    };
    let entry = vault.add(enrolled.entry)?.clone();
    report_saved(vault.save()?);
    note!(
        "otp: added {} ({}, {}, {} digits{}) to {}",
        Escaped(&entry.name),
        entry.otp.kind.as_str().to_uppercase(),
        entry.otp.algorithm,
        entry.otp.digits,
        match entry.otp.kind {
            Kind::Hotp => format!(", counter {}", entry.otp.counter),
            _ => format!(", {} s", entry.otp.period),
        },
        vault.path().display()
    );
    if entry.otp.kind != Kind::Hotp {
        let now = clock::now()?;
        note!(
            "otp: type this code into {} to finish its setup:",
            Escaped(&entry.issuer)
        );
        if let Some(current) = entry.current(now)? {
            out!("{}{}", for_people(&current), only_at(&entry))?;
        }
    } else {
        note!(
            "otp: run `otp code {}` for its first code",
            Escaped(&entry.name)
        );
    }
    if created {
        suggest_recovery_key();
    }
    Ok(())
}

fn warn_if_short(secret: &Secret) {
    if secret.is_short() {
        warn(&format!(
            "this key has {} bits, fewer than the 128 RFC 4226 recommends; many sites issue keys this size, and it is fine if you copied the whole key",
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
    #[arg(short, long)]
    json: bool,
    /// Put the code on the clipboard instead of printing it; it is cleared
    /// after --clipboard-seconds if the clipboard still holds it.
    #[arg(short, long, requires = "query", conflicts_with = "json")]
    copy: bool,
    /// Give the code only if URL is at one of the entry's sites (HTTPS, the
    /// site or a name under it); otherwise print nothing and exit 11.
    #[arg(long, value_name = "URL", requires = "query")]
    for_url: Option<String>,
    /// With --for-url: accept http:// too (a site on your own network).
    #[arg(long, requires = "for_url")]
    allow_http: bool,
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
    sites: &'a [String],
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
            sites: &entry.sites,
            code: None,
            remaining: None,
        }
    }
}

/// Prints `value` as JSON with everything from the vault escaped.
fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = text::to_json(value).map_err(|e| Failure::Output(e.into()))?;
    out!("{text}")?;
    Ok(())
}

pub fn code(ctx: &Context, args: CodeArgs) -> Result<(), Failure> {
    let time = args.at.map_or_else(clock::now, Ok)?;
    let (mut vault, _) = ctx.open()?;
    let shown = match &args.query {
        Some(query) => {
            // Asked before an HOTP code is used up.
            if args.copy {
                clip::available()?;
            }
            let url = args.for_url.as_deref().map(|url| (url, args.allow_http));
            let shown = vault.next_code_for(query, time, url)?;
            if let Some(saved) = shown.saved {
                report_saved(saved);
            }
            vec![(shown.entry, Some(shown.code))]
        }
        None => vault.all_codes(time)?,
    };
    if args.json {
        let items: Vec<EntryJson> = shown
            .iter()
            .map(|(entry, code)| EntryJson {
                code: code.as_ref().map(|c| c.as_str()),
                remaining: (entry.otp.kind != Kind::Hotp).then(|| entry.otp.remaining(time)),
                ..EntryJson::new(entry)
            })
            .collect();
        return print_json(&items);
    }
    if args.query.is_some() {
        if let Some((entry, Some(code))) = shown.first() {
            if args.copy {
                return copy(ctx, entry, code, time);
            }
            // People see the seconds left; scripts get the code alone.
            match entry.current(time)? {
                Some(current) if io::stdout().is_terminal() => {
                    out!("{}{}", for_people(&current), only_at(entry))?
                }
                _ => out!("{}", code.as_str())?,
            }
        }
        return Ok(());
    }
    if shown.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
    }
    for (entry, code) in &shown {
        let code = code.as_ref().map_or("(hotp)", |c| c.as_str());
        out!("{:<10} {}", code, Escaped(&entry.name))?;
    }
    Ok(())
}

/// A code as a person reads it: with the seconds left, and the next code
/// when the current one is about to die (`773698  (4 s left; next: 120357)`).
fn for_people(current: &Current) -> String {
    format!(
        "{}  ({} s left{})",
        current.code.as_str(),
        current.remaining,
        current
            .next
            .as_ref()
            .map_or(String::new(), |next| format!("; next: {}", next.as_str()))
    )
}

/// ` — type it only at amazon.co.jp`, for an entry with sites.
fn only_at(entry: &Entry) -> String {
    if entry.sites.is_empty() {
        return String::new();
    }
    format!(" — type it only at {}", Escaped(&entry.sites.join(" or ")))
}

/// `--copy`: the code onto the clipboard, and a note of it on stderr.
fn copy(ctx: &Context, entry: &Entry, code: &Code, time: u64) -> Result<(), Failure> {
    let clear_after = ctx.config.clipboard_seconds();
    let route = clip::copy(code, clear_after)?;
    let left = match entry.current(time)? {
        Some(current) => format!(" ({} s left)", current.remaining),
        None => String::new(),
    };
    match route {
        Route::System => note!(
            "otp: copied the code of {}{left}{}; the clipboard is cleared in {} s unless you copy something else",
            Escaped(&entry.name),
            only_at(entry),
            clear_after.as_secs()
        ),
        Route::Terminal => note!(
            "otp: copied the code of {}{left} through the terminal (OSC 52); a terminal cannot be asked what it holds, so it is not cleared",
            Escaped(&entry.name)
        ),
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
    // Columns as shown: escaped, and counted in characters.
    let rows: Vec<[String; 3]> = entries
        .iter()
        .map(|e| [&e.name, &e.issuer, &e.account].map(|f| Escaped(f).to_string()))
        .collect();
    let width = |column: usize, title: &str| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let (name_w, issuer_w, account_w) = (width(0, "NAME"), width(1, "ISSUER"), width(2, "ACCOUNT"));
    let with_sites = entries.iter().any(|e| !e.sites.is_empty());
    let type_w = "totp SHA512 10d counter 0".len();
    out!(
        "{:<name_w$}  {:<issuer_w$}  {:<account_w$}  {}",
        "NAME",
        "ISSUER",
        "ACCOUNT",
        if with_sites {
            format!("{:<type_w$}  SITES", "TYPE")
        } else {
            "TYPE".into()
        }
    )?;
    for (e, [name, issuer, account]) in entries.iter().zip(&rows) {
        let p = &e.otp;
        let kind = format!(
            "{} {} {}d {}",
            p.kind,
            p.algorithm,
            p.digits,
            match p.kind {
                Kind::Hotp => format!("counter {}", p.counter),
                _ => format!("{}s", p.period),
            }
        );
        let line = format!("{name:<name_w$}  {issuer:<issuer_w$}  {account:<account_w$}  ");
        if with_sites {
            out!("{line}{kind:<type_w$}  {}", Escaped(&e.sites.join(", ")))?;
        } else {
            out!("{line}{kind}")?;
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["sites", "add_sites", "remove_sites"])))]
pub struct EditArgs {
    /// The entry, by its exact name.
    name: String,
    /// Replace the entry's sites with these (repeat for several).
    #[arg(long = "site", value_name = "DOMAIN")]
    sites: Vec<String>,
    /// Add a site.
    #[arg(long = "add-site", value_name = "DOMAIN")]
    add_sites: Vec<String>,
    /// Remove a site.
    #[arg(long = "remove-site", value_name = "DOMAIN")]
    remove_sites: Vec<String>,
}

pub fn edit(ctx: &Context, args: EditArgs) -> Result<(), Failure> {
    let edit = SiteEdit {
        set: (!args.sites.is_empty()).then_some(args.sites),
        add: args.add_sites,
        remove: args.remove_sites,
    };
    // Every site given is checked before the vault is opened.
    let given: Vec<String> = [edit.set.as_deref().unwrap_or(&[]), &edit.add, &edit.remove].concat();
    site::normalize_all(&given)?;
    let mut vault = ctx.open_for_update()?;
    let entry = vault.edit_sites(&args.name, &edit)?;
    let sites = match entry.sites.is_empty() {
        true => "no site".to_string(),
        false => entry.sites.join(", "),
    };
    let name = entry.name.clone();
    report_saved(vault.save()?);
    note!("otp: {} is now for {}", Escaped(&name), Escaped(&sites));
    Ok(())
}

pub fn remove(ctx: &Context, name: &str) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    let removed = vault.remove(name)?;
    report_saved(vault.save()?);
    note!("otp: removed {}", Escaped(&removed.name));
    Ok(())
}

pub fn rename(ctx: &Context, old: &str, new: &str) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    vault.rename(old, new)?;
    report_saved(vault.save()?);
    note!("otp: renamed {} to {}", Escaped(old), Escaped(new));
    Ok(())
}

pub fn backup(ctx: &Context, file: &Path, force: bool) -> Result<(), Failure> {
    let (mut vault, _) = ctx.open()?;
    vault.backup(file, force)?;
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
    report_saved(vault.save()?);
    note!("otp: changed the passphrase of {}", vault.path().display());
    Ok(())
}

pub fn restore(ctx: &Context, file: Option<&Path>) -> Result<(), Failure> {
    let Some(file) = file else {
        let backups = backups::list(ctx.vault_path())?;
        if backups.is_empty() {
            note!(
                "otp: no automatic backups of {} yet",
                ctx.vault_path().display()
            );
        }
        for path in backups.iter().rev() {
            out!("{}", path.display())?;
        }
        if !backups.is_empty() {
            note!("otp: newest first; put one back with `otp restore FILE`");
        }
        return Ok(());
    };
    // A backup of this vault opens with the key the agent holds; any other
    // with its passphrase.
    let restored = match otpvault::agent::key(ctx.vault_path()).ok().flatten() {
        Some(key) => {
            match Vault::restore(ctx.vault_path(), file, Unlock::Key(&key), ctx.settings) {
                Err(RestoreError::Source(OpenError::OtherKey(_))) => None,
                other => Some(other),
            }
        }
        None => None,
    };
    let (vault, saved) = match restored {
        Some(restored) => restored?,
        None => {
            let passphrase = ctx
                .sources
                .current(&format!("Passphrase for {}: ", file.display()))?;
            Vault::restore(
                ctx.vault_path(),
                file,
                Unlock::Passphrase(&passphrase),
                ctx.settings,
            )?
        }
    };
    report_saved(saved);
    if vault.restored_other_slots() {
        warn(
            "the restored copy opens with the passphrase (and recovery key) it had when it was made, which are not the ones the replaced vault had; run `otp passwd` if you want today's passphrase back",
        );
    }
    note!(
        "otp: restored {} ({} entries) from {}; the replaced file is the newest in {}",
        ctx.vault_path().display(),
        vault.entries().len(),
        file.display(),
        backups::dir(ctx.vault_path()).display()
    );
    Ok(())
}
