//! The extension in Debian's Chromium, headless, driven by Playwright for
//! Python (tests/browser/fill.py): filled on Amazon's and GitHub's own
//! pages with pyotp's code, refused on look-alikes, plain HTTP, a
//! cross-site frame and while the vault is locked; the popup's contents;
//! and the host's native messaging on its own (frames, limits, what it
//! never says).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::unlockable::Unlockable;
use common::*;

use otpvault::browser::install::EXTENSION_ID;

/// An account's name that would be an element if a page took it as HTML.
const MARKUP: &str = "Shop <img src=x onerror=document.title='owned'>";

/// A vault with Amazon (amazon.co.jp), GitHub (github.com), an HOTP
/// account (bank.example) and one named with markup (shop.example),
/// unlocked, and a scratch HOME for the browser.
struct Browsing {
    u: Unlockable,
    home: tempfile::TempDir,
    keys: Vec<(&'static str, String)>,
}

impl Browsing {
    fn new() -> Browsing {
        let u = Unlockable::new();
        let keys = vec![
            ("Amazon", key_for("Amazon")),
            ("GitHub", key_for("GitHub")),
            ("Bank", key_for("Bank")),
        ];
        u.v.add("GitHub", &keys[1].1);
        let uri = format!(
            "otpauth://hotp/Bank?secret={}&issuer=Bank&counter=0",
            keys[2].1
        );
        let out = u.v.run(&["add", "Bank"], Some(&uri));
        assert!(out.status.success(), "{}", stderr(&out));
        // A name that is markup: the popup must show it as text.
        u.v.add(MARKUP, &key_for("Shop"));
        for (name, site) in [
            ("Amazon", "amazon.co.jp"),
            ("GitHub", "github.com"),
            ("Bank", "bank.example"),
            (MARKUP, "shop.example"),
        ] {
            let out = u.v.run(&["edit", name, "--add-site", site], None);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let out = u.unlock(&[]);
        assert!(out.status.success(), "{}", stderr(&out));
        Browsing {
            u,
            home: tempfile::tempdir().unwrap(),
            keys,
        }
    }

    /// What the browser, and so the host it starts, runs with.
    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        let home = self.home.path();
        vec![
            ("HOME", home.to_path_buf()),
            ("XDG_CONFIG_HOME", home.join(".config")),
            ("XDG_RUNTIME_DIR", self.u.runtime.path().to_path_buf()),
            ("OTP_VAULT", self.u.v.path.clone()),
        ]
    }

