//! The import parsers (otpauth and migration lines, Aegis, 2FAS, QR images)
//! on arbitrary files: never panic. Only 2FAS files are decrypted (with a
//! wrong password), since their KDF is cheap; the others stop before theirs
//! and the fuzzer stays fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::import::{self, Opened, Wanted};
use otpvault::Passphrase;

fuzz_target!(|data: &[u8]| {
    // An encrypted export is tried with a password only when its KDF is
    // cheap enough for the fuzzer: 2FAS's fixed PBKDF2 is, others are not.
    if let Ok(Opened::Encrypted(file)) = import::open(data, Wanted::Auto) {
        if file.app() == "2FAS" {
            let _ = file.decrypt(&Passphrase::new(b"fuzz".to_vec()));
        }
    }
});
