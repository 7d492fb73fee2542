//! The holes that hostile testing found, each closed: a failed save costs no
//! backup history, no message carries a secret, nothing from a vault can
//! drive the terminal, inputs are bounded and timed, files that are not
//! files are refused, and a crash at each step of a save loses nothing.
// Without QR drawing and reading, the message test and its helpers
// are left out of the core build.
#![cfg_attr(not(all(feature = "qr", feature = "qr-read")), allow(dead_code))]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

const KEY: &str = "N4OP SGLF 7HZP EQ3R 4ZZK SWUM Y6PR 5TDG N7LX P4X7 SA7Z 2ECH 47XA";

fn contents(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn backups_dir(v: &TestVault) -> PathBuf {
    PathBuf::from(format!("{}.backups", v.path.display()))
}

/// Temporary files a save left, beside the vault and among its backups.
fn temps(v: &TestVault) -> Vec<PathBuf> {
    [v.path.parent().unwrap().to_path_buf(), backups_dir(v)]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// A line on the real stderr, which cargo shows: the figures the closing
/// note quotes.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

// 1. A failed save never costs backup history.

#[test]
fn ten_failed_saves_leave_the_backups_as_they_were() {
    let v = TestVault::new();
    for i in 0..4 {
        v.add(&format!("e{i}"), &key_for(&format!("e{i}")));
    }
    let before = v.backups();
    let before_bytes = contents(&before);
    let vault_before = v.bytes();
    assert!(
        vault_before.len() > 512,
        "the vault must outgrow ulimit -f 1"
    );
    for i in 0..10 {
        // One 512-byte block: every write of the new vault fails (EFBIG,
        // or SIGXFSZ), as on a full disk or over quota.
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "ulimit -f 1; exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_otp"))
            .args(["add", &format!("fail{i}")])
            .env("OTP_VAULT", &v.path)
            .env("OTP_PASSPHRASE", PASSPHRASE);
        let out = run_with_stdin(cmd, Some(&key_for(&format!("fail{i}"))));
        assert!(!out.status.success(), "add fail{i} must fail");
    }
    let after = v.backups();
    let distinct = |all: &[Vec<u8>]| all.iter().collect::<BTreeSet<_>>().len();
    report(&format!(
        "10 failed saves: backups distinct before {}, after {}",
        distinct(&before_bytes),
        distinct(&contents(&after))
    ));
    assert_eq!(after, before, "a failed save added or deleted a backup");
    assert_eq!(contents(&after), before_bytes);
    assert_eq!(v.bytes(), vault_before);
}

#[test]
fn the_newest_backup_is_never_kept_twice() {
    let v = TestVault::new();
    for name in ["A", "B", "C"] {
        v.add(name, &key_for(name));
    }
    let before = v.backups();
    // The vault as the newest backup holds it (as a sync tool or a person
    // copying it back would leave it), then a change.
    std::fs::copy(&before[0], &v.path).unwrap();
    v.add("D", &key_for("D"));
    let after = contents(&v.backups());
    assert_eq!(after.len(), before.len(), "no second copy of the newest");
    for pair in after.windows(2) {
        assert_ne!(pair[0], pair[1], "two identical backups in a row");
    }
}

