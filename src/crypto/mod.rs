//! The cryptographic primitives that the vault and the other apps' formats
//! share: randomness, authenticated encryption, and key derivation with
//! bounds ([`kdf`]). Nothing here knows a file layout; the vault and each
//! format decide what to feed these.

pub mod cost;
pub mod kdf;

use crate::error::{ErrorKind, Kinded};
use chacha20poly1305::aead::{AeadInOut, KeyInit};

/// Other apps' ciphers and key derivations (AES-GCM, AES-CBC, scrypt,
/// PBKDF2), for their encrypted exports; without the encrypted-files
/// feature, a stand-in that says it was not built.
#[cfg_attr(not(feature = "encrypted-files"), path = "foreign_off.rs")]
pub mod foreign;
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
#[cfg(all(test, feature = "encrypted-files"))]
pub(crate) use foreign::aes_cbc_seal;
pub use foreign::{aes_cbc_open, aes_gcm_open, aes_gcm_seal};
use thiserror::Error;
use zeroize::Zeroizing;

/// Length of the symmetric keys used here (XChaCha20 and AES-256).
pub const KEY_LEN: usize = 32;
/// XChaCha20-Poly1305 nonce length.
pub const NONCE_LEN: usize = 24;
/// Poly1305 and GCM tag length.
pub const TAG_LEN: usize = 16;

/// Fills `buf` from the operating system's CSPRNG.
///
/// There is no safe way to go on without randomness (a repeated nonce
/// breaks XChaCha20-Poly1305, a predictable key breaks everything), so a
/// failure here aborts the process rather than return an error that a
/// caller could ignore.
pub fn fill_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        std::process::abort();
    }
}

/// A fresh random 256-bit key.
pub fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    fill_random(key.as_mut());
    key
}

/// `N` random bytes: salts, nonces, ids.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// Encryption failed: only possible for a message beyond the cipher's
/// limit (256 GiB for XChaCha20-Poly1305, 64 GiB for AES-GCM).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("encryption failed: the data is too large to encrypt")]
pub struct SealError;

/// XChaCha20-Poly1305: encrypts `plaintext` in place under `key`, binding
/// `aad`; the buffer that held the plaintext comes back holding the
/// ciphertext with its tag appended, so no second copy is made.
pub fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    mut plaintext: Vec<u8>,
) -> Result<Vec<u8>, SealError> {
    XChaCha20Poly1305::new(key.into())
        .encrypt_in_place(<&XNonce>::from(nonce), aad, &mut plaintext)
        .map_err(|_| SealError)?;
    Ok(plaintext)
}

/// XChaCha20-Poly1305: decrypts and authenticates; `None` if the key, the
/// associated data or any byte is wrong.
pub fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    XChaCha20Poly1305::new(key.into())
        .decrypt_in_place(<&XNonce>::from(nonce), aad, &mut *buf)
        .ok()?;
    Some(buf)
}

impl Kinded for SealError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xchacha_round_trip_binds_the_associated_data() {
        let key = random_key();
        let nonce = random_array();
        let sealed = seal(&key, &nonce, b"header", b"secret".to_vec()).unwrap();
        assert_eq!(sealed.len(), 6 + TAG_LEN);
        assert_eq!(
            open(&key, &nonce, b"header", &sealed).unwrap().as_slice(),
            b"secret"
        );
        assert!(open(&key, &nonce, b"other", &sealed).is_none());
    }
}
