//! `cargo bench --bench import`: `otp import FILE` of URI lists of 10,000
//! and 100,000 accounts into an empty vault (tiny KDF), whole command, and
//! the hostile list of the scale issue: 4,000 accounts that share one
//! issuer and one account name, so that every one needs a new name.
//!
//! An import is linear when 100,000 take at most about ten times what
//! 10,000 take (the bound is 15×). `OTP_BENCH_KEEP=DIR` leaves the
//! lists and the empty vault in DIR for farm-bench (docs/performance.md
//! gives the command and the figures).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use otpvault::vault::Settings;
use otpvault::{KdfParams, Passphrase, Vault};

const PASSPHRASE: &str = "correct horse battery staple";
const TINY: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

/// A URI list of `n` accounts: distinct, or all with one issuer and one
/// account name when `same`.
fn uri_list(n: u32, same: bool) -> String {
    let base32 = data_encoding::BASE32_NOPAD;
    let mut out = String::with_capacity(n as usize * 100);
    for i in 0..n {
        let secret = base32.encode(format!("secret of account {i:08}").as_bytes());
        let (issuer, account) = if same {
            ("Example".to_string(), "me@example.com".to_string())
        } else {
            (format!("Issuer{i}"), format!("user{i}@example.com"))
        };
        writeln!(
            out,
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}"
        )
        .unwrap();
    }
    out
}

fn import(vault: &Path, empty: &[u8], list: &Path) -> Duration {
    std::fs::write(vault, empty).unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_otp"))
        .env("OTP_VAULT", vault)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_KEEP_BACKUPS", "0")
        .args(["-q", "import"])
        .arg(list)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median_ms(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    )
}

fn main() {
    let keep = std::env::var_os("OTP_BENCH_KEEP");
    let dir = tempfile::tempdir().unwrap();
    let dir = keep.as_deref().map(Path::new).unwrap_or(dir.path());
    let vault = dir.join("empty.otpvault");
    let _ = std::fs::remove_file(&vault);
    let passphrase = Passphrase::from(PASSPHRASE.to_string());
    drop(Vault::create(&vault, &passphrase, TINY, Settings::default()).unwrap());
    let empty = std::fs::read(&vault).unwrap();
    let target = dir.join("target.otpvault");

    println!("# otpvault import benchmark: whole `otp import`, tiny KDF\n");
    println!("| list | runs | median | min | max |\n|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (name, n, same, runs) in [
        ("10k.txt", 10_000, false, 7),
        ("100k.txt", 100_000, false, 3),
        ("same-4k.txt", 4_000, true, 5),
    ] {
        let list = dir.join(name);
        std::fs::write(&list, uri_list(n, same)).unwrap();
        let samples = (0..runs).map(|_| import(&target, &empty, &list)).collect();
        let (median, min, max) = median_ms(samples);
        medians.push(median);
        let what = if same {
            format!("{n} URIs, one issuer and account")
        } else {
            format!("{n} URIs")
        };
        println!("| {what} | {runs} | {median:.0} ms | {min:.0} ms | {max:.0} ms |");
    }
    println!(
        "\n100,000 / 10,000: {:.1}x (medians; linear is 10x)",
        medians[1] / medians[0]
    );
}
