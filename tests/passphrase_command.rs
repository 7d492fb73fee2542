//! The passphrase command with the programs people use, on a real terminal
//! (tmux): KeePassXC's `keepassxc-cli` asking for its database's password,
//! `pass` with gpg-agent and pinentry-tty asking for the key's passphrase,
//! and a command that reads /dev/tty. And the command ends with otp:
//! Ctrl-C on the terminal, SIGTERM without one, and a SIGKILL of otp,
//! which otp never sees, on a terminal or not.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::screen::{Tmux, otp_path};
use common::*;

/// A vault whose passphrase is `passphrase`, and a terminal whose shell
/// has it as OTP_VAULT (but not its passphrase) and `extra`.
fn vault_and_terminal(passphrase: &str, extra: &[(&str, &str)]) -> Option<(TestVault, Tmux)> {
    let v = TestVault::empty();
    let mut init = v.command(&TINY_INIT);
    init.env("OTP_NEW_PASSPHRASE", passphrase);
    let out = run_with_stdin(init, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_with_stdin(
        {
            let mut add = v.command(&["add", "Amazon"]);
            add.env("OTP_PASSPHRASE", passphrase);
            add
        },
        Some(&key_for("Amazon")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let path = v.path.to_str().unwrap().to_string();
    let mut env = vec![("OTP_VAULT", path.as_str())];
    env.extend_from_slice(extra);
    let tmux = Tmux::start(&env)?;
    Some((v, tmux))
}

/// Types `otp list` with `command` as the passphrase command, then `echo
/// EXIT=$?`.
fn list_with(tmux: &Tmux, command: &str) {
    tmux.type_text(
        &format!(
            "{} list --passphrase-command '{command}'; echo EXIT=$?",
            otp_path().display()
        ),
        true,
    );
}

fn exited(screen: &str) -> Option<String> {
    screen
        .lines()
        .find_map(|l| l.strip_prefix("EXIT="))
        .map(str::to_string)
}

#[test]
fn a_command_that_reads_the_terminal_gets_it() {
    let Some((_v, tmux)) = vault_and_terminal("typed on the terminal", &[]) else {
        return;
    };
    // 0.2 ran it in a background process group: the kernel stopped it at
    // the read, until the timeout.
    list_with(
        &tmux,
        r#"printf "Vault password: " >/dev/tty; read -r p </dev/tty; echo "$p""#,
    );
    tmux.wait_for(|s| s.contains("Vault password:"), "the command's prompt");
    tmux.type_text("typed on the terminal", true);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp to finish");
    assert_eq!(exited(&screen).as_deref(), Some("0"), "{screen}");
    assert!(screen.contains("Amazon"), "{screen}");
}

#[test]
fn keepassxc_cli_asks_for_its_database_password() {
    if !have_tool("keepassxc-cli") {
        return;
    }
    let Some((v, tmux)) = vault_and_terminal("the vault's own passphrase", &[]) else {
        return;
    };
    let db = v.dir.path().join("passwords.kdbx");
    keepassxc(
        &db,
        &["db-create", "-p"],
        "database password\ndatabase password\n",
    );
    keepassxc(
        &db,
        &["add", "-p"],
        "database password\nthe vault's own passphrase\n",
    );
    list_with(
        &tmux,
        &format!("keepassxc-cli show -a Password {} otpvault", db.display()),
    );
    // keepassxc-cli reads the database password from standard input,
    // which 0.2 closed: it failed at once.
    tmux.wait_for(
        |s| s.contains("Enter password to unlock"),
        "keepassxc-cli's prompt",
    );
    assert!(exited(&tmux.screen()).is_none(), "{}", tmux.screen());
    tmux.type_text("database password", true);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp to finish");
    assert_eq!(exited(&screen).as_deref(), Some("0"), "{screen}");
    assert!(screen.contains("Amazon"), "{screen}");
    assert!(!screen.contains("database password"), "echoed: {screen}");
}

/// Runs `keepassxc-cli ARGS DB otpvault` (or without the entry for
/// db-create) with `input` on standard input.
fn keepassxc(db: &Path, args: &[&str], input: &str) {
    let mut cmd = Command::new("keepassxc-cli");
    cmd.args(args).arg(db);
    if args[0] == "add" {
        cmd.arg("otpvault");
    }
    let out = run_with_stdin(cmd, Some(input));
    assert!(
        out.status.success(),
        "keepassxc-cli {args:?}: {}",
        stderr(&out)
    );
}

#[test]
fn pass_with_gpg_agent_and_pinentry_tty_keeps_working() {
    if !have_tool("pass") || !have_tool("gpg") || !have_tool("pinentry-tty") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let gnupg = home.path().join("gnupg");
    let store = home.path().join("store");
    std::fs::create_dir(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::write(
        gnupg.join("gpg-agent.conf"),
        "pinentry-program /usr/bin/pinentry-tty\n",
    )
    .unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .env("GNUPGHOME", &gnupg)
            .args(["--batch", "--pinentry-mode", "loopback"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "gpg {args:?}: {}", stderr(&out));
    };
    gpg(&[
        "--passphrase",
        "the key's passphrase",
        "--quick-gen-key",
        "otp test <otp@example.com>",
        "default",
        "default",
        "never",
    ]);
    let env = |cmd: &mut Command| {
        cmd.env("GNUPGHOME", &gnupg)
            .env("PASSWORD_STORE_DIR", &store);
    };
    let mut init = Command::new("pass");
    init.args(["init", "otp@example.com"]);
    env(&mut init);
    let out = run_with_stdin(init, None);
    assert!(out.status.success(), "pass init: {}", stderr(&out));
    let mut insert = Command::new("pass");
    insert.args(["insert", "-e", "otpvault"]);
    env(&mut insert);
    let out = run_with_stdin(insert, Some("kept by pass\n"));
    assert!(out.status.success(), "pass insert: {}", stderr(&out));
    // A fresh agent, with nothing cached: the pinentry must really ask.
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", &gnupg)
        .args(["--kill", "gpg-agent"])
        .status();

    let (gnupg_s, store_s) = (gnupg.to_str().unwrap(), store.to_str().unwrap());
    let Some((_v, tmux)) = vault_and_terminal(
        "kept by pass",
        &[("GNUPGHOME", gnupg_s), ("PASSWORD_STORE_DIR", store_s)],
    ) else {
        return;
    };
    tmux.type_text("export GPG_TTY=$(tty)", true);
    list_with(&tmux, "pass show otpvault");
    tmux.wait_for(
        |s| s.lines().any(|l| l.starts_with("Passphrase:")),
        "pinentry-tty's prompt",
    );
    tmux.type_text("the key's passphrase", true);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp to finish");
    assert_eq!(exited(&screen).as_deref(), Some("0"), "{screen}");
    assert!(screen.contains("Amazon"), "{screen}");
    let _ = Command::new("gpgconf")
        .env("GNUPGHOME", &gnupg)
        .args(["--kill", "gpg-agent"])
        .status();
}

/// True while a process whose command line holds `marker` runs.
fn running(marker: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", marker])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits up to 5 s for no process to hold `marker`.
fn gone(marker: &str) -> bool {
    let start = Instant::now();
    while running(marker) {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[test]
fn ctrl_c_on_the_terminal_stops_the_command_and_what_it_started() {
    let Some((_v, tmux)) = vault_and_terminal("never given", &[]) else {
        return;
    };
    // A command that starts a child of its own and waits for it.
    // Its own number, so that nothing of another run is mistaken for it.
    let marker = format!("301.{}", std::process::id());
    let marker = marker.as_str();
    // The number is put together by the shell, so that only `sleep`
    // carries it (otp's own command line holds `301.$m`).
    list_with(
        &tmux,
        &format!("m={}; sleep 301.$m & wait; echo late", std::process::id()),
    );
    let start = Instant::now();
    while !running(marker) {
        assert!(start.elapsed() < Duration::from_secs(10), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp to end");
    assert_ne!(exited(&screen).as_deref(), Some("0"), "{screen}");
    assert!(gone(marker), "the command's child outlived otp");
}

#[test]
fn sigterm_without_a_terminal_stops_the_command_and_otp_says_so() {
    let v = TestVault::new();
    let marker = format!("302.{}", std::process::id());
    let marker = marker.as_str();
    let mut cmd = v.command(&[
        "list",
        "--passphrase-command",
        &format!("m={}; sleep 302.$m & wait; echo late", std::process::id()),
    ]);
    cmd.env_remove("OTP_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let start = Instant::now();
    while !running(marker) {
        assert!(start.elapsed() < Duration::from_secs(10), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("SIGTERM"), "{}", stderr(&out));
    assert!(gone(marker), "the command outlived otp");
}

/// The otp process running `list` with a passphrase command that holds
/// `marker`, found by its command line (the shell puts the marker together,
/// so only otp's line holds `$m`).
fn otp_running(marker: &str) -> rustix::process::Pid {
    let start = Instant::now();
    loop {
        let out = Command::new("pgrep")
            .args([
                "-f",
                &format!("otp list --passphrase-command m=[0-9]*; sleep {marker}"),
            ])
            .output()
            .unwrap();
        let found = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse::<i32>().ok())
            .find_map(rustix::process::Pid::from_raw);
        if let Some(pid) = found {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "otp never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the command's child (`sleep PREFIX.PID`) to run, kills otp
/// (`otp`) with SIGKILL, and says whether the command's child went too.
fn killed_hard_takes_the_command(otp: rustix::process::Pid, marker: &str) -> bool {
    let start = Instant::now();
    while !running(marker) {
        assert!(start.elapsed() < Duration::from_secs(10), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    rustix::process::kill_process(otp, rustix::process::Signal::KILL).unwrap();
    gone(marker)
}

#[test]
fn sigkill_of_otp_without_a_terminal_ends_the_command_and_its_children() {
    let v = TestVault::new();
    let marker = format!("304.{}", std::process::id());
    let mut cmd = v.command(&[
        "list",
        "--passphrase-command",
        &format!("m={}; sleep 304.$m & wait; echo late", std::process::id()),
    ]);
    cmd.env_remove("OTP_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let otp = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    let ended = killed_hard_takes_the_command(otp, &marker);
    let _ = child.wait();
    assert!(ended, "the command's child outlived a SIGKILL of otp");
}

#[test]
fn sigkill_of_otp_on_a_terminal_ends_the_command_and_its_children() {
    let Some((_v, tmux)) = vault_and_terminal("never given", &[]) else {
        return;
    };
    let marker = format!("305.{}", std::process::id());
    list_with(
        &tmux,
        &format!("m={}; sleep 305.$m & wait; echo late", std::process::id()),
    );
    let otp = otp_running("305");
    assert!(
        killed_hard_takes_the_command(otp, &marker),
        "the command's child outlived a SIGKILL of otp"
    );
    let screen = tmux.wait_for(|s| exited(s).is_some(), "the shell to say otp ended");
    assert_eq!(exited(&screen).as_deref(), Some("137"), "{screen}");
}
