//! `cargo bench --bench agent` (or `benches/run.sh`): what `otp unlock`
//! buys. Whole-process medians of `otp code` answered by the agent, against
//! `otp code` on a locked vault (the default KDF) and `oathtool --totp` on a
//! plaintext key, run in turn so that the machine's drift affects them
//! alike; then the idle agent: its resident and locked memory, and how
//! often it wakes in a minute (`OTP_BENCH_IDLE_SECONDS` changes the
//! minute), as this user and, when run as root, as `nobody` under an
//! 8 MiB RLIMIT_MEMLOCK, as an ordinary user has.
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
    // What a browser does for each code field: start the host, send one
    // fill request, read the answer.
    checked(&mut otp(
        &unlocked,
        runtime.path(),
        &["edit", "Amazon", "--add-site", "amazon.co.jp"],
    ));
    let frame = dir.path().join("fill.frame");
    let request = br#"{"request":"fill","url":"https://www.amazon.co.jp/ap/mfa"}"#;
    let mut bytes = (request.len() as u32).to_ne_bytes().to_vec();
    bytes.extend_from_slice(request);
    std::fs::write(&frame, bytes).unwrap();
    let origin = format!(
        "chrome-extension://{}/",
        otpvault::browser::install::EXTENSION_ID
    );
    let (vault, folder) = (unlocked.clone(), runtime.path().to_path_buf());
    let host = move |frame: &Path| {
        let mut cmd = otp(&vault, &folder, &[origin.as_str()]);
        cmd.stdin(std::fs::File::open(frame).unwrap());
        cmd
    };
    let answer = checked(&mut host(&frame)).stdout;
    assert!(
        String::from_utf8_lossy(&answer).contains(r#""answer":"code""#),
        "the host gave no code: {answer:?}"
    );
    rows.push((
        "the browser's host: one fill request, through the agent",
        Box::new(move || timed(&mut host(&frame))),
    ));
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
    let mut agents = vec![(format!("this user, after {} codes", counts[0] + 1), pid)];
    let ordinary = as_nobody(&unlocked);
    if let Some((_, nobody_pid)) = &ordinary {
        agents.push(("nobody, RLIMIT_MEMLOCK 8 MiB".into(), *nobody_pid));
    }
    println!("\n## The agent, idle\n");
    println!("| agent | resident (VmRSS) | peak (VmHWM) | locked (VmLck) |\n|---|---|---|---|");
    for (who, pid) in &agents {
        let kib =
            |field| proc_status_kib(*pid, field).map_or("unknown".into(), |k| format!("{k} KiB"));
        println!(
            "| {who} | {} | {} | {} |",
            kib("VmRSS:"),
            kib("VmHWM:"),
            kib("VmLck:")
        );
    }
    let idle = std::env::var("OTP_BENCH_IDLE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let switches = |pid| {
        proc_status_kib(pid, "voluntary_ctxt_switches:").unwrap_or(0)
            + proc_status_kib(pid, "nonvoluntary_ctxt_switches:").unwrap_or(0)
    };
    let before: Vec<u64> = agents.iter().map(|(_, pid)| switches(*pid)).collect();
    std::thread::sleep(Duration::from_secs(idle));
    println!("\n| agent | wake-ups in {idle} s idle (context switches) |\n|---|---|");
    for ((who, pid), before) in agents.iter().zip(before) {
        println!("| {who} | {} |", switches(*pid).saturating_sub(before));
    }
    checked(&mut otp(&unlocked, runtime.path(), &["lock"]));
    if let Some((lock, _)) = ordinary {
        lock();
    }
}

/// As root: the same vault unlocked by `nobody` under an 8 MiB memlock
/// limit, the usual limit of an ordinary user. Its pid, and how to lock it.
fn as_nobody(vault: &Path) -> Option<(Box<dyn FnOnce()>, u64)> {
    if !rustix::process::getuid().is_root() {
        println!("\n(not root: the agent of an ordinary user is not measured)");
        return None;
    }
    let home = tempfile::tempdir().unwrap().keep();
    let copy = home.join("vault.otpvault");
    std::fs::copy(vault, &copy).unwrap();
    let run = home.join("run");
    std::fs::create_dir(&run).unwrap();
    let nobody = Some(rustix::process::Uid::from_raw(65534));
    for path in [&home, &copy, &run] {
        rustix::fs::chown(path, nobody, None).unwrap();
    }
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let command = {
        let (home, copy, run) = (home.clone(), copy.clone(), run.clone());
        move |args: &[&str]| {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "nobody", "--", "env"])
                .arg(format!("HOME={}", home.display()))
                .arg(format!("XDG_RUNTIME_DIR={}", run.display()))
                .arg(format!("OTP_VAULT={}", copy.display()))
                .arg(format!("OTP_PASSPHRASE={PASSPHRASE}"))
                .args(["prlimit", "--memlock=8388608:8388608", "--"])
                .arg(env!("CARGO_BIN_EXE_otp"))
                .args(args)
                .stdin(Stdio::null());
            cmd
        }
    };
    checked(&mut command(&["unlock"]));
    let status = checked(&mut command(&["status", "--json"])).stdout;
    let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
    let pid = status["agent_pid"].as_u64()?;
    let lock = move || {
        checked(&mut command(&["lock"]));
        let _ = std::fs::remove_dir_all(&home);
    };
    Some((Box::new(lock), pid))
}
