//! Stratum (formerly Authenticator Pro) backups: plain JSON
//! (`{"Authenticators": [...]}`); encrypted, after the 16 bytes
//! `AUTHENTICATORPRO`, with a 16-byte salt, a 12-byte nonce and AES-256-GCM
//! under Argon2id (3 passes, 64 MiB, 4 lanes); the legacy encryption, after
//! `AuthenticatorPro`, with a 20-byte salt, a 16-byte IV and AES-256-CBC
//! under PBKDF2-HMAC-SHA1 (64,000 rounds); and the app's own database
//! (table `authenticator`).
//!
//! Types: 1 HOTP, 2 TOTP, 4 Steam (3 mOTP and 5 Yandex are refused);
//! algorithms 0 SHA1, 1 SHA256, 2 SHA512.

use serde_json::Value;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, Stored, malformed};
use super::format::{self, Format, Found, Reader, Shape};
use super::json::Json;
#[cfg(feature = "phone-db")]
use super::sqlite::Database;
use crate::account::Account;
use crate::crypto::kdf::{self, KdfParams, Pbkdf2Hash};
use crate::crypto::{aes_cbc_open, aes_gcm_open};
use crate::otp::{Algorithm, Kind};
use crate::secret::Passphrase;

const APP: &str = "Stratum";

pub const FORMAT: Format = Format {
    name: "stratum",
    aliases: &["authenticator-pro"],
    app: "Stratum (Authenticator Pro)",
    readers: &[
        Reader {
            shape: Shape::Container,
            detect: |doc, _| match detect_encrypted(doc.bytes()) {
                true => Found::Encrypted,
                false => Found::No,
            },
            read: |_, _| Err(FormatError::WrongPassword),
            decrypt: Some(|doc, password| decrypt(doc.bytes(), password)),
            default_password: None,
        },
        #[cfg(feature = "phone-db")]
        Reader {
            shape: Shape::Database,
            detect: |doc, _| match doc.database() {
                Some(db) if detect_database(db) => Found::Plain,
                _ => Found::No,
            },
            read: |doc, _| parse_database(doc.require_database(APP)?),
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Json,
            detect: |doc, _| format::json_found(doc, detect, format::never),
            read: |doc, _| parse(doc.require_json(APP)?),
            decrypt: None,
            default_password: None,
        },
    ],
    writer: None,
};
const HEADER: &[u8; 16] = b"AUTHENTICATORPRO";
const LEGACY_HEADER: &[u8; 16] = b"AuthenticatorPro";
const KDF: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 4,
};
const LEGACY_ROUNDS: u64 = 64_000;
#[cfg(feature = "phone-db")]
const TABLE: &str = "authenticator";
#[cfg(feature = "phone-db")]
const COLUMNS: [&str; 8] = [
    "type",
    "issuer",
    "username",
    "secret",
    "algorithm",
    "digits",
    "period",
    "counter",
];

/// True if `json` is a plain Stratum backup.
pub fn detect(json: &Value) -> bool {
    json.get("Authenticators").is_some_and(Value::is_array)
}

/// True if `bytes` are an encrypted Stratum backup, either encryption.
pub fn detect_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER) || bytes.starts_with(LEGACY_HEADER)
}

/// True if `db` is Stratum's own database.
#[cfg(feature = "phone-db")]
pub fn detect_database(db: &Database) -> bool {
    db.has(TABLE, &COLUMNS)
}

pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    authenticators(json.value())
}

pub fn decrypt(bytes: &[u8], password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let truncated = malformed(APP, "backup", Problem::CutShort);
    let plain = if let Some(rest) = bytes.strip_prefix(HEADER) {
        if rest.len() < 16 + 12 + 16 {
            return Err(truncated);
        }
        let (salt, rest) = rest.split_at(16);
        let (nonce, rest) = rest.split_at(12);
        let (ciphertext, tag) = rest.split_at(rest.len() - 16);
        let key = KDF.derive(password, salt).map_err(FormatError::Argon2)?;
        aes_gcm_open(key.as_ref(), nonce, &[], ciphertext, tag)
    } else if let Some(rest) = bytes.strip_prefix(LEGACY_HEADER) {
        if rest.len() < 20 + 16 + 16 {
            return Err(truncated);
        }
        let (salt, rest) = rest.split_at(20);
        let (iv, ciphertext) = rest.split_at(16);
        let key = kdf::pbkdf2(Pbkdf2Hash::Sha1, password, salt, LEGACY_ROUNDS)?;
        aes_cbc_open(key.as_ref(), iv, ciphertext)
    } else {
        return Err(malformed(APP, "header", Problem::NotValid));
    };
    // CBC authenticates nothing: a wrong password that happens to leave
    // valid padding still does not leave JSON.
    let json = plain
        .and_then(|p| Json::parse(&p))
        .ok_or(FormatError::WrongPassword)?;
    authenticators(json.value())
}

