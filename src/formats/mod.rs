//! Other authenticators' export files, in and out. One module a format; each
//! turns bytes into [`Account`](crate::Account)s and entries back into bytes.

pub mod aegis;
pub mod google;
pub mod proton;
pub mod twofas;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use thiserror::Error;
use zeroize::Zeroizing;

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
    KdfOutOfBounds(String),
    #[error("the export is encrypted: give its password")]
    PasswordNeeded,
}

/// AES-256-GCM with the tag stored apart, as Aegis, 2FAS and Proton write it.
pub(crate) fn aes_gcm_open(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let key = <&Key<Aes256Gcm>>::try_from(key).ok()?;
    let nonce = <&Nonce<aes_gcm::aead::consts::U12>>::try_from(nonce).ok()?;
    let tag = <&Tag<aes_gcm::aead::consts::U16>>::try_from(tag).ok()?;
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    Aes256Gcm::new(key)
        .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag)
        .ok()?;
    Some(buf)
}

/// AES-256-GCM encryption in place; returns (ciphertext, tag).
pub(crate) fn aes_gcm_seal(
    key: &[u8; 32],
    nonce: &[u8; 12],
    mut plaintext: Vec<u8>,
) -> Option<(Vec<u8>, [u8; 16])> {
    let tag = Aes256Gcm::new(<&Key<Aes256Gcm>>::from(key))
        .encrypt_inout_detached(
            <&Nonce<aes_gcm::aead::consts::U12>>::from(nonce),
            &[],
            plaintext.as_mut_slice().into(),
        )
        .ok()?;
    Some((plaintext, tag.into()))
}