#[test]
fn pruning_touches_only_otpvaults_own_backups() {
    let v = TestVault::new();
    v.add("A", &key_for("A"));
    let dir = backups_dir(&v);
    let outside = v.dir.path().join("outside.otpvault");
    std::fs::copy(&v.path, &outside).unwrap();
    let outside_bytes = std::fs::read(&outside).unwrap();
    // Things a person (or another program) put in the folder; names that
    // sort before otpvault's own, and names in otpvault's own pattern.
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "my notes").unwrap();
    let mine = dir.join("before-the-move.otpvault");
    std::fs::copy(&v.path, &mine).unwrap();
    let folder = dir.join("2000-01-01T00-00-00.000000000Z.otpvault");
    std::fs::create_dir(&folder).unwrap();
    let link = dir.join("2000-01-01T00-00-01.000000000Z.otpvault");
    symlink(&outside, &link).unwrap();
    let text = dir.join("2000-01-01T00-00-02.000000000Z.otpvault");
    std::fs::write(&text, "not a vault").unwrap();
    for name in ["B", "C", "D", "E"] {
        let out = v.run(&["--keep-backups", "2", "add", name], Some(&key_for(name)));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    assert_eq!(v.backups().len(), 2, "only otpvault's own are counted");
    for kept in [&notes, &mine, &folder, &text] {
        assert!(kept.exists(), "{} was deleted", kept.display());
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&outside).unwrap(), outside_bytes);
}

// 7. The crash test proves it hit each step of a save.

#[test]
fn a_save_killed_at_each_step_loses_nothing() {
    // (step, whether the new vault is in place when the process dies)
    let steps = [
        ("after-temp-write", false),
        ("after-fsync", false),
        ("after-rename", true),
        ("before-dir-fsync", true),
        ("during-backup", true),
        ("during-pruning", true),
    ];
    for (step, landed) in steps {
        let v = TestVault::new();
        for name in ["A", "B", "C"] {
            let out = v.run(&["--keep-backups", "2", "add", name], Some(&key_for(name)));
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let before = v.backups();
        let before_bytes = contents(&before);
        let mut cmd = v.command(&["--keep-backups", "2", "add", "X"]);
        cmd.env("OTP_FAILPOINT", step);
        let out = run_with_stdin(cmd, Some(&key_for("X")));
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{step}: the save must stop there: {}",
            stderr(&out)
        );
        let now = v.names();
        assert_eq!(now.contains("X"), landed, "{step}: {now:?}");
        assert!(now.is_superset(&BTreeSet::from(["A", "B", "C"].map(String::from))));
        let after = v.backups();
        match step {
            "during-pruning" => {
                // The previous vault was kept; pruning had not begun.
                assert_eq!(after.len(), before.len() + 1, "{step}");
                assert_eq!(contents(&after[1..]), before_bytes, "{step}");
            }
            _ => assert_eq!(contents(&after), before_bytes, "{step}: backups changed"),
        }
        assert!(temps(&v).len() <= 1, "{step}: {:?}", temps(&v));
        // The next save cleans up and goes on as usual.
        let out = v.run(&["--keep-backups", "2", "add", "Y"], Some(&key_for("Y")));
        assert!(out.status.success(), "{step}: {}", stderr(&out));
        assert!(temps(&v).is_empty(), "{step}: {:?}", temps(&v));
        assert!(v.names().contains("Y"));
        assert_eq!(v.backups().len(), 2, "{step}");
    }
}

#[test]
fn a_held_lock_makes_writers_wait_the_set_time_then_fail_busy() {
    let v = TestVault::new();
    let lock = std::fs::File::options()
        .write(true)
        .open(format!("{}.lock", v.path.display()))
        .unwrap();
    lock.lock().unwrap();
    let before = v.bytes();
    let start = Instant::now();
    let out = v.run(
        &["--lock-timeout", "1", "add", "blocked"],
        Some(&key_for("blocked")),
    );
    assert_eq!(code(&out), EXIT_BUSY, "{}", stderr(&out));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "gave up too early"
    );
    assert!(stderr(&out).contains("busy"));
    assert_eq!(v.bytes(), before);
    assert!(
        v.run(&["list"], None).status.success(),
        "readers need no lock"
    );
    drop(lock);
    v.add("unblocked", &key_for("unblocked"));
}

// 2. No secret in any message.

/// A valid base32 secret, marked so that any 8 characters of it are
/// unmistakable in a message.
const SECRET: &str = "MARKEDSECRETQWERTYUIOPASDFGHJKLZ";

