//! Reading other apps' exports into the vault: which format a file is, the
//! accounts in it, and merging them without duplicates.
//!
//! The format is decided from the content, in an order that keeps formats
//! apart: binary containers by their first bytes (a zip with
//! `Accounts.txt`, a Java serialization stream, Stratum's headers, SQLite
//! by its tables), then JSON and XML documents by their keys, CSV by its
//! header, and text as lines of URIs. Only andOTP's old encrypted format
//! has nothing to be known by: it must be named (`--format andotp`).
//!
//! Everything is read and checked before the vault changes, so an import
//! adds all of a file's new accounts or none.

use std::str::FromStr;

use thiserror::Error;
use zeroize::Zeroizing;

use std::collections::HashMap;

use crate::entries::{Clash, EntryError, Index};
use crate::entry::Account;
use crate::formats::prefs::Prefs;
use crate::formats::sqlite::Database;
use crate::formats::{
    FormatError, Json, aegis, andotp, authplus, authy, battlenet, bitwarden, duo, extract, freeotp,
    freeotp2, google, keepass, phone_db, proton, steam, stratum, totpauth, twofas,
};
use crate::names::{self, Field};
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
    /// Google Authenticator: `otpauth-migration://` lines, its QR
    /// screenshots, or its database.
    Google,
    /// An Aegis vault export, plain or encrypted.
    Aegis,
    /// A 2FAS backup, plain or encrypted.
    TwoFas,
    /// A Proton Authenticator export, plain or encrypted.
    Proton,
    AndOtp,
    Authy,
    AuthenticatorPlus,
    BattleNet,
    Bitwarden,
    Duo,
    Steam,
    /// FreeOTP's token store or FreeOTP 2's backup.
    FreeOtp,
    /// FreeOTP+'s JSON export or token store.
    FreeOtpPlus,
    /// Stratum, formerly Authenticator Pro.
    Stratum,
    TotpAuthenticator,
    Microsoft,
    KeePass,
    ExtractOtpSecrets,
}

/// Every format by its `--format` name (and aliases), with the app.
const NAMES: [(&str, Format, &str); 21] = [
    ("auto", Format::Auto, "known"),
    ("uri", Format::Uri, "otpauth URI"),
    ("google", Format::Google, "Google Authenticator"),
    ("aegis", Format::Aegis, "Aegis"),
    ("2fas", Format::TwoFas, "2FAS"),
    ("proton", Format::Proton, "Proton Authenticator"),
    ("andotp", Format::AndOtp, "andOTP"),
    ("authy", Format::Authy, "Authy"),
    (
        "authenticator-plus",
        Format::AuthenticatorPlus,
        "Authenticator Plus",
    ),
    ("battle-net", Format::BattleNet, "Battle.net Authenticator"),
    ("bitwarden", Format::Bitwarden, "Bitwarden"),
    ("duo", Format::Duo, "Duo Mobile"),
    ("steam", Format::Steam, "Steam"),
    ("freeotp", Format::FreeOtp, "FreeOTP"),
    ("freeotp-plus", Format::FreeOtpPlus, "FreeOTP+"),
    ("stratum", Format::Stratum, "Stratum (Authenticator Pro)"),
    (
        "authenticator-pro",
        Format::Stratum,
        "Stratum (Authenticator Pro)",
    ),
    (
        "totp-authenticator",
        Format::TotpAuthenticator,
        "TOTP Authenticator",
    ),
    ("microsoft", Format::Microsoft, "Microsoft Authenticator"),
    ("keepass", Format::KeePass, "KeePass CSV"),
    (
        "extract-otp-secrets",
        Format::ExtractOtpSecrets,
        "extract_otp_secrets",
    ),
];

/// The `--format` names, for help and errors.
pub fn format_names() -> Vec<&'static str> {
    NAMES.iter().map(|(name, _, _)| *name).collect()
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        let wanted = s.to_ascii_lowercase().replace('_', "-");
        NAMES
            .iter()
            .find(|(name, _, _)| *name == wanted)
            .map(|(_, format, _)| *format)
            .ok_or_else(|| format!("unknown format: use one of {}", format_names().join(", ")))
    }
}

fn format_name(format: Format) -> &'static str {
    NAMES
        .iter()
        .find(|(_, f, _)| *f == format)
        .map_or("known", |(_, _, app)| *app)
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
    document: Document,
}

/// An export as far as it could be read without its password.
enum Document {
    Json(Json),
    Prefs(Prefs),
    Text(Zeroizing<String>),
    Bytes(Zeroizing<Vec<u8>>),
}

