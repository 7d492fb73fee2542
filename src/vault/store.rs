//! Getting vault bytes on and off the disk without ever losing them.
//!
//! A save writes a new file beside the vault, flushes it, and renames it over
//! the old one, then flushes the directory: a crash leaves the old vault or
//! the new one, never a mix. Writers take an exclusive lock on a companion
//! `.lock` file (the vault itself is replaced on every save, so it cannot
//! carry the lock) for the whole read-modify-write. Before a save replaces
//! the vault, the old file is kept in `<vault>.backups/` (the last ten by
//! default), still encrypted, so that no change is ever without a way back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;
use time::OffsetDateTime;

/// Larger files are refused before they are read: 10,000 entries take
/// about 3 MiB.
pub const MAX_FILE_LEN: u64 = 64 * 1024 * 1024;

/// How long a writer waits for another to finish before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a file could not be read, written or locked. The messages name the
/// file; what the file *is* (a vault, a backup) the caller's error says.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} does not exist: check the path")]
    Missing(PathBuf),
    #[error("{0} already exists: choose another path (or --force where offered)")]
    Exists(PathBuf),
    #[error("{0} is over 64 MiB, far larger than any vault: check the path")]
    TooLarge(PathBuf),
    #[error("the vault {0} is busy: another otp is changing it; try again when it has finished")]
    Busy(PathBuf),
    #[error(
        "could not {action} {path}: {source}; check the path, its permissions and the free space"
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The file a vault path names: a symbolic link (say, into a synced
/// folder) is followed, so that saves replace the file it points to rather
/// than the link.
pub fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Reads a whole vault file, refusing one larger than any real vault.
pub fn read(path: &Path) -> Result<Vec<u8>, StoreError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => StoreError::Missing(path.to_path_buf()),
        _ => io_error("open", path)(e),
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(StoreError::TooLarge(path.to_path_buf()));
    }
    Ok(bytes)
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist.
pub fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
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

/// Temporary files for `path` are named `.<file name>.<random>.tmp`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!(".{name}.")
}

/// Atomically replaces (or creates) `path` with `bytes`, mode 0600.
/// With `overwrite` false an existing file is left alone and reported.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), StoreError> {
    write_checked(path, bytes, overwrite, |_| Ok::<(), StoreError>(()))
}

/// [`write_atomic`], with `check` run on the written and flushed temporary
/// file before it takes `path`'s place: a copy that fails the check never
/// replaces anything, and is deleted.
pub fn write_checked<E: From<StoreError>>(
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
    check: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let dir = parent_dir(path);
    ensure_private_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io_error("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(io_error("write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_error("flush", tmp.path()))?;
    check(tmp.path())?;
    if overwrite {
        tmp.persist(path)
            .map_err(|e| io_error("replace", path)(e.error))?;
    } else {
        tmp.persist_noclobber(path)
            .map_err(|e| match e.error.kind() {
                io::ErrorKind::AlreadyExists => StoreError::Exists(path.to_path_buf()),
                _ => io_error("create", path)(e.error),
            })?;
    }
    // The rename is durable only once the directory entry is on disk.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("flush the directory", dir))?;
    Ok(())
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
pub fn lock(vault: &Path, timeout: Duration) -> Result<Lock, StoreError> {
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
                return Err(StoreError::Busy(vault.to_path_buf()));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", &path)(e)),
        }
    }
}

/// Deletes temporary files a killed writer of `path` left behind. Call only
/// while holding the lock, when no other writer can be mid-save.
pub fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(dir) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for item in dir.flatten() {
        let name = item.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            // Best effort: a leftover is encrypted and harmless.
            let _ = fs::remove_file(item.path());
        }
    }
}

/// How many automatic backups are kept unless configured otherwise.
pub const DEFAULT_KEEP_BACKUPS: usize = 10;

/// The folder that holds the automatic backups of `vault`.
/// Backups sit beside the file a symlinked vault points to.
pub fn backups_dir(vault: &Path) -> PathBuf {
    let mut name = resolve(vault).into_os_string();
    name.push(".backups");
    PathBuf::from(name)
}

/// The automatic backups of `vault`, oldest first.
pub fn list_backups(vault: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let dir = backups_dir(vault);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("list", &dir)(e)),
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "otpvault"))
        .collect();
    // Names start with a UTC timestamp, so names sort by age.
    found.sort();
    Ok(found)
}

/// Keeps the file now at `vault` as its newest automatic backup, and
/// returns where. A hard link keeps the old file without copying it (the
/// save's rename then only moves the vault's name); where links are not
/// possible the bytes are copied. Nothing to do for a vault not yet on disk.
pub fn keep_previous(vault: &Path) -> Result<Option<PathBuf>, StoreError> {
    if !vault.exists() {
        return Ok(None);
    }
    let dir = backups_dir(vault);
    ensure_private_dir(&dir)?;
    let stamp = OffsetDateTime::now_utc()
        .format(BACKUP_STAMP)
        .unwrap_or_else(|_| "backup".into());
    let mut target = dir.join(format!("{stamp}.otpvault"));
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{stamp}-{n}.otpvault"));
        n += 1;
    }
    if fs::hard_link(vault, &target).is_err() {
        let bytes = read(vault)?;
        write_atomic(&target, &bytes, false)?;
    }
    Ok(Some(target))
}

/// Deletes the oldest automatic backups of `vault` beyond the newest `keep`.
pub fn prune_backups(vault: &Path, keep: usize) -> Result<(), StoreError> {
    let all = list_backups(vault)?;
    for old in &all[..all.len().saturating_sub(keep)] {
        fs::remove_file(old).map_err(io_error("remove the old backup", old))?;
    }
    Ok(())
}

/// `2026-11-25T01-36-12.123456789Z`: sortable, and valid in file names on
/// every system.
const BACKUP_STAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]-[minute]-[second].[subsecond digits:9]Z"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_that_fails_its_check_replaces_nothing_and_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.otpvault");
        write_atomic(&path, b"the good old backup", false).unwrap();
        let result = write_checked(&path, b"a bad new one", true, |written| {
            assert_eq!(fs::read(written).unwrap(), b"a bad new one");
            Err(StoreError::Missing(path.clone()))
        });
        assert!(matches!(result, Err(StoreError::Missing(_))));
        assert_eq!(fs::read(&path).unwrap(), b"the good old backup");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        write_checked(&path, b"a good new one", true, |_| Ok::<(), StoreError>(())).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"a good new one");
    }
}
