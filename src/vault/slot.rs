//! The slots of a vault's header: each holds the data key, wrapped for one
//! way of unlocking. Their bytes and associated data; [`super::keys`]
//! wraps and unwraps.
//!
//! ```text
//! slot     = type(u8) body_len(u16) body
//! type 1   = memory_kib(u32) iterations(u32) parallelism(u32) salt(32) nonce(24) [created(i64)] wrapped_key(48)
//! type 2   = created(i64) salt(32) nonce(24) wrapped_key(48)                    (recovery key, HKDF; format 2)
//! type 3   = created(i64) recipient(32) ephemeral(32) nonce(24) wrapped_key(48) (recovery key, X25519; format 3)
//! ```

use super::bytes::{MAGIC, Reader};
use super::error::Damage;
use crate::crypto::kdf::KdfParams;
use crate::crypto::{KEY_LEN, NONCE_LEN, TAG_LEN};

/// The version written into a slot's associated data, in every file
/// version: the slots' own layout has not changed since version 1 (type 3
/// is new, not changed), and a file can move to a new version without its
/// passphrase (a key held by the agent, say) having to rewrap the key.
const SLOT_AAD_VERSION: u16 = 1;
pub const SLOT_PASSPHRASE: u8 = 1;
pub const SLOT_RECOVERY: u8 = 2;
pub const SLOT_RECIPIENT: u8 = 3;
/// A slot's salt.
pub const SALT_LEN: usize = 32;
/// The vault key and its Poly1305 tag, as a slot holds it.
pub const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;
/// memory, iterations, parallelism, salt, nonce, wrapped key.
const PASSPHRASE_BODY_LEN: usize = 12 + SALT_LEN + NONCE_LEN + WRAPPED_KEY_LEN;
/// The same with the time the passphrase was set, before the wrapped key.
const PASSPHRASE_TIMED_BODY_LEN: usize = PASSPHRASE_BODY_LEN + 8;
/// created, salt, nonce, wrapped key.
const RECOVERY_BODY_LEN: usize = 8 + SALT_LEN + NONCE_LEN + WRAPPED_KEY_LEN;
/// created, recipient, ephemeral share, nonce, wrapped key.
const RECIPIENT_BODY_LEN: usize = 8 + 32 + 32 + NONCE_LEN + WRAPPED_KEY_LEN;

