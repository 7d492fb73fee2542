//! The XDG base directories, read by hand: a handful of lines that keep
//! three crates out of the core build. Every folder is an absolute path or
//! nothing: the base directory rules say a relative value is ignored, and a
//! relative one would follow the working folder.

use std::path::PathBuf;

/// An environment variable's value when it is an absolute path.
pub fn absolute(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// The home folder, from `$HOME`.
pub fn home() -> Option<PathBuf> {
    absolute("HOME")
}

/// `$XDG_DATA_HOME`, else `~/.local/share`.
pub fn data() -> Option<PathBuf> {
    absolute("XDG_DATA_HOME").or_else(|| home().map(|h| h.join(".local/share")))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`.
pub fn config() -> Option<PathBuf> {
    absolute("XDG_CONFIG_HOME").or_else(|| home().map(|h| h.join(".config")))
}

/// `$XDG_STATE_HOME`, else `~/.local/state`.
pub fn state() -> Option<PathBuf> {
    absolute("XDG_STATE_HOME").or_else(|| home().map(|h| h.join(".local/state")))
}

/// `$XDG_RUNTIME_DIR`, if set to an absolute path.
pub fn runtime() -> Option<PathBuf> {
    absolute("XDG_RUNTIME_DIR")
}
