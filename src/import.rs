//! Reading other apps' exports into the vault: which format a file is, the
//! accounts in it, and merging them without duplicates.
//!
//! Everything is read and checked before the vault changes, so an import
//! adds all of a file's new accounts or none.

use std::str::FromStr;

use thiserror::Error;

use crate::entries::EntryError;
use crate::entry::Account;
use crate::formats::{FormatError, Json, aegis, google, proton, twofas};
use crate::qr::{self, QrError};
use crate::secret::Passphrase;
use crate::uri::{self, UriError};
use crate::vault::Vault;

/// The formats `otp import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Decide from the content.
    Auto,
    /// `otpauth://` URIs, one a line (Aegis, ente Auth and others export these).
    Uri,
    /// Google Authenticator `otpauth-migration://` lines, or its QR screenshots.
    Google,
    /// An Aegis vault export, plain or encrypted.
    Aegis,
    /// A 2FAS backup, plain or encrypted.
    TwoFas,
    /// A Proton Authenticator export, plain or encrypted.
    Proton,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Format::Auto),
            "uri" => Ok(Format::Uri),
            "google" => Ok(Format::Google),
            "aegis" => Ok(Format::Aegis),
            "2fas" => Ok(Format::TwoFas),
            "proton" => Ok(Format::Proton),
            _ => Err(format!(
                "unknown format {s:?}: use auto, uri, google, aegis, 2fas or proton"
            )),
        }
    }
}

/// Why a file could not be imported. Nothing was changed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is empty: export the accounts again")]
    Empty,
    #[error(
        "no accounts found: the file is not an export otpvault reads (otpauth:// URIs, Google Authenticator, Aegis, 2FAS or Proton Authenticator)"
    )]
    NotAnExport,
    #[error("line {line}: {source}")]
    Uri { line: usize, source: UriError },
    #[error("line {line}: {source}")]
    Migration { line: usize, source: FormatError },
    #[error("line {line} is not an otpauth:// or otpauth-migration:// URI")]
    NotAUri { line: usize },
    #[error("the file is not in the {0} format: check the file, or use --format auto")]
    WrongFormat(&'static str),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error("the image holds {0} accounts: use `otp import` on it to add them all")]
    SeveralAccounts(usize),
}

/// What a first look at an export found: its accounts, or a file that
/// needs its password before it can give them.
pub enum Opened {
    Accounts(Vec<Account>),
    Encrypted(Encrypted),
}

/// An encrypted export, parsed once and waiting for its password.
pub struct Encrypted {
    format: Format,
    json: Json,
}

impl Encrypted {
    /// The app that wrote it, for the password prompt.
    pub fn app(&self) -> &'static str {
        format_name(self.format)
    }

    /// The accounts, once `password` opens the file.
    pub fn decrypt(self, password: &Passphrase) -> Result<Vec<Account>, ImportError> {
        let accounts = match self.format {
            Format::Aegis => aegis::decrypt(&self.json, password)?,
            Format::TwoFas => twofas::decrypt(&self.json, password)?,
            Format::Proton => proton::decrypt(&self.json, password)?,
            Format::Auto | Format::Uri | Format::Google => {
                return Err(ImportError::NotAnExport);
            }
        };
        nonempty(accounts)
    }
}

/// Reads an export file: the format is decided from one parse of the
/// bytes (or named by `format`), and the accounts come from that parse.
/// Nothing is asked for: an encrypted file comes back as
/// [`Opened::Encrypted`], for the caller to get its password.
pub fn open(bytes: &[u8], format: Format) -> Result<Opened, ImportError> {
    // Windows editors and some exporters start text with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if qr::is_image(bytes) {
        if !matches!(format, Format::Auto | Format::Google | Format::Uri) {
            return Err(ImportError::WrongFormat(format_name(format)));
        }
        let texts = qr::decode(bytes)?;
        let texts: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        return read_lines(&texts, format).map(Opened::Accounts);
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'{') {
        let json = Json::parse(bytes).ok_or(ImportError::NotAnExport)?;
        return open_json(json, format);
    }
    if matches!(format, Format::Aegis | Format::TwoFas | Format::Proton) {
        return Err(ImportError::WrongFormat(format_name(format)));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotAnExport)?;
    let lines: Vec<&str> = text.lines().collect();
    read_lines(&lines, format).map(Opened::Accounts)
}

/// The one account a QR screenshot holds, for `otp add --qr`.
pub fn account_from_image(bytes: &[u8]) -> Result<Account, ImportError> {
    if !qr::is_image(bytes) {
        return Err(QrError::NotAnImage.into());
    }
    let Opened::Accounts(accounts) = open(bytes, Format::Auto)? else {
        return Err(ImportError::NotAnExport);
    };
    match <[Account; 1]>::try_from(accounts) {
        Ok([one]) => Ok(one),
        Err(many) => Err(ImportError::SeveralAccounts(many.len())),
    }
}

fn open_json(json: Json, format: Format) -> Result<Opened, ImportError> {
    let value = json.value();
    let found = match format {
        Format::Auto | Format::Aegis if aegis::detect(value) => Format::Aegis,
        Format::Auto | Format::TwoFas if twofas::detect(value) => Format::TwoFas,
        Format::Auto | Format::Proton if proton::detect(value) => Format::Proton,
        Format::Auto => return Err(ImportError::NotAnExport),
        other => return Err(ImportError::WrongFormat(format_name(other))),
    };
    let encrypted = match found {
        Format::Aegis => aegis::is_encrypted(value),
        Format::TwoFas => twofas::is_encrypted(value),
        _ => proton::is_encrypted(value),
    };
    if encrypted {
        return Ok(Opened::Encrypted(Encrypted {
            format: found,
            json,
        }));
    }
    let accounts = match found {
        Format::Aegis => aegis::parse(&json)?,
        Format::TwoFas => twofas::parse(&json)?,
        _ => proton::parse(&json)?,
    };
    nonempty(accounts).map(Opened::Accounts)
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Auto => "known",
        Format::Uri => "otpauth URI",
        Format::Google => "Google Authenticator",
        Format::Aegis => "Aegis",
        Format::TwoFas => "2FAS",
        Format::Proton => "Proton Authenticator",
    }
}

