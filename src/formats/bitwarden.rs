//! Bitwarden's unencrypted exports, JSON and CSV: a login's TOTP field
//! holds an otpauth URI, `steam://` and a base32 key (Steam Guard), or a
//! bare base32 key. Logins without one are not accounts for otpvault.
//! Bitwarden's encrypted JSON export is refused with what to do instead.

use serde_json::Value;

use super::error::{FormatError, Problem, Unread};
use super::fields::{self, malformed};
use super::format::{self, Format, Reader, Shape};
use super::json::Json;
use super::login;
use crate::account::Account;

const APP: &str = "Bitwarden";

pub const FORMAT: Format = Format {
    name: "bitwarden",
    aliases: &[],
    app: APP,
    readers: &[
        Reader {
            shape: Shape::Json,
            detect: |doc, _| format::json_found(doc, detect, format::never),
            read: |doc, _| parse(doc.require_json(APP)?),
            decrypt: None,
            default_password: None,
        },
        Reader {
            shape: Shape::Csv,
            detect: |doc, _| format::csv_found(doc, detect_csv),
            read: |doc, _| parse_csv(doc.require_text(APP)?),
            decrypt: None,
            default_password: None,
        },
    ],
    writer: None,
};

/// True if `json` is a Bitwarden JSON export (encrypted or not).
pub fn detect(json: &Value) -> bool {
    json.get("items").is_some_and(Value::is_array) && json.get("encrypted").is_some()
}

/// True if `header` (a CSV's first record) is a Bitwarden CSV export's.
pub fn detect_csv(header: &csv::StringRecord) -> bool {
    header.iter().any(|h| h == "login_totp")
}

/// The accounts of a JSON export.
pub fn parse(json: &Json) -> Result<Vec<Account>, FormatError> {
    let value = json.value();
    if value.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return Err(FormatError::Unsupported {
            app: APP,
            what: Unread::AccountEncrypted,
        });
    }
    let items = value
        .get("items")
        .and_then(Value::as_array)
        .ok_or(malformed(APP, "list of items", Problem::Missing))?;
    let mut accounts = Vec::new();
    for item in items {
        // Secure notes, cards and identities have no login.
        let Some(login) = item.get("login") else {
            continue;
        };
        let totp = login.get("totp").and_then(Value::as_str).unwrap_or("");
        let (name, username) = (fields::text(item, "name"), fields::text(login, "username"));
        let uris = login
            .get("uris")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|u| fields::text(u, "uri"));
        if let Some(mut account) = login::account(APP, totp, name, username)? {
            account.sites = login::sites(uris);
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// The accounts of a CSV export.
pub fn parse_csv(text: &str) -> Result<Vec<Account>, FormatError> {
    let invalid = || malformed(APP, "CSV", Problem::NotValid);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| invalid())?.clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let totp = column("login_totp").ok_or_else(invalid)?;
    let (name, username, uri) = (
        column("name"),
        column("login_username"),
        column("login_uri"),
    );
    let mut accounts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| invalid())?;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        if let Some(mut account) = login::account(APP, get(Some(totp)), get(name), get(username))? {
            // Several addresses are joined with commas.
            account.sites = login::sites(get(uri).split(','));
            accounts.push(account);
        }
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::Kind;

    #[test]
    fn json_and_csv_with_uris_steam_and_bare_keys() {
        let json = Json::parse(br#"{"encrypted":false,"items":[
            {"name":"Site","login":{"username":"me","uris":[{"match":null,"uri":"https://www.site.co.jp/login"},{"uri":"https://site.co.jp"}],"totp":"otpauth://totp/Site:me?secret=JBSWY3DPEHPK3PXP&issuer=Site"}},
            {"name":"Game","login":{"username":"gamer","totp":"steam://JRZCL47CMXVOQMNPZR2F7J4RGI"}},
            {"name":"Bare","login":{"username":"b","totp":"HXDM VJEC JJWS RB3H"}},
            {"name":"No TOTP","login":{"username":"x","totp":null}},
            {"name":"A note","type":2}
        ]}"#).unwrap();
        assert!(detect(json.value()));
        let got = parse(&json).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].sites, ["site.co.jp"]);
        assert_eq!(got[1].params.kind, Kind::Steam);
        assert_eq!(got[1].issuer, "Game", "the item's name, not \"Steam\"");
        assert_eq!(
            (got[2].issuer.as_str(), got[2].account.as_str()),
            ("Bare", "b")
        );

        let csv = "folder,favorite,type,name,notes,fields,login_uri,login_username,login_password,login_totp\n\
                   ,,login,Site,\"a note, with a comma\",,,me,pw,otpauth://totp/Site:me?secret=JBSWY3DPEHPK3PXP\n\
                   ,,login,Empty,,,,me,pw,\n";
        let got = parse_csv(csv).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].issuer, "Site");
    }

    #[test]
    fn an_encrypted_export_is_refused_with_advice() {
        let json =
            Json::parse(br#"{"encrypted":true,"encKeyValidation_DO_NOT_EDIT":"x","items":[]}"#)
                .unwrap();
        assert!(
            parse(&json)
                .unwrap_err()
                .to_string()
                .contains("unencrypted")
        );
    }
}
