//! Reading other apps' exports into the vault: which format a file is, the
//! accounts in it, and merging them without duplicates.
//!
//! The format is decided from the content: every reader of every format
//! in [`formats::registry`] looks, in the order of their shapes (an image,
//! binary containers by their first bytes, SQLite by its tables, then
//! JSON and XML documents by their keys, CSV by its header, and text as
//! lines of URIs), and the first that knows the file reads it. Only
//! andOTP's old encrypted format has nothing to be known by: it must be
//! named (`--format andotp`).
//!
//! Everything is read and checked before the vault changes, so an import
//! adds all of a file's new accounts or none.

use crate::error::{ErrorKind, Kinded};
use std::collections::HashMap;
use std::str::FromStr;

use thiserror::Error;
use zeroize::Zeroizing;

use crate::account::Account;
use crate::entries::{Clash, EntryError, Index};
use crate::formats::FormatError;
use crate::formats::format::{Asked, Document, Format, Found, Reader, Shape};
use crate::formats::registry;
use crate::names::{self, Field};
use crate::qr::QrError;
use crate::secret::Passphrase;
use crate::vault::Vault;

/// The format `--format` asks for: recognised from the content, or named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Auto,
    Named(&'static Format),
}

impl Wanted {
    fn asked(self) -> Asked {
        match self {
            Wanted::Auto => Asked::Auto,
            Wanted::Named(_) => Asked::Named,
        }
    }

    /// True if a reader of `format` may read the file.
    fn allows(self, format: &Format) -> bool {
        match self {
            Wanted::Auto => true,
            Wanted::Named(named) => named == format,
        }
    }
}

impl FromStr for Wanted {
    type Err = String;
    fn from_str(s: &str) -> Result<Wanted, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Wanted::Auto);
        }
        registry::named(s).map(Wanted::Named).ok_or_else(|| {
            format!(
                "unknown format: use auto or one of {}",
                registry::names().join(", ")
            )
        })
    }
}

/// The names `--format` takes: `auto`, then every format's.
pub fn format_names() -> Vec<&'static str> {
    std::iter::once("auto").chain(registry::names()).collect()
}

/// Why a file could not be imported. Nothing was changed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is empty: export the accounts again")]
    Empty,
    #[error(
        "no accounts found: the file is not an export otpvault recognises; if it is one of the formats `otp import --help` lists, name it with --format (an old andOTP backup can only be named)"
    )]
    NotAnExport,
    #[error("the file is not in the {0} format: check the file, or use --format auto")]
    WrongFormat(&'static str),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error("the image holds {0} accounts: use `otp import` on it to add them all")]
    SeveralAccounts(usize),
    #[error(
        "the file is larger than any export ({} MiB at most): check that it is the export, or split it",
        MAX_FILE / (1024 * 1024)
    )]
    TooLarge,
}

/// The largest export or screenshot read: far more than any app writes
/// (a 10,000-account export is a few MiB), and a bound on what a parser is
/// ever handed. Callers read no more than this and one byte.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// What a first look at an export found: its accounts, or a file that
/// needs its password before it can give them.
pub enum Opened<'a> {
    Accounts(Accounts),
    Encrypted(Box<Encrypted<'a>>),
}

/// The accounts of an export, in its order.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Accounts {
    pub list: Vec<Account>,
    /// The file is lines of text (URIs, CSV) whose last line has no line
    /// end: a copy cut short ends so, and its last account may have lost
    /// part of its secret or parameters (an 8-digit, 60 s entry read as 6
    /// digits and 30 s), which no parser can tell.
    #[serde(default)]
    pub last_unended: bool,
}

impl Accounts {
    fn whole(list: Vec<Account>) -> Accounts {
        Accounts {
            list,
            last_unended: false,
        }
    }
}

/// True if `bytes`, lines of text, end in a line without its line end
/// that holds `last`'s secret (in base32, as URIs and CSV exports write
/// it): that line is where `last` came from. A last line with no account
/// (a CSV login without a code) says nothing about the accounts.
fn last_line_unended(bytes: &[u8], last: Option<&Account>) -> bool {
    let line = bytes.rsplit(|&b| b == b'\n').next().unwrap_or_default();
    let Some(last) = last else {
        return false;
    };
    // Upper case, without the spaces, hyphens and padding a key may carry.
    let line: Zeroizing<Vec<u8>> = Zeroizing::new(
        line.iter()
            .filter(|b| !matches!(b, b' ' | b'-' | b'='))
            .map(u8::to_ascii_uppercase)
            .collect(),
    );
    let secret = crate::key::to_base32(&last.secret);
    !secret.is_empty() && line.windows(secret.len()).any(|w| w == secret.as_bytes())
}

