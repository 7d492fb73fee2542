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
use otpvault::vault::{Access, Unlock};
use otpvault::vault::{OpenError, format};
use otpvault::{Damage, Passphrase, Vault};
use serde_json::Value;

fn vectors_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

fn vectors_of(version: u16) -> Value {
    let text =
        std::fs::read_to_string(vectors_dir().join(format!("vault-v{version}.json"))).unwrap();
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
    let cases: Vec<Value> = [1, 2, 3]
        .iter()
        .flat_map(|&v| vectors_of(v)["cases"].as_array().unwrap().clone())
        .collect();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let bytes = hex(&case["file_hex"]);
        let result = Vault::from_bytes(
            Path::new(name),
            &bytes,
            Unlock::Passphrase(&pass(&case["passphrase"])),
        );
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
                    if let Some(given) = want.get("given_name") {
                        assert_eq!(entry.given_name.as_deref(), given.as_str(), "{name}");
                    }
                    if let Some(sites) = want.get("sites") {
                        assert_eq!(&serde_json::json!(entry.sites), sites, "{name}");
                    }
                }
                for (t, want) in vault
                    .entries()
                    .tombstones()
                    .iter()
                    .zip(expect["tombstones"].as_array().into_iter().flatten())
                {
                    let mut got = serde_json::to_value(t).unwrap();
                    if want.get("stamp").is_none() {
                        // Before format 3 a removal has no stamp: read as
                        // made at `deleted`, to the second.
                        let stamp = got.as_object_mut().unwrap().remove("stamp").unwrap();
                        assert_eq!(stamp, serde_json::json!([t.deleted * 1000, 0]), "{name}");
                    }
                    assert_eq!(&got, want, "{name}");
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
fn the_example_files_and_their_intermediate_values() {
    for version in [1u16, 2, 3] {
        example_and_intermediates(version);
    }
}

fn example_and_intermediates(version: u16) {
    let vectors = vectors_of(version);
    let example = &vectors["example"];
    let file = hex(&example["file_hex"]);
    assert_eq!(
        std::fs::read(vectors_dir().join(format!("example-v{version}.otpvault"))).unwrap(),
        file
    );
    assert_eq!(u16::from_be_bytes([file[8], file[9]]), version);
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

/// The recovery key as the independent generator writes it (Crockford
/// base32, Reed-Solomon check characters) parses to its bytes, prints the
/// same, and opens the vault through the recovery slot (HKDF-SHA256).
#[test]
fn the_recovery_key_vector() {
    let vectors = vectors_of(2);
    let case = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "recovery key")
        .unwrap();
    // As otpvault 0.2 wrote it (two check characters): still valid.
    let text = case["recovery_key"].as_str().unwrap();
    let key = otpvault::recovery::RecoveryKey::parse(text).unwrap();
    assert_eq!(key.expose().to_vec(), hex(&case["recovery_key_hex"]));
    // As it is written now (four check characters, six groups of five).
    let written = case["recovery_key_30"].as_str().unwrap();
    assert_eq!(key.to_text().as_str(), written);
    assert_eq!(
        otpvault::recovery::RecoveryKey::parse(written).unwrap(),
        key
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recover.otpvault");
    std::fs::write(&path, hex(&case["file_hex"])).unwrap();
    let vault = Vault::open(
        &path,
        Unlock::Recovery(&key),
        Access::Update,
        otpvault::vault::Settings::default(),
    )
    .unwrap();
    assert_eq!(vault.entries().len(), 3);
    drop(vault);
    let other = otpvault::recovery::RecoveryKey::generate();
    assert!(matches!(
        Vault::open(
            &path,
            Unlock::Recovery(&other),
            Access::Update,
            otpvault::vault::Settings::default()
        ),
        Err(OpenError::WrongRecoveryKey(_))
    ));
}

/// A version-2 reader keeps the fields a newer writer added, in entries
/// and at the top, and writes them back when it saves.
#[test]
fn unknown_fields_survive_a_save() {
    let example = &vectors_of(2)["example"];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.otpvault");
    std::fs::write(&path, hex(&example["file_hex"])).unwrap();
    let settings = otpvault::vault::Settings::default();
    let mut vault = Vault::open(
        &path,
        Unlock::Passphrase(&pass(&example["passphrase"])),
        Access::Update,
        settings,
    )
    .unwrap();
    vault.rename("Amazon", "Amazon.co.jp").unwrap();
    vault.save().unwrap().backup.unwrap();
    drop(vault);
    let file = std::fs::read(&path).unwrap();
    let parsed = format::parse(&file).unwrap();
    let key: [u8; 32] = hex(&example["vault_key_hex"]).try_into().unwrap();
    let plain = crypto::open(
        &key,
        &parsed.header.payload_nonce,
        parsed.header_bytes,
        parsed.ciphertext,
    )
    .unwrap();
    let saved: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(saved["sync_note"], "kept by every version-2 reader");
    let github = saved["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "GitHub")
        .unwrap();
    assert_eq!(github["color"], "#24292e");
    assert_eq!(saved["deleted"][0]["account"].as_str().unwrap().len(), 32);
}

/// The account key of the spec, computed by the independent generator for
/// the version-2 tombstone, is the one otpvault computes.
#[test]
fn the_account_key_is_the_spec_s() {
    let gone = &vectors_of(2)["cases"][0]["expect"]["tombstones"][0];
    let entry = otpvault::Account {
        issuer: String::new(),
        account: String::new(),
        secret: otpvault::key::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
        params: otpvault::Params {
            kind: otpvault::Kind::Hotp,
            ..otpvault::Params::default()
        },
        sites: Vec::new(),
    }
    .into_entry("Bank".into())
    .unwrap();
    assert_eq!(entry.account_key(), gone["account"].as_str().unwrap());
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
    for version in [1, 2] {
        let json = format!("vault-v{version}.json");
        let mut made: Value =
            serde_json::from_slice(&std::fs::read(out.path().join(&json)).unwrap()).unwrap();
        let mut committed = vectors_of(version);
        // The tool versions may differ from machine to machine; the bytes
        // may not.
        made["made_by"].take();
        committed["made_by"].take();
        assert_eq!(made, committed, "run the generator and commit its output");
        let example = format!("example-v{version}.otpvault");
        assert_eq!(
            std::fs::read(out.path().join(&example)).unwrap(),
            std::fs::read(vectors_dir().join(&example)).unwrap()
        );
    }
}

/// Format 3's example: the identity as the header holds it, the key id
/// otpvault computes, the recovery key as an X25519 recipient (the public
/// key otpvault derives, and the slot opening with the paper key), and a
/// newer writer's field with its stamp kept through a save.
#[test]
fn the_version_3_identity_and_recipient() {
    let vectors = vectors_of(3);
    let example = &vectors["example"];
    let file = hex(&example["file_hex"]);
    let parsed = format::parse(&file).unwrap();
    let identity = parsed.header.identity.unwrap();
    assert_eq!(identity.vault_id.to_vec(), hex(&example["vault_id_hex"]));
    assert_eq!(identity.key_id.to_vec(), hex(&example["key_id_hex"]));
    assert_eq!(
        &file[10..10 + format::IDENTITY_LEN],
        hex(&example["identity_hex"]).as_slice()
    );
    let key = otpvault::secret::VaultKey::from_slice(&hex(&example["vault_key_hex"])).unwrap();
    assert_eq!(
        otpvault::keyring::key_id(&key).to_vec(),
        hex(&example["key_id_hex"])
    );
    let case = &vectors["cases"][0];
    let paper =
        otpvault::recovery::RecoveryKey::parse(case["recovery_key_30"].as_str().unwrap()).unwrap();
    assert_eq!(paper.expose().to_vec(), hex(&case["recovery_key_hex"]));
    assert_eq!(
        otpvault::vault::keys::recipient(&paper).to_vec(),
        hex(&example["recipient"]["recipient_hex"])
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.otpvault");
    std::fs::write(&path, &file).unwrap();
    let settings = otpvault::vault::Settings::default();
    let mut vault = Vault::open(&path, Unlock::Recovery(&paper), Access::Update, settings).unwrap();
    assert_eq!(vault.entries().as_slice()[0].name, "Amazon.co.jp");
    vault.rename("Amazon.co.jp", "Amazon").unwrap();
    vault.save().unwrap().backup.unwrap();
    drop(vault);
    let saved = std::fs::read(&path).unwrap();
    let parsed = format::parse(&saved).unwrap();
    let plain = crypto::open(
        key.expose(),
        &parsed.header.payload_nonce,
        parsed.header_bytes,
        parsed.ciphertext,
    )
    .unwrap();
    let document: Value = serde_json::from_slice(&plain).unwrap();
    let entry = &document["entries"][0];
    assert_eq!(entry["color"], "#ff9900");
    assert_eq!(
        entry["stamps"]["color"],
        serde_json::json!([1764040002000i64, 0])
    );
    assert_eq!(document["previous_keys"].as_array().unwrap().len(), 1);
    assert_eq!(document["revoked_recovery"].as_array().unwrap().len(), 1);
    assert_eq!(parsed.header.identity.unwrap().vault_id, identity.vault_id);
}
