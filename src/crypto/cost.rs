//! What a new vault's Argon2id costs on this machine: the default, fitted
//! to a machine with little memory ([`KdfParams::fitting`]), calibrated to
//! a target time ([`KdfParams::calibrate`]), and the one rule that turns
//! what `otp init` asks into the cost chosen ([`Requested::choose`]).

use std::time::{Duration, Instant};

use super::kdf::{FLOOR, KdfError, KdfParams, MAX_MEMORY_KIB};
use crate::secret::Passphrase;

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
}
