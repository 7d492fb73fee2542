//! Getting vault bytes on and off the disk without ever losing them.
//!
//! A save writes a new file beside the vault, flushes it, and renames it over
//! the old one, then flushes the directory: a crash leaves the old vault or
//! the new one, never a mix. Writers take an exclusive lock on a companion
//! `.lock` file (the vault itself is replaced on every save, so it cannot
//! carry the lock) for the whole read-modify-write. What the vault was
//! before a save is kept by [`super::backups`].
//!
//! Nothing here blocks on a file that is not what it seems: a FIFO or a
//! device at a vault's path is refused, never opened for a blocking read.

use crate::error::{ErrorKind, Kinded};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;

/// Larger files are refused before they are read: 10,000 entries take
/// about 3 MiB.
pub const MAX_FILE_LEN: u64 = 64 * 1024 * 1024;

/// How long a writer waits for another to finish before giving up, unless
/// [`Settings`](super::Settings) says otherwise.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a file could not be read, written or locked. The messages name the
/// file; what the file *is* (a vault, a backup) the caller's error says.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{shown_path0} does not exist: check the path", shown_path0 = crate::terminal::ShownPath(.0))]
    Missing(PathBuf),
    #[error("{shown_path0} already exists: choose another path (or --force where offered)", shown_path0 = crate::terminal::ShownPath(.0))]
    Exists(PathBuf),
    #[error("{shown_path0} is over 64 MiB, far larger than any vault: check the path", shown_path0 = crate::terminal::ShownPath(.0))]
    TooLarge(PathBuf),
    #[error("{shown_path} is {kind}, not a file: check the path", shown_path = crate::terminal::ShownPath(.path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("the folder {shown_path0} does not exist: is the drive mounted? (otp creates no folder there)", shown_path0 = crate::terminal::ShownPath(.0))]
    NoFolder(PathBuf),
    #[error("the vault {shown_path0} is busy: another otp is changing it; try again when it has finished", shown_path0 = crate::terminal::ShownPath(.0))]
    Busy(PathBuf),
    #[error("could not {action} {shown_path}: {source}; check the path, its permissions and the free space", shown_path = crate::terminal::ShownPath(.path))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

pub(crate) fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The file a vault path names: symbolic links (say, into a synced folder)
/// are followed, so that saves replace the file they point to rather than
/// the link, also when that file does not exist yet.
pub fn resolve(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // As many hops as the kernel follows before it gives up (ELOOP).
    for _ in 0..40 {
        match fs::read_link(&path) {
            Ok(target) => path = parent_dir(&path).join(target),
            Err(_) => return path,
        }
    }
    path
}

/// What kind of thing a file type is, for a message; `None` for a regular
/// file.
pub(crate) fn not_a_file(file_type: fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_symlink() {
        Some("a symbolic link")
    } else if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_block_device() || file_type.is_char_device() {
        Some("a device")
    } else {
        Some("not a regular file")
    }
}

/// Opens `path` for reading without ever blocking: a FIFO opens at once
/// (non-blocking) and is then refused, as is anything but a regular file.
fn open_regular(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::Missing(path.to_path_buf()),
            _ => io_error("open", path)(e),
        })?;
    let meta = file.metadata().map_err(io_error("look at", path))?;
    check_regular(path, &meta)?;
    Ok(file)
}

/// A regular file no larger than the largest vault, by its metadata:
/// refused by its size before a byte is read, so that a 1 GB file in the
/// vault's folder costs nothing.
pub fn check_regular(path: &Path, meta: &fs::Metadata) -> Result<(), StoreError> {
    if let Some(kind) = not_a_file(meta.file_type()) {
        return Err(StoreError::NotAFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(StoreError::TooLarge(path.to_path_buf()));
    }
    Ok(())
}

/// Reads a whole vault file, refusing one larger than any real vault, and
/// anything that is not a regular file.
pub fn read(path: &Path) -> Result<Vec<u8>, StoreError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(StoreError::TooLarge(path.to_path_buf()));
    }
    Ok(bytes)
}

/// [`read`], or `None` where nothing is at `path`.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(StoreError::Missing(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist. Only a
/// vault's own folders are created this way; a backup or export goes into
/// a folder that must already be there.
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

pub(crate) fn parent_dir(path: &Path) -> &Path {
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

/// The named steps of a vault save at which a test can stop the process
/// (`OTP_FAILPOINT=<step>`), to prove that a crash there loses nothing.
/// Only debug builds have them; a release build never reads the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    AfterTempWrite,
    AfterFsync,
    AfterRename,
    BeforeDirFsync,
    DuringBackup,
    DuringPruning,
    /// An import has merged its accounts and is about to save.
    ImportMerged,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::AfterTempWrite => "after-temp-write",
            Step::AfterFsync => "after-fsync",
            Step::AfterRename => "after-rename",
            Step::BeforeDirFsync => "before-dir-fsync",
            Step::DuringBackup => "during-backup",
            Step::ImportMerged => "import-merged",
            Step::DuringPruning => "during-pruning",
        }
    }
}

