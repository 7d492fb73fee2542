//! The command line as a whole: argument vectors, environment variables and
//! standard input, run by the real `otp` binary (`OTP_FUZZ_BIN`, a debug
//! build, so that overflow checks are on) over a scratch vault that holds
//! one entry. A run that exits 101, prints "panicked" or hangs is a finding.
//!
//! The input is segments split by NUL bytes: a segment that starts with
//! 0x01 is standard input (the rest of it), one that starts with 0x02 is
//! `NAME=VALUE` for one of [`VARIABLES`], every other one an argument.
//! Whatever could reach outside the scratch folder, start something that
//! outlives the run, or run a shell command is left out: arguments with a
//! `/` or `..`, the passphrase command and file, `unlock`, `agent`,
//! `watch`, `time` (the network) and the hidden helpers, and KDF costs
//! (`--kdf-*`), which would only make the fuzzer slow.
#![no_main]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;

const VARIABLES: &[&str] = &[
    "OTP_PASSPHRASE",
    "OTP_NEW_PASSPHRASE",
    "OTP_WEAK_PASSPHRASE",
    "OTP_IMPORT_PASSPHRASE",
    "OTP_EXPORT_PASSPHRASE",
    "OTP_MERGE_PASSPHRASE",
    "OTP_RECOVERY_KEY",
    "OTP_CLIPBOARD_SECONDS",
    "OTP_KEEP_BACKUPS",
    "OTP_LOCK_TIMEOUT",
    "OTP_UNLOCK_TIMEOUT",
    "OTP_TIME_OFFSET",
    "OTP_PASSPHRASE_COMMAND_TIMEOUT",
];

const LEFT_OUT: &[&str] = &[
    "unlock",
    "agent",
    "watch",
    "time",
    "clipboard-hold",
    "merge-driver",
    "browser-host",
];

/// The binary, the scratch folder and the pristine vault's bytes.
struct Scratch {
    otp: PathBuf,
    dir: PathBuf,
    vault: Vec<u8>,
}

fn scratch() -> &'static Scratch {
    static SCRATCH: OnceLock<Scratch> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let otp = PathBuf::from(
            std::env::var_os("OTP_FUZZ_BIN")
                .expect("set OTP_FUZZ_BIN to a debug build of otp (target/debug/otp)"),
        );
        let dir = std::env::temp_dir().join(format!("otp-fuzz-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scratch = Scratch {
            otp,
            dir,
            vault: Vec::new(),
        };
        for (args, stdin) in [
            (
                &[
                    "init",
                    "--kdf-memory-mib",
                    "1",
                    "--kdf-iterations",
                    "1",
                    "--kdf-parallelism",
                    "1",
                ][..],
                "",
            ),
            (&["add", "Amazon"][..], "JBSWY3DPEHPK3PXP"),
        ] {
            let input = scratch.dir.join("stdin");
            std::fs::write(&input, stdin).unwrap();
            let out = scratch
                .command(args, &[("OTP_NEW_PASSPHRASE", "fuzz")])
                .stdin(std::fs::File::open(&input).unwrap())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {:?}", out);
        }
        let vault = std::fs::read(scratch.dir.join("v.otpvault")).unwrap();
        Scratch { vault, ..scratch }
    })
}

impl Scratch {
    /// `otp args` in the scratch folder, with nothing of the caller's
    /// environment but PATH.
    /// In a session of its own (`setsid`), without a controlling terminal:
    /// run by hand from one, otp must not read or write it.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new("setsid");
        cmd.arg(&self.otp);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .env("OTP_VAULT", self.dir.join("v.otpvault"))
            .env("OTP_PASSPHRASE", "fuzz")
            .env("OTP_WEAK_PASSPHRASE", "1")
            .current_dir(&self.dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd
    }
}

fuzz_target!(|data: &[u8]| {
    let mut args: Vec<String> = Vec::new();
    let mut env: Vec<(String, String)> = Vec::new();
    let mut stdin: &[u8] = b"";
    for segment in data.split(|&b| b == 0).take(12) {
        match segment.split_first() {
            Some((1, rest)) => stdin = rest,
            Some((2, rest)) => {
                let text = String::from_utf8_lossy(rest);
                let Some((name, value)) = text.split_once('=') else {
                    return;
                };
                if !VARIABLES.contains(&name) || value.contains('\0') {
                    return;
                }
                env.push((name.to_string(), value.to_string()));
            }
            _ => args.push(String::from_utf8_lossy(segment).into_owned()),
        }
    }
    let refused = |a: &String| {
        a.contains('/')
            || a.contains("..")
            || a.starts_with("--passphrase-c")
            || a.starts_with("--passphrase-f")
            || a.starts_with("--kdf")
            || a.starts_with("--server")
            || LEFT_OUT.contains(&a.as_str())
    };
    if args.iter().any(refused) {
        return;
    }
    let scratch = scratch();
    std::fs::write(scratch.dir.join("v.otpvault"), &scratch.vault).unwrap();
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    // Standard input from a file: a pipe that otp leaves unread would end
    // this process with SIGPIPE (libFuzzer's main does not ignore it).
    let input = scratch.dir.join("stdin");
    std::fs::write(&input, stdin).unwrap();
    let mut child = scratch
        .command(&arg_refs, &env_refs)
        .stdin(std::fs::File::open(&input).unwrap())
        .spawn()
        .unwrap();
    // Read on a thread of its own, so that a full pipe never looks like a
    // hang.
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut said = Vec::new();
        let _ = std::io::Read::read_to_end(&mut { stderr }, &mut said);
        said
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("otp {args:?} with {env:?} did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = child.wait().unwrap();
    let said = reader.join().unwrap();
    let said = String::from_utf8_lossy(&said);
    assert!(
        status.code() != Some(101) && !said.contains("panicked"),
        "otp {args:?} with {env:?} panicked: {said}"
    );
});
