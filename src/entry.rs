//! One account in the vault.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::otp::{Code, ParamError, Params};
use crate::secret::Secret;

/// An account: what the user calls it, whose it is, and how to make codes.
///
/// `id` never changes (renames keep it), and `created`/`modified` are kept,
/// so that two diverged copies of a vault can later be merged entry by entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub account: String,
    pub secret: Secret,
    pub otp: Params,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub modified: i64,
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
        let now = now();
        Ok(Entry {
            id: new_id(),
            name,
            issuer,
            account,
            secret,
            otp: otp.validate()?,
            created: now,
            modified: now,
        })
    }

    /// The code at Unix time `time`; see [`Params::code`].
    pub fn code(&self, time: u64) -> Result<Code, ParamError> {
        self.otp.code(&self.secret, time)
    }

    /// The code of an HOTP entry at its counter, moving the counter on so
    /// that no code is ever shown twice; the caller saves before showing
    /// it. At the last counter there is no next one, so no code is made.
    pub fn next_hotp_code(&mut self) -> Result<Code, ParamError> {
        let next = self
            .otp
            .counter
            .checked_add(1)
            .ok_or(ParamError::CounterExhausted)?;
        let code = self.code(0)?;
        self.otp.counter = next;
        self.touch();
        Ok(code)
    }

    /// Marks the entry as changed now.
    pub fn touch(&mut self) {
        self.modified = now();
    }

    /// Case-insensitive match of a query against name, issuer or account.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.to_lowercase();
        [&self.name, &self.issuer, &self.account]
            .iter()
            .any(|field| field.to_lowercase().contains(&query))
    }
}

/// An account as a URI or another app's export describes it: everything an
/// [`Entry`] needs but the name the user calls it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub issuer: String,
    pub account: String,
    pub secret: Secret,
    pub params: Params,
}

impl Account {
    /// A name for the entry when none is given: the issuer, else the account.
    pub fn default_name(&self) -> String {
        match (self.issuer.is_empty(), self.account.is_empty()) {
            (false, _) => self.issuer.clone(),
            (true, false) => self.account.clone(),
            (true, true) => "unnamed".to_string(),
        }
    }

    pub fn into_entry(self, name: String) -> Result<Entry, ParamError> {
        Entry::new(name, self.issuer, self.account, self.secret, self.params)
    }
}

/// Seconds since the Unix epoch; a clock before 1970 reads as 0.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// 128 random bits as hex: unique without coordination between devices.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    crate::vault::crypto::fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
