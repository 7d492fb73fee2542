//! `cargo bench --bench agent` (or `benches/run.sh`): what `otp unlock`
//! buys. Whole-process medians of `otp code` answered by the agent, against
//! `otp code` on a locked vault (the default KDF) and `oathtool --totp` on a
//! plaintext key, run in turn so that the machine's drift affects them
//! alike; then the agent's resident memory once it idles.
//! docs/performance.md shows one run and what it means.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use otpvault::crypto::kdf::KdfParams;
use otpvault::vault::Settings;
use otpvault::{Entry, Params, Passphrase, Vault};

const RUNS: usize = 31;

/// One timed command: a row of the table.
type Row<'a> = (&'static str, Box<dyn FnMut() -> Duration + 'a>);
const PASSPHRASE: &str = "benchmark passphrase";
const KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

fn otp(vault: &Path, runtime: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_otp"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("OTP_VAULT", vault)
        .env("XDG_RUNTIME_DIR", runtime)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn checked(cmd: &mut Command) -> Output {
    let out = cmd.stderr(Stdio::piped()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn timed(cmd: &mut Command) -> Duration {
    cmd.stdout(Stdio::null());
    let start = Instant::now();
    checked(cmd);
    start.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn make_vault(path: &Path) {
    let mut vault = Vault::create(
        path,
        &Passphrase::from(PASSPHRASE.to_string()),
        KdfParams::default(),
        Settings::default(),
    )
    .unwrap();
    let secret = otpvault::key::parse(KEY).unwrap();
    let entry = Entry::new(
        "Amazon".into(),
        "Amazon".into(),
        "me@example.com".into(),
        secret,
        Params::default(),
    )
    .unwrap();
    vault.add(entry).unwrap();
    let _ = vault.save().unwrap();
}

/// A figure of /proc/PID/status, in KiB.
fn proc_status_kib(pid: u64, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn have_oathtool() -> bool {
    Command::new("oathtool")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let (unlocked, locked) = (dir.path().join("a.otpvault"), dir.path().join("b.otpvault"));
    make_vault(&unlocked);
    make_vault(&locked);
    checked(otp(&unlocked, runtime.path(), &["unlock"]).env("OTP_PASSPHRASE", PASSPHRASE));
    let status = checked(&mut otp(&unlocked, runtime.path(), &["status", "--json"])).stdout;
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    let pid = status["agent_pid"].as_u64().expect("the agent's pid");

    let oathtool = have_oathtool();
    let mut rows: Vec<Row> = vec![
        (
            "`otp code` unlocked, through the agent",
            Box::new(|| timed(&mut otp(&unlocked, runtime.path(), &["code", "Amazon"]))),
        ),
        (
            "`otp code` locked (passphrase, default Argon2id)",
            Box::new(|| {
                timed(
                    otp(&locked, runtime.path(), &["code", "Amazon"])
                        .env("OTP_PASSPHRASE", PASSPHRASE),
                )
            }),
        ),
    ];
    if oathtool {
        rows.push((
            "`oathtool --totp -b` on a plaintext key",
            Box::new(|| timed(Command::new("oathtool").args(["--totp", "-b", KEY]))),
        ));
    }
    // Locked runs cost half a second each: fewer of them.
    let mut samples = vec![Vec::new(); rows.len()];
    for run in 0..RUNS {
        for (i, (_, f)) in rows.iter_mut().enumerate() {
            if i != 1 || run % 3 == 0 {
                samples[i].push(f());
            }
        }
    }
    let counts: Vec<usize> = samples.iter().map(Vec::len).collect();
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    println!(
        "# otpvault agent benchmark: whole-process medians, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "| command | runs | median | share of locked | times oathtool |\n|---|---|---|---|---|"
    );
    for (i, (name, _)) in rows.iter().enumerate() {
        println!(
            "| {name} | {} | {} | {:.1}% | {} |",
            counts[i],
            ms(medians[i]),
            medians[i].as_secs_f64() / medians[1].as_secs_f64() * 100.0,
            if oathtool {
                format!("{:.1}", medians[i].as_secs_f64() / medians[2].as_secs_f64())
            } else {
                "-".into()
            },
        );
    }
    if !oathtool {
        println!("\noathtool is not installed (apt-get install oathtool).");
    }

    // The agent idle: after the runs above, a few seconds without use.
    std::thread::sleep(Duration::from_secs(3));
    println!("\n## The agent, idle after {} codes\n", counts[0] + 1);
    println!("| figure | KiB |\n|---|---|");
    for (field, what) in [
        ("VmRSS:", "resident now"),
        ("VmHWM:", "resident at its peak"),
        ("VmLck:", "locked against swapping"),
    ] {
        let value = proc_status_kib(pid, field).map_or("unknown".into(), |k| k.to_string());
        println!("| {what} | {value} |");
    }
    checked(&mut otp(&unlocked, runtime.path(), &["lock"]));
}
