//! The automatic backups: what the vault was before each change, kept in
//! `<vault>.backups/` (the last ten by default), still encrypted, so that
//! no change is ever without a way back.
//!
//! A backup is added only once the new vault is durably in place, so a
//! save that fails (a full disk, a kill) adds none and deletes none. The
//! folder is otpvault's, but a person may put things in it: only files
//! that otpvault named (by its exact timestamp pattern) and that are
//! regular files beginning with the vault magic count as backups, and only
//! those are ever pruned. Symbolic links are never followed out of it.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::format::MAGIC;
use super::store::{self, Step, StoreError, failpoint, io_error};

/// How many automatic backups are kept unless configured otherwise.
pub const DEFAULT_KEEP: usize = 10;

/// The folder that holds the automatic backups of `vault`: beside the file
/// a symlinked vault points to.
pub fn dir(vault: &Path) -> PathBuf {
    let mut name = store::resolve(vault).into_os_string();
    name.push(".backups");
    PathBuf::from(name)
}

/// The automatic backups of `vault`, oldest first.
pub fn list(vault: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let dir = dir(vault);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error("list", &dir)(e)),
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|item| item.file_name().to_str().is_some_and(is_backup_name))
        .map(|item| item.path())
        .filter(|path| is_vault_file(path))
        .collect();
    // Names start with a UTC timestamp, so names sort by age.
    found.sort();
    Ok(found)
}

/// Keeps `previous`, the bytes the vault held before a save that has just
/// been made durable, as the newest backup, unless the newest already holds
/// the same (`same`, given the newest's bytes, says: the same content, under
/// another nonce), then deletes the oldest beyond `keep`.
pub fn keep(
    vault: &Path,
    previous: &[u8],
    keep: usize,
    same: impl Fn(&[u8]) -> bool,
) -> Result<(), StoreError> {
    if keep == 0 {
        return Ok(());
    }
    add(vault, previous, same)?;
    prune(vault, keep)
}

/// Keeps `previous` as the newest backup, unless the newest is the `same`,
/// and deletes none (for a restore, which must be undoable whatever the
/// setting).
pub fn add(vault: &Path, previous: &[u8], same: impl Fn(&[u8]) -> bool) -> Result<(), StoreError> {
    let dir = dir(vault);
    ensure_real_dir(&dir)?;
    let existing = list(vault)?;
    if let Some(newest) = existing.last()
        && store::read(newest).is_ok_and(|bytes| bytes == previous || same(&bytes))
    {
        return Ok(());
    }
    let stamp = stamp(OffsetDateTime::now_utc());
    // Two saves within one nanosecond's tick: number the later ones.
    let mut target = dir.join(format!("{stamp}.otpvault"));
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{stamp}-{n}.otpvault"));
        n += 1;
    }
    remove_stale_temps(&dir);
    failpoint(Step::DuringBackup);
    store::write_atomic(&target, previous, false)
}

/// Deletes the oldest backups beyond the newest `keep`. Only otpvault's own
/// backups are counted or deleted; a file that cannot be deleted is left.
fn prune(vault: &Path, keep: usize) -> Result<(), StoreError> {
    let all = list(vault)?;
    for old in &all[..all.len().saturating_sub(keep)] {
        failpoint(Step::DuringPruning);
        fs::remove_file(old).map_err(io_error("remove the old backup", old))?;
    }
    Ok(())
}

/// Deletes what a backup write killed midway left: temporary files named
/// `.<backup name>.<random>.tmp`. Call only while holding the vault's lock.
fn remove_stale_temps(dir: &Path) {
    let Ok(items) = fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        let name = item.file_name();
        let is_ours = name
            .to_str()
            .and_then(|n| n.strip_prefix('.')?.strip_suffix(".tmp")?.rsplit_once('.'))
            .is_some_and(|(backup, _random)| is_backup_name(backup));
        if is_ours && item.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(item.path());
        }
    }
}

/// Creates the backups folder (mode 0700) if missing; refuses one that is
/// a symbolic link or not a folder, so that nothing is written or deleted
/// anywhere else.
fn ensure_real_dir(dir: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_dir() => Ok(()),
        Ok(meta) => Err(StoreError::NotAFile {
            path: dir.to_path_buf(),
            kind: if meta.file_type().is_symlink() {
                "a symbolic link (backups go only into a real folder)"
            } else {
                "not a folder"
            },
        }),
        Err(_) => store::ensure_private_dir(dir),
    }
}

/// True for a name otpvault gives a backup:
/// `2026-11-25T01-36-12.123456789Z.otpvault`, optionally with `-N` before
/// the extension.
fn is_backup_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".otpvault") else {
        return false;
    };
    let (stamp, number) = match stem.get(STAMP_LEN..) {
        Some("") => (stem, None),
        Some(rest) => (&stem[..STAMP_LEN], rest.strip_prefix('-').or(Some("x"))),
        None => return false,
    };
    let shape = stamp
        .bytes()
        .zip(STAMP_SHAPE.bytes())
        .all(|(c, s)| match s {
            b'9' => c.is_ascii_digit(),
            other => c == other,
        });
    shape
        && stamp.len() == STAMP_LEN
        && number.is_none_or(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// True if `path` is a regular file (not followed if a link) that begins
/// with the vault magic.
fn is_vault_file(path: &Path) -> bool {
    let regular = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    let mut head = [0u8; 8];
    regular
        && File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
        && &head == MAGIC
}

/// `2026-11-25T01-36-12.123456789Z`: sortable, and valid in file names on
/// every system.
fn stamp(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:09}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}
const STAMP_SHAPE: &str = "9999-99-99T99-99-99.999999999Z";
const STAMP_LEN: usize = STAMP_SHAPE.len();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_otpvaults_own_names_are_backups() {
        for name in [
            "2026-11-25T01-36-12.123456789Z.otpvault",
            "2026-11-25T01-36-12.123456789Z-3.otpvault",
        ] {
            assert!(is_backup_name(name), "{name}");
        }
        for name in [
            "my-vault.otpvault",
            "2026-11-25T01-36-12.123456789Z.otpvault.txt",
            "2026-11-25T01-36-12.123456789Z-.otpvault",
            "2026-11-25T01-36-12.123456789Z-a.otpvault",
            "2026-11-25T01-36-12.123456789Zx.otpvault",
            "2026-11-25 01-36-12.123456789Z.otpvault",
            ".2026-11-25T01-36-12.123456789Z.otpvault.ab12.tmp",
        ] {
            assert!(!is_backup_name(name), "{name}");
        }
    }
}
