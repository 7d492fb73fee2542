//! FreeOTP's token store (`tokens.xml`, FreeOTP 1 and FreeOTP+'s
//! preferences, from a rooted phone), FreeOTP+'s JSON export, and, through
//! [`freeotp2`](super::freeotp2), FreeOTP 2's encrypted backup.
//!
//! A token is Gson's JSON of FreeOTP's `Token`: `type`, `algo`, `digits`,
//! `period`, `counter`, `issuerExt`, `label`, and in the store the secret
//! as Java's signed bytes. The stored counter is the one FreeOTP would use
//! for its next code, so it is kept as it is. A TOTP token whose issuer is
//! `Steam` is Steam Guard, as FreeOTP shows it.

use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, Stored, malformed};
use super::format::{self, Format, Found, Reader, Shape};
use super::json::Json;
use super::prefs::Prefs;
use crate::account::Account;
use crate::otp::Kind;
use crate::secret::Secret;

const APP: &str = "FreeOTP";

/// FreeOTP's token store (a rooted phone's preferences file), read by
/// either name, and FreeOTP 2's encrypted backup.
const TOKEN_STORE: Reader = Reader {
    shape: Shape::Xml,
    detect: |doc, _| match doc.prefs() {
        Some(prefs) if detect_prefs(prefs) => Found::Plain,
        _ => Found::No,
    },
    read: |doc, _| parse_prefs(doc.require_prefs(APP)?),
    decrypt: None,
    default_password: None,
};

pub const FORMAT: Format = Format {
    name: "freeotp",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Container,
            detect: |doc, _| match super::freeotp2::detect(doc.bytes()) {
                true => Found::Encrypted,
                false => Found::No,
            },
            read: |_, _| Err(FormatError::WrongPassword),
            decrypt: Some(|doc, password| {
                super::freeotp2::decrypt(doc.bytes(), password)?
                    .into_iter()
                    .map(|(token, secret)| account(token.value(), secret))
                    .collect()
            }),
            default_password: None,
        },
        TOKEN_STORE,
    ],
    writer: None,
};

pub const FORMAT_PLUS: Format = Format {
    name: "freeotp-plus",
    aliases: &[],
    app: "FreeOTP+",
    readers: &[
        Reader {
            shape: Shape::Json,
            detect: |doc, _| format::json_found(doc, detect_plus, format::never),
            read: |doc, _| parse_plus(doc.require_json(APP)?),
            decrypt: None,
            default_password: None,
        },
        TOKEN_STORE,
    ],
    writer: None,
};
const ORDER: &str = "tokenOrder";

/// True if `prefs` are FreeOTP's token store: every string but the order
/// is a token.
pub fn detect_prefs(prefs: &Prefs) -> bool {
    let mut tokens = prefs
        .strings()
        .filter(|(name, _)| *name != ORDER)
        .peekable();
    tokens.peek().is_some()
        && tokens.all(|(_, value)| {
            Json::parse(value.as_bytes()).is_some_and(|json| is_token(json.value()))
        })
}

/// True if `json` is FreeOTP+'s JSON export.
pub fn detect_plus(json: &Value) -> bool {
    json.get(ORDER).is_some()
        && json
            .get("tokens")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().all(is_token))
}

fn is_token(token: &Value) -> bool {
    token.get("secret").is_some_and(Value::is_array) && token.get("type").is_some()
}

/// The accounts of a token store.
pub fn parse_prefs(prefs: &Prefs) -> Result<Vec<Account>, FormatError> {
    prefs
        .strings()
        .filter(|(name, _)| *name != ORDER)
        .map(|(_, value)| {
            let json =
                Json::parse(value.as_bytes()).ok_or(malformed(APP, "token", Problem::NotJson))?;
            stored(json.value())
        })
        .collect()
}

