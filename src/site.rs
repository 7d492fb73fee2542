//! The sites an entry's code belongs to, and whether a web address is one
//! of them.
//!
//! A TOTP code does not know where it is typed: one typed into a fake
//! Amazon page is as good to the thief as to Amazon. An entry can name its
//! sites (`amazon.co.jp`), and [`check`] releases a code for a URL only if
//! the URL's host is one of them or under one of them, over HTTPS. What
//! phishing pages use to look alike is refused by construction: another
//! registrable domain (`amazon.co.jp.example.com`, `amazon-co-jp.com`,
//! `amaz0n.co.jp`), a homograph (`xn--mazon-3ve.co.jp`, Cyrillic а, which the
//! URL parser leaves in punycode), user information before the host
//! (`https://amazon.co.jp@evil.example/`), an IP address, plain HTTP.
//!
//! The Public Suffix List says where anyone can have a site: `co.jp` in
//! its ICANN section, and in its PRIVATE section names such as
//! `s3.amazonaws.com`, `members.linode.com` or `blob.core.windows.net`,
//! under which any customer of those companies hosts pages. So a URL's
//! host must be the site or a name under it, with no public suffix of
//! either section between the two (the host itself included): for the
//! site `amazonaws.com`, `phish.s3.amazonaws.com` is refused.
//!
//! Sites are stored as domain names in lower-case ASCII (internationalised
//! names in punycode), and never as a public suffix (`co.jp`, `github.io`),
//! which would match every site under it. Forms that could never match a
//! host (`*.amazon.co.jp`, `.amazon.co.jp`, `amazon..co.jp`, two sites in
//! one) are refused with what to give instead.

use crate::error::{ErrorKind, Kinded};
use thiserror::Error;
use url::{Host, Url};

use crate::terminal::Quoted;

/// A site that cannot be one.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SiteError {
    #[error("{} is not a domain name: give the site's name, such as amazon.co.jp", Quoted(.0))]
    NotADomain(String),
    #[error(
        "{} is a pattern, not a site: a site already covers every name under it, so give {} alone",
        Quoted(.given),
        Quoted(.site)
    )]
    Wildcard { given: String, site: String },
    #[error("{} starts with a dot: give the site without it, {}", Quoted(.given), Quoted(.site))]
    LeadingDot { given: String, site: String },
    #[error("{} names more than one site: give each with its own --site", Quoted(.0))]
    Several(String),
    #[error("{} has an empty label (two dots in a row): no host has one; check the spelling", Quoted(.0))]
    EmptyLabel(String),
    #[error(
        "{0} is a public suffix, under which anyone can have a site: give the site's own domain, such as amazon.{0}"
    )]
    PublicSuffix(String),
    #[error("the entry has no site {0}: `otp list` shows its sites")]
    NotThere(String),
}

