//! The edges of the process: paths that could lead otp to write where it
//! was not asked to (a link planted at a backup's path or at the lock
//! file), and bounds that hold whatever the source of a value.

mod common;

use common::*;
use std::os::unix::fs::symlink;

const KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[test]
fn a_backup_never_follows_a_link_at_its_path() {
    let v = TestVault::new();
    v.add("Amazon", KEY);
    let elsewhere = tempfile::tempdir().unwrap();

    // A dangling link: 0.2 created the file it points to.
    let target = elsewhere.path().join("planted.otpvault");
    let link = v.dir.path().join("backup.otpvault");
    symlink(&target, &link).unwrap();
    for args in [vec![], vec!["--force"]] {
        let mut all = vec!["backup", link.to_str().unwrap()];
        all.extend(args);
        let out = v.run(&all, None);
        assert!(!out.status.success(), "{all:?} must be refused");
        assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
        assert!(!target.exists(), "{all:?} wrote through the link");
    }

    // A link to a file: --force replaced what it points to in 0.2.
    let precious = elsewhere.path().join("precious.txt");
    std::fs::write(&precious, "not a vault").unwrap();
    let link = v.dir.path().join("other-backup.otpvault");
    symlink(&precious, &link).unwrap();
    let out = v.run(&["backup", link.to_str().unwrap(), "--force"], None);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "not a vault");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link itself is left as it was"
    );

    // --force replaces a regular file, as before.
    let file = v.dir.path().join("plain.otpvault");
    std::fs::write(&file, "old").unwrap();
    let out = v.run(&["backup", file.to_str().unwrap(), "--force"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.run(
        &[
            "--vault",
            file.to_str().unwrap(),
            "code",
            "amazon",
            "--at",
            "59",
        ],
        None,
    );
    assert_eq!(stdout(&out).trim(), v.code_at("amazon", 59));
}

#[test]
fn the_lock_file_is_never_followed() {
    let v = TestVault::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("created-by-otp");
    let mut lock = v.path.clone().into_os_string();
    lock.push(".lock");
    let _ = std::fs::remove_file(&lock);
    symlink(&target, &lock).unwrap();
    let out = v.run(&["add", "Amazon"], Some(KEY));
    assert!(!out.status.success(), "a linked lock file must be refused");
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(!target.exists(), "otp created a file through the link");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// One bound for every source, after the trailing newline is dropped: a
/// passphrase of exactly 64 KiB is read alike from the environment, a file
/// ending in a newline and a command that prints one (0.2 refused the file).
#[test]
fn a_passphrase_of_64_kib_is_bounded_alike_from_every_source() {
    let v = TestVault::new();
    let passphrase = "a".repeat(64 * 1024);
    let file = v.dir.path().join("long");
    std::fs::write(&file, format!("{passphrase}\n")).unwrap();
    let command = "head -c 65536 /dev/zero | tr '\\0' a; echo";
    let mut runs = Vec::new();
    let mut by_env = v.command(&["list"]);
    by_env.env("OTP_PASSPHRASE", &passphrase);
    runs.push(("environment", by_env));
    let mut by_file = v.command(&["list", "--passphrase-file", file.to_str().unwrap()]);
    by_file.env_remove("OTP_PASSPHRASE");
    runs.push(("file", by_file));
    let mut by_command = v.command(&["list", "--passphrase-command", command]);
    by_command.env_remove("OTP_PASSPHRASE");
    runs.push(("command", by_command));
    for (source, cmd) in runs {
        let out = run_with_stdin(cmd, None);
        // Read whole and tried: the wrong passphrase, not one too long.
        assert_eq!(
            code(&out),
            EXIT_WRONG_PASSPHRASE,
            "{source}: {}",
            stderr(&out)
        );
    }
}

/// A URI list cut short where a parameter began still parses: 0.2 imported
/// an 8-digit, 60 s entry as 6 digits and 30 s, with exit 0 and no word.
/// The account on a last line without its end is named in a warning.
#[test]
fn an_export_cut_short_names_its_last_account() {
    let v = TestVault::new();
    let whole = "otpauth://totp/Shop:me?secret=JBSWY3DPEHPK3PXP&issuer=Shop\n\
                 otpauth://totp/Bank:me?secret=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF&issuer=Bank&digits=8&period=60\n";
    let cut = &whole[..whole.len() - "&digits=8&period=60\n".len()];
    let file = v.dir.path().join("cut.txt");
    std::fs::write(&file, cut).unwrap();
    let out = v.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    let warning: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("may be cut short"))
        .collect();
    assert_eq!(warning.len(), 1, "{}", stderr(&out));
    assert!(warning[0].contains("Bank"), "{}", warning[0]);
    assert!(!warning[0].contains("Shop"), "{}", warning[0]);

    let v = TestVault::new();
    std::fs::write(&file, whole).unwrap();
    let out = v.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("cut short"), "{}", stderr(&out));
}

