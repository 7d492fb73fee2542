//! `otp list`: the accounts, never their secrets, as a table that fits
//! the terminal or as JSON.

use otpvault::entry::View;
use otpvault::otp::{self, Algorithm, Kind};
use otpvault::session::{Op, Outcome};
use otpvault::terminal::{self, Escaped};
use serde::Serialize;

use super::Failure;
use super::context::{Context, unexpected};

/// One entry as `list --json` and `code --json` print it. Never the secret.
#[derive(Serialize)]
pub struct EntryJson<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    pub account: &'a str,
    pub kind: Kind,
    pub algorithm: Algorithm,
    pub digits: u8,
    pub period: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter: Option<u64>,
    pub sites: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
}

impl<'a> EntryJson<'a> {
    pub fn new(entry: &'a View) -> Self {
        EntryJson {
            name: &entry.name,
            issuer: &entry.issuer,
            account: &entry.account,
            kind: entry.otp.kind,
            algorithm: entry.otp.algorithm,
            digits: entry.otp.digits,
            period: entry.otp.period,
            counter: (entry.otp.kind == Kind::Hotp).then_some(entry.otp.counter),
            sites: &entry.sites,
            code: None,
            remaining: None,
        }
    }
}

/// Prints `value` as JSON with everything from the vault escaped.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = terminal::to_json(value).map_err(|e| Failure::Output(e.into()))?;
    out!("{text}")?;
    Ok(())
}

pub fn list(ctx: &Context, json: bool) -> Result<(), Failure> {
    let outcome = ctx.run(Op::List)?;
    let Outcome::List { entries } = outcome else {
        return Err(unexpected(&outcome));
    };
    if json {
        let items: Vec<EntryJson> = entries.iter().map(EntryJson::new).collect();
        return print_json(&items);
    }
    if entries.is_empty() {
        note!("otp: the vault is empty: add an account with `otp add NAME`");
        return Ok(());
    }
    let with_sites = entries.iter().any(|e| !e.sites.is_empty());
    let kinds: Vec<String> = entries.iter().map(|e| kind_column(&e.otp)).collect();
    // Columns as shown: escaped, measured in terminal columns, each no
    // wider than its cap (a 10,000-character name must not pad every
    // row), and together no wider than the terminal.
    let rows: Vec<[String; 5]> = entries
        .iter()
        .zip(&kinds)
        .map(|(e, kind)| {
            [
                Escaped(&e.name).to_string(),
                Escaped(&e.issuer).to_string(),
                Escaped(&e.account).to_string(),
                kind.clone(),
                Escaped(&e.sites.join(", ")).to_string(),
            ]
        })
        .collect();
    let titles = ["NAME", "ISSUER", "ACCOUNT", "TYPE", "SITES"];
    let caps = [40, 32, 40, 32, 60];
    let mins = [12, 8, 10, 8, 12];
    let columns = if with_sites { 5 } else { 4 };
    let natural: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|row| terminal::width(&row[c]))
                .chain([titles[c].len()])
                .max()
                .unwrap_or(0)
                .min(caps[c])
        })
        .collect();
    let gaps = 2 * (columns - 1);
    let available = super::terminal_columns().map_or(usize::MAX, |w| w.saturating_sub(gaps));
    let widths = terminal::fit_columns(&natural, &mins[..columns], available);
    let line = |cells: [&str; 5]| {
        let mut line = String::new();
        for (c, &width) in widths.iter().enumerate() {
            let cell = terminal::fit(cells[c], width);
            line.push_str(&cell);
            if c + 1 < columns {
                line.push_str(&" ".repeat(width - terminal::width(&cell) + 2));
            }
        }
        line
    };
    out!("{}", line(titles))?;
    for row in &rows {
        out!("{}", line([&row[0], &row[1], &row[2], &row[3], &row[4]]))?;
    }
    Ok(())
}

/// An entry's kind of code, as the list shows it: `totp SHA1 6d 30s`.
fn kind_column(p: &otp::Params) -> String {
    format!(
        "{} {} {}d {}",
        p.kind,
        p.algorithm,
        p.digits,
        match p.kind {
            Kind::Hotp => format!("counter {}", p.counter),
            _ => format!("{}s", p.period),
        }
    )
}
