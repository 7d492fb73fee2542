//! otpvault: TOTP and HOTP codes from an encrypted local vault.
//!
//! The library holds everything but the terminal: the OTP model and code
//! generation ([`otp`], [`entry`]), the parsers for what people paste
//! ([`key`], [`uri`]) and the vault ([`vault`]). It never prints and never
//! exits; every failure is a typed error whose message says what was wrong
//! and what to do. The `otp` binary is a thin layer over it.

pub mod entry;
pub mod key;
pub mod otp;
pub mod secret;
pub mod uri;
pub mod vault;

pub use entry::Entry;
pub use otp::{Algorithm, Code, Kind, Params};
pub use secret::{Passphrase, Secret};
pub use vault::crypto::KdfParams;
pub use vault::{Damage, EntryError, Vault, VaultError};