/// Killed restores left a temporary file each beside the vault in 0.2 (4
/// after 60 kills); a restore cleans a killed writer's leftovers as a save
/// does, so at most one is ever there.
#[test]
fn killed_restores_leave_at_most_one_temporary_file() {
    let v = TestVault::new();
    v.add("Amazon", KEY);
    let copy = v.dir.path().join("copy.otpvault");
    let out = v.run(&["backup", copy.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let temps = || {
        std::fs::read_dir(v.path.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    };
    for _ in 0..5 {
        let mut cmd = v.command(&["restore", copy.to_str().unwrap()]);
        cmd.env("OTP_FAILPOINT", "after-temp-write");
        let out = run_with_stdin(cmd, None);
        assert!(!out.status.success(), "the failpoint must have killed otp");
        assert!(temps() <= 1, "{} temporary files", temps());
    }
    assert_eq!(temps(), 1, "the last kill's file is there");
    assert_eq!(v.code_at("amazon", 59).len(), 6, "the vault still opens");
}

/// Numbers no one means, from a flag, a variable or the config file: 0.2
/// exited 101 in std's time code for the passphrase command's timeout and
/// crashed the clipboard holder. Each is refused (exit 2), naming where it
/// came from, and nothing panics.
#[test]
fn a_huge_number_from_any_source_is_refused_not_a_panic() {
    let v = TestVault::new();
    v.add("Amazon", KEY);
    let huge = "9223372036854775807";
    let config_dir = v.dir.path().join("config");
    std::fs::create_dir_all(config_dir.join("otpvault")).unwrap();
    let runs: Vec<(&str, std::process::Command)> = vec![
        ("--passphrase-command-timeout", {
            v.command(&["list", "--passphrase-command-timeout", huge])
        }),
        ("OTP_PASSPHRASE_COMMAND_TIMEOUT", {
            let mut cmd = v.command(&["list"]);
            cmd.env("OTP_PASSPHRASE_COMMAND_TIMEOUT", huge);
            cmd
        }),
        ("--clipboard-seconds", {
            v.command(&[
                "code",
                "amazon",
                "-c",
                "--clipboard-seconds",
                "18446744073709551615",
            ])
        }),
        ("OTP_CLIPBOARD_SECONDS", {
            let mut cmd = v.command(&["code", "amazon", "-c"]);
            cmd.env("OTP_CLIPBOARD_SECONDS", huge);
            cmd
        }),
    ];
    for (source, cmd) in runs {
        let out = run_with_stdin(cmd, None);
        assert_eq!(code(&out), EXIT_USAGE, "{source}: {}", stderr(&out));
        assert!(stderr(&out).contains(source), "{source}: {}", stderr(&out));
        assert!(!stderr(&out).contains(huge), "the value is not quoted");
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let config = config_dir.join("otpvault/config.toml");
    std::fs::write(&config, format!("passphrase_command_timeout = {huge}\n")).unwrap();
    let mut cmd = v.command(&["list"]);
    cmd.env("XDG_CONFIG_HOME", &config_dir);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
}

/// An import takes the vault's lock only to write: 0.2 held it from the
/// passphrase's KDF to the end (17 minutes for 100,000 accounts then). The
/// import is paused after merging; meanwhile an `add` that waits for no
/// lock succeeds; let go, the import finds the vault changed, reads it
/// again and merges again, and both changes are kept.
#[test]
fn an_import_holds_the_lock_only_to_write_and_keeps_another_writers_change() {
    let v = TestVault::new();
    let list = v.dir.path().join("list.txt");
    std::fs::write(
        &list,
        format!("otpauth://totp/Imported?secret={}\n", key_for("Imported")),
    )
    .unwrap();
    let mut import = v.command(&["import", list.to_str().unwrap()]);
    import
        .env("OTP_FAILPOINT", "import-merged")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let import = import.spawn().unwrap();
    let stat = format!("/proc/{}/stat", import.id());
    let start = std::time::Instant::now();
    // Stopped (state T) at the pause point.
    while !std::fs::read_to_string(&stat)
        .unwrap_or_default()
        .rsplit(')')
        .next()
        .is_some_and(|rest| rest.trim_start().starts_with('T'))
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the import never reached its pause point"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut add = v.command(&["add", "Added"]);
    add.env("OTP_LOCK_TIMEOUT", "0");
    let out = run_with_stdin(add, Some(&key_for("Added")));
    assert!(
        out.status.success(),
        "the import held the lock: {}",
        stderr(&out)
    );
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(import.id() as i32).unwrap(),
        rustix::process::Signal::CONT,
    )
    .unwrap();
    let out = import.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let names = v.names();
    assert!(
        names.contains("Imported") && names.contains("Added"),
        "{names:?}"
    );
}
