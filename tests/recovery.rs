//! Never locked out: the paper recovery key opens the vault when the
//! passphrase is forgotten; a new one replaces the old; a mistyped one is
//! told apart from a wrong one.

mod common;

use common::*;

/// Makes a recovery key for `v` and returns it as printed.
fn make_key(v: &TestVault) -> String {
    let out = v.run(&["recovery-key"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    assert_eq!(
        printed.lines().count(),
        1,
        "only the key on stdout: {printed:?}"
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("paper"), "{}", stderr(&out));
    let key = printed.trim().to_string();
    assert_eq!(key.len(), 34, "seven groups of four: {key}");
    key
}

/// `otp recover` with the key in OTP_RECOVERY_KEY and a new passphrase.
fn recover(v: &TestVault, key: &str, new: &str) -> std::process::Output {
    let mut cmd = v.command(&["recover"]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env("OTP_RECOVERY_KEY", key)
        .env("OTP_NEW_PASSPHRASE", new);
    run_with_stdin(cmd, None)
}

fn code_with(v: &TestVault, passphrase: &str) -> std::process::Output {
    let mut cmd = v.command(&["code", "Amazon", "--at", "59"]);
    cmd.env("OTP_PASSPHRASE", passphrase);
    run_with_stdin(cmd, None)
}

#[test]
fn a_forgotten_passphrase_is_replaced_with_the_recovery_key() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let before = v.code_at("Amazon", 59);
    let key = make_key(&v);
    let out = recover(&v, &key, "a brand new passphrase");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "nothing on stdout");
    let out = code_with(&v, "a brand new passphrase");
    assert_eq!(stdout(&out).trim(), before, "{}", stderr(&out));
    assert_eq!(code(&code_with(&v, PASSPHRASE)), EXIT_WRONG_PASSPHRASE);
    // The recovery key keeps working.
    let out = recover(&v, &key, "yet another passphrase");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&code_with(&v, "yet another passphrase")).trim(),
        before
    );
}

#[test]
fn a_new_recovery_key_replaces_the_old_and_remove_takes_it_away() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let old = make_key(&v);
    let new = make_key(&v);
    assert_ne!(old, new);
    let out = recover(&v, &old, "p2");
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrong recovery key"),
        "{}",
        stderr(&out)
    );
    assert!(recover(&v, &new, "p2").status.success());
    let mut cmd = v.command(&["recovery-key", "--remove"]);
    cmd.env("OTP_PASSPHRASE", "p2");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let out = recover(&v, &new, "p3");
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
    assert!(stderr(&out).contains("no recovery key"), "{}", stderr(&out));
}

#[test]
fn mistyped_wrong_empty_and_loosely_typed_keys() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let key = make_key(&v);
    let before = v.bytes();
    // One character changed: located, not called wrong.
    let mut chars: Vec<char> = key.chars().collect();
    let i = 15; // character 13 of the key: the first of the fourth group
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let typo: String = chars.into_iter().collect();
    let out = recover(&v, &typo, "new");
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("character 13 of the recovery key looks wrong"),
        "{}",
        stderr(&out)
    );
    // Another vault's key (valid, and wrong here).
    let other = TestVault::new();
    let theirs = make_key(&other);
    let out = recover(&v, &theirs, "new");
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
    for empty in ["", "  - -  "] {
        let out = recover(&v, empty, "new");
        assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
        assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
    }
    assert_eq!(v.bytes(), before, "nothing changed");
    // Spaces for hyphens, lower case, O for zero: all fine.
    let loose = key.replace('-', "  ").to_lowercase().replace('0', "o");
    let out = recover(&v, &loose, "new");
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_key_can_come_on_standard_input_and_open_a_backup() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let key = make_key(&v);
    let backup = v.dir.path().join("usb.otpvault");
    assert!(
        v.run(&["backup", backup.to_str().unwrap()], None)
            .status
            .success()
    );
    let mut cmd = v.command(&["--vault", backup.to_str().unwrap(), "recover"]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env_remove("OTP_VAULT")
        .env("OTP_NEW_PASSPHRASE", "the backup's new passphrase");
    let out = run_with_stdin(cmd, Some(&format!("{key}\n")));
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cmd = v.command(&[
        "--vault",
        backup.to_str().unwrap(),
        "code",
        "Amazon",
        "--at",
        "59",
    ]);
    cmd.env("OTP_PASSPHRASE", "the backup's new passphrase");
    let out = run_with_stdin(cmd, None);
    assert_eq!(
        stdout(&out).trim(),
        v.code_at("Amazon", 59),
        "{}",
        stderr(&out)
    );
}

#[test]
fn status_names_the_slots_and_nothing_secret() {
    let v = TestVault::new();
    let out = v.run(&["status"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("passphrase"), "{}", stdout(&out));
    assert!(stderr(&out).contains("no recovery key"), "{}", stderr(&out));
    let key = make_key(&v);
    let mut cmd = v.command(&["status", "--json"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert!(
        out.status.success(),
        "status needs no passphrase: {}",
        stderr(&out)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["format"], 2);
    let kinds: Vec<&str> = status["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["passphrase", "recovery_key"]);
    assert!(
        status["slots"][1]["made"]
            .as_str()
            .unwrap()
            .ends_with("UTC")
    );
    let all = stdout(&out) + &stderr(&out);
    for group in key.split('-') {
        assert!(!all.contains(group), "a part of the key was shown");
    }
}

#[test]
fn the_first_add_suggests_a_recovery_key() {
    let v = TestVault::empty();
    let mut cmd = v.command(&["add", "Amazon"]);
    cmd.env("OTP_NEW_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, Some(&key_for("Amazon")));
    assert!(out.status.success(), "{}", stderr(&out));
    let last = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(last.contains("otp recovery-key"), "{}", stderr(&out));
    // Later adds do not repeat it.
    let out = v.run(&["add", "GitHub"], Some(&key_for("GitHub")));
    assert!(!stderr(&out).contains("recovery-key"), "{}", stderr(&out));
}
