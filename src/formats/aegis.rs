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

use super::error::{AccountProblem, Encoding, FormatError, Problem, Unread};
use super::fields::{entry_error, malformed};
use super::format::{self, Format, Output, Reader, Shape, Writer};
use super::json::Json;
use crate::account::Account;
use crate::crypto::{aes_gcm_open, aes_gcm_seal, kdf, random_array};
use crate::entry::Entry;
use crate::key;
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::{Passphrase, Secret};

const APP: &str = "Aegis";

pub const FORMAT: Format = Format {
    name: "aegis",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Json,
        detect: |doc, _| format::json_found(doc, detect, is_encrypted),
        read: |doc, _| parse(doc.require_json(APP)?),
        decrypt: Some(|doc, password| decrypt(doc.require_json(APP)?, password)),
        default_password: None,
    }],
    writer: Some(Writer {
        unsupported: |_| None,
        output: Output::EncryptedFile(format),
    }),
};

#[derive(Deserialize)]
struct EncryptedFile {
    header: Header,
    db: String,
}

#[derive(Deserialize)]
struct PlainFile {
    db: Db,
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
    #[serde(with = "key::base32::or_none")]
    secret: Option<Secret>,
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
const SCRYPT_N: u64 = 1 << 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// True if `json` looks like an Aegis vault file.
pub fn detect(json: &serde_json::Value) -> bool {
    json.get("header").is_some() && json.get("db").is_some()
}

/// True if the file's database is encrypted (needs a password).
pub fn is_encrypted(json: &serde_json::Value) -> bool {
    json.get("db").is_some_and(|db| db.is_string())
}

/// The accounts in a plain Aegis file.
pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    let file: PlainFile = json
        .to()
        .map_err(|_| malformed(APP, "database", Problem::NotValid))?;
    accounts(&file.db)
}

/// The accounts in an encrypted Aegis file.
pub fn decrypt(json: &Json, password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let file: EncryptedFile = json
        .to()
        .map_err(|_| malformed(APP, "document", Problem::NotValid))?;
    let plain = decrypt_db(&file.header, &file.db, password)?;
    let db: Db = serde_json::from_slice(&plain)
        .map_err(|_| malformed(APP, "decrypted database", Problem::NotValid))?;
    accounts(&db)
}

fn accounts(db: &Db) -> Result<Vec<Account>, FormatError> {
    if !(1..=3).contains(&db.version) {
        return Err(FormatError::Unsupported {
            app: APP,
            what: Unread::Version(u64::from(db.version)),
        });
    }
    db.entries.iter().map(account).collect()
}

fn hex(s: &str) -> Result<Vec<u8>, FormatError> {
    HEXLOWER_PERMISSIVE
        .decode(s.as_bytes())
        .map_err(|_| malformed(APP, "header", Problem::NotHex))
}