fn nonempty(accounts: Vec<Account>) -> Result<Vec<Account>, ImportError> {
    if accounts.is_empty() {
        Err(ImportError::NotAnExport)
    } else {
        Ok(accounts)
    }
}

/// What a line of a text export holds.
enum Line {
    Skip,
    Migration,
    Otpauth,
    Other,
}

fn classify(line: &str) -> Line {
    if line.is_empty() || line.starts_with('#') {
        return Line::Skip;
    }
    let head = line
        .get(..google::PREFIX.len())
        .unwrap_or(line)
        .to_ascii_lowercase();
    if head.starts_with(google::PREFIX) {
        Line::Migration
    } else if head.starts_with("otpauth://") {
        Line::Otpauth
    } else {
        Line::Other
    }
}

/// Lines of URIs (of a text file, or the texts of a picture's QR codes);
/// blank lines and `#` comments are skipped. A file without a single URI
/// line is some other app's format, not a list with a bad line.
fn read_lines(lines: &[&str], format: Format) -> Result<Vec<Account>, ImportError> {
    let lines: Vec<(usize, &str, Line)> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let line = line.trim();
            (i + 1, line, classify(line))
        })
        .collect();
    if lines
        .iter()
        .all(|(_, _, kind)| matches!(kind, Line::Skip | Line::Other))
    {
        return Err(ImportError::NotAnExport);
    }
    let mut accounts = Vec::new();
    for (n, line, kind) in lines {
        match kind {
            Line::Skip => {}
            Line::Migration if format != Format::Uri => accounts.extend(
                google::parse(line).map_err(|source| ImportError::Migration { line: n, source })?,
            ),
            Line::Otpauth if format != Format::Google => accounts
                .push(uri::parse(line).map_err(|source| ImportError::Uri { line: n, source })?),
            Line::Migration | Line::Otpauth => {
                return Err(ImportError::WrongFormat(format_name(format)));
            }
            Line::Other => return Err(ImportError::NotAUri { line: n }),
        }
    }
    nonempty(accounts)
}

/// What an import did, for the summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Names of the entries added.
    pub added: Vec<String>,
    /// (what the skipped account would have been called, the entry that
    /// already has its secret).
    pub skipped: Vec<(String, String)>,
    /// Names of the added entries whose issuer or account held control or
    /// text-direction characters, replaced with U+FFFD.
    pub cleaned: Vec<String>,
}

/// Adds `accounts` to `vault`, skipping any whose secret is already there
/// (or earlier in the same file), and naming the rest after their issuer,
/// made unique. Call [`Vault::save`] afterwards to keep them.
pub fn merge(vault: &mut Vault, accounts: Vec<Account>) -> Result<Report, EntryError> {
    let mut report = Report::default();
    for mut account in accounts {
        let cleaned = account.clean();
        let wanted = account.default_name();
        if let Some(existing) = vault
            .entries()
            .iter()
            .find(|e| e.secret == account.secret && e.otp.kind == account.params.kind)
        {
            report.skipped.push((wanted, existing.name.clone()));
            continue;
        }
        let name = unique_name(vault, &account, wanted);
        vault.add(account.into_entry(name.clone())?)?;
        if cleaned {
            report.cleaned.push(name.clone());
        }
        report.added.push(name);
    }
    Ok(report)
}

/// `Issuer`, else `Issuer (account)`, else `Issuer (account) 2`, 3, ...
fn unique_name(vault: &Vault, account: &Account, wanted: String) -> String {
    let taken = |name: &str| vault.entries().named(name).is_some();
    if !taken(&wanted) {
        return wanted;
    }
    let base = if account.account.is_empty() || wanted == account.account {
        wanted
    } else {
        format!("{wanted} ({})", account.account)
    };
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|name| !taken(name))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(text: &str) -> Result<Vec<Account>, ImportError> {
        match open(text.as_bytes(), Format::Auto)? {
            Opened::Accounts(accounts) => Ok(accounts),
            Opened::Encrypted(_) => panic!("not encrypted"),
        }
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
            ImportError::NotAUri { line: 2 }
        );
        assert_eq!(accounts("just text").unwrap_err(), ImportError::NotAnExport);
        assert_eq!(accounts("  \n").unwrap_err(), ImportError::Empty);
        assert_eq!(
            accounts(r#"{"some": "json"}"#).unwrap_err(),
            ImportError::NotAnExport
        );
        assert!(matches!(
            open(b"otpauth://totp/A?secret=JBSWY3DPEHPK3PXP", Format::Aegis),
            Err(ImportError::WrongFormat(_))
        ));
    }

    #[test]
    fn an_encrypted_file_waits_for_its_password() {
        let file = br#"{"schemaVersion": 4, "servicesEncrypted": "a:b:c"}"#;
        match open(file, Format::Auto) {
            Ok(Opened::Encrypted(e)) => assert_eq!(e.app(), "2FAS"),
            _ => panic!("expected an encrypted 2FAS file"),
        }
    }
}
