//! The Battle.net Authenticator's preferences (from a rooted phone): the
//! device secret and serial are hex strings masked by XOR with a constant
//! the app ships (its "encryption type" is literally `MASK`); the unmasked
//! secret is itself hex. Codes are SHA1, 8 digits, 30 s.

use data_encoding::HEXLOWER_PERMISSIVE;
use zeroize::Zeroizing;

use super::error::{FormatError, Problem, Unread};
use super::fields::{self, Fields, malformed};
use super::format::{Format, Found, Reader, Shape};
use super::prefs::Prefs;
use crate::account::Account;
use crate::otp::Kind;

const APP: &str = "Battle.net";

pub const FORMAT: Format = Format {
    name: "battle-net",
    aliases: &[],
    app: "Battle.net Authenticator",
    readers: &[Reader {
        shape: Shape::Xml,
        detect: |doc, _| match doc.prefs() {
            Some(prefs) if detect(prefs) => Found::Plain,
            _ => Found::No,
        },
        read: |doc, _| parse(doc.require_prefs(APP)?),
        decrypt: None,
        default_password: None,
    }],
    writer: None,
};
const SECRET: &str = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET";
const SERIAL: &str = "com.blizzard.messenger.AUTHENTICATOR_SERIAL";
const ENCRYPTION: &str = "com.blizzard.messenger.AUTHENTICATOR_CREDENTIALS_ENCRYPTION_TYPE";
const MASK: [u8; 57] = [
    0x39, 0x8e, 0x27, 0xfc, 0x50, 0x27, 0x6a, 0x65, 0x60, 0x65, 0xb0, 0xe5, 0x25, 0xf4, 0xc0, 0x6c,
    0x04, 0xc6, 0x10, 0x75, 0x28, 0x6b, 0x8e, 0x7a, 0xed, 0xa5, 0x9d, 0xa9, 0x81, 0x3b, 0x5d, 0xd6,
    0xc8, 0x0d, 0x2f, 0xb3, 0x80, 0x68, 0x77, 0x3f, 0xa5, 0x9b, 0xa4, 0x7c, 0x17, 0xca, 0x6c, 0x64,
    0x79, 0x01, 0x5c, 0x1d, 0x5b, 0x8b, 0x8f, 0x6b, 0x9a,
];

/// True if `prefs` hold a Battle.net authenticator.
pub fn detect(prefs: &Prefs) -> bool {
    prefs.get(SECRET).is_some()
}

/// The one account.
pub fn parse(prefs: &Prefs) -> Result<Vec<Account>, FormatError> {
    if prefs.get(ENCRYPTION).is_some_and(|t| t != "MASK") {
        return Err(FormatError::Unsupported {
            app: APP,
            what: Unread::OtherProtection,
        });
    }
    let invalid = || malformed(APP, "secret", Problem::NotHex);
    let secret_hex = unmask(prefs.get(SECRET).unwrap_or("")).ok_or_else(invalid)?;
    let secret = fields::hex(&secret_hex).ok_or_else(invalid)?;
    let name = match prefs.get(SERIAL).filter(|s| !s.is_empty()) {
        Some(serial) => unmask(serial).map(|s| s.to_string()).ok_or(malformed(
            APP,
            "serial",
            Problem::NotHex,
        ))?,
        None => String::new(),
    };
    let mut params = fields::params(Kind::Totp);
    params.digits = 8;
    Ok(vec![
        Fields {
            issuer: APP.into(),
            name,
            secret,
            params,
        }
        .into_account(APP)?,
    ])
}

/// The text a masked hex value hides.
fn unmask(hex: &str) -> Option<Zeroizing<String>> {
    let bytes = Zeroizing::new(HEXLOWER_PERMISSIVE.decode(hex.trim().as_bytes()).ok()?);
    if bytes.len() > MASK.len() {
        return None;
    }
    let clear: Zeroizing<Vec<u8>> =
        Zeroizing::new(bytes.iter().zip(MASK).map(|(b, m)| b ^ m).collect());
    String::from_utf8(clear.to_vec()).ok().map(Zeroizing::new)
}

#[cfg(all(test, feature = "phone-db"))]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        HEXLOWER_PERMISSIVE.encode(
            &text
                .bytes()
                .zip(MASK)
                .map(|(b, m)| b ^ m)
                .collect::<Vec<u8>>(),
        )
    }

    #[test]
    fn the_mask_comes_off() {
        let prefs = Prefs::parse(&format!(
            "<map><string name=\"{SECRET}\">{}</string><string name=\"{SERIAL}\">{}</string></map>",
            masked("48656c6c6f21deadbeef"),
            masked("EU-1234-5678-9012")
        ))
        .unwrap();
        assert!(detect(&prefs));
        let got = parse(&prefs).unwrap();
        assert_eq!(
            (got[0].issuer.as_str(), got[0].account.as_str()),
            ("Battle.net", "EU-1234-5678-9012")
        );
        assert_eq!(got[0].params.digits, 8);
        assert_eq!(got[0].secret.expose(), b"Hello!\xde\xad\xbe\xef");
    }
}
