//! One function a command. Each opens the vault, asks the library to do the
//! work, and prints the result: the output scripts read on stdout, progress
//! and warnings on stderr.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use clap::Args;
use otpvault::clipboard::{Route, Schedule};
use otpvault::clock::When;
use otpvault::crypto::kdf::{self, FLOOR};
use otpvault::entries::{Edit, EntryError};
use otpvault::entry::Current;
use otpvault::entry::NEXT_CODE_WITHIN;
use otpvault::names::{self, Field};
use otpvault::otp::{self, Algorithm, Kind};
use otpvault::site::{self, SiteEdit};
use otpvault::text::{self, Escaped, Quoted};
use otpvault::vault::store;
use otpvault::vault::{CreateError, OpenError, RestoreError, Unlock, backups};
use otpvault::vault::{ForUrl, Shown};
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
    let passphrase = ctx.new_passphrase(true, kdf)?;
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
    // and a name the vault already has (or one like it) before the key is
    // pasted.
    let mut name = entries::check_name(&args.name)?;
    let overrides = overrides.check()?;
    warn_mixed_script_sites(overrides.sites.as_deref().unwrap_or(&[]));
    let existing = match ctx.vault_path().try_exists() {
        Ok(false) => None,
        _ => {
            let (vault, _) = ctx.open()?;
            name = vault.entries().check_new_name(&name)?;
            Some(vault)
        }
    };
    warn_mixed_script_name(&name);
    let account = account_to_add(&mut args)?;
    let enrolled = account.enrol(&name, overrides)?;
    if enrolled.cleaned.replaced {
        warn(
            "the URI or QR code's issuer or account held control, invisible or text-direction characters; they were replaced with U+FFFD",
        );
    }
    if enrolled.cleaned.cut {
        warn(&format!(
            "the URI or QR code's issuer or account was longer than {} characters and was cut",
            names::MAX_FIELD
        ));
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
    let when = When::at_or_now(args.at);
    let (mut vault, _) = ctx.open()?;
    let Some(query) = &args.query else {
        return all_codes(&vault, when, args.json);
    };
    // Asked before an HOTP code is used up.
    if args.copy {
        clip::available()?;
    }
    let url = args.for_url.as_deref().map(|url| ForUrl {
        url,
        allow_http: args.allow_http,
    });
    // The code is made now, with the vault open: never from a clock read
    // before the passphrase was typed.
    let shown = vault.next_code_for(query, when, url)?;
    let Shown {
        entry,
        code,
        time,
        current,
        saved,
    } = shown;
    if let Some(saved) = saved {
        report_saved(saved);
    }
    if args.json {
        return print_json(&[EntryJson {
            code: Some(code.as_str()),
            remaining: current.as_ref().map(|c| c.remaining),
            ..EntryJson::new(entry)
        }]);
    }
    if args.copy {
        return copy(ctx, entry, &code, current.as_ref(), when == When::Now);
    }
    // People see the seconds left; scripts get the code alone.
    match current {
        Some(current) if io::stdout().is_terminal() => {
            out!("{}{}", for_people(&current), only_at(entry))?
        }
        _ => out!("{}", code.as_str())?,
    }
    let _ = time;
    Ok(())
}

/// `otp code` with no query: every entry's code, a line each.
fn all_codes(vault: &Vault, when: When, json: bool) -> Result<(), Failure> {
    let all = vault.all_codes(when)?;
    if json {
        let items: Vec<EntryJson> = all
            .codes
            .iter()
            .map(|(entry, code)| EntryJson {
                code: code.as_ref().map(|c| c.as_str()),
                remaining: (entry.otp.kind != Kind::Hotp).then(|| entry.otp.remaining(all.time)),
                ..EntryJson::new(entry)
            })
            .collect();
        return print_json(&items);
    }
    if all.codes.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
    }
    let room = super::terminal_columns().map_or(usize::MAX, |w| w.saturating_sub(11));
    for (entry, code) in &all.codes {
        let code = code.as_ref().map_or("(hotp)", |c| c.as_str());
        out!(
            "{:<10} {}",
            code,
            text::fit(&Escaped(&entry.name).to_string(), room)
        )?;
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
/// For a time-based code copied now, the clipboard follows the code as it
/// changes until it is cleared ([`clipboard::Schedule`]).
fn copy(
    ctx: &Context,
    entry: &Entry,
    code: &Code,
    current: Option<&Current>,
    now: bool,
) -> Result<(), Failure> {
    let clear_after = ctx.config.clipboard_seconds();
    let schedule = match current {
        Some(current) if now => Schedule::following(entry, current, clear_after)?,
        _ => Schedule::single(code),
    };
    let route = clip::copy(&schedule, clear_after)?;
    let left = current.map_or(String::new(), |c| format!(" ({} s left)", c.remaining));
    let soon = current.is_some_and(|c| c.remaining <= NEXT_CODE_WITHIN) && now;
    match route {
        Route::System => {
            note!(
                "otp: copied the code of {}{left}{}; the clipboard is cleared in {} s unless you copy something else",
                Escaped(&entry.name),
                only_at(entry),
                clear_after.as_secs()
            );
            if soon {
                note!(
                    "otp: the code changes in a moment: the clipboard then gets the next one, until it is cleared"
                );
            }
        }
        Route::Terminal => {
            note!(
                "otp: copied the code of {}{left} through the terminal (OSC 52); a terminal cannot be asked what it holds, so it is not cleared",
                Escaped(&entry.name)
            );
            if soon {
                note!(
                    "otp: the code changes in a moment, and a terminal's clipboard cannot be kept current: copy it again then"
                );
            }
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
    let with_sites = entries.iter().any(|e| !e.sites.is_empty());
    let kinds: Vec<String> = entries.iter().map(|e| kind_column(&e.otp)).collect();
    // Columns as shown: escaped, measured in terminal columns, each no
    // wider than its cap (a 10,000-character name must not pad every
    // row), and together no wider than the terminal.
    let rows: Vec<[String; 5]> = entries
        .iter()
        .zip(&kinds)
        .map(|(e, kind)| {
            [
                Escaped(&e.name).to_string(),
                Escaped(&e.issuer).to_string(),
                Escaped(&e.account).to_string(),
                kind.clone(),
                Escaped(&e.sites.join(", ")).to_string(),
            ]
        })
        .collect();
    let titles = ["NAME", "ISSUER", "ACCOUNT", "TYPE", "SITES"];
    let caps = [40, 32, 40, 32, 60];
    let mins = [12, 8, 10, 8, 12];
    let columns = if with_sites { 5 } else { 4 };
    let natural: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|row| text::width(&row[c]))
                .chain([titles[c].len()])
                .max()
                .unwrap_or(0)
                .min(caps[c])
        })
        .collect();
    let gaps = 2 * (columns - 1);
    let available = super::terminal_columns().map_or(usize::MAX, |w| w.saturating_sub(gaps));
    let widths = text::fit_columns(&natural, &mins[..columns], available);
    let line = |cells: [&str; 5]| {
        let mut line = String::new();
        for (c, &width) in widths.iter().enumerate() {
            let cell = text::fit(cells[c], width);
            line.push_str(&cell);
            if c + 1 < columns {
                line.push_str(&" ".repeat(width - text::width(&cell) + 2));
            }
        }
        line
    };
    out!("{}", line(titles))?;
    for row in &rows {
        out!("{}", line([&row[0], &row[1], &row[2], &row[3], &row[4]]))?;
    }
    Ok(())
}

