//! One account in the vault ([`Entry`]), and one account as a key, a URI
//! or another app's export describes it ([`Account`]), with the rules that
//! turn the second into the first.

use crate::error::{ErrorKind, Kinded};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::clock;
use crate::key;
use crate::names::{self, Field, NameError};
use crate::otp::{Algorithm, Code, Kind, ParamError, Params};
use crate::secret::Secret;
use crate::site::{self, SiteError};
use crate::text::{Escaped, Quoted};

/// Why an entry could not be found, added or changed. Names in the
/// messages are escaped: they come from the vault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EntryError {
    #[error(
        "an entry named {} already exists: choose another name, or remove or rename that one first",
        Quoted(.0)
    )]
    NameExists(String),
    #[error(
        "the name {} looks like the entry {}: names that look alike let one account pass for another; choose a name that reads differently",
        Quoted(.name),
        Quoted(.existing)
    )]
    LookAlike { name: String, existing: String },
    #[error("no entry matches {}: run `otp list` to see the names", Quoted(.0))]
    NoMatch(String),
    #[error(
        "{} entries match {} ({}): give the exact name",
        .names.len(),
        Quoted(.query),
        Escaped(&.names.join(", "))
    )]
    Ambiguous { query: String, names: Vec<String> },
    #[error(
        "this key is already in the vault as {}: one account needs one entry (rename that one if its name is wrong)",
        Quoted(.0)
    )]
    SameSecret(String),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error(transparent)]
    Site(#[from] SiteError),
}

/// An account: what the user calls it, whose it is, and how to make codes.
///
/// `id` never changes (renames keep it), and `created`/`modified` are kept,
/// so that two diverged copies of a vault can be merged entry by entry.
/// Entries live in an [`Entries`](crate::entries::Entries) collection, which
/// hands out only shared references: every change goes through it, so that
/// names stay unique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// The name shown and looked up; unique in a vault.
    pub name: String,
    /// The name the entry was given, when a merge shows it under another
    /// because an older entry has the same one (`GitHub (2)`); see
    /// [`crate::merge`]. `None` when `name` is the given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub account: String,
    #[serde(with = "key::base32")]
    pub secret: Secret,
    pub otp: Params,
    /// The sites where this code may be typed: domain names in lower-case
    /// ASCII ([`crate::site`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// Unix seconds (negative before 1970; see [`clock::timestamp`]).
    pub created: i64,
    /// Unix seconds.
    pub modified: i64,
    /// Fields a newer otpvault wrote, kept as they are (format 2).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl Entry {
    /// A new entry with a fresh random id, stamped now.
    pub fn new(
        name: String,
        issuer: String,
        account: String,
        secret: Secret,
        otp: Params,
    ) -> Result<Entry, ParamError> {
        let now = clock::timestamp();
        Ok(Entry {
            id: new_id(),
            name,
            given_name: None,
            issuer,
            account,
            secret,
            otp: otp.validate()?,
            sites: Vec::new(),
            created: now,
            modified: now,
            unknown: serde_json::Map::new(),
        })
    }

    /// The code at Unix time `time`; see [`Params::code`]. For an HOTP
    /// entry this is the code at its stored counter: showing it uses it
    /// up, which [`Vault::next_code`](crate::Vault::next_code) takes care of.
    pub fn code(&self, time: u64) -> Result<Code, ParamError> {
        self.otp.code(&self.secret, time)
    }

    /// What a person needs to type a time-based code in time: the code at
    /// `time`, the seconds it has left and, when those are
    /// [`NEXT_CODE_WITHIN`] or fewer, the code that follows, so that nobody
    /// types a code that dies on the way. `None` for an HOTP entry, whose
    /// code is shown only by using it up.
    pub fn current(&self, time: u64) -> Result<Option<Current>, ParamError> {
        if self.otp.kind == Kind::Hotp {
            return Ok(None);
        }
        let remaining = self.otp.remaining(time);
        let next = if remaining <= NEXT_CODE_WITHIN {
            Some(self.code(time.saturating_add(remaining))?)
        } else {
            None
        };
        Ok(Some(Current {
            code: self.code(time)?,
            remaining,
            period: self.otp.period,
            next,
        }))
    }

    /// Moves an HOTP counter on, returning the code at the old one. At the
    /// last counter there is no next one, so no code is made.
    ///
    /// `modified` stays: a merge takes the larger counter of two copies on
    /// its own, so using a code must not make this version of the entry
    /// win over a rename made elsewhere.
    pub(crate) fn advance_hotp(&mut self) -> Result<Code, ParamError> {
        let next = self
            .otp
            .counter
            .checked_add(1)
            .ok_or(ParamError::CounterExhausted)?;
        let code = self.code(0)?;
        self.otp.counter = next;
        Ok(code)
    }

    /// Marks the entry as changed at `now`. A change is always later than
    /// the version it changes, even if the clock went back.
    pub(crate) fn touch(&mut self, now: i64) {
        self.modified = now.max(self.modified.saturating_add(1));
    }

    /// Which account the entry is, for a merge: entries that hold the same
    /// secret for the same kind of code are one account, whatever their ids
    /// (the account enrolled separately on two devices). A hash, so that a
    /// tombstone can name the account without holding its secret.
    pub fn account_key(&self) -> String {
        account_key(self.otp.kind, &self.secret)
    }

    /// The name the entry was given: what a merge compares and restores.
    pub fn given_name(&self) -> &str {
        self.given_name.as_deref().unwrap_or(&self.name)
    }

    /// The account written into an export: the entry's, else its name,
    /// since phone apps need a label. (The issuer is written as it is: an
    /// account without one is exported without one, never with an invented
    /// one that an app would show beside the account, twice.)
    pub fn export_account(&self) -> &str {
        if self.account.is_empty() {
            &self.name
        } else {
            &self.account
        }
    }
}

