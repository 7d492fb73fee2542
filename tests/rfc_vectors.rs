//! The test vectors of RFC 4226 (appendix D) and RFC 6238 (appendix B),
//! one row each, exactly as the RFCs print them.

mod common;

use otpvault::Secret;
use otpvault::otp::{Algorithm, hotp, totp};

/// RFC 6238's keys: the ASCII digits "1234567890" repeated to the hash's
/// length (20, 32 and 64 bytes), as in its reference implementation.
fn rfc_key(len: usize) -> Secret {
    Secret::new(b"1234567890".iter().copied().cycle().take(len).collect())
}

#[test]
fn rfc4226_appendix_d() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    let key = rfc_key(20);
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(
            hotp(&key, counter as u64, Algorithm::SHA1, 6).as_str(),
            *code,
            "counter {counter}"
        );
    }
}

#[test]
fn rfc6238_appendix_b() {
    use Algorithm::*;
    let table: [(u64, &str, Algorithm); 18] = [
        (59, "94287082", SHA1),
        (59, "46119246", SHA256),
        (59, "90693936", SHA512),
        (1111111109, "07081804", SHA1),
        (1111111109, "68084774", SHA256),
        (1111111109, "25091201", SHA512),
        (1111111111, "14050471", SHA1),
        (1111111111, "67062674", SHA256),
        (1111111111, "99943326", SHA512),
        (1234567890, "89005924", SHA1),
        (1234567890, "91819424", SHA256),
        (1234567890, "93441116", SHA512),
        (2000000000, "69279037", SHA1),
        (2000000000, "90698825", SHA256),
        (2000000000, "38618901", SHA512),
        (20000000000, "65353130", SHA1),
        (20000000000, "77737706", SHA256),
        (20000000000, "47863826", SHA512),
    ];
    for (time, code, algorithm) in table {
        let key = rfc_key(match algorithm {
            SHA1 => 20,
            SHA256 => 32,
            SHA512 => 64,
        });
        assert_eq!(
            totp(&key, time, 30, algorithm, 8).as_str(),
            code,
            "{algorithm} at {time}"
        );
    }
}

/// Argon2id through otpvault's KDF path equals the reference C
/// implementation (Debian's `argon2` command, installed by CI).
#[test]
fn argon2id_matches_the_reference_implementation() {
    use otpvault::KdfParams;
    use std::process::{Command, Stdio};
    let params = KdfParams {
        memory_kib: 256,
        iterations: 2,
        parallelism: 2,
    };
    if !common::have_tool("argon2") {
        return;
    }
    let mut child = Command::new("argon2")
        .args([
            "somesaltsomesalt",
            "-id",
            "-t",
            "2",
            "-k",
            "256",
            "-p",
            "2",
            "-l",
            "32",
            "-r",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"password").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let reference = String::from_utf8(out.stdout).unwrap();
    let ours = params
        .derive(
            &otpvault::Passphrase::new(b"password".to_vec()),
            b"somesaltsomesalt",
        )
        .unwrap();
    let hex: String = ours.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, reference.trim());
}
