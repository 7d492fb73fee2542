//! The vault-format vectors of docs/vault-format.md, made by an independent
//! implementation (tests/vectors/gen_vault_vectors.py: argon2-cffi, PyNaCl),
//! run through otpvault: each case reaches the outcome the spec gives, and
//! the example's intermediate values are what otpvault computes.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use data_encoding::HEXLOWER;
use otpvault::crypto::{self, kdf::KdfParams};
use otpvault::vault::{OpenError, format};
use otpvault::{Damage, Passphrase, Vault};
use serde_json::Value;

fn vectors_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(vectors_dir().join("vault-v1.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(value: &Value) -> Vec<u8> {
    HEXLOWER.decode(value.as_str().unwrap().as_bytes()).unwrap()
}

fn pass(value: &Value) -> Passphrase {
    Passphrase::from(value.as_str().unwrap().to_string())
}

/// The spec's name for each kind of damage.
fn damage_name(damage: &Damage) -> &'static str {
    match damage {
        Damage::NotAVault => "not_a_vault",
        Damage::UnsupportedVersion(_) => "unsupported_version",
        Damage::Truncated => "truncated",
        Damage::ChecksumMismatch => "checksum",
        Damage::Malformed(_) => "malformed",
        Damage::NoPassphraseSlot => "no_passphrase_slot",
        Damage::Kdf(_) => "kdf",
        Damage::PayloadAuthentication => "payload_authentication",
        Damage::PayloadInvalid(_) => "payload_invalid",
    }
}

#[test]
fn every_case_reaches_the_outcome_the_spec_gives() {
    let vectors = vectors();
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let bytes = hex(&case["file_hex"]);
        let result = Vault::from_bytes(Path::new(name), &bytes, &pass(&case["passphrase"]));
        let expect = &case["expect"];
        match (expect["result"].as_str().unwrap(), result) {
            ("opens", Ok(vault)) => {
                let want = expect["entries"].as_array().unwrap();
                let got = vault.entries().as_slice();
                assert_eq!(got.len(), want.len(), "{name}");
                for (entry, want) in got.iter().zip(want) {
                    assert_eq!(entry.id, want["id"].as_str().unwrap(), "{name}");
                    assert_eq!(entry.name, want["name"].as_str().unwrap(), "{name}");
                    assert_eq!(entry.issuer, want["issuer"].as_str().unwrap(), "{name}");
                    assert_eq!(entry.account, want["account"].as_str().unwrap(), "{name}");
                    assert_eq!(entry.secret.expose(), hex(&want["secret_hex"]), "{name}");
                    let otp = &want["otp"];
                    assert_eq!(entry.otp.kind.as_str(), otp["kind"].as_str().unwrap());
                    assert_eq!(entry.otp.algorithm.as_str(), otp["algorithm"]);
                    assert_eq!(u64::from(entry.otp.digits), otp["digits"].as_u64().unwrap());
                    assert_eq!(u64::from(entry.otp.period), otp["period"].as_u64().unwrap());
                    assert_eq!(entry.otp.counter, otp["counter"].as_u64().unwrap());
                }
            }
            ("wrong_passphrase", Err(OpenError::WrongPassphrase(_))) => {}
            ("damaged", Err(OpenError::Damaged { damage, .. })) => {
                assert_eq!(damage_name(&damage), expect["damage"], "{name}: {damage}");
                if let Damage::UnsupportedVersion(v) = damage {
                    assert_eq!(u64::from(v), expect["version"].as_u64().unwrap(), "{name}");
                }
            }
            (want, got) => panic!("{name}: expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn the_example_file_and_its_intermediate_values() {
    let vectors = vectors();
    let example = &vectors["example"];
    let file = hex(&example["file_hex"]);
    assert_eq!(
        std::fs::read(vectors_dir().join("example-v1.otpvault")).unwrap(),
        file
    );
    // KEK = Argon2id(passphrase, salt) with the slot's costs.
    let cost = &example["argon2id"];
    let field = |name: &str| u32::try_from(cost[name].as_u64().unwrap()).unwrap();
    let kdf = KdfParams {
        memory_kib: field("memory_kib"),
        iterations: field("iterations"),
        parallelism: field("parallelism"),
    };
    let kek = kdf
        .derive(&pass(&example["passphrase"]), &hex(&example["salt_hex"]))
        .unwrap();
    assert_eq!(kek.to_vec(), hex(&example["kek_hex"]));
    // The header is every byte up to the payload nonce, and the payload
    // opens with the vault key and the header as associated data.
    let parsed = format::parse(&file).unwrap();
    assert_eq!(parsed.header_bytes, hex(&example["header_hex"]));
    assert_eq!(
        parsed.header.payload_nonce.to_vec(),
        hex(&example["payload_nonce_hex"])
    );
    let slot = parsed.header.passphrase_slot().unwrap();
    assert_eq!(slot.salt.to_vec(), hex(&example["salt_hex"]));
    assert_eq!(slot.nonce.to_vec(), hex(&example["slot_nonce_hex"]));
    let key: [u8; 32] = hex(&example["vault_key_hex"]).try_into().unwrap();
    let plaintext = crypto::open(
        &key,
        &parsed.header.payload_nonce,
        parsed.header_bytes,
        parsed.ciphertext,
    )
    .unwrap();
    assert_eq!(
        plaintext.as_slice(),
        example["plaintext"].as_str().unwrap().as_bytes()
    );
}

#[test]
fn the_generator_gives_the_committed_vectors() {
    if !have_python(&["argon2", "nacl"]) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(vectors_dir().join("gen_vault_vectors.py"))
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut made: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("vault-v1.json")).unwrap()).unwrap();
    let mut committed = vectors();
    // The tool versions may differ from machine to machine; the bytes may not.
    made["made_by"].take();
    committed["made_by"].take();
    assert_eq!(made, committed, "run the generator and commit its output");
    assert_eq!(
        std::fs::read(out.path().join("example-v1.otpvault")).unwrap(),
        std::fs::read(vectors_dir().join("example-v1.otpvault")).unwrap()
    );
}
