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
//! Keys: typing filters (any character but `q`, `n` and `/` starts the
//! filter; while it is typed, or after `/`, every character goes to it, so
//! that "netflix" can be typed); arrows select, and hand the keys back to
//! the list with the filter kept; Enter copies; `n` shows an HOTP entry's
//! next code; Backspace edits the filter and Esc clears it; `q`, Esc or
//! Ctrl-C leave.

use std::collections::HashMap;
use std::io::{self, IsTerminal};
use std::time::Duration;

use clap::Args;
use otpvault::clipboard::Route;
use otpvault::entries;
use otpvault::text::Escaped;
use otpvault::vault::Unlock;
use otpvault::{Code, Entry, Kind, Vault, clock};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::{DefaultTerminal, Frame};

use super::context::Context;
use super::input::{InputError, Need};
use super::{Failure, clip};

#[derive(Args, Debug, Default)]
pub struct WatchArgs {
    /// Show only the accounts whose name, issuer or account contains this.
    query: Option<String>,
}

/// Where typed characters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Letters are commands (`q`, `n`, `/`) or start the filter.
    Browse,
    /// Every character goes to the filter (after `/`, or once typing began).
    Filter,
}

/// What the view shows, besides the vault.
struct View {
    vault: Vault,
    filter: String,
    mode: Mode,
    table: TableState,
    /// HOTP codes shown in this session, by entry id.
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
    NextHotp,
}

pub fn watch(ctx: &Context, args: WatchArgs) -> Result<(), Failure> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(InputError::NoTerminal(Need::View).into());
    }
    let (vault, _) = ctx.open()?;
    let filter = args.query.unwrap_or_default();
    let mut view = View {
        vault,
        mode: if filter.is_empty() {
            Mode::Browse
        } else {
            Mode::Filter
        },
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
        let now = clock::now()?;
        terminal
            .draw(|frame| draw(frame, view, now))
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
            Action::Copy => view.copy(ctx, now),
            Action::NextHotp => view.next_hotp(ctx, now),
        }
    }
}

impl View {
    /// The entries the filter lets through, in the vault's order.
    fn visible(&self) -> Vec<&Entry> {
        self.vault
            .entries()
            .iter()
            .filter(|e| entries::matches(e, &self.filter))
            .collect()
    }

    fn selected(&self) -> Option<&Entry> {
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
        match (key.code, self.mode) {
            (KeyCode::Char('c'), _) if ctrl => return Action::Leave,
            (KeyCode::Esc, Mode::Browse) | (KeyCode::Char('q'), Mode::Browse) => {
                return Action::Leave;
            }
            (KeyCode::Esc, Mode::Filter) => {
                self.filter.clear();
                self.mode = Mode::Browse;
            }
            (KeyCode::Enter, _) => return Action::Copy,
            (KeyCode::Char('n'), Mode::Browse) => return Action::NextHotp,
            (KeyCode::Char('/'), Mode::Browse) => self.mode = Mode::Filter,
            // Arrows go to the list: the filter stays, letters are
            // commands again.
            (KeyCode::Up, _) => {
                self.table.select_previous();
                self.mode = Mode::Browse;
            }
            (KeyCode::Down, _) => {
                self.table.select_next();
                self.mode = Mode::Browse;
            }
            (KeyCode::Backspace, _) => {
                self.filter.pop();
                if self.filter.is_empty() {
                    self.mode = Mode::Browse;
                }
            }
            (KeyCode::Char(c), _) if !ctrl => {
                self.filter.push(c);
                self.mode = Mode::Filter;
                self.table.select(Some(0));
            }
            _ => {}
        }
        Action::Nothing
    }

    /// Enter: the selected code onto the clipboard, as `otp code --copy`.
    fn copy(&mut self, ctx: &Context, now: u64) {
        let Some(entry) = self.selected() else {
            return;
        };
        let name = Escaped(&entry.name).to_string();
        let code = match entry.current(now) {
            Ok(Some(current)) => Some(current.code),
            Ok(None) => self.shown.get(&entry.id).cloned(),
            Err(e) => {
                self.message = Failure::from(e).to_string();
                return;
            }
        };
        let Some(code) = code else {
            self.message = format!("{name} is counter-based: press n for its next code");
            return;
        };
        let seconds = ctx.config.clipboard_seconds().as_secs();
        self.message = match clip::copy(&code, ctx.config.clipboard_seconds()) {
            Ok(Route::System) => format!("copied {name}'s code; cleared in {seconds} s"),
            Ok(Route::Terminal) => format!("copied {name}'s code through the terminal"),
            Err(e) => e.to_string(),
        };
    }

