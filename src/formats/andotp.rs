//! andOTP backups: a plain JSON array; the encrypted format (a big-endian
//! PBKDF2-HMAC-SHA1 round count, a 12-byte salt, a 12-byte nonce, then
//! AES-256-GCM of the array); and the old encrypted format (a 12-byte
//! nonce and AES-256-GCM under the SHA-256 of the password, with no header
//! at all, so that it can only be named, never detected).

use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, Stored, malformed};
use super::format::{self, Asked, Document, Format, Found, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::crypto::aes_gcm_open;
use crate::crypto::kdf::{self, Pbkdf2Hash};
use crate::otp::Kind;
use crate::secret::Passphrase;

const APP: &str = "andOTP";

pub const FORMAT: Format = Format {
    name: "andotp",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Binary,
            detect: detect_encrypted,
            read: |_, _| Err(FormatError::WrongPassword),
            decrypt: Some(|doc, password| decrypt(doc.bytes(), password)),
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

/// Binary data: andOTP's encrypted backup, by its header; the old
/// encrypted format has none, so it is read only when named.
fn detect_encrypted(doc: &Document, asked: Asked) -> Found {
    match (doc.text(), asked) {
        (Some(_), _) => Found::No,
        (None, Asked::Named) => Found::Encrypted,
        (None, Asked::Auto) if looks_encrypted(doc.bytes()) => Found::Encrypted,
        (None, Asked::Auto) => Found::No,
    }
}
const NONCE: usize = 12;
const SALT: usize = 12;
const TAG: usize = 16;

/// True if `json` is a plain andOTP backup: an array of entries with a
/// secret, a type, an algorithm, digits and a label.
pub fn detect(json: &Value) -> bool {
    json.as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|e| {
                e.get("secret").is_some_and(Value::is_string)
                    && ["type", "algorithm", "digits", "label"]
                        .iter()
                        .all(|k| e.get(k).is_some())
            })
    })
}

/// True if `bytes` start like the encrypted (not the old) format: a round
/// count andOTP could have written, and room for salt, nonce and tag.
pub fn looks_encrypted(bytes: &[u8]) -> bool {
    head_rounds(bytes).is_some_and(|rounds| (1..=kdf::MAX_PBKDF2_ROUNDS).contains(&rounds))
}

/// Up to this many rounds, a file that opens in neither format is taken
/// for a current one over the bound (0.2 said "wrong password"); above it,
/// the first bytes are more likely an old backup's random nonce. An old
/// backup with a wrong password has 15,000,000 chances in 2^32 (0.35%) to
/// be told it is over the bound instead.
const PLAUSIBLE_ROUNDS: u64 = 20_000_000;

/// The round count of a current header, if the file is long enough to be
/// one.
fn head_rounds(bytes: &[u8]) -> Option<u64> {
    let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    (bytes.len() > 4 + SALT + NONCE + TAG).then(|| u64::from(u32::from_be_bytes(head)))
}

/// The accounts of a plain backup.
pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    entries(json.value())
}

/// The accounts of an encrypted backup, in the current format if its
/// header fits, else (or if that fails) the old one.
pub fn decrypt(bytes: &[u8], password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let plain = match looks_encrypted(bytes) {
        true => decrypt_current(bytes, password)?.or_else(|| decrypt_old(bytes, password)),
        false => decrypt_old(bytes, password),
    };
    let plain = match plain {
        Some(plain) => plain,
        // Not the old format either: a current header whose round count
        // is over the bound says so, rather than blame the password.
        None => match head_rounds(bytes) {
            Some(rounds) if rounds > kdf::MAX_PBKDF2_ROUNDS && rounds <= PLAUSIBLE_ROUNDS => {
                return Err(FormatError::KdfOutOfBounds(kdf::ForeignKdfError::Pbkdf2(
                    rounds,
                )));
            }
            _ => return Err(FormatError::WrongPassword),
        },
    };
    let json = Json::parse(&plain).ok_or(malformed(APP, "decrypted backup", Problem::NotJson))?;
    entries(json.value())
}

fn decrypt_current(
    bytes: &[u8],
    password: &Passphrase,
) -> Result<Option<Zeroizing<Vec<u8>>>, FormatError> {
    let rounds = u64::from(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
    let (salt, rest) = bytes[4..].split_at(SALT);
    let (nonce, rest) = rest.split_at(NONCE);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG);
    let key = kdf::pbkdf2(Pbkdf2Hash::Sha1, password, salt, rounds)?;
    Ok(aes_gcm_open(key.as_ref(), nonce, &[], ciphertext, tag))
}

fn decrypt_old(bytes: &[u8], password: &Passphrase) -> Option<Zeroizing<Vec<u8>>> {
    if bytes.len() < NONCE + TAG {
        return None;
    }
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(Sha256::digest(password.expose()).into());
    let (nonce, rest) = bytes.split_at(NONCE);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG);
    aes_gcm_open(key.as_ref(), nonce, &[], ciphertext, tag)
}

fn entries(json: &Value) -> Result<Vec<Account>, FormatError> {
    json.as_array()
        .ok_or(malformed(APP, "list of entries", Problem::Missing))?
        .iter()
        .map(entry)
        .collect()
}

