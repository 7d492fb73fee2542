//! The conflict copies that sync tools leave beside a vault when two
//! devices changed it at once, found by the names each tool gives them:
//!
//! - Syncthing: `vault.sync-conflict-20261125-140102-ABCDEFG.otpvault`
//!   (`<stem>.sync-conflict-<date>-<time>-<device>.<ext>`; older versions
//!   had no device part);
//! - Dropbox: `vault (Jane's conflicted copy 2026-11-25).otpvault`, and
//!   `vault (conflicted copy) (1).otpvault` from apps that write through its
//!   API; the tag is translated (`in Konflikt stehende Kopie`,
//!   `Copie en conflit`);
//! - Nextcloud and ownCloud: `vault (conflicted copy 2026-11-25 140102).otpvault`,
//!   with the user's name before the date on some servers, and before 2018
//!   `vault_conflict-20261125-140102.otpvault`.
//!
//! Tags can stack (a conflict of a conflict copy), so a name is read as the
//! vault's stem, one or more tags, then its extension. A bare `(1)` is not a
//! conflict copy: too many tools use it for other things.

use std::fs;
use std::path::{Path, PathBuf};

use super::store::{self, StoreError, io_error};

/// Everything named as a conflict copy of `vault` (a symbolic link is
/// followed to the file it names), sorted by name: files, and whatever a
/// sync tool never writes (links, folders, pipes), which [`check`]
/// refuses, so that nothing named like a copy is passed over without a
/// word.
pub fn find(vault: &Path) -> Vec<PathBuf> {
    let vault = store::resolve(vault);
    let Some(name) = vault.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let Ok(items) = fs::read_dir(store::parent_dir(&vault)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = items
        .flatten()
        .filter(|item| {
            item.file_name()
                .to_str()
                .is_some_and(|other| is_conflict_copy(other, name))
        })
        .map(|item| item.path())
        .collect();
    found.sort();
    found
}

/// Whether a conflict copy can be read as one: a regular file (not a
/// symbolic link: sync tools write files, and a link could point anywhere)
/// of at most the largest vault's size, judged without reading it.
pub fn check(copy: &Path) -> Result<(), StoreError> {
    let meta = fs::symlink_metadata(copy).map_err(io_error("look at", copy))?;
    if meta.file_type().is_symlink() {
        return Err(StoreError::NotAFile {
            path: copy.to_path_buf(),
            kind: "a symbolic link",
        });
    }
    store::check_regular(copy, &meta)
}

/// True if `candidate` is a sync tool's conflict copy of the file `name`.
pub fn is_conflict_copy(candidate: &str, name: &str) -> bool {
    let (stem, ext) = split_extension(name);
    let Some(middle) = candidate
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_suffix(ext))
    else {
        return false;
    };
    let mut rest = middle;
    let mut tags = 0;
    while !rest.is_empty() {
        if let Some(after) = syncthing_tag(rest)
            .or_else(|| paren_tag(rest))
            .or_else(|| old_nextcloud_tag(rest))
        {
            rest = after;
            tags += 1;
        } else if let Some(after) = counter(rest).filter(|_| tags > 0) {
            rest = after;
        } else {
            return false;
        }
    }
    tags > 0
}

/// `vault.otpvault` is `vault` and `.otpvault`; a name without a dot (or
/// only a leading one) has no extension, as the sync tools see it.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(0) | None => (name, ""),
        Some(i) => name.split_at(i),
    }
}

