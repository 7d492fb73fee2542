//! What most apps store for an account, turned into an [`Account`]: the
//! secret in whatever encoding the app chose, the parameters checked, and
//! errors that name the entry but never its secret.

use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use serde_json::Value;
use zeroize::Zeroizing;

use super::error::{AccountProblem, BadAccount, FormatError, Problem, Who};
use crate::account::Account;
use crate::key;
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::Secret;

/// One account as an app stores it.
pub struct Fields {
    pub issuer: String,
    pub name: String,
    pub secret: Secret,
    pub params: Params,
}

impl Fields {
    /// The account, its parameters checked; `app` names the file's app in
    /// the error.
    pub fn into_account(self, app: &'static str) -> Result<Account, FormatError> {
        let params = self
            .params
            .validate()
            .map_err(|e| entry_error(app, &self.issuer, &self.name, AccountProblem::Params(e)))?;
        Ok(Account {
            issuer: self.issuer.trim().to_string(),
            account: self.name.trim().to_string(),
            secret: self.secret,
            params,
            sites: Vec::new(),
        })
    }
}

/// An entry `app` stores that cannot be imported, named by its issuer and
/// name (never its secret): the whole file is refused.
pub fn entry_error(
    app: &'static str,
    issuer: &str,
    name: &str,
    problem: AccountProblem,
) -> FormatError {
    FormatError::Account(Box::new(BadAccount {
        app,
        who: Who {
            issuer: issuer.to_string(),
            name: name.to_string(),
        },
        problem,
    }))
}

/// A part of `app`'s file that is not what the format says.
pub fn malformed(app: &'static str, part: &'static str, problem: Problem) -> FormatError {
    FormatError::Malformed { app, part, problem }
}

/// A secret written in base32 (any case, spaces, padding).
pub fn base32(text: &str) -> Option<Secret> {
    key::parse(text).ok()
}

/// A secret written in hex.
pub fn hex(text: &str) -> Option<Secret> {
    let bytes = Zeroizing::new(HEXLOWER_PERMISSIVE.decode(text.trim().as_bytes()).ok()?);
    nonempty(&bytes)
}

/// A secret written in standard base64.
pub fn base64(text: &str) -> Option<Secret> {
    let bytes = Zeroizing::new(BASE64.decode(text.trim().as_bytes()).ok()?);
    nonempty(&bytes)
}

/// A secret written as a JSON array of Java's signed bytes (-128 to 127),
/// as FreeOTP's Gson writes `byte[]`.
pub fn java_bytes(value: &Value) -> Option<Secret> {
    let items = value.as_array()?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(items.len()));
    for item in items {
        let b = i8::try_from(item.as_i64()?).ok()?;
        bytes.push(b as u8);
    }
    nonempty(&bytes)
}

fn nonempty(bytes: &[u8]) -> Option<Secret> {
    (!bytes.is_empty()).then(|| Secret::new(bytes.to_vec()))
}

/// `SHA1`, `sha256`, `HmacSHA512`...; `None` for anything else.
pub fn algorithm(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

/// `TOTP`, `hotp`, `Steam`...; `None` for anything else.
pub fn kind(name: &str) -> Option<Kind> {
    name.parse().ok()
}

/// A JSON field as a string, `""` when absent or null.
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or("")
}

/// A JSON field as a number, accepting `"6"` as well as `6`.
pub fn number(value: &Value, field: &str) -> Option<u64> {
    let v = value.get(field)?;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Parameters with the usual defaults (SHA1, 6 digits, 30 s) and `kind`.
pub fn params(kind: Kind) -> Params {
    match kind {
        Kind::Steam => Params::steam(),
        kind => Params {
            kind,
            ..Params::default()
        },
    }
}

/// What an app stored of an account's parameters; `None` keeps the usual
/// default.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stored<'a> {
    pub algorithm: Option<&'a str>,
    pub digits: Option<u64>,
    pub period: Option<u64>,
    /// Read for HOTP only: apps write one for TOTP entries too.
    pub counter: Option<u64>,
}

/// Parameters of `kind` with what the app stored; `Err` says, for
/// [`entry_error`], which value otpvault cannot use.
pub fn stored_params(kind: Kind, stored: Stored) -> Result<Params, AccountProblem> {
    let mut params = params(kind);
    if let Some(name) = stored.algorithm {
        params.algorithm = algorithm(name).ok_or(AccountProblem::Algorithm)?;
    }
    if let Some(digits) = stored.digits {
        params.digits = narrow(digits).ok_or(AccountProblem::Digits)?;
    }
    match kind {
        Kind::Hotp => params.counter = stored.counter.unwrap_or(0),
        _ => {
            if let Some(period) = stored.period {
                params.period = narrow(period).ok_or(AccountProblem::Period)?;
            }
        }
    }
    Ok(params)
}

/// A number that must fit a smaller type, or the entry is refused.
pub fn narrow<T: TryFrom<u64>>(n: u64) -> Option<T> {
    T::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_every_encoding() {
        let want = Secret::new(vec![0xe4, 0x92, 0x70]);
        assert_eq!(hex("E49270").unwrap(), want);
        assert_eq!(base64("5JJw").unwrap(), want);
        assert_eq!(
            java_bytes(&serde_json::json!([-28, -110, 112])).unwrap(),
            want
        );
        assert!(java_bytes(&serde_json::json!([128])).is_none());
        assert!(hex("").is_none() && base64("!").is_none());
    }

    #[test]
    fn an_entry_error_names_the_entry_not_the_secret() {
        let e = entry_error("Duo", "Site", "me", AccountProblem::Digits);
        assert_eq!(
            e.to_string(),
            "\"Site\" (\"me\") in the Duo file has a number of digits no code has; nothing was imported: fix or remove that account in Duo, then export again"
        );
    }
}
