//! The browser host's side of native messaging: whatever bytes the browser
//! sends, the host never panics, ends when the input does, and everything
//! it writes is whole frames of at most 1 MiB, each a JSON answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::browser::{host, native};
use otpvault::dispatch::AgentOnlyError;
use otpvault::session::{Failed, Op, Outcome};

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let mut output = Vec::new();
    // An agent with no accounts for any site, that refuses every code.
    let mut agent = |op: Op| match op {
        Op::SiteCodes { .. } => Ok(Outcome::Codes {
            time: 0,
            codes: Vec::new(),
        }),
        _ => Err(AgentOnlyError::Failed(Failed {
            kind: otpvault::error::ErrorKind::NoMatch,
            message: "no entry".into(),
        })),
    };
    let _ = host::serve(&mut input, &mut output, &mut agent);
    let mut rest = output.as_slice();
    while !rest.is_empty() {
        let len = u32::from_ne_bytes(rest[..4].try_into().expect("a whole length")) as usize;
        assert!(len <= native::MAX_MESSAGE as usize);
        let answer: serde_json::Value =
            serde_json::from_slice(&rest[4..4 + len]).expect("a JSON answer");
        assert!(answer["answer"].is_string());
        rest = &rest[4 + len..];
    }
});
