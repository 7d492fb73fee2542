//! Types that hold secret bytes.
//!
//! Every secret otpvault handles (an OTP key, the vault key, a passphrase)
//! lives in one of these newtypes: the bytes are wiped when the value is
//! dropped, and `Debug` prints a placeholder so that a stray `{:?}` in an
//! error or a log can never show them. There is deliberately no `Display`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::key;

/// The shared secret of one OTP entry (the decoded setup key).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of already-decoded key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(Zeroizing::new(bytes))
    }

    /// The raw key bytes, for the HMAC.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Key length in bits: RFC 4226 asks for at least 128.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }

    /// The key as unpadded upper-case base32, the form URIs and apps use.
    pub fn to_base32(&self) -> Zeroizing<String> {
        key::encode(self.expose())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Stored inside the encrypted payload as base32, so that a decrypted
/// payload is readable by a person and by a second implementation.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base32())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base32Visitor;
        impl serde::de::Visitor<'_> for Base32Visitor {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base32 secret")
            }
            // Borrowed from the decrypted buffer, so no unwiped copy is made.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                key::parse(v).map_err(|_| E::custom("invalid base32 secret"))
            }
        }
        deserializer.deserialize_str(Base32Visitor)
    }
}

/// A passphrase as typed or read from a file or command. Bytes, not a
/// `String`: a passphrase file need not be UTF-8.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<Vec<u8>>);

impl Passphrase {
    pub fn new(bytes: Vec<u8>) -> Self {
        Passphrase(Zeroizing::new(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Passphrase {
    fn from(s: String) -> Self {
        Passphrase::new(s.into_bytes())
    }
}

impl PartialEq for Passphrase {
    fn eq(&self, other: &Self) -> bool {
        // Only ever used to compare the two typings of a new passphrase.
        self.0.as_slice() == other.0.as_slice()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let secret = Secret::new(b"12345678901234567890".to_vec());
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        let pass = Passphrase::from("hunter2".to_string());
        assert_eq!(format!("{pass:?}"), "Passphrase(..)");
    }

    #[test]
    fn serde_round_trips_as_base32() {
        let secret = Secret::new(b"Hello!\xde\xad\xbe\xef".to_vec());
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, "\"JBSWY3DPEHPK3PXP\"");
        let back: Secret = serde_json::from_str(&json).unwrap();
        assert_eq!(back, secret);
    }
}