/// An encrypted export, parsed once and waiting for its password.
pub struct Encrypted<'a> {
    format: &'static Format,
    reader: &'static Reader,
    document: Document<'a>,
}

impl Encrypted<'_> {
    /// The app that wrote it, for the password prompt.
    pub fn app(&self) -> &'static str {
        self.format.app
    }

    /// The accounts, once `password` opens the file.
    pub fn decrypt(self, password: &Passphrase) -> Result<Accounts, ImportError> {
        let decrypt = self.reader.decrypt.ok_or(ImportError::NotAnExport)?;
        nonempty(decrypt(&self.document, password)?).map(Accounts::whole)
    }
}

/// Reads an export file: its format is recognised from one parse of the
/// bytes (or named by `wanted`), and its accounts come from that parse.
/// Nothing is asked for: an encrypted file comes back as
/// [`Opened::Encrypted`], for the caller to get its password.
pub fn open(bytes: &[u8], wanted: Wanted) -> Result<Opened<'_>, ImportError> {
    if bytes.len() as u64 > MAX_FILE {
        return Err(ImportError::TooLarge);
    }
    let document = document(bytes)?;
    let asked = wanted.asked();
    for (format, reader) in registry::readers() {
        if !wanted.allows(format) {
            continue;
        }
        match (reader.detect)(&document, asked) {
            Found::No => {}
            Found::Plain => {
                let list = nonempty((reader.read)(&document, asked)?)?;
                let lines = matches!(reader.shape, Shape::Lines | Shape::Csv | Shape::Text);
                let last_unended = lines && last_line_unended(bytes, list.last());
                return Ok(Opened::Accounts(Accounts { list, last_unended }));
            }
            Found::Encrypted if !crate::crypto::foreign::BUILT => {
                return Err(FormatError::from(crate::error::NotBuilt("encrypted-files")).into());
            }
            Found::Encrypted => {
                if let Some(password) = reader.default_password {
                    let decrypt = reader.decrypt.ok_or(ImportError::NotAnExport)?;
                    let password = Passphrase::from(password.to_string());
                    if let Ok(accounts) = decrypt(&document, &password) {
                        return nonempty(accounts).map(|a| Opened::Accounts(Accounts::whole(a)));
                    }
                }
                return Ok(Opened::Encrypted(Box::new(Encrypted {
                    format,
                    reader,
                    document,
                })));
            }
        }
    }
    if let Some(feature) = left_out(&document) {
        return Err(FormatError::from(crate::error::NotBuilt(feature)).into());
    }
    Err(match wanted {
        Wanted::Named(format) => ImportError::WrongFormat(format.app),
        Wanted::Auto => ImportError::NotAnExport,
    })
}

/// The feature this build leaves out that would read a file of this
/// shape: a SQLite database or a preferences file (phone-db), a zip
/// (archives).
fn left_out(document: &Document) -> Option<&'static str> {
    let bytes = document.bytes();
    let phone = bytes.starts_with(b"SQLite format 3\0")
        || document.text().is_some_and(|t| {
            t.trim_start().starts_with("<?xml") || t.trim_start().starts_with("<map")
        });
    if phone && !cfg!(feature = "phone-db") {
        return Some("phone-db");
    }
    if bytes.starts_with(b"PK\x03\x04") && !cfg!(feature = "archives") {
        return Some("archives");
    }
    None
}

/// The document of `bytes`: an image's QR codes are read first (so that
/// an image without one says so), and an empty file is refused.
fn document(bytes: &[u8]) -> Result<Document<'_>, ImportError> {
    let document = Document::new(bytes);
    if document.bytes().iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if crate::qr::is_image(bytes) {
        return Ok(Document::of_image(bytes, crate::qr::decode(bytes)?));
    }
    Ok(document)
}

/// The one account a QR screenshot holds, for `otp add --qr`.
pub fn account_from_image(bytes: &[u8]) -> Result<Account, ImportError> {
    if !crate::qr::is_image(bytes) {
        return Err(QrError::NotAnImage.into());
    }
    let Opened::Accounts(accounts) = open(bytes, Wanted::Auto)? else {
        return Err(ImportError::NotAnExport);
    };
    match <[Account; 1]>::try_from(accounts.list) {
        Ok([one]) => Ok(one),
        Err(many) => Err(ImportError::SeveralAccounts(many.len())),
    }
}

