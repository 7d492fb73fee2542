//! One vault on every device: `otp merge` of diverged copies, the sync
//! tools' conflict copies, and git's merge driver in real repositories.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// name → (issuer, counter) as `list --json` shows them.
fn entries(v: &TestVault) -> BTreeMap<String, serde_json::Value> {
    let out = v.run(&["list", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

/// A second copy of `v`'s vault, as a sync tool would leave it.
fn copy_of(v: &TestVault, name: &str) -> TestVault {
    let copy = TestVault::empty();
    std::fs::create_dir_all(copy.path.parent().unwrap()).unwrap();
    std::fs::copy(&v.path, &copy.path).unwrap();
    let _ = name;
    copy
}

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

#[test]
fn merge_brings_together_two_diverged_copies() {
    let laptop = TestVault::new();
    for name in ["Amazon", "GitHub", "Gone"] {
        laptop.add(name, &key_for(name));
    }
    let out = laptop.run(&["add", "Bank", "--hotp"], Some(&key_for("Bank")));
    ok(out);
    let desktop = copy_of(&laptop, "desktop");
    // Laptop: adds one, removes one. Desktop: renames one, uses the HOTP
    // code twice, adds one.
    laptop.add("PayPal", &key_for("PayPal"));
    ok(laptop.run(&["remove", "Gone"], None));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(desktop.run(&["rename", "GitHub", "GitHub work"], None));
    ok(desktop.run(&["code", "Bank"], None));
    ok(desktop.run(&["code", "Bank"], None));
    desktop.add("Steam", &key_for("Steam"));
    let said = ok(laptop.run(&["merge", desktop.path.to_str().unwrap()], None));
    // The rename arrived, and the summary says so.
    assert!(
        said.contains("merged 1 copy: 1 added, 0 removed, 1 renamed (GitHub → GitHub work)"),
        "{said}"
    );
    let now = entries(&laptop);
    let names: Vec<&str> = now.keys().map(String::as_str).collect();
    assert_eq!(names, ["Amazon", "Bank", "GitHub work", "PayPal", "Steam"]);
    assert_eq!(now["Bank"]["counter"], 2, "the larger HOTP counter");
    // The copy merged in is left as it was; merging again changes nothing.
    assert!(entries(&desktop).contains_key("Gone"));
    let before = entries(&laptop);
    let (bytes, backups) = (laptop.bytes(), laptop.backups());
    let said = ok(laptop.run(&["merge", desktop.path.to_str().unwrap()], None));
    assert!(
        said.contains("nothing new, so the vault was not rewritten"),
        "{said}"
    );
    assert_eq!(entries(&laptop), before);
    assert_eq!(laptop.bytes(), bytes, "not written");
    assert_eq!(laptop.backups(), backups, "no backup kept");
}

#[test]
fn the_same_name_twice_is_shown_numbered_and_the_same_account_twice_is_one() {
    let laptop = TestVault::new();
    laptop.add("Base", &key_for("Base"));
    let desktop = copy_of(&laptop, "desktop");
    // The same name for two accounts, enrolled on each device.
    laptop.add("GitHub", &key_for("GitHub personal"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    desktop.add("GitHub", &key_for("GitHub work"));
    // One account (one key) enrolled on both devices under two names.
    laptop.add("Amazon", &key_for("Amazon"));
    desktop.add("Amazon.co.jp", &key_for("Amazon"));
    let said = ok(laptop.run(&["merge", desktop.path.to_str().unwrap()], None));
    assert!(said.contains("1 renamed (GitHub → GitHub (2))"), "{said}");
    assert!(said.contains("were one account"), "{said}");
    let now = entries(&laptop);
    assert!(
        now.contains_key("GitHub") && now.contains_key("GitHub (2)"),
        "{now:?}"
    );
    let amazons = now.keys().filter(|n| n.starts_with("Amazon")).count();
    assert_eq!(amazons, 1, "{now:?}");
    // The later GitHub is the numbered one, and it gives its own key's codes.
    let reference = TestVault::new();
    reference.add("Work", &key_for("GitHub work"));
    assert_eq!(
        laptop.code_at("GitHub (2)", 59),
        reference.code_at("Work", 59)
    );
}

#[test]
fn a_passphrase_changed_on_the_other_copy_travels_and_another_vault_is_refused() {
    let laptop = TestVault::new();
    laptop.add("Amazon", &key_for("Amazon"));
    // The desktop changes the passphrase (a new key) and adds an entry.
    let desktop = copy_of(&laptop, "desktop");
    let mut cmd = desktop.command(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", "the desktop's passphrase");
    ok(run_with_stdin(cmd, None));
    let mut cmd = desktop.command(&["add", "Desk"]);
    cmd.env("OTP_PASSPHRASE", "the desktop's passphrase");
    ok(run_with_stdin(cmd, Some(&key_for("Desk"))));
    // Its copy is sealed with a key the laptop has not seen: its passphrase
    // is asked (OTP_MERGE_PASSPHRASE without a terminal).
    let out = laptop.run(&["merge", desktop.path.to_str().unwrap()], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OTP_MERGE_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    let mut cmd = laptop.command(&["merge", desktop.path.to_str().unwrap()]);
    cmd.env("OTP_MERGE_PASSPHRASE", "the desktop's passphrase");
    let said = ok(run_with_stdin(cmd, None));
    assert!(
        said.contains("the passphrase was changed on another copy on 20"),
        "{said}"
    );
    // The later passphrase opens the laptop now; the old one does not.
    let out = laptop.run(&["list"], None);
    assert_eq!(code(&out), EXIT_WRONG_PASSPHRASE, "{}", stderr(&out));
    let mut cmd = laptop.command(&["list", "--json"]);
    cmd.env("OTP_PASSPHRASE", "the desktop's passphrase");
    let out = run_with_stdin(cmd, None);
    assert!(stdout(&out).contains("Desk"), "{}", stderr(&out));
    // Another vault altogether, even with the same passphrase and
    // OTP_MERGE_PASSPHRASE set: refused, naming both, nothing changed.
    let other = TestVault::new();
    other.add("Other", &key_for("Other"));
    let before = laptop.bytes();
    let mut cmd = laptop.command(&["merge", other.path.to_str().unwrap()]);
    cmd.env("OTP_PASSPHRASE", "the desktop's passphrase")
        .env("OTP_MERGE_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), 12, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is another vault (made 20"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("otp import"), "{}", stderr(&out));
    assert_eq!(laptop.bytes(), before, "nothing was merged");
}

/// The names the sync tools give conflict copies (see src/vault/conflicts.rs).
fn conflict_names(vault: &Path) -> Vec<PathBuf> {
    let dir = vault.parent().unwrap();
    [
        "test.sync-conflict-20261125-140102-ABCDEFG.otpvault",
        "test (Jane's conflicted copy 2026-11-25).otpvault",
        "test (conflicted copy 2026-11-25 140102).otpvault",
    ]
    .iter()
    .map(|n| dir.join(n))
    .collect()
}

#[test]
fn conflict_copies_are_noticed_merged_and_moved_to_the_backups() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let copies = conflict_names(&v.path);
    for (i, copy) in copies.iter().enumerate() {
        std::fs::copy(&v.path, copy).unwrap();
        let mut cmd = v.command(&[
            "--vault",
            copy.to_str().unwrap(),
            "add",
            &format!("From{i}"),
        ]);
        cmd.env_remove("OTP_VAULT");
        ok(run_with_stdin(cmd, Some(&key_for(&format!("From{i}")))));
    }
    // Every command says so, once.
    let out = v.run(&["list"], None);
    assert_eq!(
        stderr(&out).matches("conflicting cop").count(),
        1,
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("otp merge --conflicts"),
        "{}",
        stderr(&out)
    );
    // status lists them; merge, which is what to run, does not say it.
    let out = v.run(&["status", "--json"], None);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["conflict_copies"].as_array().map(Vec::len),
        Some(3),
        "{status}"
    );
    let out = v.run(&["merge", "--conflicts"], None);
    assert!(
        !stderr(&out).contains("conflicting cop"),
        "{}",
        stderr(&out)
    );
    let said = ok(out);
    assert!(said.contains("merged 3 copies: 3 added"), "{said}");
    let now = entries(&v);
    for i in 0..3 {
        assert!(now.contains_key(&format!("From{i}")), "{now:?}");
    }
    let backups = PathBuf::from(format!("{}.backups", v.path.display()));
    for copy in &copies {
        assert!(!copy.exists(), "{} was not moved", copy.display());
        assert!(
            backups.join(copy.file_name().unwrap()).exists(),
            "never deleted"
        );
    }
    assert!(!stderr(&v.run(&["list"], None)).contains("conflicting"));
    let said = ok(v.run(&["merge", "--conflicts"], None));
    assert!(said.contains("nothing to merge"), "{said}");
}

// git, for real: two clones, diverging commits, `git pull` merges.

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "otp test")
        .env("GIT_AUTHOR_EMAIL", "otp@example.com")
        .env("GIT_COMMITTER_NAME", "otp test")
        .env("GIT_COMMITTER_EMAIL", "otp@example.com")
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env_remove("OTP_VAULT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out) + &stderr(&out)
}

fn otp_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", dir.join("vault.otpvault"))
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .args(args);
    run_with_stdin(cmd, stdin)
}

fn configure_driver(clone: &Path) {
    let driver = format!("'{}' merge-driver %O %A %B %P", env!("CARGO_BIN_EXE_otp"));
    git(clone, &["config", "merge.otpvault.driver", &driver]);
    git(
        clone,
        &["config", "merge.otpvault.name", "otpvault state merge"],
    );
}

/// A bare origin and two clones of it, each with the merge driver set up,
/// sharing a vault with Amazon, Old, Gone and an HOTP Bank.
fn two_clones(root: &Path) -> (PathBuf, PathBuf) {
    let origin = root.join("origin.git");
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    let one = root.join("one");
    git(
        root,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            one.to_str().unwrap(),
        ],
    );
    configure_driver(&one);
    ok(otp_in(&one, &TINY_INIT, None));
    for name in ["Amazon", "Old", "Gone"] {
        ok(otp_in(&one, &["add", name], Some(&key_for(name))));
    }
    ok(otp_in(
        &one,
        &["add", "Bank", "--hotp"],
        Some(&key_for("Bank")),
    ));
    std::fs::write(
        one.join(".gitattributes"),
        "*.otpvault merge=otpvault -diff\n",
    )
    .unwrap();
    // The lock file and the automatic backups are the device's own.
    std::fs::write(
        one.join(".gitignore"),
        "*.otpvault.lock\n*.otpvault.backups/\n",
    )
    .unwrap();
    git(
        &one,
        &["add", "vault.otpvault", ".gitattributes", ".gitignore"],
    );
    git(&one, &["commit", "-q", "-m", "vault"]);
    git(&one, &["push", "-q", "origin", "HEAD:main"]);
    let two = root.join("two");
    git(
        root,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            two.to_str().unwrap(),
        ],
    );
    configure_driver(&two);
    (one, two)
}

#[test]
fn git_pull_merges_vaults_with_the_merge_driver() {
    if !have_tool("git") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let (one, two) = two_clones(root.path());
    // One: add and rename. Two: add, remove, use the HOTP code twice.
    ok(otp_in(&one, &["add", "Alpha"], Some(&key_for("Alpha"))));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(otp_in(&one, &["rename", "Old", "Renamed"], None));
    git(&one, &["commit", "-q", "-am", "one"]);
    git(&one, &["push", "-q", "origin", "HEAD:main"]);
    ok(otp_in(&two, &["add", "Beta"], Some(&key_for("Beta"))));
    ok(otp_in(&two, &["remove", "Gone"], None));
    ok(otp_in(&two, &["code", "Bank"], None));
    ok(otp_in(&two, &["code", "Bank"], None));
    git(&two, &["commit", "-q", "-am", "two"]);
    let pulled = git(
        &two,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
    );
    assert!(!pulled.contains("CONFLICT"), "{pulled}");
    let status = git(&two, &["status", "--porcelain"]);
    assert!(status.trim().is_empty(), "{status}");
    let out = otp_in(&two, &["list", "--json"], None);
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["Alpha", "Amazon", "Bank", "Beta", "Renamed"],
        "{pulled}"
    );
    let bank = items
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Bank")
        .unwrap();
    assert_eq!(bank["counter"], 2);
    // The merged vault gives pyotp's codes.
    if have_python(&["pyotp"]) {
        for (name, key) in [("Alpha", "Alpha"), ("Renamed", "Old"), ("Beta", "Beta")] {
            let out = otp_in(&two, &["code", name, "--at", "1700000000"], None);
            let pyotp = Command::new("python3")
                .args([
                    "-c",
                    "import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).at(1700000000))",
                    &key_for(key),
                ])
                .output()
                .unwrap();
            assert_eq!(stdout(&out).trim(), stdout(&pyotp).trim(), "{name}");
        }
    }
}

