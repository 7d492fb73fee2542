//! What a vault is and how it can be opened, read without opening it:
//! its format, its slots and when each was made, and the conflict copies
//! beside it. Nothing secret; `otp status` prints it.

use std::path::{Path, PathBuf};

use super::format::{self, Slot};
use super::{OpenError, Vault, conflicts, store};
use crate::crypto::kdf::KdfParams;
use crate::strength;

/// A vault as seen from outside.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The format it is written in.
    pub format: u16,
    /// True if the next change writes it in the current format.
    pub outdated: bool,
    /// Format 3's: the vault's id, when it was made, and the id of the data
    /// key that seals it ([`crate::keyring::key_id`]), which changes with
    /// every passphrase change. `None` before the first save in format 3.
    pub identity: Option<super::format::Identity>,
    pub slots: Vec<SlotSummary>,
    /// Copies a sync tool left beside it (`otp merge --conflicts`).
    pub conflict_copies: Vec<PathBuf>,
}

/// One way into the vault, without its key material.
#[derive(Debug, Clone, PartialEq)]
pub enum SlotSummary {
    Passphrase {
        /// When it was set (Unix seconds); unknown for slots written
        /// before otpvault recorded it.
        made: Option<i64>,
        kdf: KdfParams,
        /// What a guess of the passphrase costs a guesser: about this many
        /// a second on one GPU ([`strength::guesses_per_second`]).
        gpu_guesses_per_second: f64,
    },
    RecoveryKey {
        made: i64,
    },
    /// A slot of a newer otpvault, kept as it is.
    Unknown {
        kind: u8,
        bytes: usize,
    },
}

impl Layout {
    /// True if a recovery key opens the vault.
    pub fn has_recovery_key(&self) -> bool {
        self.slots
            .iter()
            .any(|s| matches!(s, SlotSummary::RecoveryKey { .. }))
    }
}

/// The layout of the vault at `path`, from its header (checked: magic,
/// version, checksum, structure) without unlocking it.
pub fn layout(path: &Path) -> Result<Layout, OpenError> {
    let path = store::resolve(path);
    let bytes = store::read(&path)?;
    let header = format::parse(&bytes)
        .map_err(|damage| OpenError::Damaged {
            path: path.to_path_buf(),
            damage,
        })?
        .header;
    Ok(Layout {
        format: header.version,
        outdated: header.version < format::VERSION,
        identity: header.identity,
        slots: header.slots.iter().map(summary).collect(),
        conflict_copies: conflicts::find(&path),
    })
}

fn summary(slot: &Slot) -> SlotSummary {
    match slot {
        Slot::Passphrase(p) => SlotSummary::Passphrase {
            made: p.created,
            kdf: p.kdf,
            gpu_guesses_per_second: strength::guesses_per_second(p.kdf),
        },
        Slot::Recovery(r) => SlotSummary::RecoveryKey { made: r.created },
        Slot::Recipient(r) => SlotSummary::RecoveryKey { made: r.created },
        Slot::Unknown { kind, body } => SlotSummary::Unknown {
            kind: *kind,
            bytes: body.len(),
        },
    }
}

impl Vault {
    /// True if a recovery key opens the vault.
    pub fn has_recovery_key(&self) -> bool {
        self.header
            .slots
            .iter()
            .any(|s| matches!(s, Slot::Recovery(_)))
    }
}
