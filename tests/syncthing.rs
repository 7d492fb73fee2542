//! Two real Syncthing instances on loopback share a folder holding a vault.
//! Both sides change it while the devices are paused; once they resume,
//! Syncthing leaves a conflict copy; `otp merge --conflicts` merges it, and
//! both sides end up with every entry. Nothing leaves the machine: no
//! discovery, no relays, no upgrade checks.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The passphrase B changes to while apart.
const NEW: &str = "the passphrase set on device B";

/// The whole test's budget.
const LIMIT: Duration = Duration::from_secs(120);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One Syncthing instance: its home, API and process.
struct Instance {
    home: PathBuf,
    folder: PathBuf,
    gui: u16,
    listen: u16,
    key: String,
    id: String,
    process: Option<Child>,
    /// The passphrase that opens this device's vault.
    passphrase: std::cell::Cell<&'static str>,
}

impl Instance {
    fn new(root: &Path, name: &str) -> Instance {
        let home = root.join(format!("{name}-home"));
        let folder = root.join(format!("{name}-sync"));
        std::fs::create_dir_all(&folder).unwrap();
        let out = Command::new("syncthing")
            .args(["generate", "--no-default-folder"])
            .arg(format!("--home={}", home.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let out = Command::new("syncthing")
            .arg("--device-id")
            .arg(format!("--home={}", home.display()))
            .output()
            .unwrap();
        let id = stdout(&out).trim().to_string();
        assert_eq!(id.len(), 63, "a device id: {id:?}");
        let listen = free_port();
        // A closed network: only loopback, no discovery, relays, NAT,
        // usage reports, crash reports, upgrades or browser.
        let config = home.join("config.xml");
        let mut xml = std::fs::read_to_string(&config).unwrap();
        for (from, to) in [
            (
                "<listenAddress>default</listenAddress>".to_string(),
                format!("<listenAddress>tcp://127.0.0.1:{listen}</listenAddress>"),
            ),
            (
                "<globalAnnounceEnabled>true".into(),
                "<globalAnnounceEnabled>false".into(),
            ),
            (
                "<localAnnounceEnabled>true".into(),
                "<localAnnounceEnabled>false".into(),
            ),
            ("<relaysEnabled>true".into(), "<relaysEnabled>false".into()),
            ("<natEnabled>true".into(), "<natEnabled>false".into()),
            ("<startBrowser>true".into(), "<startBrowser>false".into()),
            ("<urAccepted>0".into(), "<urAccepted>-1".into()),
            (
                "<autoUpgradeIntervalH>12".into(),
                "<autoUpgradeIntervalH>0".into(),
            ),
            (
                "<crashReportingEnabled>true".into(),
                "<crashReportingEnabled>false".into(),
            ),
            (
                "<reconnectionIntervalS>60".into(),
                "<reconnectionIntervalS>5".into(),
            ),
        ] {
            assert!(xml.contains(&from), "{from} not in the generated config");
            xml = xml.replace(&from, &to);
        }
        std::fs::write(&config, xml).unwrap();
        Instance {
            home,
            folder,
            gui: free_port(),
            listen,
            key: format!("otp-test-{name}-key"),
            id,
            process: None,
            passphrase: std::cell::Cell::new(PASSPHRASE),
        }
    }

    fn start(&mut self) {
        let log = std::fs::File::create(self.home.join("log.txt")).unwrap();
        let child = Command::new("syncthing")
            .arg("serve")
            .arg(format!("--home={}", self.home.display()))
            .args(["--no-browser", "--no-restart", "--no-upgrade"])
            .arg(format!("--gui-address=127.0.0.1:{}", self.gui))
            .arg(format!("--gui-apikey={}", self.key))
            // One process, not a monitor and its child, so that killing it
            // stops it.
            .env("STMONITORED", "yes")
            .env("STNODEFAULTFOLDER", "1")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        self.process = Some(child);
        wait_for(
            &format!("{} to answer", self.id),
            || self.api("GET", "/rest/system/ping", "").contains("pong"),
            self,
        );
    }

    /// One REST call (HTTP/1.0: no chunking, the server closes).
    fn api(&self, method: &str, path: &str, body: &str) -> String {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.gui)) else {
            return String::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.key,
            body.len()
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return String::new();
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .split_once("\r\n\r\n")
            .map(|(head, body)| {
                assert!(
                    head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
                    "{method} {path}: {head}\n{body}"
                );
                body.to_string()
            })
            .unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.home.join("log.txt")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    }

    fn vault(&self) -> PathBuf {
        self.folder.join("vault.otpvault")
    }

    fn otp(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = otp_command();
        cmd.env("OTP_VAULT", self.vault())
            .env("OTP_PASSPHRASE", self.passphrase.get())
            .env("OTP_MERGE_PASSPHRASE", NEW)
            .args(args);
        run_with_stdin(cmd, stdin)
    }

    fn names(&self) -> Vec<String> {
        let out = self.otp(&["list", "--json"], None);
        assert!(out.status.success(), "{}", stderr(&out));
        let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut names: Vec<String> = items
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    fn conflict_copies(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.folder)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().contains(".sync-conflict-"))
            .collect()
    }

