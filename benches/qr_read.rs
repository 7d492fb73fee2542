//! `cargo bench --bench qr_read -- FOLDER OUT.json`: reads every image of a
//! QR sweep made by benches/qr_sweep/generate.py with otpvault's decoder
//! and writes `{file: text or null}` for benches/qr_sweep/zbar_rate.py to
//! compare with zbar. Also prints how long the largest image took, since a
//! 4K screenshot must read in under a second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let (Some(folder), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --bench qr_read -- FOLDER OUT.json");
        std::process::exit(2);
    };
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".png") || n.ends_with(".jpg") || n.ends_with(".jpeg"))
        .collect();
    names.sort();
    let mut results = BTreeMap::new();
    let mut slowest = (Duration::ZERO, String::new());
    for name in &names {
        let bytes = std::fs::read(format!("{folder}/{name}")).unwrap();
        let start = Instant::now();
        let texts = otpvault::qr::decode(&bytes).unwrap_or_default();
        let took = start.elapsed();
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        results.insert(name.clone(), texts);
    }
    std::fs::write(out, serde_json::to_vec_pretty(&results).unwrap()).unwrap();
    let read = results.values().filter(|t| !t.is_empty()).count();
    println!(
        "decoded something in {read} of {} images; slowest {:.0} ms ({})",
        names.len(),
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1
    );
}
