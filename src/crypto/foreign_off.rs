//! The stand-in for [`foreign`](super::foreign) in a build without the
//! encrypted-files feature: nothing of other apps' encryption is built,
//! and every call says so. `import::open` refuses encrypted files before
//! asking for a password, so these are reached only by a caller that did
//! not ask first.

use zeroize::Zeroizing;

use super::kdf::{ForeignKdfError, Pbkdf2Hash};
use super::{KEY_LEN, SealError, TAG_LEN};
use crate::error::NotBuilt;
use crate::secret::Passphrase;

/// True when other apps' encrypted files can be opened and written.
pub const BUILT: bool = false;

pub fn aes_gcm_open(
    _: &[u8],
    _: &[u8],
    _: &[u8],
    _: &[u8],
    _: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    None
}

pub fn aes_cbc_open(_: &[u8], _: &[u8], _: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    None
}

pub fn aes_gcm_seal(
    _: &[u8; KEY_LEN],
    _: &[u8; 12],
    _: Vec<u8>,
) -> Result<(Vec<u8>, [u8; TAG_LEN]), SealError> {
    Err(SealError)
}

pub fn scrypt(
    _: &Passphrase,
    _: &[u8],
    _: u64,
    _: u32,
    _: u32,
) -> Result<Zeroizing<[u8; KEY_LEN]>, ForeignKdfError> {
    Err(NotBuilt("encrypted-files").into())
}

pub fn pbkdf2(
    _: Pbkdf2Hash,
    _: &Passphrase,
    _: &[u8],
    _: u64,
) -> Result<Zeroizing<[u8; KEY_LEN]>, ForeignKdfError> {
    Err(NotBuilt("encrypted-files").into())
}
