//! Key derivation: Argon2id for the vault's passphrase slots, and the
//! scrypt and PBKDF2 that other apps' encrypted exports use.
//!
//! Every cost read from a file is bounded before anything is allocated or
//! computed: a hostile file may make one unlock slow, never stall it or
//! exhaust memory. The bounds are in docs/vault-format.md and
//! docs/threat-model.md.

use crate::error::{ErrorKind, Kinded};
use std::time::{Duration, Instant};

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
        let salt = [0u8; 32];
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

/// The smallest memory [`KdfParams::fitting`] goes down to: below this
/// the passes that make up the work would take longer than the memory
/// saves.
const FITTING_MIN_KIB: u32 = 8 * 1024;

/// KDF parameters chosen for a new vault, and whether the default had to
/// give way to the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    pub params: KdfParams,
    /// The memory available when they were chosen, in KiB.
    pub available_kib: u64,
    /// True if the default took more than a quarter of it.
    pub reduced: bool,
}

impl KdfParams {
    /// The default for a new vault, unless its memory is more than a
    /// quarter of `available_kib`: a vault must unlock with the rest of the
    /// machine running, and on a 512 MiB VPS the default could not unlock
    /// at all. Then the memory is the largest power of two within that
    /// quarter (at least 8 MiB), and passes are added so that memory ×
    /// passes stays at or above [`FLOOR`]'s 64 MiB × 3.
    pub fn fitting(available_kib: u64) -> Fitted {
        let default = KdfParams::default();
        let quarter = available_kib / 4;
        if u64::from(default.memory_kib) <= quarter {
            return Fitted {
                params: default,
                available_kib,
                reduced: false,
            };
        }
        let mut memory_kib = FITTING_MIN_KIB;
        while u64::from(memory_kib) * 2 <= quarter && memory_kib * 2 < default.memory_kib {
            memory_kib *= 2;
        }
        let floor_work = FLOOR.memory_kib * FLOOR.iterations;
        let iterations = default.iterations.max(floor_work.div_ceil(memory_kib));
        Fitted {
            params: KdfParams {
                memory_kib,
                iterations,
                parallelism: default.parallelism,
            },
            available_kib,
            reduced: true,
        }
    }
}

/// What `otp init` asks of a new vault's cost: what is unset takes the
/// default, or for the memory a fit to this machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requested {
    pub memory_mib: Option<u32>,
    pub iterations: Option<u32>,
    pub parallelism: Option<u32>,
    /// Measure this machine and take the most memory (from the default up)
    /// that unlocks within this time.
    pub calibrate: Option<Duration>,
}

/// The cost chosen for a new vault, and why, for the front end to say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub params: KdfParams,
    /// The memory was fitted to a small machine (less than the default).
    pub fitted: Option<Fitted>,
    /// Calibration's measured unlock time at the chosen cost.
    pub measured: Option<Duration>,
    /// The cost is below [`FLOOR`]: each guess is cheap.
    pub below_floor: bool,
}

impl Requested {
    /// The cost of a new vault: the default (or as much memory as fits
    /// this machine when no memory is given), with what was asked for in
    /// its place; calibrated when asked. The one rule for `init` and for
    /// the vault a first `add` or `import` makes.
    pub fn choose(self) -> Result<Choice, KdfError> {
        let mut fitted = None;
        let base = match (self.memory_mib, self.calibrate) {
            (None, None) => {
                let fit = KdfParams::fitting(available_memory_kib());
                if fit.reduced {
                    fitted = Some(fit);
                }
                fit.params
            }
            _ => KdfParams::default(),
        };
        let params = KdfParams {
            memory_kib: self
                .memory_mib
                .map_or(base.memory_kib, |mib| mib.saturating_mul(1024)),
            iterations: self.iterations.unwrap_or(base.iterations),
            parallelism: self.parallelism.unwrap_or(base.parallelism),
        };
        params.check()?;
        let (params, measured) = match self.calibrate {
            Some(target) => {
                let (chosen, took) = params.calibrate(target, half_of_memory_kib())?;
                (chosen, Some(took))
            }
            None => (params, None),
        };
        Ok(Choice {
            params,
            fitted,
            measured,
            below_floor: params.below_floor(),
        })
    }
}

/// The memory available to a new program now, in KiB: Linux's
/// `MemAvailable`, else the free memory. Debug builds take
/// `OTP_TEST_AVAILABLE_MIB` instead, so that tests can play a small machine.
pub fn available_memory_kib() -> u64 {
    if cfg!(debug_assertions)
        && let Some(mib) = std::env::var("OTP_TEST_AVAILABLE_MIB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
    {
        return mib * 1024;
    }
    let from_meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
    if let Some(kib) = from_meminfo {
        return kib;
    }
    #[cfg(target_os = "linux")]
    {
        let info = rustix::system::sysinfo();
        (info.freeram as u64).saturating_mul(u64::from(info.mem_unit)) / 1024
    }
    #[cfg(not(target_os = "linux"))]
    {
        4 * 1024 * 1024
    }
}

/// Half the machine's memory in KiB, the most [`KdfParams::calibrate`] may
/// choose: a vault must still unlock while the rest of the system runs.
/// Where the total cannot be read (outside Linux), 2 GiB is assumed.
pub fn half_of_memory_kib() -> u32 {
    #[cfg(target_os = "linux")]
    {
        let info = rustix::system::sysinfo();
        let bytes = (info.totalram as u64).saturating_mul(u64::from(info.mem_unit));
        u32::try_from(bytes / 1024 / 2).unwrap_or(u32::MAX)
    }
    #[cfg(not(target_os = "linux"))]
    {
        2 * 1024 * 1024
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
        "this otp was built without the encrypted-files feature, which opens other apps' encrypted files: build it with --features encrypted-files"
    )]
    NotBuilt,
}

/// The most PBKDF2 rounds an export may ask for: a few seconds here, 35
/// times andOTP's own 140,000.
pub const MAX_PBKDF2_ROUNDS: u64 = 5_000_000;

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
    fn a_small_machine_gets_less_memory_and_more_passes() {
        let mib = |m: u64| m * 1024;
        let f = KdfParams::fitting(mib(8 * 1024));
        assert_eq!((f.params, f.reduced), (KdfParams::default(), false));
        assert!(
            !KdfParams::fitting(mib(2048)).reduced,
            "exactly a quarter fits"
        );
        for (available, memory, passes) in [
            (2047, 256, 2),
            (1024, 256, 2),
            (512, 128, 2),
            (400, 64, 3),
            (200, 32, 6),
            (64, 16, 12),
            (20, 8, 24),
            (1, 8, 24),
        ] {
            let f = KdfParams::fitting(mib(available));
            assert!(f.reduced);
            assert_eq!(
                (f.params.memory_kib, f.params.iterations),
                (mib(memory) as u32, passes),
                "{available} MiB"
            );
            assert_eq!(f.params.check(), Ok(()));
            let work = u64::from(f.params.memory_kib) * u64::from(f.params.iterations);
            assert!(work >= u64::from(FLOOR.memory_kib) * 3);
        }
    }

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
            memory_kib: 32 * 1024,
            iterations: 64,
            parallelism: 4,
        };
        // 64 MiB × 64 passes is the most work allowed; 128 MiB is not.
        let next = slow.doubled(MAX_MEMORY_KIB).unwrap();
        assert_eq!(next.memory_kib, 64 * 1024);
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