fn leaks(text: &str) -> bool {
    let chars: Vec<char> = SECRET.chars().collect();
    chars
        .windows(8)
        .any(|w| text.contains(&w.iter().collect::<String>()))
}

fn malformed_uris() -> Vec<String> {
    let s = SECRET;
    [
        format!("otpauth://totp/X?digits=8secret={s}"),
        format!("otpauth://totp/X?period=30secret={s}"),
        format!("otpauth://hotp/X?counter=1secret={s}"),
        format!("otpauth://totp/X?algorithm=SHA1secret={s}"),
        format!("otpauth://totp/X?secret={s}&digits={s}"),
        format!("otpauth://totp/X?secret={s}&period={s}"),
        format!("otpauth://hotp/X?secret={s}&counter={s}"),
        format!("otpauth://totp/X?secret={s}&algorithm={s}"),
        format!("otpauth://totp/X?secret={s};digits=8"),
        format!("otpauth://totp/X?digits=8;secret={s}"),
        format!("otpauth://totp/X?period=30;secret={s}"),
        format!("otpauth://totp/X?algorithm=SHA256;secret={s}"),
        format!("otpauth://{s}/X?secret={s}"),
        format!("otpauth://{s}?secret={s}"),
        format!("otpauth://totp{s}/X?secret={s}"),
        format!("otpauth://totp/X?secret={s}0"),
        format!("otpauth://totp/X?secret=1{s}"),
        format!("otpauth://totp/X?secret={s}8"),
        format!("otpauth://totp/X?secret={s}=A"),
        format!("otpauth://totp/X?secret={s}&digits=12"),
        format!("otpauth://totp/X?secret={s}&period=0"),
        format!("otpauth://hotp/X?secret={s}"),
        format!("otpauth://totp/%FF{s}?secret={s}"),
        format!("otpauth://totp/X?issuer=A&secret={s}&digits=x{s}"),
        format!("otpauth://totp/X?digits=%00{s}"),
        format!("otpauth://steam/X?secret={s}&digits=6"),
        format!("otpauth://totp/X?secret={s}%21"),
        format!("otpauth://totp/X?&&digits=-{s}"),
        format!("otpauth://totp/X?period=99999999999999999999{s}"),
        format!("otpauth://totp/X?counter={s}&secret={s}&digits=7x"),
        format!("otpauth://totp/X?secret={}&digits=9z", s.to_lowercase()),
    ]
    .into()
}

/// Runs `cmd` and asserts that it failed and said nothing of the secret.
fn assert_refused_quietly(mut cmd: Command, stdin: Option<&str>, what: &str) {
    cmd.env("OTP_IMPORT_PASSPHRASE", "whatever");
    let out = run_with_stdin(cmd, stdin);
    let said = stdout(&out) + &stderr(&out);
    assert!(!leaks(&said), "{what}: the secret was printed: {said}");
    assert!(!out.status.success(), "{what}: accepted");
}

