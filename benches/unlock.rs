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

use otpvault::crypto::{self, kdf::KdfParams};
use otpvault::otp::{Algorithm, totp};
use otpvault::vault::Settings;
use otpvault::vault::{Access, Unlock};
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

/// A vault of `n` entries at KDF cost `kdf`, named `site00000`...
fn make_vault(dir: &Path, n: u32, kdf: KdfParams) -> PathBuf {
    let path = dir.join(format!(
        "vault-{n}-{}k-t{}.otpvault",
        kdf.memory_kib, kdf.iterations
    ));
    let settings = Settings {
        keep_backups: 0,
        ..Settings::default()
    };
    let mut vault = Vault::create(
        &path,
        &Passphrase::from(PASSPHRASE.to_string()),
        kdf,
        settings,
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
    let _ = vault.save().unwrap();
    path
}

/// Runs each of `variants` variants (`run(i)` runs variant `i`) `runs`
/// times, interleaved run by run so that the machine's drift affects them
/// alike, and returns their medians.
fn interleaved(runs: usize, variants: usize, mut run: impl FnMut(usize)) -> Vec<Duration> {
    let mut samples = vec![Vec::new(); variants];
    for _ in 0..runs {
        for (i, s) in samples.iter_mut().enumerate() {
            s.push(time(1, || run(i)));
        }
    }
    samples.into_iter().map(median).collect()
}

/// A reference `argon2` command (Debian's, or one built from source) at
/// `kdf`, reading the passphrase on stdin as the command does.
fn reference_argon2(binary: &str, kdf: KdfParams) -> impl FnMut() {
    let script = format!(
        "printf %s '{PASSPHRASE}' | {binary} saltsaltsaltsalt -id -t {} -k {} -p {} -l 32 -r",
        kdf.iterations, kdf.memory_kib, kdf.parallelism
    );
    move || run_ok(Command::new("sh").args(["-c", &script]))
}

fn otp_code(vault: &Path) -> impl FnMut() + '_ {
    move || run_ok(&mut otp(vault, &["code", "site00000"]))
}

