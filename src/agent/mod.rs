//! Unlock once: an agent process holds a vault's key for a while, so that
//! a code takes milliseconds and no passphrase, as ssh-agent and rbw-agent
//! do, and one step further: the key never leaves it.
//!
//! The agent is the `otp` binary itself, started by `otp unlock`, which
//! hands it the vault's path and key on a pipe ([`Handoff`]). It listens
//! on a Unix socket in a folder only the user can enter
//! ([`socket_folder`]), one socket a vault, and answers only peers of its
//! own uid. Commands send it operations ([`crate::session::Op`]: a code,
//! every code, the list, add, rename, remove, edit, import, merge, backup)
//! and it runs them on the vault with its key: a code, names and sites
//! come back; the key and the accounts' secrets never do. `show`,
//! `export`, `passwd` and `recovery-key` are not operations: they ask for
//! the passphrase even while the vault is unlocked.
//!
//! A command checks the socket's folder and the uid of whoever answers
//! before it sends a byte, and bounds the whole exchange with one
//! deadline ([`client`]). The agent keeps the key in one locked page,
//! serves each connection on its own thread, waits on events rather than
//! a timer, and forgets the key after an idle time, after an absolute
//! time, on `otp lock`, and on SIGTERM, SIGINT or SIGHUP ([`server`]). The
//! protocol is in [`protocol`].

pub mod client;
mod error;
pub mod protocol;
pub mod server;
mod socket;

pub use client::{CLIENT_TIMEOUT, LONG_TIMEOUT, call};
pub use error::{AgentError, Garbled};
pub use protocol::{Answer, Handoff, Request, Status};
pub use server::{Agent, Bound, timeouts};
pub use socket::{canonical, check_dir, peer_is_us, socket_dir, socket_folder, socket_path};
