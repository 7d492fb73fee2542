//! Duo Mobile's account store (`duokit/accounts.json`, from a rooted
//! phone): an array of accounts whose `otpGenerator` holds a base32 secret
//! and, for HOTP, a counter. Duo stores no issuer. Duo Push accounts have no
//! generator: they are not codes, and are passed over.

use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, malformed};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::otp::Kind;

const APP: &str = "Duo";

pub const FORMAT: Format = Format {
    name: "duo",
    aliases: &[],
    app: "Duo Mobile",
    readers: &[Reader {
        shape: Shape::Json,
        detect: |doc, _| format::json_found(doc, detect, format::never),
        read: |doc, _| parse(doc.require_json(APP)?),
        decrypt: None,
        default_password: None,
    }],
    writer: None,
};

/// True if `json` is Duo's account array.
pub fn detect(json: &Value) -> bool {
    json.as_array().is_some_and(|items| {
        items
            .iter()
            .all(|a| a.get("otpGenerator").is_some() || a.get("accountType").is_some())
            && items
                .iter()
                .any(|a| a.pointer("/otpGenerator/otpSecret").is_some())
    })
}

pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    json.value()
        .as_array()
        .ok_or(malformed(APP, "list of accounts", Problem::Missing))?
        .iter()
        .filter_map(|a| Some((a, a.get("otpGenerator")?)))
        .map(|(a, generator)| {
            let name = fields::text(a, "name").to_string();
            let secret = fields::base32(fields::text(generator, "otpSecret")).ok_or_else(|| {
                fields::entry_error(APP, "", &name, AccountProblem::Secret(Encoding::Base32))
            })?;
            let params = match fields::number(generator, "counter") {
                Some(counter) => {
                    let mut params = fields::params(Kind::Hotp);
                    params.counter = counter;
                    params
                }
                None => fields::params(Kind::Totp),
            };
            Fields {
                issuer: String::new(),
                name,
                secret,
                params,
            }
            .into_account(APP)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_hotp_and_push_accounts() {
        let json = Json::parse(br#"[
            {"accountType":"OtpAccount","name":"me","otpGenerator":{"otpSecret":"JBSWY3DPEHPK3PXP"}},
            {"accountType":"OtpAccount","name":"you","otpGenerator":{"otpSecret":"HXDMVJECJJWSRB3H","counter":3}},
            {"accountType":"DuoPush","name":"work"}
        ]"#).unwrap();
        assert!(detect(json.value()));
        let got = parse(&json).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[1].params.kind, got[1].params.counter), (Kind::Hotp, 3));
        assert_eq!(got[0].issuer, "");
    }
}