fn nonempty(accounts: Vec<Account>) -> Result<Vec<Account>, ImportError> {
    if accounts.is_empty() {
        Err(ImportError::NotAnExport)
    } else {
        Ok(accounts)
    }
}

/// What an import did, for the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// Names of the entries added.
    pub added: Vec<String>,
    /// (what the skipped account would have been called, the entry that
    /// already has its secret).
    pub skipped: Vec<(String, String)>,
    /// Names of the added entries whose issuer or account held hidden
    /// characters ([`crate::names::hidden`]), replaced with U+FFFD.
    pub cleaned: Vec<String>,
    /// Names of the added entries whose name, issuer or account was
    /// longer than it may be, and cut.
    pub cut: Vec<String>,
    /// (the name given, the entry whose name it looks like): added under
    /// a name that says so, `Amazon (look-alike 2)`.
    pub look_alikes: Vec<(String, String)>,
    /// Names of the added entries whose name mixes scripts.
    pub mixed_scripts: Vec<String>,
    /// The entry added from the account on a last line without its end ([`Accounts::last_unended`]):
    /// its code should be checked against the other app.
    #[serde(default)]
    pub may_be_cut: Option<String>,
}

/// Adds `accounts` to `vault`, skipping any whose secret is already there
/// (or earlier in the same file), and naming the rest after their issuer,
/// made unique and unlike any other name. Call [`Vault::save`] afterwards
/// to keep them. Linear in the entries and accounts.
pub fn merge(vault: &mut Vault, accounts: Accounts) -> Result<Report, EntryError> {
    let mut report = Report::default();
    let mut index = vault.entries().index();
    let mut numbers = HashMap::new();
    let mut new = Vec::with_capacity(accounts.list.len());
    let last = accounts.list.len().saturating_sub(1);
    for (i, mut account) in accounts.list.into_iter().enumerate() {
        let suspect = accounts.last_unended && i == last;
        let cleaned = account.clean();
        let given = names::imported(Field::Name, &account.default_name());
        let wanted = if given.text.is_empty() {
            "unnamed".to_string()
        } else {
            given.text
        };
        let key = account_key(&account);
        if let Some(existing) = index.holder(&key) {
            report.skipped.push((wanted, existing.to_string()));
            continue;
        }
        let name = unique_name(&index, &mut numbers, &account, &wanted, &mut report);
        if suspect {
            report.may_be_cut = Some(name.clone());
        }
        index.insert(&name, key);
        if cleaned.replaced || given.replaced {
            report.cleaned.push(name.clone());
        }
        if cleaned.cut || given.cut {
            report.cut.push(name.clone());
        }
        if names::is_mixed_script(&name) {
            report.mixed_scripts.push(name.clone());
        }
        new.push(account.into_entry(name.clone())?);
        report.added.push(name);
    }
    vault.add_all(new)?;
    Ok(report)
}

/// The account an entry made of `account` would hold.
fn account_key(account: &Account) -> String {
    crate::entry::account_key(account.params.kind, &account.secret)
}

/// `Issuer`, else `Issuer (account)`, else `Issuer (account) 2`, 3, ...;
/// a name that looks like another entry's is `Name (look-alike 2)`, 3, ....
/// `numbers` remembers the last number tried for each base, so that 4,000
/// accounts of one name take 4,000 steps, not 8 million.
fn unique_name(
    index: &Index,
    numbers: &mut HashMap<String, u64>,
    account: &Account,
    wanted: &str,
    report: &mut Report,
) -> String {
    let free = |name: &str| index.clash(name, None).is_none();
    if free(wanted) {
        return wanted.to_string();
    }
    let (base, suffix) = match index.clash(wanted, None) {
        Some(Clash::LookAlike(existing)) => {
            report.look_alikes.push((wanted.to_string(), existing));
            (format!("{wanted} (look-alike"), ")")
        }
        _ if account.account.is_empty() || wanted == account.account => (wanted.to_string(), ""),
        _ => {
            let with_account =
                names::imported(Field::Name, &format!("{wanted} ({})", account.account)).text;
            if free(&with_account) {
                return with_account;
            }
            (with_account, "")
        }
    };
    let n = numbers.entry(format!("{base}\0{suffix}")).or_insert(1);
    loop {
        *n += 1;
        // Cut so that the number always fits in a name.
        let end = format!(" {n}{suffix}");
        let room = names::MAX_NAME - end.chars().count();
        let name = format!(
            "{}{end}",
            base.chars().take(room).collect::<String>().trim_end()
        );
        if free(&name) {
            return name;
        }
    }
}

