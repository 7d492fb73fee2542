//! The vault's cryptography: Argon2id to stretch the passphrase, and
//! XChaCha20-Poly1305 both to wrap the vault key and to seal the payload.
//!
//! Two keys, as in age and Aegis: a random vault key encrypts the entries and
//! a passphrase-derived key encrypts (wraps) the vault key. Changing the
//! passphrase re-wraps 32 bytes, and more unlock slots can be added later.

use argon2::{Argon2, Block, Params as Argon2Params, Version};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rayon::prelude::*;
use std::time::{Duration, Instant};
use zeroize::Zeroize;
use zeroize::Zeroizing;

use thiserror::Error;

use crate::secret::Passphrase;

pub const KEY_LEN: usize = 32;
pub const SALT_LEN: usize = 32;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
pub const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;

/// Argon2id cost, as stored in a passphrase slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Bounds every stored cost must meet before anything is allocated, so that
/// a hostile file cannot ask for terabytes of memory or hours of work.
pub const MAX_MEMORY_KIB: u32 = 4 * 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 64;
pub const MAX_PARALLELISM: u32 = 64;
/// Memory × passes, in KiB: 16 times the default's work (about 7 s on two
/// cores), so that a hostile file can slow one unlock but not stall it.
pub const MAX_WORK_KIB: u64 = 16 * 1024 * 1024;
/// The floor below which `init` warns: Argon2id 64 MiB with 3 passes,
/// Bitwarden's default and about OWASP's minimum.
pub const FLOOR: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 1,
};

/// Argon2id parameters outside the bounds otpvault accepts.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KdfError {
    #[error("Argon2id memory of {memory_mib} MiB is over the limit of {limit_mib} MiB")]
    TooCostly { memory_mib: u64, limit_mib: u64 },
    #[error(
        "Argon2id parameters (memory {} KiB, iterations {}, parallelism {}) are out of bounds: iterations and parallelism must be 1 to 64 and memory at least 8 KiB a lane",
        .0.memory_kib, .0.iterations, .0.parallelism
    )]
    OutOfBounds(KdfParams),
    #[error(
        "Argon2id work of {memory_mib} MiB × {iterations} passes is over the limit of {limit_gib} GiB in all"
    )]
    TooSlow {
        memory_mib: u64,
        iterations: u32,
        limit_gib: u64,
    },
    #[error("not enough memory for Argon2id ({0} MiB): close other programs and try again")]
    OutOfMemory(u64),
}

impl Default for KdfParams {
    /// 512 MiB, 2 passes, 4 lanes: about half a second on two cores, and
    /// 8 times Bitwarden's memory per guess (docs/performance.md).
    fn default() -> Self {
        KdfParams {
            memory_kib: 512 * 1024,
            iterations: 2,
            parallelism: 4,
        }
    }
}

impl KdfParams {
    /// Checks the bounds; Argon2 itself needs at least 8 KiB per lane.
    pub fn check(&self) -> Result<(), KdfError> {
        if self.memory_kib > MAX_MEMORY_KIB {
            return Err(KdfError::TooCostly {
                memory_mib: u64::from(self.memory_kib) / 1024,
                limit_mib: u64::from(MAX_MEMORY_KIB) / 1024,
            });
        }
        if u64::from(self.memory_kib) * u64::from(self.iterations) > MAX_WORK_KIB {
            return Err(KdfError::TooSlow {
                memory_mib: u64::from(self.memory_kib) / 1024,
                iterations: self.iterations,
                limit_gib: MAX_WORK_KIB / 1024 / 1024,
            });
        }
        let valid = (1..=MAX_ITERATIONS).contains(&self.iterations)
            && (1..=MAX_PARALLELISM).contains(&self.parallelism)
            && u64::from(self.memory_kib) >= 8 * u64::from(self.parallelism);
        if valid {
            Ok(())
        } else {
            Err(KdfError::OutOfBounds(*self))
        }
    }

