//! Authenticator Plus backups: a zip whose `Accounts.txt` (one otpauth URI
//! a line) is encrypted with the zip's traditional password protection
//! (ZipCrypto), under the password set when backing up.

use std::io::{Cursor, Read};

use zeroize::Zeroizing;

use super::error::{AccountProblem, FormatError, Problem};
use super::fields::{self, malformed};
use super::format::{Format, Found, Reader, Shape};
use crate::account::Account;
use crate::secret::Passphrase;
use crate::uri;

const MEMBER: &str = "Accounts.txt";
const APP: &str = "Authenticator Plus";

pub const FORMAT: Format = Format {
    name: "authenticator-plus",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Container,
        detect: |doc, _| match detect(doc.bytes()) {
            true => Found::Encrypted,
            false => Found::No,
        },
        read: |_, _| Err(FormatError::WrongPassword),
        decrypt: Some(|doc, password| decrypt(doc.bytes(), password)),
        default_password: None,
    }],
    writer: None,
};

/// Larger than any list of accounts: the member is refused beyond it (a
/// zip bomb must not fill memory).
const MAX_LEN: u64 = 16 * 1024 * 1024;

/// True if `bytes` are a zip holding `Accounts.txt`. Member names are not
/// encrypted, so no password is needed to tell.
pub fn detect(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        && zip::ZipArchive::new(Cursor::new(bytes))
            .is_ok_and(|archive| member_name(&archive).is_some())
}

/// The zip's `Accounts.txt`, wherever it is in the zip's folders.
fn member_name<R: std::io::Read + std::io::Seek>(archive: &zip::ZipArchive<R>) -> Option<String> {
    archive
        .file_names()
        .flatten()
        .find(|n| n.rsplit('/').next() == Some(MEMBER))
        .map(|n| n.into_owned())
}

/// The accounts, once `password` opens `Accounts.txt`.
pub fn decrypt(bytes: &[u8], password: &Passphrase) -> Result<Vec<Account>, FormatError> {
    let invalid = || malformed(APP, "zip archive", Problem::NotValid);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| invalid())?;
    let name = member_name(&archive).ok_or_else(invalid)?;
    let mut member = match archive.by_name_decrypt(&name, password.expose()) {
        Ok(member) => member,
        Err(zip::result::ZipError::InvalidPassword) => return Err(FormatError::WrongPassword),
        Err(_) => return Err(invalid()),
    };
    let mut text = Zeroizing::new(Vec::new());
    // A wrong password can pass the one-byte check and then fails to
    // inflate or its checksum: that is a wrong password too.
    (&mut member)
        .take(MAX_LEN + 1)
        .read_to_end(&mut text)
        .map_err(|_| FormatError::WrongPassword)?;
    if text.len() as u64 > MAX_LEN {
        return Err(malformed(APP, "Accounts.txt", Problem::NotValid));
    }
    let text = std::str::from_utf8(&text).map_err(|_| FormatError::WrongPassword)?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            uri::parse(line).map_err(|e| fields::entry_error(APP, "", "", AccountProblem::Uri(e)))
        })
        .collect()
}
