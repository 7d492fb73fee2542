//! Other authenticators' export files, in and out. One module a format;
//! each reads a parsed document into [`Account`](crate::Account)s (and, for
//! an encrypted one, decrypts it first) and writes entries back out.
//! [`crate::import`] decides which format a file is, from one parse.

pub mod aegis;
pub mod andotp;
pub mod authplus;
pub mod authy;
pub mod battlenet;
pub mod bitwarden;
pub mod duo;
pub mod extract;
pub mod fields;
pub mod freeotp;
pub mod freeotp2;
pub mod google;
pub mod javaser;
pub mod keepass;
pub mod phone_db;
pub mod prefs;
pub mod proton;
pub mod sqlite;
pub mod steam;
pub mod stratum;
pub mod totpauth;
pub mod twofas;

use serde::de::DeserializeOwned;
use serde_json::Value;
use thiserror::Error;
use zeroize::Zeroize;

use crate::crypto::kdf::{ForeignKdfError, KdfError};

/// Why an export file could not be read or written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the file has an unsupported entry: {0}; nothing was imported")]
    Unsupported(String),
    #[error(
        "wrong password for the encrypted export: try again (it is the password set in the other app when exporting)"
    )]
    WrongPassword,
    #[error(
        "the export's key-derivation parameters are out of bounds ({0}), so the file is damaged or hostile"
    )]
    KdfOutOfBounds(#[from] ForeignKdfError),
    #[error("cannot derive the export's key: {0}")]
    Argon2(KdfError),
}

/// A parsed JSON export whose strings (which hold secrets) are wiped when
/// it is dropped. serde_json keeps them in plain `String`s otherwise.
pub struct Json(Value);

impl Json {
    /// Parses `bytes`; `None` if they are not JSON.
    pub fn parse(bytes: &[u8]) -> Option<Json> {
        serde_json::from_slice(bytes).ok().map(Json)
    }

    pub fn value(&self) -> &Value {
        &self.0
    }

    /// The document as a format's own types, without parsing again.
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.0)
    }
}

impl Drop for Json {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        // Keys too: TOTP Authenticator keeps its whole account list in one.
        Value::Object(map) => {
            for (mut key, mut value) in std::mem::take(map) {
                wipe(&mut value);
                key.zeroize();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
