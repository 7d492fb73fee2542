//! The cryptographic primitives that the vault and the other apps' formats
//! share: randomness, authenticated encryption, and key derivation with
//! bounds ([`kdf`]). Nothing here knows a file layout; the vault and each
//! format decide what to feed these.

pub mod kdf;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::consts::U12;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
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

/// AES-256-GCM with a 12-byte nonce and the tag stored apart, as Aegis,
/// 2FAS and Proton write it. `None` on a wrong key, a wrong length of any
/// part, or any changed byte.
pub fn aes_gcm_open(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce = <&aes_gcm::Nonce<U12>>::try_from(nonce).ok()?;
    let tag = <&aes_gcm::Tag>::try_from(tag).ok()?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag)
        .ok()?;
    Some(buf)
}

/// AES-256-CBC with PKCS#7 padding, as Authy, TOTP Authenticator and older
/// Authenticator Pro exports use it. `None` on a key or IV of the wrong
/// length, a ciphertext that is not whole blocks, or bad padding (which is
/// how a wrong password usually shows: CBC authenticates nothing, so the
/// caller must check the plaintext too).
pub fn aes_cbc_open(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = decryptor.decrypt_padded::<Pkcs7>(&mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}

/// AES-256-CBC with PKCS#7 padding, for tests that make files as other
/// apps do.
#[cfg(test)]
pub(crate) fn aes_cbc_seal(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Vec<u8> {
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
    let mut buf = plaintext.to_vec();
    buf.resize(plaintext.len() + 16, 0);
    let len = cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
        .unwrap()
        .encrypt_padded::<Pkcs7>(&mut buf, plaintext.len())
        .unwrap()
        .len();
    buf.truncate(len);
    buf
}

/// AES-256-GCM encryption in place; returns the ciphertext and the tag.
pub fn aes_gcm_seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; 12],
    mut plaintext: Vec<u8>,
) -> Result<(Vec<u8>, [u8; TAG_LEN]), SealError> {
    let tag = Aes256Gcm::new(key.into())
        .encrypt_inout_detached(nonce.into(), &[], plaintext.as_mut_slice().into())
        .map_err(|_| SealError)?;
    Ok((plaintext, tag.into()))
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

    #[test]
    fn aes_gcm_round_trip_and_wrong_lengths() {
        let key = random_key();
        let nonce = random_array::<12>();
        let (ciphertext, tag) = aes_gcm_seal(&key, &nonce, b"db".to_vec()).unwrap();
        let plain = aes_gcm_open(key.as_ref(), &nonce, &[], &ciphertext, &tag).unwrap();
        assert_eq!(plain.as_slice(), b"db");
        assert!(aes_gcm_open(&key[..31], &nonce, &[], &ciphertext, &tag).is_none());
        assert!(aes_gcm_open(key.as_ref(), &nonce[..11], &[], &ciphertext, &tag).is_none());
        assert!(aes_gcm_open(key.as_ref(), &nonce, &[], &ciphertext, &tag[..15]).is_none());
    }
}