/// One entry. Newer andOTP writes `issuer` and `label`; older ones only a
/// label `Issuer - Name`.
fn entry(e: &Value) -> Result<Account, FormatError> {
    let (issuer, name) = match e.get("issuer").and_then(Value::as_str) {
        Some(issuer) => (issuer.to_string(), fields::text(e, "label").to_string()),
        None => {
            let label = fields::text(e, "label");
            match label.split_once(" - ") {
                // Old andOTP wrote `Issuer - Issuer:name`: the second
                // issuer is not part of the name.
                Some((issuer, rest)) => {
                    let name = rest.split(" - ").next().unwrap_or(rest);
                    let name = name
                        .strip_prefix(issuer)
                        .and_then(|n| n.strip_prefix(':'))
                        .unwrap_or(name);
                    (issuer.to_string(), name.to_string())
                }
                None => (String::new(), label.to_string()),
            }
        }
    };
    let bad = |problem| fields::entry_error(APP, &issuer, &name, problem);
    let kind = fields::kind(fields::text(e, "type")).ok_or_else(|| bad(AccountProblem::Kind))?;
    let secret = fields::base32(fields::text(e, "secret"))
        .ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
    let digits = fields::number(e, "digits").ok_or_else(|| bad(AccountProblem::Digits))?;
    let counter = fields::number(e, "counter");
    if kind == Kind::Hotp && counter.is_none() {
        return Err(bad(AccountProblem::NoCounter));
    }
    let params = fields::stored_params(
        kind,
        Stored {
            algorithm: Some(fields::text(e, "algorithm")),
            digits: Some(digits),
            period: fields::number(e, "period"),
            counter,
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

#[cfg(all(test, feature = "encrypted-files"))]
mod tests {
    use super::*;
    use crate::crypto::{aes_gcm_seal, random_array};

    const PLAIN: &str = r#"[
        {"secret":"JBSWY3DPEHPK3PXP====","issuer":"Site","label":"me","digits":6,"type":"TOTP","algorithm":"SHA256","thumbnail":"Default","last_used":0,"used_frequency":0,"period":30,"tags":[]},
        {"secret":"HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ","label":"Bank - Bank:you","digits":8,"type":"HOTP","algorithm":"SHA1","counter":7}
    ]"#;

    fn check(accounts: &[Account]) {
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            (accounts[0].issuer.as_str(), accounts[0].account.as_str()),
            ("Site", "me")
        );
        assert_eq!(
            (accounts[1].issuer.as_str(), accounts[1].account.as_str()),
            ("Bank", "you")
        );
        assert_eq!(
            (accounts[1].params.kind, accounts[1].params.counter),
            (Kind::Hotp, 7)
        );
    }

    #[test]
    fn plain_and_both_encrypted_formats() {
        let json = Json::parse(PLAIN.as_bytes()).unwrap();
        assert!(detect(json.value()));
        check(&parse(&json).unwrap());

        let password = Passphrase::from("secret words".to_string());
        // The current format, as andOTP writes it.
        let salt: [u8; SALT] = random_array();
        let nonce: [u8; NONCE] = random_array();
        let rounds = 1000u32;
        let key = kdf::pbkdf2(Pbkdf2Hash::Sha1, &password, &salt, rounds.into()).unwrap();
        let (ct, tag) = aes_gcm_seal(&key, &nonce, PLAIN.as_bytes().to_vec()).unwrap();
        let file = [&rounds.to_be_bytes()[..], &salt, &nonce, &ct, &tag].concat();
        assert!(looks_encrypted(&file));
        check(&decrypt(&file, &password).unwrap());
        assert_eq!(
            decrypt(&file, &Passphrase::from("wrong".to_string())).unwrap_err(),
            FormatError::WrongPassword
        );
        // The old one.
        let key: [u8; 32] = Sha256::digest(password.expose()).into();
        let (ct, tag) = aes_gcm_seal(&key, &nonce, PLAIN.as_bytes().to_vec()).unwrap();
        let old = [&nonce[..], &ct, &tag].concat();
        check(&decrypt(&old, &password).unwrap());
    }

    /// 0.2 said "wrong password" for a backup over the bound.
    #[test]
    fn rounds_over_the_bound_are_said_to_be() {
        let password = Passphrase::from("secret words".to_string());
        let rounds = 6_000_000u32;
        let body: [u8; SALT + NONCE + 64 + TAG] = random_array();
        let file = [&rounds.to_be_bytes()[..], &body].concat();
        assert!(!looks_encrypted(&file));
        assert_eq!(
            decrypt(&file, &password).unwrap_err(),
            FormatError::KdfOutOfBounds(kdf::ForeignKdfError::Pbkdf2(6_000_000))
        );
    }

    #[test]
    fn a_bad_entry_fails_the_file() {
        let json = Json::parse(br#"[{"secret":"JBSWY3DPEHPK3PXP","type":"MOTP","algorithm":"SHA1","digits":6,"label":"x"}]"#).unwrap();
        assert!(matches!(parse(&json), Err(FormatError::Account(_))));
    }
}
