//! The native-messaging host manifest: the small JSON file, in a folder
//! each browser reads, that names the host (this `otp`, by its absolute
//! path), how it talks (`stdio`), and the one extension that may start it.
//! Only the user's own manifests are written: nothing system-wide.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::base;
use crate::error::{ErrorKind, Kinded};
use crate::terminal::ShownPath;

/// The host's name, as the extension asks for it.
pub const HOST_NAME: &str = "org.otpvault.otp";

/// The extension's id in Chromium-family browsers, fixed by the public
/// `key` in browser/extension/manifest.json (its SHA-256, first 32 hex
/// digits, written with the letters a–p).
pub const EXTENSION_ID: &str = "gnkkecabdljdapcoibmoahnphkhimbbm";

/// The extension's id in Firefox (`browser_specific_settings`).
pub const FIREFOX_ID: &str = "otp@otpvault.org";

/// A browser whose manifest otp writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Chrome,
    Brave,
    Edge,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 5] = [
        Browser::Chromium,
        Browser::Chrome,
        Browser::Brave,
        Browser::Edge,
        Browser::Firefox,
    ];

    /// The name `--browser` takes.
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chromium => "chromium",
            Browser::Chrome => "chrome",
            Browser::Brave => "brave",
            Browser::Edge => "edge",
            Browser::Firefox => "firefox",
        }
    }

    pub fn from_name(name: &str) -> Option<Browser> {
        Browser::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The folder the browser reads the user's host manifests from.
    pub fn folder(self) -> Option<PathBuf> {
        let home = base::home()?;
        let config = base::config()?;
        Some(if cfg!(target_os = "macos") {
            let support = home.join("Library/Application Support");
            match self {
                Browser::Chromium => support.join("Chromium/NativeMessagingHosts"),
                Browser::Chrome => support.join("Google/Chrome/NativeMessagingHosts"),
                Browser::Brave => support.join("BraveSoftware/Brave-Browser/NativeMessagingHosts"),
                Browser::Edge => support.join("Microsoft Edge/NativeMessagingHosts"),
                Browser::Firefox => support.join("Mozilla/NativeMessagingHosts"),
            }
        } else {
            match self {
                Browser::Chromium => config.join("chromium/NativeMessagingHosts"),
                Browser::Chrome => config.join("google-chrome/NativeMessagingHosts"),
                Browser::Brave => config.join("BraveSoftware/Brave-Browser/NativeMessagingHosts"),
                Browser::Edge => config.join("microsoft-edge/NativeMessagingHosts"),
                // Firefox reads ~/.mozilla whatever XDG_CONFIG_HOME says.
                Browser::Firefox => home.join(".mozilla/native-messaging-hosts"),
            }
        })
    }

    /// Where the manifest goes.
    pub fn manifest_path(self) -> Option<PathBuf> {
        self.folder()
            .map(|folder| folder.join(format!("{HOST_NAME}.json")))
    }
}

/// The manifest, as the browsers read it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_extensions: Vec<String>,
}

impl Manifest {
    /// The manifest for `browser` with `otp` as the host.
    pub fn new(browser: Browser, otp: &Path) -> Manifest {
        let (allowed_origins, allowed_extensions) = match browser {
            Browser::Firefox => (Vec::new(), vec![FIREFOX_ID.to_string()]),
            _ => (
                vec![format!("chrome-extension://{EXTENSION_ID}/")],
                Vec::new(),
            ),
        };
        Manifest {
            name: HOST_NAME.into(),
            description: "otpvault: one-time codes, filled only on their own site".into(),
            path: otp.to_path_buf(),
            kind: "stdio".into(),
            allowed_origins,
            allowed_extensions,
        }
    }
}

/// Why a manifest could not be written, read or removed.
#[derive(Debug, Error)]
pub enum InstallError {
    #[error("HOME is not set to an absolute path: otp cannot tell where the browser looks")]
    NoHome,
    #[error("otp cannot tell where its own program is ({0}): run it by its full path")]
    Unlocated(io::Error),
    #[error("the host must be an absolute path to otp, not {}", ShownPath(.0))]
    NotAbsolute(PathBuf),
    #[error("{} is a link: remove it, then run `otp browser install` again", ShownPath(.0))]
    Link(PathBuf),
    #[error("could not write {}: {source}", ShownPath(.path))]
    Write { path: PathBuf, source: io::Error },
    #[error("could not remove {}: {source}", ShownPath(.path))]
    Remove { path: PathBuf, source: io::Error },
}

impl Kinded for InstallError {
    fn kind(&self) -> ErrorKind {
        match self {
            InstallError::NoHome | InstallError::NotAbsolute(_) | InstallError::Link(_) => {
                ErrorKind::Usage
            }
            InstallError::Write { .. }
            | InstallError::Remove { .. }
            | InstallError::Unlocated(_) => ErrorKind::Environment,
        }
    }
}

