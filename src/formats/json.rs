//! JSON exports, held so that the secrets in them are wiped.

use serde::de::DeserializeOwned;
use serde_json::Value;
use zeroize::Zeroize;

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
