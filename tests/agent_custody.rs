//! The agent's custody of the key, attacked as another user and as a
//! careless environment would: the client trusts no socket it has not
//! checked, nothing another user puts in a shared place stops anyone, a
//! stuck client delays no lock, and the key never leaves the agent.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::unlockable::*;
use common::*;

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// A folder of `nobody`'s alone (uid 65534), in the temporary folder.
fn nobodys_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    rustix::fs::chown(
        dir.path(),
        Some(rustix::process::Uid::from_raw(65534)),
        Some(rustix::process::Gid::from_raw(65534)),
    )
    .unwrap();
    dir
}

/// Whether process `pid` still runs (a zombie counts as gone).
fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Waits up to `limit` for `pid` to end; true if it did.
fn ends_within(pid: u64, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn agent_pid(u: &Unlockable) -> u64 {
    status_of(u)["agent_pid"]
        .as_u64()
        .expect("no agent running")
}

/// A fake agent, run as `nobody`: it binds a socket in its own folder,
/// and logs how many bytes each connection brought; it sends one byte and
/// then trickles, as a stuck agent would. The test moves the socket to
/// where the real agent listens, which is deterministic (no race with a
/// renamed folder, as in the 0.2 report).
const FAKE_AGENT: &str = r#"
import socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
s.settimeout(5)
print('ready', flush=True)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    c.settimeout(0.4)
    got = 0
    for _ in range(20):
        try:
            c.sendall(b'\x00')
            d = c.recv(4096)
            if not d:
                break
            got += len(d)
        except socket.timeout:
            continue
        except OSError:
            break
    with open(log, 'a') as f:
        f.write('%d\n' % got)
    c.close()
"#;

#[test]
fn a_fake_agent_of_another_user_gets_no_byte_and_costs_under_a_second() {
    if !as_root() || !have_tool("runuser") || !have_python(&["socket"]) {
        return;
    }
    let u = Unlockable::new();
    // Where the vault's agent listens: unlocked once for the name.
    ok(&u.unlock(&[]));
    let target = socket_of(&u);
    ok(&u.run(&["lock"]));
    let _ = std::fs::remove_file(&target);

    let theirs = nobodys_folder();
    let fake = theirs.path().join("fake.sock");
    let log = theirs.path().join("log");
    let mut agent = Command::new("runuser")
        .args(["-u", "nobody", "--", "python3", "-c", FAKE_AGENT])
        .arg(&fake)
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(agent.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), "ready");
    std::fs::rename(&fake, &target).unwrap();

    let expected = u.v.code_at("Amazon", 59);
    let mut cmd = u.bare(&["code", "Amazon", "--at", "59"]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let start = Instant::now();
    let out = run_within(cmd, Duration::from_secs(20)).expect("otp code hung on a fake agent");
    let took = start.elapsed();
    ok(&out);
    assert_eq!(stdout(&out).trim(), expected);
    let err = stderr(&out);
    assert!(err.contains("answered by another user"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        took < Duration::from_secs(1),
        "the fake agent cost the client {took:?}"
    );

    // The fake logs each connection when it ends, and leaves 5 s after
    // the last one.
    let _ = agent.wait();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.lines().all(|n| n == "0"),
        "the fake agent was sent bytes: {logged:?}"
    );
    assert!(!logged.is_empty(), "the client never even connected");
}

#[test]
fn another_users_folder_at_the_old_fallback_stops_nobody() {
    if !as_root() {
        return;
    }
    let u = Unlockable::new();
    // 0.2's fallback: otpvault-UID in the temporary folder, taken first by
    // another user.
    let tmp = tempfile::tempdir().unwrap();
    let uid = rustix::process::getuid().as_raw();
    let taken = tmp.path().join(format!("otpvault-{uid}"));
    std::fs::create_dir(&taken).unwrap();
    rustix::fs::chown(&taken, Some(rustix::process::Uid::from_raw(65534)), None).unwrap();
    let home = tempfile::tempdir().unwrap();
    let with_no_runtime = |args: &[&str], passphrase: bool| {
        let mut cmd = u.bare(args);
        cmd.env_remove("XDG_RUNTIME_DIR")
            .env_remove("XDG_STATE_HOME")
            .env("TMPDIR", tmp.path())
            .env("HOME", home.path());
        if passphrase {
            cmd.env("OTP_PASSPHRASE", PASSPHRASE);
        }
        run_with_stdin(cmd, None)
    };
    // A user who never unlocks hears nothing of agents.
    let out = with_no_runtime(&["code", "Amazon", "--at", "59"], true);
    ok(&out);
    assert_eq!(stderr(&out), "", "a user who never unlocked was warned");
    // Unlocking works, and what it unlocked is found again.
    ok(&with_no_runtime(&["unlock"], true));
    let out = with_no_runtime(&["code", "Amazon", "--at", "59"], false);
    ok(&out);
    assert_eq!(stdout(&out).trim(), u.v.code_at("Amazon", 59));
    ok(&with_no_runtime(&["lock"], false));
    let out = with_no_runtime(&["code", "Amazon"], false);
    assert!(!out.status.success(), "still unlocked after lock");
    // Not the shared temporary folder, whatever the platform has.
    assert_eq!(std::fs::read_dir(&taken).unwrap().count(), 0);
}

#[test]
fn a_relative_runtime_folder_is_ignored_and_lock_finds_the_agent() {
    let u = Unlockable::new();
    let home = tempfile::tempdir().unwrap();
    let here = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let relative = |dir: &Path, args: &[&str], passphrase: bool| {
        let mut cmd = u.bare(args);
        cmd.env("XDG_RUNTIME_DIR", "run/relative")
            .env_remove("XDG_STATE_HOME")
            .env("HOME", home.path())
            .current_dir(dir);
        if passphrase {
            cmd.env("OTP_PASSPHRASE", PASSPHRASE);
        }
        run_with_stdin(cmd, None)
    };
    ok(&relative(here.path(), &["unlock"], true));
    assert!(
        !here.path().join("run").exists(),
        "the agent listens under a relative folder"
    );
    // Found from another working folder, and locked.
    let out = relative(elsewhere.path(), &["status", "--json"], false);
    ok(&out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pid = status["agent_pid"]
        .as_u64()
        .expect("status does not find the agent");
    let out = relative(elsewhere.path(), &["lock"], false);
    ok(&out);
    assert!(stderr(&out).contains("locked"), "{}", stderr(&out));
    assert!(
        ends_within(pid, Duration::from_secs(5)),
        "the agent still runs"
    );
}

/// A client that sends half a length and then nothing: with 0.2 it held
/// the agent for up to a minute, and `otp lock` said "was not unlocked".
fn trickling(u: &Unlockable) -> UnixStream {
    let mut stream = UnixStream::connect(socket_of(u)).unwrap();
    stream.write_all(&[0]).unwrap();
    stream
}

#[test]
fn a_stuck_client_delays_neither_lock_nor_sigterm() {
    let u = Unlockable::new();
    ok(&u.unlock(&[]));
    let pid = agent_pid(&u);
    let _stuck = trickling(&u);
    let _another = trickling(&u);
    let out = u.run(&["lock"]);
    ok(&out);
    assert!(!stderr(&out).contains("not unlocked"), "{}", stderr(&out));
    assert!(
        ends_within(pid, Duration::from_secs(2)),
        "a stuck client kept the agent after `otp lock`"
    );

    ok(&u.unlock(&[]));
    let pid = agent_pid(&u);
    let _stuck = trickling(&u);
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    assert!(
        ends_within(pid, Duration::from_secs(2)),
        "a stuck client kept the agent after SIGTERM"
    );
    let out = u.code();
    assert!(!out.status.success(), "the key outlived SIGTERM");
}

#[test]
fn a_stopped_agent_is_said_to_be_unreachable() {
    let u = Unlockable::new();
    ok(&u.unlock(&[]));
    let pid = rustix::process::Pid::from_raw(agent_pid(&u) as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    let out = run_within(u.bare(&["lock"]), Duration::from_secs(10)).expect("lock hung");
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("could not reach the agent"),
        "{}",
        stderr(&out)
    );
    ok(&u.run(&["lock"]));
}

#[test]
fn unlock_piped_to_another_program_returns_at_once() {
    let u = Unlockable::new();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"{ "$0" unlock --timeout 30s 9>&1 >/dev/null 2>&1; } | cat"#)
        .arg(env!("CARGO_BIN_EXE_otp"));
    for (key, value) in u.bare(&[]).get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let start = Instant::now();
    let out = run_within(cmd, Duration::from_secs(20)).expect("`otp unlock | cat` hung");
    ok(&out);
    // 0.2 held the pipe for the whole 30 s.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "`otp unlock | cat` took {:?}",
        start.elapsed()
    );
    ok(&u.code());
}

#[test]
fn the_agents_command_line_and_descriptors_hold_nothing() {
    let u = Unlockable::new();
    ok(&u.unlock(&["--timeout", "7m"]));
    let pid = agent_pid(&u);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    let vault = u.v.path.to_string_lossy();
    let file = u.v.path.file_name().unwrap().to_string_lossy();
    assert!(!cmdline.contains(&*file), "{cmdline:?} names {vault}");
    assert!(
        !cmdline.contains("7m") && !cmdline.contains("420"),
        "{cmdline:?}"
    );
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, Path::new("/dev/null"), "descriptor {fd}");
    }
    // Nor does its environment hold the passphrase `otp unlock` was given.
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(
        !String::from_utf8_lossy(&environ).contains("OTP_PASSPHRASE"),
        "the agent inherited the passphrase"
    );
}