/// The account a secret is for a kind of code; see [`Entry::account_key`].
pub fn account_key(kind: Kind, secret: &Secret) -> String {
    let mut hash = Sha256::new();
    hash.update(b"otpvault account\0");
    hash.update(kind.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(secret.expose());
    data_encoding::HEXLOWER.encode(&hash.finalize()[..16])
}

/// A code is shown with the next one when this many seconds or fewer are
/// left: about the time it takes to read six digits and type them.
pub const NEXT_CODE_WITHIN: u64 = 5;

/// A time-based code as [`Entry::current`] gives it.
#[derive(Debug)]
pub struct Current {
    pub code: Code,
    /// Seconds until `code` changes.
    pub remaining: u64,
    /// Seconds a code lasts.
    pub period: u32,
    /// The code after `code`, when it is close.
    pub next: Option<Code>,
}

/// An account as a URI or another app's export describes it: everything an
/// [`Entry`] needs but the name the user calls it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub issuer: String,
    pub account: String,
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

/// 128 random bits as hex: unique without coordination between devices.
fn new_id() -> String {
    data_encoding::HEXLOWER.encode(&crate::crypto::random_array::<16>())
}

impl Kinded for EntryError {
    fn kind(&self) -> ErrorKind {
        match self {
            EntryError::NoMatch(_) => ErrorKind::NoMatch,
            EntryError::Ambiguous { .. } => ErrorKind::Ambiguous,
            EntryError::NameExists(_)
            | EntryError::LookAlike { .. }
            | EntryError::SameSecret(_) => ErrorKind::Exists,
            EntryError::Name(_) | EntryError::Site(_) => ErrorKind::Usage,
            EntryError::Params(e) => e.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Secret {
        key::parse("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap()
    }

    #[test]
    fn the_next_code_comes_with_five_seconds_or_fewer_left() {
        let entry = Account::from_key(key())
            .enrol("Amazon", Overrides::default())
            .unwrap()
            .entry;
        let t = 1_700_000_020; // 20 s left in its period
        let now = entry.current(t).unwrap().unwrap();
        assert_eq!((now.remaining, now.next.is_none()), (20, true));
        let late = entry.current(t + 15).unwrap().unwrap();
        assert_eq!(late.remaining, 5);
        assert_eq!(late.code.as_str(), entry.code(t).unwrap().as_str());
        assert_eq!(
            late.next.unwrap().as_str(),
            entry.code(t + 20).unwrap().as_str()
        );
        let hotp = Account::from_key(key())
            .enrol(
                "Bank",
                Overrides {
                    hotp: true,
                    ..Overrides::default()
                },
            )
            .unwrap()
            .entry;
        assert!(hotp.current(t).unwrap().is_none());
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

    #[test]
    fn the_last_hotp_counter_gives_no_code() {
        let mut entry = Account::from_key(key())
            .enrol("Bank", Overrides::default())
            .unwrap()
            .entry;
        entry.otp.kind = Kind::Hotp;
        entry.otp.counter = u64::MAX;
        assert_eq!(entry.advance_hotp(), Err(ParamError::CounterExhausted));
        assert_eq!(entry.otp.counter, u64::MAX);
    }
}
