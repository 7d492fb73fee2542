//! The vault file's bytes: header layout, parsing and writing.
//! docs/vault-format.md is the specification this module implements.
//!
//! Versions 1 and 2 share one layout; version 3 adds the vault's identity
//! before the slots. The versions differ in the payload's rules too
//! (docs/vault-format.md). Every save writes version 3.
//!
//! ```text
//! file     = header payload checksum
//! header   = magic(8) version(u16) [identity] slot_count(u8) slot* payload_nonce(24)
//! identity = vault_id(16) created(i64) key_id(8) passphrase_changed(12) recovery_changed(12)  (version 3)
//! stamp    = ms(i64) counter(u32)
//! slot     = type(u8) body_len(u16) body                                           (see [`super::slot`])
//! payload  = XChaCha20-Poly1305(vault key, payload_nonce, aad = header, JSON)
//! checksum = SHA-256(header payload)
//! ```
//! All integers are big-endian.

use sha2::{Digest, Sha256};

use super::error::Damage;
pub use super::slot::{
    PassphraseSlot, RecipientSlot, RecoverySlot, SALT_LEN, SLOT_PASSPHRASE, SLOT_RECIPIENT,
    SLOT_RECOVERY, Slot, WRAPPED_KEY_LEN,
};
use crate::crypto::{NONCE_LEN, TAG_LEN};
use crate::stamp::Stamp;

pub use super::bytes::MAGIC;
use super::bytes::Reader;
/// The version every save writes.
pub const VERSION: u16 = 3;
/// The versions this otp reads.
pub const READS: [u16; 3] = [1, 2, 3];
/// The identity's length in a version-3 header.
pub const IDENTITY_LEN: usize = 16 + 8 + 8 + 2 * (8 + 4);
pub const MAX_SLOTS: usize = 8;
pub const CHECKSUM_LEN: usize = 32;

/// What a version-3 header says of the vault before its slots: all of
/// it readable without the key (so a merge can refuse another vault before
/// asking anything) and authenticated with the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// 128 random bits made by `otp init`; for a vault made before format
    /// 3, derived from its first data key ([`super::keys::legacy_vault_id`]).
    pub vault_id: [u8; 16],
    /// When the vault was made (Unix seconds).
    pub created: i64,
    /// Which data key seals the payload ([`crate::keyring::key_id`]).
    pub key_id: [u8; 8],
    /// When the passphrase was last set (`otp passwd`, `otp recover`): a
    /// merge keeps the later passphrase slot, and the data key it wraps.
    pub passphrase_changed: Stamp,
    /// When a recovery key was last made or removed: a merge keeps the
    /// later, wrapped again to the data key it keeps.
    pub recovery_changed: Stamp,
}

/// Everything before the payload; all of it is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The file's version: as read, until a save writes [`VERSION`].
    pub version: u16,
    /// Version 3's; `None` in a file of an older version until it is
    /// saved.
    pub identity: Option<Identity>,
    pub slots: Vec<Slot>,
    pub payload_nonce: [u8; NONCE_LEN],
}

impl Header {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.version.to_be_bytes());
        if let (true, Some(id)) = (self.version >= 3, &self.identity) {
            out.extend_from_slice(&id.vault_id);
            out.extend_from_slice(&id.created.to_be_bytes());
            out.extend_from_slice(&id.key_id);
            for stamp in [id.passphrase_changed, id.recovery_changed] {
                out.extend_from_slice(&stamp.0.to_be_bytes());
                out.extend_from_slice(&stamp.1.to_be_bytes());
            }
        }
        out.push(self.slots.len() as u8);
        for slot in &self.slots {
            slot.write(&mut out);
        }
        out.extend_from_slice(&self.payload_nonce);
        out
    }

    /// The first passphrase slot: the one readers try.
    pub fn passphrase_slot(&self) -> Option<&PassphraseSlot> {
        self.slots.iter().find_map(|s| match s {
            Slot::Passphrase(p) => Some(p),
            _ => None,
        })
    }

    /// The recovery slot, if the vault has a recovery key: of either kind.
    pub fn recovery_slot(&self) -> Option<&Slot> {
        self.slots.iter().find(|s| s.recovery_id().is_some())
    }
}

/// A whole file: header bytes, then payload, then checksum.
pub fn assemble(header: &Header, ciphertext: &[u8]) -> Vec<u8> {
    let mut out = header.to_bytes();
    out.extend_from_slice(ciphertext);
    let checksum = Sha256::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

/// The stored checksum of a file (its last bytes), or zeros if too short.
pub fn checksum_of(file: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut out = [0; CHECKSUM_LEN];
    if let Some(tail) = file
        .len()
        .checked_sub(CHECKSUM_LEN)
        .map(|start| &file[start..])
    {
        out.copy_from_slice(tail);
    }
    out
}

/// A parsed file: the header, its exact bytes (the payload's associated
/// data) and the payload ciphertext.
pub struct Parsed<'a> {
    pub header: Header,
    pub header_bytes: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// Parses a file. Checks, in order: magic, version, checksum, structure, so
/// that each kind of damage gets its own message. No KDF cost is checked
/// here; the caller bounds it before deriving.
pub fn parse(file: &[u8]) -> Result<Parsed<'_>, Damage> {
    if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
        return Err(Damage::NotAVault);
    }
    let mut r = Reader {
        buf: file,
        pos: MAGIC.len(),
    };
    let version = r.u16()?;
    if !READS.contains(&version) {
        return Err(Damage::UnsupportedVersion(version));
    }
    if file.len() < r.pos + CHECKSUM_LEN {
        return Err(Damage::Truncated);
    }
    let (body, checksum) = file.split_at(file.len() - CHECKSUM_LEN);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(Damage::ChecksumMismatch);
    }
    let mut r = Reader {
        buf: body,
        pos: r.pos,
    };
    let identity = if version >= 3 {
        Some(Identity {
            vault_id: r.array()?,
            created: r.i64()?,
            key_id: r.array()?,
            passphrase_changed: Stamp(r.i64()?, r.u32()?),
            recovery_changed: Stamp(r.i64()?, r.u32()?),
        })
    } else {
        None
    };
    let count = usize::from(r.u8()?);
    if count == 0 || count > MAX_SLOTS {
        return Err(Damage::Malformed("slot count"));
    }
    let mut slots = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = r.u8()?;
        let len = usize::from(r.u16()?);
        slots.push(Slot::parse(kind, r.take(len)?)?);
    }
    let payload_nonce = r.array()?;
    let header_len = r.pos;
    let ciphertext = &body[header_len..];
    if ciphertext.len() < TAG_LEN {
        return Err(Damage::Truncated);
    }
    Ok(Parsed {
        header: Header {
            version,
            identity,
            slots,
            payload_nonce,
        },
        header_bytes: &body[..header_len],
        ciphertext,
    })
}
