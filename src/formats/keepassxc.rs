//! KeePassXC's CSV export (Database → Export → CSV, or `keepassxc-cli
//! export -f csv`): `Group`, `Title`, `Username`, `Password`, `URL`,
//! `Notes`, `TOTP`, …, where `TOTP` holds the entry's otpauth URI. Entries
//! without one are not accounts for otpvault; the URL is where the code
//! may be typed.

use super::error::{FormatError, Problem};
use super::fields::malformed;
use super::format::{self, Format, Reader, Shape};
use super::login;
use crate::account::Account;

const APP: &str = "KeePassXC CSV";

pub const FORMAT: Format = Format {
    name: "keepassxc",
    aliases: &[],
    app: APP,
    readers: &[Reader {
        shape: Shape::Csv,
        detect: |doc, _| format::csv_found(doc, detect),
        read: |doc, _| parse(doc.require_text(APP)?),
        decrypt: None,
        default_password: None,
    }],
    writer: None,
};

/// True if `header` is a KeePassXC CSV export's: a title, a user name and
/// a TOTP column.
pub fn detect(header: &csv::StringRecord) -> bool {
    ["Title", "Username", "TOTP"]
        .iter()
        .all(|name| header.iter().any(|h| h == *name))
}

pub fn parse(text: &str) -> Result<Vec<Account>, FormatError> {
    let invalid = || malformed(APP, "CSV", Problem::NotValid);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| invalid())?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (title, username, url, totp) = (
        column("Title"),
        column("Username"),
        column("URL"),
        column("TOTP").ok_or_else(invalid)?,
    );
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| invalid())?;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        if let Some(mut account) = login::account(APP, get(Some(totp)), get(title), get(username))?
        {
            account.sites = login::sites(std::iter::once(get(url)));
            accounts.push(account);
        }
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Kind;

    /// As keepassxc-cli 2.7.4 wrote it (tests/import_keepassxc.rs makes
    /// one with the real program).
    const EXPORT: &str = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\
        \"Root\",\"Amazon\",\"me@example.com\",\"pw\",\"https://www.amazon.com\",\"\",\"otpauth://totp/Amazon:me%40example.com?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=Amazon\",\"0\",\"2026-12-02T05:14:01Z\",\"2026-12-02T05:14:01Z\"\n\
        \"Root\",\"No OTP\",\"x\",\"\",\"\",\"\",\"\",\"0\",\"2026-12-02T05:14:01Z\",\"2026-12-02T05:14:01Z\"\n";

    #[test]
    fn an_export_gives_its_entries_with_a_totp() {
        let got = parse(EXPORT).unwrap();
        assert_eq!(got.len(), 1);
        let a = &got[0];
        assert_eq!(
            (a.issuer.as_str(), a.account.as_str(), a.params.kind),
            ("Amazon", "me@example.com", Kind::Totp)
        );
        assert_eq!(a.sites, ["amazon.com"]);
    }
}
