//! The vault never loses a secret: killed saves, concurrent writers, the
//! automatic backups and restoring them.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

fn random_below(n: u64) -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    u64::from_le_bytes(b) % n
}

#[test]
fn killed_saves_leave_the_old_or_the_new_vault() {
    let v = TestVault::new();
    let start = Instant::now();
    v.add("first", &key_for("first"));
    // Kill times spread over a whole add (start-up, unlock, save) and a
    // little past it, so that some adds finish.
    let span = (start.elapsed().as_micros() as u64 * 5 / 4).max(1);
    let mut committed = BTreeSet::from(["first".to_string()]);
    let mut killed = 0;
    for i in 0..60 {
        let name = format!("entry{i}");
        let mut cmd = v.command(&["add", &name]);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            let _ = stdin.write_all(key_for(&name).as_bytes());
        }
        std::thread::sleep(Duration::from_micros(random_below(span)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            committed.insert(name.clone());
        } else {
            killed += 1;
        }
        let now = v.names();
        assert!(
            committed.is_subset(&now),
            "lost entries after {name}: {committed:?} vs {now:?}"
        );
    }
    println!("{killed} of 60 adds were killed");
    // A later save cleans any temporary file a killed save left.
    v.add("last", &key_for("last"));
    let leftovers: Vec<_> = std::fs::read_dir(v.path.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_writers_all_land() {
    let v = TestVault::new();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = v.command(&["add", &format!("writer{i}")]);
            cmd.stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(key_for(&format!("writer{i}")).as_bytes())
                    .unwrap();
            }
            (format!("writer{i}"), child)
        })
        .collect();
    let mut succeeded = BTreeSet::new();
    for (name, child) in children {
        let out = child.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => {
                succeeded.insert(name);
            }
            Some(EXIT_BUSY) => {}
            other => panic!("{name}: exit {other:?}: {}", stderr(&out)),
        }
    }
    assert!(!succeeded.is_empty());
    assert!(
        succeeded.is_subset(&v.names()),
        "a reported success is missing"
    );
}

#[test]
fn each_change_keeps_the_previous_vault_up_to_n() {
    let v = TestVault::new();
    for i in 0..6 {
        let out = v.run(
            &["--keep-backups", "3", "add", &format!("e{i}")],
            Some(&key_for(&format!("e{i}"))),
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let kept = v.backups();
    assert_eq!(kept.len(), 3, "{kept:?}");
    // Newest first: the vault as it was before the last add (e0..e4).
    let out = v.run(
        &["--vault", kept[0].to_str().unwrap(), "list", "--json"],
        None,
    );
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 5);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&kept[0]).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn restore_puts_a_backup_back_and_keeps_the_damaged_vault() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    v.add("GitHub", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ");
    let code_before = v.code_at("Amazon", 59);
    // Damage the vault.
    let mut bytes = v.bytes();
    let n = bytes.len();
    bytes.truncate(n / 2);
    std::fs::write(&v.path, &bytes).unwrap();
    assert_eq!(code(&v.run(&["code", "Amazon"], None)), EXIT_DAMAGED);

    let newest = v.backups()[0].clone();
    let out = v.run(&["restore", newest.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    // The newest backup is the vault before GitHub was added.
    assert_eq!(v.names(), BTreeSet::from(["Amazon".to_string()]));
    assert_eq!(v.code_at("Amazon", 59), code_before);
    // The damaged file was kept, not destroyed.
    let kept = v.backups();
    assert_eq!(std::fs::read(&kept[0]).unwrap(), bytes);
}

#[test]
fn a_failed_change_leaves_no_backup_and_no_change() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let before = (v.bytes(), v.backups());
    let out = v.run(&["add", "amazon"], Some(&key_for("amazon")));
    assert!(!out.status.success());
    assert_eq!((v.bytes(), v.backups()), before);
}

#[test]
fn a_symlinked_vault_stays_a_link_to_the_saved_file() {
    let v = TestVault::new();
    let synced = v.dir.path().join("synced");
    std::fs::create_dir(&synced).unwrap();
    let target = synced.join("vault.otpvault");
    std::fs::rename(&v.path, &target).unwrap();
    std::os::unix::fs::symlink(&target, &v.path).unwrap();
    v.add("Amazon", &key_for("Amazon"));
    assert!(
        std::fs::symlink_metadata(&v.path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(v.names(), BTreeSet::from(["Amazon".to_string()]));
    let out = v.run(&["--vault", target.to_str().unwrap(), "list"], None);
    assert!(
        stdout(&out).contains("Amazon"),
        "the save must land in the linked file"
    );
    // Its backups are found through the link, and restore puts one back.
    let kept = v.backups();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with(synced.to_str().unwrap()), "{kept:?}");
    let out = v.run(&["restore", kept[0].to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(v.names().is_empty());
}

#[test]
fn restore_keeps_the_replaced_vault_and_deletes_no_backup_whatever_the_setting() {
    for keep in ["0", "1", "10000"] {
        let v = TestVault::new();
        for name in ["A", "B", "C"] {
            v.add(name, &key_for(name));
        }
        let before = v.backups();
        assert_eq!(before.len(), 3);
        let out = v.run(
            &[
                "--keep-backups",
                keep,
                "restore",
                before[2].to_str().unwrap(),
            ],
            None,
        );
        assert!(out.status.success(), "keep {keep}: {}", stderr(&out));
        assert!(
            v.names().is_empty(),
            "keep {keep}: the oldest backup is empty"
        );
        let after = v.backups();
        assert_eq!(after.len(), 4, "keep {keep}: {after:?}");
        assert_eq!(after[1..], before[..], "keep {keep}");
        let out = v.run(
            &["--vault", after[0].to_str().unwrap(), "list", "--json"],
            None,
        );
        let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(items.as_array().unwrap().len(), 3, "keep {keep}");
    }
}
