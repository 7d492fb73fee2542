//! The import parsers (otpauth and migration lines, Aegis, 2FAS, QR images)
//! on arbitrary files: never panic. No password is offered, so encrypted
//! exports stop before their KDF and the fuzzer stays fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::import::{self, Format};

fuzz_target!(|data: &[u8]| {
    let _ = import::read(data, Format::Auto, &|| None);
});