    /// `n`: an HOTP entry's next code, used up and saved first, as
    /// `otp code NAME` does.
    fn next_hotp(&mut self, ctx: &Context, now: u64) {
        let Some(entry) = self.selected() else {
            return;
        };
        if entry.otp.kind != Kind::Hotp {
            self.message = "n is for counter-based (HOTP) entries: this one's code is shown".into();
            return;
        }
        let name = entry.name.clone();
        let opened = Vault::open_for_update_with(
            ctx.vault_path(),
            Unlock::Key(self.vault.key()),
            ctx.settings,
        );
        let mut vault = match opened {
            Ok(vault) => vault,
            Err(e) => {
                self.message = Failure::from(e).to_string();
                return;
            }
        };
        let shown = match vault.next_code(&name, now) {
            Ok(shown) => shown,
            Err(e) => {
                self.message = Failure::from(e).to_string();
                return;
            }
        };
        let backup_failed = shown.saved.is_some_and(|saved| saved.backup.is_err());
        self.shown.insert(shown.entry.id.clone(), shown.code);
        self.message = format!("used {}'s next code", Escaped(&name));
        if backup_failed {
            self.message
                .push_str(" (saved, but the previous version could not be kept as a backup)");
        }
        // Read again without the writer's lock, which other otp commands
        // need while the view stays open.
        match Vault::open_with(ctx.vault_path(), Unlock::Key(vault.key()), ctx.settings) {
            Ok(read) => self.vault = read,
            Err(e) => self.message = Failure::from(e).to_string(),
        }
    }
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

fn draw(frame: &mut Frame, view: &mut View, now: u64) {
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
    let any_site = visible.iter().any(|e| !e.sites.is_empty());
    let rows: Vec<Row> = visible
        .iter()
        .map(|entry| {
            let text = |s: &str| Cell::from(Escaped(s).to_string());
            let (code, time) = match entry.current(now) {
                Ok(Some(current)) => {
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
                Ok(None) => (
                    Line::from(
                        view.shown
                            .get(&entry.id)
                            .map_or("n: next".to_string(), |c| c.as_str().to_string()),
                    ),
                    Span::raw(format!("counter {}", entry.otp.counter)),
                ),
                Err(_) => (Line::from("(bad entry)"), Span::raw("")),
            };
            Row::new(vec![
                text(&entry.name),
                text(&entry.issuer),
                text(&entry.account),
                Cell::from(code),
                Cell::from(time),
                text(&entry.sites.join(" ")),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Fill(2),
            Constraint::Fill(if any_site { 1 } else { 2 }),
            Constraint::Fill(if any_site { 2 } else { 3 }),
            Constraint::Length(14),
            Constraint::Length(14),
            Constraint::Fill(if any_site { 3 } else { 0 }),
        ],
    )
    .header(
        Row::new(["NAME", "ISSUER", "ACCOUNT", "CODE", "TIME LEFT", "SITE"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    if count > 0 {
        let selected = view.table.selected().unwrap_or(0).min(count - 1);
        view.table.select(Some(selected));
    }
    frame.render_widget(
        Paragraph::new(format!(
            "otp watch: {count} of {} accounts",
            view.vault.entries().len()
        )),
        title,
    );
    frame.render_stateful_widget(table, body, &mut view.table);
    let status_line = if view.mode == Mode::Filter || !view.filter.is_empty() {
        format!("filter: {}_  {}", Escaped(&view.filter), view.message)
    } else {
        view.message.clone()
    };
    frame.render_widget(Paragraph::new(status_line), status);
    frame.render_widget(
        Paragraph::new("type to filter  ↑↓ select  Enter copy  n next HOTP code  q quit")
            .style(paint(Style::default().fg(Color::DarkGray))),
        help,
    );
}
