//! Where a command's operation runs: in the vault's agent when one holds
//! the key (no passphrase is asked, and the key stays there), else here,
//! on the vault opened through [`crate::unlock`]. The agent's client is
//! asked here and not in `unlock`, which the agent's server itself uses
//! to open a vault.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::agent::{self, AgentError, Answer, Request};
use crate::error::{ErrorKind, Kinded};
use crate::session::{self, Failed, Op, Outcome};
use crate::unlock::{Ask, By, Opened, Sources, UnlockError, open_file, prompt_for};
use crate::vault::{Access, Saved, Settings, Unlock, Vault, conflicts};

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

/// The front end a command runs for: it answers what [`Ask`] asks, and is
/// told how the vault is being opened ([`Note`]), as it happens. The
/// agent's server is no front end: it only asks (and has no one to ask).
pub trait Front: Ask {
    /// Something about how the vault is being opened, said before any
    /// prompt it leads to.
    fn noted(&mut self, note: &Note) {
        self.tell(&note.to_string());
    }
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
    ask: &mut dyn Front,
) -> Result<Opened, UnlockError> {
    note_conflicts(path, ask);
    open_file(path, access, settings, sources, ask)
}

fn note_conflicts(path: &Path, ask: &mut dyn Front) {
    let copies = conflicts::find(path);
    if !copies.is_empty() {
        ask.noted(&Note::ConflictCopies(copies));
    }
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
    ask: &mut dyn Front,
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
            agent::Garbled::Unexpected,
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
    let Opened { mut vault, by } = open_file(&target, op.access(), settings, sources, ask)?;
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
        ask: &mut dyn Front,
    ) -> Result<Session, UnlockError> {
        note_conflicts(path, ask);
        match agent::call(path, &Request::Status) {
            Ok(Some(Answer::Status(_))) => return Ok(Session::Agent(path.to_path_buf())),
            Ok(_) => {}
            Err(e) => ask.noted(&Note::AgentUnusable(e)),
        }
        let Opened { vault, by } = open_file(path, Access::Read, settings, sources, ask)?;
        Ok(Session::Local {
            vault: Box::new(vault),
            by,
        })
    }

    /// Runs `op`; nothing is asked (a view has the terminal).
    pub fn run(&mut self, op: Op, ask: &mut dyn Front) -> Result<Outcome, RunError> {
        match self {
            Session::Agent(path) => match agent_only(path, op) {
                Ok(outcome) => Ok(outcome),
                Err(AgentOnlyError::Failed(failed)) => Err(failed.into()),
                Err(AgentOnlyError::Locked) => Err(Failed {
                    kind: ErrorKind::Environment,
                    message: "the agent has locked the vault: run the command again to unlock it"
                        .into(),
                }
                .into()),
                Err(AgentOnlyError::Unusable(e)) => Err(Failed::of(&e).into()),
            },
            Session::Local { vault, by } => Ok(session::apply(vault, op, by, ask)?),
        }
    }
}

/// Why an operation asked of the agent alone was not done.
#[derive(Debug, Error)]
pub enum AgentOnlyError {
    #[error("the vault is locked: run `otp unlock`")]
    Locked,
    #[error("the agent could not be used: {0}")]
    Unusable(AgentError),
    #[error(transparent)]
    Failed(Failed),
}

/// Runs `op` in the agent of the vault at `path`, and nowhere else: for a
/// front end that must never prompt (the browser's host, a live view). No
/// agent, or one whose key no longer opens the vault, is
/// [`AgentOnlyError::Locked`].
pub fn agent_only(path: &Path, op: Op) -> Result<Outcome, AgentOnlyError> {
    let request = Request::Run {
        op: Box::new(op.absolute()),
    };
    match agent::call(path, &request) {
        Ok(Some(Answer::Done { outcome })) => Ok(*outcome),
        Ok(Some(Answer::Failed { failed })) => Err(AgentOnlyError::Failed(failed)),
        Ok(None | Some(Answer::Stale)) => Err(AgentOnlyError::Locked),
        Ok(Some(_)) => Err(AgentOnlyError::Unusable(AgentError::Protocol(
            agent::Garbled::Unexpected,
        ))),
        Err(e) => Err(AgentOnlyError::Unusable(e)),
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

/// Tells the agent of `vault`, if one runs, to forget its key: after a
/// passphrase change or a merge that took another copy's, the key it
/// holds no longer seals the vault. True if an agent was told.
pub fn lock_stale_agent(vault: &Path) -> bool {
    matches!(agent::call(vault, &Request::Lock), Ok(Some(Answer::Locked)))
}

/// A backup put back in place of the vault.
pub struct Restored {
    pub vault: Vault,
    pub saved: Saved,
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
    ask: &mut dyn Front,
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
