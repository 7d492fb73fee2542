//! 2FAS backups (`.2fas`), schema versions 1 to 4, plain and encrypted.
//!
//! An encrypted backup keeps its services in `servicesEncrypted` as
//! `base64(ciphertext ‖ tag):base64(salt):base64(iv)`, AES-256-GCM under a
//! key PBKDF2-HMAC-SHA256 derives from the password in 10,000 rounds.
//! Schema 1 has no code parameters, and schema 2 no token type: their
//! entries are TOTP with whatever parameters are present, as 2FAS itself
//! treats them.

use data_encoding::BASE64;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::error::{AccountProblem, FormatError, Problem, Unread};
use super::fields::{entry_error, malformed};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::crypto::{aes_gcm_open, kdf};
use crate::key;
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::{Passphrase, Secret};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[serde(default)]
    services: Vec<Service>,
    schema_version: u32,
    #[serde(default)]
    services_encrypted: Option<String>,
}

#[derive(Deserialize)]
struct Service {
    name: String,
    #[serde(with = "key::base32")]
    secret: Secret,
    #[serde(default)]
    otp: Otp,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Otp {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    digits: Option<u8>,
    #[serde(default)]
    period: Option<u32>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    counter: Option<u64>,
}

const PBKDF2_ROUNDS: u64 = 10_000;

/// True if `json` looks like a 2FAS backup.
const APP: &str = "2FAS";

pub const FORMAT: Format = Format {
    name: "2fas",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Json,
        detect: |doc, _| format::json_found(doc, detect, is_encrypted),
        read: |doc, _| parse(doc.require_json(APP)?),
        decrypt: Some(|doc, password| decrypt(doc.require_json(APP)?, password)),
        default_password: None,
    }],
    writer: None,
};

pub fn detect(json: &serde_json::Value) -> bool {
    json.get("schemaVersion").is_some()
        && (json.get("services").is_some() || json.get("servicesEncrypted").is_some())
}

/// True if the backup's services are encrypted (needs a password).
pub fn is_encrypted(json: &serde_json::Value) -> bool {
    json.get("servicesEncrypted").is_some_and(|s| s.is_string())
}

/// The accounts in a plain 2FAS backup.
pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    let file = read(json)?;
    file.services.iter().map(account).collect()
}

/// The accounts in an encrypted 2FAS backup.
pub fn decrypt(json: &Json, password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let file = read(json)?;
    let encrypted = file.services_encrypted.as_deref().ok_or(malformed(
        APP,
        "servicesEncrypted field",
        Problem::Missing,
    ))?;
    let plain = decrypt_services(encrypted, password)?;
    let services: Vec<Service> = serde_json::from_slice(&plain)
        .map_err(|_| malformed(APP, "decrypted services", Problem::NotValid))?;
    services.iter().map(account).collect()
}

fn read(json: &Json) -> Result<File, FormatError> {
    let file: File = json
        .to()
        .map_err(|_| malformed(APP, "document", Problem::NotValid))?;
    if !(1..=4).contains(&file.schema_version) {
        return Err(FormatError::Unsupported {
            app: APP,
            what: Unread::Version(u64::from(file.schema_version)),
        });
    }
    Ok(file)
}

fn decrypt_services(field: &str, password: &Passphrase) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let parts: Vec<&str> = field.split(':').collect();
    let [data, salt, iv] = parts.as_slice() else {
        return Err(malformed(APP, "servicesEncrypted field", Problem::NotValid));
    };
    let b64 = |s: &str| {
        BASE64
            .decode(s.as_bytes())
            .map_err(|_| malformed(APP, "servicesEncrypted field", Problem::NotBase64))
    };
    let (data, salt, iv) = (b64(data)?, b64(salt)?, b64(iv)?);
    if data.len() < 16 {
        return Err(malformed(APP, "servicesEncrypted field", Problem::CutShort));
    }
    let (ciphertext, tag) = data.split_at(data.len() - 16);
    let key = kdf::pbkdf2(kdf::Pbkdf2Hash::Sha256, password, &salt, PBKDF2_ROUNDS)?;
    aes_gcm_open(key.as_ref(), &iv, &[], ciphertext, tag).ok_or(FormatError::WrongPassword)
}

