//! Unlock once: `otp unlock` leaves the key with an agent, every command
//! asks it first, and it forgets the key when it should. Each test has its
//! own runtime folder, so its agents are its own.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::unlockable::*;
use common::*;

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

fn locked(out: &Output) -> bool {
    code(out) == EXIT_USAGE && stderr(out).contains("no passphrase")
}

#[test]
fn unlock_then_code_needs_no_passphrase_and_lock_forgets() {
    let u = Unlockable::new();
    let want = u.v.code_at("Amazon", 59);
    assert!(locked(&u.code()), "before unlock");
    ok(&u.unlock(&[]));
    let out = u.code();
    ok(&out);
    assert_eq!(stdout(&out).trim(), want);
    // Every command that needs the vault: list, add, rename, backup...
    ok(&u.run(&["list"]));
    ok(&run_with_stdin(
        u.bare(&["add", "GitHub"]),
        Some(&key_for("GitHub")),
    ));
    ok(&u.run(&["rename", "GitHub", "GitHub work"]));
    let backup = u.v.dir.path().join("backup.otpvault");
    ok(&u.run(&["backup", backup.to_str().unwrap()]));
    ok(&u.run(&["lock"]));
    let out = u.code();
    assert!(locked(&out), "after lock: {}", stderr(&out));
}

#[test]
fn the_idle_and_the_absolute_timeouts_lock() {
    let u = Unlockable::new();
    ok(&u.unlock(&["--timeout", "2s"]));
    ok(&u.code());
    std::thread::sleep(Duration::from_millis(3500));
    assert!(locked(&u.code()), "idle timeout");
    // Used all the time, it still locks at --max.
    ok(&u.unlock(&["--timeout", "1h", "--max", "3s"]));
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2000) {
        ok(&u.code());
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(2000));
    assert!(locked(&u.code()), "absolute timeout");
}

#[test]
fn two_vaults_two_agents_no_crosstalk() {
    let a = Unlockable::new();
    let b = Unlockable::new();
    // Both in one runtime folder: each vault has its own socket.
    let shared = a.runtime.path();
    let run = |u: &Unlockable, args: &[&str], pass: Option<&str>| {
        let mut cmd = u.bare(args);
        cmd.env("XDG_RUNTIME_DIR", shared);
        if let Some(p) = pass {
            cmd.env("OTP_PASSPHRASE", p);
        }
        run_with_stdin(cmd, None)
    };
    ok(&run(&a, &["unlock"], Some(PASSPHRASE)));
    assert!(
        locked(&run(&b, &["code", "Amazon"], None)),
        "b is not unlocked"
    );
    ok(&run(&b, &["unlock"], Some(PASSPHRASE)));
    ok(&run(&a, &["code", "Amazon"], None));
    ok(&run(&b, &["code", "Amazon"], None));
    ok(&run(&a, &["lock"], None));
    assert!(locked(&run(&a, &["code", "Amazon"], None)));
    ok(&run(&b, &["code", "Amazon"], None));
    ok(&run(&b, &["lock"], None));
}

