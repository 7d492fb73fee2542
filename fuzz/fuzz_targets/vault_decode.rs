//! The vault decoder on hostile files: never panics, never allocates what
//! the file asks for beyond the bounds.
//!
//! A fuzzer cannot forge SHA-256, so half the inputs get a valid checksum
//! appended: that lets it reach the header, slot and KDF-bound checks that
//! come after the checksum. Unlocking only runs for cheap KDF costs.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use otpvault::vault::Unlock;
use otpvault::vault::format;
use otpvault::{Passphrase, Vault};
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut file = rest.to_vec();
    if mode & 1 == 1 {
        let sum = Sha256::digest(&file);
        file.extend_from_slice(&sum);
    }
    let Ok(parsed) = format::parse(&file) else {
        return;
    };
    let cheap = parsed
        .header
        .passphrase_slot()
        .is_some_and(|s| s.kdf.check().is_ok() && s.kdf.memory_kib <= 64 && s.kdf.iterations <= 2);
    if cheap {
        let _ = Vault::from_bytes(Path::new("fuzz"), &file, Unlock::Passphrase(&Passphrase::new(b"fuzz".to_vec())));
    }
});
