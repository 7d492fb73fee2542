//! Where an agent listens, and who may talk to it: one socket a vault, in a
//! folder only the user can enter, answering only peers of the same uid.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use super::error::AgentError;
use crate::config::base;
use crate::vault::store;

/// Where the agents' sockets are, by the XDG base directory rules, in a
/// place no other user can take: `$XDG_RUNTIME_DIR/otpvault` when that is
/// an absolute path (a relative one is ignored, as the rules say); else
/// `/run/user/UID/otpvault` when that folder is the user's; else
/// `$XDG_STATE_HOME/otpvault/agents` (by default
/// `~/.local/state/otpvault/agents`), inside the home folder, which other
/// users cannot write. Never the shared temporary folder: another user
/// could put a folder or a socket of theirs at any name there.
pub fn socket_folder() -> Result<PathBuf, AgentError> {
    let uid = rustix::process::getuid().as_raw();
    if let Some(runtime) = base::runtime() {
        return Ok(runtime.join("otpvault"));
    }
    let run = PathBuf::from(format!("/run/user/{uid}"));
    if fs::symlink_metadata(&run).is_ok_and(|m| m.is_dir() && m.uid() == uid) {
        return Ok(run.join("otpvault"));
    }
    let state = base::state().ok_or(AgentError::NoHome)?;
    Ok(state.join("otpvault").join("agents"))
}

/// The folder that holds the agents' sockets ([`socket_folder`]), created
/// (mode 0700, parents too) if missing and `create` (an agent starting; a
/// client only looks, and a missing folder means no agent), and refused
/// if another user owns it or others can enter it.
pub fn socket_dir(create: bool) -> Result<PathBuf, AgentError> {
    let uid = rustix::process::getuid().as_raw();
    let dir = socket_folder()?;
    match fs::symlink_metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .mode(0o700)
                .recursive(true)
                .create(&dir)
                .map_err(|source| AgentError::Io {
                    action: "create",
                    path: dir.clone(),
                    source,
                })?;
        }
        Err(source) => {
            return Err(AgentError::Io {
                action: "look at",
                path: dir,
                source,
            });
        }
        Ok(_) => {}
    }
    check_dir(&dir, uid)?;
    Ok(dir)
}

/// Refuses a socket folder that is not a real folder of `uid`'s alone.
pub fn check_dir(dir: &Path, uid: u32) -> Result<(), AgentError> {
    let meta = fs::symlink_metadata(dir).map_err(|source| AgentError::Io {
        action: "look at",
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.file_type().is_dir() {
        return Err(AgentError::NotAFolder(dir.to_path_buf()));
    }
    if meta.uid() != uid {
        return Err(AgentError::FolderOwner {
            path: dir.to_path_buf(),
            owner: meta.uid(),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AgentError::FolderMode {
            path: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// The socket of the agent for `vault`: one a vault, named by a hash of
/// the vault's canonical path (short enough for a socket address). With
/// `create`, its folder is made if missing.
pub fn socket_path(vault: &Path, create: bool) -> Result<PathBuf, AgentError> {
    let canonical = canonical(vault);
    let hash = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    Ok(socket_dir(create)?.join(format!("{}.sock", HEXLOWER.encode(&hash[..12]))))
}

/// The vault's path as the agent knows it: symbolic links followed, made
/// absolute.
pub fn canonical(vault: &Path) -> PathBuf {
    let resolved = store::resolve(vault);
    fs::canonicalize(&resolved).unwrap_or(resolved)
}

/// True if the peer on `stream` runs as this process's user.
pub fn peer_is_us(stream: &UnixStream) -> bool {
    rustix::net::sockopt::socket_peercred(stream)
        .is_ok_and(|cred| cred.uid == rustix::process::getuid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_check_sees_this_user() {
        let (a, _b) = UnixStream::pair().unwrap();
        assert!(peer_is_us(&a));
    }

    #[test]
    fn a_folder_others_can_enter_or_own_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let uid = rustix::process::getuid().as_raw();
        let sockets = dir.path().join("otpvault");
        fs::DirBuilder::new().mode(0o700).create(&sockets).unwrap();
        assert!(check_dir(&sockets, uid).is_ok());
        fs::set_permissions(&sockets, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(matches!(
            check_dir(&sockets, uid),
            Err(AgentError::FolderMode { .. })
        ));
        fs::set_permissions(&sockets, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(
            check_dir(&sockets, uid + 1),
            Err(AgentError::FolderOwner { .. })
        ));
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        assert!(matches!(
            check_dir(&file, uid),
            Err(AgentError::NotAFolder(_))
        ));
    }
}
