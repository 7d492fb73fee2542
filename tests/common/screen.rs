//! Real screens for tests: a terminal (tmux, driven with send-keys and read
//! with capture-pane) and an X server (Xvfb, read with xclip). Each test
//! gets its own tmux server (its own socket) and its own X display (chosen
//! by Xvfb itself with -displayfd), so tests running at once never share
//! one, and every wait polls for what it expects instead of sleeping.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::have_tool;

/// How long a wait for a screen to show something may take: generous, for
/// a loaded CI machine; a passing test does not wait it out.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A tmux server of its own with one 80×24 window running `sh`.
pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// A new server, with `env` set in the shell; None if tmux is missing.
    pub fn start(env: &[(&str, &str)]) -> Option<Tmux> {
        if !have_tool("tmux") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: dir.path().join("tmux.sock"),
            _dir: dir,
        };
        // A clean environment: nothing of the caller's (no OTP_ variable,
        // no display, no config file) but what the test gives.
        let mut shell = format!(
            "env -i PATH='{}' HOME='{}' TERM=tmux-256color LANG=C.UTF-8 \
             XDG_CONFIG_HOME=/nonexistent/otpvault-tests PS1='$ '",
            std::env::var("PATH").unwrap_or_default(),
            tmux._dir.path().display(),
        );
        for (k, v) in env {
            shell.push_str(&format!(" {k}='{v}'"));
        }
        shell.push_str(" sh");
        let ok = tmux
            .command()
            .env("LANG", "C.UTF-8")
            .args([
                "-u",
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
            ])
            .arg(&shell)
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        // OSC 52 from programs in the pane reaches tmux's paste buffers.
        tmux.run(&["set-option", "-g", "set-clipboard", "on"]);
        tmux.wait_for(|screen| screen.contains('$'), "the shell prompt");
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs a tmux command; returns its stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` (literally) and, if `enter`, presses Enter.
    pub fn type_text(&self, text: &str, enter: bool) {
        self.run(&["send-keys", "-l", text]);
        if enter {
            self.keys(&["Enter"]);
        }
    }

    /// Presses keys by tmux name (`Enter`, `Escape`, `Down`, `C-c`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// The screen with its colours and attributes as escape sequences.
    pub fn screen_with_escapes(&self) -> String {
        self.run(&["capture-pane", "-p", "-e"])
    }

    /// A tmux format about the pane, e.g. `#{alternate_on}`.
    pub fn pane(&self, format: &str) -> String {
        self.run(&["display-message", "-p", format])
            .trim()
            .to_string()
    }

    /// Waits until `done` holds for the screen; fails the test with the
    /// screen if it never does.
    pub fn wait_for(&self, done: impl Fn(&str) -> bool, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The newest paste buffer (what OSC 52 copied), if any.
    pub fn buffer(&self) -> Option<String> {
        let out = self.command().args(["show-buffer"]).output().unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// An X server of its own (Xvfb), on the display it picked.
pub struct X {
    server: Child,
    pub display: String,
}

impl X {
    /// Starts Xvfb; None if Xvfb or xclip is missing.
    pub fn start() -> Option<X> {
        if !have_tool("Xvfb") || !have_tool("xclip") {
            return None;
        }
        // -displayfd 1: Xvfb finds a free display and writes its number on
        // stdout once it accepts connections; no guessing, no race.
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "640x480x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not say its display");
        Some(X {
            server,
            display: format!(":{number}"),
        })
    }

    /// The CLIPBOARD selection's text, or None when nothing offers one.
    pub fn clipboard(&self) -> Option<String> {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Copies `text` as another program would.
    pub fn copy(&self, text: &str) {
        use std::io::Write;
        let mut child = Command::new("xclip")
            .args(["-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// Waits until the clipboard is `want` (None: empty or unowned).
    pub fn wait_for_clipboard(&self, want: Option<&str>, what: &str) {
        let start = Instant::now();
        loop {
            let now = self.clipboard().filter(|s| !s.is_empty());
            if now.as_deref() == want {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {what}; the clipboard holds {now:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for X {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The `otp` binary, for a shell command line.
pub fn otp_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_otp"))
}
