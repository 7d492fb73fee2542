//! What kind of failure an error is: the one thing a front end needs to
//! decide what scripts see (the exit code) and what people are told to do
//! next. Every error type of the library says its kind ([`Kinded`]), with
//! a match beside the type that names every variant, so that a new
//! variant does not compile until someone decides its kind.

/// The kinds of failure, each with its own exit status in `otp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// Something given cannot be used as given: a flag, a name, a key, a
    /// site, a file of the wrong format, a weak new passphrase.
    Usage,
    /// The passphrase, recovery key or password does not open what it was
    /// given for.
    WrongSecret,
    /// The vault, or a file given, is damaged or not what it should be.
    Damaged,
    /// No entry matches.
    NoMatch,
    /// Several entries match.
    Ambiguous,
    /// Another otp is changing the vault.
    Busy,
    /// There is no vault at the path.
    NoVault,
    /// A name, an account or a file exists already (or a name looks like
    /// one that does).
    Exists,
    /// The clock, or the shift given to it, is off.
    ClockOff,
    /// A site rule withheld a code.
    SiteRule,
    /// A file to merge is another vault.
    OtherVault,
    /// A copy to merge may hold entries whose removal was forgotten.
    TooOld,
    /// Some conflict copies could not be merged and were left in place
    /// (the others were merged).
    CopiesLeft,
    /// Something around otp failed: the disk, the memory, a clipboard, the
    /// network, a helper process.
    Environment,
    /// A mistake of otp's own.
    Internal,
}

/// A command or a kind of file that this build of otp leaves out (see the
/// features in Cargo.toml).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error(
    "this otp was built without the {0} feature: build it with `cargo build --release --features {0}`"
)]
pub struct NotBuilt(pub &'static str);

impl Kinded for NotBuilt {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Usage
    }
}

/// An error that can say its [`ErrorKind`].
pub trait Kinded: std::error::Error + Send + Sync + 'static {
    fn kind(&self) -> ErrorKind;
}