impl Encrypted {
    /// The app that wrote it, for the password prompt.
    pub fn app(&self) -> &'static str {
        format_name(self.format)
    }

    /// The accounts, once `password` opens the file.
    pub fn decrypt(self, password: &Passphrase) -> Result<Vec<Account>, ImportError> {
        let accounts = match (self.format, &self.document) {
            (Format::Aegis, Document::Json(json)) => aegis::decrypt(json, password)?,
            (Format::TwoFas, Document::Json(json)) => twofas::decrypt(json, password)?,
            (Format::Proton, Document::Json(json)) => proton::decrypt(json, password)?,
            (Format::Authy, Document::Prefs(prefs)) => authy::decrypt(prefs, password)?,
            (Format::TotpAuthenticator, Document::Text(text)) => totpauth::decrypt(text, password)?,
            (Format::AndOtp, Document::Bytes(bytes)) => andotp::decrypt(bytes, password)?,
            (Format::AuthenticatorPlus, Document::Bytes(bytes)) => {
                authplus::decrypt(bytes, password)?
            }
            (Format::FreeOtp, Document::Bytes(bytes)) => freeotp2::decrypt(bytes, password)?,
            (Format::Stratum, Document::Bytes(bytes)) => stratum::decrypt(bytes, password)?,
            _ => return Err(ImportError::NotAnExport),
        };
        nonempty(accounts)
    }
}

/// `found` if the caller asked for it or for any format (`Auto`); FreeOTP
/// and FreeOTP+ share their token store, so either name reads it.
fn wanted(requested: Format, found: Format) -> Result<Format, ImportError> {
    let shared = matches!(
        (requested, found),
        (Format::FreeOtpPlus, Format::FreeOtp) | (Format::FreeOtp, Format::FreeOtpPlus)
    );
    if requested == Format::Auto || requested == found || shared {
        Ok(found)
    } else {
        Err(ImportError::WrongFormat(format_name(requested)))
    }
}

fn encrypted(format: Format, document: Document) -> Result<Opened, ImportError> {
    Ok(Opened::Encrypted(Encrypted { format, document }))
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
    let copy = || Document::Bytes(Zeroizing::new(bytes.to_vec()));
    if authplus::detect(bytes) {
        return encrypted(wanted(format, Format::AuthenticatorPlus)?, copy());
    }
    if freeotp2::detect(bytes) {
        return encrypted(wanted(format, Format::FreeOtp)?, copy());
    }
    if stratum::detect_encrypted(bytes) {
        return encrypted(wanted(format, Format::Stratum)?, copy());
    }
    if let Some(db) = Database::load(bytes) {
        return open_database(&db, format).map(Opened::Accounts);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        // Binary and nothing above: andOTP's encrypted backup, recognised
        // by its header, or its old format when named.
        return match format {
            Format::AndOtp => encrypted(Format::AndOtp, copy()),
            Format::Auto if andotp::looks_encrypted(bytes) => encrypted(Format::AndOtp, copy()),
            Format::Auto => Err(ImportError::NotAnExport),
            other => Err(ImportError::WrongFormat(format_name(other))),
        };
    };
    match text.trim_start().chars().next() {
        Some('{' | '[') => {
            let json = Json::parse(bytes).ok_or(ImportError::NotAnExport)?;
            open_json(json, format)
        }
        Some('<') => {
            let prefs = Prefs::parse(text).ok_or(ImportError::NotAnExport)?;
            open_prefs(prefs, format)
        }
        _ => open_text(text, format),
    }
}

fn open_database(db: &Database, format: Format) -> Result<Vec<Account>, ImportError> {
    let accounts = if stratum::detect_database(db) {
        wanted(format, Format::Stratum)?;
        stratum::parse_database(db)?
    } else if phone_db::detect_microsoft(db) {
        wanted(format, Format::Microsoft)?;
        phone_db::parse_microsoft(db)?
    } else if phone_db::detect_google(db) {
        wanted(format, Format::Google)?;
        phone_db::parse_google(db)?
    } else {
        return Err(ImportError::NotAnExport);
    };
    nonempty(accounts)
}

/// Whether a JSON document is a format's.
type Detector = fn(&serde_json::Value) -> bool;

