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

use super::{FormatError, Json};
use crate::crypto::{aes_gcm_open, kdf};
use crate::entry::Account;
use crate::key;
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::{Passphrase, Secret};
use crate::text::Quoted;

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
    let encrypted = file
        .services_encrypted
        .as_deref()
        .ok_or(FormatError::Invalid(
            "the 2FAS backup has no servicesEncrypted field",
        ))?;
    let plain = decrypt_services(encrypted, password)?;
    let services: Vec<Service> = serde_json::from_slice(&plain)
        .map_err(|_| FormatError::Invalid("the decrypted 2FAS services are not valid"))?;
    services.iter().map(account).collect()
}

fn read(json: &Json) -> Result<File, FormatError> {
    let file: File = json
        .to()
        .map_err(|_| FormatError::Invalid("not a valid 2FAS backup"))?;
    if !(1..=4).contains(&file.schema_version) {
        return Err(FormatError::Unsupported(format!(
            "2FAS schema version {}",
            file.schema_version
        )));
    }
    Ok(file)
}

fn decrypt_services(field: &str, password: &Passphrase) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let parts: Vec<&str> = field.split(':').collect();
    let [data, salt, iv] = parts.as_slice() else {
        return Err(FormatError::Invalid(
            "the 2FAS servicesEncrypted field is malformed",
        ));
    };
    let b64 = |s: &str| {
        BASE64
            .decode(s.as_bytes())
            .map_err(|_| FormatError::Invalid("the 2FAS servicesEncrypted field is not base64"))
    };
    let (data, salt, iv) = (b64(data)?, b64(salt)?, b64(iv)?);
    if data.len() < 16 {
        return Err(FormatError::Invalid(
            "the 2FAS servicesEncrypted field is truncated",
        ));
    }
    let (ciphertext, tag) = data.split_at(data.len() - 16);
    let key = kdf::pbkdf2_sha256(password, &salt, PBKDF2_ROUNDS)?;
    aes_gcm_open(key.as_ref(), &iv, &[], ciphertext, tag).ok_or(FormatError::WrongPassword)
}

fn account(s: &Service) -> Result<Account, FormatError> {
    let unsupported =
        |what: String| FormatError::Unsupported(format!("{what} in {}", Quoted(&s.name)));
    let otp = &s.otp;
    let kind = match &otp.token_type {
        None => Kind::Totp,
        Some(name) => name
            .parse::<Kind>()
            .map_err(|_| unsupported("a token type that is not TOTP, HOTP or STEAM".into()))?,
    };
    let algorithm = match &otp.algorithm {
        Some(name) => name
            .parse::<Algorithm>()
            .map_err(|e| unsupported(e.to_string()))?,
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
    .map_err(|e| unsupported(e.to_string()))?;
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
    })
}
