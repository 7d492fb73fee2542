//! What extract_otp_secrets (a tool that decodes Google Authenticator's
//! transfer codes) writes: JSON, an array of `{name, secret, issuer, type,
//! counter, url}`, and the same as CSV. It drops the algorithm, digits and
//! period, so codes are SHA1, 6 digits, 30 s. Names are taken as they are:
//! a name may hold a colon without an issuer before it.

use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, malformed};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::otp::Kind;

const APP: &str = "extract_otp_secrets";

pub const FORMAT: Format = Format {
    name: "extract-otp-secrets",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Json,
            detect: |doc, _| format::json_found(doc, detect, format::never),
            read: |doc, _| parse(doc.require_json(APP)?),
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Csv,
            detect: |doc, _| format::csv_found(doc, detect_csv),
            read: |doc, _| parse_csv(doc.require_text(APP)?),
            decrypt: None,
            default_password: None,
        },
    ],
    writer: None,
};
const COLUMNS: [&str; 6] = ["name", "secret", "issuer", "type", "counter", "url"];

/// True if `json` is the tool's JSON: objects with exactly its keys.
pub fn detect(json: &Value) -> bool {
    json.as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|i| {
                i.as_object().is_some_and(|o| {
                    o.len() == COLUMNS.len() && COLUMNS.iter().all(|c| o.contains_key(*c))
                })
            })
    })
}

/// True if `header` is the tool's CSV header.
pub fn detect_csv(header: &csv::StringRecord) -> bool {
    header.iter().eq(COLUMNS)
}

pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    json.value()
        .as_array()
        .ok_or(malformed(APP, "list of accounts", Problem::Missing))?
        .iter()
        .map(|i| {
            let counter = fields::number(i, "counter");
            account(
                fields::text(i, "name"),
                fields::text(i, "issuer"),
                fields::text(i, "secret"),
                fields::text(i, "type"),
                counter,
            )
        })
        .collect()
}

pub fn parse_csv(text: &str) -> Result<Vec<Account>, FormatError> {
    let invalid = || malformed(APP, "CSV", Problem::NotValid);
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    if !detect_csv(reader.headers().map_err(|_| invalid())?) {
        return Err(invalid());
    }
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| invalid())?;
        let get = |i: usize| record.get(i).unwrap_or("");
        let counter = match get(4).trim() {
            "" => None,
            n => Some(n.parse().map_err(|_| invalid())?),
        };
        accounts.push(account(get(0), get(2), get(1), get(3), counter)?);
    }
    Ok(accounts)
}

fn account(
    name: &str,
    issuer: &str,
    secret: &str,
    kind: &str,
    counter: Option<u64>,
) -> Result<Account, FormatError> {
    let bad = |problem| fields::entry_error(APP, issuer, name, problem);
    let kind = match fields::kind(kind) {
        Some(kind @ (Kind::Totp | Kind::Hotp)) => kind,
        _ => return Err(bad(AccountProblem::Kind)),
    };
    let secret =
        fields::base32(secret).ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
    let mut params = fields::params(kind);
    if kind == Kind::Hotp {
        params.counter = counter.unwrap_or(0);
    }
    Fields {
        issuer: issuer.to_string(),
        name: name.to_string(),
        secret,
        params,
    }
    .into_account(APP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_csv() {
        let json = Json::parse(br#"[{"name":"a:b","secret":"JBSWY3DPEHPK3PXP","issuer":"","type":"totp","counter":null,"url":"otpauth://totp/a%3Ab?secret=JBSWY3DPEHPK3PXP"},
                                    {"name":"h","secret":"HXDMVJECJJWSRB3H","issuer":"X","type":"hotp","counter":4,"url":""}]"#).unwrap();
        assert!(detect(json.value()));
        let got = parse(&json).unwrap();
        assert_eq!(
            (got[0].issuer.as_str(), got[0].account.as_str()),
            ("", "a:b")
        );
        assert_eq!(got[1].params.counter, 4);
        let got =
            parse_csv("name,secret,issuer,type,counter,url\r\nh,HXDMVJECJJWSRB3H,X,hotp,4,\r\n")
                .unwrap();
        assert_eq!((got[0].params.kind, got[0].params.counter), (Kind::Hotp, 4));
    }
}