/// True for `http` and `https` addresses: the only ones whose host is a
/// site. (An app's address, `androidapp://com.google.android.gm`, has a
/// "host" that would read as the domain `android.gm`, which anyone can
/// register.)
fn is_web(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// A change to an entry's sites: replace them all, and/or add and remove
/// some. Sites are kept in the order given, once each.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SiteEdit {
    pub set: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl SiteEdit {
    /// The sites after this edit of `current`.
    pub fn apply(&self, current: &[String]) -> Result<Vec<String>, SiteError> {
        let mut sites = match &self.set {
            Some(set) => normalize_all(set)?,
            None => current.to_vec(),
        };
        for site in normalize_all(&self.add)? {
            if !sites.contains(&site) {
                sites.push(site);
            }
        }
        for site in normalize_all(&self.remove)? {
            let before = sites.len();
            sites.retain(|s| *s != site);
            if sites.len() == before {
                return Err(SiteError::NotThere(site));
            }
        }
        Ok(sites)
    }
}

/// Every site of `sites` normalised, once each, in order.
pub fn normalize_all(sites: &[String]) -> Result<Vec<String>, SiteError> {
    let mut out: Vec<String> = Vec::with_capacity(sites.len());
    for site in sites {
        let site = normalize(site)?;
        if !out.contains(&site) {
            out.push(site);
        }
    }
    Ok(out)
}

/// `site` as it is stored: a domain name, lower-case ASCII, with no
/// trailing dot; a URL is taken for its host (`https://www.amazon.co.jp/`
/// gives `www.amazon.co.jp`).
pub fn normalize(site: &str) -> Result<String, SiteError> {
    let text = site.trim();
    let shown = || text.chars().take(80).collect::<String>();
    let not = || SiteError::NotADomain(shown());
    if text.contains([',', ';', ' ', '\t']) {
        return Err(SiteError::Several(shown()));
    }
    // A web address is taken for its host; any other scheme's "host"
    // (`androidapp://com.example.app`) is no site.
    let host = match Url::parse(text) {
        Ok(url) if url.has_host() && is_web(&url) => url.host_str().ok_or_else(not)?.to_string(),
        Ok(url) if url.has_host() => return Err(not()),
        _ => text.to_string(),
    };
    if let Some(rest) = host.strip_prefix("*.") {
        return Err(SiteError::Wildcard {
            given: shown(),
            site: rest.trim_end_matches('.').to_ascii_lowercase(),
        });
    }
    if let Some(rest) = host.strip_prefix('.') {
        return Err(SiteError::LeadingDot {
            given: shown(),
            site: rest.trim_end_matches('.').to_ascii_lowercase(),
        });
    }
    let bare = host.strip_suffix('.').unwrap_or(&host);
    if bare.split('.').any(str::is_empty) {
        return Err(SiteError::EmptyLabel(shown()));
    }
    let domain = match Host::parse(bare) {
        Ok(Host::Domain(domain)) => domain,
        _ => return Err(not()),
    };
    let domain = domain.to_ascii_lowercase();
    if domain.is_empty()
        || !domain.contains('.')
        || domain.contains(['/', ':', '@', '*'])
        || domain.split('.').any(str::is_empty)
    {
        return Err(not());
    }
    if psl::domain_str(&domain).is_none() {
        return Err(SiteError::PublicSuffix(domain));
    }
    Ok(domain)
}

/// True if a label of `domain` (stored in punycode) mixes scripts, as a
/// look-alike of a known name does (`xn--mazon-3ve` is `аmazon` with a
/// Cyrillic `а`): worth a warning when such a site is added.
pub fn is_mixed_script(domain: &str) -> bool {
    unicode(domain)
        .split('.')
        .any(crate::names::is_mixed_script)
}

/// A stored site as people write it (`xn--r8jz45g.jp` is `例え.jp`).
pub fn unicode(domain: &str) -> String {
    idna::domain_to_unicode(domain).0
}

/// The registrable domain of `url`'s host, for sites read from another
/// app's stored login addresses (`https://www.amazon.co.jp/ap/signin` gives
/// `amazon.co.jp`); `None` if it has none.
pub fn of_login_url(url: &str) -> Option<String> {
    let url = Url::parse(url.trim()).ok().filter(is_web)?;
    match url.host()? {
        Host::Domain(host) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            psl::domain_str(&host).map(str::to_string)
        }
        Host::Ipv4(_) | Host::Ipv6(_) => None,
    }
}

/// Why a URL does not get the code.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("the entry names no site: add one with `otp edit NAME --add-site DOMAIN`")]
    NoSites,
    #[error("the URL cannot be read as a web address")]
    Malformed,
    #[error(
        "the URL is {0}, not https: a code sent over plain HTTP can be read on the way (give --allow-http only for a site on your own network)"
    )]
    NotHttps(String),
    #[error(
        "the URL has a user name or password before its host, which is how a fake address hides the real one"
    )]
    UserInfo,
    #[error("the URL's host is an IP address, not a site's name")]
    IpAddress,
    #[error("the URL's host is {}, not the entry's site", crate::terminal::Escaped(.0))]
    OtherSite(String),
    #[error(
        "the URL's host {} is under the public suffix {}, where anyone can have a site",
        crate::terminal::Escaped(.host),
        crate::terminal::Escaped(.suffix)
    )]
    PublicSuffix { host: String, suffix: String },
}

/// A code not given for a URL: which entry, the sites it is for, and why
/// the URL is not one of them. Never holds the code.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{}", withheld(.name, .sites, .why))]
pub struct Withheld {
    pub name: String,
    pub sites: Vec<String>,
    pub why: Refusal,
}

fn withheld(name: &str, sites: &[String], why: &Refusal) -> String {
    let name = crate::terminal::Quoted(name);
    match why {
        Refusal::NoSites => format!("not giving the code of {name}: {why}"),
        _ => format!(
            "not giving the code of {name}, which is for {} only: {why}; do not type it there",
            sites.join(" or ")
        ),
    }
}

/// Whether `url` may have the code of the entry called `name`, which
/// belongs to `sites`; see [`check`].
pub fn release(name: &str, sites: &[String], url: &str, allow_http: bool) -> Result<(), Withheld> {
    check(url, sites, allow_http)
        .map(|_| ())
        .map_err(|why| Withheld {
            name: name.to_string(),
            sites: sites.to_vec(),
            why,
        })
}

