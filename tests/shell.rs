//! A command line that fits the shell: completions, the manual page, help
//! text, short flags and aliases, `--quiet`, the config file, `add`'s order
//! of questions, and a KDF cost that fits the machine.
// Without the shell feature, the manual and completion tests are left out.
#![cfg_attr(not(feature = "shell"), allow(unused_imports))]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;

fn help(args: &[&str]) -> String {
    let mut cmd = otp_command();
    cmd.args(args);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
#[cfg(feature = "shell")]
fn bash_completion_loads_and_every_shell_gets_a_script() {
    if !have_tool("bash") {
        return;
    }
    let otp = env!("CARGO_BIN_EXE_otp");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source <('{otp}' completions bash) && complete -p otp"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("otp"), "{}", stdout(&out));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = help(&["completions", shell]);
        assert!(
            script.contains("watch") && script.contains("unlock"),
            "{shell}"
        );
    }
}

#[test]
#[cfg(feature = "shell")]
fn the_manual_page_renders() {
    let page = help(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH otp"),
        "{page}"
    );
    if !have_tool("man") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("otp.1");
    std::fs::write(&file, &page).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
        assert!(text.contains(section), "{section}:\n{text}");
    }
    assert!(
        text.contains("otp-watch") || text.contains("watch"),
        "{text}"
    );
}

