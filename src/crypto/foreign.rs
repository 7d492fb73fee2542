//! Other apps' ciphers and key derivations, for their encrypted exports:
//! AES-256-GCM (Aegis, 2FAS, Proton, andOTP, FreeOTP 2, Stratum),
//! AES-256-CBC (Authy, TOTP Authenticator, old Stratum), scrypt (Aegis)
//! and PBKDF2 (2FAS, andOTP, Authy, FreeOTP 2, old Stratum). The vault
//! itself uses none of them. Every cost read from a file is bounded before
//! anything is computed.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::kdf::{ForeignKdfError, MAX_PBKDF2_ROUNDS, Pbkdf2Hash};
use super::{KEY_LEN, SealError, TAG_LEN};
use crate::secret::Passphrase;

/// True when other apps' encrypted files can be opened and written.
pub const BUILT: bool = true;

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

/// The most memory an export's scrypt cost may ask for: 1 GiB, 32 times
/// what Aegis itself uses.
const SCRYPT_MAX_MEMORY: u64 = 1 << 30;

/// A 32-byte key from scrypt with the export's own cost, bounded first.
pub fn scrypt(
    password: &Passphrase,
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; KEY_LEN]>, ForeignKdfError> {
    let refused = ForeignKdfError::Scrypt { n, r, p };
    let memory = 128u64.saturating_mul(u64::from(r)).saturating_mul(n);
    if !n.is_power_of_two()
        || n < 2
        || !(1..=32).contains(&r)
        || !(1..=16).contains(&p)
        || memory > SCRYPT_MAX_MEMORY
    {
        return Err(refused);
    }
    let params = scrypt::Params::new(n.trailing_zeros() as u8, r, p).map_err(|_| refused)?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password.expose(), salt, &params, key.as_mut())
        .map_err(|_| ForeignKdfError::Scrypt { n, r, p })?;
    Ok(key)
}

/// A 32-byte key from PBKDF2-HMAC with `hash` and the export's own round
/// count, bounded first.
pub fn pbkdf2(
    hash: Pbkdf2Hash,
    password: &Passphrase,
    salt: &[u8],
    rounds: u64,
) -> Result<Zeroizing<[u8; KEY_LEN]>, ForeignKdfError> {
    let rounds32 = u32::try_from(rounds)
        .ok()
        .filter(|r| (1..=MAX_PBKDF2_ROUNDS).contains(&u64::from(*r)))
        .ok_or(ForeignKdfError::Pbkdf2(rounds))?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let (p, out) = (password.expose(), key.as_mut());
    match hash {
        Pbkdf2Hash::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(p, salt, rounds32, out),
        Pbkdf2Hash::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(p, salt, rounds32, out),
        Pbkdf2Hash::Sha512 => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(p, salt, rounds32, out),
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{random_array, random_key};

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