#[test]
#[cfg(all(feature = "qr", feature = "qr-read"))]
fn no_secret_reaches_any_message() {
    let v = TestVault::new();
    let dir = v.dir.path();
    let mut cases = 0;
    for (i, uri) in malformed_uris().iter().enumerate() {
        assert_refused_quietly(v.command(&["add", "X", "--uri", uri]), None, uri);
        assert_refused_quietly(v.command(&["add", "X"]), Some(uri), uri);
        let file = dir.join(format!("export{i}.txt"));
        let valid = "otpauth://totp/Ok?secret=JBSWY3DPEHPK3PXP";
        std::fs::write(&file, format!("{valid}\n{uri}\n")).unwrap();
        assert_refused_quietly(v.command(&["import", file.to_str().unwrap()]), None, uri);
        let png = dir.join(format!("qr{i}.png"));
        std::fs::write(&png, otpvault::qr::to_png(uri).unwrap()).unwrap();
        assert_refused_quietly(
            v.command(&["add", "X", "--qr", png.to_str().unwrap()]),
            None,
            uri,
        );
        cases += 4;
    }
    let s = SECRET;
    for key in [
        format!("{s}0"),
        format!("{s}1"),
        format!("{s}8"),
        format!("{s}!"),
        format!("1{s}"),
        format!("{s}=A"),
        format!("{s} é"),
        format!("\u{1b}{s}"),
        format!("{s}\u{202e}"),
    ] {
        assert_refused_quietly(v.command(&["add", "X"]), Some(&key), &key);
        assert_refused_quietly(v.command(&["add", "X", "--key", &key]), None, &key);
        cases += 2;
    }
    let aegis_entry = |kind: &str, algo: &str, digits: &str, secret: &str| {
        format!(
            r#"{{"version":1,"header":{{"slots":null,"params":null}},"db":{{"version":2,"entries":[{{"type":"{kind}","uuid":"u","name":"n","issuer":"i","info":{{"secret":"{secret}","algo":"{algo}","digits":{digits},"period":30}}}}]}}}}"#
        )
    };
    let twofas = |token: &str, algo: &str, secret: &str| {
        format!(
            r#"{{"schemaVersion":4,"services":[{{"name":"n","secret":"{secret}","otp":{{"tokenType":"{token}","algorithm":"{algo}","digits":6}}}}]}}"#
        )
    };
    let exports = [
        aegis_entry(s, "SHA1", "6", "JBSWY3DPEHPK3PXP"),
        aegis_entry("totp", s, "6", "JBSWY3DPEHPK3PXP"),
        aegis_entry("totp", "SHA1", &format!("\"{s}\""), "JBSWY3DPEHPK3PXP"),
        aegis_entry("totp", "SHA1", "6", &format!("{s}0")),
        aegis_entry("totp", "SHA1", "99", s),
        twofas(s, "SHA1", "JBSWY3DPEHPK3PXP"),
        twofas("TOTP", s, "JBSWY3DPEHPK3PXP"),
        twofas("TOTP", "SHA1", &format!("{s}1")),
        format!(
            r#"{{"version":1,"entries":[{{"content":{{"uri":"otpauth://totp/X?digits=8secret={s}"}}}}]}}"#
        ),
        format!(
            r#"{{"version":1,"entries":[{{"content":{{"uri":"otpauth://{s}/X?secret={s}"}}}}]}}"#
        ),
        format!("{{\"header\": \"{s}\""),
        format!("otpauth-migration://offline?data={s}"),
        format!("# comment\n{s}\n"),
    ];
    for (i, export) in exports.iter().enumerate() {
        let file = dir.join(format!("export{i}.json"));
        std::fs::write(&file, export).unwrap();
        assert_refused_quietly(v.command(&["import", file.to_str().unwrap()]), None, export);
        assert_refused_quietly(v.command(&["import", "-"]), Some(export), export);
        cases += 2;
    }
    report(&format!(
        "{cases} malformed inputs: no 8-character run of the secret printed"
    ));
    assert!(cases >= 100, "{cases}");
}

// 3. No terminal injection through names.

