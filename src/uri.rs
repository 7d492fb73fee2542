//! `otpauth://` URIs, as in Google's Key Uri Format.
//!
//! `otpauth://TYPE/LABEL?PARAMETERS` where LABEL is `issuer:account` (or just
//! `account`), percent-encoded. Google's text makes the `issuer` parameter
//! the authority and the label prefix the fallback for when it is absent, so
//! when the two disagree the parameter wins.

use crate::error::{ErrorKind, Kinded};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::account::Account;
use crate::entry::Entry;
use crate::key::{self, KeyError};
use crate::otp::{Algorithm, Kind, ParamError, Params};
use crate::terminal;

/// Why a URI was refused. Never quotes any part of the URI: a lost `&`
/// can put the secret into any parameter's value, or the type.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum UriError {
    #[error("not an otpauth:// URI: paste the whole URI, starting with otpauth://")]
    NotOtpauth,
    #[error("the URI's type is not totp, hotp or steam ({0}): copy the whole URI")]
    UnknownType(String),
    #[error("the URI has no secret= parameter: copy the whole URI")]
    MissingSecret,
    #[error("the URI's secret is not valid: {0}")]
    Secret(KeyError),
    #[error("the URI's label is not valid UTF-8 after percent-decoding: copy the URI again")]
    Label,
    #[error("the URI's {name} parameter is not valid ({detail}): {reason}")]
    Parameter {
        name: &'static str,
        /// Its length and its first bad character's position and kind.
        detail: String,
        reason: String,
    },
    #[error("an hotp URI needs a counter= parameter: copy the whole URI")]
    MissingCounter,
}

/// What was pasted where a setup key or a URI may go, and was neither.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasteError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Uri(#[from] UriError),
}

/// An account from text a person pasted: an `otpauth://` URI if it starts
/// like one (in any case), else a bare setup key.
pub fn parse_pasted(text: &str) -> Result<Account, PasteError> {
    let is_uri = text
        .trim_start()
        .get(..SCHEME.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(SCHEME));
    if is_uri {
        Ok(parse(text)?)
    } else {
        Ok(Account::from_key(key::parse(text)?))
    }
}

const SCHEME: &str = "otpauth:";

/// Parses one `otpauth://` URI (surrounding whitespace ignored).
pub fn parse(uri: &str) -> Result<Account, UriError> {
    // A fragment is not part of the URI's query: `…&period=30#note` has a
    // period of 30.
    let uri = uri.trim();
    let uri = uri.split_once('#').map_or(uri, |(before, _)| before);
    let rest = strip_prefix_ignore_case(uri, "otpauth://").ok_or(UriError::NotOtpauth)?;
    // The type ends at the label's `/`, or at the `?` of a URI without a
    // label; never let the query (and its secret) become part of it.
    let (kind, rest) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], &rest[i + 1..]),
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let kind = kind.parse::<Kind>().map_err(|_| {
        UriError::UnknownType(terminal::describe(kind, |c| c.is_ascii_alphabetic()))
    })?;
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
    let label = percent_decode_str(label)
        .decode_utf8()
        .map_err(|_| UriError::Label)?;

    let mut params = match kind {
        Kind::Steam => Params::steam(),
        kind => Params {
            kind,
            ..Params::default()
        },
    };
    let mut secret = None;
    let mut issuer = None;
    let mut counter = None;
    // form_urlencoded reads `+` as a space, which issuers such as
    // `issuer=Air+Canada` rely on.
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "secret" if secret.is_none() => {
                let value = Zeroizing::new(value.into_owned());
                secret = Some(key::parse(&value).map_err(UriError::Secret)?);
            }
            "issuer" if issuer.is_none() => issuer = Some(value.into_owned()),
            "algorithm" => {
                params.algorithm = value.parse::<Algorithm>().map_err(|e| {
                    bad_parameter("algorithm", &value, |c| c.is_ascii_alphanumeric(), e)
                })?;
            }
            "digits" => params.digits = parse_number("digits", &value)?,
            "period" => params.period = parse_number("period", &value)?,
            "counter" => counter = Some(parse_number::<u64>("counter", &value)?),
            _ => {}
        }
    }
    let secret = secret.ok_or(UriError::MissingSecret)?;
    let (issuer, account) = issuer_and_account(&label, issuer.as_deref());
    if kind == Kind::Hotp {
        params.counter = counter.ok_or(UriError::MissingCounter)?;
    }
    // The values are numbers by now, which say nothing of the secret.
    let params = params.validate().map_err(|e| {
        let name = match e {
            ParamError::PeriodZero => "period",
            _ => "digits",
        };
        UriError::Parameter {
            name,
            detail: "out of range".into(),
            reason: e.to_string(),
        }
    })?;
    Ok(Account {
        issuer,
        account,
        secret,
        params,
        sites: Vec::new(),
    })
}