/// An entry's kind of code, as the list shows it: `totp SHA1 6d 30s`.
fn kind_column(p: &otp::Params) -> String {
    format!(
        "{} {} {}d {}",
        p.kind,
        p.algorithm,
        p.digits,
        match p.kind {
            Kind::Hotp => format!("counter {}", p.counter),
            _ => format!("{}s", p.period),
        }
    )
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["issuer", "account", "sites", "add_sites", "remove_sites"])))]
pub struct EditArgs {
    /// The entry, by its exact name.
    name: String,
    /// The service the account is at.
    #[arg(long)]
    issuer: Option<String>,
    /// The account at the service, e.g. an email address.
    #[arg(long)]
    account: Option<String>,
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
    let edit = Edit {
        issuer: args.issuer,
        account: args.account,
        sites: SiteEdit {
            set: (!args.sites.is_empty()).then_some(args.sites),
            add: args.add_sites,
            remove: args.remove_sites,
        },
    };
    // Everything given is checked before the vault is opened.
    for (field, text) in [
        (Field::Issuer, &edit.issuer),
        (Field::Account, &edit.account),
    ] {
        if let Some(text) = text {
            names::typed(field, text).map_err(EntryError::from)?;
        }
    }
    let sites = &edit.sites;
    let given: Vec<String> = [
        sites.set.as_deref().unwrap_or(&[]),
        &sites.add,
        &sites.remove,
    ]
    .concat();
    warn_mixed_script_sites(&site::normalize_all(&given)?);
    let mut vault = ctx.open_for_update()?;
    let entry = vault.edit(&args.name, &edit)?;
    let sites = match entry.sites.is_empty() {
        true => "no site".to_string(),
        false => entry.sites.join(", "),
    };
    let mut said = format!("{} is now for {}", Escaped(&entry.name), Escaped(&sites));
    if edit.issuer.is_some() {
        said.push_str(&format!(", at {}", Quoted(&entry.issuer)));
    }
    if edit.account.is_some() {
        said.push_str(&format!(", as {}", Quoted(&entry.account)));
    }
    report_saved(vault.save()?);
    note!("otp: {said}");
    Ok(())
}

/// A warning for a name that mixes scripts, as a look-alike's does.
fn warn_mixed_script_name(name: &str) {
    if names::is_mixed_script(name) {
        warn(&format!(
            "the name {} mixes scripts (letters of different alphabets that can look alike); check that it is the name you meant",
            Quoted(name)
        ));
    }
}

/// A warning for each site whose labels mix scripts, as a look-alike's do.
pub fn warn_mixed_script_sites(sites: &[String]) {
    for site in sites.iter().filter(|s| site::is_mixed_script(s)) {
        warn(&format!(
            "the site {} mixes scripts (letters of different alphabets that look alike, as phishing sites use); it is kept as {}: check that it is the site you meant",
            Quoted(&site::unicode(site)),
            Escaped(site)
        ));
    }
}

pub fn remove(ctx: &Context, name: &str) -> Result<(), Failure> {
    let mut vault = ctx.open_for_update()?;
    let removed = vault.remove(name)?;
    report_saved(vault.save()?);
    note!("otp: removed {}", Escaped(&removed.name));
    Ok(())
}

pub fn rename(ctx: &Context, old: &str, new: &str) -> Result<(), Failure> {
    let new = entries::check_name(new)?;
    let mut vault = ctx.open_for_update()?;
    let renamed = vault.rename(old, &new)?.name.clone();
    report_saved(vault.save()?);
    note!("otp: renamed {} to {}", Escaped(old), Escaped(&renamed));
    warn_mixed_script_name(&renamed);
    Ok(())
}

pub fn backup(ctx: &Context, file: &Path, force: bool) -> Result<(), Failure> {
    // Where it goes is checked before the passphrase is asked for.
    otpvault::vault::check_backup_destination(file, force)?;
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
    let new = ctx.new_passphrase(false, vault.kdf())?;
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
