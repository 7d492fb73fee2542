//! One way into a vault: its agent, if one holds the key (the command's
//! operation then runs there: [`run`]); else the passphrase from its
//! sources (a file, a command, the environment); else asking the person
//! ([`Ask`], which the front end supplies). The front end only prompts and
//! prints what it is told ([`Ask::noted`]).

pub mod sources;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use sources::{Ask, Need, PassphraseError, Sources};

use crate::agent::{self, AgentError, Answer, Request};
use crate::crypto::kdf::KdfParams;
use crate::error::{ErrorKind, Kinded};
use crate::secret::Passphrase;
use crate::session::{self, Failed, Op, Outcome};
use crate::strength::{self, Strength, TooWeak};
use crate::terminal::ShownPath;
use crate::vault::{
    Access, Copy, MergeError, Merged, OpenError, RestoreError, Saved, Settings, Unlock, Vault,
    conflicts,
};

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
    /// The agent's key no longer opens the vault (another was put in its
    /// place): it locked, and the passphrase is asked.
    AgentReplaced,
    /// The agent held a key that no longer seals the vault (a copy with
    /// another key was put in its place): it was locked.
    AgentStale,
    /// A sync tool left conflict copies beside the vault: every command
    /// that opens it says so, except `merge`, which is what to run.
    ConflictCopies(Vec<PathBuf>),
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::AgentUnusable(e) => write!(f, "not using the agent: {e}"),
            Note::AgentReplaced => f.write_str(
                "the vault was replaced since `otp unlock` (its key differs): the agent locked; asking for the passphrase",
            ),
            Note::AgentStale => f.write_str(
                "locked the agent, which held the key of the vault before: run `otp unlock` to unlock the restored vault",
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

/// A backup put back in place of the vault.
pub struct Restored {
    pub vault: Vault,
    pub saved: Saved,
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

/// Tells the agent of `vault`, if one runs, to forget its key: after a
/// passphrase change or a merge that took another copy's, the key it
/// holds no longer seals the vault. True if an agent was told.
pub fn lock_stale_agent(vault: &Path) -> bool {
    matches!(agent::call(vault, &Request::Lock), Ok(Some(Answer::Locked)))
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
    let before = crate::vault::layout::layout(vault)
        .ok()
        .and_then(|l| l.identity);
    let passphrase = sources.current(ask, &prompt_for(from))?;
    let (restored, saved) = Vault::restore(vault, from, Unlock::Passphrase(&passphrase), settings)?;
    // An agent holds the key of the vault that was replaced: if the copy
    // is sealed with another, it no longer opens anything.
    let same_key = before.is_some_and(|b| b.key_id == restored.identity().key_id);
    if !same_key && lock_stale_agent(vault) {
        ask.noted(&Note::AgentStale);
    }
    Ok(Restored {
        vault: restored,
        saved,
    })
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

fn note_conflicts(path: &Path, ask: &mut dyn Ask) {
    let copies = conflicts::find(path);
    if !copies.is_empty() {
        ask.noted(&Note::ConflictCopies(copies));
    }
}

/// [`open`] for a file that is a copy of the vault at `vault` (git's
/// merge driver gets the two sides as temporary files), with the
/// passphrase.
pub fn open_file(
    vault: &Path,
    path: &Path,
    access: Access,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Opened, UnlockError> {
    let _ = vault;
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

/// Runs a command's operation on the vault at `path`: in its agent when
/// one holds the key (no passphrase, and the key stays there), else here,
/// on the vault opened with its passphrase. Conflict copies beside the
/// vault are noted first, unless `op` is a merge. An agent that is there
/// but cannot be used (another user's socket, no answer in time) is noted
/// and passed over.
pub fn run(
    path: &Path,
    op: Op,
    settings: Settings,
    sources: &Sources,
    ask: &mut dyn Ask,
) -> Result<Outcome, RunError> {
    if !matches!(op, Op::Merge { .. } | Op::MergeDriver { .. }) {
        note_conflicts(path, ask);
    }
    let request = Request::Run {
        op: Box::new(op.absolute()),
    };
    match agent::call(path, &request) {
        Ok(Some(Answer::Done { outcome })) => return Ok(*outcome),
        Ok(Some(Answer::Failed { failed })) => return Err(failed.into()),
        Ok(Some(Answer::Stale)) => ask.noted(&Note::AgentReplaced),
        Ok(Some(_)) => ask.noted(&Note::AgentUnusable(AgentError::Protocol(
            agent::Garbled::NotJson,
        ))),
        Ok(None) => {}
        Err(e) => ask.noted(&Note::AgentUnusable(e)),
    }
    let Request::Run { op } = request else {
        return Err(Failed {
            kind: ErrorKind::Internal,
            message: "otp lost the operation it was asked: this is a bug in otp; please report it"
                .into(),
        }
        .into());
    };
    let op = *op;
    let target = match &op {
        Op::MergeDriver { ours, .. } => ours.clone(),
        _ => path.to_path_buf(),
    };
    let Opened { mut vault, by } = open_file(path, &target, op.access(), settings, sources, ask)?;
    Ok(session::apply(&mut vault, op, &by, ask)?)
}

/// A vault kept open for a view that lasts (`otp watch`): its agent, when
/// one holds the key, asked at each step; else the vault itself, opened
/// once with its passphrase.
pub enum Session {
    Agent(PathBuf),
    Local { vault: Box<Vault>, by: By },
}

impl Session {
    /// The vault at `path`, through its agent or with its passphrase.
    pub fn open(
        path: &Path,
        settings: Settings,
        sources: &Sources,
        ask: &mut dyn Ask,
    ) -> Result<Session, UnlockError> {
        note_conflicts(path, ask);
        match agent::call(path, &Request::Status) {
            Ok(Some(Answer::Status(_))) => return Ok(Session::Agent(path.to_path_buf())),
            Ok(_) => {}
            Err(e) => ask.noted(&Note::AgentUnusable(e)),
        }
        let Opened { vault, by } = open_file(path, path, Access::Read, settings, sources, ask)?;
        Ok(Session::Local {
            vault: Box::new(vault),
            by,
        })
    }

    /// Runs `op`; nothing is asked (a view has the terminal).
    pub fn run(&mut self, op: Op, ask: &mut dyn Ask) -> Result<Outcome, RunError> {
        match self {
            Session::Agent(path) => {
                let request = Request::Run {
                    op: Box::new(op.absolute()),
                };
                match agent::call(path, &request) {
                    Ok(Some(Answer::Done { outcome })) => Ok(*outcome),
                    Ok(Some(Answer::Failed { failed })) => Err(failed.into()),
                    Ok(_) => Err(Failed {
                        kind: ErrorKind::Environment,
                        message:
                            "the agent has locked the vault: run the command again to unlock it"
                                .into(),
                    }
                    .into()),
                    Err(e) => Err(Failed::of(&e).into()),
                }
            }
            Session::Local { vault, by } => Ok(session::apply(vault, op, by, ask)?),
        }
    }
}

/// Why a command's operation failed.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Unlock(#[from] UnlockError),
    #[error(transparent)]
    Failed(#[from] Failed),
}

impl Kinded for RunError {
    fn kind(&self) -> ErrorKind {
        match self {
            RunError::Unlock(e) => e.kind(),
            RunError::Failed(e) => e.kind(),
        }
    }
}
