//! `otp watch`: every code at once with a countdown, as a phone app shows
//! them, in the terminal's full screen.
//!
//! The view holds no rule of its own: the filter is [`entries::matches`],
//! codes and the next code come from [`Entry::current`], an HOTP code from
//! [`Vault::next_code`], a copy from [`clip::copy`]. The vault is unlocked
//! once (through the agent when it holds the key); showing an HOTP code
//! opens it again for the update with the key it already has, never with
//! the passphrase.
//!
//! Keys: every character typed goes to the filter (so that "quay" or
//! "netflix" can be typed: no letter is a command); arrows select; Enter
//! copies the selected code (for a counter-based entry, it uses up and
//! shows its next code, and copies that); Backspace edits the filter; Esc
//! clears the filter, or leaves when there is none; Ctrl-C leaves.

use std::collections::HashMap;
use std::io::{self, IsTerminal};
use std::time::Duration;

use clap::Args;
use otpvault::clipboard::Route;
use otpvault::clock::When;
use otpvault::dispatch::Session;
use otpvault::entries;
use otpvault::entry::View as EntryView;
use otpvault::session::{CodeOf, Op, Outcome};
use otpvault::terminal::{self, Escaped};
use otpvault::{Code, Kind};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::{DefaultTerminal, Frame};

use super::context::{Context, unexpected};
use super::input::{InputError, Need};
use super::passphrase::Prompt;
use super::{Failure, clip};

#[derive(Args, Debug, Default)]
pub struct WatchArgs {
    /// Show only the accounts whose name, issuer or account contains this.
    query: Option<String>,
}

/// What the view shows.
struct View {
    /// The vault: its agent, or the vault opened with its passphrase.
    session: Session,
    /// Every entry with its code, as of the last step.
    codes: Vec<CodeOf>,
    filter: String,
    table: TableState,
    /// HOTP codes shown in this session, by name.
    shown: HashMap<String, Code>,
    /// The last thing done, or what went wrong, for the bottom line.
    message: String,
    color: bool,
}

/// What a key press asks for.
enum Action {
    Nothing,
    Leave,
    Copy,
}

pub fn watch(ctx: &Context, args: WatchArgs) -> Result<(), Failure> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(InputError::NoTerminal(Need::View).into());
    }
    let session = Session::open(ctx.vault_path(), ctx.settings, &ctx.sources, &mut Prompt)?;
    let filter = args.query.unwrap_or_default();
    let mut view = View {
        session,
        codes: Vec::new(),
        filter,
        table: TableState::default().with_selected(Some(0)),
        shown: HashMap::new(),
        message: String::new(),
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    // Raw mode and the alternate screen; ratatui's panic hook puts the
    // terminal back before the panic message, and `restore` after.
    let mut terminal = ratatui::init();
    let result = run(ctx, &mut terminal, &mut view);
    ratatui::restore();
    result
}

fn run(ctx: &Context, terminal: &mut DefaultTerminal, view: &mut View) -> Result<(), Failure> {
    loop {
        // The codes of this second, made when they are shown.
        let outcome = view.session.run(
            Op::Codes {
                when: When::Now.portable(),
            },
            &mut Prompt,
        )?;
        let Outcome::Codes { codes, .. } = outcome else {
            return Err(unexpected(&outcome));
        };
        view.codes = codes;
        terminal
            .draw(|frame| draw(frame, view))
            .map_err(Failure::Output)?;
        if cfg!(debug_assertions)
            && std::env::var_os("OTP_FAILPOINT").is_some_and(|v| v == "watch-panic")
        {
            panic!("the watch-panic failpoint");
        }
        // Wake at the next whole second, to move the countdown on.
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_millis());
        let wait = Duration::from_millis(u64::from(1000 - millis.min(999)));
        if !event::poll(wait).map_err(Failure::Output)? {
            continue;
        }
        let Event::Key(key) = event::read().map_err(Failure::Output)? else {
            continue; // a resize: the next draw fits the new size
        };
        match view.handle(key) {
            Action::Nothing => {}
            Action::Leave => return Ok(()),
            Action::Copy => view.copy(ctx),
        }
    }
}

