//! TOTP Authenticator (com.authenticator.authservice2): its encrypted
//! backup, one line of base64 of AES-256-CBC (zero IV) under the SHA-256 of
//! the password, around `{"<JSON array as a string>": "<time>"}`; and its
//! preferences' `STATIC_TOTP_CODES_LIST` (from a rooted phone).
//!
//! An account's secret is in `key`, hex, base32 or base64 as `base` (16, 32,
//! 64) says; `digits` and `period` are strings; no algorithm is stored, so
//! it is SHA1. The app keeps names in lower case.
//! Without a password set, the app encrypts with `TotpAuthenticator`,
//! which is tried first.

use data_encoding::BASE64;
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, Stored, malformed};
use super::format::{Format, Found, Reader, Shape};
use super::json::Json;
use super::prefs::Prefs;
use crate::account::Account;
use crate::crypto::aes_cbc_open;
use crate::otp::Kind;
use crate::secret::Passphrase;

const APP: &str = "TOTP Authenticator";
const LIST: &str = "STATIC_TOTP_CODES_LIST";
/// The app's password when the user set none.
pub const DEFAULT_PASSWORD: &str = "TotpAuthenticator";

pub const FORMAT: Format = Format {
    name: "totp-authenticator",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Xml,
            detect: |doc, _| match doc.prefs() {
                Some(prefs) if detect_prefs(prefs) => Found::Plain,
                _ => Found::No,
            },
            read: |doc, _| parse_prefs(doc.require_prefs(APP)?),
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Text,
            detect: |doc, _| match doc.text() {
                Some(text) if detect_encrypted(text) => Found::Encrypted,
                _ => Found::No,
            },
            read: |_, _| Err(FormatError::WrongPassword),
            decrypt: Some(|doc, password| decrypt(doc.require_text(APP)?, password)),
            // Without a password set, the app uses its own: tried first.
            default_password: Some(DEFAULT_PASSWORD),
        },
    ],
    writer: None,
};

/// True if `prefs` are the app's preferences.
pub fn detect_prefs(prefs: &Prefs) -> bool {
    prefs.get(LIST).is_some()
}

/// True if `text` could be an encrypted backup: base64 alone, of whole
/// AES blocks. (Only decrypting tells for sure.)
pub fn detect_encrypted(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && !text.contains(char::is_whitespace)
        && BASE64
            .decode(text.as_bytes())
            .is_ok_and(|b| !b.is_empty() && b.len() % 16 == 0)
}

pub fn parse_prefs(prefs: &Prefs) -> Result<Vec<Account>, FormatError> {
    let list = Json::parse(prefs.get(LIST).unwrap_or("").as_bytes()).ok_or(malformed(
        APP,
        "list",
        Problem::NotJson,
    ))?;
    accounts(list.value())
}

pub fn decrypt(text: &str, password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let ciphertext = Zeroizing::new(
        BASE64
            .decode(text.trim().as_bytes())
            .map_err(|_| malformed(APP, "backup", Problem::NotBase64))?,
    );
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(Sha256::digest(password.expose()).into());
    let plain =
        aes_cbc_open(key.as_ref(), &[0u8; 16], &ciphertext).ok_or(FormatError::WrongPassword)?;
    // `{"[...]": "1608293023"}`: the only member's name is the list.
    let wrapper = Json::parse(&plain).ok_or(FormatError::WrongPassword)?;
    let list = wrapper
        .value()
        .as_object()
        .and_then(|o| o.keys().next())
        .and_then(|k| Json::parse(k.as_bytes()))
        .ok_or(malformed(APP, "decrypted list", Problem::NotJson))?;
    accounts(list.value())
}

fn accounts(list: &Value) -> Result<Vec<Account>, FormatError> {
    list.as_array()
        .ok_or(malformed(APP, "list", Problem::NotValid))?
        .iter()
        .map(|item| match item.as_str() {
            // Older versions stored each account as a JSON string.
            Some(text) => Json::parse(text.as_bytes())
                .ok_or(malformed(APP, "account", Problem::NotJson))
                .and_then(|json| account(json.value())),
            None => account(item),
        })
        .collect()
}

fn account(a: &Value) -> Result<Account, FormatError> {
    let (issuer, name) = (fields::text(a, "issuer"), fields::text(a, "name"));
    let bad = |problem| fields::entry_error(APP, issuer, name, problem);
    let key = fields::text(a, "key");
    let (secret, encoding) = match fields::number(a, "base").unwrap_or(16) {
        16 => (fields::hex(key), Encoding::Hex),
        32 => (fields::base32(key), Encoding::Base32),
        64 => (fields::base64(key), Encoding::Base64),
        _ => (None, Encoding::Bytes),
    };
    let secret = secret.ok_or_else(|| bad(AccountProblem::Secret(encoding)))?;
    let params = fields::stored_params(
        Kind::Totp,
        Stored {
            digits: fields::number(a, "digits"),
            period: fields::number(a, "period"),
            ..Stored::default()
        },
    )
    .map_err(bad)?;
    Fields {
        issuer: issuer.to_string(),
        name: name.to_string(),
        secret,
        params,
    }
    .into_account(APP)
}

#[cfg(all(test, feature = "encrypted-files", feature = "phone-db"))]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_backup_as_the_app_writes_it() {
        let list = r#"[{"issuer":"Site","name":"me","key":"48656C6C6F21DEADBEEF","base":16,"digits":"7","period":"20"}]"#;
        let wrapper = serde_json::json!({ list: "1608293023" }).to_string();
        let key: [u8; 32] = Sha256::digest(b"pw").into();
        let ct = crate::crypto::aes_cbc_seal(&key, &[0u8; 16], wrapper.as_bytes());
        let text = BASE64.encode(&ct);
        assert!(detect_encrypted(&text));
        let got = decrypt(&text, &Passphrase::from("pw".to_string())).unwrap();
        assert_eq!((got[0].params.digits, got[0].params.period), (7, 20));
        assert_eq!(got[0].secret.expose(), b"Hello!\xde\xad\xbe\xef");
        assert!(decrypt(&text, &Passphrase::from("no".to_string())).is_err());
    }
}