/// The accounts of a FreeOTP+ JSON export.
pub fn parse_plus(json: &Json) -> Result<Vec<Account>, FormatError> {
    json.value()
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or(malformed(APP, "list of tokens", Problem::Missing))?
        .iter()
        .map(stored)
        .collect()
}

/// A token with its secret inside it.
fn stored(token: &Value) -> Result<Account, FormatError> {
    let secret = token.get("secret").and_then(fields::java_bytes);
    let (issuer, name) = issuer_and_name(token);
    let secret = secret.ok_or_else(|| {
        fields::entry_error(APP, &issuer, &name, AccountProblem::Secret(Encoding::Bytes))
    })?;
    account(token, secret)
}

/// The issuer and name FreeOTP shows: a user's renaming (`issuerAlt`,
/// `labelAlt`) first.
fn issuer_and_name(token: &Value) -> (String, String) {
    let first = |keys: &[&str]| {
        keys.iter()
            .map(|k| fields::text(token, k))
            .find(|v| !v.is_empty())
            .unwrap_or("")
            .to_string()
    };
    (
        first(&["issuerAlt", "issuerExt", "issuerInt"]),
        first(&["labelAlt", "label"]),
    )
}

/// A token's account, its secret given; absent parameters take FreeOTP's
/// defaults (SHA1, 6 digits, 30 s, counter 0).
pub fn account(token: &Value, secret: Secret) -> Result<Account, FormatError> {
    let (issuer, name) = issuer_and_name(token);
    let bad = |problem| fields::entry_error(APP, &issuer, &name, problem);
    let kind = match fields::kind(fields::text(token, "type")) {
        Some(Kind::Totp) if issuer == "Steam" => Kind::Steam,
        Some(kind @ (Kind::Totp | Kind::Hotp)) => kind,
        _ => return Err(bad(AccountProblem::Kind)),
    };
    let params = fields::stored_params(
        kind,
        Stored {
            algorithm: token.get("algo").and_then(Value::as_str),
            digits: fields::number(token, "digits"),
            period: fields::number(token, "period"),
            counter: fields::number(token, "counter"),
        },
    )
    .map_err(bad)?;
    Fields {
        issuer,
        name,
        secret,
        params,
    }
    .into_account(APP)
}

#[cfg(all(test, feature = "phone-db"))]
mod tests {
    use super::*;

    const TOKEN: &str = r#"{"algo":"SHA256","counter":4,"digits":8,"issuerExt":"Bank","label":"me","period":30,"secret":[72,101,108,108,111,33,-34,-83,-66,-17],"type":"HOTP"}"#;

    #[test]
    fn the_store_and_the_plus_export() {
        let prefs = Prefs::parse(&format!(
            "<map><string name=\"Bank:me\">{}</string><string name=\"tokenOrder\">[&quot;Bank:me&quot;]</string></map>",
            TOKEN.replace('"', "&quot;")
        ))
        .unwrap();
        assert!(detect_prefs(&prefs));
        let got = parse_prefs(&prefs).unwrap();
        assert_eq!(
            (
                got[0].params.kind,
                got[0].params.counter,
                got[0].params.digits
            ),
            (Kind::Hotp, 4, 8)
        );
        assert_eq!(got[0].secret.expose(), b"Hello!\xde\xad\xbe\xef");

        let json =
            Json::parse(format!(r#"{{"tokenOrder":["Bank:me"],"tokens":[{TOKEN}]}}"#).as_bytes())
                .unwrap();
        assert!(detect_plus(json.value()));
        assert_eq!(parse_plus(&json).unwrap()[0].issuer, "Bank");
    }

    #[test]
    fn a_steam_issuer_is_steam_guard() {
        let token: Value = serde_json::from_str(
            r#"{"type":"TOTP","issuerExt":"Steam","label":"gamer","digits":5}"#,
        )
        .unwrap();
        let got = account(&token, Secret::new(vec![1; 10])).unwrap();
        assert_eq!(got.params.kind, Kind::Steam);
    }
}
