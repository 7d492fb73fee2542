//! Types that hold secret bytes.
//!
//! Every secret otpvault handles (an OTP key, the vault key, a passphrase)
//! lives in one of these newtypes: the bytes are wiped when the value is
//! dropped, and `Debug` prints a placeholder so that a stray `{:?}` in an
//! error or a log can never show them. There is deliberately no `Display`,
//! and no serde: a secret is written as base32 only where a format says so
//! (see [`crate::key::base32`]).

use std::fmt;

use zeroize::Zeroizing;

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

    /// Key length in bits.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }

    /// True if the key is shorter than the 128 bits RFC 4226 asks for. Many
    /// sites issue 80-bit keys, which work; a short key can also mean one
    /// that was not copied whole.
    pub fn is_short(&self) -> bool {
        self.bits() < 128
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The key that seals a vault's payload: 32 random bytes, wrapped in the
/// vault's slots, and held by the agent while a vault is unlocked.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultKey(Zeroizing<[u8; 32]>);

impl VaultKey {
    pub fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        VaultKey(bytes)
    }

    /// A key from 32 bytes read elsewhere (the agent's answer); `None` for
    /// any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<VaultKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        (bytes.len() == 32).then(|| {
            key.copy_from_slice(bytes);
            VaultKey(key)
        })
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey(..)")
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
}
