//! Codes in the browser: the extension in `browser/extension/` asks otp,
//! through the browser's native messaging, for the code of the page it is
//! on, and otp decides whether that page may have one. The page's URL
//! comes from the browser (the sender's frame, as the browser reports it),
//! the decision from [`crate::site::check`], the same rule as
//! `otp code --for-url`, and the code from the agent alone: the host never
//! opens the vault, never prompts (a browser has no terminal), and never
//! sends a secret, another site's account or the list of sites.
//!
//! [`native`] reads and writes the browser's frames, [`host`] answers
//! them, and [`install`] writes the manifest that tells a browser where
//! the host is.

pub mod host;
pub mod install;
pub mod native;
