//! The otpauth:// parser: never panics, and what it accepts formats to a
//! URI that parses back to the same account, colons in names included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::uri;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = uri::parse(text) else {
        return;
    };
    let entry = parsed
        .clone()
        .into_entry("fuzz".into())
        .expect("parsed params are valid");
    let again = uri::parse(&uri::format(&entry)).expect("own URI parses");
    assert_eq!(again.secret, parsed.secret);
    assert_eq!(again.params, parsed.params);
    // An empty issuer or account is written as the entry's name.
    if !parsed.issuer.is_empty() {
        assert_eq!(again.issuer, parsed.issuer);
    }
    if !parsed.account.is_empty() {
        assert_eq!(again.account, parsed.account);
    }
});
