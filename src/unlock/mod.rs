//! One way into a vault with its passphrase: from its sources (a file, a
//! command, the environment), else asking the person ([`Ask`], which the
//! front end supplies). Whether the agent runs the operation instead is
//! decided above, in [`crate::dispatch`]. The front end only prompts and
//! prints what it is told ([`Ask::noted`]).

mod command;
mod input;
pub mod sources;
mod warden;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use sources::{Ask, Need, PassphraseError, Sources};
pub use warden::serve as warden;

use crate::crypto::kdf::KdfParams;
use crate::error::{ErrorKind, Kinded};
use crate::secret::Passphrase;
use crate::strength::{self, Strength, TooWeak};
use crate::terminal::ShownPath;
use crate::vault::{
    Access, Copy, MergeError, Merged, OpenError, RestoreError, Settings, Unlock, Vault, conflicts,
};

/// How a vault was opened.
pub enum By {
    /// With the key an agent holds (`otp unlock`).
    Agent,
    /// With its passphrase, which the caller may need again (another copy
    /// sealed with it, say).
    Passphrase(Passphrase),
}

/// An open vault, and how it was opened.
pub struct Opened {
    pub vault: Vault,
    pub by: By,
}

/// Why the vault could not be opened.
#[derive(Debug, Error)]
pub enum UnlockError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    #[error(transparent)]
    Restore(#[from] RestoreError),
    #[error(transparent)]
    Merge(#[from] MergeError),
}

impl Kinded for UnlockError {
    fn kind(&self) -> ErrorKind {
        match self {
            UnlockError::Open(e) => e.kind(),
            UnlockError::Passphrase(e) => e.kind(),
            UnlockError::Restore(e) => e.kind(),
            UnlockError::Merge(e) => e.kind(),
        }
    }
}

/// Another copy of `vault` at `file` (a sync tool's conflict copy, a
/// backup, the other side of a git merge): opened with the vault's keys
/// (its own and those it was sealed with before), else with the
/// passphrase the vault was opened with, else with `OTP_MERGE_PASSPHRASE`
/// or asked. Another vault is refused by its header before anything is
/// asked (format 3), or once opened (older formats).
pub fn read_copy(
    vault: &Vault,
    by: &By,
    file: &Path,
    ask: &mut dyn Ask,
) -> Result<Copy, UnlockError> {
    match vault.read_copy(file) {
        Err(MergeError::Open(OpenError::OtherKey(_))) => {}
        other => return Ok(other?),
    }
    let read = |passphrase: &Passphrase| {
        Vault::open(
            file,
            Unlock::Passphrase(passphrase),
            Access::Read,
            Settings::default(),
        )
    };
    let other = match by {
        By::Passphrase(passphrase) => match read(passphrase) {
            Ok(other) => Some(other),
            Err(OpenError::WrongPassphrase(_)) => None,
            Err(e) => return Err(e.into()),
        },
        By::Agent => None,
    };
    let other = match other {
        Some(other) => other,
        None => {
            let prompt = format!(
                "Passphrase of the copy {} (its passphrase was changed on another device?): ",
                ShownPath(file)
            );
            let passphrase = sources::other_password(ask, "OTP_MERGE_PASSPHRASE", &prompt, false)?;
            read(&passphrase)?
        }
    };
    vault.check_same_vault(file, &other.identity())?;
    Ok(Copy::from(other))
}

/// What `otp merge --conflicts` did with each conflict copy.
#[derive(Debug, Default)]
pub struct Conflicts {
    /// What the merges changed, all copies together.
    pub merged: Merged,
    /// The copies merged: to be put away once the vault is saved
    /// ([`crate::vault::conflicts::put_away`]).
    pub taken: Vec<PathBuf>,
    /// The copies left where they are, each with why (one line, that says
    /// what to do).
    pub left: Vec<(PathBuf, String)>,
}

/// Merges the conflict copies beside `vault` one by one: one that is not
/// a regular file, too large, damaged, another vault's, sealed with a
/// passphrase not given, or too old (unless `accept_old`) is left where it
/// is with its reason, and the others are merged. Nothing is saved.
pub fn merge_conflicts(
    vault: &mut Vault,
    by: &By,
    accept_old: bool,
    ask: &mut dyn Ask,
) -> Conflicts {
    let mut out = Conflicts::default();
    for file in conflicts::find(vault.path()) {
        let merged = conflicts::check(&file)
            .map_err(|e| UnlockError::Open(e.into()))
            .and_then(|()| read_copy(vault, by, &file, ask))
            .and_then(|copy| Ok(vault.merge(&copy, accept_old)?));
        match merged {
            Ok(merged) => {
                out.merged.add(merged);
                out.taken.push(file);
            }
            Err(e) => out.left.push((file, e.to_string())),
        }
    }
    out
}

/// Merges the copies `files`, stopping at the first that cannot be
/// merged (nothing is saved then). Nothing is saved.
pub fn merge_files(
    vault: &mut Vault,
    by: &By,
    files: &[PathBuf],
    accept_old: bool,
    ask: &mut dyn Ask,
) -> Result<Merged, UnlockError> {
    let mut all = Merged::default();
    for file in files {
        let copy = read_copy(vault, by, file, ask)?;
        all.add(vault.merge(&copy, accept_old)?);
    }
    Ok(all)
}

/// Some conflict copies were left beside the vault (the others merged).
#[derive(Debug, Error)]
#[error(
    "{count} conflict cop{ies} could not be merged and {were} left beside the vault, each with why above; deal with {them} and run `otp merge --conflicts` again",
    count = .0,
    ies = if *.0 == 1 { "y" } else { "ies" },
    were = if *.0 == 1 { "was" } else { "were" },
    them = if *.0 == 1 { "it" } else { "them" }
)]
pub struct CopiesLeft(pub usize);

