//! Authy's token store (`com.authy.storage.tokens.authenticator.xml` in the
//! app's shared preferences, from a rooted phone): a JSON array in a
//! preferences string. A token's secret is in clear (`decryptedSecret`) or
//! encrypted with the backup password (`encryptedSecret`): AES-256-CBC with
//! a zero IV under PBKDF2-HMAC-SHA1 (1000 rounds) of the password, salted
//! with the token's `salt` string as it is written. Nothing authenticates
//! the ciphertext: a wrong password shows as bad padding or a secret that
//! is not base32.
//!
//! Authy keeps no algorithm or period: its third-party tokens are SHA1 and
//! 30 s, and its own tokens (`secretSeed`, hex) SHA1 and 10 s.

use data_encoding::BASE64;
use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, malformed};
use super::format::{Format, Found, Reader, Shape};
use super::json::Json;
use super::prefs::Prefs;
use crate::account::Account;
use crate::crypto::aes_cbc_open;
use crate::crypto::kdf::{self, Pbkdf2Hash};
use crate::otp::Kind;
use crate::secret::{Passphrase, Secret};

const APP: &str = "Authy";
const KEYS: [&str; 2] = [
    "com.authy.storage.tokens.authenticator.key",
    "com.authy.storage.tokens.authy.key",
];
const ROUNDS: u64 = 1000;

pub const FORMAT: Format = Format {
    name: "authy",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Xml,
        detect: |doc, _| match doc.prefs() {
            Some(prefs) if detect(prefs) && is_encrypted(prefs) => Found::Encrypted,
            Some(prefs) if detect(prefs) => Found::Plain,
            _ => Found::No,
        },
        read: |doc, _| parse(doc.require_prefs(APP)?),
        decrypt: Some(|doc, password| decrypt(doc.require_prefs(APP)?, password)),
        default_password: None,
    }],
    writer: None,
};

/// True if `prefs` hold Authy's tokens.
pub fn detect(prefs: &Prefs) -> bool {
    tokens_text(prefs).is_some()
}

fn tokens_text(prefs: &Prefs) -> Option<&str> {
    KEYS.iter().find_map(|k| prefs.get(k))
}

fn tokens(prefs: &Prefs) -> Result<Json, FormatError> {
    tokens_text(prefs)
        .and_then(|t| Json::parse(t.as_bytes()))
        .filter(|j| j.value().is_array())
        .ok_or(malformed(APP, "list of tokens", Problem::NotJson))
}

/// True if some token's secret needs the backup password.
pub fn is_encrypted(prefs: &Prefs) -> bool {
    tokens(prefs).is_ok_and(|json| {
        json.value()
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t.get("decryptedSecret").is_none() && t.get("secretSeed").is_none())
    })
}

/// The accounts, every secret in clear.
pub fn parse(prefs: &Prefs) -> Result<Vec<Account>, FormatError> {
    read(prefs, None)
}

/// The accounts, encrypted secrets opened with `password`.
pub fn decrypt(prefs: &Prefs, password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    read(prefs, Some(password))
}

fn read(prefs: &Prefs, password: Option<&Passphrase>) -> Result<Vec<Account>, FormatError> {
    let json = tokens(prefs)?;
    json.value()
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| token(t, password))
        .collect()
}

fn token(t: &Value, password: Option<&Passphrase>) -> Result<Account, FormatError> {
    let digits = fields::number(t, "digits")
        .and_then(fields::narrow)
        .unwrap_or(6);
    if let Some(seed) = t.get("secretSeed").and_then(Value::as_str) {
        // Authy's own token: hex seed, 10-second codes.
        let issuer = fields::text(t, "name").to_string();
        let secret = fields::hex(seed).ok_or_else(|| {
            fields::entry_error(APP, &issuer, "", AccountProblem::Secret(Encoding::Hex))
        })?;
        let mut params = fields::params(Kind::Totp);
        (params.digits, params.period) = (digits, 10);
        return Fields {
            issuer,
            name: String::new(),
            secret,
            params,
        }
        .into_account(APP);
    }
    let (issuer, name) = issuer_and_name(t);
    let secret = match t.get("decryptedSecret").and_then(Value::as_str) {
        Some(clear) => fields::base32(clear).ok_or_else(|| {
            fields::entry_error(
                APP,
                &issuer,
                &name,
                AccountProblem::Secret(Encoding::Base32),
            )
        })?,
        None => {
            let password = password.ok_or(FormatError::WrongPassword)?;
            decrypt_secret(t, password)?
        }
    };
    let mut params = fields::params(Kind::Totp);
    params.digits = digits;
    Fields {
        issuer,
        name,
        secret,
        params,
    }
    .into_account(APP)
}