impl Kinded for ImportError {
    fn kind(&self) -> ErrorKind {
        match self {
            ImportError::Format(e) => e.kind(),
            ImportError::Qr(e) => e.kind(),
            ImportError::Empty
            | ImportError::NotAnExport
            | ImportError::WrongFormat(_)
            | ImportError::SeveralAccounts(_)
            | ImportError::TooLarge => ErrorKind::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_larger_than_any_export_is_not_parsed() {
        let mut big = b"otpauth://totp/A?secret=JBSWY3DPEHPK3PXP\n".to_vec();
        big.resize(MAX_FILE as usize + 1, b'\n');
        assert!(matches!(
            open(&big, Wanted::Auto),
            Err(ImportError::TooLarge)
        ));
        // Refused before any parse: the one line at its start is not read.
    }

    fn accounts(text: &str) -> Result<Vec<Account>, ImportError> {
        match open(text.as_bytes(), Wanted::Auto)? {
            Opened::Accounts(accounts) => Ok(accounts.list),
            Opened::Encrypted(_) => panic!("not encrypted"),
        }
    }

    #[test]
    fn a_text_export_whose_last_line_has_no_end_is_said_to_be() {
        let unended = |text: &str| match open(text.as_bytes(), Wanted::Auto).unwrap() {
            Opened::Accounts(accounts) => accounts.last_unended,
            Opened::Encrypted(_) => panic!("not encrypted"),
        };
        let uri = "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP";
        assert!(unended(uri));
        assert!(!unended(&format!("{uri}\n")));
        assert!(!unended(&format!("{uri}\r\n  ")));
        let csv = "folder,favorite,type,name,notes,fields,login_uri,login_username,login_password,login_totp\n\
                   ,,login,A,,,,me,pw,otpauth://totp/A?secret=JBSWY3DPEHPK3PXP";
        assert!(unended(csv));
        // A last login without a code: the accounts are whole.
        assert!(!unended(&format!("{csv}\n,,login,B,,,,you,pw,")));
        // A JSON document cut short does not parse; whole, it needs no end.
        let json =
            r#"{"encrypted":false,"items":[{"name":"A","login":{"totp":"JBSWY3DPEHPK3PXP"}}]}"#;
        assert!(!unended(json));
    }

    #[test]
    fn uri_lists_with_comments_blank_lines_and_a_byte_order_mark() {
        let list = "\u{feff}# exported\n\notpauth://totp/A:me?secret=JBSWY3DPEHPK3PXP\n  otpauth://hotp/B?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&counter=3  \n";
        let got = accounts(list).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].issuer.as_str(), got[1].params.counter), ("A", 3));
    }

    #[test]
    fn one_bad_line_fails_the_whole_file_and_other_files_are_named() {
        let list = "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP\nnot a uri\n";
        assert_eq!(
            accounts(list).unwrap_err(),
            ImportError::Format(FormatError::NotAUri { line: 2 })
        );
        assert_eq!(accounts("just text").unwrap_err(), ImportError::NotAnExport);
        assert_eq!(accounts("  \n").unwrap_err(), ImportError::Empty);
        assert_eq!(
            accounts(r#"{"some": "json"}"#).unwrap_err(),
            ImportError::NotAnExport
        );
        assert!(matches!(
            open(
                b"otpauth://totp/A?secret=JBSWY3DPEHPK3PXP",
                "aegis".parse().unwrap()
            ),
            Err(ImportError::WrongFormat(_))
        ));
    }

    #[test]
    #[cfg(feature = "encrypted-files")]
    fn an_encrypted_file_waits_for_its_password() {
        let file = br#"{"schemaVersion": 4, "servicesEncrypted": "a:b:c"}"#;
        match open(file, Wanted::Auto) {
            Ok(Opened::Encrypted(e)) => assert_eq!(e.app(), "2FAS"),
            _ => panic!("expected an encrypted 2FAS file"),
        }
    }
}