/// What no line of output may hold: escape, bell, carriage return, C1
/// CSI, DEL, bidi overrides.
fn injects(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn control_characters_are_refused_where_a_person_types_them() {
    let v = TestVault::new();
    v.add("Shop", &key_for("Shop"));
    let before = v.bytes();
    for args in [
        vec!["add", "Shop\u{1b}[2J"],
        vec!["add", "X", "--issuer", "a\nb"],
        vec!["add", "X", "--account", "\u{202e}moc.nozama"],
        vec!["add", "X\u{7f}"],
        vec!["add", "X\u{9b}31m"],
        vec!["rename", "Shop", "Shop\u{7}"],
        vec!["rename", "Shop", "\u{2066}Shop"],
    ] {
        let out = v.run(&args, Some(KEY));
        assert_eq!(code(&out), EXIT_USAGE, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("position"), "{}", stderr(&out));
        assert!(!injects(&stderr(&out)), "{}", stderr(&out));
    }
    assert_eq!(v.bytes(), before);
}

const HOSTILE_ISSUER: &str = "Shop%0A000000%20%20Amazon%1B%5B8m";

#[test]
fn control_characters_from_uris_and_imports_are_replaced_and_reported() {
    let v = TestVault::new();
    let uri = format!(
        "otpauth://totp/Shop:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer={HOSTILE_ISSUER}"
    );
    let out = v.run(&["add", "Shop", "--uri", &uri], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("replaced"), "{}", stderr(&out));
    let file = v.dir.path().join("export.txt");
    let other = uri.replace(
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
    );
    std::fs::write(&file, format!("{other}\n")).unwrap();
    let out = v.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("replaced"), "{}", stderr(&out));
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["code", "--at", "59"],
    ] {
        let out = v.run(&args, None);
        let all = stdout(&out) + &stderr(&out);
        assert!(!injects(&all), "{args:?}: {all:?}");
        assert!(
            !all.lines().any(|l| l.starts_with("000000")),
            "{args:?}: {all}"
        );
    }
}

/// A vault file as an older otpvault may have written it: names with raw
/// control characters. Built from the library's own format parts.
fn older_vault_with_hostile_names(path: &Path) {
    use otpvault::crypto;
    use otpvault::vault::format::{self, Header, Slot};
    use otpvault::vault::keys;
    let kdf = otpvault::KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    let key = otpvault::secret::VaultKey::new(crypto::random_key());
    let slot = keys::wrap(
        &key,
        &otpvault::Passphrase::from(PASSPHRASE.to_string()),
        kdf,
    )
    .unwrap();
    let header = Header {
        version: 1,
        identity: None,
        slots: vec![Slot::Passphrase(slot)],
        payload_nonce: crypto::random_array(),
    };
    let entry = |id: &str, name: &str, issuer: &str| {
        serde_json::json!({
            "id": id, "name": name, "issuer": issuer, "account": "me\u{202e}moc",
            "secret": "JBSWY3DPEHPK3PXP",
            "otp": {"kind": "totp", "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0},
            "created": 0, "modified": 0
        })
    };
    let payload = serde_json::json!({"entries": [
        entry("01", "Shop\n000000  Amazon\u{1b}[8m", "Shop\u{1b}]0;pwned\u{7}"),
        entry("02", "Shop two\u{9b}2K", "Shop\r\u{1b}[2K"),
    ], "deleted": []});
    let ciphertext = crypto::seal(
        key.expose(),
        &header.payload_nonce,
        &header.to_bytes(),
        serde_json::to_vec(&payload).unwrap(),
    )
    .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format::assemble(&header, &ciphertext)).unwrap();
}

#[test]
fn an_older_vaults_names_are_escaped_everywhere_they_are_printed() {
    let v = TestVault::empty();
    older_vault_with_hostile_names(&v.path);
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["code", "--at", "59"],
        vec!["code", "--json", "--at", "59"],
        vec!["code", "shop"],
        vec!["code", "Shop two\u{9b}2K", "--at", "59"],
        vec!["code", "nothing like it"],
        vec!["remove", "Shop"],
        vec!["show", "Shop two\u{9b}2K", "--uri"],
        vec!["export"],
    ] {
        let out = v.run(&args, None);
        let all = stdout(&out) + &stderr(&out);
        assert!(!injects(&all), "{args:?}: {all:?}");
        assert!(
            !all.lines().any(|l| l.starts_with("000000")),
            "{args:?}: {all}"
        );
    }
}

// 4. Bounded, timed inputs.

