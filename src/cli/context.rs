//! What every command needs: where the vault is, how it is unlocked (the
//! library's [`unlock`] chain, with this terminal's prompt), and how a
//! save behaves. The rules are the library's; this prints what they say.

use otpvault::terminal::ShownPath;
use std::path::{Path, PathBuf};

use otpvault::config::{self, Config};
use otpvault::crypto::cost::{Choice, Requested};
use otpvault::dispatch;
use otpvault::session::{Op, Outcome};
use otpvault::strength::{self, Strength};
use otpvault::unlock::{self, By, Opened, Sources};
use otpvault::vault::store::StoreError;
use otpvault::vault::{Access, CreateError, OpenError, Saved, Settings};
use otpvault::{KdfParams, Passphrase, Vault};

use super::passphrase::Prompt;
use super::{Failure, warn};

pub struct Context {
    vault: PathBuf,
    pub sources: Sources,
    pub settings: Settings,
    /// Flags, environment, config file: everything set, in that order.
    pub config: Config,
    /// `--weak-passphrase`: a new passphrase below the floor is let through.
    pub weak_allowed: bool,
}

impl Context {
    /// The context of a command: what the flags and environment set
    /// (`given`), then the config file, then the defaults.
    pub fn new(
        given: Config,
        passphrase_file: Option<PathBuf>,
        weak_allowed: bool,
    ) -> Result<Context, Failure> {
        let file = match config::path() {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        };
        let sources = Sources::given(
            passphrase_file,
            given.passphrase_command.clone(),
            file.passphrase_command.clone(),
        );
        let config = given.or(file);
        if let Some(offset) = config.time_offset.filter(|&o| o != 0) {
            otpvault::clock::set_offset(offset);
            note!("otp: codes are made at this clock's time {offset:+} s (OTP_TIME_OFFSET)");
        }
        let vault = match &config.vault {
            Some(path) => path.clone(),
            None => config::default_vault()?,
        };
        Ok(Context {
            vault,
            sources: Sources {
                command_timeout: config.passphrase_command_timeout(),
                // This binary, as the command's warden.
                warden: std::env::current_exe().ok(),
                ..sources
            },
            settings: config.vault_settings(),
            config,
            weak_allowed,
        })
    }

    /// The vault's path as given (before any symlink is followed).
    pub fn vault_path(&self) -> &Path {
        &self.vault
    }

    /// Fails if there is no vault, before anyone is asked to type
    /// anything for it. Only a vault known to be absent: one that cannot be
    /// looked at (a permission error) is opened, and that error shown.
    pub fn require_vault(&self) -> Result<(), Failure> {
        if matches!(self.vault.try_exists(), Ok(false)) {
            return Err(OpenError::NotFound(self.vault.clone()).into());
        }
        Ok(())
    }

    /// The passphrase of the existing vault, from its sources or asked.
    pub fn passphrase(&self) -> Result<Passphrase, Failure> {
        self.require_vault()?;
        Ok(self
            .sources
            .current(&mut Prompt, &unlock::prompt_for(&self.vault))?)
    }

    /// Runs a command's operation: in the vault's agent when it is
    /// unlocked, else here with the passphrase ([`dispatch::run`]).
    pub fn run(&self, op: Op) -> Result<Outcome, Failure> {
        Ok(dispatch::run(
            &self.vault,
            op,
            self.settings,
            &self.sources,
            &mut Prompt,
        )?)
    }

    /// Opens the vault with its passphrase (sources, then prompt): for
    /// what the agent never does (showing secrets, changing how the vault
    /// opens).
    pub fn open_as(&self, access: Access) -> Result<(Vault, By), Failure> {
        let Opened { vault, by } = dispatch::open(
            &self.vault,
            access,
            self.settings,
            &self.sources,
            &mut Prompt,
        )?;
        Ok((vault, by))
    }

    /// Says why a command asks for the passphrase although the vault is
    /// unlocked: `what` shows secrets or changes how the vault opens, and
    /// the agent never does either.
    pub fn passphrase_even_if_unlocked(&self, what: &str) {
        if matches!(
            otpvault::agent::call(&self.vault, &otpvault::agent::Request::Status),
            Ok(Some(otpvault::agent::Answer::Status(_)))
        ) {
            note!(
                "otp: {what} needs the passphrase even while the vault is unlocked: the agent gives codes, never secrets or keys"
            );
        }
    }

    /// Opens the vault to read it.
    pub fn open(&self) -> Result<(Vault, By), Failure> {
        self.open_as(Access::Read)
    }

    /// Opens the vault holding its writer's lock.
    pub fn open_for_update(&self) -> Result<Vault, Failure> {
        Ok(self.open_as(Access::Update)?.0)
    }

