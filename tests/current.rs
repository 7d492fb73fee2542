//! A code is current when it is shown: made after the vault is open, from
//! the clock at that moment, however long the passphrase took; and a
//! copied code follows the period as it turns. The clock is libfaketime's,
//! started 3 s before a period ends, and the passphrase comes from a
//! command that takes 4 s, as a person typing would.

mod common;

use common::*;

/// 2026-01-01 00:00:27 UTC: 3 s before its period turns.
const START: u64 = 1_767_225_627;
const FAKETIME: &str = "@2026-01-01 00:00:27";

/// The passphrase command that takes as long as a person typing.
fn slow_passphrase(seconds: u32) -> String {
    format!("sleep {seconds}; echo {PASSPHRASE}")
}

/// A vault with Amazon at amazon.co.jp.
fn amazon() -> TestVault {
    let v = TestVault::new();
    let out = v.run(
        &["add", "Amazon", "--site", "amazon.co.jp"],
        Some(&key_for("Amazon")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    v
}

/// Debian's libfaketime, preloaded directly rather than through the
/// `faketime` wrapper: the wrapper removes the shared memory its children
/// use when it exits, which kills a detached clipboard holder.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

fn have_faketime() -> bool {
    if std::path::Path::new(LIBFAKETIME).exists() {
        return true;
    }
    missing("libfaketime (Debian's faketime package)");
    false
}

/// `otp ARGS` on the fake clock, its passphrase from the slow command.
fn slow_command(v: &TestVault, args: &[&str], seconds: u32) -> std::process::Command {
    let mut cmd = v.command(args);
    cmd.env("LD_PRELOAD", LIBFAKETIME)
        .env("FAKETIME", FAKETIME)
        .env_remove("OTP_PASSPHRASE")
        .env("OTP_PASSPHRASE_COMMAND", slow_passphrase(seconds));
    cmd
}

fn slow(v: &TestVault, args: &[&str], seconds: u32) -> std::process::Output {
    run_with_stdin(slow_command(v, args, seconds), None)
}

#[test]
fn a_code_typed_for_is_the_code_of_the_moment_it_is_shown() {
    if !have_faketime() {
        return;
    }
    let v = amazon();
    let Some(codes) = pyotp_totp(&key_for("Amazon"), &[START, START + 4]) else {
        return;
    };
    let (stale, current) = (&codes[0], &codes[1]);
    assert_ne!(stale, current);
    for args in [
        &["-q", "code", "amazon"][..],
        &[
            "code",
            "amazon",
            "--for-url",
            "https://www.amazon.co.jp/ap/mfa",
        ],
        &["code", "amazon", "--json"],
        &["code"],
    ] {
        let out = slow(&v, args, 4);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let shown = stdout(&out);
        assert!(
            shown.contains(current.as_str()),
            "{args:?}: {shown} is not {current}"
        );
        assert!(
            !shown.contains(stale.as_str()),
            "{args:?}: {shown} is last period's"
        );
    }
    // --at is a time given, not read: unchanged.
    let out = slow(&v, &["code", "amazon", "--at", &START.to_string()], 4);
    assert_eq!(stdout(&out).trim(), stale.as_str());
}

#[test]
#[cfg(feature = "clipboard")]
fn a_copied_code_is_replaced_by_the_next_when_the_period_turns() {
    if !have_faketime() {
        return;
    }
    let v = amazon();
    let Some(codes) = pyotp_totp(&key_for("Amazon"), &[START + 1, START + 3]) else {
        return;
    };
    let Some(x) = common::screen::X::start() else {
        return;
    };
    // Copied with 2 s left: the clipboard holds that code, then the next.
    let mut cmd = slow_command(&v, &["code", "amazon", "-c"], 1);
    cmd.env("DISPLAY", &x.display)
        .env("OTP_CLIPBOARD_SECONDS", "8");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the clipboard then gets the next one"),
        "{}",
        stderr(&out)
    );
    // (Under load the copy may land just after the turn.)
    let first = x.clipboard().unwrap_or_default();
    assert!(codes.contains(&first), "{first} is neither {codes:?}");
    x.wait_for_clipboard(Some(codes[1].as_str()), "the next code after the turn");
    x.wait_for_clipboard(None, "the clipboard to be cleared");

    // Something copied before the turn is the user's: not replaced.
    let mut cmd = slow_command(&v, &["code", "amazon", "-c"], 1);
    cmd.env("DISPLAY", &x.display)
        .env("OTP_CLIPBOARD_SECONDS", "8");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    x.copy("my own text");
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert_eq!(x.clipboard().as_deref(), Some("my own text"));
}

#[test]
#[cfg(feature = "tui")]
fn the_live_view_opens_on_the_code_of_the_moment() {
    if !have_faketime() {
        return;
    }
    let v = amazon();
    let Some(codes) = pyotp_totp(&key_for("Amazon"), &[START, START + 4]) else {
        return;
    };
    let path = v.path.to_str().unwrap();
    let command = slow_passphrase(4);
    let Some(tmux) =
        common::screen::Tmux::start(&[("OTP_VAULT", path), ("OTP_PASSPHRASE_COMMAND", &command)])
    else {
        return;
    };
    tmux.type_text(
        &format!(
            "LD_PRELOAD={LIBFAKETIME} FAKETIME='{FAKETIME}' {} watch",
            common::screen::otp_path().display()
        ),
        true,
    );
    let start = std::time::Instant::now();
    let screen = tmux.wait_for(|s| s.contains("1 of 1 accounts"), "the view");
    assert!(start.elapsed() < common::screen::PATIENCE);
    let row = screen
        .lines()
        .find(|l| l.starts_with("Amazon"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains(codes[1].as_str()), "{row}: not {}", codes[1]);
    assert!(
        !row.contains(codes[0].as_str()),
        "{row}: last period's code"
    );
    tmux.keys(&["C-c"]);
}
