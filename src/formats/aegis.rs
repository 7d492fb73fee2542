//! Aegis vault exports (`aegis-export-*.json`), plain and encrypted.
//!
//! An encrypted file keeps its database as base64 AES-256-GCM ciphertext,
//! with the nonce and tag apart in `header.params`. The database key is
//! wrapped, also with AES-256-GCM, in each password slot under a key that
//! scrypt derives from the password. The scrypt cost is read from the file,
//! so it is bounded before anything is allocated.

use data_encoding::{BASE64, HEXLOWER, HEXLOWER_PERMISSIVE};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{FormatError, aes_gcm_open, aes_gcm_seal};
use crate::entry::{Account, Entry};
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::{Passphrase, Secret};
use crate::vault::crypto::random_array;

#[derive(Deserialize)]
struct File {
    header: Header,
    db: serde_json::Value,
}

#[derive(Deserialize, Serialize)]
struct Header {
    slots: Option<Vec<Slot>>,
    params: Option<KeyParams>,
}

#[derive(Deserialize, Serialize)]
struct Slot {
    #[serde(rename = "type")]
    kind: u8,
    uuid: String,
    key: String,
    key_params: KeyParams,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    n: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repaired: Option<bool>,
}

#[derive(Deserialize, Serialize)]
struct KeyParams {
    nonce: String,
    tag: String,
}

#[derive(Deserialize, Serialize)]
struct Db {
    version: u32,
    entries: Vec<DbEntry>,
}

#[derive(Deserialize, Serialize)]
struct DbEntry {
    #[serde(rename = "type")]
    kind: String,
    uuid: String,
    name: String,
    issuer: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    icon: Option<String>,
    info: Info,
}

