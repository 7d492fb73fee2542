//! Codes agree with pyotp, an independent implementation: on the committed
//! vectors (tests/vectors/pyotp.json, made by tests/vectors/gen_pyotp.py),
//! and live on random keys and times when Python's pyotp is installed.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use otpvault::otp::{Algorithm, hotp, totp};
use otpvault::{Secret, key};

fn algorithm(name: &str) -> Algorithm {
    name.parse().unwrap()
}

/// Our TOTP code for a case written as pyotp.json writes them.
fn totp_of(case: &serde_json::Value) -> otpvault::Code {
    let secret = key::parse(case["secret"].as_str().unwrap()).unwrap();
    totp(
        &secret,
        case["time"].as_u64().unwrap(),
        case["period"].as_u64().unwrap(),
        algorithm(case["algorithm"].as_str().unwrap()),
        case["digits"].as_u64().unwrap() as u8,
    )
}

#[test]
fn committed_pyotp_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/pyotp.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let totp_cases = doc["totp"].as_array().unwrap();
    let hotp_cases = doc["hotp"].as_array().unwrap();
    assert!(totp_cases.len() >= 100 && hotp_cases.len() >= 20);
    for case in totp_cases {
        let got = totp_of(case);
        assert_eq!(got.as_str(), case["code"].as_str().unwrap(), "{case}");
    }
    for case in hotp_cases {
        let secret = key::parse(case["secret"].as_str().unwrap()).unwrap();
        let got = hotp(
            &secret,
            case["counter"].as_u64().unwrap(),
            algorithm(case["algorithm"].as_str().unwrap()),
            case["digits"].as_u64().unwrap() as u8,
        );
        assert_eq!(got.as_str(), case["code"].as_str().unwrap(), "{case}");
    }
}

/// pyotp's codes for `cases`, or None (with a notice) if it is missing.
fn pyotp_codes(cases: &serde_json::Value) -> Option<Vec<String>> {
    const SCRIPT: &str = r#"
import hashlib, json, sys, pyotp
# Newer pyotp refuses keys under 112 bits; real sites use 80-bit keys.
pyotp.OTP.min_secret_length_bits = 0
out = []
for c in json.load(sys.stdin):
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[c["algorithm"]]
    secret = c["secret"] + "=" * (-len(c["secret"]) % 8)
    out.append(pyotp.TOTP(secret, digits=c["digits"], digest=digest, interval=c["period"]).at(c["time"]))
json.dump(out, sys.stdout)
"#;
    if !have_python(&["pyotp"]) {
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cases.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    u64::from_le_bytes(b)
}

fn random_secret(len: usize) -> Secret {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).unwrap();
    Secret::new(bytes)
}

#[test]
fn live_agreement_on_random_keys_and_times() {
    let algorithms = ["SHA1", "SHA256", "SHA512"];
    let periods = [30, 60, 15];
    let cases: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            let secret = random_secret([10, 16, 20, 32, 64][i % 5]);
            serde_json::json!({
                "secret": otpvault::key::to_base32(&secret).as_str(),
                "algorithm": algorithms[(random_u64() % 3) as usize],
                "digits": 6 + random_u64() % 5,
                "period": periods[(random_u64() % 3) as usize],
                "time": random_u64() % (1 << 34),
            })
        })
        .collect();
    let cases = serde_json::Value::Array(cases);
    let Some(expected) = pyotp_codes(&cases) else {
        return;
    };
    for (case, want) in cases.as_array().unwrap().iter().zip(&expected) {
        let got = totp_of(case);
        assert_eq!(got.as_str(), want, "{case}");
    }
}

/// The CEO's check, in small: random Amazon-shaped keys pasted the way
/// Amazon shows them, codes from the built binary at random times.
#[test]
fn binary_agrees_with_pyotp_on_amazon_shaped_keys() {
    let v = TestVault::new();
    let mut cases = Vec::new();
    for i in 0..5 {
        let secret = random_secret(32);
        let b32 = otpvault::key::to_base32(&secret);
        assert_eq!(b32.len(), 52);
        let grouped: Vec<String> = b32
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).to_lowercase())
            .collect();
        v.add(&format!("Amazon{i}"), &grouped.join(" "));
        for _ in 0..3 {
            cases.push(serde_json::json!({
                "name": format!("Amazon{i}"),
                "secret": b32.as_str(),
                "algorithm": "SHA1", "digits": 6, "period": 30,
                "time": random_u64() % 4_102_444_800,
            }));
        }
    }
    let cases = serde_json::Value::Array(cases);
    let Some(expected) = pyotp_codes(&cases) else {
        return;
    };
    for (case, want) in cases.as_array().unwrap().iter().zip(&expected) {
        let got = v.code_at(
            case["name"].as_str().unwrap(),
            case["time"].as_u64().unwrap(),
        );
        assert_eq!(&got, want, "{case}");
    }
}