fn open_json(json: Json, format: Format) -> Result<Opened, ImportError> {
    let value = json.value();
    let detectors: [(Format, Detector); 10] = [
        (Format::Aegis, aegis::detect),
        (Format::TwoFas, twofas::detect),
        (Format::Proton, proton::detect),
        (Format::Stratum, stratum::detect),
        (Format::Bitwarden, bitwarden::detect),
        (Format::Steam, steam::detect),
        (Format::FreeOtpPlus, freeotp::detect_plus),
        (Format::Duo, duo::detect),
        (Format::AndOtp, andotp::detect),
        (Format::ExtractOtpSecrets, extract::detect),
    ];
    let found = detectors
        .iter()
        .find(|(_, detect)| detect(value))
        .map(|(f, _)| *f)
        .ok_or(match format {
            Format::Auto => ImportError::NotAnExport,
            other => ImportError::WrongFormat(format_name(other)),
        })?;
    let found = wanted(format, found)?;
    let is_encrypted = match found {
        Format::Aegis => aegis::is_encrypted(value),
        Format::TwoFas => twofas::is_encrypted(value),
        Format::Proton => proton::is_encrypted(value),
        _ => false,
    };
    if is_encrypted {
        return encrypted(found, Document::Json(json));
    }
    let accounts = match found {
        Format::Aegis => aegis::parse(&json)?,
        Format::TwoFas => twofas::parse(&json)?,
        Format::Proton => proton::parse(&json)?,
        Format::Stratum => stratum::parse(&json)?,
        Format::Bitwarden => bitwarden::parse(&json)?,
        Format::Steam => steam::parse(&json)?,
        Format::FreeOtpPlus => freeotp::parse_plus(&json)?,
        Format::Duo => duo::parse(&json)?,
        Format::AndOtp => andotp::parse(&json)?,
        _ => extract::parse(&json)?,
    };
    nonempty(accounts).map(Opened::Accounts)
}

fn open_prefs(prefs: Prefs, format: Format) -> Result<Opened, ImportError> {
    let accounts = if authy::detect(&prefs) {
        wanted(format, Format::Authy)?;
        if authy::is_encrypted(&prefs) {
            return encrypted(Format::Authy, Document::Prefs(prefs));
        }
        authy::parse(&prefs)?
    } else if battlenet::detect(&prefs) {
        wanted(format, Format::BattleNet)?;
        battlenet::parse(&prefs)?
    } else if totpauth::detect_prefs(&prefs) {
        wanted(format, Format::TotpAuthenticator)?;
        totpauth::parse_prefs(&prefs)?
    } else if freeotp::detect_prefs(&prefs) {
        wanted(format, Format::FreeOtp)?;
        freeotp::parse_prefs(&prefs)?
    } else {
        return Err(ImportError::NotAnExport);
    };
    nonempty(accounts).map(Opened::Accounts)
}

/// Text that is not JSON or XML: a CSV with a known header, TOTP
/// Authenticator's base64 backup, or lines of URIs.
fn open_text(text: &str, format: Format) -> Result<Opened, ImportError> {
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .next()
        .and_then(Result::ok);
    if let Some(header) = header.filter(|h| h.len() > 1) {
        let table = if bitwarden::detect_csv(&header) {
            Some((Format::Bitwarden, bitwarden::parse_csv as fn(&str) -> _))
        } else if keepass::detect(&header) {
            Some((Format::KeePass, keepass::parse as fn(&str) -> _))
        } else if extract::detect_csv(&header) {
            Some((
                Format::ExtractOtpSecrets,
                extract::parse_csv as fn(&str) -> _,
            ))
        } else {
            None
        };
        if let Some((found, parse)) = table {
            wanted(format, found)?;
            return nonempty(parse(text)?).map(Opened::Accounts);
        }
    }
    if matches!(format, Format::Auto | Format::TotpAuthenticator)
        && totpauth::detect_encrypted(text)
    {
        // Without a password set, the app uses its own: try that first.
        let default = Passphrase::from(totpauth::DEFAULT_PASSWORD.to_string());
        return match totpauth::decrypt(text, &default) {
            Ok(accounts) => nonempty(accounts).map(Opened::Accounts),
            Err(_) => encrypted(
                Format::TotpAuthenticator,
                Document::Text(Zeroizing::new(text.to_string())),
            ),
        };
    }
    if !matches!(format, Format::Auto | Format::Uri | Format::Google) {
        return Err(ImportError::WrongFormat(format_name(format)));
    }
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
}

/// Adds `accounts` to `vault`, skipping any whose secret is already there
/// (or earlier in the same file), and naming the rest after their issuer,
/// made unique and unlike any other name. Call [`Vault::save`] afterwards
/// to keep them. Linear in the entries and accounts.
pub fn merge(vault: &mut Vault, accounts: Vec<Account>) -> Result<Report, EntryError> {
    let mut report = Report::default();
    let mut index = vault.entries().index();
    let mut numbers = HashMap::new();
    let mut new = Vec::with_capacity(accounts.len());
    for mut account in accounts {
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