/// Writes `browser`'s manifest naming `otp` as the host, replacing one
/// there; returns where.
pub fn install(browser: Browser, otp: &Path) -> Result<PathBuf, InstallError> {
    if !otp.is_absolute() {
        return Err(InstallError::NotAbsolute(otp.to_path_buf()));
    }
    let path = browser.manifest_path().ok_or(InstallError::NoHome)?;
    refuse_link(&path)?;
    let write = |source| InstallError::Write {
        path: path.clone(),
        source,
    };
    let folder = path
        .parent()
        .ok_or_else(|| write(io::ErrorKind::NotFound.into()))?;
    std::fs::create_dir_all(folder).map_err(write)?;
    let mut json = serde_json::to_vec_pretty(&Manifest::new(browser, otp))
        .map_err(|e| write(io::Error::other(e)))?;
    json.push(b'\n');
    // Written beside and renamed into place: a browser never reads half.
    let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(write)?;
    io::Write::write_all(&mut temp, &json).map_err(write)?;
    temp.persist(&path).map_err(|e| write(e.error))?;
    Ok(path)
}

/// Removes `browser`'s manifest; returns where it was, if it was there.
pub fn uninstall(browser: Browser) -> Result<Option<PathBuf>, InstallError> {
    let path = browser.manifest_path().ok_or(InstallError::NoHome)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError::Remove { path, source }),
    }
}

fn refuse_link(path: &Path) -> Result<(), InstallError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(InstallError::Link(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// What a browser's folder holds for otp.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    /// No manifest.
    Missing,
    /// A manifest naming `otp` (this one, if `current`) for the extension;
    /// `exists` says whether that program is there.
    Installed {
        otp: PathBuf,
        current: bool,
        exists: bool,
    },
    /// A file otp cannot use as its manifest.
    Unusable(Unusable),
}

/// Why a file where the manifest belongs cannot be used.
#[derive(Debug, Error)]
pub enum Unusable {
    #[error("it cannot be read: {0}")]
    Unreadable(io::Error),
    #[error("it is not a host manifest: {0}")]
    NotAManifest(serde_json::Error),
    #[error("it names another host or extension")]
    NotOurs,
}

impl PartialEq for Unusable {
    fn eq(&self, other: &Unusable) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl Eq for Unusable {}

/// What each browser's folder holds, with this `otp` to compare.
pub fn status(this: &Path) -> Result<Vec<(Browser, PathBuf, State)>, InstallError> {
    Browser::ALL
        .into_iter()
        .map(|browser| {
            let path = browser.manifest_path().ok_or(InstallError::NoHome)?;
            let state = match std::fs::read(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => State::Missing,
                Err(e) => State::Unusable(Unusable::Unreadable(e)),
                Ok(bytes) => match serde_json::from_slice::<Manifest>(&bytes) {
                    Ok(manifest) if manifest == Manifest::new(browser, &manifest.path) => {
                        State::Installed {
                            current: manifest.path == this,
                            exists: manifest.path.is_file(),
                            otp: manifest.path,
                        }
                    }
                    Ok(_) => State::Unusable(Unusable::NotOurs),
                    Err(e) => State::Unusable(Unusable::NotAManifest(e)),
                },
            };
            Ok((browser, path, state))
        })
        .collect()
}

/// Whether this process was started by a browser as the host: Chromium's
/// browsers pass the extension's origin (and, on Windows, a parent window),
/// Firefox the manifest's path and the extension's id. The manifest can
/// name only a program, not its arguments, so `otp` itself must know. Only
/// those exact forms: anything else is an ordinary command line.
pub fn started_by_browser(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let origin = format!("chrome-extension://{EXTENSION_ID}/");
    let manifest = format!("{HOST_NAME}.json");
    match args.as_slice() {
        [first] => *first == origin,
        [first, second] => {
            (*first == origin && second.starts_with("--parent-window="))
                || (*second == FIREFOX_ID
                    && Path::new(first)
                        .file_name()
                        .is_some_and(|n| *n == *manifest))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_s_calls_are_told_from_a_person_s() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert!(started_by_browser(&args(&[
            "otp",
            "chrome-extension://gnkkecabdljdapcoibmoahnphkhimbbm/"
        ])));
        assert!(started_by_browser(&args(&[
            "otp",
            "/home/u/.mozilla/native-messaging-hosts/org.otpvault.otp.json",
            "otp@otpvault.org"
        ])));
        assert!(!started_by_browser(&args(&[
            "otp",
            "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
        ])));
        assert!(!started_by_browser(&args(&["otp", "code", "amazon"])));
        assert!(!started_by_browser(&args(&[
            "otp",
            "/tmp/anything.json",
            "otp@otpvault.org"
        ])));
        assert!(!started_by_browser(&args(&[
            "otp",
            "chrome-extension://gnkkecabdljdapcoibmoahnphkhimbbm/",
            "code"
        ])));
        assert!(!started_by_browser(&args(&["otp"])));
    }
}
