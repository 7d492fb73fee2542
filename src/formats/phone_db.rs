//! The databases of Google Authenticator (up to 5.10) and Microsoft
//! Authenticator, from a rooted phone. Neither stores an algorithm or a
//! period: Google's accounts are SHA1, 6 digits, 30 s (TOTP or HOTP by
//! `type`); Microsoft's third-party accounts (type 0) are base32 TOTP, its
//! personal Microsoft accounts (type 1) base64 with 8 digits, and its work
//! and school accounts (push, no code) are passed over.

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, malformed};
use super::format::{Document, Format, Found, Reader, Shape};
use super::sqlite::Database;
use crate::account::Account;
use crate::otp::Kind;

const GOOGLE: &str = "Google Authenticator";
const MICROSOFT: &str = "Microsoft Authenticator";
const TABLE: &str = "accounts";
pub const MICROSOFT_FORMAT: Format = Format {
    name: "microsoft",
    aliases: &[],
    app: MICROSOFT,
    readers: &[Reader {
        shape: Shape::Database,
        detect: |doc, _| match doc.database() {
            Some(db) if detect_microsoft(db) => Found::Plain,
            _ => Found::No,
        },
        read: |doc, _| parse_microsoft(doc.require_database(MICROSOFT)?),
        decrypt: None,
        default_password: None,
    }],
    writer: None,
};

/// Google Authenticator's database, one of the Google format's shapes.
pub fn detect_google_db(doc: &Document) -> Found {
    match doc.database() {
        Some(db) if detect_google(db) => Found::Plain,
        _ => Found::No,
    }
}

pub fn read_google_db(doc: &Document) -> Result<Vec<Account>, FormatError> {
    parse_google(doc.require_database(GOOGLE)?)
}

const GOOGLE_COLUMNS: [&str; 5] = ["email", "secret", "type", "counter", "issuer"];
const MICROSOFT_COLUMNS: [&str; 4] = ["name", "username", "oath_secret_key", "account_type"];

pub fn detect_google(db: &Database) -> bool {
    db.has(TABLE, &["email", "secret", "type", "counter"])
}

pub fn detect_microsoft(db: &Database) -> bool {
    db.has(
        TABLE,
        &["oath_secret_key", "account_type", "name", "username"],
    )
}

pub fn parse_google(db: &Database) -> Result<Vec<Account>, FormatError> {
    let rows = db.rows(TABLE, &GOOGLE_COLUMNS).ok_or(malformed(
        GOOGLE,
        "table of accounts",
        Problem::Unreadable,
    ))?;
    rows.iter()
        .map(|row| {
            let email = row[0].text();
            // `Issuer:account` in the name, as the app's labels are.
            let (prefix, name) = match email.split_once(':') {
                Some((prefix, name)) if !name.contains(':') => (prefix, name),
                _ => ("", email),
            };
            let issuer = match row[4].text() {
                "" => prefix,
                issuer => issuer,
            };
            let bad = |problem| fields::entry_error(GOOGLE, issuer, name, problem);
            let kind = match row[2].integer() {
                Some(0) => Kind::Totp,
                Some(1) => Kind::Hotp,
                _ => return Err(bad(AccountProblem::Kind)),
            };
            let secret = fields::base32(row[1].text())
                .ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
            let mut params = fields::params(kind);
            if kind == Kind::Hotp {
                params.counter = row[3]
                    .integer()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0);
            }
            Fields {
                issuer: issuer.to_string(),
                name: name.to_string(),
                secret,
                params,
            }
            .into_account(GOOGLE)
        })
        .collect()
}

pub fn parse_microsoft(db: &Database) -> Result<Vec<Account>, FormatError> {
    let rows = db.rows(TABLE, &MICROSOFT_COLUMNS).ok_or(malformed(
        MICROSOFT,
        "table of accounts",
        Problem::Unreadable,
    ))?;
    let mut accounts = Vec::new();
    for row in &rows {
        let (issuer, name, key) = (row[0].text(), row[1].text(), row[2].text());

        let (secret, digits) = match row[3].integer() {
            Some(0) => (fields::base32(key), 6),
            Some(1) => (fields::base64(key), 8),
            // Work and school accounts sign in by push: no code to import.
            _ => continue,
        };
        let secret = secret.ok_or_else(|| {
            fields::entry_error(MICROSOFT, issuer, name, AccountProblem::EncryptedByPhone)
        })?;
        let mut params = fields::params(Kind::Totp);
        params.digits = digits;
        accounts.push(
            Fields {
                issuer: issuer.to_string(),
                name: name.to_string(),
                secret,
                params,
            }
            .into_account(MICROSOFT)?,
        );
    }
    Ok(accounts)
}
