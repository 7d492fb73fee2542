//! A password manager's login with a TOTP field, as Bitwarden and KeePassXC
//! export it: the field holds an otpauth URI, `steam://` and a base32 key
//! (Steam Guard), or a bare base32 key named by the login; the login's
//! addresses are where its codes may be typed.

use super::error::{AccountProblem, Encoding, FormatError};
use super::fields::{self, Fields};
use crate::account::Account;
use crate::otp::Kind;
use crate::site;
use crate::uri;

/// A login's TOTP field as an account; `None` if it is empty.
pub fn account(
    app: &'static str,
    totp: &str,
    item: &str,
    username: &str,
) -> Result<Option<Account>, FormatError> {
    let totp = totp.trim();
    if totp.is_empty() {
        return Ok(None);
    }
    let bad = |problem| fields::entry_error(app, item, username, problem);
    if totp.to_ascii_lowercase().starts_with("otpauth://") {
        return uri::parse(totp)
            .map(Some)
            .map_err(|e| bad(AccountProblem::Uri(e)));
    }
    let (kind, key) = match totp.get(..8) {
        Some(head) if head.eq_ignore_ascii_case("steam://") => (Kind::Steam, &totp[8..]),
        _ => (Kind::Totp, totp),
    };
    let secret =
        fields::base32(key).ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
    // The item's name is what the person called it ("Ünïcödé Corp" for a
    // Steam Guard key too); "Steam" only when the item has none.
    let issuer = match (kind, item.trim().is_empty()) {
        (Kind::Steam, true) => "Steam",
        _ => item,
    };
    Fields {
        issuer: issuer.to_string(),
        name: username.to_string(),
        secret,
        params: fields::params(kind),
    }
    .into_account(app)
    .map(Some)
}

/// The sites of a login's addresses: their registrable domains, once each.
pub fn sites<'a>(uris: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut sites: Vec<String> = Vec::new();
    for site in uris.filter_map(site::of_login_url) {
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    sites
}