/// The site of `sites` that `url` belongs to: its host is that site or a
/// name under it with no public suffix between them ([`under`]), the
/// scheme is https (or http with `allow_http`), and no user information
/// precedes the host.
pub fn check<'a>(url: &str, sites: &'a [String], allow_http: bool) -> Result<&'a str, Refusal> {
    if sites.is_empty() {
        return Err(Refusal::NoSites);
    }
    let parsed = Url::parse(url.trim()).map_err(|_| Refusal::Malformed)?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_http => {}
        scheme @ ("http" | "ftp" | "ws" | "wss") => return Err(Refusal::NotHttps(scheme.into())),
        _ => return Err(Refusal::Malformed),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refusal::UserInfo);
    }
    let host = match parsed.host() {
        Some(Host::Domain(host)) => host.to_ascii_lowercase(),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(Refusal::IpAddress),
        None => return Err(Refusal::Malformed),
    };
    // One trailing dot is the same host (the root); an empty label is no
    // host a name server answers for.
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    if host.split('.').any(str::is_empty) {
        return Err(Refusal::Malformed);
    }
    let mut under_a_suffix = None;
    for site in sites {
        match under(&host, site) {
            Under::Yes => return Ok(site),
            Under::PastSuffix(suffix) => under_a_suffix = Some(suffix),
            Under::No => {}
        }
    }
    Err(match under_a_suffix {
        Some(suffix) => Refusal::PublicSuffix { host, suffix },
        None => Refusal::OtherSite(host),
    })
}

/// Whether a host is at a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Under {
    /// The host is the site, or a name under it that the site's owner
    /// gives out.
    Yes,
    /// The host is under the site, but also under this public suffix
    /// below the site: someone else's page.
    PastSuffix(String),
    /// The host is not the site nor under it.
    No,
}

/// Whether `host` is `site` or under it with no public suffix (ICANN or
/// PRIVATE) between them, the host included. Both in lower-case ASCII,
/// without a trailing dot. The rule the browser's host uses too.
pub fn under(host: &str, site: &str) -> Under {
    let at_or_under = host == site
        || host
            .strip_suffix(site)
            .is_some_and(|rest| rest.ends_with('.'));
    if !at_or_under {
        return Under::No;
    }
    // The longest public suffix of the host; if it is the site or a name
    // under it, anyone may have a page at the host.
    let labels = |name: &str| name.split('.').count();
    match psl::suffix_str(host) {
        Some(suffix) if labels(suffix) >= labels(site) => Under::PastSuffix(suffix.to_string()),
        _ => Under::Yes,
    }
}

impl Kinded for SiteError {
    fn kind(&self) -> ErrorKind {
        match self {
            SiteError::NotADomain(_)
            | SiteError::Wildcard { .. }
            | SiteError::LeadingDot { .. }
            | SiteError::Several(_)
            | SiteError::EmptyLabel(_)
            | SiteError::PublicSuffix(_)
            | SiteError::NotThere(_) => ErrorKind::Usage,
        }
    }
}

impl Kinded for Withheld {
    fn kind(&self) -> ErrorKind {
        ErrorKind::SiteRule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_normalised_and_suffixes_refused() {
        assert_eq!(normalize("Amazon.CO.JP.").unwrap(), "amazon.co.jp");
        assert_eq!(
            normalize("https://www.amazon.co.jp/ap/signin").unwrap(),
            "www.amazon.co.jp"
        );
        assert_eq!(normalize("例え.jp").unwrap(), "xn--r8jz45g.jp");
        assert!(matches!(
            normalize("co.jp"),
            Err(SiteError::PublicSuffix(_))
        ));
        assert!(matches!(
            normalize("github.io"),
            Err(SiteError::PublicSuffix(_))
        ));
        assert_eq!(normalize("alice.github.io").unwrap(), "alice.github.io");
        for bad in ["", "localhost", "127.0.0.1", "a b.com", "[::1]"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        assert_eq!(
            of_login_url("https://www.amazon.co.jp/ap/signin").as_deref(),
            Some("amazon.co.jp")
        );
        assert_eq!(of_login_url("https://10.0.0.1/"), None);
        for app in [
            "androidapp://com.google.android.gm",
            "iosapp://com.amazon.mShop.android.shopping",
        ] {
            assert_eq!(of_login_url(app), None, "{app}");
            assert!(normalize(app).is_err(), "{app}");
        }
    }

    #[test]
    fn an_edit_adds_removes_and_replaces() {
        let current = vec!["amazon.co.jp".to_string()];
        let edit = SiteEdit {
            add: vec!["Amazon.com".into(), "amazon.co.jp".into()],
            ..SiteEdit::default()
        };
        assert_eq!(
            edit.apply(&current).unwrap(),
            ["amazon.co.jp", "amazon.com"]
        );
        let edit = SiteEdit {
            remove: vec!["amazon.co.jp".into()],
            ..SiteEdit::default()
        };
        assert!(edit.apply(&current).unwrap().is_empty());
        assert_eq!(
            edit.apply(&[]).unwrap_err(),
            SiteError::NotThere("amazon.co.jp".into())
        );
        let edit = SiteEdit {
            set: Some(vec!["github.com".into()]),
            ..SiteEdit::default()
        };
        assert_eq!(edit.apply(&current).unwrap(), ["github.com"]);
    }
}
