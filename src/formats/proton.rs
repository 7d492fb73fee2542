//! Proton Authenticator exports, plain and encrypted.
//!
//! The plain file is `{"version": 1, "entries": [{"content": {"uri":
//! "otpauth://..."}}]}`. The encrypted one is `{"version": 1, "salt": b64,
//! "content": b64(nonce ‖ ciphertext ‖ tag)}`: AES-256-GCM with associated
//! data `proton.authenticator.export.v1`, under a key Argon2id derives from
//! the password (t=2, 19 MiB, one lane), around the plain file.

use data_encoding::BASE64;
use serde::Deserialize;

use super::error::{AccountProblem, FormatError, Problem};
use super::fields::{self, malformed};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use crate::account::Account;
use crate::crypto::aes_gcm_open;
use crate::crypto::kdf::KdfParams;
use crate::secret::Passphrase;
use crate::uri;

#[derive(Deserialize)]
struct Plain {
    entries: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    content: Content,
}

#[derive(Deserialize)]
struct Content {
    uri: String,
}

#[derive(Deserialize)]
struct Encrypted {
    salt: String,
    content: String,
}

const AAD: &[u8] = b"proton.authenticator.export.v1";
const KDF: KdfParams = KdfParams {
    memory_kib: 19_456,
    iterations: 2,
    parallelism: 1,
};

/// True if `json` looks like a Proton Authenticator export.
const APP: &str = "Proton Authenticator";

pub const FORMAT: Format = Format {
    name: "proton",
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
    let plain = json
        .get("entries")
        .and_then(|e| e.as_array())
        .is_some_and(|entries| entries.iter().all(|e| e.pointer("/content/uri").is_some()));
    plain || is_encrypted(json)
}

/// True if the export is encrypted (needs a password).
pub fn is_encrypted(json: &serde_json::Value) -> bool {
    json.get("salt").is_some_and(|s| s.is_string())
        && json.get("content").is_some_and(|c| c.is_string())
}

/// The accounts in a plain Proton export.
pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    let plain: Plain = json
        .to()
        .map_err(|_| malformed(APP, "document", Problem::NotValid))?;
    accounts(&plain)
}

/// The accounts in an encrypted Proton export.
pub fn decrypt(json: &Json, password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let file: Encrypted = json
        .to()
        .map_err(|_| malformed(APP, "document", Problem::NotValid))?;
    let plaintext = decrypt_content(&file, password)?;
    let plain: Plain = serde_json::from_slice(&plaintext)
        .map_err(|_| malformed(APP, "decrypted export", Problem::NotValid))?;
    accounts(&plain)
}

fn accounts(plain: &Plain) -> Result<Vec<Account>, FormatError> {
    plain
        .entries
        .iter()
        .map(|item| {
            uri::parse(&item.content.uri)
                .map_err(|e| fields::entry_error(APP, "", "", AccountProblem::Uri(e)))
        })
        .collect()
}

fn decrypt_content(
    file: &Encrypted,
    password: &Passphrase,
) -> Result<zeroize::Zeroizing<Vec<u8>>, FormatError> {
    let b64 = |s: &str| {
        BASE64
            .decode(s.as_bytes())
            .map_err(|_| malformed(APP, "content", Problem::NotBase64))
    };
    let (salt, content) = (b64(&file.salt)?, b64(&file.content)?);
    if content.len() < 12 + 16 {
        return Err(malformed(APP, "content", Problem::CutShort));
    }
    let key = KDF.derive(password, &salt).map_err(FormatError::Argon2)?;
    let (nonce, rest) = content.split_at(12);
    let (ciphertext, tag) = rest.split_at(rest.len() - 16);
    aes_gcm_open(key.as_ref(), nonce, AAD, ciphertext, tag).ok_or(FormatError::WrongPassword)
}

#[cfg(all(test, feature = "encrypted-files"))]
mod tests {
    use super::*;
    use crate::crypto::random_array;
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Nonce};

    const PLAIN: &str = r#"{"version": 1, "entries": [
        {"content": {"uri": "otpauth://totp/Site:me?secret=JBSWY3DPEHPK3PXP&issuer=Site", "entry_type": "Totp", "name": "Site"}, "note": null},
        {"content": {"uri": "otpauth://totp/Other:you?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Other&digits=8&algorithm=SHA256"}}
    ]}"#;

    fn check(accounts: &[Account]) {
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            (accounts[0].issuer.as_str(), accounts[0].account.as_str()),
            ("Site", "me")
        );
        assert_eq!(accounts[1].params.digits, 8);
    }

    #[test]
    fn a_plain_export() {
        let json = Json::parse(PLAIN.as_bytes()).unwrap();
        assert!(detect(json.value()) && !is_encrypted(json.value()));
        check(&parse(&json).unwrap());
    }

    #[test]
    fn an_encrypted_export_made_as_proton_makes_it() {
        let password = Passphrase::from("1231246".to_string());
        let salt: [u8; 16] = random_array();
        let nonce: [u8; 12] = random_array();
        let key = KDF.derive(&password, &salt).unwrap();
        let mut sealed = PLAIN.as_bytes().to_vec();
        Aes256Gcm::new(<&aes_gcm::Key<Aes256Gcm>>::from(&*key))
            .encrypt_in_place(&Nonce::from(nonce), AAD, &mut sealed)
            .unwrap();
        let content = [&nonce[..], &sealed].concat();
        let text = format!(
            r#"{{"version": 1, "salt": "{}", "content": "{}"}}"#,
            BASE64.encode(&salt),
            BASE64.encode(&content)
        );
        let json = Json::parse(text.as_bytes()).unwrap();
        assert!(detect(json.value()) && is_encrypted(json.value()));
        check(&decrypt(&json, &password).unwrap());
        assert_eq!(
            decrypt(&json, &Passphrase::from("wrong".to_string())).unwrap_err(),
            FormatError::WrongPassword
        );
    }

    #[test]
    fn an_entry_that_is_not_a_uri_fails_the_whole_export() {
        let json =
            Json::parse(br#"{"entries": [{"content": {"uri": "https://example.com"}}]}"#).unwrap();
        assert!(matches!(parse(&json), Err(FormatError::Account(_))));
    }
}
