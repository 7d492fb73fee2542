//! What every command needs: where the vault is, how to unlock it (through
//! the agent when it holds the key, else with the passphrase), and how a
//! save behaves.

use std::path::{Path, PathBuf};

use otpvault::agent::{self, Through};
use otpvault::config::{self, Config};
use otpvault::crypto::kdf;
use otpvault::strength::{self, Strength};
use otpvault::vault::store::StoreError;
use otpvault::vault::{CreateError, OpenError, Saved, Settings, Unlock};
use otpvault::{KdfParams, Passphrase, Vault};

use super::input::InputError;
use super::passphrase::Sources;
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

/// What opened the vault: the agent's key, or a passphrase.
pub enum Unlocked {
    Agent,
    Passphrase(Passphrase),
}

impl Unlocked {
    /// The passphrase, if one was typed or read (not through the agent).
    pub fn passphrase(&self) -> Option<&Passphrase> {
        match self {
            Unlocked::Agent => None,
            Unlocked::Passphrase(passphrase) => Some(passphrase),
        }
    }
}

impl Context {
    /// The context of a command: what the flags and environment set
    /// (`given`), then the config file, then the defaults; a passphrase
    /// file is given on the command line or in the environment only.
    pub fn new(
        given: Config,
        passphrase_file: Option<PathBuf>,
        weak_allowed: bool,
    ) -> Result<Context, Failure> {
        let mut file = match config::path() {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        };
        // A passphrase given by flag or environment in any form comes before
        // the config file's command, as a flag or variable comes before the
        // file for every setting.
        let given_passphrase = passphrase_file.is_some()
            || std::env::var_os("OTP_PASSPHRASE").is_some_and(|v| !v.is_empty());
        if given_passphrase {
            file.passphrase_command = None;
        }
        let config = given.or(file);
        if let Some(offset) = config.time_offset.filter(|&o| o != 0) {
            otpvault::clock::set_offset(offset);
            note!("otp: codes are made at this clock's time {offset:+} s (OTP_TIME_OFFSET)");
        }
        let vault = match &config.vault {
            Some(path) => path.clone(),
            None => default_vault_path()?,
        };
        Ok(Context {
            vault,
            sources: Sources {
                file: passphrase_file,
                command: config.passphrase_command.clone(),
                command_timeout: config.passphrase_command_timeout(),
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

    /// The passphrase of the existing vault, from its sources.
    pub fn passphrase(&self) -> Result<Passphrase, Failure> {
        self.require_vault()?;
        Ok(self
            .sources
            .current(&format!("Passphrase for {}: ", self.vault.display()))?)
    }

    /// Opens the vault: with the agent's key when it holds one, else with
    /// the passphrase.
    fn open_by(
        &self,
        open: impl Fn(Unlock) -> Result<Vault, OpenError>,
    ) -> Result<(Vault, Unlocked), Failure> {
        self.require_vault()?;
        match agent::open_through(&self.vault, &open)? {
            Through::Opened(vault) => return Ok((vault, Unlocked::Agent)),
            Through::NoKey(None) => {}
            Through::NoKey(Some(e)) => warn(&format!("not using the agent: {e}")),
            Through::Replaced => note!(
                "otp: the vault was replaced by another since `otp unlock` (its key differs): locked the agent; asking for the passphrase"
            ),
        }
        let passphrase = self.passphrase()?;
        let vault = open(Unlock::Passphrase(&passphrase))?;
        Ok((vault, Unlocked::Passphrase(passphrase)))
    }

    /// Opens the vault to read it.
    pub fn open(&self) -> Result<(Vault, Unlocked), Failure> {
        self.open_by(|unlock| Vault::open_with(&self.vault, unlock, self.settings))
    }

    /// Opens the vault holding its writer's lock.
    pub fn open_for_update(&self) -> Result<Vault, Failure> {
        Ok(self.open_for_update_unlocked()?.0)
    }

    /// [`Context::open_for_update`], with what opened it (a passphrase to
    /// try on other copies, say).
    pub fn open_for_update_unlocked(&self) -> Result<(Vault, Unlocked), Failure> {
        self.open_by(|unlock| Vault::open_for_update_with(&self.vault, unlock, self.settings))
    }

    /// Opens the vault for update, or creates it (default KDF) if missing:
    /// the first `add` needs no separate `init`. True if it was created.
    pub fn open_or_create(&self) -> Result<(Vault, bool), Failure> {
        if !matches!(self.vault.try_exists(), Ok(false)) {
            return Ok((self.open_for_update()?, false));
        }
        let kdf = kdf_for_new_vault();
        let passphrase = self.new_passphrase(true, kdf)?;
        match Vault::create(&self.vault, &passphrase, kdf, self.settings) {
            Ok(vault) => {
                note!("otp: created the vault {}", self.vault.display());
                Ok((vault, true))
            }
            // Another otp created it first: use theirs.
            Err(CreateError::File(StoreError::Exists(_))) => Ok((self.open_for_update()?, false)),
            Err(e) => Err(e.into()),
        }
    }
}

impl Context {
    /// A new passphrase for a vault of KDF cost `kdf` (see
    /// [`Sources::new_passphrase`]), refused if one GPU would guess it
    /// within a year ([`strength`]) unless `--weak-passphrase`; one line
    /// says how long it would hold. Typed at a prompt, a weak one is asked
    /// again.
    pub fn new_passphrase(
        &self,
        reuse_current: bool,
        kdf: KdfParams,
    ) -> Result<Passphrase, Failure> {
        let mut attempt = 1;
        loop {
            let passphrase = self.sources.new_passphrase(reuse_current)?;
            match strength::check(&passphrase, kdf, self.weak_allowed) {
                Ok(strength) => {
                    report_strength(&strength, kdf);
                    return Ok(passphrase);
                }
                Err(weak) if self.sources.new_is_typed(reuse_current) && attempt < 3 => {
                    attempt += 1;
                    note!("otp: {weak}; try again ({attempt} of 3)");
                }
                Err(weak) => return Err(weak.into()),
            }
        }
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

/// The KDF cost of a new vault: the default, or less memory and more
/// passes on a machine where the default would take over a quarter of the
/// memory available ([`KdfParams::fitting`]), which is then said.
pub fn kdf_for_new_vault() -> KdfParams {
    let fitted = KdfParams::fitting(kdf::available_memory_kib());
    if fitted.reduced {
        let default = KdfParams::default();
        note!(
            "otp: {} MiB of memory is available; the default Argon2id cost ({} MiB) would take more than a quarter of it, so this vault uses {} MiB with {} passes (as much work in all as at least 64 MiB × 3)",
            fitted.available_kib / 1024,
            default.memory_kib / 1024,
            fitted.params.memory_kib / 1024,
            fitted.params.iterations
        );
    }
    fitted.params
}

/// The line that ends a command that created the vault.
pub fn suggest_recovery_key() {
    note!(
        "otp: if you ever forget the passphrase, a paper recovery key gets you back in: make one now with `otp recovery-key`"
    );
}

/// Says so when a save succeeded but could not keep the previous version
/// as an automatic backup.
pub fn report_saved(saved: Saved) {
    if let Err(e) = saved.backup {
        warn(&format!(
            "the change is saved, but the previous version could not be kept as an automatic backup: {e}"
        ));
    }
}

/// `$XDG_DATA_HOME/otpvault/vault.otpvault` on Linux.
fn default_vault_path() -> Result<PathBuf, InputError> {
    directories::ProjectDirs::from("", "", "otpvault")
        .map(|dirs| dirs.data_dir().join("vault.otpvault"))
        .ok_or(InputError::NoHome)
}