fn digits(s: &str, n: usize) -> Option<&str> {
    let (head, rest) = (s.get(..n)?, s.get(n..)?);
    head.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

/// `.sync-conflict-YYYYMMDD-HHMMSS` and an optional `-DEVICE` (up to 7
/// characters of base32).
fn syncthing_tag(s: &str) -> Option<&str> {
    let rest = s.strip_prefix(".sync-conflict-")?;
    let rest = digits(rest, 8)?.strip_prefix('-')?;
    let rest = digits(rest, 6)?;
    let Some(device) = rest.strip_prefix('-') else {
        return Some(rest);
    };
    let len = device
        .bytes()
        .take_while(|b| matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
        .count()
        .min(7);
    Some(&device[len..])
}

/// The words Dropbox, Nextcloud and ownCloud put in their ` (...)` tag.
const CONFLICT_WORDS: [&str; 5] = [
    "conflicted copy",
    "in Konflikt stehende Kopie",
    "Copie en conflit",
    "Copia conflictiva",
    "Konflikt",
];

/// ` (... conflicted copy ...)`: the tag of Dropbox and of today's
/// Nextcloud and ownCloud.
fn paren_tag(s: &str) -> Option<&str> {
    let inner = s.strip_prefix(" (")?;
    let end = inner.find(')')?;
    let (tag, rest) = (&inner[..end], &inner[end + 1..]);
    (!tag.contains('(') && CONFLICT_WORDS.iter().any(|w| tag.contains(w))).then_some(rest)
}

/// `_conflict-YYYYMMDD-HHMMSS` or `_conflict_USER-YYYYMMDD-HHMMSS`: the tag
/// of Nextcloud and ownCloud before 2018.
fn old_nextcloud_tag(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("_conflict")?;
    let rest = match rest.strip_prefix('-') {
        Some(rest) => rest,
        None => {
            let user = rest.strip_prefix('_')?;
            let dash = user.find('-')?;
            &user[dash + 1..]
        }
    };
    let rest = digits(rest, 8)?.strip_prefix('-')?;
    digits(rest, 6)
}

/// ` (N)`: a number a tool adds to tell copies apart.
fn counter(s: &str) -> Option<&str> {
    let inner = s.strip_prefix(" (")?;
    let end = inner.find(')')?;
    (end > 0 && inner[..end].bytes().all(|b| b.is_ascii_digit())).then_some(&inner[end + 1..])
}

/// Moves a conflict copy, once merged, into the vault's backups folder (it
/// is never deleted), under its own name, numbered if that is taken.
/// Returns where it went.
pub fn put_away(vault: &Path, copy: &Path) -> Result<PathBuf, StoreError> {
    let dir = super::backups::dir(vault);
    store::ensure_private_dir(&dir)?;
    let name = copy
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "conflict-copy".into());
    let mut target = dir.join(&name);
    let mut n = 2;
    while target.exists() {
        target = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    fs::rename(copy, &target).map_err(io_error("move", copy))?;
    store::sync_dir(&dir)?;
    store::sync_dir(store::parent_dir(copy))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "vault.otpvault";

    #[test]
    fn every_sync_tools_conflict_copy_is_recognised() {
        for name in [
            // Syncthing, today and before device ids.
            "vault.sync-conflict-20261125-140102-ABCDEFG.otpvault",
            "vault.sync-conflict-20161125-140102.otpvault",
            "vault.sync-conflict-20261125-140102-.otpvault",
            // Dropbox: a person's or a computer's name, or none; stacked.
            "vault (Jane Doe's conflicted copy 2026-11-25).otpvault",
            "vault (DESKTOP-ABC123's conflicted copy 2026-11-25).otpvault",
            "vault (Pierre’s MacBook Pro’s conflicted copy 2026-11-25).otpvault",
            "vault (conflicted copy).otpvault",
            "vault (conflicted copy) (1).otpvault",
            "vault (conflicted copy) (1) (Sam P's conflicted copy).otpvault",
            "vault (Com-PCs in Konflikt stehende Kopie 2016-06-20).otpvault",
            "vault (Copie en conflit de Jane 2026-11-25).otpvault",
            // Nextcloud and ownCloud, today and before 2018.
            "vault (conflicted copy 2026-11-25 140102).otpvault",
            "vault (conflicted copy Jane Doe 2026-11-25 140102).otpvault",
            "vault_conflict-20161125-140102.otpvault",
            "vault_conflict_jane-20161125-140102.otpvault",
            // A conflict of a conflict copy.
            "vault.sync-conflict-20261125-140102-ABCDEFG.sync-conflict-20261126-090000-QRSTUVW.otpvault",
        ] {
            assert!(is_conflict_copy(name, VAULT), "{name}");
        }
    }

    #[test]
    fn other_files_are_not_conflict_copies() {
        for name in [
            "vault.otpvault",
            "vault (1).otpvault",
            "vault.otpvault.lock",
            "vault.otpvault.backups",
            "other.sync-conflict-20261125-140102-ABCDEFG.otpvault",
            "vault.sync-conflict-2026112-140102.otpvault",
            "vault.sync-conflict-20261125-140102-ABCDEFG.txt",
            "vault (my notes).otpvault",
            "vault_conflict-2016-140102.otpvault",
            ".vault.otpvault.x1Y2z3.tmp",
        ] {
            assert!(!is_conflict_copy(name, VAULT), "{name}");
        }
        // Without an extension, as the tools name them too.
        assert!(is_conflict_copy(
            "vault.sync-conflict-20261125-140102-ABCDEFG",
            "vault"
        ));
        assert!(is_conflict_copy(
            "vault (conflicted copy 2026-11-25 140102)",
            "vault"
        ));
    }
}
