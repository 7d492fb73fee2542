//! The vault file's bytes: header layout, parsing and writing.
//! docs/vault-format.md is the specification this module implements.
//!
//! Versions 1 and 2 share this layout; they differ in the payload's rules
//! (docs/vault-format.md). Every save writes version 2.
//!
//! ```text
//! file    = header payload checksum
//! header  = magic(8) version(u16) slot_count(u8) slot* payload_nonce(24)
//! slot    = type(u8) body_len(u16) body
//! body(1) = memory_kib(u32) iterations(u32) parallelism(u32) salt(32) nonce(24) wrapped_key(48)
//! payload = XChaCha20-Poly1305(vault key, payload_nonce, aad = header, JSON)
//! checksum = SHA-256(header payload)
//! ```
//! All integers are big-endian.

use sha2::{Digest, Sha256};

use super::error::Damage;
use crate::crypto::kdf::KdfParams;
use crate::crypto::{KEY_LEN, NONCE_LEN, TAG_LEN};

pub const MAGIC: &[u8; 8] = b"OTPVAULT";
/// The version every save writes.
pub const VERSION: u16 = 2;
/// The versions this otp reads.
pub const READS: [u16; 2] = [1, 2];
/// The version written into a passphrase slot's associated data, in every
/// file version: the slot's own layout has not changed since version 1, and
/// a file can move to a new version without its passphrase (a key held by
/// the agent, say) having to rewrap the key.
const SLOT_AAD_VERSION: u16 = 1;
pub const SLOT_PASSPHRASE: u8 = 1;
pub const SLOT_RECOVERY: u8 = 2;
pub const MAX_SLOTS: usize = 8;
pub const CHECKSUM_LEN: usize = 32;
/// A passphrase slot's Argon2id salt.
pub const SALT_LEN: usize = 32;
/// The vault key and its Poly1305 tag, as a slot holds it.
pub const WRAPPED_KEY_LEN: usize = KEY_LEN + TAG_LEN;
/// memory, iterations, parallelism, salt, nonce, wrapped key.
const PASSPHRASE_BODY_LEN: usize = 12 + SALT_LEN + NONCE_LEN + WRAPPED_KEY_LEN;
/// The same with the time the passphrase was set, before the wrapped key.
const PASSPHRASE_TIMED_BODY_LEN: usize = PASSPHRASE_BODY_LEN + 8;
/// created, salt, nonce, wrapped key.
const RECOVERY_BODY_LEN: usize = 8 + SALT_LEN + NONCE_LEN + WRAPPED_KEY_LEN;

/// One way to unlock the vault key: a passphrase, or the paper recovery
/// key. Slots of unknown types (from a newer otpvault) are kept byte for
/// byte and skipped on unlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Passphrase(PassphraseSlot),
    Recovery(RecoverySlot),
    Unknown { kind: u8, body: Vec<u8> },
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

/// The associated data that binds a slot's wrapped key to the slot's own
/// parameters and to the format: the magic, the slot format's version, and
/// everything in the slot before the key.
fn slot_aad(slot: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + slot.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SLOT_AAD_VERSION.to_be_bytes());
    out.extend_from_slice(&slot[..slot.len() - WRAPPED_KEY_LEN]);
    out
}

impl PassphraseSlot {
    /// See [`slot_aad`].
    pub fn aad(&self) -> Vec<u8> {
        let mut slot = Vec::with_capacity(3 + PASSPHRASE_TIMED_BODY_LEN);
        self.write(&mut slot);
        slot_aad(&slot)
    }

    fn write(&self, out: &mut Vec<u8>) {
        let len = match self.created {
            Some(_) => PASSPHRASE_TIMED_BODY_LEN,
            None => PASSPHRASE_BODY_LEN,
        };
        out.push(SLOT_PASSPHRASE);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&self.kdf.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.kdf.iterations.to_be_bytes());
        out.extend_from_slice(&self.kdf.parallelism.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce);
        if let Some(created) = self.created {
            out.extend_from_slice(&created.to_be_bytes());
        }
        out.extend_from_slice(&self.wrapped_key);
    }
}

impl RecoverySlot {
    /// See [`slot_aad`].
    pub fn aad(&self) -> Vec<u8> {
        let mut slot = Vec::with_capacity(3 + RECOVERY_BODY_LEN);
        self.write(&mut slot);
        slot_aad(&slot)
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(SLOT_RECOVERY);
        out.extend_from_slice(&(RECOVERY_BODY_LEN as u16).to_be_bytes());
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.wrapped_key);
    }
}

/// Everything before the payload; all of it is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The file's version: as read, until a save writes [`VERSION`].
    pub version: u16,
    pub slots: Vec<Slot>,
    pub payload_nonce: [u8; NONCE_LEN],
}

impl Header {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.push(self.slots.len() as u8);
        for slot in &self.slots {
            match slot {
                Slot::Passphrase(p) => p.write(&mut out),
                Slot::Recovery(r) => r.write(&mut out),
                Slot::Unknown { kind, body } => {
                    out.push(*kind);
                    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                    out.extend_from_slice(body);
                }
            }
        }
        out.extend_from_slice(&self.payload_nonce);
        out
    }

    /// The first passphrase slot: the one readers try.
    pub fn passphrase_slot(&self) -> Option<&PassphraseSlot> {
        self.slots.iter().find_map(|s| match s {
            Slot::Passphrase(p) => Some(p),
            Slot::Recovery(_) | Slot::Unknown { .. } => None,
        })
    }

    pub fn passphrase_slot_mut(&mut self) -> Option<&mut PassphraseSlot> {
        self.slots.iter_mut().find_map(|s| match s {
            Slot::Passphrase(p) => Some(p),
            Slot::Recovery(_) | Slot::Unknown { .. } => None,
        })
    }

    /// The recovery slot, if the vault has a recovery key.
    pub fn recovery_slot(&self) -> Option<&RecoverySlot> {
        self.slots.iter().find_map(|s| match s {
            Slot::Recovery(r) => Some(r),
            Slot::Passphrase(_) | Slot::Unknown { .. } => None,
        })
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
    let count = usize::from(r.u8()?);
    if count == 0 || count > MAX_SLOTS {
        return Err(Damage::Malformed("slot count"));
    }
    let mut slots = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = r.u8()?;
        let len = usize::from(r.u16()?);
        let mut body = Reader {
            buf: r.take(len)?,
            pos: 0,
        };
        slots.push(match kind {
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
                        Some(i64::from_be_bytes(body.array()?))
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
                    created: i64::from_be_bytes(body.array()?),
                    salt: body.array()?,
                    nonce: body.array()?,
                    wrapped_key: body.array()?,
                })
            }
            kind => Slot::Unknown {
                kind,
                body: body.buf.to_vec(),
            },
        });
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
            slots,
            payload_nonce,
        },
        header_bytes: &body[..header_len],
        ciphertext,
    })
}

/// A cursor that reports running off the end as truncation, never panics.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Damage> {
        let end = self.pos.checked_add(n).ok_or(Damage::Truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or(Damage::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Damage> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, Damage> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, Damage> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, Damage> {
        Ok(u32::from_be_bytes(self.array()?))
    }
}