#[test]
fn a_passphrase_file_over_64_kib_is_refused_not_read_whole() {
    let v = TestVault::new();
    let big = v.dir.path().join("big");
    std::fs::write(&big, "a".repeat(64 * 1024 + 1)).unwrap();
    for file in [big.to_str().unwrap(), "/dev/zero"] {
        let mut cmd = v.command(&["list", "--passphrase-file", file]);
        cmd.env_remove("OTP_PASSPHRASE");
        let out = run_within(cmd, Duration::from_secs(20)).expect("it must not hang");
        assert_eq!(code(&out), EXIT_USAGE, "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains("over 64 KiB"), "{}", stderr(&out));
    }
    let mut cmd = v.command(&["list"]);
    cmd.env("OTP_PASSPHRASE", "a".repeat(64 * 1024 + 1));
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
}

#[test]
fn a_passphrase_command_is_bounded_in_what_it_prints() {
    let v = TestVault::new();
    for command in ["head -c 70000 /dev/zero", "cat /dev/zero"] {
        let mut cmd = v.command(&["list", "--passphrase-command", command]);
        cmd.env_remove("OTP_PASSPHRASE");
        let out = run_within(cmd, Duration::from_secs(20)).expect("it must not hang");
        assert_eq!(code(&out), EXIT_USAGE, "{command}: {}", stderr(&out));
        assert!(stderr(&out).contains("over 64 KiB"), "{}", stderr(&out));
    }
    let mut cmd = v.command(&["list", "--passphrase-command", "true"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("printed nothing"), "{}", stderr(&out));
}

#[test]
fn a_passphrase_command_that_hangs_is_killed_with_its_children() {
    let v = TestVault::new();
    let pid_file = v.dir.path().join("sleeper");
    let command = format!("sleep 1000 & echo $! > '{}'; wait", pid_file.display());
    let mut cmd = v.command(&["list", "--passphrase-command", &command]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env("OTP_PASSPHRASE_COMMAND_TIMEOUT", "1");
    let start = Instant::now();
    let out = run_within(cmd, Duration::from_secs(20)).expect("it must not hang");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("within 1 s"), "{}", stderr(&out));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    // Dead, or a zombie waiting for init to reap it.
    let dead = || {
        std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    };
    let start = Instant::now();
    while !dead() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(dead(), "the command's child {} outlived it", pid.trim());
}

#[test]
fn a_passphrase_command_sees_no_passphrase_variable() {
    let v = TestVault::new();
    let env_file = v.dir.path().join("env");
    let command = format!("env > '{}'; printf %s '{PASSPHRASE}'", env_file.display());
    let mut cmd = v.command(&["passwd", "--passphrase-command", &command]);
    cmd.env_remove("OTP_PASSPHRASE")
        .env("OTP_NEW_PASSPHRASE", "the new passphrase")
        .env("OTP_IMPORT_PASSPHRASE", "an import password")
        .env("OTP_EXPORT_PASSPHRASE", "an export password");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = std::fs::read_to_string(&env_file).unwrap();
    assert!(seen.contains("OTP_VAULT="), "the environment was written");
    for secret in [
        "the new passphrase",
        "an import password",
        "an export password",
    ] {
        assert!(!seen.contains(secret), "{secret} reached the command");
    }
}

// 5. Files that are not what they seem.

#[test]
fn fifos_and_folders_at_the_vault_path_are_refused_at_once() {
    let v = TestVault::empty();
    std::fs::create_dir_all(v.path.parent().unwrap()).unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &v.path,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let fifo = v.path.to_str().unwrap().to_string();
    let other = TestVault::new();
    for (vault, args) in [
        (&v, vec!["list"]),
        (&v, vec!["code", "x"]),
        (&v, vec!["add", "X", "--key", "JBSWY3DPEHPK3PXP"]),
        (&v, vec!["backup", "/tmp/never-written.otpvault"]),
        (&other, vec!["restore", &fifo]),
    ] {
        let out = run_within(vault.command(&args), Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{args:?} blocked on a FIFO"));
        assert_eq!(code(&out), EXIT_DAMAGED, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("pipe"), "{}", stderr(&out));
    }
    let folder = TestVault::empty();
    std::fs::create_dir_all(&folder.path).unwrap();
    let out = folder.run(&["list"], None);
    assert_eq!(code(&out), EXIT_DAMAGED, "{}", stderr(&out));
    assert!(stderr(&out).contains("directory"), "{}", stderr(&out));
}

#[test]
fn backup_refuses_a_missing_folder_and_the_vaults_own_files() {
    let v = TestVault::new();
    v.add("A", &key_for("A"));
    v.add("B", &key_for("B"));
    let missing = v.dir.path().join("media/usb/otp.otpvault");
    let out = v.run(&["backup", missing.to_str().unwrap()], None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("mounted"), "{}", stderr(&out));
    assert!(!v.dir.path().join("media").exists(), "a folder was created");
    let lock = format!("{}.lock", v.path.display());
    let dir = backups_dir(&v);
    let inside = dir.join("mine.otpvault");
    for target in [
        v.path.to_str().unwrap(),
        &lock,
        dir.to_str().unwrap(),
        inside.to_str().unwrap(),
    ] {
        let out = v.run(&["backup", target, "--force"], None);
        assert_eq!(code(&out), EXIT_USAGE, "{target}: {}", stderr(&out));
    }
    assert_eq!(v.names().len(), 2);
    assert_eq!(v.backups().len(), 2);
}

#[test]
fn a_vault_symlink_to_a_missing_file_is_created_through_the_link() {
    let v = TestVault::empty();
    let synced = v.dir.path().join("Sync");
    std::fs::create_dir(&synced).unwrap();
    std::fs::create_dir_all(v.path.parent().unwrap()).unwrap();
    symlink(synced.join("vault.otpvault"), &v.path).unwrap();
    let mut cmd = v.command(&["add", "A"]);
    cmd.env("OTP_NEW_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, Some(KEY));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&v.path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(synced.join("vault.otpvault").is_file());
}

#[test]
fn an_import_may_start_with_a_byte_order_mark_and_come_from_a_pipe() {
    let v = TestVault::new();
    let file = v.dir.path().join("bom.txt");
    std::fs::write(
        &file,
        "\u{feff}otpauth://totp/Site:me?secret=JBSWY3DPEHPK3PXP\n",
    )
    .unwrap();
    let out = v.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let fifo = v.dir.path().join("pipe");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
    )
    .unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(
                fifo,
                "otpauth://totp/Piped:me?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\n",
            )
            .unwrap()
        })
    };
    let out = v.run(&["import", fifo.to_str().unwrap()], None);
    writer.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(v.names().contains("Piped"));
}

