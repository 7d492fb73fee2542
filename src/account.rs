//! One account as a key, a URI or another app's export describes it
//! ([`Account`]), and the rules that turn it into an entry of the vault
//! ([`Account::enrol`] for `otp add`, [`Account::into_entry`] for an
//! import): what the user typed is tidied and checked, what came from a
//! file or a QR code is cleaned.

use crate::entry::{Entry, EntryError};
use crate::names::{self, Field};
use crate::otp::{Algorithm, Kind, ParamError, Params};
use crate::secret::Secret;
use crate::site;

/// An account as a URI or another app's export describes it: everything an
/// [`Entry`] needs but the name the user calls it by.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub issuer: String,
    pub account: String,
    #[serde(with = "crate::key::base32")]
    pub secret: Secret,
    pub params: Params,
    /// The sites where its code may be typed, when the file says
    /// ([`crate::site`]); usually none.
    pub sites: Vec<String>,
}

/// A new entry for `otp add`, and what text from its URI or QR code had
/// to be cleaned of.
#[derive(Debug)]
pub struct Enrolled {
    pub entry: Entry,
    pub cleaned: Cleaned,
}

/// What `otp add` may say about an account on top of (or instead of) what
/// its key, URI or QR code says. `None` keeps the account's own value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub issuer: Option<String>,
    pub account: Option<String>,
    pub algorithm: Option<Algorithm>,
    pub digits: Option<u8>,
    pub period: Option<u32>,
    /// Counter-based; a URI's counter stands unless `counter` replaces it.
    pub hotp: bool,
    pub counter: Option<u64>,
    /// The sites where its code may be typed, replacing the account's.
    pub sites: Option<Vec<String>>,
}

impl Overrides {
    /// What the user typed, tidied and checked ([`names::typed`]), and
    /// sites as domain names: done before anything is asked.
    pub fn check(mut self) -> Result<Overrides, EntryError> {
        for (field, value) in [
            (Field::Issuer, &mut self.issuer),
            (Field::Account, &mut self.account),
        ] {
            if let Some(text) = value {
                *text = names::typed(field, text)?;
            }
        }
        if let Some(sites) = &mut self.sites {
            *sites = site::normalize_all(sites)?;
        }
        Ok(self)
    }
}

/// What [`Account::clean`] changed in text from a file or a QR code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Hidden characters were replaced with U+FFFD.
    pub replaced: bool,
    /// A field was longer than it may be and was cut.
    pub cut: bool,
}

impl Cleaned {
    pub fn any(self) -> bool {
        self.replaced || self.cut
    }
}

impl Account {
    /// A bare setup key: TOTP, SHA-1, 6 digits, 30 s, no issuer or account.
    pub fn from_key(secret: Secret) -> Account {
        Account {
            issuer: String::new(),
            account: String::new(),
            secret,
            params: Params::default(),
            sites: Vec::new(),
        }
    }

    /// A name for the entry when none is given: the issuer, else the account.
    pub fn default_name(&self) -> String {
        match (self.issuer.is_empty(), self.account.is_empty()) {
            (false, _) => self.issuer.clone(),
            (true, false) => self.account.clone(),
            (true, true) => "unnamed".to_string(),
        }
    }

    /// Makes the issuer and account (text from a file or a QR code) fit to
    /// keep: hidden characters replaced with U+FFFD, tidied, cut to length
    /// ([`names::imported`]); says what changed.
    pub fn clean(&mut self) -> Cleaned {
        let mut cleaned = Cleaned::default();
        for (field, text) in [
            (Field::Issuer, &mut self.issuer),
            (Field::Account, &mut self.account),
        ] {
            let kept = names::imported(field, text);
            cleaned.replaced |= kept.replaced;
            cleaned.cut |= kept.cut;
            *text = kept.text;
        }
        cleaned
    }

