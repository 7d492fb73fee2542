//! The browser host's side of native messaging: whatever bytes the browser
//! sends, the host never panics, ends when the input does, and everything
//! it writes is whole frames of at most 1 MiB, each a JSON answer. The
//! agent it asks is made up: for each URL it holds no account, one TOTP
//! account, two, or one HOTP account, chosen by the URL's length, so that
//! every kind of answer is made.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otpvault::browser::{host, native};
use otpvault::dispatch::AgentOnlyError;
use otpvault::entry::{Entry, View};
use otpvault::otp::{Kind, Params};
use otpvault::session::{CodeOf, Failed, Op, Outcome};

fn account(name: &str, kind: Kind) -> CodeOf {
    let params = Params {
        kind,
        ..Params::default()
    };
    let secret = otpvault::key::parse("JBSWY3DPEHPK3PXP").expect("a key");
    let entry = Entry::new(name.into(), name.into(), String::new(), secret, params)
        .expect("an entry");
    CodeOf {
        code: (kind != Kind::Hotp).then(|| entry.code(59).expect("a code")),
        current: entry.current(59).ok().flatten(),
        entry: View::from(&entry),
    }
}

fn agent(op: Op) -> Result<Outcome, AgentOnlyError> {
    match op {
        Op::SiteCodes { url, .. } => Ok(Outcome::Codes {
            time: 59,
            codes: match url.len() % 4 {
                0 => Vec::new(),
                1 => vec![account("A", Kind::Totp)],
                2 => vec![account("A", Kind::Totp), account("B", Kind::Totp)],
                _ => vec![account("H", Kind::Hotp)],
            },
        }),
        Op::Code { query, .. } if query == "H" => Ok(Outcome::Code {
            code: account("H", Kind::Totp),
            schedule: None,
            backup: None,
        }),
        _ => Err(AgentOnlyError::Failed(Failed {
            kind: otpvault::error::ErrorKind::NoMatch,
            message: "no entry".into(),
        })),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let mut output = Vec::new();
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
