//! Format 3: the vault travels whole. Each test is one way 0.2 failed
//! people at the seam between merging and something else (keys, fields,
//! another vault, the removal horizon, conflict copies, older formats),
//! driven through the `otp` binary.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// The name Syncthing gives a conflict copy of `test.otpvault`.
fn conflict_copy(v: &TestVault, device: &str) -> PathBuf {
    v.path.parent().unwrap().join(format!(
        "test.sync-conflict-20261125-140102-{device}.otpvault"
    ))
}

/// `otp` on the vault with `passphrase` as the one it opens with.
fn with(v: &TestVault, passphrase: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = v.command(args);
    cmd.env("OTP_PASSPHRASE", passphrase);
    run_with_stdin(cmd, None)
}

/// The other device: a copy of the vault, changed on its own (as the
/// conflict copy a sync tool leaves), through `--vault`.
fn on_copy(
    copy: &Path,
    passphrase: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", copy)
        .env("OTP_PASSPHRASE", passphrase)
        .args(args);
    run_with_stdin(cmd, stdin)
}

const NEW: &str = "a new passphrase set on the desktop";

#[test]
fn a_passphrase_changed_on_the_other_copy_opens_the_merge() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let copy = conflict_copy(&v, "DESKTOP");
    std::fs::copy(&v.path, &copy).unwrap();
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", &copy)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_NEW_PASSPHRASE", NEW)
        .arg("passwd");
    ok(run_with_stdin(cmd, None));
    v.add("Laptop", &key_for("Laptop"));
    let mut cmd = v.command(&["merge", "--conflicts"]);
    cmd.env("OTP_MERGE_PASSPHRASE", NEW);
    let said = ok(run_with_stdin(cmd, None));
    assert!(
        said.contains("the passphrase was changed on another copy"),
        "{said}"
    );
    assert_eq!(
        code(&with(&v, PASSPHRASE, &["list"])),
        EXIT_WRONG_PASSPHRASE
    );
    let out = with(&v, NEW, &["list"]);
    assert!(
        stdout(&out).contains("Laptop") && stdout(&out).contains("Amazon"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_recovery_key_made_on_the_other_copy_opens_the_merge() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let copy = conflict_copy(&v, "DESKTOP");
    std::fs::copy(&v.path, &copy).unwrap();
    let out = on_copy(&copy, PASSPHRASE, &["recovery-key"], None);
    let key = stdout(&out).trim().to_string();
    ok(out);
    v.add("Laptop", &key_for("Laptop"));
    ok(v.run(&["merge", "--conflicts"], None));
    let mut cmd = v.command(&["recover"]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env("OTP_RECOVERY_KEY", &key)
        .env("OTP_NEW_PASSPHRASE", NEW);
    ok(run_with_stdin(cmd, None));
    assert!(stdout(&with(&v, NEW, &["list"])).contains("Laptop"));
}

#[test]
fn a_recovery_key_removed_on_the_other_copy_stays_removed() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let out = v.run(&["recovery-key"], None);
    let key = stdout(&out).trim().to_string();
    ok(out);
    let copy = conflict_copy(&v, "DESKTOP");
    std::fs::copy(&v.path, &copy).unwrap();
    ok(on_copy(
        &copy,
        PASSPHRASE,
        &["recovery-key", "--remove"],
        None,
    ));
    // The laptop changes its passphrase after the removal, which must not
    // bring the removed key back either.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut cmd = v.command(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", NEW);
    ok(run_with_stdin(cmd, None));
    let mut cmd = v.command(&["merge", "--conflicts"]);
    cmd.env("OTP_PASSPHRASE", NEW);
    let said = ok(run_with_stdin(cmd, None));
    assert!(said.contains("recovery key was removed"), "{said}");
    let mut cmd = v.command(&["recover"]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env("OTP_RECOVERY_KEY", &key)
        .env("OTP_NEW_PASSPHRASE", "yet another passphrase");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
    // And the later passphrase is the laptop's, which was changed last.
    assert!(with(&v, NEW, &["list"]).status.success());
}

#[test]
fn a_rename_and_a_later_site_edit_on_two_copies_both_arrive() {
    let v = TestVault::new();
    v.add("GitHub", &key_for("GitHub"));
    let copy = conflict_copy(&v, "DESKTOP");
    std::fs::copy(&v.path, &copy).unwrap();
    ok(v.run(&["rename", "GitHub", "GitHub work"], None));
    std::thread::sleep(std::time::Duration::from_millis(20));
    ok(on_copy(
        &copy,
        PASSPHRASE,
        &["edit", "GitHub", "--site", "github.com"],
        None,
    ));
    // The desktop's copy, as it was, to merge the other way round after.
    let desktop = v.dir.path().join("desktop.otpvault");
    std::fs::copy(&copy, &desktop).unwrap();
    let said = ok(v.run(&["merge", "--conflicts"], None));
    assert!(said.contains("0 renamed, 1 updated"), "{said}");
    let entry = |path: &Path| {
        let mut cmd = otp_command();
        cmd.env("OTP_VAULT", path)
            .env("OTP_PASSPHRASE", PASSPHRASE)
            .args(["list", "--json"]);
        let out = run_with_stdin(cmd, None);
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list[0].clone()
    };
    let merged = entry(&v.path);
    assert_eq!(merged["name"], "GitHub work", "the rename stays");
    assert_eq!(
        merged["sites"][0], "github.com",
        "the later site edit arrives"
    );
    // Merged the other way round: the same entry, and the rename is said.
    let said = ok(on_copy(
        &desktop,
        PASSPHRASE,
        &["merge", v.path.to_str().unwrap()],
        None,
    ));
    assert!(
        said.contains("1 renamed (GitHub → GitHub work), 0 updated"),
        "{said}"
    );
    let other = entry(&desktop);
    assert_eq!(
        (other["name"].clone(), other["sites"].clone()),
        (merged["name"].clone(), merged["sites"].clone())
    );
}

/// `otp` at a fixed wall-clock time (faketime's library, so that no
/// detached helper is involved).
fn at(v: &TestVault, when: &str, args: &[&str]) -> std::process::Output {
    let lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    let mut cmd = v.command(args);
    cmd.env("LD_PRELOAD", lib).env("FAKETIME", when);
    run_with_stdin(cmd, None)
}

#[test]
fn a_save_far_in_the_future_forgets_no_removal_an_old_copy_could_undo() {
    if !Path::new("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1").exists() {
        missing("faketime");
        return;
    }
    let v = TestVault::new();
    v.add("Gone", &key_for("Gone"));
    v.add("Kept", &key_for("Kept"));
    let old = v.dir.path().join("old.otpvault");
    std::fs::copy(&v.path, &old).unwrap();
    ok(v.run(&["remove", "Gone"], None));
    // One save on a machine whose clock is 401 days ahead.
    ok(at(&v, "+401d", &["rename", "Kept", "Still kept"]));
    // The old copy still holds Gone: it is refused, the same way twice.
    for _ in 0..2 {
        let out = v.run(&["merge", old.to_str().unwrap()], None);
        assert_eq!(code(&out), 13, "{}", stderr(&out));
        assert!(stderr(&out).contains("--accept-old"), "{}", stderr(&out));
        assert!(!v.names().contains("Gone"));
    }
    // Taken anyway when asked, and the same on a second merge.
    ok(v.run(&["merge", "--accept-old", old.to_str().unwrap()], None));
    let once = v.names();
    assert!(once.contains("Gone"), "{once:?}");
    ok(v.run(&["merge", "--accept-old", old.to_str().unwrap()], None));
    assert_eq!(v.names(), once);
}

#[test]
fn an_old_backup_with_the_old_passphrase_opens_nothing_written_after_passwd() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let before = v.dir.path().join("before.otpvault");
    ok(v.run(&["backup", before.to_str().unwrap()], None));
    let id_before = status(&v, PASSPHRASE)["key_id"].clone();
    let mut cmd = v.command(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", NEW);
    ok(run_with_stdin(cmd, None));
    let id_after = status(&v, NEW)["key_id"].clone();
    assert_ne!(id_before, id_after, "status shows the rotation");
    // The old backup, opened with the old passphrase, as a vault of its
    // own: the new vault is sealed with a key it does not have, and the
    // old passphrase does not open it.
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", &before)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_MERGE_PASSPHRASE", PASSPHRASE)
        .args(["merge", v.path.to_str().unwrap()]);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
}

fn status(v: &TestVault, passphrase: &str) -> serde_json::Value {
    let out = with(v, passphrase, &["status", "--json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn conflict_copies_are_merged_one_by_one_and_the_rest_left_with_why() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let dir = v.path.parent().unwrap().to_path_buf();
    let good = conflict_copy(&v, "GOOD");
    std::fs::copy(&v.path, &good).unwrap();
    ok(on_copy(
        &good,
        PASSPHRASE,
        &["add", "From the good one"],
        Some(&key_for("Good")),
    ));
    // A damaged copy, another vault's, a FIFO, a folder and a symbolic
    // link, all named as conflict copies; one with escapes in its name.
    let damaged = dir.join("test (Jane's conflicted copy 2026-11-25).otpvault");
    let mut bytes = std::fs::read(&v.path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&damaged, bytes).unwrap();
    let other = TestVault::new();
    let foreign = dir.join("test (\u{1b}]0;pwned\u{7}'s conflicted copy 2026-11-26).otpvault");
    std::fs::copy(&other.path, &foreign).unwrap();
    let fifo = conflict_copy(&v, "FIFO");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let folder = conflict_copy(&v, "FOLDER");
    std::fs::create_dir(&folder).unwrap();
    let link = conflict_copy(&v, "LINK");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let out = v.run(&["merge", "--conflicts"], None);
    assert_eq!(code(&out), 14, "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{7}'),
        "raw escapes reached the terminal: {said:?}"
    );
    assert!(said.contains("\\u{1b}]0;pwned"), "{said}");
    for (path, why) in [
        (&damaged, "checksum"),
        (&foreign, "another vault"),
        (&fifo, "named pipe"),
        (&folder, "directory"),
        (&link, "symbolic link"),
    ] {
        assert!(
            path.symlink_metadata().is_ok(),
            "{} was left",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy();
        let line = said
            .lines()
            .find(|l| {
                l.contains("left") && l.contains(&*otpvault::terminal::Escaped(&name).to_string())
            })
            .unwrap_or_else(|| panic!("no line for {name:?}: {said}"));
        assert!(line.contains(why), "{line}");
    }
    assert!(!good.exists(), "the good copy was merged and moved");
    assert!(v.names().contains("From the good one"));
}

#[test]
fn a_huge_conflict_copy_is_refused_by_its_size_before_it_is_read() {
    let v = TestVault::new();
    let huge = conflict_copy(&v, "HUGE");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(1 << 30).unwrap();
    // GNU time reports the command's peak memory.
    if !Path::new("/usr/bin/time").exists() {
        missing("GNU time");
        return;
    }
    let mut cmd = std::process::Command::new("/usr/bin/time");
    cmd.args([
        "-f",
        "peak %M KiB",
        env!("CARGO_BIN_EXE_otp"),
        "merge",
        "--conflicts",
    ])
    .env("OTP_VAULT", &v.path)
    .env("OTP_PASSPHRASE", PASSPHRASE)
    .env("OTP_WEAK_PASSPHRASE", "1");
    let out = run_with_stdin(cmd, None);
    let said = stderr(&out);
    assert!(said.contains("over 64 MiB"), "{said}");
    let peak: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("peak ")?.strip_suffix(" KiB")?.parse().ok())
        .unwrap();
    assert!(peak < 40 * 1024, "peak {peak} KiB: the copy was read");
    assert!(huge.exists(), "left where it is");
}

#[test]
fn merges_that_bring_nothing_write_nothing_and_keep_no_backup() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let copy = v.dir.path().join("copy.otpvault");
    std::fs::copy(&v.path, &copy).unwrap();
    let (bytes, backups) = (v.bytes(), v.backups());
    for _ in 0..12 {
        let said = ok(v.run(&["merge", copy.to_str().unwrap()], None));
        assert!(said.contains("nothing new"), "{said}");
    }
    assert_eq!(v.bytes(), bytes);
    assert_eq!(v.backups(), backups);
}

/// A version-1 vault holding one key twice (6 and 8 digits), written from
/// the library's format parts as otpvault 0.1 could have.
fn version_1_vault_with_one_key_twice(path: &Path) {
    use otpvault::crypto;
    use otpvault::vault::format::{self, Header, Slot};
    use otpvault::vault::keys;
    let kdf = otpvault::KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let key = otpvault::secret::VaultKey::new(crypto::random_key());
    let slot = keys::wrap(
        &key,
        &otpvault::Passphrase::from(PASSPHRASE.to_string()),
        kdf,
    )
    .unwrap();
    let header = Header {
        version: 1,
        identity: None,
        slots: vec![Slot::Passphrase(slot)],
        payload_nonce: crypto::random_array(),
    };
    let entry = |id: &str, name: &str, digits: u8| {
        serde_json::json!({
            "id": id, "name": name, "issuer": "Bank", "account": "",
            "secret": "JBSWY3DPEHPK3PXP",
            "otp": {"kind": "totp", "algorithm": "SHA1", "digits": digits, "period": 30, "counter": 0},
            "created": 1_700_000_000, "modified": 1_700_000_000
        })
    };
    let payload = serde_json::json!({"entries": [
        entry("01", "Bank six", 6),
        entry("02", "Bank eight", 8),
    ]});
    let ciphertext = crypto::seal(
        key.expose(),
        &header.payload_nonce,
        &header.to_bytes(),
        serde_json::to_vec(&payload).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format::assemble(&header, &ciphertext)).unwrap();
}

#[test]
fn an_older_vault_holding_one_key_twice_keeps_both_through_a_merge() {
    let v = TestVault::empty();
    version_1_vault_with_one_key_twice(&v.path);
    let copy = conflict_copy(&v, "DESKTOP");
    std::fs::copy(&v.path, &copy).unwrap();
    ok(on_copy(
        &copy,
        PASSPHRASE,
        &["add", "Other"],
        Some(&key_for("Other")),
    ));
    let said = ok(v.run(&["merge", "--conflicts"], None));
    assert!(said.contains("1 added, 0 removed"), "{said}");
    let names = v.names();
    assert!(
        names.contains("Bank six") && names.contains("Bank eight"),
        "{names:?}"
    );
    // Removing one of them removes that one only, here and after a merge.
    let again = v.dir.path().join("again.otpvault");
    std::fs::copy(&v.path, &again).unwrap();
    ok(v.run(&["remove", "Bank eight"], None));
    ok(v.run(&["merge", again.to_str().unwrap()], None));
    let names = v.names();
    assert!(
        names.contains("Bank six") && !names.contains("Bank eight"),
        "{names:?}"
    );
}

#[test]
fn two_copies_of_an_older_vault_upgraded_apart_are_one_vault() {
    let laptop = TestVault::empty();
    version_1_vault_with_one_key_twice(&laptop.path);
    let desktop = laptop.dir.path().join("desktop.otpvault");
    std::fs::copy(&laptop.path, &desktop).unwrap();
    // Each device's first save writes format 3, and they agree on the id.
    ok(laptop.run(&["add", "Laptop"], Some(&key_for("Laptop"))));
    ok(on_copy(
        &desktop,
        PASSPHRASE,
        &["add", "Desktop"],
        Some(&key_for("Desktop")),
    ));
    let id = |path: &Path| {
        let mut cmd = otp_command();
        cmd.env("OTP_VAULT", path).args(["status", "--json"]);
        let out = run_with_stdin(cmd, None);
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(status["format"], 3);
        status["vault_id"].clone()
    };
    assert_eq!(id(&laptop.path), id(&desktop));
    let said = ok(laptop.run(&["merge", desktop.to_str().unwrap()], None));
    assert!(said.contains("1 added"), "{said}");
    // The first save kept the version-1 file as a backup.
    let first = laptop.backups().pop().unwrap();
    let bytes = std::fs::read(first).unwrap();
    assert_eq!(u16::from_be_bytes([bytes[8], bytes[9]]), 1);
}

#[test]
fn the_passphrase_prompt_for_a_copy_shows_its_name_escaped() {
    use common::screen::{Tmux, otp_path};
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let copy = v
        .path
        .parent()
        .unwrap()
        .join("test (\u{1b}]2;pwned\u{7}'s conflicted copy 2026-11-25).otpvault");
    std::fs::copy(&v.path, &copy).unwrap();
    // A passphrase changed on the copy: its key is one the vault has not
    // seen, so its passphrase is asked, naming the file.
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", &copy)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_NEW_PASSPHRASE", NEW)
        .arg("passwd");
    ok(run_with_stdin(cmd, None));
    let Some(tmux) = Tmux::start(&[
        ("OTP_VAULT", v.path.to_str().unwrap()),
        ("OTP_PASSPHRASE", PASSPHRASE),
    ]) else {
        return;
    };
    tmux.type_text(
        &format!("'{}' merge --conflicts", otp_path().display()),
        true,
    );
    let screen = tmux.wait_for(|s| s.contains("Passphrase of the copy"), "the prompt");
    assert!(screen.contains("\\u{1b}]2;pwned\\u{7}"), "{screen}");
    assert_ne!(
        tmux.pane("#{pane_title}"),
        "pwned",
        "the name set the title"
    );
    tmux.type_text(NEW, true);
    let screen = tmux.wait_for(|s| s.contains("otp: moved"), "the merge");
    assert!(
        screen.contains("the passphrase was changed on another copy"),
        "{screen}"
    );
}

#[test]
fn saves_of_the_same_content_keep_one_backup() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    ok(v.run(&["edit", "Amazon", "--issuer", "Amazon"], None));
    let after_first = v.backups().len();
    // The same content saved again (a new nonce each time): no new backup.
    for _ in 0..3 {
        ok(v.run(&["edit", "Amazon", "--issuer", "Amazon"], None));
    }
    assert_eq!(v.backups().len(), after_first);
}
