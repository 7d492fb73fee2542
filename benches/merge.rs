//! `cargo bench --bench merge`: two 10,000-entry copies of a vault that
//! share 9,000 entries (each has 1,000 of its own, and 500 of the shared
//! ones were renamed on one side, 500 given a site on the other).
//!
//! Two measures: the merge itself, in process, after both copies are
//! unlocked; and the whole `otp merge COPY` command against `otp list` on
//! the same vault (tiny KDF), run alternately so that the machine's drift
//! affects both alike. `OTP_BENCH_KEEP=DIR` leaves the vaults in DIR for
//! farm-bench (docs/performance.md shows both).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use otpvault::entries::{Edit, Entries};
use otpvault::merge::{merge, report};
use otpvault::site::SiteEdit;
use otpvault::vault::{Access, Settings, Unlock};
use otpvault::{Account, Entry, KdfParams, Overrides, Passphrase, Secret, Vault};

const RUNS: usize = 11;
const PASSPHRASE: &str = "correct horse battery staple";
const TINY: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn entry(i: u32) -> Entry {
    let bytes = format!("secret of account {i:08}").into_bytes();
    Account {
        issuer: format!("Issuer {i}"),
        account: format!("user{i}@example.com"),
        secret: Secret::new(bytes),
        params: otpvault::Params::default(),
        sites: Vec::new(),
    }
    .enrol(&format!("site{i:05}"), Overrides::default())
    .unwrap()
    .entry
}

/// The two copies' entries: the shared ones added to both at once.
fn copies() -> (Entries, Entries) {
    let shared: Vec<Entry> = (0..9_000).map(entry).collect();
    let mut a = Entries::default();
    let mut b = Entries::default();
    let t = 1_800_000_000_000;
    a.add_all_at(shared.clone(), t).unwrap();
    b.add_all_at(shared.clone(), t).unwrap();
    a.add_all_at((9_000..10_000).map(entry).collect(), t + 1)
        .unwrap();
    b.add_all_at((10_000..11_000).map(entry).collect(), t + 1)
        .unwrap();
    for e in shared.iter().take(500) {
        b.rename_at(&e.name, &format!("{} (renamed)", e.name), t + 10)
            .unwrap();
    }
    for e in shared.iter().skip(500).take(500) {
        let edit = Edit {
            sites: SiteEdit {
                set: Some(vec!["example.com".into()]),
                ..SiteEdit::default()
            },
            ..Edit::default()
        };
        a.edit_at(&e.name, &edit, t + 20).unwrap();
    }
    (a, b)
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

/// Writes a vault at `path` holding `entries`.
fn write_vault(path: &Path, entries: &Entries) {
    let passphrase = Passphrase::from(PASSPHRASE.to_string());
    drop(Vault::create(path, &passphrase, TINY, Settings::default()).unwrap());
    let mut v = Vault::open(
        path,
        Unlock::Passphrase(&passphrase),
        Access::Update,
        Settings::default(),
    )
    .unwrap();
    v.add_all(entries.iter().cloned().collect()).unwrap();
    v.save().unwrap().backup.unwrap();
}

fn otp(vault: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_otp"))
        .env("OTP_VAULT", vault)
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_KEEP_BACKUPS", "0")
        .args(args)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn main() {
    let (a, b) = copies();
    let samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let (merged, ahead) = merge(&a, &b, 1_800_000_100_000);
            let said = report(&a, &b, &merged, ahead);
            let took = start.elapsed();
            assert_eq!(merged.len(), 11_000);
            assert_eq!(said.added.len(), 1_000);
            took
        })
        .collect();
    let (median, min, max) = median_ms(samples);
    println!("# otpvault merge benchmark: median of {RUNS} runs\n");
    println!("| measure | median | min | max |\n|---|---|---|---|");
    println!(
        "| the merge of two 10,000-entry copies sharing 9,000, with its report (in process) | {median:.1} ms | {min:.1} ms | {max:.1} ms |"
    );

    let keep = std::env::var_os("OTP_BENCH_KEEP");
    let dir = tempfile::tempdir().unwrap();
    let dir = keep.as_deref().map(Path::new).unwrap_or(dir.path());
    let ours = dir.join("ours.otpvault");
    let theirs = dir.join("theirs.otpvault");
    let _ = std::fs::remove_file(&ours);
    let _ = std::fs::remove_file(&theirs);
    write_vault(&ours, &a);
    // The other copy: the same vault, changed on another device.
    std::fs::copy(&ours, &theirs).unwrap();
    {
        let passphrase = Passphrase::from(PASSPHRASE.to_string());
        let mut v = Vault::open(
            &theirs,
            Unlock::Passphrase(&passphrase),
            Access::Update,
            Settings::default(),
        )
        .unwrap();
        for i in 9_000..10_000 {
            v.remove(&format!("site{i:05}")).unwrap();
        }
        v.add_all((10_000..11_000).map(entry).collect()).unwrap();
        for i in 0..500 {
            let name = format!("site{i:05}");
            v.rename(&name, &format!("{name} (renamed)")).unwrap();
        }
        v.save().unwrap().backup.unwrap();
    }
    let ours_bytes = std::fs::read(&ours).unwrap();
    let (mut merges, mut lists) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        std::fs::write(&ours, &ours_bytes).unwrap();
        let theirs_path = theirs.to_str().unwrap();
        merges.push(otp(&ours, &["merge", theirs_path]));
        std::fs::write(&ours, &ours_bytes).unwrap();
        lists.push(otp(&ours, &["list"]));
    }
    let (merge_ms, merge_min, merge_max) = median_ms(merges);
    let (list_ms, list_min, list_max) = median_ms(lists);
    println!(
        "| `otp merge COPY`, whole command, tiny KDF | {merge_ms:.0} ms | {merge_min:.0} ms | {merge_max:.0} ms |"
    );
    println!(
        "| `otp list` on the same vault | {list_ms:.0} ms | {list_min:.0} ms | {list_max:.0} ms |"
    );
    println!("\nmerge / list: {:.2}x (medians)", merge_ms / list_ms);
}
