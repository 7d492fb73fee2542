//! Unlock once: an agent process holds a vault's key for a while, so that
//! a code takes milliseconds and no passphrase, as ssh-agent and rbw-agent
//! do.
//!
//! The agent is the `otp` binary itself, started by `otp unlock`. It listens
//! on a Unix socket in a directory only the user can enter
//! (`$XDG_RUNTIME_DIR/otpvault/`, else `otpvault-<uid>` in the temporary
//! folder), one socket a vault, and answers only peers of its own uid. It
//! holds the vault key, never the passphrase, and hands it to a client that
//! asks: the client then opens the vault file with it as usual, so saves,
//! locks and backups work exactly as without an agent
//! (docs/threat-model.md says why the key is handed over rather than kept).
//! It forgets the key after an idle time, after an absolute time, on
//! `otp lock`, and on SIGTERM or SIGINT.
//!
//! The protocol is one request line (`KEY`, `STATUS`, `LOCK`) and one JSON
//! answer line.

mod client;
mod error;
mod server;
mod socket;

pub use client::{Answer, CLIENT_TIMEOUT, Reply, Through, ask, key, open_through};
pub use error::{AgentError, Garbled};
pub use server::{Agent, Bound, timeouts};
pub use socket::{canonical, check_dir, peer_is_us, socket_dir, socket_path};