/// The issuer and account of an `Issuer:account` label, as otpauth URIs
/// and Google's exports write it. The issuer given apart (the `issuer`
/// parameter, Google's issuer field) wins when it is not empty; else the
/// label's prefix is the issuer. Either way, the account is what follows
/// the issuer's prefix, so an issuer that holds a colon (`Ex: Corp`)
/// survives a round trip.
pub(crate) fn issuer_and_account(label: &str, issuer: Option<&str>) -> (String, String) {
    let issuer = issuer.map(str::trim).filter(|i| !i.is_empty());
    let (prefix, account) = split_label(label, issuer);
    (issuer.unwrap_or(prefix).to_string(), account.to_string())
}

/// Splits a decoded label into its issuer prefix and the account. The
/// prefix ends at the first colon, unless the `issuer` parameter, which
/// may itself hold a colon (`Ex: Corp`), is the label's prefix.
fn split_label<'a>(label: &'a str, issuer: Option<&str>) -> (&'a str, &'a str) {
    let (prefix, account) = match issuer.and_then(|i| {
        label
            .strip_prefix(i)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|rest| (i.len(), rest))
    }) {
        Some((len, rest)) => (&label[..len], rest),
        None => label.split_once(':').unwrap_or(("", label)),
    };
    (prefix.trim(), account.trim_start())
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A parameter whose value is refused, described by [`terminal::describe`]
/// against `expected` (what its characters should be).
fn bad_parameter(
    name: &'static str,
    value: &str,
    expected: impl Fn(char) -> bool,
    reason: impl ToString,
) -> UriError {
    UriError::Parameter {
        name,
        detail: terminal::describe(value, expected),
        reason: reason.to_string(),
    }
}

fn parse_number<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, UriError> {
    value.trim().parse().map_err(|_| {
        bad_parameter(
            name,
            value.trim(),
            |c| c.is_ascii_digit(),
            "expected a whole number",
        )
    })
}

/// Characters left unescaped in a label or parameter: RFC 3986 unreserved.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The URI a phone app scans to get a copy of `entry`. It holds the secret:
/// the caller decides where it may go.
pub fn format(entry: &Entry) -> Zeroizing<String> {
    let encode = |s: &str| utf8_percent_encode(s, COMPONENT).to_string();
    let (issuer, account) = (&entry.issuer, entry.export_account());
    let p = &entry.otp;
    // The label is `issuer:account`: a reader that knows the issuer (from
    // its parameter) strips exactly that prefix, even if the issuer holds a
    // colon; see `split_label`. No issuer: the account alone, and no
    // parameter. An account with a colon then gets an empty prefix
    // (`:a:b`), so that no part of it is read as an issuer.
    let label = match (issuer.is_empty(), account.contains(':')) {
        (false, _) => format!("{}:{}", encode(issuer), encode(account)),
        (true, false) => encode(account),
        (true, true) => format!(":{}", encode(account)),
    };
    // Room for everything up front: a buffer that grew would leave a copy
    // of the secret behind, unwiped.
    let secret = key::to_base32(&entry.secret);
    let mut uri = Zeroizing::new(String::with_capacity(
        128 + label.len() + secret.len() + 3 * issuer.len(),
    ));
    uri.push_str(&format!("otpauth://{}/{label}?secret=", p.kind));
    uri.push_str(&secret);
    if !issuer.is_empty() {
        uri.push_str(&format!("&issuer={}", encode(issuer)));
    }
    uri.push_str(&format!("&algorithm={}&digits={}", p.algorithm, p.digits));
    match p.kind {
        Kind::Hotp => uri.push_str(&format!("&counter={}", p.counter)),
        _ => uri.push_str(&format!("&period={}", p.period)),
    }
    uri
}

impl Kinded for UriError {
    fn kind(&self) -> ErrorKind {
        match self {
            UriError::Secret(e) => e.kind(),
            UriError::NotOtpauth
            | UriError::UnknownType(_)
            | UriError::MissingSecret
            | UriError::Label
            | UriError::Parameter { .. }
            | UriError::MissingCounter => ErrorKind::Usage,
        }
    }
}