// 7. An unknown slot survives a save (rage's "grease").

#[test]
fn an_unknown_slot_survives_a_save() {
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/vault-v1.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let case = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "unknown slot first")
        .unwrap();
    let bytes = data_encoding::HEXLOWER
        .decode(case["file_hex"].as_str().unwrap().as_bytes())
        .unwrap();
    let v = TestVault::empty();
    std::fs::create_dir_all(v.path.parent().unwrap()).unwrap();
    std::fs::write(&v.path, &bytes).unwrap();
    let slots = |bytes: &[u8]| otpvault::vault::format::parse(bytes).unwrap().header.slots;
    let before = slots(&bytes);
    let mut cmd = v.command(&["add", "Saved"]);
    cmd.env("OTP_PASSPHRASE", "example passphrase");
    let out = run_with_stdin(cmd, Some(&key_for("Saved")));
    assert!(out.status.success(), "{}", stderr(&out));
    let after = v.bytes();
    assert_ne!(after, bytes, "the vault was saved");
    assert_eq!(
        slots(&after),
        before,
        "every slot kept, unknown ones byte for byte"
    );
    let mut cmd = v.command(&["list"]);
    cmd.env("OTP_PASSPHRASE", "example passphrase");
    assert!(stdout(&run_with_stdin(cmd, None)).contains("Saved"));
}
