//! What the header's parts share: the magic that opens the file (and
//! every slot's associated data), and a cursor over its bytes.

use super::error::Damage;

pub const MAGIC: &[u8; 8] = b"OTPVAULT";

/// A cursor that reports running off the end as truncation, never panics.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], Damage> {
        let end = self.pos.checked_add(n).ok_or(Damage::Truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or(Damage::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], Damage> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(super) fn u8(&mut self) -> Result<u8, Damage> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16, Damage> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32, Damage> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(super) fn i64(&mut self) -> Result<i64, Damage> {
        Ok(i64::from_be_bytes(self.array()?))
    }
}
