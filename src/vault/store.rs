//! Getting vault bytes on and off the disk without ever losing them.
//!
//! A save writes a new file beside the vault, flushes it, and renames it over
//! the old one, then flushes the directory: a crash leaves the old vault or
//! the new one, never a mix. Writers take an exclusive lock on a companion
//! `.lock` file (the vault itself is replaced on every save, so it cannot
//! carry the lock) for the whole read-modify-write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::VaultError;
use super::format::MAX_FILE_LEN;

/// How long a writer waits for another to finish before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> VaultError + 'a {
    move |source| VaultError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a whole vault file, refusing one larger than any real vault.
pub fn read(path: &Path) -> Result<Vec<u8>, VaultError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => VaultError::NotFound(path.to_path_buf()),
        _ => io_error("open", path)(e),
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(VaultError::TooLarge(path.to_path_buf()));
    }
    Ok(bytes)
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist.
pub fn ensure_private_dir(dir: &Path) -> Result<(), VaultError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error("create the directory", dir))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Atomically replaces (or creates) `path` with `bytes`, mode 0600.
/// With `overwrite` false an existing file is left alone and reported.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), VaultError> {
    let dir = parent_dir(path);
    ensure_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".otpvault-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io_error("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(io_error("write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_error("flush", tmp.path()))?;
    if overwrite {
        tmp.persist(path)
            .map_err(|e| io_error("replace", path)(e.error))?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| match e.error.kind() {
                io::ErrorKind::AlreadyExists => VaultError::AlreadyExists(path.to_path_buf()),
                _ => io_error("create", path)(e.error),
            })?;
    }
    // The rename is durable only once the directory entry is on disk.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("flush the directory", dir))
}

/// An exclusive writer's lock, released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// The lock file that guards `vault`.
pub fn lock_path(vault: &Path) -> PathBuf {
    let mut name = vault.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the writer's lock for `vault`, waiting up to `timeout`.
pub fn lock(vault: &Path, timeout: Duration) -> Result<Lock, VaultError> {
    ensure_private_dir(parent_dir(vault))?;
    let path = lock_path(vault);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io_error("open the lock file", &path))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(VaultError::Busy(vault.to_path_buf()));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", &path)(e)),
        }
    }
}
