//! Changes to accounts: `edit` (issuer, account, sites), `rename` and
//! `remove`.

use clap::Args;
use otpvault::entries::{self, Edit, EntryError};
use otpvault::names::{self, Field};
use otpvault::session::{Op, Outcome};
use otpvault::site::{self, SiteEdit};
use otpvault::terminal::{Escaped, Quoted};

use super::context::{Context, report_backup, unexpected};
use super::{Failure, warn};

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
    /// HMAC algorithm, if the site's is not the one given at `add`.
    #[arg(long, value_parser = parse_algorithm)]
    algorithm: Option<otpvault::Algorithm>,
    /// Code length, 6 to 10.
    #[arg(long)]
    digits: Option<u8>,
    /// Seconds a code lasts.
    #[arg(long)]
    period: Option<u32>,
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
        algorithm: args.algorithm,
        digits: args.digits,
        period: args.period,
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
    let (issuer_given, account_given) = (edit.issuer.is_some(), edit.account.is_some());
    let outcome = ctx.run(Op::Edit {
        name: args.name,
        edit,
    })?;
    let Outcome::Changed { entry, backup } = outcome else {
        return Err(unexpected(&outcome));
    };
    let sites = match entry.sites.is_empty() {
        true => "no site".to_string(),
        false => entry.sites.join(", "),
    };
    let mut said = format!("{} is now for {}", Escaped(&entry.name), Escaped(&sites));
    if issuer_given {
        said.push_str(&format!(", at {}", Quoted(&entry.issuer)));
    }
    if account_given {
        said.push_str(&format!(", as {}", Quoted(&entry.account)));
    }
    report_backup(backup);
    note!("otp: {said}");
    Ok(())
}

/// `--algorithm` of `add` and `edit`, read by the library's own rule.
pub fn parse_algorithm(s: &str) -> Result<otpvault::Algorithm, String> {
    s.parse()
        .map_err(|e: otpvault::otp::ParamError| e.to_string())
}

/// A warning for a name that mixes scripts, as a look-alike's does.
pub fn warn_mixed_script_name(name: &str) {
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
    let outcome = ctx.run(Op::Remove {
        name: name.to_string(),
    })?;
    let Outcome::Removed { entry, backup } = outcome else {
        return Err(unexpected(&outcome));
    };
    report_backup(backup);
    note!("otp: removed {}", Escaped(&entry.name));
    Ok(())
}

pub fn rename(ctx: &Context, old: &str, new: &str) -> Result<(), Failure> {
    let new = entries::check_name(new)?;
    let outcome = ctx.run(Op::Rename {
        old: old.to_string(),
        new,
    })?;
    let Outcome::Changed { entry, backup } = outcome else {
        return Err(unexpected(&outcome));
    };
    report_backup(backup);
    let renamed = entry.name;
    note!("otp: renamed {} to {}", Escaped(old), Escaped(&renamed));
    warn_mixed_script_name(&renamed);
    Ok(())
}
