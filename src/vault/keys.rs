//! The vault key and the slots that wrap it.
//!
//! Two keys, as in age and Aegis: a random vault key encrypts the entries,
//! and a key derived from the passphrase encrypts (wraps) the vault key in
//! a slot. Changing the passphrase rewraps 32 bytes; other ways to unlock
//! are other slots around the same key.

use super::error::RekeyError;
use super::format::{PassphraseSlot, WRAPPED_KEY_LEN};
use crate::crypto::kdf::{KdfError, KdfParams};
use crate::crypto::{self, SealError};
use crate::secret::{Passphrase, VaultKey};

/// Why a slot did not give up the vault key.
#[derive(Debug)]
pub enum UnwrapError {
    /// The KDF refused the slot's cost, or had no memory for it.
    Kdf(KdfError),
    /// The derived key does not open the slot: another passphrase (or, if
    /// the checksum was forged, a changed slot).
    WrongPassphrase,
}

/// A passphrase slot holding `key`, wrapped under a key derived from
/// `passphrase` with a fresh salt and nonce.
pub fn wrap(
    key: &VaultKey,
    passphrase: &Passphrase,
    kdf: KdfParams,
) -> Result<PassphraseSlot, RekeyError> {
    let salt = crypto::random_array();
    let nonce = crypto::random_array();
    let kek = kdf.derive(passphrase, &salt)?;
    let mut slot = PassphraseSlot {
        kdf,
        salt,
        nonce,
        wrapped_key: [0; WRAPPED_KEY_LEN],
    };
    let wrapped = crypto::seal(&kek, &nonce, &slot.aad(), key.expose().to_vec())?;
    slot.wrapped_key = wrapped.try_into().map_err(|_| SealError)?;
    Ok(slot)
}

/// The vault key from a passphrase slot. The slot's cost is bounded before
/// Argon2 allocates anything.
pub fn unwrap(slot: &PassphraseSlot, passphrase: &Passphrase) -> Result<VaultKey, UnwrapError> {
    slot.kdf.check().map_err(UnwrapError::Kdf)?;
    let kek = slot
        .kdf
        .derive(passphrase, &slot.salt)
        .map_err(UnwrapError::Kdf)?;
    let key = crypto::open(&kek, &slot.nonce, &slot.aad(), &slot.wrapped_key)
        .ok_or(UnwrapError::WrongPassphrase)?;
    // The tag checked out, so the plaintext is the 32 bytes that were
    // wrapped; any other length is a wrong key all the same.
    VaultKey::from_slice(&key).ok_or(UnwrapError::WrongPassphrase)
}