/// git with the environment `set` added and `unset` removed.
fn git_with(
    dir: &Path,
    args: &[&str],
    set: &[(&str, &Path)],
    unset: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "otp test")
        .env("GIT_AUTHOR_EMAIL", "otp@example.com")
        .env("GIT_COMMITTER_NAME", "otp test")
        .env("GIT_COMMITTER_EMAIL", "otp@example.com")
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env_remove("OTP_VAULT");
    for (name, value) in set {
        cmd.env(name, value);
    }
    for name in unset {
        cmd.env_remove(name);
    }
    cmd.output().unwrap()
}

fn names_in(dir: &Path, passphrase: &str) -> Vec<String> {
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", dir.join("vault.otpvault"))
        .env("OTP_PASSPHRASE", passphrase)
        .args(["list", "--json"]);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<String> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn the_merge_driver_asks_the_agent_first() {
    if !have_tool("git") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let (one, two) = two_clones(root.path());
    ok(otp_in(&one, &["add", "Alpha"], Some(&key_for("Alpha"))));
    git(&one, &["commit", "-q", "-am", "one"]);
    git(&one, &["push", "-q", "origin", "HEAD:main"]);
    ok(otp_in(&two, &["add", "Beta"], Some(&key_for("Beta"))));
    git(&two, &["commit", "-q", "-am", "two"]);
    // Unlocked; then no passphrase source at all during the pull.
    let runtime = tempfile::tempdir().unwrap();
    let vault = two.join("vault.otpvault");
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", &vault)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .arg("unlock");
    ok(run_with_stdin(cmd, None));
    let out = git_with(
        &two,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
        &[("XDG_RUNTIME_DIR", runtime.path())],
        &["OTP_PASSPHRASE"],
    );
    let mut lock = otp_command();
    lock.env("OTP_VAULT", &vault)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .arg("lock");
    let _ = run_with_stdin(lock, None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        names_in(&two, PASSPHRASE),
        ["Alpha", "Amazon", "Bank", "Beta", "Gone", "Old"]
    );
}

#[test]
fn a_passphrase_changed_on_one_branch_opens_both_whichever_way_they_merge() {
    if !have_tool("git") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let (one, two) = two_clones(root.path());
    const NEW: &str = "the passphrase set on one";
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", one.join("vault.otpvault"))
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_NEW_PASSPHRASE", NEW)
        .arg("passwd");
    ok(run_with_stdin(cmd, None));
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", one.join("vault.otpvault"))
        .env("OTP_PASSPHRASE", NEW)
        .args(["add", "Alpha"]);
    ok(run_with_stdin(cmd, Some(&key_for("Alpha"))));
    git(&one, &["commit", "-q", "-am", "one"]);
    git(&one, &["push", "-q", "origin", "HEAD:main"]);
    ok(otp_in(&two, &["add", "Beta"], Some(&key_for("Beta"))));
    git(&two, &["commit", "-q", "-am", "two"]);
    // Two pulls: its own vault opens with the old passphrase, the other
    // side's with the new one, which wins: it was set later.
    let new = root.path().join("new-passphrase");
    std::fs::write(&new, NEW).unwrap();
    let out = git_with(
        &two,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"],
        &[],
        &[],
    );
    assert!(
        !out.status.success(),
        "without the new passphrase the driver cannot open the other side"
    );
    git(&two, &["merge", "--abort"]);
    let mut cmd = Command::new("git");
    cmd.args(["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"])
        .current_dir(&two)
        .env("GIT_AUTHOR_NAME", "otp test")
        .env("GIT_AUTHOR_EMAIL", "otp@example.com")
        .env("GIT_COMMITTER_NAME", "otp test")
        .env("GIT_COMMITTER_EMAIL", "otp@example.com")
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_MERGE_PASSPHRASE", NEW)
        .env_remove("OTP_VAULT");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let both = ["Alpha", "Amazon", "Bank", "Beta", "Gone", "Old"];
    assert_eq!(names_in(&two, NEW), both);
    let old = otp_in(&two, &["list"], None);
    assert_eq!(code(&old), EXIT_WRONG_PASSPHRASE, "{}", stderr(&old));
    git(&two, &["push", "-q", "origin", "HEAD:main"]);
    // One pulls the merge: it opens with the new passphrase, as before.
    let mut cmd = Command::new("git");
    cmd.args(["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"])
        .current_dir(&one)
        .env("OTP_PASSPHRASE", NEW)
        .env_remove("OTP_VAULT");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(names_in(&one, NEW), both);
}