impl View {
    /// The entries the filter lets through, in the vault's order.
    fn visible(&self) -> Vec<&CodeOf> {
        self.codes
            .iter()
            .filter(|c| entries::matches_view(&c.entry, &self.filter))
            .collect()
    }

    fn selected(&self) -> Option<&CodeOf> {
        let visible = self.visible();
        visible
            .get(
                self.table
                    .selected()
                    .unwrap_or(0)
                    .min(visible.len().saturating_sub(1)),
            )
            .copied()
    }

    fn handle(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::Nothing;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return Action::Leave,
            KeyCode::Esc if self.filter.is_empty() => return Action::Leave,
            KeyCode::Esc => {
                self.filter.clear();
                self.table.select(Some(0));
            }
            KeyCode::Enter => return Action::Copy,
            KeyCode::Up => self.table.select_previous(),
            KeyCode::Down => self.table.select_next(),
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !ctrl => {
                self.filter.push(c);
                self.table.select(Some(0));
            }
            _ => {}
        }
        Action::Nothing
    }

    /// Enter: the selected code onto the clipboard, as `otp code --copy`
    /// does; for a counter-based entry, its next code, used up and saved
    /// first, and shown in its row from then on.
    fn copy(&mut self, ctx: &Context) {
        let Some(selected) = self.selected() else {
            return;
        };
        let (name, hotp) = (
            selected.entry.name.clone(),
            selected.entry.otp.kind == Kind::Hotp,
        );
        let shown = Escaped(&name).to_string();
        let clear_after = ctx.config.clipboard_seconds();
        // The code is made at the moment it is copied.
        let op = Op::Code {
            query: name.clone(),
            when: When::Now.portable(),
            url: None,
            copy_for: Some(clear_after.as_secs()),
        };
        let (schedule, used) = match self.session.run(op, &mut Prompt) {
            Ok(Outcome::Code {
                code,
                schedule,
                backup,
            }) => {
                let mut used = String::new();
                if hotp && let Some(code) = code.code {
                    used = format!("used {shown}'s next code");
                    if backup.is_some() {
                        used.push_str(
                            " (saved, but the previous version could not be kept as a backup)",
                        );
                    }
                    self.shown.insert(name, code);
                }
                (schedule, used)
            }
            Ok(other) => {
                self.message = unexpected(&other).to_string();
                return;
            }
            Err(e) => {
                self.message = Failure::from(e).to_string();
                return;
            }
        };
        let Some(schedule) = schedule else {
            return;
        };
        let seconds = clear_after.as_secs();
        let copied = match clip::copy(&schedule, clear_after) {
            Ok(Route::System) => format!("copied {shown}'s code; cleared in {seconds} s"),
            Ok(Route::Terminal) => format!("copied {shown}'s code through the terminal"),
            Err(e) => e.to_string(),
        };
        self.message = match used {
            used if !used.is_empty() => format!("{used}; {copied}"),
            _ => copied,
        };
    }
}

/// The keys, on the bottom line.
const HELP: &str = "type to filter  ↑↓ select  Enter copy (counter: next code)  Esc clear/quit";

/// The width of the countdown column: a bar of ten and the seconds.
const TIME_WIDTH: usize = 14;

