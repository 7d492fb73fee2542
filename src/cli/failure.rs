//! How a failure reaches scripts and people: one line on stderr, and an
//! exit code decided by the failure's kind alone. Every error type of the
//! library says its own kind ([`otpvault::error::Kinded`], each with an
//! exhaustive match beside the type); this file is the table from kind to
//! exit code, exhaustive too, and the meaning of each code that the
//! manual page and the README give.

use std::fmt;
use std::io;

use otpvault::error::{ErrorKind, Kinded};

/// Exit codes, documented in the README; scripts rely on them.
pub mod exit {
    use otpvault::error::ErrorKind;

    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const WRONG_PASSPHRASE: u8 = 3;
    pub const DAMAGED: u8 = 4;
    pub const NO_MATCH: u8 = 5;
    pub const AMBIGUOUS: u8 = 6;
    pub const BUSY: u8 = 7;
    pub const NO_VAULT: u8 = 8;
    pub const EXISTS: u8 = 9;
    pub const CLOCK_OFF: u8 = 10;
    pub const NOT_THE_SITE: u8 = 11;
    pub const OTHER_VAULT: u8 = 12;
    pub const TOO_OLD: u8 = 13;
    pub const COPIES_LEFT: u8 = 14;

    /// The exit code of each kind of failure.
    pub fn code(kind: ErrorKind) -> u8 {
        match kind {
            ErrorKind::Usage => USAGE,
            ErrorKind::WrongSecret => WRONG_PASSPHRASE,
            ErrorKind::Damaged => DAMAGED,
            ErrorKind::NoMatch => NO_MATCH,
            ErrorKind::Ambiguous => AMBIGUOUS,
            ErrorKind::Busy => BUSY,
            ErrorKind::NoVault => NO_VAULT,
            ErrorKind::Exists => EXISTS,
            ErrorKind::ClockOff => CLOCK_OFF,
            ErrorKind::SiteRule => NOT_THE_SITE,
            ErrorKind::OtherVault => OTHER_VAULT,
            ErrorKind::TooOld => TOO_OLD,
            ErrorKind::CopiesLeft => COPIES_LEFT,
            ErrorKind::Environment | ErrorKind::Internal => FAILURE,
        }
    }

    /// What each exit status means, for the manual page and the README.
    #[cfg_attr(not(feature = "shell"), allow(dead_code))]
    pub const MEANINGS: [(u8, &str); 15] = [
        (0, "success"),
        (
            FAILURE,
            "a failure not listed below (a file that cannot be read or written, no clipboard, no answer from a time server), or a bug",
        ),
        (
            USAGE,
            "a usage error: a flag, a name, a key, a site, a file or a passphrase that cannot be used as given",
        ),
        (
            WRONG_PASSPHRASE,
            "the passphrase, recovery key or password does not open the vault or file",
        ),
        (
            DAMAGED,
            "the vault (or a file given) is damaged or not a vault",
        ),
        (NO_MATCH, "no entry matches"),
        (AMBIGUOUS, "several entries match: give the exact name"),
        (
            BUSY,
            "another otp is changing the vault and did not finish in time",
        ),
        (NO_VAULT, "there is no vault at the path"),
        (
            EXISTS,
            "the name, the account or the file exists already (or a name looks like one that does)",
        ),
        (
            CLOCK_OFF,
            "otp time: the clock (or OTP_TIME_OFFSET) is off by more than 5 s; or a clock before 1970",
        ),
        (
            NOT_THE_SITE,
            "code --for-url: the URL is not at the entry's site, so no code was given",
        ),
        (
            OTHER_VAULT,
            "merge: the copy is another vault (its vault id differs): nothing was merged; `otp import` takes another vault's accounts",
        ),
        (
            TOO_OLD,
            "merge: the copy holds an entry whose removal may have been forgotten (over 400 days): nothing was merged; --accept-old merges anyway",
        ),
        (
            COPIES_LEFT,
            "merge --conflicts: some copies could not be merged and were left where they are (each is listed with why); the others were merged",
        ),
    ];
}

/// Everything a command can fail with: an error that knows its kind, or
/// output that could not be written.
pub enum Failure {
    Error(Box<dyn Kinded>),
    Output(io::Error),
}

impl<E: Kinded> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure::Error(Box::new(error))
    }
}

impl Failure {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Failure::Error(e) => e.kind(),
            Failure::Output(_) => ErrorKind::Environment,
        }
    }

    pub fn exit_code(&self) -> u8 {
        exit::code(self.kind())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => e.fmt(f),
            Failure::Output(e) => {
                write!(f, "cannot write the output ({e}): check where it is sent")
            }
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "Failure::Error({:?}: {e})", e.kind()),
            Failure::Output(e) => write!(f, "Failure::Output({e:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_meaning_and_every_meaning_a_code() {
        let kinds = [
            ErrorKind::Usage,
            ErrorKind::WrongSecret,
            ErrorKind::Damaged,
            ErrorKind::NoMatch,
            ErrorKind::Ambiguous,
            ErrorKind::Busy,
            ErrorKind::NoVault,
            ErrorKind::Exists,
            ErrorKind::ClockOff,
            ErrorKind::SiteRule,
            ErrorKind::OtherVault,
            ErrorKind::TooOld,
            ErrorKind::CopiesLeft,
            ErrorKind::Environment,
            ErrorKind::Internal,
        ];
        for kind in kinds {
            let code = exit::code(kind);
            assert!(exit::MEANINGS.iter().any(|(c, _)| *c == code), "{kind:?}");
        }
        for (code, _) in exit::MEANINGS.iter().skip(1) {
            assert!(kinds.iter().any(|k| exit::code(*k) == *code), "{code}");
        }
    }
}