fn decrypt_db(
    header: &Header,
    db: &str,
    password: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let slots = header.slots.as_deref().unwrap_or_default();
    let params = header
        .params
        .as_ref()
        .ok_or(malformed(APP, "header params", Problem::Missing))?;
    if !slots.iter().any(|s| s.kind == SLOT_PASSWORD) {
        return Err(FormatError::Unsupported {
            app: APP,
            what: Unread::NoPasswordSlot,
        });
    }
    let password_slots = || slots.iter().filter(|s| s.kind == SLOT_PASSWORD);
    kdf::scrypt_budget(
        slots.len(),
        password_slots().map(|s| (s.n.unwrap_or(0), s.r.unwrap_or(0), s.p.unwrap_or(0))),
    )?;
    let mut master = None;
    for slot in password_slots() {
        let salt = hex(slot.salt.as_deref().unwrap_or_default())?;
        let kek = kdf::scrypt(
            password,
            &salt,
            slot.n.unwrap_or(0),
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
    let master = master.ok_or(FormatError::WrongPassword)?;
    let ciphertext = BASE64
        .decode(db.as_bytes())
        .map_err(|_| malformed(APP, "database", Problem::NotBase64))?;
    aes_gcm_open(
        &master,
        &hex(&params.nonce)?,
        &[],
        &ciphertext,
        &hex(&params.tag)?,
    )
    .ok_or(malformed(APP, "database", Problem::NotValid))
}

fn account(e: &DbEntry) -> Result<Account, FormatError> {
    let bad = |problem| entry_error(APP, &e.issuer, &e.name, problem);
    let kind = e
        .kind
        .parse::<Kind>()
        .map_err(|_| bad(AccountProblem::Kind))?;
    let algorithm = e
        .info
        .algo
        .parse::<Algorithm>()
        .map_err(|_| bad(AccountProblem::Algorithm))?;
    let params = Params {
        kind,
        algorithm,
        digits: e.info.digits,
        period: e.info.period.unwrap_or(30),
        counter: e.info.counter.unwrap_or(0),
    }
    .validate()
    .map_err(|err| bad(AccountProblem::Params(err)))?;
    let secret = e
        .info
        .secret
        .clone()
        .ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
    Ok(Account {
        issuer: e.issuer.clone(),
        account: e.name.clone(),
        secret,
        params,
        sites: Vec::new(),
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
                name: e.export_account().to_string(),
                issuer: e.issuer.clone(),
                note: String::new(),
                favorite: false,
                icon: None,
                info: Info {
                    secret: Some(e.secret.clone()),
                    algo: e.otp.algorithm.as_str().to_string(),
                    digits: e.otp.digits,
                    period: (e.otp.kind != Kind::Hotp).then_some(e.otp.period),
                    counter: (e.otp.kind == Kind::Hotp).then_some(e.otp.counter),
                },
            })
            .collect(),
    };
    let plain = serde_json::to_vec(&db).map_err(|_| FormatError::WriteFailed(APP))?;
    let master: Zeroizing<[u8; 32]> = Zeroizing::new(random_array());
    let db_nonce: [u8; 12] = random_array();
    let encryption_failed = |_| FormatError::WriteFailed(APP);
    let (db_ciphertext, db_tag) =
        aes_gcm_seal(&master, &db_nonce, plain).map_err(encryption_failed)?;

    let salt: [u8; 32] = random_array();
    let kek = kdf::scrypt(password, &salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)?;
    let key_nonce: [u8; 12] = random_array();
    let (wrapped, key_tag) =
        aes_gcm_seal(&kek, &key_nonce, master.to_vec()).map_err(encryption_failed)?;
    let header = Header {
        slots: Some(vec![Slot {
            kind: SLOT_PASSWORD,
            uuid: uuid(),
            key: HEXLOWER.encode(&wrapped),
            key_params: KeyParams {
                nonce: HEXLOWER.encode(&key_nonce),
                tag: HEXLOWER.encode(&key_tag),
            },
            n: Some(SCRYPT_N),
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
        .map_err(|_| FormatError::WriteFailed(APP))
}

#[cfg(all(test, feature = "encrypted-files"))]
mod tests {
    use super::*;
    use crate::account::Overrides;
    use crate::crypto::kdf::ForeignKdfError;

    fn entries() -> Vec<Entry> {
        let enrol = |name: &str, key: &str, params: Params| {
            Account {
                issuer: name.into(),
                account: "me".into(),
                secret: crate::key::parse(key).unwrap(),
                params,
                sites: Vec::new(),
            }
            .enrol(name, Overrides::default())
            .unwrap()
            .entry
        };
        vec![
            enrol("Site", "JBSWY3DPEHPK3PXP", Params::default()),
            enrol(
                "Bank",
                "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
                Params {
                    kind: Kind::Hotp,
                    counter: 7,
                    digits: 8,
                    ..Params::default()
                },
            ),
            enrol("Steam", "JRZCL47CMXVOQMNPZR2F7J4RGI", Params::steam()),
        ]
    }

    fn check(accounts: &[Account], entries: &[Entry]) {
        assert_eq!(accounts.len(), entries.len());
        for (a, e) in accounts.iter().zip(entries) {
            assert_eq!((&a.issuer, &a.account), (&e.issuer, &e.account));
            assert_eq!((&a.secret, a.params), (&e.secret, e.otp));
        }
    }

    #[test]
    fn an_encrypted_export_opens_with_its_password_only() {
        let entries = entries();
        let refs: Vec<&Entry> = entries.iter().collect();
        let password = Passphrase::from("test".to_string());
        let bytes = format(&refs, &password).unwrap();
        let json = Json::parse(&bytes).unwrap();
        assert!(detect(json.value()) && is_encrypted(json.value()));
        check(&decrypt(&json, &password).unwrap(), &entries);
        assert_eq!(
            decrypt(&json, &Passphrase::from("wrong".to_string())).unwrap_err(),
            FormatError::WrongPassword
        );
    }

    #[test]
    fn a_plain_export() {
        let json = Json::parse(
            br#"{"version": 1, "header": {"slots": null, "params": null}, "db": {"version": 2, "entries": [
                {"type": "totp", "uuid": "u", "name": "me", "issuer": "Site", "info": {"secret": "JBSWY3DPEHPK3PXP", "algo": "SHA256", "digits": 7, "period": 60}},
                {"type": "hotp", "uuid": "v", "name": "", "issuer": "Bank", "info": {"secret": "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", "algo": "SHA1", "digits": 6, "counter": 3}}
            ]}}"#,
        )
        .unwrap();
        assert!(detect(json.value()) && !is_encrypted(json.value()));
        let accounts = parse(&json).unwrap();
        assert_eq!(accounts[0].params.algorithm, Algorithm::SHA256);
        assert_eq!(
            (accounts[0].params.digits, accounts[0].params.period),
            (7, 60)
        );
        assert_eq!(
            (accounts[1].params.kind, accounts[1].params.counter),
            (Kind::Hotp, 3)
        );
    }

    /// Held-out files took 34 s (one slot of p = 16) and 153 s (2,000
    /// slots at Aegis's own cost): both are refused before any scrypt runs.
    #[test]
    fn a_files_slots_are_capped_and_their_scrypt_work_budgeted() {
        let file = |slots: &[(u64, u32, u32)]| {
            let slots: Vec<String> = slots
                .iter()
                .map(|(n, r, p)| {
                    format!(
                        r#"{{"type": 1, "uuid": "u", "key": "00", "key_params": {{"nonce": "00", "tag": "00"}}, "n": {n}, "r": {r}, "p": {p}, "salt": "00"}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"header": {{"slots": [{}], "params": {{"nonce": "00", "tag": "00"}}}}, "db": "AAAA"}}"#,
                slots.join(",")
            )
        };
        let password = Passphrase::from("x".to_string());
        let tried = |slots: &[(u64, u32, u32)]| {
            decrypt(&Json::parse(file(slots).as_bytes()).unwrap(), &password).map(|_| ())
        };
        let over = |e| Err(FormatError::KdfOutOfBounds(e));
        use ForeignKdfError::{ScryptBudget, TooManySlots};
        assert_eq!(tried(&[(1 << 15, 8, 1); 2000]), over(TooManySlots(2000)));
        let work = 1 << 27;
        assert_eq!(
            tried(&[(1 << 20, 8, 16)]),
            over(ScryptBudget { slots: 1, work })
        );
        // Within the cap, the sum counts: 16 slots of 2^21 work each.
        let work = 1 << 25;
        assert_eq!(
            tried(&[(1 << 18, 8, 1); 16]),
            over(ScryptBudget { slots: 16, work })
        );
        // Aegis's own cost, one slot: tried (and the wrong key refused).
        assert_eq!(tried(&[(1 << 15, 8, 1)]), Err(FormatError::WrongPassword));
    }

    #[test]
    fn hostile_costs_and_unknown_entries_are_refused() {
        let huge = br#"{"header": {"slots": [{"type": 1, "uuid": "u", "key": "00", "key_params": {"nonce": "00", "tag": "00"}, "n": 1073741824, "r": 8, "p": 1, "salt": "00"}], "params": {"nonce": "00", "tag": "00"}}, "db": "AAAA"}"#;
        let json = Json::parse(huge).unwrap();
        let password = Passphrase::from("x".to_string());
        assert!(matches!(
            decrypt(&json, &password),
            Err(FormatError::KdfOutOfBounds(_))
        ));
        let json = Json::parse(
            br#"{"header": {}, "db": {"version": 2, "entries": [{"type": "motp", "uuid": "u", "name": "n", "issuer": "i", "info": {"secret": "JBSWY3DPEHPK3PXP", "algo": "SHA1", "digits": 6}}]}}"#,
        )
        .unwrap();
        assert!(matches!(parse(&json), Err(FormatError::Account(_))));
        // A secret that is not base32 names its entry; 0.2 called the
        // whole database invalid.
        let json = Json::parse(
            br#"{"header": {}, "db": {"version": 2, "entries": [{"type": "totp", "uuid": "u", "name": "carol", "issuer": "B32 Co", "info": {"secret": "JBSWY3DP!!HPK3PXP", "algo": "SHA1", "digits": 6, "period": 30}}]}}"#,
        )
        .unwrap();
        let error = parse(&json).unwrap_err();
        assert!(
            matches!(&error, FormatError::Account(bad) if bad.problem == AccountProblem::Secret(Encoding::Base32)),
            "{error:?}"
        );
        assert!(error.to_string().contains("carol"), "{error}");
    }
}
