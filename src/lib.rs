//! otpvault: TOTP and HOTP codes from an encrypted local vault.
//!
//! The library holds everything but the terminal: the OTP model and code
//! generation ([`otp`], [`entry`], [`entries`]), the parsers for what people
//! paste ([`key`], [`uri`]), the vault ([`vault`]) and other apps' files
//! ([`import`], [`export`], [`formats`], [`qr`]). It never prints and never
//! exits; every failure is a typed error whose message says what was wrong
//! and what to do. The `otp` binary is a thin layer over it.
//!
//! ```
//! // A setup key as Amazon shows it, pasted in lower case.
//! let secret = otpvault::key::parse("n4op sglf 7hzp eq3r 4zzk swum y6pr 5tdg n7lx p4x7 sa7z 2ech 47xa")?;
//! let params = otpvault::Params::default(); // TOTP, SHA-1, 6 digits, 30 s
//! let code = params.code(&secret, 1_234_567_890)?;
//! assert_eq!(code.as_str().len(), 6);
//! assert_eq!(params.remaining(1_234_567_890), 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod account;
pub mod agent;
pub mod browser;
pub mod clipboard;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dispatch;
pub mod entries;
pub mod entry;
pub mod error;
pub mod export;
pub mod formats;
pub mod import;
pub mod key;
pub mod keyring;
pub mod merge;
pub mod names;
pub mod ntp;
pub mod otp;
pub mod qr;
pub mod recovery;
pub mod secret;
pub mod session;
pub mod site;
pub mod stamp;
pub mod strength;
pub mod terminal;
pub mod unlock;
pub mod uri;
pub mod vault;

pub use account::{Account, Enrolled, Overrides};
pub use crypto::kdf::KdfParams;
pub use entries::{Entries, EntryError};
pub use entry::Entry;
pub use otp::{Algorithm, Code, Kind, Params};
pub use secret::{Passphrase, Secret};
pub use vault::{Damage, OpenError, Vault};
