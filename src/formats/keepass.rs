//! KeePass's CSV of OTP fields, as extract_otp_secrets writes it for a
//! KeePass import: `Title` (issuer), `User Name`, and `TimeOtp-Secret-Base32`
//! or `HmacOtp-Secret-Base32` with `HmacOtp-Counter`. KeePass's optional
//! `TimeOtp-Length`, `TimeOtp-Period` and `TimeOtp-Algorithm`
//! (`HMAC-SHA-256`) are read when present; without them codes are SHA1, 6
//! digits, 30 s.

use super::error::{AccountProblem, Encoding, FormatError, Problem};
use super::fields::{self, Fields, Stored, malformed};
use super::format::{self, Format, Reader, Shape};
use crate::account::Account;
use crate::otp::Kind;

const APP: &str = "KeePass CSV";

pub const FORMAT: Format = Format {
    name: "keepass",
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
const TOTP: &str = "TimeOtp-Secret-Base32";
const HOTP: &str = "HmacOtp-Secret-Base32";

/// True if `header` is a KeePass OTP CSV's.
pub fn detect(header: &csv::StringRecord) -> bool {
    header.iter().any(|h| h == TOTP || h == HOTP)
}

pub fn parse(text: &str) -> Result<Vec<Account>, FormatError> {
    let invalid = || malformed(APP, "CSV", Problem::NotValid);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| invalid())?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let columns = [
        "Title",
        "User Name",
        TOTP,
        HOTP,
        "HmacOtp-Counter",
        "TimeOtp-Length",
        "TimeOtp-Period",
        "TimeOtp-Algorithm",
    ]
    .map(column);
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| invalid())?;
        let get = |i: usize| columns[i].and_then(|c| record.get(c)).unwrap_or("").trim();
        let (issuer, name) = (get(0), get(1));
        let bad = |problem| fields::entry_error(APP, issuer, name, problem);
        let (kind, key) = match (get(2), get(3)) {
            ("", "") => continue,
            (totp, "") => (Kind::Totp, totp),
            ("", hotp) => (Kind::Hotp, hotp),
            _ => return Err(bad(AccountProblem::TwoSecrets)),
        };
        let secret =
            fields::base32(key).ok_or_else(|| bad(AccountProblem::Secret(Encoding::Base32)))?;
        let number = |i: usize| -> Result<Option<u64>, FormatError> {
            match get(i) {
                "" => Ok(None),
                n => n
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(AccountProblem::NotANumber)),
            }
        };
        let params = fields::stored_params(
            kind,
            Stored {
                algorithm: Some(get(7)).filter(|a| !a.is_empty()),
                digits: number(5)?,
                period: number(6)?,
                counter: number(4)?,
            },
        )
        .map_err(bad)?;
        accounts.push(
            Fields {
                issuer: issuer.to_string(),
                name: name.to_string(),
                secret,
                params,
            }
            .into_account(APP)?,
        );
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Algorithm;

    #[test]
    fn totp_and_hotp_files() {
        let got = parse("Title,User Name,TimeOtp-Secret-Base32,Group\r\nSite,me,JBSWY3DPEHPK3PXP,OTP/TOTP\r\n,bare,HXDMVJECJJWSRB3H,OTP/TOTP\r\n").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[1].issuer.as_str(), got[1].account.as_str()),
            ("", "bare")
        );
        let got = parse("Title,User Name,HmacOtp-Secret-Base32,HmacOtp-Counter,Group\nBank,me,JBSWY3DPEHPK3PXP,4,OTP/HOTP\n").unwrap();
        assert_eq!((got[0].params.kind, got[0].params.counter), (Kind::Hotp, 4));
        let got = parse("Title,TimeOtp-Secret-Base32,TimeOtp-Algorithm,TimeOtp-Length\nX,JBSWY3DPEHPK3PXP,HMAC-SHA-256,8\n").unwrap();
        assert_eq!(
            (got[0].params.algorithm, got[0].params.digits),
            (Algorithm::SHA256, 8)
        );
    }
}