impl Kinded for PasteError {
    fn kind(&self) -> ErrorKind {
        match self {
            PasteError::Key(e) => e.kind(),
            PasteError::Uri(e) => e.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAZON: &str = "otpauth://totp/Amazon%3Auser%40example.com?secret=N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA&issuer=Amazon";

    #[test]
    fn amazon_style_uri() {
        let got = parse(AMAZON).unwrap();
        assert_eq!(got.issuer, "Amazon");
        assert_eq!(got.account, "user@example.com");
        assert_eq!(got.secret.bits(), 256);
        assert_eq!(got.params, Params::default());
    }

    #[test]
    fn google_example_with_every_parameter() {
        let got = parse("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60").unwrap();
        assert_eq!(got.issuer, "ACME Co");
        assert_eq!(got.account, "john.doe@email.com");
        assert_eq!(got.params.algorithm, Algorithm::SHA256);
        assert_eq!(got.params.digits, 8);
        assert_eq!(got.params.period, 60);
    }

    #[test]
    fn issuer_parameter_wins_over_label_prefix() {
        let got = parse("otpauth://totp/Old:alice?secret=JBSWY3DPEHPK3PXP&issuer=New").unwrap();
        assert_eq!(got.issuer, "New");
        assert_eq!(got.account, "alice");
        let got = parse("otpauth://totp/Prefix:%20%20alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(got.issuer, "Prefix");
        assert_eq!(got.account, "alice");
        let got = parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Air+Canada").unwrap();
        assert_eq!(got.issuer, "Air Canada");
    }

    #[test]
    fn an_issuer_with_a_colon_survives_a_round_trip() {
        let got =
            parse("otpauth://totp/Ex%3A%20Corp:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ex%3A%20Corp")
                .unwrap();
        assert_eq!(
            (got.issuer.as_str(), got.account.as_str()),
            ("Ex: Corp", "alice")
        );
        let entry = got.clone().into_entry("Ex".into()).unwrap();
        assert_eq!(parse(&format(&entry)).unwrap(), got);
        // And an account with one too.
        let entry = Entry {
            account: "a:b".into(),
            ..entry
        };
        let again = parse(&format(&entry)).unwrap();
        assert_eq!(
            (again.issuer.as_str(), again.account.as_str()),
            ("Ex: Corp", "a:b")
        );
        // Without the parameter, the first colon ends the issuer.
        let got = parse("otpauth://totp/A:b:c?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!((got.issuer.as_str(), got.account.as_str()), ("A", "b:c"));
    }

    #[test]
    fn a_uri_without_a_label_is_read_and_never_quoted() {
        let got = parse("otpauth://totp?secret=JBSWY3DPEHPK3PXP&issuer=Site").unwrap();
        assert_eq!((got.issuer.as_str(), got.account.as_str()), ("Site", ""));
        let err = parse("otpauth://push?secret=JBSWY3DPEHPK3PXP").unwrap_err();
        assert_eq!(err, UriError::UnknownType("4 characters".into()));
        let err = parse("otpauth://x;secret=JBSWY3DPEHPK3PXP").unwrap_err();
        assert!(!err.to_string().contains("JBSW"), "{err}");
    }

    #[test]
    fn a_fragment_ends_the_query_and_hmac_names_are_read() {
        let got = parse(
            "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&algorithm=HmacSHA256&period=60#x=1&digits=8",
        )
        .unwrap();
        assert_eq!(got.params.period, 60);
        assert_eq!(got.params.digits, 6);
        assert_eq!(got.params.algorithm, Algorithm::SHA256);
        let got = parse("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&algorithm=HMACSHA512").unwrap();
        assert_eq!(got.params.algorithm, Algorithm::SHA512);
        // Nothing after a `#` is the secret either.
        let got = parse("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP#AAAA").unwrap();
        assert_eq!(got.secret.bits(), 80);
    }

    #[test]
    fn an_account_without_an_issuer_is_written_without_one() {
        let mut account = parse("otpauth://totp/pi%40raspberrypi?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(account.issuer, "");
        let entry = account.clone().into_entry("pi".into()).unwrap();
        let uri = format(&entry);
        assert!(!uri.contains("issuer="), "{}", uri.as_str());
        assert!(
            uri.starts_with("otpauth://totp/pi%40raspberrypi?"),
            "{}",
            uri.as_str()
        );
        assert_eq!(parse(&uri).unwrap(), account);
        // A colon in such an account does not make an issuer on the way back.
        account.account = "a:b".into();
        let entry = account.clone().into_entry("x".into()).unwrap();
        assert_eq!(parse(&format(&entry)).unwrap(), account);
    }

    #[test]
    fn hotp_needs_a_counter() {
        let got = parse("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=7").unwrap();
        assert_eq!(got.params.kind, Kind::Hotp);
        assert_eq!(got.params.counter, 7);
        assert_eq!(
            parse("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP"),
            Err(UriError::MissingCounter)
        );
    }

    #[test]
    fn bad_uris_are_refused() {
        assert_eq!(parse("https://example.com"), Err(UriError::NotOtpauth));
        assert_eq!(
            parse("otpauth://totp/x?issuer=A"),
            Err(UriError::MissingSecret)
        );
        assert!(matches!(
            parse("otpauth://totp/x?secret=AB0C"),
            Err(UriError::Secret(KeyError::InvalidCharacter { ch: '0', .. }))
        ));
        assert!(matches!(
            parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12"),
            Err(UriError::Parameter { name: "digits", .. })
        ));
        assert!(matches!(
            parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0"),
            Err(UriError::Parameter { name: "period", .. })
        ));
        assert!(matches!(
            parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-5"),
            Err(UriError::Parameter { name: "period", .. })
        ));
        assert_eq!(
            parse("otpauth://push/x?secret=JBSWY3DPEHPK3PXP"),
            Err(UriError::UnknownType("4 characters".into()))
        );
        assert_eq!(
            parse("otpauth://totp/%FF?secret=JBSWY3DPEHPK3PXP"),
            Err(UriError::Label)
        );
    }

    #[test]
    fn format_then_parse_round_trips() {
        let parsed = parse(AMAZON).unwrap();
        let entry = parsed.clone().into_entry("Amazon".into()).unwrap();
        let again = parse(&format(&entry)).unwrap();
        assert_eq!(again, parsed);
    }
}