/// Every `OTP_` variable the source reads, but the debug builds' test hooks.
fn variables_in_source() -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("\"OTP_").skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                let name = format!("OTP_{name}");
                let test_hook = name == "OTP_FAILPOINT" || name.starts_with("OTP_TEST_");
                if piece[name.len() - 4..].starts_with('"') && !test_hook {
                    found.push(name);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn help_lists_every_variable_and_keeps_global_options_apart() {
    let variables = variables_in_source();
    assert!(variables.len() >= 14, "{variables:?}");
    let long = help(&["--help"]);
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for name in &variables {
        assert!(long.contains(name.as_str()), "{name} is not in otp --help");
        assert!(
            readme.contains(name.as_str()),
            "{name} is not in the README"
        );
    }
    // Every command's help: global options under their own heading, and
    // no `[env: NAME=]` with a dangling `=`.
    let commands: Vec<String> = long
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(commands.contains(&"watch".to_string()), "{commands:?}");
    for command in commands.iter().chain([&String::new()]) {
        let mut args = vec![command.as_str(), "--help"];
        args.retain(|a| !a.is_empty());
        let text = help(&args);
        assert!(!text.contains("=]"), "otp {command} --help: {text}");
        if !["completions", "man", "config"].contains(&command.as_str()) {
            let (own, global) = text
                .split_once("Global options:")
                .unwrap_or_else(|| panic!("otp {command} --help has no global heading: {text}"));
            assert!(!own.contains("--keep-backups"), "otp {command} --help");
            assert!(global.contains("--keep-backups"), "otp {command} --help");
        }
    }
}

#[test]
fn short_flags_and_aliases() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let out = v.run(&["ls", "-j"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "Amazon");
    let out = v.run(&["code", "amazon", "-j"], None);
    let codes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(codes[0]["remaining"].is_u64());
    assert!(v.run(&["mv", "Amazon", "AWS"], None).status.success());
    assert!(v.run(&["rm", "AWS"], None).status.success());
    let out = v.run(&["status", "-j"], None);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn quiet_silences_notes_and_warnings_but_not_errors() {
    let v = TestVault::new();
    let out = v.run(&["add", "Old", "-q"], Some("JBSWY3DPEHPK3PXP"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no note, no warning");
    assert_eq!(stdout(&out).lines().count(), 1, "the code is output");
    let loud = v.run(&["add", "Old2"], Some("GEZDGNBVGY3TQOJQ"));
    let warning = stderr(&loud);
    assert!(
        warning.contains("many sites issue keys this size")
            && warning.contains("fine if you copied the whole key"),
        "{warning}"
    );
    let out = v.run(&["-q", "code", "nothing"], None);
    assert_eq!(code(&out), EXIT_NO_MATCH);
    assert!(stderr(&out).contains("otp:"), "errors stay");
}

#[test]
fn add_checks_the_name_before_asking_for_the_key() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    // No key on stdin: the taken name is said, not the missing key.
    let out = v.run(&["add", "amazon"], None);
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));
    // A name that cannot be one is refused before the vault is opened.
    let mut cmd = v.command(&["add", "bad\u{1b}name"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(!stderr(&out).contains("passphrase"), "{}", stderr(&out));
    // With no vault yet, a bad name is said before the key is read.
    let w = TestVault::empty();
    let out = w.run(&["add", " "], None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(!stderr(&out).contains("key"), "{}", stderr(&out));
}

/// A config folder holding `text` as otpvault's config file.
fn config(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("otpvault");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("config.toml"), text).unwrap();
    std::fs::set_permissions(
        folder.join("config.toml"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    dir
}

#[test]
fn the_config_file_comes_after_flags_and_environment() {
    let (a, b, c) = (TestVault::new(), TestVault::new(), TestVault::new());
    a.add("InA", &key_for("InA"));
    b.add("InB", &key_for("InB"));
    c.add("InC", &key_for("InC"));
    let dir = config(&format!(
        "# my settings\nvault = {:?}\nkeep_backups = 2\n",
        a.path
    ));
    let list = |env_vault: Option<&Path>, flag: Option<&Path>| {
        let mut cmd = otp_command();
        cmd.env("XDG_CONFIG_HOME", dir.path())
            .env("OTP_PASSPHRASE", PASSPHRASE);
        if let Some(path) = env_vault {
            cmd.env("OTP_VAULT", path);
        }
        if let Some(path) = flag {
            cmd.arg("--vault").arg(path);
        }
        cmd.arg("list");
        let out = run_with_stdin(cmd, None);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert!(list(None, None).contains("InA"), "the config's vault");
    assert!(
        list(Some(&b.path), None).contains("InB"),
        "env beats config"
    );
    assert!(
        list(Some(&b.path), Some(&c.path)).contains("InC"),
        "a flag beats env"
    );

    let mut cmd = otp_command();
    cmd.env("XDG_CONFIG_HOME", dir.path())
        .args(["config", "path"]);
    let out = run_with_stdin(cmd, None);
    assert_eq!(
        stdout(&out).trim(),
        dir.path().join("otpvault/config.toml").to_str().unwrap()
    );
}

#[test]
fn a_bad_config_file_is_named_with_its_line_and_key() {
    let v = TestVault::new();
    let run = |dir: &tempfile::TempDir, args: &[&str]| {
        let mut cmd = v.command(args);
        cmd.env("XDG_CONFIG_HOME", dir.path());
        run_with_stdin(cmd, None)
    };
    let dir = config("keep_backups = 3\ncolour = \"blue\"\n");
    let out = run(&dir, &["list"]);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("config.toml, line 2: unknown key `colour`"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    // `otp config path` still works, to find the file to fix.
    assert!(run(&dir, &["config", "path"]).status.success());

    let dir = config("\n\nunlock_timeout = \"soon\"\n");
    let message = stderr(&run(&dir, &["list"]));
    assert!(
        message.contains("line 3: `unlock_timeout` takes") && !message.contains("soon"),
        "{message}"
    );

    // It may name a command to run: nobody else may write it.
    let dir = config("keep_backups = 3\n");
    let file = dir.path().join("otpvault/config.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o620)).unwrap();
    let out = run(&dir, &["list"]);
    assert_eq!(code(&out), EXIT_USAGE);
    assert!(stderr(&out).contains("chmod go-w"), "{}", stderr(&out));
}

#[test]
fn the_config_sets_the_unlock_timeout() {
    let v = TestVault::new();
    let dir = config("unlock_timeout = \"30m\"\n");
    let runtime = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = v.command(args);
        cmd.env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_RUNTIME_DIR", runtime.path());
        run_with_stdin(cmd, None)
    };
    let out = run(&["unlock"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unused for 30 min"),
        "{}",
        stderr(&out)
    );
    assert!(run(&["lock"]).status.success());
}

#[test]
fn a_new_vault_fits_the_memory_available() {
    let v = TestVault::empty();
    let mut cmd = v.command(&["init"]);
    cmd.env("OTP_TEST_AVAILABLE_MIB", "200")
        .env("OTP_NEW_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("200 MiB of memory is available")
            && stderr(&out).contains("32 MiB with 6 passes"),
        "{}",
        stderr(&out)
    );
    let out = v.run(&["status", "--json"], None);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slot = &status["slots"][0];
    assert_eq!(
        (&slot["argon2id_memory_mib"], &slot["argon2id_passes"]),
        (&serde_json::json!(32), &serde_json::json!(6))
    );
    // The first `add` too.
    let w = TestVault::empty();
    let mut cmd = w.command(&["add", "Amazon"]);
    cmd.env("OTP_TEST_AVAILABLE_MIB", "512");
    let out = run_with_stdin(cmd, Some(&key_for("Amazon")));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("128 MiB with 2 passes"),
        "{}",
        stderr(&out)
    );
}

/// Every `otp ...` command the Japanese guide shows (in its examples and
/// in backticks) is one the current command line accepts: each is parsed
/// with `--help` added, which checks every command, flag and value up to
/// it without running anything.
#[test]
fn the_japanese_guides_commands_parse() {
    let guide =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/README.ja.md"))
            .unwrap();
    let mut commands: Vec<String> = Vec::new();
    for line in guide.lines() {
        if let Some(command) = line.trim().strip_prefix("$ ") {
            commands.push(command.to_string());
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1 {
                commands.push(span.to_string());
            }
        }
    }
    let commands: Vec<&String> = commands
        .iter()
        .filter(|c| c.starts_with("otp ") || c.as_str() == "otp")
        .collect();
    assert!(commands.len() >= 15, "{commands:?}");
    for command in commands {
        let mut cmd = otp_command();
        cmd.args(command.split_whitespace().skip(1)).arg("--help");
        let out = run_with_stdin(cmd, None);
        assert!(
            out.status.success(),
            "`{command}` does not parse: {}",
            stderr(&out)
        );
    }
}

#[test]
fn the_environment_s_passphrase_comes_before_the_config_file_s_command() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    // A command that would fail: it must not be run.
    let dir = config("passphrase_command = \"exit 1\"\n");
    let mut cmd = v.command(&["list"]);
    cmd.env("XDG_CONFIG_HOME", dir.path());
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    // Without the variable, the file's command is used.
    let mut cmd = v.command(&["list"]);
    cmd.env("XDG_CONFIG_HOME", dir.path())
        .env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("passphrase command"),
        "{}",
        stderr(&out)
    );
}

/// `text` as `man -l` renders it, 80 columns wide; None without man.
#[cfg(feature = "shell")]
fn rendered(page: &[u8]) -> Option<String> {
    if !have_tool("man") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.1");
    std::fs::write(&file, page).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    Some(stdout(&out))
}

#[test]
#[cfg(feature = "shell")]
fn every_page_the_manual_names_exists_with_exit_codes_environment_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_stdin(
        {
            let mut cmd = otp_command();
            cmd.args(["man", "--output-dir", dir.path().to_str().unwrap()]);
            cmd
        },
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let main = std::fs::read(dir.path().join("otp.1")).unwrap();
    let Some(text) = rendered(&main) else {
        return;
    };
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"] {
        assert!(text.contains(section), "{section}:\n{text}");
    }
    for variable in ["OTP_VAULT", "OTP_WEAK_PASSPHRASE", "NO_COLOR"] {
        assert!(text.contains(variable), "{variable}");
    }
    let exits = &text[text.find("EXIT STATUS").unwrap()..text.find("ENVIRONMENT").unwrap()];
    for code in 0..=11 {
        assert!(
            exits
                .lines()
                .any(|l| l.split_whitespace().next() == Some(&code.to_string())),
            "exit status {code}:\n{exits}"
        );
    }
    // Every otp-COMMAND(1) the pages name is a page that was written, and
    // none for the hidden helpers.
    let mut named = std::collections::BTreeSet::new();
    let raw = String::from_utf8_lossy(&main)
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "");
    for word in raw.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '(')) {
        if let Some(page) = word.strip_suffix("(1").filter(|w| w.starts_with("otp-")) {
            named.insert(page.to_string());
        }
    }
    assert!(
        named.contains("otp-code") && named.contains("otp-watch"),
        "{named:?}"
    );
    for page in &named {
        assert!(dir.path().join(format!("{page}.1")).exists(), "{page}.1");
    }
    for hidden in [
        "otp-agent.1",
        "otp-clipboard-hold.1",
        "otp-passphrase-warden.1",
    ] {
        assert!(!dir.path().join(hidden).exists(), "{hidden}");
    }
    // One page alone, as `otp man code` prints it.
    let page = help(&["man", "code"]);
    let text = rendered(page.as_bytes()).unwrap();
    assert!(text.contains("--for-url"), "{text}");
}

#[test]
#[cfg(feature = "shell")]
fn completions_offer_no_hidden_helper_and_complete_import_formats() {
    let script = help(&["completions", "bash"]);
    for hidden in ["clipboard-hold", "passphrase-warden", "merge-driver-x"] {
        assert!(!script.contains(hidden), "{hidden} is offered");
    }
    assert!(
        !script.split_whitespace().any(|w| w == "agent"),
        "agent is offered"
    );
    for format in ["aegis", "2fas", "stratum", "keepass"] {
        assert!(script.contains(format), "--format {format}");
    }
    // Still everything else.
    assert!(script.contains("unlock") && script.contains("watch"));
}

#[test]
fn a_config_vault_path_expands_variables_and_is_relative_to_the_file() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for (line, want) in [
        (
            "vault = \"$HOME/v.otpvault\"",
            home.path().join("v.otpvault"),
        ),
        (
            "vault = \"${HOME}/w.otpvault\"",
            home.path().join("w.otpvault"),
        ),
    ] {
        let dir = config(&format!("{line}\n"));
        let mut cmd = otp_command();
        cmd.env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", home.path())
            .env("OTP_NEW_PASSPHRASE", PASSPHRASE)
            .current_dir(work.path())
            .args(TINY_INIT);
        let out = run_with_stdin(cmd, None);
        assert!(out.status.success(), "{line}: {}", stderr(&out));
        assert!(want.exists(), "{line}: no {}", want.display());
        assert!(
            stderr(&out).contains(want.to_str().unwrap()),
            "{}",
            stderr(&out)
        );
        assert!(
            std::fs::read_dir(work.path()).unwrap().next().is_none(),
            "nothing in the current folder"
        );
    }
    let dir = config("vault = \"rel/x.otpvault\"\n");
    let mut cmd = otp_command();
    cmd.env("XDG_CONFIG_HOME", dir.path())
        .env("OTP_NEW_PASSPHRASE", PASSPHRASE)
        .current_dir(work.path())
        .args(TINY_INIT);
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("otpvault/rel/x.otpvault").exists());
    let dir = config("vault = \"$OTPVAULT_NOT_SET_ANYWHERE/v\"\n");
    let mut cmd = otp_command();
    cmd.env("XDG_CONFIG_HOME", dir.path()).args(["list"]);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE);
    assert!(
        stderr(&out).contains("OTPVAULT_NOT_SET_ANYWHERE"),
        "{}",
        stderr(&out)
    );
}
