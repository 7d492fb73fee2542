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
//!
//! In format 3 the recovery key is also a public key: an X25519 key pair
//! derived from the paper key, whose public half the vault keeps. A new
//! data key (`otp passwd` makes one) is wrapped to it as age wraps a file
//! key for a recipient, by any write, without the paper key.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use x25519_dalek::{PublicKey, StaticSecret};

use super::error::RekeyError;
use super::slot::{PassphraseSlot, RecipientSlot, RecoverySlot, Slot, WRAPPED_KEY_LEN};
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
    let aad = Slot::Passphrase(slot.clone()).aad();
    let wrapped = crypto::seal(&kek, &nonce, &aad, key.expose().to_vec())?;
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
    let aad = Slot::Passphrase(slot.clone()).aad();
    let key = crypto::open(&kek, &slot.nonce, &aad, &slot.wrapped_key)
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

/// The vault key from a recovery slot; `None` if the recovery key is not
/// the one that made it.
pub fn unwrap_recovery(slot: &RecoverySlot, recovery: &RecoveryKey) -> Option<VaultKey> {
    let kek = recovery_kek(recovery, &slot.salt);
    let aad = Slot::Recovery(slot.clone()).aad();
    let key = crypto::open(&kek, &slot.nonce, &aad, &slot.wrapped_key)?;
    VaultKey::from_slice(&key)
}

/// The HKDF "info" that turns a paper key into its X25519 secret key.
const RECIPIENT_SECRET_INFO: &[u8] = b"otpvault recovery x25519";
/// The HKDF "info" of the key that wraps a data key to a recipient.
const RECIPIENT_WRAP_INFO: &[u8] = b"otpvault recovery slot 3";

/// The X25519 secret key of a paper recovery key: HKDF-SHA256 of its 16
/// bytes, no salt.
fn recipient_secret(recovery: &RecoveryKey) -> StaticSecret {
    let mut bytes = Zeroizing::new([0u8; 32]);
    let _ =
        Hkdf::<Sha256>::new(None, recovery.expose()).expand(RECIPIENT_SECRET_INFO, bytes.as_mut());
    StaticSecret::from(*bytes)
}

/// The public key a paper recovery key is as a recipient.
pub fn recipient(recovery: &RecoveryKey) -> [u8; 32] {
    PublicKey::from(&recipient_secret(recovery)).to_bytes()
}

/// The key that wraps a data key for `recipient`, from the shared secret
/// of one ephemeral key pair: HKDF-SHA256 with the ephemeral public key
/// and the recipient as salt (age's construction for its X25519
/// recipients, under otpvault's own label). `None` if the exchange is not
/// contributory (a recipient of low order: no secret is shared).
fn recipient_kek(
    shared: &x25519_dalek::SharedSecret,
    ephemeral: &[u8; 32],
    recipient: &[u8; 32],
) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    if !shared.was_contributory() {
        return None;
    }
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(recipient);
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    let _ = Hkdf::<Sha256>::new(Some(&salt), shared.as_bytes())
        .expand(RECIPIENT_WRAP_INFO, kek.as_mut());
    Some(kek)
}

/// A recovery slot holding `key`, wrapped to the public key `recipient`
/// with a fresh ephemeral key pair and nonce; `created` is when its paper
/// key was made.
pub fn wrap_to_recipient(
    key: &VaultKey,
    recipient: &[u8; 32],
    created: i64,
) -> Result<RecipientSlot, RekeyError> {
    let ephemeral_secret = StaticSecret::from(*crypto::random_key());
    let ephemeral = PublicKey::from(&ephemeral_secret).to_bytes();
    let shared = ephemeral_secret.diffie_hellman(&PublicKey::from(*recipient));
    let kek = recipient_kek(&shared, &ephemeral, recipient).ok_or(SealError)?;
    let mut slot = RecipientSlot {
        created,
        recipient: *recipient,
        ephemeral,
        nonce: crypto::random_array(),
        wrapped_key: [0; WRAPPED_KEY_LEN],
    };
    let aad = Slot::Recipient(slot.clone()).aad();
    let wrapped = crypto::seal(&kek, &slot.nonce, &aad, key.expose().to_vec())?;
    slot.wrapped_key = wrapped.try_into().map_err(|_| SealError)?;
    Ok(slot)
}

/// The vault key from a recipient slot; `None` if the paper key is not
/// the one the slot is for.
pub fn unwrap_recipient(slot: &RecipientSlot, recovery: &RecoveryKey) -> Option<VaultKey> {
    let secret = recipient_secret(recovery);
    if PublicKey::from(&secret).to_bytes() != slot.recipient {
        return None;
    }
    let shared = secret.diffie_hellman(&PublicKey::from(slot.ephemeral));
    let kek = recipient_kek(&shared, &slot.ephemeral, &slot.recipient)?;
    let aad = Slot::Recipient(slot.clone()).aad();
    let key = crypto::open(&kek, &slot.nonce, &aad, &slot.wrapped_key)?;
    VaultKey::from_slice(&key)
}

/// The vault id of a vault made before format 3, which had none: derived
/// from its first data key, so that every device that upgrades a copy of
/// it finds the same id. SHA-256 over `otpvault vault id`, a zero byte and
/// the key; the first 16 bytes.
pub fn legacy_vault_id(key: &VaultKey) -> [u8; 16] {
    use sha2::Digest;
    let mut hash = Sha256::new();
    hash.update(b"otpvault vault id\0");
    hash.update(key.expose());
    let digest = hash.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}
