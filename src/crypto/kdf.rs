//! Key derivation: Argon2id for the vault's passphrase slots, and the
//! scrypt and PBKDF2 that other apps' encrypted exports use.
//!
//! Every cost read from a file is bounded before anything is allocated or
//! computed: a hostile file may make one unlock slow, never stall it or
//! exhaust memory. The bounds are in docs/vault-format.md and
//! docs/threat-model.md.

use crate::error::{ErrorKind, Kinded};

use argon2::{Argon2, Block, Params as Argon2Params, Version};
use rayon::prelude::*;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use super::KEY_LEN;
use crate::secret::Passphrase;

/// Argon2id cost, as stored in a passphrase slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Bounds every stored cost must meet before anything is allocated, so that
/// a hostile file cannot ask for terabytes of memory or minutes of work.
/// With them, the costliest header accepted (2 GiB × 2 passes in one lane)
/// takes about 8 times the default unlock on the same machine (3.7 s
/// against 0.48 s on the 2-core machine of docs/performance.md): a hostile
/// file can slow one unlock, not stall it. Memory: 4 times the default.
pub const MAX_MEMORY_KIB: u32 = 2 * 1024 * 1024;
pub const MAX_ITERATIONS: u32 = 64;
pub const MAX_PARALLELISM: u32 = 64;
/// Memory × passes, in KiB: 4 times the default's work. Argon2 fills the
/// memory once on every pass, so time grows with both; one lane on one
/// core is the slowest way to do the same work.
pub const MAX_WORK_KIB: u64 = 4 * 1024 * 1024;
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

/// A cost read from another app's export that is outside what otpvault
/// will compute, so the file is damaged or hostile.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ForeignKdfError {
    #[error("scrypt N={n}, r={r}, p={p} is out of bounds (at most 1 GiB of memory)")]
    Scrypt { n: u64, r: u32, p: u32 },
    #[error("PBKDF2 with {0} rounds is out of bounds (1 to {MAX_PBKDF2_ROUNDS})")]
    Pbkdf2(u64),
    #[error(
        "its {slots} password slots ask for scrypt work N×r×p of {work} in all, over the limit of {limit} a file (about 10 unlocks)",
        limit = SCRYPT_FILE_WORK
    )]
    ScryptBudget { slots: usize, work: u64 },
    #[error("it has {0} key slots, more than the {MAX_KEY_SLOTS} an export may have")]
    TooManySlots(usize),
    #[error(transparent)]
    NotBuilt(#[from] crate::error::NotBuilt),
}

/// The most PBKDF2 rounds an export may ask for: 35 times andOTP's own
/// 140,000; 0.9 s with SHA-1 and 3.4 s with SHA-512 on the 2-core machine
/// of docs/performance.md, where a default unlock takes 0.5 to 0.7 s.
/// Every format that reads its rounds from the file derives one key a file.
pub const MAX_PBKDF2_ROUNDS: u64 = 5_000_000;

/// The most scrypt work (N × r × p, summed over every slot tried) one
/// export may ask for: 2^24, 64 slots at Aegis's own cost (N = 2^15,
/// r = 8, p = 1: 83 ms each here), or one slot of 1 GiB and p = 2 (4.6 s);
/// about ten default unlocks. Refused before any work is done.
pub const SCRYPT_FILE_WORK: u64 = 1 << 24;

/// The most key slots an export may hold: Aegis writes one password slot
/// and a biometric one or two.
pub const MAX_KEY_SLOTS: usize = 16;

/// What one file's scrypt slots cost in all, refused before any is tried
/// if over [`SCRYPT_FILE_WORK`] or if there are more than
/// [`MAX_KEY_SLOTS`] slots. Each slot's own bounds are still checked when
/// it is tried.
pub fn scrypt_budget(
    all_slots: usize,
    costs: impl Iterator<Item = (u64, u32, u32)>,
) -> Result<(), ForeignKdfError> {
    if all_slots > MAX_KEY_SLOTS {
        return Err(ForeignKdfError::TooManySlots(all_slots));
    }
    let (mut slots, mut work) = (0, 0u64);
    for (n, r, p) in costs {
        slots += 1;
        work = work.saturating_add(n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p)));
    }
    if work > SCRYPT_FILE_WORK {
        return Err(ForeignKdfError::ScryptBudget { slots, work });
    }
    Ok(())
}

/// The hash of a PBKDF2 that another app's export uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbkdf2Hash {
    Sha1,
    Sha256,
    Sha512,
}

pub use super::foreign::{pbkdf2, scrypt};

impl Kinded for KdfError {
    fn kind(&self) -> ErrorKind {
        match self {
            KdfError::OutOfMemory(_) => ErrorKind::Environment,
            KdfError::TooCostly { .. } | KdfError::OutOfBounds(_) | KdfError::TooSlow { .. } => {
                ErrorKind::Usage
            }
        }
    }
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