/// One way to unlock the vault key: a passphrase, or the paper recovery
/// key. Slots of unknown types (from a newer otpvault) are kept byte for
/// byte and skipped on unlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Passphrase(PassphraseSlot),
    /// Format 2's recovery slot: cannot be wrapped again without the paper
    /// key, so a rotation of the data key drops it.
    Recovery(RecoverySlot),
    /// Format 3's recovery slot: the paper key as an X25519 recipient.
    Recipient(RecipientSlot),
    Unknown {
        kind: u8,
        body: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassphraseSlot {
    pub kdf: KdfParams,
    pub salt: [u8; SALT_LEN],
    pub nonce: [u8; NONCE_LEN],
    /// When the passphrase was set (Unix seconds); absent in slots written
    /// before otpvault recorded it.
    pub created: Option<i64>,
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// The vault key wrapped under a key derived (HKDF) from the recovery key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverySlot {
    /// When the recovery key was made (Unix seconds).
    pub created: i64,
    pub salt: [u8; SALT_LEN],
    pub nonce: [u8; NONCE_LEN],
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

/// The vault key wrapped to the recovery key's X25519 public key, as age
/// wraps a file key for a recipient: an ephemeral key pair, the shared
/// secret, HKDF ([`super::keys::wrap_to_recipient`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientSlot {
    /// When the recovery key was made (Unix seconds); a rewrap keeps it.
    pub created: i64,
    /// The recovery key's public key.
    pub recipient: [u8; 32],
    /// The ephemeral public key of this wrap.
    pub ephemeral: [u8; 32],
    pub nonce: [u8; NONCE_LEN],
    pub wrapped_key: [u8; WRAPPED_KEY_LEN],
}

impl Slot {
    /// Reads a slot of type `kind` from its body.
    pub(super) fn parse(kind: u8, bytes: &[u8]) -> Result<Slot, Damage> {
        let len = bytes.len();
        let mut body = Reader { buf: bytes, pos: 0 };
        Ok(match kind {
            SLOT_PASSPHRASE => {
                if len != PASSPHRASE_BODY_LEN && len != PASSPHRASE_TIMED_BODY_LEN {
                    return Err(Damage::Malformed("passphrase slot length"));
                }
                Slot::Passphrase(PassphraseSlot {
                    kdf: KdfParams {
                        memory_kib: body.u32()?,
                        iterations: body.u32()?,
                        parallelism: body.u32()?,
                    },
                    salt: body.array()?,
                    nonce: body.array()?,
                    created: if len == PASSPHRASE_TIMED_BODY_LEN {
                        Some(body.i64()?)
                    } else {
                        None
                    },
                    wrapped_key: body.array()?,
                })
            }
            SLOT_RECOVERY => {
                if len != RECOVERY_BODY_LEN {
                    return Err(Damage::Malformed("recovery slot length"));
                }
                Slot::Recovery(RecoverySlot {
                    created: body.i64()?,
                    salt: body.array()?,
                    nonce: body.array()?,
                    wrapped_key: body.array()?,
                })
            }
            SLOT_RECIPIENT => {
                if len != RECIPIENT_BODY_LEN {
                    return Err(Damage::Malformed("recovery slot length"));
                }
                Slot::Recipient(RecipientSlot {
                    created: body.i64()?,
                    recipient: body.array()?,
                    ephemeral: body.array()?,
                    nonce: body.array()?,
                    wrapped_key: body.array()?,
                })
            }
            kind => Slot::Unknown {
                kind,
                body: bytes.to_vec(),
            },
        })
    }

    /// Appends the slot's bytes, type and length first.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        let mut body = Vec::with_capacity(RECIPIENT_BODY_LEN);
        let kind = match self {
            Slot::Passphrase(p) => {
                body.extend_from_slice(&p.kdf.memory_kib.to_be_bytes());
                body.extend_from_slice(&p.kdf.iterations.to_be_bytes());
                body.extend_from_slice(&p.kdf.parallelism.to_be_bytes());
                body.extend_from_slice(&p.salt);
                body.extend_from_slice(&p.nonce);
                if let Some(created) = p.created {
                    body.extend_from_slice(&created.to_be_bytes());
                }
                body.extend_from_slice(&p.wrapped_key);
                SLOT_PASSPHRASE
            }
            Slot::Recovery(r) => {
                body.extend_from_slice(&r.created.to_be_bytes());
                body.extend_from_slice(&r.salt);
                body.extend_from_slice(&r.nonce);
                body.extend_from_slice(&r.wrapped_key);
                SLOT_RECOVERY
            }
            Slot::Recipient(r) => {
                body.extend_from_slice(&r.created.to_be_bytes());
                body.extend_from_slice(&r.recipient);
                body.extend_from_slice(&r.ephemeral);
                body.extend_from_slice(&r.nonce);
                body.extend_from_slice(&r.wrapped_key);
                SLOT_RECIPIENT
            }
            Slot::Unknown { kind, body: bytes } => {
                body.extend_from_slice(bytes);
                *kind
            }
        };
        out.push(kind);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(&body);
    }

    /// The associated data that binds a slot's wrapped key to the slot's
    /// own parameters and to the format: the magic, the slots' layout
    /// version, and everything in the slot before the key.
    pub fn aad(&self) -> Vec<u8> {
        let mut slot = Vec::with_capacity(3 + RECIPIENT_BODY_LEN);
        self.write(&mut slot);
        let mut out = Vec::with_capacity(10 + slot.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&SLOT_AAD_VERSION.to_be_bytes());
        out.extend_from_slice(&slot[..slot.len().saturating_sub(WRAPPED_KEY_LEN)]);
        out
    }

    /// The recovery key a recovery slot is for: `x25519:` and the hex of
    /// its public key (the same through every rewrap), or, for format 2's
    /// slot, `hkdf:` and the hex of its salt's first 8 bytes. What a
    /// revocation names ([`crate::keyring::Keyring::revoked`]).
    pub fn recovery_id(&self) -> Option<String> {
        let hex = |bytes: &[u8]| data_encoding::HEXLOWER.encode(bytes);
        match self {
            Slot::Recovery(r) => Some(format!("hkdf:{}", hex(&r.salt[..8]))),
            Slot::Recipient(r) => Some(format!("x25519:{}", hex(&r.recipient))),
            Slot::Passphrase(_) | Slot::Unknown { .. } => None,
        }
    }

    /// When the slot's passphrase or recovery key was made.
    pub fn created(&self) -> Option<i64> {
        match self {
            Slot::Passphrase(p) => p.created,
            Slot::Recovery(r) => Some(r.created),
            Slot::Recipient(r) => Some(r.created),
            Slot::Unknown { .. } => None,
        }
    }
}