    /// `otp` as the browser would start it, with no passphrase anywhere.
    fn otp(&self, args: &[&str]) -> Command {
        let mut cmd = self.u.bare(args);
        cmd.envs(self.env());
        cmd
    }
}

fn frame(message: &str) -> Vec<u8> {
    let mut bytes = (message.len() as u32).to_ne_bytes().to_vec();
    bytes.extend_from_slice(message.as_bytes());
    bytes
}

/// Starts the host as a browser does, writes `input`, and waits for it to
/// end: at most 15 s, since the host must never hang. With `hold`, the pipe
/// stays open until then, as a browser that stops mid-frame leaves it.
fn run_host(b: &Browsing, input: &[u8], hold: bool) -> std::process::Output {
    let mut cmd = b.otp(&[&format!("chrome-extension://{EXTENSION_ID}/")]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    let stdin = (hold).then_some(stdin);
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "the host hangs"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The frames the host wrote, read.
fn answers(out: &std::process::Output) -> Vec<serde_json::Value> {
    let mut answers = Vec::new();
    let mut rest = out.stdout.as_slice();
    while rest.len() >= 4 {
        let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
        answers.push(serde_json::from_slice(&rest[4..4 + len]).unwrap());
        rest = &rest[4 + len..];
    }
    answers
}

/// Runs the host with `input` and reads its answers.
fn host(b: &Browsing, input: &[u8]) -> (Vec<serde_json::Value>, std::process::Output) {
    let out = run_host(b, input, false);
    (answers(&out), out)
}

#[test]
fn install_writes_the_manifest_each_browser_reads_and_uninstall_removes_it() {
    let b = Browsing::new();
    let out = run_with_stdin(
        b.otp(&["browser", "install", "--browser", "chromium"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let path = b
        .home
        .path()
        .join(".config/chromium/NativeMessagingHosts/org.otpvault.otp.json");
    assert_eq!(stdout(&out).trim(), path.to_str().unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(manifest["type"], "stdio");
    assert_eq!(manifest["name"], "org.otpvault.otp");
    assert_eq!(
        manifest["allowed_origins"],
        serde_json::json!([format!("chrome-extension://{EXTENSION_ID}/")])
    );
    let otp = std::fs::canonicalize(env!("CARGO_BIN_EXE_otp")).unwrap();
    assert_eq!(manifest["path"], otp.to_str().unwrap());
    let out = run_with_stdin(b.otp(&["browser", "install", "--browser", "firefox"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let firefox = b
        .home
        .path()
        .join(".mozilla/native-messaging-hosts/org.otpvault.otp.json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&firefox).unwrap()).unwrap();
    assert_eq!(
        manifest["allowed_extensions"],
        serde_json::json!(["otp@otpvault.org"])
    );
    let status = stdout(&run_with_stdin(b.otp(&["browser", "status"]), None));
    assert!(
        line_of(&status, "chromium").contains("(this otp)"),
        "{status}"
    );
    assert!(
        line_of(&status, "firefox").contains("(this otp)"),
        "{status}"
    );
    assert!(
        line_of(&status, "chrome ").contains("not installed"),
        "{status}"
    );
    let only = stdout(&run_with_stdin(
        b.otp(&["browser", "status", "--browser", "firefox"]),
        None,
    ));
    assert_eq!(only.lines().count(), 1, "{only}");
    assert!(only.starts_with("firefox"), "{only}");
    let out = run_with_stdin(
        b.otp(&["browser", "uninstall", "--browser", "chromium"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!path.exists());
    let status = stdout(&run_with_stdin(b.otp(&["browser", "status"]), None));
    assert!(
        line_of(&status, "chromium").contains("not installed"),
        "{status}"
    );
}

fn line_of(text: &str, start: &str) -> String {
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_host_answers_for_the_page_s_site_only_and_never_names_another() {
    let b = Browsing::new();
    let mut input = Vec::new();
    for message in [
        r#"{"request":"fill","url":"https://www.amazon.co.jp/ap/mfa"}"#,
        r#"{"request":"codes","url":"https://github.com/sessions/two-factor"}"#,
        r#"{"request":"fill","url":"https://amazon.co.jp.evil.example/ap/mfa"}"#,
        r#"{"request":"codes","url":"https://evil.example/amazon.co.jp"}"#,
        // Another site's account by name: refused as if it did not exist.
        r#"{"request":"next","url":"https://github.com/","name":"Amazon"}"#,
        r#"{"request":"next","url":"https://github.com/","name":"Nobody"}"#,
        r#"{"request":"fill","url":"http://www.amazon.co.jp/ap/mfa"}"#,
        r#"{"request":"fill","url":"https://www.bank.example/2fa"}"#,
        r#"{"no":"protocol"}"#,
    ] {
        input.extend(frame(message));
    }
    let (answers, out) = host(&b, &input);
    assert!(out.status.success(), "{}", stderr(&out));
    let code = |name: &str| b.u.v.code_at(name, now());
    assert_eq!(answers[0]["answer"], "code", "{answers:?}");
    assert_eq!(answers[0]["name"], "Amazon");
    assert!(
        [code("Amazon"), b.u.v.code_at("Amazon", now() - 30)]
            .contains(&answers[0]["code"].as_str().unwrap().to_string())
    );
    let accounts = answers[1]["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{answers:?}");
    assert_eq!(accounts[0]["name"], "GitHub");
    for i in [2, 4, 5, 6] {
        assert_eq!(answers[i], serde_json::json!({"answer": "none"}), "{i}");
    }
    assert_eq!(
        answers[3],
        serde_json::json!({"answer": "codes", "accounts": []})
    );
    let hotp = pyotp_hotp(&b.keys[2].1, 0);
    if let Some(hotp) = hotp {
        assert_eq!(answers[7]["code"], hotp.as_str(), "{answers:?}");
        assert_eq!(answers[7]["seconds_left"], serde_json::Value::Null);
    }
    assert_eq!(answers[8]["answer"], "error");
    // Nothing of what went out names a site, a secret, or another account
    // than the page's.
    let all = String::from_utf8_lossy(&out.stdout).into_owned();
    for secret in b.keys.iter().map(|(_, k)| k) {
        assert!(!all.contains(secret.as_str()));
    }
    for site in ["amazon.co.jp\"", "github.com\"", "bank.example\""] {
        assert!(!all.contains(site), "{all}");
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_malformed_frame_gets_an_answer_or_a_clean_end_never_a_hang() {
    let b = Browsing::new();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("over 1 MiB", (2u32 << 20).to_ne_bytes().to_vec()),
        ("cut short", {
            let mut f = frame(r#"{"request":"codes","url":"https://github.com/"}"#);
            f.truncate(20);
            f
        }),
        ("a cut length", vec![7, 0]),
        ("not UTF-8", {
            let mut f = 4u32.to_ne_bytes().to_vec();
            f.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
            f
        }),
        ("a number", frame("42")),
    ];
    for (what, input) in cases {
        let out = run_host(&b, &input, false);
        assert_ne!(out.status.code(), Some(101), "{what}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{what}");
        let answer = out
            .stdout
            .get(4..)
            .map(serde_json::from_slice::<serde_json::Value>);
        match answer {
            Some(Ok(answer)) => assert_eq!(answer["answer"], "error", "{what}"),
            _ => assert!(out.stdout.is_empty(), "{what}: {:?}", out.stdout),
        }
    }
}

#[test]
fn a_frame_begun_and_left_unfinished_ends_the_host_within_its_limit() {
    let b = Browsing::new();
    // Half a length, and then nothing, with the pipe left open.
    let out = run_host(&b, &[40, 0], true);
    assert!(stderr(&out).contains("nothing for 5 s"), "{}", stderr(&out));
    let answers = answers(&out);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["answer"], "error");
}

#[test]
fn the_host_asks_no_agent_whose_folder_others_may_enter() {
    use std::os::unix::fs::PermissionsExt;
    let b = Browsing::new();
    let folder = common::unlockable::socket_dir(&b.u);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (answers, out) = host(
        &b,
        &frame(r#"{"request":"fill","url":"https://www.amazon.co.jp/ap/mfa"}"#),
    );
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["answer"], "error", "{answers:?}");
    assert!(answers[0].get("code").is_none());
}

#[test]
fn the_host_never_prompts_and_says_locked_without_an_agent() {
    let b = Browsing::new();
    // Started by hand, with nothing to read: it ends at once, saying nothing.
    let out = run_with_stdin(b.otp(&["browser-host"]), Some(""));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let out = run_with_stdin(b.otp(&["lock"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cmd_input = frame(r#"{"request":"fill","url":"https://www.amazon.co.jp/ap/mfa"}"#);
    cmd_input.extend(frame(
        r#"{"request":"codes","url":"https://www.amazon.co.jp/"}"#,
    ));
    let (answers, out) = host(&b, &cmd_input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(answers.len(), 2);
    for answer in answers {
        assert_eq!(answer, serde_json::json!({"answer": "locked"}));
    }
}

/// Debian's chromium, if there.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            missing("Debian's chromium (/usr/bin/chromium)");
            None
        })
}

#[test]
fn in_chromium_codes_fill_on_their_own_sites_only() {
    let Some(chromium) = chromium() else {
        return;
    };
    if !have_python(&["playwright", "pyotp"]) || !have_tool("openssl") {
        return;
    }
    let b = Browsing::new();
    let out = run_with_stdin(
        b.otp(&["browser", "install", "--browser", "chromium"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let keys: serde_json::Map<String, serde_json::Value> = b
        .keys
        .iter()
        .map(|(n, k)| (n.to_string(), serde_json::Value::from(k.as_str())))
        .collect();
    let mut python = Command::new("python3");
    python
        .arg(root.join("tests/browser/fill.py"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(b.env())
        .env("OTP", env!("CARGO_BIN_EXE_otp"))
        .env("EXTENSION", root.join("browser/extension"))
        .env("EXTENSION_ID", EXTENSION_ID)
        .env("PROFILE", b.home.path().join(".config/chromium"))
        .env("CHROMIUM", &chromium)
        .env("KEYS", serde_json::Value::Object(keys).to_string())
        .env("MARKUP", MARKUP);
    let out = python.output().unwrap();
    let said = format!("{}{}", stdout(&out), stderr(&out));
    // One line a page, for the log.
    let _ = writeln!(std::io::stderr(), "{}", stdout(&out));
    assert!(out.status.success(), "{said}");
    assert!(stdout(&out).contains("ALL PASSED"), "{said}");
}
