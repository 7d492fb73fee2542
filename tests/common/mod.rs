//! Running the real `otp` binary on a temporary vault.
#![allow(dead_code)]

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// `otp init` with the tiny KDF cost every test vault uses.
pub const TINY_INIT: [&str; 7] = [
    "init",
    "--kdf-memory-mib",
    "1",
    "--kdf-iterations",
    "1",
    "--kdf-parallelism",
    "1",
];

/// The exit codes the README documents.
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_WRONG_PASSPHRASE: i32 = 3;
pub const EXIT_DAMAGED: i32 = 4;
pub const EXIT_NO_MATCH: i32 = 5;
pub const EXIT_AMBIGUOUS: i32 = 6;
pub const EXIT_BUSY: i32 = 7;
pub const EXIT_NO_VAULT: i32 = 8;
pub const EXIT_EXISTS: i32 = 9;

/// A setup key of its own for `name` (base32 of a hash of it): a vault
/// holds one entry an account, so entries of a test need different keys.
pub fn key_for(name: &str) -> String {
    use sha2::Digest;
    data_encoding::BASE32_NOPAD.encode(&sha2::Sha256::digest(name.as_bytes())[..20])
}

/// A temporary directory holding one vault, and the `otp` binary aimed at it.
pub struct TestVault {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestVault {
    /// An empty directory; the vault does not exist yet.
    pub fn empty() -> TestVault {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vaults").join("test.otpvault");
        TestVault { dir, path }
    }

    /// A vault created with tiny KDF parameters, so that tests are fast.
    pub fn new() -> TestVault {
        let v = TestVault::empty();
        let out = v.run(&TINY_INIT, None);
        assert!(out.status.success(), "init failed: {}", stderr(&out));
        v
    }

    /// The entries' names, as `otp list --json` gives them; the vault must
    /// open.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        let out = self.run(&["list", "--json"], None);
        assert!(
            out.status.success(),
            "the vault must open: {}",
            stderr(&out)
        );
        let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The automatic backups' paths, newest first, as `otp restore` lists
    /// them.
    pub fn backups(&self) -> Vec<PathBuf> {
        let out = self.run(&["restore"], None);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().map(PathBuf::from).collect()
    }

    /// `otp` with this vault and the test passphrase in the environment,
    /// detached from any terminal.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = otp_command();
        cmd.env("OTP_VAULT", &self.path)
            .env("OTP_PASSPHRASE", PASSPHRASE)
            .args(args);
        cmd
    }

    /// Runs `otp args`, feeding `stdin` if given (else an empty stdin).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_with_stdin(self.command(args), stdin)
    }

    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }

    /// Adds an entry from a key on stdin and checks that it worked.
    pub fn add(&self, name: &str, key: &str) {
        let out = self.run(&["add", name], Some(key));
        assert!(out.status.success(), "add {name}: {}", stderr(&out));
    }

    /// The code of `query` at `time`, asserting success and a single line.
    pub fn code_at(&self, query: &str, time: u64) -> String {
        let out = self.run(&["code", query, "--at", &time.to_string()], None);
        assert!(out.status.success(), "code {query}: {}", stderr(&out));
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 1, "one line expected: {text:?}");
        text.trim_end().to_string()
    }
}

/// The `otp` binary with every OTP_ variable of the caller's environment
/// removed, no config file, no display (a test that copies starts its own
/// X server), in a new session so that it has no controlling terminal.
/// Test vaults are throwaway vaults with a tiny KDF cost, so a new
/// passphrase below the strength floor is accepted (OTP_WEAK_PASSPHRASE);
/// tests of the floor remove it.
pub fn otp_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_otp"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OTP_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/otpvault-tests")
        .env("OTP_WEAK_PASSPHRASE", "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    // SAFETY: `pre_exec` runs the closure in the forked child before exec,
    // where only async-signal-safe calls are allowed; setsid is one, and
    // the closure touches no memory of ours. No crate offers a safe way to
    // run code between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let _ = rustix::process::setsid();
            Ok(())
        });
    }
    cmd
}

pub fn run_with_stdin(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // `otp` may exit before reading its input (a usage error found
            // by clap, say): the closed pipe is its answer, not a failure.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.unwrap(),
            }
        }
    }
    child.wait_with_output().unwrap()
}

/// Runs `cmd` with an empty stdin, killing it if it has not finished
/// within `limit`: `None` then. For checks that something never blocks.
pub fn run_within(mut cmd: Command, limit: std::time::Duration) -> Option<Output> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// True when the suite runs in CI, where every tool and fixture must be
/// present and a test that cannot run fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1")
}

/// Reports that `what` is missing: in CI a failure; elsewhere one line on
/// the real stderr, which cargo shows (the test harness captures only the
/// print macros), so that a skipped check never looks like a passed one.
pub fn missing(what: &str) {
    if in_ci() {
        panic!("{what} is missing, and CI=true: install it (.ci/run does)");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {what} is missing; this check did not run"
    );
}

/// True when the tests run as root, which the cross-user checks need (they
/// run parts as `nobody` through runuser); else reports it missing (see
/// [`missing`]): CI runs as root, so there these checks never skip.
pub fn as_root() -> bool {
    let root = rustix::process::getuid().is_root();
    if !root {
        missing("root (to run a part of the check as another user)");
    }
    root
}

/// True if `python3` can import every module in `modules`; else reports
/// them missing (see [`missing`]).
pub fn have_python(modules: &[&str]) -> bool {
    let ok = Command::new("python3")
        .arg("-c")
        .arg(format!("import {}", modules.join(", ")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing(&format!("python3 with {}", modules.join(", ")));
    }
    ok
}

/// True if `tool` is on PATH; else reports it missing.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing(&format!("the {tool} command"));
    }
    ok
}

/// `../shared/fixtures`, or None (reported as missing) where it is absent.
pub fn fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        missing("../shared/fixtures");
        None
    }
}

pub mod screen;
pub mod unlockable;

/// pyotp's TOTP codes (SHA-1, 6 digits, 30 s) for the base32 `key` at each
/// of `times`; None (reported missing) without pyotp.
pub fn pyotp_totp(key: &str, times: &[u64]) -> Option<Vec<String>> {
    let times: Vec<String> = times.iter().map(u64::to_string).collect();
    pyotp(&format!(
        "t = pyotp.TOTP({key:?})\nfor s in [{}]: print(t.at(s))",
        times.join(",")
    ))
}

/// pyotp's HOTP code for `key` at `counter`.
pub fn pyotp_hotp(key: &str, counter: u64) -> Option<String> {
    pyotp(&format!("print(pyotp.HOTP({key:?}).at({counter}))")).map(|mut c| c.remove(0))
}

fn pyotp(script: &str) -> Option<Vec<String>> {
    if !have_python(&["pyotp"]) {
        return None;
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!("import pyotp\n{script}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}
