//! `otp code`: the code of the moment, for people (with the seconds
//! left), for scripts (alone, or JSON), or onto the clipboard.

use std::io::{self, IsTerminal};

use clap::Args;
use otpvault::clipboard::{Route, Schedule};
use otpvault::clock::When;
use otpvault::entry::{Current, NEXT_CODE_WITHIN, View};
use otpvault::session::{CodeOf, Op, Outcome, Url};
use otpvault::terminal::{self, Escaped};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::context::{Context, report_backup, unexpected};
use super::list::{EntryJson, print_json};
use super::{Failure, clip};

#[derive(Args, Debug)]
pub struct CodeArgs {
    /// Part of a name, issuer or account; an exact name wins.
    query: Option<String>,
    /// Compute the code at this time: Unix seconds or RFC 3339.
    #[arg(long, value_parser = parse_time)]
    at: Option<u64>,
    /// Print a JSON array with the code and seconds remaining.
    #[arg(short, long)]
    json: bool,
    /// Put the code on the clipboard instead of printing it; it is cleared
    /// after --clipboard-seconds if the clipboard still holds it.
    #[arg(short, long, requires = "query", conflicts_with = "json")]
    copy: bool,
    /// Give the code only if URL is at one of the entry's sites (HTTPS, the
    /// site or a name under it); otherwise print nothing and exit 11.
    #[arg(long, value_name = "URL", requires = "query")]
    for_url: Option<String>,
    /// With --for-url: accept http:// too (a site on your own network).
    #[arg(long, requires = "for_url")]
    allow_http: bool,
}

fn parse_time(s: &str) -> Result<u64, String> {
    if let Ok(seconds) = s.parse::<u64>() {
        return Ok(seconds);
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        format!(
            "{s:?} is not a time: give Unix seconds (1700000000) or RFC 3339 (2026-01-31T12:00:00Z)"
        )
    })?;
    u64::try_from(t.unix_timestamp())
        .map_err(|_| format!("{s:?} is before 1970: give a later time"))
}

pub fn code(ctx: &Context, args: CodeArgs) -> Result<(), Failure> {
    // The code is made when the operation runs, after any passphrase was
    // typed: never from a clock read before.
    let when = When::at_or_now(args.at).portable();
    let Some(query) = args.query else {
        return all_codes(ctx, when, args.json);
    };
    // Asked before an HOTP code is used up.
    if args.copy {
        clip::available()?;
    }
    let clear_after = ctx.config.clipboard_seconds();
    let op = Op::Code {
        query,
        when,
        url: args.for_url.map(|url| Url {
            url,
            allow_http: args.allow_http,
        }),
        copy_for: args.copy.then_some(clear_after.as_secs()),
    };
    let outcome = ctx.run(op)?;
    let Outcome::Code {
        code:
            CodeOf {
                entry,
                code: Some(code),
                current,
            },
        schedule,
        backup,
    } = outcome
    else {
        return Err(unexpected(&outcome));
    };
    report_backup(backup);
    if args.json {
        return print_json(&[EntryJson {
            code: Some(code.as_str()),
            remaining: current.as_ref().map(|c| c.remaining),
            ..EntryJson::new(&entry)
        }]);
    }
    if args.copy {
        let schedule = schedule.unwrap_or_else(|| Schedule::single(&code));
        return copy(ctx, &entry, schedule, current.as_ref(), args.at.is_none());
    }
    // People see the seconds left; scripts get the code alone.
    match current {
        Some(current) if io::stdout().is_terminal() => {
            out!("{}{}", for_people(&current), only_at(&entry))?
        }
        _ => out!("{}", code.as_str())?,
    }
    Ok(())
}

/// `otp code` with no query: every entry's code, a line each.
fn all_codes(ctx: &Context, when: When, json: bool) -> Result<(), Failure> {
    let outcome = ctx.run(Op::Codes { when })?;
    let Outcome::Codes { codes, .. } = outcome else {
        return Err(unexpected(&outcome));
    };
    if json {
        let items: Vec<EntryJson> = codes
            .iter()
            .map(|c| EntryJson {
                code: c.code.as_ref().map(|c| c.as_str()),
                remaining: c.current.as_ref().map(|c| c.remaining),
                ..EntryJson::new(&c.entry)
            })
            .collect();
        return print_json(&items);
    }
    if codes.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
    }
    let room = super::terminal_columns().map_or(usize::MAX, |w| w.saturating_sub(11));
    for c in &codes {
        let code = c.code.as_ref().map_or("(hotp)", |c| c.as_str());
        out!(
            "{:<10} {}",
            code,
            terminal::fit(&Escaped(&c.entry.name).to_string(), room)
        )?;
    }
    Ok(())
}

/// A code as a person reads it: with the seconds left, and the next code
/// when the current one is about to die (`773698  (4 s left; next: 120357)`).
pub fn for_people(current: &Current) -> String {
    format!(
        "{}  ({} s left{})",
        current.code.as_str(),
        current.remaining,
        current
            .next
            .as_ref()
            .map_or(String::new(), |next| format!("; next: {}", next.as_str()))
    )
}

/// ` — type it only at amazon.co.jp`, for an entry with sites.
pub fn only_at(entry: &View) -> String {
    if entry.sites.is_empty() {
        return String::new();
    }
    format!(" — type it only at {}", Escaped(&entry.sites.join(" or ")))
}

/// `--copy`: the codes of `schedule` onto the clipboard, and a note of it
/// on stderr. For a time-based code copied now, the clipboard follows the
/// code as it changes until it is cleared ([`Schedule`]).
fn copy(
    ctx: &Context,
    entry: &View,
    schedule: Schedule,
    current: Option<&Current>,
    now: bool,
) -> Result<(), Failure> {
    let clear_after = ctx.config.clipboard_seconds();
    let route = clip::copy(&schedule, clear_after)?;
    let left = current.map_or(String::new(), |c| format!(" ({} s left)", c.remaining));
    let soon = current.is_some_and(|c| c.remaining <= NEXT_CODE_WITHIN) && now;
    match route {
        Route::System => {
            note!(
                "otp: copied the code of {}{left}{}; the clipboard is cleared in {} s unless you copy something else",
                Escaped(&entry.name),
                only_at(entry),
                clear_after.as_secs()
            );
            if soon {
                note!(
                    "otp: the code changes in a moment: the clipboard then gets the next one, until it is cleared"
                );
            }
        }
        Route::Terminal => {
            note!(
                "otp: copied the code of {}{left} through the terminal (OSC 52); a terminal cannot be asked what it holds, so it is not cleared",
                Escaped(&entry.name)
            );
            if soon {
                note!(
                    "otp: the code changes in a moment, and a terminal's clipboard cannot be kept current: copy it again then"
                );
            }
        }
    }
    Ok(())
}
