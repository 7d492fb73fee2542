//! Other authenticators' export files, in and out. One module a format;
//! each holds its format as one value ([`format::Format`]) that says how
//! its files are recognised, read into [`Account`](crate::entry::Account)s
//! (and, for an encrypted one, decrypted first) and, where otp writes
//! it, how entries are written. [`registry::ALL`] lists them;
//! [`crate::import`] decides which format a file is, from one parse.

pub mod aegis;
pub mod andotp;
#[cfg(feature = "archives")]
pub mod authplus;
pub mod authy;
pub mod battlenet;
pub mod bitwarden;
pub mod document;
pub mod duo;
pub mod error;
pub mod extract_otp_secrets;
pub mod fields;
pub mod format;
pub mod freeotp;
pub mod freeotp2;
pub mod google;
pub mod javaser;
pub mod json;
pub mod keepass;
pub mod keepassxc;
pub mod login;
pub mod migration;
#[cfg(feature = "phone-db")]
pub mod phone_db;
pub mod prefs;
pub mod proton;
pub mod registry;
#[cfg(feature = "phone-db")]
pub mod sqlite;
pub mod steam;
pub mod stratum;
pub mod totpauth;
pub mod twofas;
pub mod uri_list;

pub use error::{AccountProblem, BadAccount, Encoding, FormatError, Problem, Unread, Who};
pub use format::Format;
pub use json::Json;
pub use registry::ALL;