/// The accounts of Stratum's database.
#[cfg(feature = "phone-db")]
pub fn parse_database(db: &Database) -> Result<Vec<Account>, FormatError> {
    let rows = db.rows(TABLE, &COLUMNS).ok_or(malformed(
        APP,
        "table of authenticators",
        Problem::Unreadable,
    ))?;
    rows.iter()
        .map(|row| {
            let n = |i: usize| row[i].integer().and_then(|n| u64::try_from(n).ok());
            let text = |i: usize| row[i].text().to_string();
            entry(Entry {
                kind: n(0),
                issuer: text(1),
                name: text(2),
                secret: row[3].text(),
                algorithm: n(4),
                digits: n(5),
                period: n(6),
                counter: n(7),
            })
        })
        .collect()
}

fn authenticators(json: &Value) -> Result<Vec<Account>, FormatError> {
    json.get("Authenticators")
        .and_then(Value::as_array)
        .ok_or(malformed(APP, "list of authenticators", Problem::Missing))?
        .iter()
        .map(|a| {
            entry(Entry {
                kind: fields::number(a, "Type"),
                issuer: fields::text(a, "Issuer").to_string(),
                name: fields::text(a, "Username").to_string(),
                secret: fields::text(a, "Secret"),
                algorithm: fields::number(a, "Algorithm"),
                digits: fields::number(a, "Digits"),
                period: fields::number(a, "Period"),
                counter: fields::number(a, "Counter"),
            })
        })
        .collect()
}

/// One authenticator, from the backup or the database.
struct Entry<'a> {
    kind: Option<u64>,
    issuer: String,
    name: String,
    secret: &'a str,
    algorithm: Option<u64>,
    digits: Option<u64>,
    period: Option<u64>,
    counter: Option<u64>,
}

fn entry(e: Entry) -> Result<Account, FormatError> {
    let bad = |problem| fields::entry_error(APP, &e.issuer, &e.name, problem);
    let kind = match e.kind {
        Some(1) => Kind::Hotp,
        Some(2) => Kind::Totp,
        Some(4) => Kind::Steam,
        _ => {
            return Err(bad(AccountProblem::Kind));
        }
    };
    let secret =
        fields::base32(e.secret).ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
    let algorithm = match e.algorithm.unwrap_or(0) {
        0 => Algorithm::SHA1,
        1 => Algorithm::SHA256,
        2 => Algorithm::SHA512,
        _ => return Err(bad(AccountProblem::Algorithm)),
    };
    let params = fields::stored_params(
        kind,
        Stored {
            algorithm: Some(algorithm.as_str()),
            digits: e.digits,
            period: e.period,
            counter: e.counter,
        },
    )
    .map_err(bad)?;
    Fields {
        issuer: e.issuer.clone(),
        name: e.name.clone(),
        secret,
        params,
    }
    .into_account(APP)
}

#[cfg(all(test, feature = "encrypted-files"))]
mod tests {
    use super::*;
    use crate::crypto::{aes_gcm_seal, random_array};

    const PLAIN: &str = r#"{"Authenticators":[
        {"Type":2,"Issuer":"Site","Username":"me","Secret":"JBSWY3DPEHPK3PXP","Algorithm":1,"Digits":8,"Period":60,"Counter":0},
        {"Type":1,"Issuer":"Bank","Username":null,"Secret":"HXDMVJECJJWSRB3H","Algorithm":0,"Digits":6,"Period":30,"Counter":9},
        {"Type":4,"Issuer":"Steam","Username":"gamer","Secret":"JRZCL47CMXVOQMNPZR2F7J4RGI","Algorithm":0,"Digits":5,"Period":30}
    ],"Categories":[]}"#;

    fn check(got: &[Account]) {
        assert_eq!(got.len(), 3);
        assert_eq!(
            (
                got[0].params.algorithm,
                got[0].params.digits,
                got[0].params.period
            ),
            (Algorithm::SHA256, 8, 60)
        );
        assert_eq!(
            (
                got[1].params.kind,
                got[1].params.counter,
                got[1].account.as_str()
            ),
            (Kind::Hotp, 9, "")
        );
        assert_eq!(got[2].params.kind, Kind::Steam);
    }

    #[test]
    fn plain_and_encrypted() {
        let json = Json::parse(PLAIN.as_bytes()).unwrap();
        assert!(detect(json.value()));
        check(&parse(&json).unwrap());

        let password = Passphrase::from("pw".to_string());
        let salt: [u8; 16] = random_array();
        let nonce: [u8; 12] = random_array();
        let key = KDF.derive(&password, &salt).unwrap();
        let (ct, tag) = aes_gcm_seal(&key, &nonce, PLAIN.as_bytes().to_vec()).unwrap();
        let file = [&HEADER[..], &salt, &nonce, &ct, &tag].concat();
        assert!(detect_encrypted(&file));
        check(&decrypt(&file, &password).unwrap());
        assert_eq!(
            decrypt(&file, &Passphrase::from("no".to_string())).unwrap_err(),
            FormatError::WrongPassword
        );
    }

    #[test]
    fn motp_is_refused() {
        let json = Json::parse(
            br#"{"Authenticators":[{"Type":3,"Issuer":"X","Secret":"JBSWY3DPEHPK3PXP"}]}"#,
        )
        .unwrap();
        assert!(matches!(parse(&json), Err(FormatError::Account(_))));
    }
}
