//! The passphrase a person picks: estimated against one GPU at the vault's
//! own KDF cost, refused below a year from every source unless
//! `--weak-passphrase`, and the cost per guess shown by `otp status`.

mod common;

use common::*;

/// `otp ARGS` without the tests' blanket OTP_WEAK_PASSPHRASE.
fn strict(v: &TestVault, args: &[&str]) -> std::process::Command {
    let mut cmd = v.command(args);
    cmd.env_remove("OTP_WEAK_PASSPHRASE");
    cmd
}

const WEAK: &str = "amazon123";

#[test]
fn a_weak_new_passphrase_is_refused_from_every_source() {
    let v = TestVault::empty();
    // init, from OTP_NEW_PASSPHRASE.
    let mut cmd = strict(&v, &TINY_INIT);
    cmd.env("OTP_NEW_PASSPHRASE", WEAK);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("one GPU"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--weak-passphrase"),
        "{}",
        stderr(&out)
    );
    assert!(!v.path.exists());
    // The first add, from a passphrase file and from a command.
    let file = v.dir.path().join("pass");
    std::fs::write(&file, format!("{WEAK}\n")).unwrap();
    for source in [
        ("OTP_PASSPHRASE_FILE", file.to_str().unwrap().to_string()),
        ("OTP_PASSPHRASE_COMMAND", format!("echo {WEAK}")),
    ] {
        let mut cmd = strict(&v, &["add", "Amazon"]);
        cmd.env_remove("OTP_PASSPHRASE").env(source.0, &source.1);
        let out = run_with_stdin(cmd, Some(&key_for("Amazon")));
        assert_eq!(code(&out), EXIT_USAGE, "{source:?}: {}", stderr(&out));
        assert!(!v.path.exists());
    }
    // With --weak-passphrase: made, and one line says what it gives up.
    let mut cmd = strict(&v, &[&TINY_INIT[..], &["--weak-passphrase"]].concat());
    cmd.env("OTP_NEW_PASSPHRASE", WEAK);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("weak passphrase"), "{}", stderr(&out));
    // passwd and recover: the same rule.
    let mut cmd = strict(&v, &["passwd"]);
    cmd.env("OTP_PASSPHRASE", WEAK)
        .env("OTP_NEW_PASSPHRASE", "password1");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    let mut cmd = v.command(&["recovery-key"]);
    cmd.env("OTP_PASSPHRASE", WEAK);
    let key = stdout(&run_with_stdin(cmd, None)).trim().to_string();
    let mut cmd = strict(&v, &["recover"]);
    cmd.env("OTP_RECOVERY_KEY", &key)
        .env("OTP_NEW_PASSPHRASE", "qwerty");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
}

#[test]
fn a_strong_passphrase_is_said_to_hold_and_status_shows_the_cost() {
    let v = TestVault::empty();
    let mut cmd = strict(&v, &["init"]);
    cmd.env("OTP_NEW_PASSPHRASE", "plinth okra gravel sonnet humid")
        .env("OTP_TEST_AVAILABLE_MIB", "256");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("one GPU would need about") && said.contains("years"),
        "{said}"
    );
    let out = v.run(&["status", "--json"], None);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rate = status["slots"][0]["gpu_guesses_per_second"]
        .as_u64()
        .unwrap();
    assert!(rate > 1_000 && rate < 100_000, "{rate}");
    let out = v.run(&["status"], None);
    assert!(
        stdout(&out).contains("guesses a second from one GPU"),
        "{}",
        stdout(&out)
    );
}
