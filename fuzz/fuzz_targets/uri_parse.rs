//! The otpauth:// parser: never panics, and what it accepts formats to a
//! URI that parses back to the same account.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::{Entry, uri};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = uri::parse(text) else {
        return;
    };
    if parsed.issuer.contains(':') || parsed.account.contains(':') {
        // A colon cannot survive a label round trip; Google's format forbids it.
        return;
    }
    let entry = Entry::new(
        "fuzz".into(),
        parsed.issuer.clone(),
        parsed.account.clone(),
        parsed.secret.clone(),
        parsed.params,
    )
    .expect("parsed params are valid");
    let again = uri::parse(&uri::format(&entry)).expect("own URI parses");
    assert_eq!(again.secret, parsed.secret);
    assert_eq!(again.params, parsed.params);
});