    /// Opens the vault for update, or creates it if missing: the first
    /// `add` needs no separate `init`. True if it was created.
    pub fn open_or_create(&self) -> Result<(Vault, bool), Failure> {
        if !matches!(self.vault.try_exists(), Ok(false)) {
            return Ok((self.open_for_update()?, false));
        }
        let kdf = choose_kdf(Requested::default())?;
        let passphrase = self.new_passphrase(true, kdf)?;
        match Vault::create(&self.vault, &passphrase, kdf, self.settings) {
            Ok(vault) => {
                note!("otp: created the vault {}", ShownPath(&self.vault));
                Ok((vault, true))
            }
            // Another otp created it first: use theirs.
            Err(CreateError::File(StoreError::Exists(_))) => Ok((self.open_for_update()?, false)),
            Err(e) => Err(e.into()),
        }
    }

    /// A new passphrase for a vault of KDF cost `kdf`, checked against the
    /// floor ([`unlock::new_passphrase`]); one line says how long it
    /// would hold.
    pub fn new_passphrase(
        &self,
        reuse_current: bool,
        kdf: KdfParams,
    ) -> Result<Passphrase, Failure> {
        let (passphrase, strength) = unlock::new_passphrase(
            &self.sources,
            &mut Prompt,
            reuse_current,
            kdf,
            self.weak_allowed,
        )?;
        report_strength(&strength, kdf);
        Ok(passphrase)
    }
}

/// The line that says how long a new passphrase would hold, and what a
/// weak one gives up.
fn report_strength(strength: &Strength, kdf: KdfParams) {
    note!(
        "otp: one GPU would need {} to guess this passphrase at this vault's settings (Argon2id {} MiB × {} passes, about {} guesses a second)",
        strength::Duration(strength.gpu_seconds),
        kdf.memory_kib / 1024,
        kdf.iterations,
        strength::Rate(strength::guesses_per_second(kdf))
    );
    if strength.below_floor() {
        warn(
            "a weak passphrase, accepted because of --weak-passphrase: anyone who gets a copy of this vault or of a backup can open it; use it only for a throwaway vault",
        );
    }
}

/// The KDF cost of a new vault ([`Requested::choose`]), saying what was
/// chosen for this machine and why.
pub fn choose_kdf(requested: Requested) -> Result<KdfParams, Failure> {
    if let Some(target) = requested.calibrate {
        note!(
            "otp: measuring Argon2id on this machine (target {} ms)...",
            target.as_millis()
        );
    }
    let Choice {
        params,
        fitted,
        measured,
        below_floor,
    } = requested.choose()?;
    if let Some(fitted) = fitted {
        note!(
            "otp: {} MiB of memory is available; the default Argon2id cost ({} MiB) would take more than a quarter of it, so this vault uses {} MiB with {} passes (as much work in all as at least 64 MiB × 3)",
            fitted.available_kib / 1024,
            KdfParams::default().memory_kib / 1024,
            params.memory_kib / 1024,
            params.iterations
        );
    }
    if let (Some(took), Some(target)) = (measured, requested.calibrate) {
        note!(
            "otp: chose {} MiB ({} iterations, {} lanes): {} ms here{}",
            params.memory_kib / 1024,
            params.iterations,
            params.parallelism,
            took.as_millis(),
            if took > target {
                "; that is over the target, but calibration never goes below the default (give --kdf-memory-mib for a weaker vault)"
            } else {
                ""
            }
        );
    }
    if below_floor {
        let floor = otpvault::crypto::kdf::FLOOR;
        warn(&format!(
            "Argon2id with {} MiB and {} passes makes each passphrase guess cheap; use at least {} MiB, and at least {} MiB × {} passes in all",
            params.memory_kib / 1024,
            params.iterations,
            floor.memory_kib / 1024,
            floor.memory_kib / 1024,
            floor.iterations
        ));
    }
    Ok(params)
}

/// The line that ends a command that created the vault.
pub fn suggest_recovery_key() {
    note!(
        "otp: if you ever forget the passphrase, a paper recovery key gets you back in: make one now with `otp recovery-key`"
    );
}

/// Says so when a save succeeded but could not keep the previous version
/// as an automatic backup.
/// Says that the automatic backup failed, if an operation says so.
pub fn report_backup(failed: Option<String>) {
    if let Some(why) = failed {
        warn(&format!(
            "the change is saved, but the previous version could not be kept as an automatic backup: {why}"
        ));
    }
}

pub fn report_saved(saved: Saved) {
    report_backup(saved.backup.err().map(|e| e.to_string()));
}

/// An outcome of another kind than the operation gives: a bug.
pub fn unexpected(outcome: &Outcome) -> Failure {
    otpvault::session::Failed {
        kind: otpvault::error::ErrorKind::Internal,
        message: format!(
            "otp got an answer of the wrong kind ({}): this is a bug in otp; please report it",
            match outcome {
                Outcome::Codes { .. } => "codes",
                Outcome::Code { .. } => "a code",
                Outcome::List { .. } => "a list",
                Outcome::Name { .. } => "a name",
                Outcome::Added { .. } => "an addition",
                Outcome::Imported { .. } => "an import",
                Outcome::Changed { .. } => "a change",
                Outcome::Removed { .. } => "a removal",
                Outcome::Merged { .. } => "a merge",
                Outcome::BackedUp { .. } => "a backup",
            }
        ),
    }
    .into()
}