    /// True if a guess costs less than [`FLOOR`]: less memory, or fewer
    /// passes over the memory in all (memory × passes), than 64 MiB × 3.
    pub fn below_floor(&self) -> bool {
        let work = |p: &KdfParams| u64::from(p.memory_kib) * u64::from(p.iterations);
        self.memory_kib < FLOOR.memory_kib || work(self) < work(&FLOOR)
    }

    /// Derives the key-encryption key; the bounds are checked first.
    ///
    /// Argon2's working memory is ours, not the crate's: every core faults
    /// in and initialises its share before hashing (the crate's own
    /// allocation is zeroed and faulted in lazily, which measured 13% slower
    /// at 256 MiB and 25% at 512 MiB on 2 cores; see docs/performance.md),
    /// and it is wiped afterwards, which the crate does not do for its own.
    pub fn derive(
        &self,
        passphrase: &Passphrase,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KdfError> {
        self.check()?;
        let params = Argon2Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEY_LEN),
        )
        .map_err(|_| KdfError::OutOfBounds(*self))?;
        let mut memory = WorkingMemory::new(params.block_count())
            .ok_or(KdfError::OutOfMemory(u64::from(self.memory_kib) / 1024))?;
        let argon2 = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        argon2
            .hash_password_into_with_memory(
                passphrase.expose(),
                salt,
                out.as_mut(),
                &mut memory.0[..],
            )
            .map_err(|_| KdfError::OutOfBounds(*self))?;
        Ok(out)
    }
}

impl KdfParams {
    /// The strongest memory cost (doubling from `self`, up to
    /// `max_memory_kib`) whose derivation takes at most `target` on this
    /// machine, with the time it took. Never weaker than `self`: if `self`
    /// already takes longer than `target`, `self` comes back.
    pub fn calibrate(
        self,
        target: Duration,
        max_memory_kib: u32,
    ) -> Result<(KdfParams, Duration), KdfError> {
        let salt = [0u8; SALT_LEN];
        let probe = Passphrase::new(b"calibration".to_vec());
        let measure = |params: KdfParams| -> Result<Duration, KdfError> {
            let start = Instant::now();
            params.derive(&probe, &salt)?;
            Ok(start.elapsed())
        };
        let mut best = (self, measure(self)?);
        let limit = max_memory_kib.min(MAX_MEMORY_KIB);
        while let Some(next) = best.0.doubled(limit) {
            // Time grows with memory: skip a step that cannot fit.
            if best.1 * 2 > target + target / 10 {
                break;
            }
            let took = measure(next)?;
            if took > target {
                break;
            }
            best = (next, took);
        }
        Ok(best)
    }

    /// These parameters with twice the memory, if that stays within
    /// `max_memory_kib` and the bounds [`KdfParams::check`] enforces.
    fn doubled(self, max_memory_kib: u32) -> Option<KdfParams> {
        let memory_kib = self.memory_kib.checked_mul(2)?;
        let next = KdfParams { memory_kib, ..self };
        (memory_kib <= max_memory_kib && next.check().is_ok()).then_some(next)
    }
}

/// Argon2 blocks, initialised and wiped by all cores in parallel. The
/// blocks hold values derived from the passphrase, so they are wiped on
/// drop, whatever happened.
struct WorkingMemory(Vec<Block>);

impl WorkingMemory {
    /// `None` if the memory cannot be had (rather than aborting).
    fn new(blocks: usize) -> Option<WorkingMemory> {
        let mut memory = Vec::new();
        memory.try_reserve_exact(blocks).ok()?;
        memory.par_extend((0..blocks).into_par_iter().map(|_| Block::default()));
        Some(WorkingMemory(memory))
    }
}

impl Drop for WorkingMemory {
    fn drop(&mut self) {
        self.0.par_iter_mut().for_each(Zeroize::zeroize);
    }
}

/// Fills `buf` from the operating system's CSPRNG.
///
/// There is no safe way to go on without randomness (a repeated nonce
/// breaks XChaCha20-Poly1305), so failure here aborts the process.
pub fn fill_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        std::process::abort();
    }
}