    fn scan(&self) {
        self.api("POST", "/rest/db/scan?folder=otp", "");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `done` until it holds; fails with both logs' tails past the
/// test's budget.
fn wait_for(what: &str, mut done: impl FnMut() -> bool, log: &Instance) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    while !done() {
        assert!(
            start.elapsed() < LIMIT,
            "waited over {} s for {what}; Syncthing's log:\n{}",
            LIMIT.as_secs(),
            log.log_tail()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn syncthing_conflict_copies_merge_into_one_vault_on_both_devices() {
    if !have_tool("syncthing") {
        return;
    }
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let mut a = Instance::new(root.path(), "a");
    let mut b = Instance::new(root.path(), "b");
    // The lock file and the automatic backups are each device's own.
    for side in [&a, &b] {
        std::fs::write(
            side.folder.join(".stignore"),
            "*.otpvault.lock\n*.otpvault.backups\n",
        )
        .unwrap();
    }
    a.start();
    b.start();
    // Only A dials B, so that the two do not cross-dial at once.
    a.api(
        "POST",
        "/rest/config/devices",
        &format!(
            r#"{{"deviceID": "{}", "name": "b", "addresses": ["tcp://127.0.0.1:{}"]}}"#,
            b.id, b.listen
        ),
    );
    b.api(
        "POST",
        "/rest/config/devices",
        &format!(
            r#"{{"deviceID": "{}", "name": "a", "addresses": ["dynamic"]}}"#,
            a.id
        ),
    );
    for side in [&a, &b] {
        side.api(
            "POST",
            "/rest/config/folders",
            &format!(
                r#"{{"id": "otp", "label": "otp", "path": "{}", "type": "sendreceive", "rescanIntervalS": 3600, "fsWatcherEnabled": true, "fsWatcherDelayS": 1, "maxConflicts": 10, "devices": [{{"deviceID": "{}"}}, {{"deviceID": "{}"}}]}}"#,
                side.folder.display(),
                a.id,
                b.id
            ),
        );
    }
    // A makes the vault; it reaches B.
    let out = a.otp(&TINY_INIT, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = a.otp(&["add", "Shared"], Some(&key_for("Shared")));
    assert!(out.status.success(), "{}", stderr(&out));
    a.scan();
    wait_for(
        "the vault to reach B",
        || std::fs::read(b.vault()).ok() == std::fs::read(a.vault()).ok(),
        &b,
    );
    // Apart: both devices paused, each changes its copy.
    a.api("POST", &format!("/rest/system/pause?device={}", b.id), "");
    b.api("POST", &format!("/rest/system/pause?device={}", a.id), "");
    let out = a.otp(&["add", "FromA"], Some(&key_for("FromA")));
    assert!(out.status.success(), "{}", stderr(&out));
    std::thread::sleep(Duration::from_secs(2));
    // B also changes the passphrase: a new data key, which must reach A.
    let mut cmd = otp_command();
    cmd.env("OTP_VAULT", b.vault())
        .env("OTP_PASSPHRASE", PASSPHRASE)
        .env("OTP_NEW_PASSPHRASE", NEW)
        .arg("passwd");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    b.passphrase.set(NEW);
    let out = b.otp(&["add", "FromB"], Some(&key_for("FromB")));
    assert!(out.status.success(), "{}", stderr(&out));
    a.scan();
    b.scan();
    // Together again: Syncthing keeps the newer file and renames the other.
    a.api("POST", &format!("/rest/system/resume?device={}", b.id), "");
    b.api("POST", &format!("/rest/system/resume?device={}", a.id), "");
    wait_for(
        "a conflict copy on A",
        || !a.conflict_copies().is_empty(),
        &a,
    );
    // Syncthing kept one version under the vault's name: whichever it
    // is, A opens it with its own passphrase.
    if a.otp(&["list"], None).status.code() == Some(EXIT_WRONG_PASSPHRASE) {
        a.passphrase.set(NEW);
    }
    let noticed = a.otp(&["list"], None);
    assert!(
        stderr(&noticed).contains("otp merge --conflicts"),
        "{}",
        stderr(&noticed)
    );
    let out = a.otp(&["merge", "--conflicts"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("merged 1 copy"), "{}", stderr(&out));
    // The later passphrase, B's, opens the merged vault; the old one not.
    a.passphrase.set(PASSPHRASE);
    let old = a.otp(&["list"], None);
    assert_eq!(code(&old), EXIT_WRONG_PASSPHRASE, "{}", stderr(&old));
    a.passphrase.set(NEW);
    let all = ["FromA", "FromB", "Shared"].map(String::from).to_vec();
    assert_eq!(a.names(), all);
    a.scan();
    wait_for(
        "B to hold A's merged vault and no conflict copy",
        || {
            b.scan();
            std::fs::read(b.vault()).ok() == std::fs::read(a.vault()).ok()
                && b.conflict_copies().is_empty()
        },
        &b,
    );
    assert_eq!(b.names(), all);
    let _ = writeln!(
        std::io::stderr(),
        "Syncthing: conflict made, merged and synced back in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