    /// The entry `otp add NAME` stores: the account with `overrides`
    /// applied and its parameters checked. The issuer is the override, else
    /// the account's own, else NAME (a bare key names no service, and the
    /// name is what the user calls it). What came from a URI or QR code is
    /// cleaned (`cleaned` says what changed); what the user typed (NAME,
    /// the overrides) is tidied, and refused if it is not plain text
    /// ([`names::typed`]).
    pub fn enrol(mut self, name: &str, overrides: Overrides) -> Result<Enrolled, EntryError> {
        let cleaned = self.clean();
        let name = names::typed(Field::Name, name)?;
        let overrides = overrides.check()?;
        let mut params = self.params;
        if let Some(algorithm) = overrides.algorithm {
            params.algorithm = algorithm;
        }
        if let Some(digits) = overrides.digits {
            params.digits = digits;
        }
        if let Some(period) = overrides.period {
            params.period = period;
        }
        if overrides.hotp {
            params.kind = Kind::Hotp;
            if let Some(counter) = overrides.counter {
                params.counter = counter;
            }
        }
        let issuer = overrides
            .issuer
            .or(Some(self.issuer).filter(|i| !i.is_empty()))
            .unwrap_or_else(|| name.clone());
        let account = overrides.account.unwrap_or(self.account);
        let sites = overrides.sites.unwrap_or(self.sites);
        let mut entry = Entry::new(name, issuer, account, self.secret, params)?;
        entry.sites = sites;
        Ok(Enrolled { entry, cleaned })
    }

    /// The entry an import stores under `name`, issuer, account and sites
    /// as given.
    pub fn into_entry(self, name: String) -> Result<Entry, ParamError> {
        let mut entry = Entry::new(name, self.issuer, self.account, self.secret, self.params)?;
        entry.sites = self.sites;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key;
    use crate::names::NameError;

    fn key() -> Secret {
        key::parse("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap()
    }

    #[test]
    fn a_bare_key_is_issued_by_its_name() {
        let entry = Account::from_key(key())
            .enrol("Amazon", Overrides::default())
            .unwrap()
            .entry;
        assert_eq!(
            (entry.issuer.as_str(), entry.account.as_str()),
            ("Amazon", "")
        );
        assert_eq!(entry.otp, Params::default());
        assert_eq!(entry.id.len(), 32);
    }

    #[test]
    fn overrides_replace_what_the_uri_says_and_are_checked() {
        let from_uri = Account {
            issuer: "Site".into(),
            account: "me".into(),
            secret: key(),
            params: Params {
                kind: Kind::Hotp,
                counter: 7,
                ..Params::default()
            },
            sites: Vec::new(),
        };
        let hotp = Overrides {
            hotp: true,
            ..Overrides::default()
        };
        let kept = from_uri.clone().enrol("X", hotp.clone()).unwrap().entry;
        assert_eq!(kept.otp.counter, 7, "a URI's counter stands");
        assert_eq!(
            (kept.issuer.as_str(), kept.account.as_str()),
            ("Site", "me")
        );
        let changed = from_uri
            .clone()
            .enrol(
                "X",
                Overrides {
                    issuer: Some("Other".into()),
                    digits: Some(8),
                    counter: Some(9),
                    ..hotp
                },
            )
            .unwrap()
            .entry;
        assert_eq!(
            (
                changed.issuer.as_str(),
                changed.otp.digits,
                changed.otp.counter
            ),
            ("Other", 8, 9)
        );
        let bad = from_uri.enrol(
            "X",
            Overrides {
                period: Some(0),
                ..Overrides::default()
            },
        );
        assert!(matches!(
            bad,
            Err(EntryError::Params(ParamError::PeriodZero))
        ));
    }

    #[test]
    fn typed_text_is_refused_and_scanned_text_cleaned() {
        let scanned = Account {
            issuer: "Shop\n000000".into(),
            ..Account::from_key(key())
        };
        let enrolled = scanned.clone().enrol("Shop", Overrides::default()).unwrap();
        assert!(enrolled.cleaned.replaced);
        assert_eq!(enrolled.entry.issuer, "Shop\u{FFFD}000000");
        assert!(matches!(
            scanned.clone().enrol("Shop\u{1b}[2J", Overrides::default()),
            Err(EntryError::Name(NameError::Hidden { .. }))
        ));
        let typed = Overrides {
            account: Some("me\u{202e}".into()),
            ..Overrides::default()
        };
        assert!(matches!(
            scanned.enrol("Shop", typed),
            Err(EntryError::Name(NameError::Hidden { .. }))
        ));
    }
}