pub fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    fill_random(key.as_mut());
    key
}

pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// Encrypts `plaintext` in place under `key`, binding `aad`: the buffer
/// that held the plaintext comes back holding ciphertext and tag.
pub fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    mut plaintext: Vec<u8>,
) -> Result<Vec<u8>, SealError> {
    let cipher = XChaCha20Poly1305::new(<&Key>::from(key));
    cipher
        .encrypt_in_place(<&XNonce>::from(nonce), aad, &mut plaintext)
        .map_err(|_| SealError)?;
    Ok(plaintext)
}

/// Encryption failed: only possible for a payload beyond the cipher's
/// 256 GiB limit.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("encryption failed: the vault is too large to encrypt")]
pub struct SealError;

/// Decrypts and authenticates; `None` if the key or any byte is wrong.
pub fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = XChaCha20Poly1305::new(<&Key>::from(key));
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_in_place(<&XNonce>::from(nonce), aad, &mut *buf)
        .ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn the_floor_is_64_mib_three_passes() {
        assert!(!KdfParams::default().below_floor());
        assert!(!FLOOR.below_floor());
        for weaker in [
            KdfParams {
                memory_kib: 32 * 1024,
                ..FLOOR
            },
            KdfParams {
                iterations: 2,
                ..FLOOR
            },
            // Passes do not make up for memory.
            KdfParams {
                memory_kib: 32 * 1024,
                iterations: 8,
                ..FLOOR
            },
            SMALL,
        ] {
            assert!(weaker.below_floor(), "{weaker:?}");
        }
        // Less time, more memory: as costly a guess.
        assert!(
            !KdfParams {
                memory_kib: 128 * 1024,
                iterations: 2,
                parallelism: 4
            }
            .below_floor()
        );
    }

    #[test]
    fn calibration_never_goes_below_the_start() {
        let (chosen, _) = SMALL.calibrate(Duration::ZERO, MAX_MEMORY_KIB).unwrap();
        assert_eq!(chosen, SMALL);
    }

    #[test]
    fn calibration_doubles_up_to_the_memory_limit() {
        let (chosen, _) = SMALL.calibrate(Duration::from_secs(60), 512).unwrap();
        assert_eq!(
            chosen,
            KdfParams {
                memory_kib: 512,
                ..SMALL
            }
        );
    }

    #[test]
    fn calibration_steps_stay_within_the_bounds() {
        let slow = KdfParams {
            memory_kib: 128 * 1024,
            iterations: 64,
            parallelism: 4,
        };
        // 256 MiB × 64 passes is the most work allowed; 512 MiB is not.
        let next = slow.doubled(MAX_MEMORY_KIB).unwrap();
        assert_eq!(next.memory_kib, 256 * 1024);
        assert_eq!(next.doubled(MAX_MEMORY_KIB), None);
        let top = KdfParams {
            memory_kib: MAX_MEMORY_KIB / 2,
            iterations: 1,
            parallelism: 4,
        };
        assert_eq!(top.doubled(MAX_MEMORY_KIB / 2), None);
        assert_eq!(
            top.doubled(MAX_MEMORY_KIB).unwrap().memory_kib,
            MAX_MEMORY_KIB
        );
        assert!(
            top.doubled(MAX_MEMORY_KIB)
                .unwrap()
                .doubled(u32::MAX)
                .is_none()
        );
    }

    #[test]
    fn derivation_is_argon2id_as_specified() {
        // RFC 9106 has no vector without secret and associated data; check
        // against the crate's own allocation path instead, which the
        // parallel working memory must not change.
        let pass = Passphrase::new(b"password".to_vec());
        let salt = [0x02u8; 16];
        let ours = SMALL.derive(&pass, &salt).unwrap();
        let params = Argon2Params::new(64, 1, 1, Some(KEY_LEN)).unwrap();
        let mut theirs = [0u8; KEY_LEN];
        Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(b"password", &salt, &mut theirs)
            .unwrap();
        assert_eq!(*ours, theirs);
    }
}
