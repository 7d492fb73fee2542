//! `otp add`: one account from its setup key, URI or QR screenshot, and
//! its first code.

use std::path::PathBuf;

use clap::Args;
use otpvault::clock;
use otpvault::entries;
use otpvault::entry::View;
use otpvault::names;
use otpvault::otp::{Algorithm, Kind};
use otpvault::session::{Op, Outcome};
use otpvault::terminal::{Escaped, ShownPath};
use otpvault::{Account, Overrides, Secret, import, key, uri};
use zeroize::Zeroizing;

use super::code::{for_people, only_at};
use super::context::{Context, report_backup, report_saved, suggest_recovery_key, unexpected};
use super::edit::{parse_algorithm, warn_mixed_script_name, warn_mixed_script_sites};
use super::input;
use super::{Failure, warn};

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
    let exists = !matches!(ctx.vault_path().try_exists(), Ok(false));
    if exists {
        let outcome = ctx.run(Op::CheckName { name })?;
        let Outcome::Name { name: checked } = outcome else {
            return Err(unexpected(&outcome));
        };
        name = checked;
    }
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
    // being pasted): by the agent, or here with the passphrase; the first
    // account creates the vault.
    let (entry, current, created) = if exists {
        let outcome = ctx.run(Op::Add {
            entry: enrolled.entry,
        })?;
        let Outcome::Added {
            entry,
            current,
            backup,
        } = outcome
        else {
            return Err(unexpected(&outcome));
        };
        report_backup(backup);
        (entry, current, false)
    } else {
        let (mut vault, created) = ctx.open_or_create()?;
        let added = vault.add(enrolled.entry)?.clone();
        report_saved(vault.save()?);
        let current = match added.otp.kind {
            Kind::Hotp => None,
            _ => added.current(clock::now()?)?,
        };
        (View::from(&added), current, created)
    };
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
        ShownPath(ctx.vault_path())
    );
    match current {
        Some(current) => {
            note!(
                "otp: type this code into {} to finish its setup:",
                Escaped(&entry.issuer)
            );
            out!("{}{}", for_people(&current), only_at(&entry))?;
        }
        None => note!(
            "otp: run `otp code {}` for its first code",
            Escaped(&entry.name)
        ),
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
