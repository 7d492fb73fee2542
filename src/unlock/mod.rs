//! One way into a vault: the agent, if it holds the key; else the
//! passphrase from its sources (a file, a command, the environment);
//! else asking the person ([`Ask`], which the front end supplies). Every
//! command, restore, merge and git's merge driver open the vault through
//! [`open`]; the front end only prompts and prints what it is told
//! ([`Ask::noted`]).

pub mod sources;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use sources::{Ask, Need, PassphraseError, Sources};

use crate::agent::{self, AgentError, Through};
use crate::crypto::kdf::KdfParams;
use crate::entries::Entries;
use crate::error::{ErrorKind, Kinded};
use crate::merge;
use crate::secret::Passphrase;
use crate::strength::{self, Strength, TooWeak};
use crate::vault::{Access, OpenError, RestoreError, Saved, Settings, Unlock, Vault, conflicts};

/// How a vault was opened.
pub enum By {
    /// With the key an agent holds (`otp unlock`).
    Agent,
    /// With its passphrase, which the caller may need again (another copy
    /// sealed with it, say).
    Passphrase(Passphrase),
}

/// Something the person should be told about how the vault was opened.
#[derive(Debug)]
pub enum Note {
    /// An agent is there but cannot be used; the passphrase was used.
    AgentUnusable(AgentError),
    /// The agent's key no longer opens the file (another vault is in its
    /// place): the agent was locked and the passphrase used.
    AgentLocked,
    /// A sync tool left conflict copies beside the vault: every command
    /// that opens it says so, except `merge`, which is what to run.
    ConflictCopies(Vec<PathBuf>),
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::AgentUnusable(e) => write!(f, "not using the agent: {e}"),
            Note::AgentLocked => f.write_str(
                "the vault was replaced by another since `otp unlock` (its key differs): locked the agent; asking for the passphrase",
            ),
            Note::ConflictCopies(copies) => {
                let names: Vec<String> = copies
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect();
                let one = copies.len() == 1;
                write!(
                    f,
                    "a sync tool left {} conflicting cop{} of the vault beside it ({}): run `otp merge --conflicts` to merge {}",
                    copies.len(),
                    if one { "y" } else { "ies" },
                    crate::terminal::Escaped(&names.join(", ")),
                    if one { "it" } else { "them" }
                )
            }
        }
    }
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
}

impl Kinded for UnlockError {
    fn kind(&self) -> ErrorKind {
        match self {
            UnlockError::Open(e) => e.kind(),
            UnlockError::Passphrase(e) => e.kind(),
            UnlockError::Restore(e) => e.kind(),
        }
    }
}

/// A backup put back in place of the vault.
pub struct Restored {
    pub vault: Vault,
    pub saved: Saved,
}

/// The entries of other copies of `vault` (a sync tool's conflict
/// copies, a backup, the other side of a git merge), merged. A copy opens
/// with the vault's key (copies of one vault share it), else with the
/// vault's passphrase when it was opened with one, else with
/// `OTP_MERGE_PASSPHRASE` or asked.
pub fn open_copies(
    vault: &Vault,
    by: &By,
    files: &[std::path::PathBuf],
    ask: &mut dyn Ask,
) -> Result<Entries, UnlockError> {
    let mut all = Entries::default();
    for file in files {
        let copy = match vault.open_copy(file) {
            Ok(copy) => copy,
            Err(OpenError::OtherKey(_)) => open_other(file, by, ask)?,
            Err(e) => return Err(e.into()),
        };
        all = merge::merge(&all, &copy);
    }
    Ok(all)
}

/// A copy sealed with another key, opened with a passphrase.
fn open_other(file: &Path, by: &By, ask: &mut dyn Ask) -> Result<Entries, UnlockError> {
    let read = |passphrase: &Passphrase| {
        Vault::open(
            file,
            Unlock::Passphrase(passphrase),
            Access::Read,
            Settings::default(),
        )
    };
    if let By::Passphrase(passphrase) = by {
        match read(passphrase) {
            Ok(other) => return Ok(other.entries().clone()),
            Err(OpenError::WrongPassphrase(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let passphrase =
        sources::other_password(ask, "OTP_MERGE_PASSPHRASE", &prompt_for(file), false)?;
    Ok(read(&passphrase)?.entries().clone())
}

/// Puts the copy `from` (a backup) in place of the vault at `vault` (see
/// [`Vault::restore`]). A copy of this vault opens with the key its agent
/// holds; any other with its passphrase, from `sources` or asked (the
/// prompt names the copy).
pub fn restore(
    vault: &Path,
    from: &Path,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Restored, UnlockError> {
    note_conflicts(vault, ask);
    if let Ok(Some(key)) = agent::key(vault) {
        match Vault::restore(vault, from, Unlock::Key(&key), settings) {
            Err(RestoreError::Source(OpenError::OtherKey(_))) => {}
            Ok((vault, saved)) => return Ok(Restored { vault, saved }),
            Err(e) => return Err(e.into()),
        }
    }
    let passphrase = sources.current(ask, &prompt_for(from))?;
    let (vault, saved) = Vault::restore(vault, from, Unlock::Passphrase(&passphrase), settings)?;
    Ok(Restored { vault, saved })
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
    format!(
        "Passphrase for {}: ",
        crate::terminal::Escaped(&path.display().to_string())
    )
}

/// Opens the vault at `path` for a command: through its agent when one
/// holds the key, else with the passphrase from `sources`, else asked. A
/// missing vault is said before anyone is asked anything, and conflict
/// copies beside it ([`Note::ConflictCopies`]) before the passphrase.
pub fn open(
    path: &Path,
    access: Access,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Opened, UnlockError> {
    note_conflicts(path, ask);
    open_file(path, path, access, settings, sources, ask)
}

/// [`open`] for `otp merge`, which merges the conflict copies rather than
/// being told about them.
pub fn open_to_merge(
    path: &Path,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Opened, UnlockError> {
    open_file(path, path, Access::Update, settings, sources, ask)
}

fn note_conflicts(path: &Path, ask: &mut dyn Ask) {
    let copies = conflicts::find(path);
    if !copies.is_empty() {
        ask.noted(&Note::ConflictCopies(copies));
    }
}

/// [`open`] for a file that is a copy of the vault at `vault` (git's
/// merge driver gets the two sides as temporary files): the agent of
/// `vault` is asked first.
pub fn open_file(
    vault: &Path,
    path: &Path,
    access: Access,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Opened, UnlockError> {
    if matches!(path.try_exists(), Ok(false)) {
        return Err(OpenError::NotFound(path.to_path_buf()).into());
    }
    match agent::open_through(vault, |unlock| Vault::open(path, unlock, access, settings))? {
        Through::Opened(vault) => {
            return Ok(Opened {
                vault,
                by: By::Agent,
            });
        }
        Through::NoKey(None) => {}
        Through::NoKey(Some(e)) => ask.noted(&Note::AgentUnusable(e)),
        Through::Replaced => ask.noted(&Note::AgentLocked),
    }
    let passphrase = sources.current(ask, &prompt_for(path))?;
    let vault = Vault::open(path, Unlock::Passphrase(&passphrase), access, settings)?;
    Ok(Opened {
        vault,
        by: By::Passphrase(passphrase),
    })
}