/// Column widths for `width` terminal columns: the code and countdown as
/// wide as they need; name, issuer, account and site as wide as their
/// longest value, the widest narrowed first when they do not fit
/// ([`terminal::fit_columns`]).
fn column_widths(visible: &[&CodeOf], any_site: bool, width: u16) -> [usize; 6] {
    let digits = visible
        .iter()
        .map(|c| usize::from(c.entry.otp.digits))
        .max()
        .unwrap_or(6);
    // A code, a space and the next code; "Enter: next" for a counter.
    let code = (2 * digits + 1).max("Enter: next".len());
    let field = |title: &str, value: fn(&EntryView) -> String| {
        visible
            .iter()
            .map(|c| terminal::width(&Escaped(&value(&c.entry)).to_string()))
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let mut natural = vec![
        field("NAME", |e| e.name.clone()),
        field("ISSUER", |e| e.issuer.clone()),
        field("ACCOUNT", |e| e.account.clone()),
    ];
    let mut mins = vec![8, 6, 7];
    if any_site {
        natural.push(field("SITE", |e| e.sites.join(" ")));
        mins.push(8);
    }
    // One column of space between each two of the six columns.
    let fixed = code + TIME_WIDTH + 5;
    let available = usize::from(width).saturating_sub(fixed);
    let mut fitted = terminal::fit_columns(&natural, &mins, available);
    // Room left over is shared out, so that the view fills the window.
    let spare = available.saturating_sub(fitted.iter().sum());
    let share = spare / fitted.len();
    for width in &mut fitted {
        *width += share;
    }
    let site = if any_site { fitted[3] } else { 0 };
    [fitted[0], fitted[1], fitted[2], code, TIME_WIDTH, site]
}

/// The countdown: a bar that empties over the period, and the seconds.
fn countdown(remaining: u64, period: u32) -> String {
    const WIDTH: u64 = 10;
    let period = u64::from(period.max(1));
    let filled = (remaining * WIDTH).div_ceil(period).min(WIDTH) as usize;
    format!(
        "{}{} {remaining:>2}s",
        "█".repeat(filled),
        "░".repeat(WIDTH as usize - filled)
    )
}

fn draw(frame: &mut Frame, view: &mut View) {
    let [title, body, status, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let paint = |style: Style| if view.color { style } else { Style::default() };
    let visible = view.visible();
    let count = visible.len();
    // The sites, where the code may be typed, when any entry names one.
    let any_site = visible.iter().any(|c| !c.entry.sites.is_empty());
    let widths = column_widths(&visible, any_site, frame.area().width);
    let rows: Vec<Row> = visible
        .iter()
        .map(|of| {
            let entry = &of.entry;
            // Escaped, and cut with … to the column's width.
            let text = |s: &str, column: usize| {
                Cell::from(terminal::fit(&Escaped(s).to_string(), widths[column]).into_owned())
            };
            let (code, time) = match (&of.current, entry.otp.kind) {
                (Some(current), _) => {
                    let urgency = match current.remaining {
                        0..=5 => Color::Red,
                        6..=10 => Color::Yellow,
                        _ => Color::Green,
                    };
                    let mut code = vec![Span::styled(
                        current.code.as_str().to_string(),
                        Style::default().add_modifier(Modifier::BOLD),
                    )];
                    if let Some(next) = &current.next {
                        code.push(Span::raw(format!(" {}", next.as_str())));
                    }
                    (
                        Line::from(code),
                        Span::styled(
                            countdown(current.remaining, current.period),
                            paint(Style::default().fg(urgency)),
                        ),
                    )
                }
                (None, Kind::Hotp) => (
                    Line::from(
                        view.shown
                            .get(&entry.name)
                            .map_or("Enter: next".to_string(), |c| c.as_str().to_string()),
                    ),
                    Span::raw(format!("counter {}", entry.otp.counter)),
                ),
                (None, _) => (Line::from("(bad entry)"), Span::raw("")),
            };
            Row::new(vec![
                text(&entry.name, 0),
                text(&entry.issuer, 1),
                text(&entry.account, 2),
                Cell::from(code),
                Cell::from(time),
                text(&entry.sites.join(" "), 5),
            ])
        })
        .collect();
    let table = Table::new(rows, widths.map(|w| Constraint::Length(w as u16)))
        .header(
            Row::new(["NAME", "ISSUER", "ACCOUNT", "CODE", "TIME LEFT", "SITE"])
                .style(Style::default().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    if count > 0 {
        let selected = view.table.selected().unwrap_or(0).min(count - 1);
        view.table.select(Some(selected));
    }
    // From the top each time, scrolled only as far as the selected row
    // needs: a window that was small and grew shows every row again.
    *view.table.offset_mut() = 0;
    frame.render_widget(
        Paragraph::new(format!(
            "otp watch: {count} of {} accounts",
            view.codes.len()
        )),
        title,
    );
    frame.render_stateful_widget(table, body, &mut view.table);
    let status_line = if !view.filter.is_empty() {
        format!("filter: {}_  {}", Escaped(&view.filter), view.message)
    } else {
        view.message.clone()
    };
    frame.render_widget(Paragraph::new(status_line), status);
    frame.render_widget(
        Paragraph::new(HELP).style(paint(Style::default().fg(Color::DarkGray))),
        help,
    );
}
