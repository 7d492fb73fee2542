//! What a command does to a vault, as one value ([`Op`]) with its answer
//! ([`Outcome`]), so that it runs the same way in this process, on a
//! vault opened with its passphrase, or in the agent, which holds the key
//! of an unlocked vault and never hands it out ([`crate::agent`]).
//!
//! The line between the two is the key custody rule: an operation may
//! bring secrets in (a new account's key) but no outcome carries one out.
//! Codes, names, issuers and sites come out; keys never do. Commands that
//! show secrets (`show`, `export`) or change how the vault opens (`passwd`,
//! `recovery-key`) are not operations: they always need the passphrase.

mod apply;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use apply::apply;

use crate::clipboard::Schedule;
use crate::clock::When;
use crate::entries::Edit;
use crate::entry::{Current, Entry, View};
use crate::error::{ErrorKind, Kinded};
use crate::import;
use crate::otp::Code;
use crate::vault::{Access, Merged};

/// One thing a command asks of a vault.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Every entry's code (an HOTP entry's is not shown: showing uses it).
    Codes {
        when: When,
    },
    /// The code of the entry `query` designates; an HOTP code is used up
    /// (its counter moved on and saved first). With `url`, only if the URL
    /// is at one of the entry's sites. With `copy_for`, also the codes that
    /// follow, for that many seconds of clipboard.
    Code {
        query: String,
        when: When,
        url: Option<Url>,
        copy_for: Option<u64>,
    },
    /// The codes of the entries whose sites `url` is at (https only), as
    /// [`Op::Codes`] gives them: what a browser's page may be told. Nothing
    /// about any other entry.
    SiteCodes {
        url: String,
        when: When,
    },
    /// The entries, as a list shows them.
    List,
    /// The name a new entry would have, if it may.
    CheckName {
        name: String,
    },
    /// A new entry, its secret included (it goes in, never out).
    Add {
        entry: Entry,
    },
    /// Accounts from another app's export.
    Import {
        accounts: import::Accounts,
    },
    Rename {
        old: String,
        new: String,
    },
    Remove {
        name: String,
    },
    Edit {
        name: String,
        edit: Edit,
    },
    /// Other copies merged in; with `conflicts`, the conflict copies beside
    /// the vault too, each one merged or left with why.
    Merge {
        files: Vec<PathBuf>,
        conflicts: bool,
        accept_old: bool,
    },
    /// git's merge driver: `theirs` merged into `ours`, written to `ours`.
    MergeDriver {
        ours: PathBuf,
        theirs: PathBuf,
    },
    /// An encrypted copy at `dest`, checked.
    Backup {
        dest: PathBuf,
        force: bool,
    },
}

/// A URL a code is asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Url {
    pub url: String,
    pub allow_http: bool,
}

impl Op {
    /// The operation with its paths made absolute against this process's
    /// folder: the agent runs elsewhere (in `/`).
    pub fn absolute(self) -> Op {
        let abs = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        match self {
            Op::Merge {
                files,
                conflicts,
                accept_old,
            } => Op::Merge {
                files: files.into_iter().map(abs).collect(),
                conflicts,
                accept_old,
            },
            Op::MergeDriver { ours, theirs } => Op::MergeDriver {
                ours: abs(ours),
                theirs: abs(theirs),
            },
            Op::Backup { dest, force } => Op::Backup {
                dest: abs(dest),
                force,
            },
            other => other,
        }
    }

    /// Whether the operation changes the vault (and so needs its lock).
    pub fn access(&self) -> Access {
        match self {
            Op::Codes { .. }
            | Op::SiteCodes { .. }
            | Op::List
            | Op::CheckName { .. }
            | Op::MergeDriver { .. } => Access::Read,
            // An import takes the lock only to write ([`apply`]): its
            // accounts are merged again if another writer saved meanwhile.
            Op::Backup { .. } | Op::Import { .. } => Access::Read,
            // An HOTP code is saved before it is shown; a TOTP code is
            // not, but the entry is not known before the vault is open.
            Op::Code { .. }
            | Op::Add { .. }
            | Op::Rename { .. }
            | Op::Remove { .. }
            | Op::Edit { .. }
            | Op::Merge { .. } => Access::Update,
        }
    }
}

/// An entry's code as a command shows it.
#[derive(Debug, Serialize, Deserialize)]
pub struct CodeOf {
    pub entry: View,
    /// `None` for an HOTP entry among all codes (showing it would use it).
    pub code: Option<Code>,
    /// For a time-based code: seconds left and, when few, the next code.
    pub current: Option<Current>,
}

/// What an operation did; never a secret.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Codes {
        time: u64,
        codes: Vec<CodeOf>,
    },
    Code {
        code: CodeOf,
        /// The codes to keep on the clipboard, for `copy_for`.
        schedule: Option<Schedule>,
        /// A failed automatic backup, when the save an HOTP code needs
        /// kept none.
        backup: Option<String>,
    },
    List {
        entries: Vec<View>,
    },
    Name {
        name: String,
    },
    Added {
        entry: View,
        /// The code to type into the site to finish its setup.
        current: Option<Current>,
        backup: Option<String>,
    },
    Imported {
        report: import::Report,
        backup: Option<String>,
    },
    Changed {
        entry: View,
        backup: Option<String>,
    },
    Removed {
        entry: View,
        backup: Option<String>,
    },
    Merged {
        merged: Merged,
        /// Conflict copies merged and moved: (where it was, where it is).
        taken: Vec<(PathBuf, PathBuf)>,
        /// Conflict copies left, each with why.
        left: Vec<(PathBuf, String)>,
        backup: Option<String>,
    },
    BackedUp {
        entries: usize,
    },
}

/// Why an operation failed, as the agent reports it: the kind (for the
/// exit code) and the one-line message of the library's own error.
#[derive(Debug, Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct Failed {
    pub kind: ErrorKind,
    pub message: String,
}

impl Failed {
    pub fn of(error: &dyn Kinded) -> Failed {
        Failed {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl Kinded for Failed {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}