#[derive(Deserialize, Serialize)]
struct Info {
    secret: Secret,
    algo: String,
    digits: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

/// Password slots in Aegis files.
const SLOT_PASSWORD: u8 = 1;
/// Aegis's own cost for new slots: N = 2^15, r = 8, p = 1 (32 MiB).
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// The most memory a file may make scrypt use: 1 GiB.
const SCRYPT_MAX_MEMORY: u64 = 1 << 30;

/// True if `json` looks like an Aegis vault file.
pub fn detect(json: &serde_json::Value) -> bool {
    json.get("header").is_some() && json.get("db").is_some()
}

/// True if the file's database is encrypted (needs a password).
pub fn is_encrypted(json: &serde_json::Value) -> bool {
    json.get("db").is_some_and(|db| db.is_string())
}

/// The accounts in an Aegis file; `password` only for an encrypted one.
pub fn parse(bytes: &[u8], password: Option<&Passphrase>) -> Result<Vec<Account>, FormatError> {
    let file: File = serde_json::from_slice(bytes)
        .map_err(|_| FormatError::Invalid("not a valid Aegis export"))?;
    let db: Db = match &file.db {
        serde_json::Value::String(ciphertext) => {
            let password = password.ok_or(FormatError::PasswordNeeded)?;
            let plain = decrypt(&file.header, ciphertext, password)?;
            serde_json::from_slice(&plain)
                .map_err(|_| FormatError::Invalid("the decrypted Aegis database is not valid"))?
        }
        value => Db::deserialize(value)
            .map_err(|_| FormatError::Invalid("the Aegis database is not valid"))?,
    };
    if !(1..=3).contains(&db.version) {
        return Err(FormatError::Unsupported(format!(
            "Aegis database version {}",
            db.version
        )));
    }
    db.entries.iter().map(account).collect()
}

fn hex(s: &str) -> Result<Vec<u8>, FormatError> {
    HEXLOWER_PERMISSIVE
        .decode(s.as_bytes())
        .map_err(|_| FormatError::Invalid("the Aegis header has a malformed hex field"))
}

/// scrypt's log2(N), if the file's cost is within bounds.
fn scrypt_log_n(n: u64, r: u32, p: u32) -> Result<u8, FormatError> {
    let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
    if !n.is_power_of_two()
        || n < 2
        || !(1..=32).contains(&r)
        || !(1..=16).contains(&p)
        || memory > SCRYPT_MAX_MEMORY
    {
        return Err(FormatError::KdfOutOfBounds(format!(
            "scrypt N={n}, r={r}, p={p}"
        )));
    }
    Ok(n.trailing_zeros() as u8)
}

fn derive(
    password: &Passphrase,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, FormatError> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|_| FormatError::KdfOutOfBounds("scrypt".into()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password.expose(), salt, &params, key.as_mut())
        .map_err(|_| FormatError::KdfOutOfBounds("scrypt output".into()))?;
    Ok(key)
}

fn decrypt(
    header: &Header,
    db: &str,
    password: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let slots = header.slots.as_deref().unwrap_or_default();
    let params = header
        .params
        .as_ref()
        .ok_or(FormatError::Invalid("the Aegis header has no params"))?;
    let mut master = None;
    for slot in slots.iter().filter(|s| s.kind == SLOT_PASSWORD) {
        let log_n = scrypt_log_n(
            slot.n.unwrap_or(0),
            slot.r.unwrap_or(0),
            slot.p.unwrap_or(0),
        )?;
        let salt = hex(slot.salt.as_deref().unwrap_or_default())?;
        let kek = derive(
            password,
            &salt,
            log_n,
            slot.r.unwrap_or(0),
            slot.p.unwrap_or(0),
        )?;
        let opened = aes_gcm_open(
            kek.as_ref(),
            &hex(&slot.key_params.nonce)?,
            &[],
            &hex(&slot.key)?,
            &hex(&slot.key_params.tag)?,
        );
        if let Some(key) = opened {
            master = Some(key);
            break;
        }
    }
    if !slots.iter().any(|s| s.kind == SLOT_PASSWORD) {
        return Err(FormatError::Unsupported(
            "an Aegis file without a password slot".into(),
        ));
    }
    let master = master.ok_or(FormatError::WrongPassword)?;
    let ciphertext = BASE64
        .decode(db.as_bytes())
        .map_err(|_| FormatError::Invalid("the Aegis database is not base64"))?;
    aes_gcm_open(
        &master,
        &hex(&params.nonce)?,
        &[],
        &ciphertext,
        &hex(&params.tag)?,
    )
    .ok_or(FormatError::Invalid(
        "the Aegis database fails authentication: the file is damaged",
    ))
}

fn account(e: &DbEntry) -> Result<Account, FormatError> {
    let unsupported =
        |what: &str| FormatError::Unsupported(format!("{what} in {:?} ({})", e.name, e.issuer));
    let kind = match e.kind.as_str() {
        "totp" => Kind::Totp,
        "hotp" => Kind::Hotp,
        "steam" => Kind::Steam,
        other => return Err(unsupported(&format!("entry type {other:?}"))),
    };
    let algorithm = e
        .info
        .algo
        .parse::<Algorithm>()
        .map_err(|_| unsupported(&format!("algorithm {:?}", e.info.algo)))?;
    let params = Params {
        kind,
        algorithm,
        digits: e.info.digits,
        period: e.info.period.unwrap_or(30),
        counter: e.info.counter.unwrap_or(0),
    }
    .validate()
    .map_err(|err| unsupported(&err.to_string()))?;
    Ok(Account {
        issuer: e.issuer.clone(),
        account: e.name.clone(),
        secret: e.info.secret.clone(),
        params,
    })
}

/// A random UUID (version 4), as Aegis gives every entry and slot.
fn uuid() -> String {
    let mut b: [u8; 16] = random_array();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = HEXLOWER.encode(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `entries` as an encrypted Aegis export that opens with `password`.
pub fn format(
    entries: &[&Entry],
    password: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let db = Db {
        version: 2,
        entries: entries
            .iter()
            .map(|e| DbEntry {
                kind: e.otp.kind.as_str().to_string(),
                uuid: uuid(),
                name: if e.account.is_empty() {
                    e.name.clone()
                } else {
                    e.account.clone()
                },
                issuer: if e.issuer.is_empty() {
                    e.name.clone()
                } else {
                    e.issuer.clone()
                },
                note: String::new(),
                favorite: false,
                icon: None,
                info: Info {
                    secret: e.secret.clone(),
                    algo: e.otp.algorithm.as_str().to_string(),
                    digits: e.otp.digits,
                    period: (e.otp.kind != Kind::Hotp).then_some(e.otp.period),
                    counter: (e.otp.kind == Kind::Hotp).then_some(e.otp.counter),
                },
            })
            .collect(),
    };
    let plain = serde_json::to_vec(&db)
        .map_err(|_| FormatError::Invalid("cannot serialise the database"))?;
    let master: Zeroizing<[u8; 32]> = Zeroizing::new(random_array());
    let db_nonce: [u8; 12] = random_array();
    let (db_ciphertext, db_tag) =
        aes_gcm_seal(&master, &db_nonce, plain).ok_or(FormatError::Invalid("encryption failed"))?;

    let salt: [u8; 32] = random_array();
    let kek = derive(password, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
    let key_nonce: [u8; 12] = random_array();
    let (wrapped, key_tag) = aes_gcm_seal(&kek, &key_nonce, master.to_vec())
        .ok_or(FormatError::Invalid("encryption failed"))?;
    let header = Header {
        slots: Some(vec![Slot {
            kind: SLOT_PASSWORD,
            uuid: uuid(),
            key: HEXLOWER.encode(&wrapped),
            key_params: KeyParams {
                nonce: HEXLOWER.encode(&key_nonce),
                tag: HEXLOWER.encode(&key_tag),
            },
            n: Some(1 << SCRYPT_LOG_N),
            r: Some(SCRYPT_R),
            p: Some(SCRYPT_P),
            salt: Some(HEXLOWER.encode(&salt)),
            repaired: Some(true),
        }]),
        params: Some(KeyParams {
            nonce: HEXLOWER.encode(&db_nonce),
            tag: HEXLOWER.encode(&db_tag),
        }),
    };
    let file = serde_json::json!({
        "version": 1,
        "header": header,
        "db": BASE64.encode(&db_ciphertext),
    });
    serde_json::to_vec_pretty(&file)
        .map(Zeroizing::new)
        .map_err(|_| FormatError::Invalid("cannot serialise the export"))
}
