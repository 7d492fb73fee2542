//! A build without a feature: the command or the kind of file it serves
//! is still known, and says which feature to build with (exit 2), before
//! anything is asked or changed. These tests exist only in builds that
//! leave the feature out (`cargo test --no-default-features`, as CI runs);
//! the default build tests the features themselves elsewhere.

mod common;

#[allow(unused_imports)]
use common::*;

/// Runs `otp args` on a vault with one entry and checks that it fails as
/// a build without `feature` should, leaving the vault as it was.
#[allow(dead_code)]
fn says_feature(v: &TestVault, args: &[&str], feature: &str) {
    let before = v.bytes();
    let out = v.run(args, None);
    assert_eq!(code(&out), EXIT_USAGE, "{args:?}: {}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("built without the {feature} feature"))
            && said.contains(&format!("--features {feature}")),
        "{args:?}: {said}"
    );
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert_eq!(v.bytes(), before, "{args:?} changed the vault");
}

#[allow(dead_code)]
fn vault_with_entry() -> TestVault {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    v
}

/// An export fixture's path; `None` (reported missing) without the fixtures.
#[allow(dead_code)]
fn fixture(name: &str) -> Option<String> {
    let path = fixtures()?.join("aegis/importers").join(name);
    assert!(path.exists(), "{} is missing", path.display());
    Some(path.to_string_lossy().into_owned())
}

#[cfg(not(feature = "tui"))]
#[test]
fn without_tui_watch_says_so() {
    says_feature(&vault_with_entry(), &["watch"], "tui");
}

#[cfg(not(feature = "shell"))]
#[test]
fn without_shell_completions_and_man_say_so() {
    let v = vault_with_entry();
    says_feature(&v, &["completions", "bash"], "shell");
    says_feature(&v, &["man"], "shell");
}

#[cfg(not(feature = "time-sync"))]
#[test]
fn without_time_sync_time_says_so() {
    says_feature(&vault_with_entry(), &["time"], "time-sync");
}

#[cfg(not(feature = "clipboard"))]
#[test]
fn without_clipboard_a_copy_on_a_desktop_says_so() {
    let v = vault_with_entry();
    // A display, no terminal: only the system clipboard could take it.
    let before = v.bytes();
    let out = run_with_stdin(
        {
            let mut cmd = v.command(&["code", "amazon", "-c"]);
            cmd.env("DISPLAY", ":99");
            cmd
        },
        None,
    );
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("built without the clipboard feature"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "no code printed for a copy");
    assert_eq!(v.bytes(), before);
}

#[cfg(not(feature = "qr-read"))]
#[test]
fn without_qr_read_screenshots_say_so() {
    let v = vault_with_entry();
    let image = v.dir.path().join("shot.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let image = image.to_str().unwrap();
    says_feature(&v, &["add", "Other", "--qr", image], "qr-read");
    says_feature(&v, &["import", image], "qr-read");
}

#[cfg(not(feature = "qr"))]
#[test]
fn without_qr_drawing_says_so() {
    let v = vault_with_entry();
    says_feature(&v, &["show", "amazon", "--qr"], "qr");
    says_feature(&v, &["export", "--format", "uri", "--qr"], "qr");
}

#[cfg(not(feature = "encrypted-files"))]
#[test]
fn without_encrypted_files_an_encrypted_export_says_so() {
    let Some(aegis) = fixture("aegis_encrypted.json") else {
        return;
    };
    let v = vault_with_entry();
    says_feature(&v, &["import", &aegis], "encrypted-files");
    // A plain export of the same app is read.
    let plain = fixture("aegis_plain.json").unwrap();
    let out = v.run(&["import", &plain], None);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[cfg(not(feature = "phone-db"))]
#[test]
fn without_phone_db_a_phone_database_says_so() {
    let Some(google) = fixture("google_authenticator.sqlite") else {
        return;
    };
    let v = vault_with_entry();
    says_feature(&v, &["import", &google], "phone-db");
    says_feature(
        &v,
        &["import", &fixture("freeotp.xml").unwrap()],
        "phone-db",
    );
}

#[cfg(not(feature = "archives"))]
#[test]
fn without_archives_a_zip_says_so() {
    let Some(zip) = fixture("authenticator_plus.zip") else {
        return;
    };
    says_feature(&vault_with_entry(), &["import", &zip], "archives");
}