fn account(s: &Service) -> Result<Account, FormatError> {
    let otp = &s.otp;
    let bad = |problem| {
        entry_error(
            APP,
            otp.issuer.as_deref().unwrap_or(&s.name),
            otp.account.as_deref().unwrap_or_default(),
            problem,
        )
    };
    let kind = match &otp.token_type {
        None => Kind::Totp,
        Some(name) => name
            .parse::<Kind>()
            .map_err(|_| bad(AccountProblem::Kind))?,
    };
    let algorithm = match &otp.algorithm {
        Some(name) => name
            .parse::<Algorithm>()
            .map_err(|_| bad(AccountProblem::Algorithm))?,
        None => Algorithm::SHA1,
    };
    let params = Params {
        kind,
        algorithm,
        digits: otp
            .digits
            .unwrap_or(if kind == Kind::Steam { 5 } else { 6 }),
        period: otp.period.unwrap_or(30),
        counter: otp.counter.unwrap_or(0),
    }
    .validate()
    .map_err(|e| bad(AccountProblem::Params(e)))?;
    let issuer = otp
        .issuer
        .clone()
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| s.name.clone());
    Ok(Account {
        issuer,
        account: otp.account.clone().unwrap_or_default(),
        secret: s.secret.clone(),
        params,
        sites: Vec::new(),
    })
}

#[cfg(all(test, feature = "encrypted-files"))]
mod tests {
    use super::*;
    use crate::crypto::{aes_gcm_seal, random_array};

    const SERVICES: &str = r#"[
        {"name": "Deno", "secret": "JBSWY3DPEHPK3PXP", "otp": {"account": "me", "issuer": "Deno", "digits": 6, "period": 30, "algorithm": "SHA1", "tokenType": "TOTP"}},
        {"name": "WWE", "secret": "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", "otp": {"digits": 8, "algorithm": "SHA512", "tokenType": "HOTP", "counter": 5}},
        {"name": "Steam", "secret": "JRZCL47CMXVOQMNPZR2F7J4RGI", "otp": {"tokenType": "STEAM"}},
        {"name": "Old", "secret": "JBSWY3DPEHPK3PXQ"}
    ]"#;

    fn json(text: &str) -> Json {
        Json::parse(text.as_bytes()).unwrap()
    }

    fn check(accounts: &[Account]) {
        assert_eq!(accounts.len(), 4);
        assert_eq!(
            (accounts[0].issuer.as_str(), accounts[0].account.as_str()),
            ("Deno", "me")
        );
        let wwe = &accounts[1].params;
        assert_eq!((wwe.kind, wwe.digits, wwe.counter), (Kind::Hotp, 8, 5));
        assert_eq!(wwe.algorithm, Algorithm::SHA512);
        assert_eq!(
            accounts[1].issuer, "WWE",
            "the name stands in for a missing issuer"
        );
        assert_eq!(
            (accounts[2].params.kind, accounts[2].params.digits),
            (Kind::Steam, 5)
        );
        assert_eq!(
            accounts[3].params,
            Params::default(),
            "schema 1 has no parameters"
        );
    }

    #[test]
    fn a_plain_backup() {
        let file = json(&format!(
            r#"{{"schemaVersion": 4, "services": {SERVICES}}}"#
        ));
        assert!(detect(file.value()) && !is_encrypted(file.value()));
        check(&parse(&file).unwrap());
    }

    #[test]
    fn an_encrypted_backup_made_as_2fas_makes_it() {
        let password = Passphrase::from("test".to_string());
        let salt: [u8; 32] = random_array();
        let iv: [u8; 12] = random_array();
        let key = kdf::pbkdf2(kdf::Pbkdf2Hash::Sha256, &password, &salt, PBKDF2_ROUNDS).unwrap();
        let (mut data, tag) = aes_gcm_seal(&key, &iv, SERVICES.as_bytes().to_vec()).unwrap();
        data.extend_from_slice(&tag);
        let field = [&data[..], &salt, &iv].map(|b| BASE64.encode(b)).join(":");
        let file = json(&format!(
            r#"{{"schemaVersion": 4, "services": [], "servicesEncrypted": "{field}"}}"#
        ));
        assert!(detect(file.value()) && is_encrypted(file.value()));
        check(&decrypt(&file, &password).unwrap());
        assert_eq!(
            decrypt(&file, &Passphrase::from("wrong".to_string())).unwrap_err(),
            FormatError::WrongPassword
        );
    }

    #[test]
    fn bad_backups_are_refused() {
        let file = json(r#"{"schemaVersion": 9, "services": []}"#);
        assert!(matches!(parse(&file), Err(FormatError::Unsupported { .. })));
        let file = json(r#"{"schemaVersion": 4, "servicesEncrypted": "a:b"}"#);
        let password = Passphrase::from("x".to_string());
        assert!(matches!(
            decrypt(&file, &password),
            Err(FormatError::Malformed { .. })
        ));
        let file = json(
            r#"{"schemaVersion": 4, "services": [{"name": "n", "secret": "JBSWY3DPEHPK3PXP", "otp": {"tokenType": "PUSH"}}]}"#,
        );
        assert!(matches!(parse(&file), Err(FormatError::Account(_))));
    }
}
