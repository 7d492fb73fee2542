//! FreeOTP 2's encrypted backup (`externalBackup.xml`, which despite its
//! name is a Java-serialized `HashMap<String, String>`, see
//! [`javaser`](super::javaser)).
//!
//! `masterKey` holds a random AES key, encrypted with AES-256-GCM (AAD
//! `AES`) under PBKDF2-HMAC-SHA512 or -SHA1 (as `mAlgorithm` says) of the
//! password. Each token is two keys: `<uuid>` holds its secret encrypted
//! under the master key (AAD: the `mToken` it names, e.g. `HmacSHA1`), and
//! `<uuid>-token` its parameters, as FreeOTP 1 stores them but without the
//! secret. Byte arrays are Java's signed bytes; a GCM nonce comes as
//! DER, bare (`04 0C ...`) or in RFC 5084's parameters (`30 11 04 0C ...`).

use serde_json::Value;
use zeroize::Zeroizing;

use super::error::{AccountProblem, FormatError, Problem, Unread};
use super::fields::{self, malformed};
use super::javaser;
use super::json::Json;
use crate::crypto::aes_gcm_open;
use crate::crypto::kdf::{self, Pbkdf2Hash};
use crate::secret::{Passphrase, Secret};

const APP: &str = "FreeOTP";
const MASTER: &str = "masterKey";
const TOKEN_SUFFIX: &str = "-token";
const TAG: usize = 16;

/// True if `bytes` are a Java serialization stream (FreeOTP 2's backup is
/// the only one otpvault reads).
pub fn detect(bytes: &[u8]) -> bool {
    javaser::is_stream(bytes)
}

/// The tokens of a backup, each its parameters (FreeOTP's token JSON,
/// without the secret) and its secret, for [`super::freeotp`] to make
/// accounts of as it does for FreeOTP 1's store.
pub fn decrypt(bytes: &[u8], password: &Passphrase) -> Result<Vec<(Json, Secret)>, FormatError> {
    let map =
        javaser::string_map(bytes).ok_or(malformed(APP, "map of strings", Problem::NotValid))?;
    let get = |key: &str| map.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let master = json(get(MASTER).ok_or(malformed(APP, "master key", Problem::Missing))?)?;
    let master_key = open_master_key(master.value(), password)?;
    let mut tokens = Vec::new();
    for (uuid, value) in &map {
        if uuid == MASTER || uuid.ends_with(TOKEN_SUFFIX) {
            continue;
        }
        let token = get(&format!("{uuid}{TOKEN_SUFFIX}")).ok_or(malformed(
            APP,
            "token of a key",
            Problem::Missing,
        ))?;
        let token = json(token)?;
        let secret = open_token_key(value, &master_key).map_err(|problem| {
            let issuer = fields::text(token.value(), "issuerExt");
            fields::entry_error(APP, issuer, fields::text(token.value(), "label"), problem)
        })?;
        tokens.push((token, secret));
    }
    Ok(tokens)
}

fn json(text: &str) -> Result<Json, FormatError> {
    Json::parse(text.as_bytes()).ok_or(malformed(APP, "backup value", Problem::NotJson))
}

fn open_master_key(
    master: &Value,
    password: &Passphrase,
) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let hash = match fields::text(master, "mAlgorithm")
        .to_ascii_uppercase()
        .as_str()
    {
        "PBKDF2WITHHMACSHA512" => Pbkdf2Hash::Sha512,
        "PBKDF2WITHHMACSHA1" => Pbkdf2Hash::Sha1,
        _ => {
            return Err(FormatError::Unsupported {
                app: APP,
                what: Unread::OtherKdf,
            });
        }
    };
    let salt = master
        .get("mSalt")
        .and_then(fields::java_bytes)
        .ok_or(malformed(APP, "master key's salt", Problem::Missing))?;
    let rounds = fields::number(master, "mIterations").ok_or(malformed(
        APP,
        "master key's iteration count",
        Problem::Missing,
    ))?;
    let kek = kdf::pbkdf2(hash, password, salt.expose(), rounds)?;
    let encrypted =
        master
            .get("mEncryptedKey")
            .ok_or(malformed(APP, "master key", Problem::Missing))?;
    open(encrypted, kek.as_ref()).map_err(|why| match why {
        Why::Tag => FormatError::WrongPassword,
        Why::Malformed(problem) => malformed(APP, "master key", problem),
    })
}

/// A token's secret: its `{"key": "<EncryptedKey JSON>"}` opened with the
/// master key.
fn open_token_key(value: &str, master_key: &[u8]) -> Result<Secret, AccountProblem> {
    let not_sealed = AccountProblem::Secret(super::error::Encoding::Bytes);
    let outer = Json::parse(value.as_bytes()).ok_or(not_sealed.clone())?;
    let inner =
        Json::parse(fields::text(outer.value(), "key").as_bytes()).ok_or(not_sealed.clone())?;
    match open(inner.value(), master_key) {
        Ok(secret) if !secret.is_empty() => Ok(Secret::new(secret.to_vec())),
        Ok(_) => Err(AccountProblem::EmptySecret),
        Err(Why::Tag) => Err(AccountProblem::SealedSecret),
        Err(Why::Malformed(_)) => Err(not_sealed),
    }
}

enum Why {
    Tag,
    Malformed(Problem),
}

/// An `EncryptedKey` (`mCipher`, `mCipherText`, `mParameters`, `mToken`)
/// opened with `key`.
fn open(encrypted: &Value, key: &[u8]) -> Result<Zeroizing<Vec<u8>>, Why> {
    if fields::text(encrypted, "mCipher") != "AES/GCM/NoPadding" {
        return Err(Why::Malformed(Problem::NotValid));
    }
    let bytes = |field: &str| {
        encrypted
            .get(field)
            .and_then(fields::java_bytes)
            .ok_or(Why::Malformed(Problem::NotValid))
    };
    let (sealed, parameters) = (bytes("mCipherText")?, bytes("mParameters")?);
    let nonce = gcm_nonce(parameters.expose()).ok_or(Why::Malformed(Problem::NotValid))?;
    let sealed = sealed.expose();
    if sealed.len() < TAG {
        return Err(Why::Malformed(Problem::CutShort));
    }
    let (ciphertext, tag) = sealed.split_at(sealed.len() - TAG);
    let aad = fields::text(encrypted, "mToken");
    aes_gcm_open(key, nonce, aad.as_bytes(), ciphertext, tag).ok_or(Why::Tag)
}

/// The nonce in DER GCM parameters: an OCTET STRING, bare or first in a
/// SEQUENCE (the tag length after it is always 16 in FreeOTP's files).
fn gcm_nonce(der: &[u8]) -> Option<&[u8]> {
    match der.first()? {
        0x04 => octets(der),
        0x30 => octets(der.get(2..)?),
        _ => None,
    }
}

/// The contents of the DER OCTET STRING (short form) at the start of `der`.
fn octets(der: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0x04 || len >= 0x80 {
        return None;
    }
    rest.get(..len as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_nonce_encodings() {
        let nonce = [7u8; 12];
        let bare = [&[0x04, 0x0C][..], &nonce].concat();
        let sequence = [&[0x30, 0x11, 0x04, 0x0C][..], &nonce, &[0x02, 0x01, 0x10]].concat();
        assert_eq!(gcm_nonce(&bare), Some(&nonce[..]));
        assert_eq!(gcm_nonce(&sequence), Some(&nonce[..]));
        assert_eq!(gcm_nonce(&[0x04, 0x0C, 1]), None);
        assert_eq!(gcm_nonce(&[0x02]), None);
    }
}