#[test]
fn a_killed_agent_is_passed_over_and_replaced() {
    let u = Unlockable::new();
    ok(&u.unlock(&[]));
    let out = u.run(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["unlocked"], true);
    let pid = status["agent_pid"].as_u64().unwrap();
    assert!(
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(200));
    // The stale socket is there; the client falls back at once.
    let start = Instant::now();
    assert!(locked(&u.code()));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let mut cmd = u.bare(&["code", "Amazon"]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    ok(&run_with_stdin(cmd, None));
    ok(&u.unlock(&[]));
    ok(&u.code());
}

#[test]
fn a_vault_replaced_under_the_agent() {
    let u = Unlockable::new();
    let backup = u.v.dir.path().join("backup.otpvault");
    assert!(
        u.v.run(&["backup", backup.to_str().unwrap()], None)
            .status
            .success()
    );
    ok(&u.unlock(&[]));
    // `restore` puts back a copy of the same vault: same key, still
    // unlocked. It asks for the passphrase (the agent opens nothing for
    // anyone but itself).
    let mut cmd = u.bare(&["restore", backup.to_str().unwrap()]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    ok(&run_with_stdin(cmd, None));
    ok(&u.code());
    // `passwd` asks for the passphrase, unlocked or not, and says why; it
    // makes a new key: the agent's old one would open nothing written from
    // now on, so the agent is locked, and says so.
    let mut cmd = u.bare(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", "a new passphrase");
    let out = run_with_stdin(cmd, None);
    assert_eq!(
        code(&out),
        EXIT_USAGE,
        "no passphrase given: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("needs the passphrase even while the vault is unlocked"),
        "{}",
        stderr(&out)
    );
    let mut cmd = u.bare(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", "a new passphrase")
        .env("OTP_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    ok(&out);
    assert!(
        stderr(&out).contains("locked the agent"),
        "{}",
        stderr(&out)
    );
    assert!(locked(&u.code()), "the old key is gone");
    let mut cmd = u.bare(&["unlock"]);
    cmd.env("OTP_PASSPHRASE", "a new passphrase");
    ok(&run_with_stdin(cmd, None));
    ok(&u.code());
    // Another vault copied over it: the agent's key no longer opens it.
    let other = TestVault::new();
    other.add("Amazon", &key_for("Other Amazon"));
    std::fs::copy(&other.path, &u.v.path).unwrap();
    let out = u.code();
    assert!(locked(&out), "{}", stderr(&out));
    assert!(stderr(&out).contains("replaced"), "{}", stderr(&out));
    let out = u.run(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["unlocked"], false, "the agent locked itself");
}

#[test]
fn twenty_clients_at_once_all_get_the_right_code() {
    let u = Unlockable::new();
    let want = u.v.code_at("Amazon", 59);
    ok(&u.unlock(&[]));
    let children: Vec<_> = (0..20)
        .map(|_| {
            u.bare(&["code", "Amazon", "--at", "59"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        ok(&out);
        assert_eq!(stdout(&out).trim(), want);
    }
}

#[test]
fn a_socket_folder_others_can_enter_is_refused() {
    let u = Unlockable::new();
    let dir = socket_dir(&u);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = u.unlock(&[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("can be entered by other users"),
        "{}",
        stderr(&out)
    );
    // A client passes over it with a warning, and uses the passphrase.
    let mut cmd = u.bare(&["code", "Amazon"]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    ok(&out);
    assert!(
        stderr(&out).contains("not using the agent"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_socket_folder_of_another_user_is_refused() {
    if !as_root() {
        return;
    }
    let u = Unlockable::new();
    let dir = socket_dir(&u);
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    rustix::fs::chown(&dir, Some(rustix::process::Uid::from_raw(65534)), None).unwrap();
    let out = u.unlock(&[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("belongs to another user"),
        "{}",
        stderr(&out)
    );
}

/// As root, the socket is made reachable for `nobody`, who then asks for
/// the key: the agent's peer check refuses it (no key in the answer).
#[test]
fn a_peer_of_another_uid_gets_nothing() {
    if !as_root() {
        return;
    }
    if !have_tool("runuser") || !have_python(&["socket"]) {
        return;
    }
    let u = Unlockable::new();
    ok(&u.unlock(&[]));
    let dir = socket_dir(&u);
    let socket = socket_of(&u);
    // Open the way for the test only: the agent checked its folder at start.
    for path in [u.runtime.path(), dir.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o777)).unwrap();
    let mut parent: &Path = u.runtime.path();
    while let Some(p) = parent.parent() {
        let _ = std::fs::set_permissions(
            p,
            std::fs::Permissions::from_mode(
                std::fs::metadata(p).unwrap().permissions().mode() | 0o001,
            ),
        );
        parent = p;
    }
    // The agent may close the connection before the request is even sent
    // (it checks the peer first): a broken pipe is a refusal too.
    let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.settimeout(3)\ntry:\n    s.sendall(b'KEY\\n')\n    data = s.recv(4096)\nexcept (ConnectionResetError, BrokenPipeError):\n    data = b''\nprint(repr(data))";
    let out = Command::new("runuser")
        .args(["-u", "nobody", "--", "python3", "-c", script])
        .arg(&socket)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nobody could connect: {}",
        stderr(&out)
    );
    assert_eq!(
        stdout(&out).trim(),
        "b''",
        "the agent answered another user"
    );
    // Closed again, it still answers its own user.
    for path in [u.runtime.path(), dir.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    ok(&u.code());
}

#[test]
fn restoring_an_older_copy_through_the_agent_says_which_passphrase_opens_it() {
    let u = Unlockable::new();
    let backup = u.v.dir.path().join("before.otpvault");
    assert!(
        u.v.run(&["backup", backup.to_str().unwrap()], None)
            .status
            .success()
    );
    ok(&u.unlock(&[]));
    let mut cmd = u.bare(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", "a new passphrase")
        .env("OTP_PASSPHRASE", PASSPHRASE);
    ok(&run_with_stdin(cmd, None));
    // A new key: unlocked again with the new passphrase.
    let mut cmd = u.bare(&["unlock"]);
    cmd.env("OTP_PASSPHRASE", "a new passphrase");
    ok(&run_with_stdin(cmd, None));
    // The copy from before `passwd` is sealed with the old key: restoring
    // it asks its passphrase (the old one), and says that the vault opens
    // with that one from now on.
    let mut cmd = u.bare(&["restore", backup.to_str().unwrap()]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    ok(&out);
    assert!(
        stderr(&out).contains("opens with the passphrase"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("locked the agent"),
        "{}",
        stderr(&out)
    );
    // Restoring a copy with the same passphrase says nothing of the kind.
    ok(&u.unlock(&[]));
    let same = u.v.dir.path().join("same.otpvault");
    ok(&u.run(&["backup", same.to_str().unwrap()]));
    let mut cmd = u.bare(&["restore", same.to_str().unwrap()]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    ok(&out);
    assert!(
        !stderr(&out).contains("opens with the passphrase"),
        "{}",
        stderr(&out)
    );
}
