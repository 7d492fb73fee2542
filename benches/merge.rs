//! `cargo bench --bench merge`: merging two 10,000-entry copies of a vault
//! that share 9,000 entries (each has 1,000 of its own, and 500 of the
//! shared ones were renamed on one side), the merge itself, after both
//! copies are unlocked. docs/performance.md shows a run.

use std::time::{Duration, Instant};

use otpvault::entries::Entries;
use otpvault::merge::{merge, report};
use otpvault::{Account, Entry, Overrides, Secret};

const RUNS: usize = 11;

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

fn main() {
    let shared: Vec<Entry> = (0..9_000).map(entry).collect();
    let mut a = Entries::default();
    let mut b = Entries::default();
    for e in &shared {
        a.add(e.clone()).unwrap();
        b.add(e.clone()).unwrap();
    }
    for i in 9_000..10_000 {
        a.add(entry(i)).unwrap();
    }
    for i in 10_000..11_000 {
        b.add(entry(i)).unwrap();
    }
    let later = shared[0].modified + 10;
    for e in shared.iter().take(500) {
        b.rename_at(&e.name, &format!("{} (renamed)", e.name), later)
            .unwrap();
    }
    let mut samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let merged = merge(&a, &b);
            let said = report(&a, &b, &merged);
            let took = start.elapsed();
            assert_eq!(merged.len(), 11_000);
            assert_eq!(said.added.len(), 1_000);
            took
        })
        .collect();
    samples.sort();
    println!("# otpvault merge benchmark: median of {RUNS} runs\n");
    println!("| merge | median | min | max |\n|---|---|---|---|");
    println!(
        "| two 10,000-entry copies sharing 9,000 (500 renamed on one side), with its report | {:.1} ms | {:.1} ms | {:.1} ms |",
        samples[RUNS / 2].as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[RUNS - 1].as_secs_f64() * 1e3
    );
}