fn decrypt_secret(t: &Value, password: &Passphrase) -> Result<Secret, FormatError> {
    let ciphertext = BASE64
        .decode(fields::text(t, "encryptedSecret").as_bytes())
        .map_err(|_| malformed(APP, "encrypted secret", Problem::NotBase64))?;
    let salt = fields::text(t, "salt");
    let key = kdf::pbkdf2(Pbkdf2Hash::Sha1, password, salt.as_bytes(), ROUNDS)?;
    let plain =
        aes_cbc_open(key.as_ref(), &[0u8; 16], &ciphertext).ok_or(FormatError::WrongPassword)?;
    let text = std::str::from_utf8(&plain).map_err(|_| FormatError::WrongPassword)?;
    fields::base32(text).ok_or(FormatError::WrongPassword)
}

/// The issuer: Authy's `originalIssuer`, else what precedes `:` in
/// `originalName`, else what precedes ` - ` in `name`, else the account
/// type; the name is `name` without that issuer and separator.
fn issuer_and_name(t: &Value) -> (String, String) {
    let name = fields::text(t, "name");
    let original = fields::text(t, "originalName");
    let (issuer, separator) = if let Some(i) = t.get("originalIssuer").and_then(Value::as_str) {
        (i.to_string(), "")
    } else if let Some((i, _)) = original.split_once(':') {
        (i.to_string(), ":")
    } else if let Some((i, _)) = name.split_once(" - ") {
        (i.to_string(), " - ")
    } else {
        let mut chars = fields::text(t, "accountType").chars();
        let capital = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        (capital, "")
    };
    let mut rest = name.replace(&format!("{issuer}{separator}"), "");
    if let Some(stripped) = rest.strip_prefix(": ") {
        rest = stripped.to_string();
    }
    (issuer, rest.trim().to_string())
}

#[cfg(all(test, feature = "encrypted-files", feature = "phone-db"))]
mod tests {
    use super::*;

    fn prefs(tokens: &str) -> Prefs {
        let escaped = tokens.replace('"', "&quot;");
        Prefs::parse(&format!(
            "<map><string name=\"com.authy.storage.tokens.authenticator.key\">{escaped}</string></map>"
        ))
        .unwrap()
    }

    #[test]
    fn clear_and_encrypted_tokens() {
        let p = prefs(
            r#"[{"accountType":"authenticator","digits":7,"decryptedSecret":"JBSWY3DPEHPK3PXP","originalName":"Site:me","name":"Site: me"}]"#,
        );
        assert!(detect(&p) && !is_encrypted(&p));
        let got = parse(&p).unwrap();
        assert_eq!(
            (got[0].issuer.as_str(), got[0].account.as_str()),
            ("Site", "me")
        );
        assert_eq!((got[0].params.digits, got[0].params.period), (7, 30));

        // Encrypted as Authy does it.
        let password = Passphrase::from("pass".to_string());
        let salt = "abcdefghijklmnopqrstuvwxyz012345";
        let key = kdf::pbkdf2(Pbkdf2Hash::Sha1, &password, salt.as_bytes(), ROUNDS).unwrap();
        let ct = crate::crypto::aes_cbc_seal(key.as_ref(), &[0u8; 16], b"JBSWY3DPEHPK3PXP");
        let p = prefs(&format!(
            r#"[{{"accountType":"authenticator","digits":6,"encryptedSecret":"{}","salt":"{salt}","name":"Other - you"}}]"#,
            BASE64.encode(&ct)
        ));
        assert!(is_encrypted(&p));
        let got = decrypt(&p, &password).unwrap();
        assert_eq!(
            (got[0].issuer.as_str(), got[0].account.as_str()),
            ("Other", "you")
        );
        assert_eq!(got[0].secret.bits(), 80);
        assert!(decrypt(&p, &Passphrase::from("nope".to_string())).is_err());
    }
}
