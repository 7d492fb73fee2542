//! Codes out of an open vault: one entry's (an HOTP counter moved on and
//! saved before its code is given), or every entry's, made from the clock
//! at the moment they are made.

use crate::clock::When;
use crate::entries::EntryError;
use crate::entry::{Current, Entry};
use crate::otp::{Code, Kind};
use crate::site;

use super::{CodeError, Saved, Vault};

/// A code shown, with the entry it belongs to; `saved` is the save that
/// moved an HOTP counter on before the code was given.
#[derive(Debug)]
pub struct Shown<'a> {
    pub entry: &'a Entry,
    pub code: Code,
    /// The time the code is for (Unix seconds), read when it was made.
    pub time: u64,
    /// For a time-based code: the seconds it has left and, when few, the
    /// next one, at that same time.
    pub current: Option<Current>,
    pub saved: Option<Saved>,
}

/// A URL a code is asked for, with whether plain HTTP may have it.
#[derive(Debug, Clone, Copy)]
pub struct ForUrl<'a> {
    pub url: &'a str,
    pub allow_http: bool,
}

impl Vault {
    /// The code of the one entry `query` designates, for `when`.
    ///
    /// An HOTP code is used up once shown: its counter is moved on and the
    /// vault saved *before* the code is returned, so that a crash never
    /// lets the same code be shown twice.
    pub fn next_code(&mut self, query: &str, when: When) -> Result<Shown<'_>, CodeError> {
        self.next_code_for(query, when, None)
    }

    /// [`Vault::next_code`], given only if `url` is at one of the entry's
    /// sites ([`site::release`]), checked before an HOTP code is used up.
    /// The clock is read last, just before the code is made.
    pub fn next_code_for(
        &mut self,
        query: &str,
        when: When,
        url: Option<ForUrl>,
    ) -> Result<Shown<'_>, CodeError> {
        let i = self.entries.position(query)?;
        if let Some(url) = url {
            let entry = &self.entries.as_slice()[i];
            site::release(&entry.name, &entry.sites, url.url, url.allow_http)?;
        }
        if self.entries.as_slice()[i].otp.kind != Kind::Hotp {
            let entry = &self.entries.as_slice()[i];
            let time = when.time()?;
            let current = entry.current(time)?;
            let code = entry.code(time)?;
            return Ok(Shown {
                entry,
                code,
                time,
                current,
                saved: None,
            });
        }
        let (entry, code) = self.entries.advance_hotp_at(i)?;
        let id = entry.id.clone();
        let saved = self.save()?;
        let entry = self
            .entries
            .by_id(&id)
            .ok_or_else(|| EntryError::NoMatch(query.to_string()))?;
        Ok(Shown {
            entry,
            code,
            time: when.time()?,
            current: None,
            saved: Some(saved),
        })
    }

    /// Every entry with its code for `when`, and the time they are for.
    /// HOTP entries get none: showing one would use it up, which only
    /// asking for that entry should do.
    pub fn all_codes(&self, when: When) -> Result<AllCodes<'_>, CodeError> {
        self.codes_of(when, |_| true)
    }

    /// [`Vault::all_codes`] of the entries `url` may have a code of
    /// ([`site::check`], https only): what a browser is told about a page.
    /// A URL no entry is for gets none, whatever the reason.
    pub fn site_codes(&self, url: &str, when: When) -> Result<AllCodes<'_>, CodeError> {
        self.codes_of(when, |entry| site::check(url, &entry.sites, false).is_ok())
    }

    fn codes_of(
        &self,
        when: When,
        wanted: impl Fn(&Entry) -> bool,
    ) -> Result<AllCodes<'_>, CodeError> {
        let time = when.time()?;
        let codes = self
            .entries
            .iter()
            .filter(|entry| wanted(entry))
            .map(|entry| match entry.otp.kind {
                Kind::Hotp => Ok((entry, None)),
                _ => Ok((entry, Some(entry.code(time)?))),
            })
            .collect::<Result<_, CodeError>>()?;
        Ok(AllCodes { time, codes })
    }
}
/// Every entry's code, as [`Vault::all_codes`] gives them.
#[derive(Debug)]
pub struct AllCodes<'a> {
    /// The time the codes are for (Unix seconds).
    pub time: u64,
    pub codes: Vec<(&'a Entry, Option<Code>)>,
}