/// Stops the process with SIGSTOP at `step` if a test asked for it, so
/// that the test can act (another writer's save) while otp is between two
/// steps, and then let it go on with SIGCONT. Inert in release builds.
pub(crate) fn pausepoint(step: Step) {
    if cfg!(debug_assertions) && std::env::var_os("OTP_FAILPOINT").is_some_and(|v| v == step.name())
    {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP);
    }
}

/// Stops the process with SIGKILL, as a crash or a power cut would, if a
/// test asked for it at `step`. Inert in release builds.
pub(crate) fn failpoint(step: Step) {
    if cfg!(debug_assertions) && std::env::var_os("OTP_FAILPOINT").is_some_and(|v| v == step.name())
    {
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
    }
}

/// Atomically replaces (or creates) `path` with `bytes`, mode 0600, in a
/// folder that must exist. With `overwrite` false an existing file is left
/// alone and reported.
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
    write_steps(path, bytes, overwrite, false, check)
}

/// A vault save (or restore): [`write_atomic`] with the save's [`Step`]s,
/// after deleting what a killed writer left, so that at most one temporary
/// file is ever beside the vault. The caller holds the vault's lock.
pub(crate) fn write_vault(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    remove_stale_temps(path);
    write_steps(path, bytes, true, true, |_| Ok::<(), StoreError>(()))
}

fn write_steps<E: From<StoreError>>(
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
    steps: bool,
    check: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let at = |step| {
        if steps {
            failpoint(step);
        }
    };
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(StoreError::NoFolder(dir.to_path_buf()).into());
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(io_error("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(io_error("write", tmp.path()))?;
    at(Step::AfterTempWrite);
    tmp.as_file()
        .sync_all()
        .map_err(io_error("flush", tmp.path()))?;
    at(Step::AfterFsync);
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
    at(Step::AfterRename);
    at(Step::BeforeDirFsync);
    sync_dir(dir)?;
    Ok(())
}

/// Flushes a directory, so that a rename or a new name in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
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
pub fn lock(vault: &Path, timeout: Duration) -> Result<Lock, StoreError> {
    ensure_private_dir(parent_dir(vault))?;
    let path = lock_path(vault);
    // Non-blocking, so that a FIFO planted at the lock's path is an error,
    // not a hang; and never through a link, which could make otp create or
    // lock a file elsewhere.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW).bits() as i32)
        .open(&path)
        .map_err(|e| match e.raw_os_error() {
            Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => StoreError::NotAFile {
                path: path.clone(),
                kind: "a symbolic link",
            },
            _ => io_error("open the lock file", &path)(e),
        })?;
    let meta = file.metadata().map_err(io_error("look at", &path))?;
    if let Some(kind) = not_a_file(meta.file_type()) {
        return Err(StoreError::NotAFile { path, kind });
    }
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Busy(vault.to_path_buf()));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error("lock", &path)(e)),
        }
    }
}

/// Deletes the temporary files a killed writer of `path` left behind (in
/// `path`'s folder, named by [`temp_prefix`]). Call only while holding the
/// lock, when no other writer can be mid-save.
pub(crate) fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(dir) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for item in dir.flatten() {
        let name = item.file_name();
        let name = name.to_string_lossy();
        // `.{name}.` and tempfile's six random characters: not the
        // temporary file of another file whose name begins like the
        // vault's (`otp backup v.otpvault.bak` in the same folder).
        let random = name
            .strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_suffix(".tmp"));
        if random.is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric())) {
            // Best effort: a leftover is encrypted and harmless.
            let _ = fs::remove_file(item.path());
        }
    }
}

impl Kinded for StoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Missing(_) => ErrorKind::NoVault,
            StoreError::Exists(_) => ErrorKind::Exists,
            StoreError::TooLarge(_) | StoreError::NotAFile { .. } => ErrorKind::Damaged,
            StoreError::NoFolder(_) => ErrorKind::Usage,
            StoreError::Busy(_) => ErrorKind::Busy,
            StoreError::Io { .. } => ErrorKind::Environment,
        }
    }
}

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

    #[test]
    fn a_dangling_link_resolves_to_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub").join("real.otpvault");
        let link = dir.path().join("link.otpvault");
        std::os::unix::fs::symlink("sub/real.otpvault", &link).unwrap();
        assert_eq!(resolve(&link), target);
        let plain = dir.path().join("plain");
        assert_eq!(resolve(&plain), plain);
    }

    #[test]
    fn fifos_and_folders_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        assert!(matches!(read(&fifo), Err(StoreError::NotAFile { .. })));
        assert!(matches!(read(dir.path()), Err(StoreError::NotAFile { .. })));
        assert!(matches!(
            write_atomic(&dir.path().join("no/such/folder"), b"x", false),
            Err(StoreError::NoFolder(_))
        ));
    }
}
