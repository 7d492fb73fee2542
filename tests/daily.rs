//! The daily loop, in a real terminal (tmux) and on a real X clipboard
//! (Xvfb and xclip): seconds left and the next code, `--copy` and its
//! clearing, OSC 52, `otp watch`, a new passphrase typed wrong, and `otp`
//! alone.
// The core build (no tui, no clipboard) runs the rest: helpers of the
// gated tests are unused there.
#![cfg_attr(
    not(all(feature = "tui", feature = "clipboard")),
    allow(dead_code, unused_imports)
)]

mod common;

use std::time::{Duration, Instant};

use common::screen::{PATIENCE, Tmux, X, otp_path};
use common::*;

/// 20 s left in its period.
const EARLY: u64 = 1_700_000_020;
/// 4 s left: the next code is shown too.
const LATE: u64 = 1_700_000_036;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A vault with two time-based entries and a counter-based one.
fn three_accounts() -> TestVault {
    let v = TestVault::new();
    for (name, account) in [("Amazon", "me@example.com"), ("GitHub", "octo")] {
        let out = v.run(&["add", name, "--account", account], Some(&key_for(name)));
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = v.run(&["add", "Bank", "--hotp"], Some(&key_for("Bank")));
    assert!(out.status.success(), "{}", stderr(&out));
    v
}

/// A terminal whose shell has the vault and its passphrase, and `extra`.
fn terminal_for(v: &TestVault, extra: &[(&str, &str)]) -> Option<Tmux> {
    let path = v.path.to_str().unwrap();
    let mut env = vec![("OTP_VAULT", path), ("OTP_PASSPHRASE", PASSPHRASE)];
    env.extend_from_slice(extra);
    Tmux::start(&env)
}

fn otp() -> String {
    otp_path().display().to_string()
}

#[test]
fn a_code_on_a_terminal_shows_the_seconds_left_and_then_the_next_code() {
    let v = TestVault::new();
    let key = key_for("Amazon");
    v.add("Amazon", &key);
    let Some(want) = pyotp_totp(&key, &[EARLY, LATE, LATE + 4]) else {
        return;
    };
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    let otp = otp();
    tmux.type_text(
        &format!(
            "{otp} code amazon --at {EARLY}; {otp} code amazon --at {LATE}; {otp} code amazon --at {LATE} | cat; echo DONE"
        ),
        true,
    );
    let screen = tmux.wait_for(|s| s.contains("\nDONE"), "the three codes");
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    assert!(
        lines.contains(&format!("{}  (20 s left)", want[0]).as_str()),
        "{screen}"
    );
    assert!(
        lines.contains(&format!("{}  (4 s left; next: {})", want[1], want[2]).as_str()),
        "{screen}"
    );
    // Piped, the code alone: scripts rely on it.
    assert!(lines.contains(&want[1].as_str()), "{screen}");
}

#[test]
#[cfg(feature = "clipboard")]
fn copy_puts_the_code_on_the_x_clipboard_and_clears_only_its_own() {
    let v = TestVault::new();
    let key = key_for("Amazon");
    v.add("Amazon", &key);
    let Some(want) = pyotp_totp(&key, &[EARLY]) else {
        return;
    };
    let Some(x) = X::start() else {
        return;
    };
    let copy = || {
        let mut cmd = v.command(&["code", "amazon", "-c", "--at", &EARLY.to_string()]);
        cmd.env("DISPLAY", &x.display)
            .env("OTP_CLIPBOARD_SECONDS", "2");
        run_with_stdin(cmd, None)
    };
    let out = copy();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "copied, not printed");
    assert!(
        stderr(&out).contains("copied the code of Amazon (20 s left)")
            && stderr(&out).contains("cleared in 2 s"),
        "{}",
        stderr(&out)
    );
    // On the clipboard as soon as `otp` returns.
    assert_eq!(x.clipboard().as_deref(), Some(want[0].as_str()));
    x.wait_for_clipboard(None, "the code to be cleared");

    // Something copied meanwhile is the user's: left alone.
    let out = copy();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(x.clipboard().as_deref(), Some(want[0].as_str()));
    x.copy("my own text");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(x.clipboard().as_deref(), Some("my own text"));
}