#[test]
fn an_ordinary_user_under_an_8_mib_memlock_limit_gets_locked_memory() {
    if !as_root() || !have_tool("runuser") || !have_tool("prlimit") {
        return;
    }
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let theirs = nobodys_folder();
    let vault = theirs.path().join("vault.otpvault");
    std::fs::copy(&v.path, &vault).unwrap();
    rustix::fs::chown(
        &vault,
        Some(rustix::process::Uid::from_raw(65534)),
        Some(rustix::process::Gid::from_raw(65534)),
    )
    .unwrap();
    let runtime = theirs.path().join("run");
    let as_nobody = |args: &[&str]| {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "nobody", "--", "env"])
            .arg(format!("HOME={}", theirs.path().display()))
            .arg(format!("XDG_RUNTIME_DIR={}", runtime.display()))
            .arg(format!("OTP_VAULT={}", vault.display()))
            .arg(format!("OTP_PASSPHRASE={PASSPHRASE}"))
            .args(["prlimit", "--memlock=8388608:8388608", "--"])
            .arg(env!("CARGO_BIN_EXE_otp"))
            .args(args);
        run_with_stdin(cmd, None)
    };
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    rustix::fs::chown(&runtime, Some(rustix::process::Uid::from_raw(65534)), None).unwrap();
    ok(&as_nobody(&["unlock"]));
    let out = as_nobody(&["status", "--json"]);
    ok(&out);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let locked = status["memory_locked"].as_bool();
    let pid = status["agent_pid"].as_u64().unwrap();
    let vmlck = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmLck:"))
        .map(str::to_string)
        .unwrap_or_default();
    ok(&as_nobody(&["lock"]));
    assert_eq!(locked, Some(true), "{}", stdout(&out));
    assert!(!vmlck.contains(" 0 kB"), "{vmlck}");
}