impl Kinded for CopiesLeft {
    fn kind(&self) -> ErrorKind {
        ErrorKind::CopiesLeft
    }
}

/// Why no new passphrase was had.
#[derive(Debug, Error)]
pub enum NewPassphraseError {
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    #[error(transparent)]
    TooWeak(#[from] TooWeak),
}

impl Kinded for NewPassphraseError {
    fn kind(&self) -> ErrorKind {
        match self {
            NewPassphraseError::Passphrase(e) => e.kind(),
            NewPassphraseError::TooWeak(e) => e.kind(),
        }
    }
}

/// A new passphrase for a vault of cost `kdf`, from `sources` or asked
/// ([`Sources::new_passphrase`]), with its strength: refused if one GPU
/// would guess it within a year ([`strength`]) unless `allow_weak`; asked
/// again, up to three times, when it was typed.
pub fn new_passphrase(
    sources: &Sources,
    ask: &mut dyn Ask,
    reuse_current: bool,
    kdf: KdfParams,
    allow_weak: bool,
) -> Result<(Passphrase, Strength), NewPassphraseError> {
    let mut attempt = 1;
    loop {
        let passphrase = sources.new_passphrase(ask, reuse_current)?;
        match strength::check(&passphrase, kdf, allow_weak) {
            Ok(strength) => return Ok((passphrase, strength)),
            Err(weak) if sources.new_is_asked(reuse_current) && attempt < sources::ATTEMPTS => {
                attempt += 1;
                ask.tell(&format!(
                    "{weak}; try again ({attempt} of {})",
                    sources::ATTEMPTS
                ));
            }
            Err(weak) => return Err(weak.into()),
        }
    }
}

/// The prompt for the passphrase of the vault (or copy) at `path`.
pub fn prompt_for(path: &Path) -> String {
    format!("Passphrase for {}: ", crate::terminal::ShownPath(path))
}

/// The vault file at `path` (the vault, or a copy of it: git's merge
/// driver gets the two sides as temporary files), opened with the
/// passphrase from `sources`, else asked, after checking that it exists.
pub fn open_file(
    path: &Path,
    access: Access,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Opened, UnlockError> {
    if matches!(path.try_exists(), Ok(false)) {
        return Err(OpenError::NotFound(path.to_path_buf()).into());
    }
    let passphrase = sources.current(ask, &prompt_for(path))?;
    let vault = Vault::open(path, Unlock::Passphrase(&passphrase), access, settings)?;
    Ok(Opened {
        vault,
        by: By::Passphrase(passphrase),
    })
}
