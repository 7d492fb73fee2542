//! `cargo bench --bench unlock` (or `benches/run.sh`, which installs the
//! reference tools first): what unlocking and code generation cost, as a
//! table of medians. docs/performance.md shows one run and what it means.
//!
//! - Argon2id at the default parameters: otpvault's KDF path against the
//!   reference C implementation (Debian's `argon2` command), as a ratio;
//! - `otp code` end to end, and its parts: KDF, decrypt, parse, code;
//! - a 10,000-entry vault against a 1-entry one for `code`, `list`, `add`;
//! - codes per second against oathtool and pyotp.
//!
//! Tools that are not installed are reported as such, not guessed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use otpvault::otp::{Algorithm, totp};
use otpvault::vault::crypto::{self, KdfParams};
use otpvault::{Entry, Params, Passphrase, Secret, Vault};

const RUNS: usize = 11;

/// One benchmarked command, run against a given vault.
type VaultCommand = Box<dyn FnMut(&Path)>;
const PASSPHRASE: &str = "benchmark passphrase";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn otp(vault: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_otp"));
    cmd.env("OTP_VAULT", vault)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_KEEP_BACKUPS", "0")
        .args(args)
        .stdin(Stdio::null());
    cmd
}

fn secret(i: u32) -> Secret {
    let mut bytes = [0u8; 20];
    bytes[..4].copy_from_slice(&i.to_be_bytes());
    bytes[4..].copy_from_slice(&crypto::random_array::<16>());
    Secret::new(bytes.to_vec())
}

