//! The native-messaging host (`otp browser-host`, which the browser
//! starts): one answer to each message from the extension, made from what
//! the agent says about the page's site and nothing else.
//!
//! The extension sends `{"request": "codes" | "fill" | "next", "url": …}`
//! with the URL the browser gave it for the sending frame. The host
//! answers with the codes of the accounts whose sites that URL is at
//! ([`Op::SiteCodes`]): names, codes and seconds left of this site's
//! accounts, never a secret, never another site's account, never the list
//! of sites. A failure of the agent's is told as a fixed sentence, since
//! its own message may name an entry of another site.

use std::io::Write;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::native::{self, FrameError, Source};
use crate::clock::When;
use crate::dispatch::AgentOnlyError;
use crate::otp::{Code, Kind};
use crate::session::{CodeOf, Op, Outcome, Url};

/// What the extension asks.
#[derive(Debug, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The accounts of the page's site, each with its code (the popup).
    Codes { url: String },
    /// The code for the page's one-time-code field: given when exactly one
    /// account is for the page's site (an HOTP one's counter moves on).
    Fill { url: String },
    /// The next code of the page's HOTP account `name` (the popup's
    /// button): used up when given.
    Next { url: String, name: String },
}

/// The host's answer.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Codes {
        accounts: Vec<Account>,
    },
    /// A code for the page: the account's name and the seconds it has
    /// left (none for an HOTP code, which lasts until used).
    Code {
        name: String,
        code: Code,
        seconds_left: Option<u64>,
    },
    /// No account is for the page's site (or the URL is not https).
    None,
    /// Several are: the person picks one in the popup.
    Several {
        count: usize,
    },
    /// No agent holds the key: `otp unlock`.
    Locked,
    Error {
        message: String,
    },
}

/// An account of the page's site, as the popup lists it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub issuer: String,
    pub account: String,
    /// None for an HOTP account, whose code is only made when asked
    /// ([`Request::Next`]).
    pub code: Option<Code>,
    pub seconds_left: Option<u64>,
    pub period: Option<u32>,
}

/// How the host asks the agent to run an operation ([`crate::dispatch::agent_only`]).
pub type Agent<'a> = dyn FnMut(Op) -> Result<Outcome, AgentOnlyError> + 'a;

/// Answers every message from `input` on `output` until the browser
/// closes the stream. A message that is not the protocol's JSON gets an
/// error answer; a frame over the limit, cut or stalled gets one too, and
/// ends the conversation (nothing after it can be trusted to start a
/// frame).
pub fn serve(
    input: &mut impl Source,
    output: &mut impl Write,
    agent: &mut Agent,
) -> Result<(), FrameError> {
    loop {
        let message = match native::read(input) {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(()),
            Err(e) => {
                let _ = send(
                    output,
                    &Answer::Error {
                        message: e.to_string(),
                    },
                );
                return Err(e);
            }
        };
        let answer = match serde_json::from_slice::<Request>(&message) {
            Ok(request) => answer(request, agent),
            Err(_) => Answer::Error {
                message: FrameError::NotJson.to_string(),
            },
        };
        send(output, &answer)?;
    }
}

/// Writes `answer`; one over the limit (thousands of accounts for one
/// site) is replaced by an error that says so, which always fits.
fn send(output: &mut impl Write, answer: &Answer) -> Result<(), FrameError> {
    let bytes = Zeroizing::new(serde_json::to_vec(answer).map_err(|_| FrameError::Unwritable)?);
    match native::write(output, &bytes) {
        Err(FrameError::TooLong(_)) => {
            let error = Answer::Error {
                message: "otp's answer is over 1 MiB: the site has too many accounts to list"
                    .into(),
            };
            let bytes = serde_json::to_vec(&error).map_err(|_| FrameError::Unwritable)?;
            native::write(output, &bytes)
        }
        other => other,
    }
}

/// The answer to one request.
pub fn answer(request: Request, agent: &mut Agent) -> Answer {
    match request {
        Request::Codes { url } => match site_codes(&url, agent) {
            Ok(codes) => Answer::Codes {
                accounts: codes.iter().map(account).collect(),
            },
            Err(answer) => answer,
        },
        Request::Fill { url } => match site_codes(&url, agent) {
            Ok(codes) => match codes.as_slice() {
                [] => Answer::None,
                [one] => match (&one.code, &one.current) {
                    (Some(code), current) => Answer::Code {
                        name: one.entry.name.clone(),
                        code: code.clone(),
                        seconds_left: current.as_ref().map(|c| c.remaining),
                    },
                    (None, _) => next(&url, &one.entry.name, agent),
                },
                many => Answer::Several { count: many.len() },
            },
            Err(answer) => answer,
        },
        Request::Next { url, name } => next(&url, &name, agent),
    }
}

/// The codes of the accounts `url` is at, or the answer that says why
/// there are none to give.
fn site_codes(url: &str, agent: &mut Agent) -> Result<Vec<CodeOf>, Answer> {
    let op = Op::SiteCodes {
        url: url.to_string(),
        when: When::Now.portable(),
    };
    match agent(op) {
        Ok(Outcome::Codes { codes, .. }) => Ok(codes),
        Ok(_) => Err(failed()),
        Err(e) => Err(unreached(e)),
    }
}

/// The next code of the entry called `name`, if `url` is at its sites.
fn next(url: &str, name: &str, agent: &mut Agent) -> Answer {
    let op = Op::Code {
        query: name.to_string(),
        when: When::Now.portable(),
        url: Some(Url {
            url: url.to_string(),
            allow_http: false,
        }),
        copy_for: None,
    };
    match agent(op) {
        // The name is checked, not only matched: a query that designates
        // another of the site's accounts by a part of its name is refused.
        Ok(Outcome::Code { code, .. }) if code.entry.name == name => match code.code {
            Some(text) => Answer::Code {
                name: code.entry.name,
                code: text,
                seconds_left: code.current.map(|c| c.remaining),
            },
            None => failed(),
        },
        Ok(_) => failed(),
        // Refused for this URL, or no such entry: said alike, so that a
        // page cannot learn which names exist elsewhere.
        Err(AgentOnlyError::Failed(_)) => Answer::None,
        Err(e) => unreached(e),
    }
}

fn account(code: &CodeOf) -> Account {
    let hotp = code.entry.otp.kind == Kind::Hotp;
    Account {
        name: code.entry.name.clone(),
        issuer: code.entry.issuer.clone(),
        account: code.entry.account.clone(),
        code: code.code.clone(),
        seconds_left: code.current.as_ref().map(|c| c.remaining),
        period: (!hotp).then_some(code.entry.otp.period),
    }
}

fn unreached(e: AgentOnlyError) -> Answer {
    match e {
        AgentOnlyError::Locked => Answer::Locked,
        // The agent's own message may name another site's entry.
        AgentOnlyError::Failed(_) => failed(),
        AgentOnlyError::Unusable(_) => Answer::Error {
            message: "otp's agent could not be asked: run `otp status` in a terminal".into(),
        },
    }
}

fn failed() -> Answer {
    Answer::Error {
        message: "otp could not make the code: run `otp code` in a terminal to see why".into(),
    }
}
