//! The vault key and the slots that wrap it.
//!
//! Two keys, as in age and Aegis: a random vault key encrypts the entries,
//! and a key derived from the passphrase encrypts (wraps) the vault key in
//! a slot. Changing the passphrase rewraps 32 bytes; other ways to unlock
//! are other slots around the same key: the paper recovery key is one.
//!
//! The recovery slot's key comes from HKDF-SHA256, not Argon2id: the
//! recovery key is 128 random bits from the operating system, not chosen by
//! a person, so guessing it is out of reach however fast each guess is
//! (2^127 guesses on average), and `otp recover` is instant.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::RekeyError;
use super::format::{PassphraseSlot, RecoverySlot, WRAPPED_KEY_LEN};
use crate::crypto::kdf::{KdfError, KdfParams};
use crate::crypto::{self, KEY_LEN, SealError};
use crate::recovery::RecoveryKey;
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
        created: Some(crate::clock::timestamp()),
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

/// The HKDF "info" that binds a recovery slot's key to its purpose.
const RECOVERY_INFO: &[u8] = b"otpvault recovery slot";

/// The key that wraps the vault key in a recovery slot.
fn recovery_kek(recovery: &RecoveryKey, salt: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    // 32 bytes is far below HKDF-SHA256's limit of 8,160: this cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(salt), recovery.expose()).expand(RECOVERY_INFO, kek.as_mut());
    kek
}

/// A recovery slot holding `key`, wrapped under a key derived from the
/// recovery key with a fresh salt and nonce.
pub fn wrap_recovery(key: &VaultKey, recovery: &RecoveryKey) -> Result<RecoverySlot, RekeyError> {
    let mut slot = RecoverySlot {
        created: crate::clock::timestamp(),
        salt: crypto::random_array(),
        nonce: crypto::random_array(),
        wrapped_key: [0; WRAPPED_KEY_LEN],
    };
    let kek = recovery_kek(recovery, &slot.salt);
    let wrapped = crypto::seal(&kek, &slot.nonce, &slot.aad(), key.expose().to_vec())?;
    slot.wrapped_key = wrapped.try_into().map_err(|_| SealError)?;
    Ok(slot)
}

/// The vault key from a recovery slot; `None` if the recovery key is not
/// the one that made it.
pub fn unwrap_recovery(slot: &RecoverySlot, recovery: &RecoveryKey) -> Option<VaultKey> {
    let kek = recovery_kek(recovery, &slot.salt);
    let key = crypto::open(&kek, &slot.nonce, &slot.aad(), &slot.wrapped_key)?;
    VaultKey::from_slice(&key)
}
