//! Steam's mobile authenticator files (`Steamguard-<id>`, or Steam Desktop
//! Authenticator's maFiles): `shared_secret` is the base64 key of Steam
//! Guard's 5-character codes. A newer file holds several under `accounts`.

use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError};
use super::fields::{self, Fields};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::otp::Kind;

const APP: &str = "Steam";

pub const FORMAT: Format = Format {
    name: "steam",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Json,
        detect: |doc, _| format::json_found(doc, detect, format::never),
        read: |doc, _| parse(doc.require_json(APP)?),
        decrypt: None,
        default_password: None,
    }],
    writer: None,
};

/// True if `json` is a Steam authenticator file, old or new.
pub fn detect(json: &Value) -> bool {
    let one = |a: &Value| a.get("shared_secret").is_some_and(Value::is_string);
    one(json)
        || json
            .get("accounts")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty() && m.values().all(one))
}

pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    let value = json.value();
    let accounts: Vec<&Value> = match value.get("accounts").and_then(Value::as_object) {
        Some(map) => map.values().collect(),
        None => vec![value],
    };
    accounts
        .into_iter()
        .map(|a| {
            let name = fields::text(a, "account_name").to_string();
            let secret = fields::base64(fields::text(a, "shared_secret")).ok_or_else(|| {
                fields::entry_error(APP, APP, &name, AccountProblem::Secret(Encoding::Base64))
            })?;
            Fields {
                issuer: APP.into(),
                name,
                secret,
                params: fields::params(Kind::Steam),
            }
            .into_account(APP)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_files() {
        let old = Json::parse(br#"{"shared_secret":"TGIl88Jl6ucxr8x0X/J5Mg==","account_name":"gamer","revocation_code":"R123"}"#).unwrap();
        let new = Json::parse(br#"{"accounts":{"1":{"shared_secret":"TGIl88Jl6ucxr8x0X/J5Mg==","account_name":"gamer"}}}"#).unwrap();
        for json in [old, new] {
            assert!(detect(json.value()));
            let got = parse(&json).unwrap();
            assert_eq!(
                (got[0].issuer.as_str(), got[0].params.kind),
                ("Steam", Kind::Steam)
            );
            assert_eq!(got[0].secret.expose().len(), 16);
        }
    }
}