fn percent_added(base: Duration, more: Duration) -> String {
    format!(
        "{:+.1}%",
        (more.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0
    )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let kdf = KdfParams::default();
    println!(
        "# otpvault benchmark: medians of {RUNS} runs, {} cores\n",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1. The KDF and `otp code` against the reference implementations.
    let pass = Passphrase::from(PASSPHRASE.to_string());
    let salt = [7u8; 32];
    let one = make_vault(dir.path(), 1, kdf);
    let mut ours = || {
        kdf.derive(&pass, &salt).unwrap();
    };
    // The same crate allocating its own memory (zeroed, faulted in lazily,
    // never wiped): what otpvault's working memory replaces.
    let mut crate_alloc = || {
        let params =
            argon2::Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32)).unwrap();
        let mut out = [0u8; 32];
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(PASSPHRASE.as_bytes(), &salt, &mut out)
            .unwrap();
    };
    let mut code_one = otp_code(&one);
    let mut rows: Vec<(&str, &mut dyn FnMut())> = vec![
        (
            "otpvault KDF (argon2 crate, parallel lanes, own memory, wiped)",
            &mut ours,
        ),
        (
            "argon2 crate, parallel lanes, its own allocation",
            &mut crate_alloc,
        ),
        (
            "`otp code` on a 1-entry vault (whole process)",
            &mut code_one,
        ),
    ];
    let mut debian = reference_argon2("argon2", kdf);
    let with_debian = have("argon2");
    if with_debian {
        rows.push((
            "Debian `argon2` (reference C, generic build, as a process)",
            &mut debian,
        ));
    }
    // A reference built from source with -march=native (SIMD) and threads,
    // if ARGON2_NATIVE names it; see docs/performance.md.
    let native_path = std::env::var("ARGON2_NATIVE").ok();
    let mut native = reference_argon2(native_path.as_deref().unwrap_or("false"), kdf);
    if native_path.is_some() {
        rows.push((
            "reference C built with -march=native (SIMD), as a process",
            &mut native,
        ));
    }
    let medians = interleaved(RUNS, rows.len(), |i| (rows[i].1)());
    let ratio_to =
        |i: usize, d: Duration| format!("{:.2}", d.as_secs_f64() / medians[i].as_secs_f64());
    let native_at = native_path.is_some().then(|| medians.len() - 1);
    let debian_at = with_debian.then_some(3);
    println!(
        "## Argon2id at the default cost: {} MiB, t={}, p={}\n",
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    );
    println!(
        "| implementation | median | ratio to Debian `argon2` | ratio to native build |\n|---|---|---|---|"
    );
    for ((name, _), d) in rows.iter().zip(&medians) {
        println!(
            "| {name} | {} | {} | {} |",
            ms(*d),
            debian_at.map_or("-".into(), |i| ratio_to(i, *d)),
            native_at.map_or("-".into(), |i| ratio_to(i, *d)),
        );
    }
    if !with_debian {
        println!("\nDebian's `argon2` is not installed (apt-get install argon2).");
    }
    if native_path.is_none() {
        println!(
            "\nNo native build: set ARGON2_NATIVE to the path of a reference `argon2` built with `make`."
        );
    }

    // 2. `otp code` at the default cost and at the former one.
    let former = KdfParams {
        memory_kib: 256 * 1024,
        iterations: 3,
        parallelism: 4,
    };
    let one_former = make_vault(dir.path(), 1, former);
    let vaults = [&one, &one_former];
    let costs = interleaved(RUNS, 2, |i| otp_code(vaults[i])());
    println!("\n## `otp code` by KDF cost (1-entry vault, whole process)\n");
    println!("| Argon2id cost | memory per guess | median |\n|---|---|---|");
    for (p, d) in [kdf, former].iter().zip(&costs) {
        println!(
            "| {} MiB, t={}, p={}{} | {} MiB | {} |",
            p.memory_kib / 1024,
            p.iterations,
            p.parallelism,
            if *p == kdf { " (default)" } else { "" },
            p.memory_kib / 1024,
            ms(*d)
        );
    }

    // 2b. The costliest header the read bounds accept (docs/threat-model.md):
    // the most a hostile vault or backup can make one unlock cost.
    let worst = KdfParams {
        memory_kib: otpvault::crypto::kdf::MAX_MEMORY_KIB,
        iterations: 2,
        parallelism: 1,
    };
    assert_eq!(worst.check(), Ok(()));
    let one_worst = make_vault(dir.path(), 1, worst);
    let vaults = [&one, &one_worst];
    let costs = interleaved(3, 2, |i| otp_code(vaults[i])());
    println!("\n## The costliest header a vault may carry (whole process)\n");
    println!("| Argon2id cost | median | against the default |\n|---|---|---|");
    println!("| 512 MiB, t=2, p=4 (default) | {} | 1.0 |", ms(costs[0]));
    println!(
        "| 2 GiB, t=2, p=1 (the most the bounds accept) | {} | {:.1} |",
        ms(costs[1]),
        costs[1].as_secs_f64() / costs[0].as_secs_f64()
    );

    // 3. The parts of `otp code` besides the KDF, on a 10,000-entry vault.
    let big = make_vault(dir.path(), 10_000, kdf);
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
    let check = time(RUNS, || {
        otpvault::vault::format::parse(&bytes).unwrap();
    });
    let decrypt = time(RUNS, || {
        crypto::open(&key, &nonce, parsed.header_bytes, &sealed).unwrap();
    });
    let vault = Vault::open(
        &big,
        Unlock::Passphrase(&pass),
        Access::Read,
        Settings::default(),
    )
    .unwrap();
    let json = serde_json::to_vec(vault.entries()).unwrap();
    let parse = time(RUNS, || {
        otpvault::Entries::from_json(&json).unwrap();
    });
    let entry = &vault.entries().as_slice()[0];
    let one_code = time(RUNS, || {
        entry.code(1_700_000_000).unwrap();
    });
    println!("\n## The parts of `otp code`\n");
    println!("| part | median |\n|---|---|");
    println!("| KDF (section 1) | {} |", ms(medians[0]));
    println!(
        "| check the header and checksum of a 10,000-entry vault ({} KiB) | {} |",
        bytes.len() / 1024,
        ms(check)
    );
    println!("| decrypt its payload | {} |", ms(decrypt));
    println!(
        "| parse its 10,000 entries and check their rules | {} |",
        ms(parse)
    );
    println!("| one code | {:.1} µs |", one_code.as_secs_f64() * 1e6);

    // 4. A 10,000-entry vault against a 1-entry one: whole commands at the
    // default cost, and at a tiny cost, where the KDF's noise does not hide
    // what the entries add.
    let tiny = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
    let (one_tiny, big_tiny) = (
        make_vault(dir.path(), 1, tiny),
        make_vault(dir.path(), 10_000, tiny),
    );
    println!("\n## 10,000 entries against 1 (whole commands)\n");
    println!(
        "| command | 1 entry | 10,000 entries | added | added at a tiny KDF cost | that, as a share of `otp code` |\n|---|---|---|---|---|---|"
    );
    let mut add_n = 0;
    let mut commands: Vec<(&str, VaultCommand)> = vec![
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
    for (name, f) in commands.iter_mut() {
        let pair = |a: &Path, b: &Path, runs, f: &mut VaultCommand| {
            let vaults = [a, b];
            let m = interleaved(runs, 2, |i| f(vaults[i]));
            (m[0], m[1])
        };
        let (small, large) = pair(&one, &big, 2 * RUNS + 1, f);
        let (small_tiny, large_tiny) = pair(&one_tiny, &big_tiny, 4 * RUNS + 1, f);
        let added = large_tiny.saturating_sub(small_tiny);
        println!(
            "| `{name}` | {} | {} | {} | {} | {:.1}% |",
            ms(small),
            ms(large),
            percent_added(small, large),
            ms(added),
            added.as_secs_f64() / medians[2].as_secs_f64() * 100.0
        );
    }

    // 5. Codes per second.
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
    let b32 = otpvault::key::to_base32(&key20);
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