/// A vault of `n` entries at the default KDF cost, named `site00000`...
fn make_vault(dir: &Path, n: u32) -> PathBuf {
    let path = dir.join(format!("vault-{n}.otpvault"));
    let mut vault = Vault::create(
        &path,
        &Passphrase::from(PASSPHRASE.to_string()),
        KdfParams::default(),
    )
    .unwrap();
    for i in 0..n {
        let name = format!("site{i:05}");
        let entry = Entry::new(
            name.clone(),
            name,
            format!("user{i}@example.com"),
            secret(i),
            Params::default(),
        )
        .unwrap();
        vault.add(entry).unwrap();
    }
    vault.set_keep_backups(0);
    vault.save().unwrap();
    path
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let kdf = KdfParams::default();
    println!(
        "# otpvault benchmark: medians of {RUNS} runs, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1. The KDF against the reference implementation.
    let pass = Passphrase::from(PASSPHRASE.to_string());
    let salt = [7u8; 32];
    let ours = || {
        kdf.derive(&pass, &salt).unwrap();
    };
    // The same crate allocating its own memory (zeroed, faulted in lazily,
    // never wiped): what otpvault's working memory replaces.
    let crate_alloc = || {
        let params =
            argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32)).unwrap();
        let mut out = [0u8; 32];
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(PASSPHRASE.as_bytes(), &salt, &mut out)
            .unwrap();
    };
    let reference = || {
        let script = format!(
            "printf %s '{PASSPHRASE}' | argon2 saltsaltsaltsalt -id -t {} -k {} -p {} -l 32 -r",
            kdf.iterations, kdf.memory_kib, kdf.parallelism
        );
        run_ok(Command::new("sh").args(["-c", &script]));
    };
    // Interleaved, so that the machine's drift affects all three alike.
    let with_reference = have("argon2");
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..RUNS {
        samples[0].push(time(1, ours));
        samples[1].push(time(1, crate_alloc));
        if with_reference {
            samples[2].push(time(1, reference));
        }
    }
    let [ours, crate_alloc, reference] = samples.map(|s| (!s.is_empty()).then(|| median(s)));
    let (ours, crate_alloc) = (ours.unwrap(), crate_alloc.unwrap());
    println!(
        "## Argon2id, {} MiB, t={}, p={}\n",
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    );
    println!("| implementation | median | ratio to reference |\n|---|---|---|");
    let ratio = |d: Duration| match reference {
        Some(r) => format!("{:.2}", d.as_secs_f64() / r.as_secs_f64()),
        None => "-".to_string(),
    };
    println!(
        "| otpvault (argon2 crate, parallel lanes, own memory, wiped) | {} | {} |",
        ms(ours),
        ratio(ours)
    );
    println!(
        "| argon2 crate, parallel lanes, its own allocation | {} | {} |",
        ms(crate_alloc),
        ratio(crate_alloc)
    );
    match reference {
        Some(r) => println!(
            "| Debian `argon2` (reference C, as a process) | {} | 1.00 |",
            ms(r)
        ),
        None => println!("| Debian `argon2` | not installed (apt-get install argon2) | - |"),
    }

    // 2. `otp code` end to end and its parts, on the 1-entry vault.
    let one = make_vault(dir.path(), 1);
    let big = make_vault(dir.path(), 10_000);
    let code_one = time(RUNS, || run_ok(&mut otp(&one, &["code", "site00000"])));
    let bytes = std::fs::read(&big).unwrap();
    let parsed = otpvault::vault::format::parse(&bytes).unwrap();
    let key = crypto::random_key();
    let nonce = crypto::random_array();
    let sealed = crypto::seal(
        &key,
        &nonce,
        parsed.header_bytes,
        vec![0u8; parsed.ciphertext.len() - 16],
    )
    .unwrap();
    let decrypt = time(RUNS, || {
        crypto::open(&key, &nonce, parsed.header_bytes, &sealed).unwrap();
    });
    let vault = Vault::open(&big, &pass).unwrap();
    let json = serde_json::to_vec(vault.entries()).unwrap();
    let parse = time(RUNS, || {
        serde_json::from_slice::<Vec<Entry>>(&json).unwrap();
    });
    let entry = &vault.entries()[0];
    let one_code = time(RUNS, || {
        entry.code(1_700_000_000).unwrap();
    });
    println!("\n## `otp code` on a 1-entry vault, and its parts\n");
    println!("| part | median |\n|---|---|");
    println!(
        "| whole command (process start to exit) | {} |",
        ms(code_one)
    );
    println!("| KDF (above) | {} |", ms(ours));
    println!(
        "| decrypt the payload of a 10,000-entry vault ({} KiB) | {} |",
        parsed.ciphertext.len() / 1024,
        ms(decrypt)
    );
    println!("| parse 10,000 entries | {} |", ms(parse));
    println!("| one code | {:.1} µs |", one_code.as_secs_f64() * 1e6);

    // 3. A 10,000-entry vault against a 1-entry one.
    println!("\n## 10,000 entries against 1 (whole commands)\n");
    println!("| command | 1 entry | 10,000 entries | added |\n|---|---|---|---|");
    let mut add_n = 0;
    let mut rows: Vec<(&str, VaultCommand)> = vec![
        (
            "otp code site00000",
            Box::new(|v: &Path| run_ok(&mut otp(v, &["code", "site00000"]))),
        ),
        (
            "otp list",
            Box::new(|v: &Path| run_ok(&mut otp(v, &["list"]))),
        ),
        (
            "otp add (key on stdin)",
            Box::new(move |v: &Path| {
                add_n += 1;
                let mut cmd = otp(v, &["add", &format!("new{add_n}")]);
                cmd.stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                let mut child = cmd.spawn().unwrap();
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
                    .unwrap();
                assert!(child.wait().unwrap().success());
            }),
        ),
    ];
    for (name, f) in rows.iter_mut() {
        // Interleaved, so that the machine's drift affects both alike.
        let (mut small, mut large) = (Vec::new(), Vec::new());
        for _ in 0..2 * RUNS + 1 {
            small.push(time(1, || f(&one)));
            large.push(time(1, || f(&big)));
        }
        let (small, large) = (median(small), median(large));
        println!(
            "| `{name}` | {} | {} | {:+.1}% |",
            ms(small),
            ms(large),
            (large.as_secs_f64() / small.as_secs_f64() - 1.0) * 100.0
        );
    }

    // 4. Codes per second.
    println!("\n## TOTP codes per second (SHA-1, 6 digits, one core)\n");
    println!("| implementation | codes/s |\n|---|---|");
    let key20 = secret(1);
    let n = 200_000u64;
    let start = Instant::now();
    for t in 0..n {
        std::hint::black_box(totp(&key20, t * 30, 30, Algorithm::SHA1, 6));
    }
    println!(
        "| otpvault (library) | {:.0} |",
        n as f64 / start.elapsed().as_secs_f64()
    );
    let b32 = key20.to_base32();
    if have("oathtool") {
        let window = 100_000;
        let start = Instant::now();
        run_ok(Command::new("oathtool").args([
            "--totp",
            "-b",
            "-w",
            &window.to_string(),
            "--now=@0",
            &b32,
        ]));
        println!(
            "| oathtool (one process, -w {window}) | {:.0} |",
            window as f64 / start.elapsed().as_secs_f64()
        );
    } else {
        println!("| oathtool | not installed (apt-get install oathtool) |");
    }
    let script = format!(
        "import pyotp, time\nt = pyotp.TOTP('{}')\nn = 100000\ns = time.perf_counter()\nfor i in range(n): t.at(i * 30)\nprint(n / (time.perf_counter() - s))",
        b32.as_str()
    );
    match Command::new("python3").args(["-c", &script]).output() {
        Ok(out) if out.status.success() => {
            let rate: f64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .unwrap_or(0.0);
            println!("| pyotp (Python loop) | {rate:.0} |");
        }
        _ => println!("| pyotp | not installed (pip install pyotp) |"),
    }
}