#[test]
fn show_and_export_ask_for_the_passphrase_while_unlocked() {
    let u = Unlockable::new();
    ok(&u.unlock(&[]));
    for args in [
        &["show", "Amazon", "--uri"][..],
        &["export"][..],
        &["recovery-key"][..],
    ] {
        let out = u.run(args);
        assert!(!out.status.success(), "{args:?} ran without a passphrase");
        assert_eq!(code(&out), EXIT_USAGE, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("even while the vault is unlocked"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?} printed {}", stdout(&out));
    }
    // With the passphrase, show works as ever.
    let mut cmd = u.bare(&["show", "Amazon", "--uri"]);
    cmd.env("OTP_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    ok(&out);
    assert!(
        stdout(&out).starts_with("otpauth://totp/"),
        "{}",
        stdout(&out)
    );
    // And codes still need none.
    ok(&u.code());
}

#[test]
fn environment_variables_are_named_in_their_errors() {
    let v = TestVault::new();
    for (name, value) in [
        ("OTP_UNLOCK_TIMEOUT", "abc"),
        ("OTP_UNLOCK_TIMEOUT", "13h"),
        ("OTP_KEEP_BACKUPS", "-1"),
        ("OTP_LOCK_TIMEOUT", "1e3"),
        ("OTP_CLIPBOARD_SECONDS", "18446744073709551616"),
        ("OTP_PASSPHRASE_COMMAND_TIMEOUT", "9223372036854775807"),
        ("OTP_TIME_OFFSET", "-9223372036854775808"),
    ] {
        let mut cmd = v.command(&["list"]);
        cmd.env(name, value);
        let out = run_with_stdin(cmd, None);
        let err = stderr(&out);
        assert_eq!(code(&out), EXIT_USAGE, "{name}={value}: {err}");
        assert!(
            err.starts_with(&format!("otp: {name} takes ")),
            "{name}={value}: {err}"
        );
        assert!(!err.contains(value), "{name}={value}: {err}");
        assert!(
            !err.contains("--"),
            "{name}={value} blamed on a flag: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
