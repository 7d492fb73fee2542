//! The setup-key normaliser: never panics, and what it accepts re-encodes
//! to base32 that parses back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(secret) = otpvault::key::parse(text) {
        assert!(!secret.expose().is_empty());
        let again = otpvault::key::parse(&otpvault::key::to_base32(&secret)).expect("own encoding parses");
        assert_eq!(again, secret);
    }
});