#[test]
fn copy_without_a_display_goes_through_the_terminal() {
    let v = TestVault::new();
    let key = key_for("Amazon");
    v.add("Amazon", &key);
    let Some(want) = pyotp_totp(&key, &[EARLY]) else {
        return;
    };
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    assert_eq!(tmux.buffer(), None, "no buffer before");
    tmux.type_text(&format!("{} code amazon -c --at {EARLY}", otp()), true);
    tmux.wait_for(|s| s.contains("through the terminal"), "the note");
    let start = Instant::now();
    while tmux.buffer().as_deref() != Some(want[0].as_str()) {
        assert!(start.elapsed() < PATIENCE, "buffer: {:?}", tmux.buffer());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn copy_with_no_display_and_no_terminal_says_so() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let out = v.run(&["code", "amazon", "--copy"], None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no clipboard"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
}

/// The exit status `echo EXITED $?` printed, once it has (the command
/// line itself holds the words too, but not at a line's start).
fn exited(screen: &str) -> Option<i32> {
    screen
        .lines()
        .find_map(|l| l.strip_prefix("EXITED ")?.trim().parse().ok())
}

/// The row of the watch screen that shows `name`.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.starts_with(name))
}

#[test]
#[cfg(feature = "tui")]
fn watch_shows_every_code_filters_copies_counts_and_leaves_a_clean_screen() {
    let v = three_accounts();
    let Some(x) = X::start() else {
        return;
    };
    let Some(tmux) = terminal_for(&v, &[("DISPLAY", &x.display)]) else {
        return;
    };
    if !have_python(&["pyotp"]) {
        return;
    }
    tmux.type_text(&format!("{} watch; echo EXITED $?", otp()), true);
    tmux.wait_for(|s| s.contains("otp watch: 3 of 3 accounts"), "the view");
    assert_eq!(tmux.pane("#{alternate_on}"), "1");

    // Every entry with its issuer, account, and pyotp's code of the moment.
    let before = now();
    let screen = tmux.screen();
    let after = now();
    for (name, account) in [("Amazon", "me@example.com"), ("GitHub", "octo")] {
        let line = row(&screen, name).unwrap_or_else(|| panic!("{name}:\n{screen}"));
        let codes = pyotp_totp(&key_for(name), &[before, after]).unwrap();
        assert!(
            codes.iter().any(|c| line.contains(c.as_str())),
            "{line} has none of {codes:?}"
        );
        assert!(line.contains(account), "{line}");
        assert!(
            line.contains('█') || line.contains('░'),
            "countdown: {line}"
        );
    }
    assert!(row(&screen, "Bank").is_some_and(|l| l.contains("counter 0")));

    // Typing filters.
    tmux.type_text("git", false);
    let screen = tmux.wait_for(|s| s.contains("filter: git_"), "the filter");
    assert!(screen.contains("1 of 3 accounts"), "{screen}");
    assert!(row(&screen, "GitHub").is_some() && row(&screen, "Amazon").is_none());

    // Enter copies the selected code.
    let before = now();
    tmux.keys(&["Enter"]);
    let start = Instant::now();
    let copied = loop {
        if let Some(text) = x.clipboard().filter(|t| !t.is_empty()) {
            break text;
        }
        assert!(start.elapsed() < PATIENCE, "nothing was copied");
        std::thread::sleep(Duration::from_millis(50));
    };
    let codes = pyotp_totp(&key_for("GitHub"), &[before, now()]).unwrap();
    assert!(codes.contains(&copied), "{copied} is none of {codes:?}");
    tmux.wait_for(|s| s.contains("copied GitHub's code"), "the note");

    // Enter on a counter-based entry uses its next code up, shows it and
    // copies it.
    tmux.keys(&["Escape"]);
    tmux.wait_for(|s| s.contains("3 of 3"), "the filter cleared");
    tmux.type_text("bank", false);
    tmux.wait_for(|s| s.contains("filter: bank_"), "the filter");
    tmux.keys(&["Enter"]);
    let hotp = pyotp_hotp(&key_for("Bank"), 0).unwrap();
    let screen = tmux.wait_for(|s| s.contains("used Bank's next code"), "the HOTP code");
    let line = row(&screen, "Bank").unwrap();
    assert!(line.contains(&hotp) && line.contains("counter 1"), "{line}");
    x.wait_for_clipboard(Some(hotp.as_str()), "the HOTP code copied");

    // Esc clears the filter, and Esc again leaves: the terminal is as it
    // was.
    tmux.keys(&["Escape"]);
    tmux.wait_for(|s| s.contains("3 of 3"), "the filter cleared");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp watch to end");
    assert_eq!(exited(&screen), Some(0), "{screen}");
    assert_eq!(tmux.pane("#{alternate_on}"), "0");
    assert_eq!(tmux.pane("#{cursor_flag}"), "1", "the cursor is back");
    let list = v.run(&["list", "--json"], None);
    let entries: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let bank = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Bank")
        .unwrap();
    assert_eq!(bank["counter"], 1, "the counter was saved");
}

#[test]
#[cfg(feature = "tui")]
fn watch_fits_80_by_24_redraws_on_resize_and_honours_no_color() {
    let v = three_accounts();
    let header_width = |screen: &str| {
        screen
            .lines()
            .find(|l| l.starts_with("NAME"))
            .map(|l| l.trim_end().chars().count())
    };
    for no_color in [false, true] {
        let extra: &[(&str, &str)] = if no_color { &[("NO_COLOR", "1")] } else { &[] };
        let Some(tmux) = terminal_for(&v, extra) else {
            return;
        };
        tmux.type_text(&format!("{} watch", otp()), true);
        let screen = tmux.wait_for(|s| s.contains("3 of 3"), "the view");
        let narrow = header_width(&screen).unwrap();
        assert!(narrow <= 80, "{screen}");
        assert!(
            screen.contains("Esc clear/quit"),
            "the help line fits: {screen}"
        );
        // Colour: the countdown's green, yellow or red, as tmux writes them.
        let painted = tmux.screen_with_escapes();
        let coloured = ["\x1b[38;5;1m", "\x1b[38;5;2m", "\x1b[38;5;3m"]
            .iter()
            .any(|sgr| painted.contains(sgr));
        assert_eq!(coloured, !no_color, "NO_COLOR={no_color}:\n{painted:?}");
        tmux.run(&["resize-window", "-x", "120", "-y", "30"]);
        let screen = tmux.wait_for(
            |s| header_width(s).is_some_and(|w| w > narrow + 20),
            "a redraw at the new width",
        );
        assert!(screen.contains("TIME LEFT"));
        tmux.keys(&["C-c"]);
        tmux.wait_for(|s| !s.contains("otp watch:"), "Ctrl-C to leave");
    }
}

#[test]
#[cfg(feature = "tui")]
fn watch_after_a_tiny_window_shows_every_row_again() {
    let v = three_accounts();
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    tmux.type_text(&format!("{} watch", otp()), true);
    tmux.wait_for(|s| s.contains("3 of 3"), "the view");
    // Select the last row, shrink the window to 20×4, then enlarge it.
    tmux.keys(&["Down", "Down"]);
    tmux.run(&["resize-window", "-x", "20", "-y", "4"]);
    std::thread::sleep(Duration::from_millis(1500));
    tmux.run(&["resize-window", "-x", "100", "-y", "20"]);
    let screen = tmux.wait_for(
        |s| {
            ["Amazon", "GitHub", "Bank"]
                .iter()
                .all(|n| row(s, n).is_some())
        },
        "every row after the window grew",
    );
    assert!(screen.contains("TIME LEFT"), "{screen}");
    tmux.keys(&["C-c"]);
}

#[test]
#[cfg(feature = "tui")]
fn watch_takes_every_letter_as_filter_and_says_how() {
    let v = three_accounts();
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    tmux.type_text(&format!("{} watch; echo EXITED $?", otp()), true);
    let screen = tmux.wait_for(|s| s.contains("3 of 3"), "the view");
    // The help line says how to filter, copy and leave.
    for said in ["type to filter", "Enter copy", "Esc clear/quit"] {
        assert!(screen.contains(said), "{said}: {screen}");
    }
    // A filter that starts with q or n is a filter, not a command.
    tmux.type_text("quay", false);
    let screen = tmux.wait_for(|s| s.contains("filter: quay_"), "the filter");
    assert!(screen.contains("0 of 3 accounts"), "{screen}");
    assert!(exited(&screen).is_none(), "q did not quit: {screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for(|s| !s.contains("filter:"), "Esc to clear the filter");
    tmux.type_text("n", false);
    tmux.wait_for(|s| s.contains("filter: n_"), "n filters");
    tmux.keys(&["Escape"]);
    tmux.wait_for(|s| !s.contains("filter:"), "Esc to clear the filter");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "Esc to leave");
    assert_eq!(exited(&screen), Some(0), "{screen}");
}

#[test]
#[cfg(feature = "tui")]
fn watch_at_80_columns_shows_sites_and_issuers_whole() {
    let v = TestVault::new();
    let out = v.run(
        &[
            "add",
            "Amazon",
            "--issuer",
            "Amazon Japan",
            "--account",
            "me@example.com",
            "--site",
            "amazon.co.jp",
        ],
        Some(&key_for("Amazon")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    v.add("GitHub", &key_for("GitHub"));
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    tmux.type_text(&format!("{} watch", otp()), true);
    let screen = tmux.wait_for(|s| s.contains("2 of 2"), "the view");
    let line = row(&screen, "Amazon").unwrap_or_else(|| panic!("{screen}"));
    for whole in ["Amazon Japan", "me@example.com", "amazon.co.jp"] {
        assert!(line.contains(whole), "{whole} whole in: {line}");
    }
    // A value too long for its column is cut with an ellipsis, and the
    // row still fits.
    tmux.keys(&["C-c"]);
    let out = v.run(
        &[
            "edit",
            "GitHub",
            "--issuer",
            &"GitHub Enterprise Server ".repeat(4),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    tmux.type_text(&format!("{} watch", otp()), true);
    let screen = tmux.wait_for(|s| s.contains("2 of 2"), "the view");
    let line = row(&screen, "GitHub").unwrap_or_else(|| panic!("{screen}"));
    assert!(line.contains('…'), "cut: {line}");
    assert!(line.trim_end().chars().count() <= 80, "{line}");
    let line = row(&screen, "Amazon").unwrap();
    assert!(line.contains("amazon.co.jp"), "{line}");
    tmux.keys(&["C-c"]);
}

#[test]
#[cfg(feature = "tui")]
fn watch_puts_the_terminal_back_after_a_panic() {
    let v = three_accounts();
    let Some(tmux) = terminal_for(&v, &[("OTP_FAILPOINT", "watch-panic")]) else {
        return;
    };
    tmux.type_text(&format!("{} watch; echo EXITED $?", otp()), true);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp watch to end");
    assert_eq!(exited(&screen), Some(101), "{screen}");
    assert!(screen.contains("internal error"), "{screen}");
    assert_eq!(tmux.pane("#{alternate_on}"), "0");
    assert_eq!(tmux.pane("#{cursor_flag}"), "1");
}

#[test]
#[cfg(feature = "tui")]
fn otp_alone_opens_the_view_on_a_terminal_and_says_where_to_start_elsewhere() {
    let v = three_accounts();
    let out = v.run(&[], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("start with: otp add NAME"));
    assert!(stdout(&out).lines().count() < 12, "short: {}", stdout(&out));
    let Some(tmux) = terminal_for(&v, &[]) else {
        return;
    };
    tmux.type_text(&format!("{}; echo EXITED $?", otp()), true);
    tmux.wait_for(|s| s.contains("otp watch: 3 of 3"), "the view");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "otp to end");
    assert_eq!(exited(&screen), Some(0), "{screen}");
}

/// `otp add` on a terminal with no vault yet: the key, then the new
/// passphrase typed twice, once for each of `pairs`.
fn first_add(tmux: &Tmux, pairs: &[(&str, &str)]) {
    tmux.type_text(&format!("{} add Amazon; echo EXITED $?", otp()), true);
    tmux.wait_for(|s| s.contains("Setup key"), "the key prompt");
    tmux.type_text(&key_for("Amazon"), true);
    for (i, (first, second)) in pairs.iter().enumerate() {
        let prompts = |s: &str| s.matches("New passphrase").count();
        tmux.wait_for(|s| prompts(s) > i, "the passphrase prompt");
        tmux.type_text(first, true);
        tmux.wait_for(|s| s.matches("Repeat").count() > i, "the repeat prompt");
        tmux.type_text(second, true);
    }
}

#[test]
fn a_mistyped_new_passphrase_is_asked_again_up_to_three_times() {
    let v = TestVault::empty();
    // A small KDF cost, as on a small machine, to keep the test quick.
    let Some(tmux) = Tmux::start(&[
        ("OTP_VAULT", v.path.to_str().unwrap()),
        ("OTP_TEST_AVAILABLE_MIB", "64"),
        ("OTP_WEAK_PASSPHRASE", "1"),
    ]) else {
        return;
    };
    first_add(&tmux, &[("one", "two"), ("new pass", "new pass")]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "add to end");
    assert!(screen.contains("try again (2 of 3)"), "{screen}");
    assert_eq!(exited(&screen), Some(0), "{screen}");
    let mut cmd = v.command(&["list"]);
    cmd.env("OTP_PASSPHRASE", "new pass");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Amazon"));

    // Three times wrong: nothing is made.
    let w = TestVault::empty();
    let Some(tmux) = Tmux::start(&[
        ("OTP_VAULT", w.path.to_str().unwrap()),
        ("OTP_WEAK_PASSPHRASE", "1"),
    ]) else {
        return;
    };
    first_add(&tmux, &[("a", "b"), ("c", "d"), ("e", "f")]);
    let screen = tmux.wait_for(|s| exited(s).is_some(), "add to end");
    assert!(screen.contains("(3 of 3)"), "{screen}");
    assert_eq!(exited(&screen), Some(2), "{screen}");
    assert!(screen.contains("differ"), "{screen}");
    assert!(!w.path.exists());
}
