//! The `otp` command end to end, on temporary vaults with tiny KDF costs.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

/// The synthetic Amazon-shaped key in ../shared/fixtures (not a real key).
const AMAZON_KEY: &str = "N4OP SGLF 7HZP EQ3R 4ZZK SWUM Y6PR 5TDG N7LX P4X7 SA7Z 2ECH 47XA";

#[test]
fn amazon_key_pasted_with_spaces_and_lowercase_gives_oathtool_codes() {
    let Some(fixtures) = fixtures() else { return };
    let text = std::fs::read_to_string(fixtures.join("synthetic/amazon_shaped_key.synthetic.json"))
        .unwrap();
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = TestVault::new();
    let pasted = format!("{}\n", fixture["key_lowercase_grouped"].as_str().unwrap());
    let out = v.run(&["add", "Amazon"], Some(&pasted));
    assert!(out.status.success(), "{}", stderr(&out));
    // add prints the current code and the seconds it has left.
    let printed = stdout(&out);
    let (code, rest) = printed.trim().split_once(' ').unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert!(rest.contains(" s"), "{printed}");

    let expected = fixture["totp_codes_at_unix_time"].as_object().unwrap();
    assert!(!expected.is_empty());
    for (time, code) in expected {
        assert_eq!(
            v.code_at("amazon", time.parse().unwrap()),
            code.as_str().unwrap(),
            "at {time}"
        );
    }
}

#[test]
fn every_form_of_the_same_key_gives_the_same_codes() {
    let forms = [
        AMAZON_KEY.to_string(),
        AMAZON_KEY.to_lowercase(),
        AMAZON_KEY.replace(' ', "-"),
        format!("{}====\n", AMAZON_KEY.replace(' ', "")),
    ];
    // One vault a form: a vault holds one entry an account.
    let vaults: Vec<TestVault> = forms
        .iter()
        .map(|form| {
            let v = TestVault::new();
            v.add("Amazon", form);
            v
        })
        .collect();
    for time in [0, 59, 1_700_000_000] {
        let first = vaults[0].code_at("Amazon", time);
        for v in &vaults[1..] {
            assert_eq!(v.code_at("Amazon", time), first);
        }
    }
    // And the same key twice in one vault is one account twice: refused.
    let out = vaults[0].run(&["add", "Amazon again"], Some(&forms[1]));
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already in the vault as \"Amazon\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn add_by_flag_and_uri_and_rfc3339_time() {
    let v = TestVault::new();
    let out = v.run(&["add", "Amazon", "--key", AMAZON_KEY], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("other users"),
        "argv warning: {}",
        stderr(&out)
    );
    let uri = "otpauth://totp/Amazon%3Auser%40example.com?secret=N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA&issuer=Amazon";
    let w = TestVault::new();
    let out = w.run(&["add", "Amazon work"], Some(uri));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        v.code_at("Amazon", 1_234_567_890),
        w.code_at("Amazon work", 1_234_567_890)
    );
    let at = w.run(
        &["code", "Amazon work", "--at", "2009-02-13T23:31:30Z"],
        None,
    );
    assert_eq!(stdout(&at).trim(), v.code_at("Amazon", 1_234_567_890));

    let list = w.run(&["list", "--json"], None);
    let items: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let work = items
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Amazon work")
        .unwrap();
    assert_eq!(work["issuer"], "Amazon");
    assert_eq!(work["account"], "user@example.com");
}

#[test]
fn code_json_has_the_contract_fields_and_no_secret() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let out = v.run(&["code", "--json", "--at", "59"], None);
    assert!(out.status.success());
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = &items[0];
    for field in [
        "name",
        "issuer",
        "account",
        "kind",
        "algorithm",
        "digits",
        "period",
        "code",
        "remaining",
    ] {
        assert!(!item[field].is_null(), "missing {field}: {item}");
    }
    assert_eq!(item["remaining"], 1);
    assert_eq!(item["code"], v.code_at("Amazon", 59));
    let text = stdout(&out) + &stdout(&v.run(&["list", "--json"], None));
    assert!(!text.contains("N4OP"), "a secret was printed");
}

#[test]
fn wrong_passphrase_is_told_apart_and_changes_nothing() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let before = v.bytes();
    for args in [
        vec!["code", "amazon"],
        vec!["add", "Other"],
        vec!["remove", "Amazon"],
    ] {
        let out = run_with_stdin(
            {
                let mut cmd = v.command(&args);
                cmd.env("OTP_PASSPHRASE", "not the passphrase");
                cmd
            },
            Some(AMAZON_KEY),
        );
        assert_eq!(
            code(&out),
            EXIT_WRONG_PASSPHRASE,
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("wrong passphrase"));
        assert_eq!(stderr(&out).lines().count(), 1, "one-line error");
    }
    assert_eq!(v.bytes(), before, "the vault changed");
}

#[test]
fn no_passphrase_and_no_terminal_fails_at_once() {
    let v = TestVault::new();
    let mut cmd = v.command(&["code"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("no terminal"), "{}", stderr(&out));
}

#[test]
fn bad_keys_are_refused_with_position_and_hint() {
    let v = TestVault::new();
    let before = v.bytes();
    for (key, expect) in [
        ("N4OP SGLF 0HZP", "position 11"),
        ("N4OP SGLF 0HZP", "letter O"),
        ("1BSWY3DPEHPK3PXP", "letter I"),
        ("JBSWY3DPEHPK3PX8", "letter B"),
        ("", "empty"),
        ("   \n", "empty"),
        ("J", "too short"),
        ("JBSW Y3DP!", "'!'"),
    ] {
        let out = v.run(&["add", "Bad"], Some(key));
        assert_eq!(code(&out), EXIT_USAGE, "{key:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{key:?}: {}", stderr(&out));
    }
    assert_eq!(v.bytes(), before);
}

#[test]
fn bad_parameters_are_refused() {
    let v = TestVault::new();
    for args in [
        vec!["add", "X", "--digits", "5"],
        vec!["add", "X", "--digits", "11"],
        vec!["add", "X", "--period", "0"],
        vec!["add", "X", "--algorithm", "MD5"],
    ] {
        let out = v.run(&args, Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"));
        assert_eq!(code(&out), EXIT_USAGE, "{args:?}: {}", stderr(&out));
    }
    let out = v.run(
        &["add", "X", "--digits", "10"],
        Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v.code_at("X", 59).len(), 10);
}

#[test]
fn short_secret_is_accepted_with_a_warning() {
    let v = TestVault::new();
    let out = v.run(&["add", "Old"], Some("JBSWY3DPEHPK3PXP"));
    assert!(out.status.success());
    assert!(stderr(&out).contains("80 bits"), "{}", stderr(&out));
}

#[test]
fn names_are_unique_and_queries_resolve() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    v.add("Amazon AWS", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    v.add("GitHub", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ");

    let out = v.run(&["add", "amazon"], Some(AMAZON_KEY));
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));

    // An exact name wins over a partial match of another entry.
    assert_eq!(v.code_at("amazon", 59), v.code_at("Amazon", 59));
    let out = v.run(&["code", "ama"], None);
    assert_eq!(code(&out), EXIT_AMBIGUOUS);
    assert!(stderr(&out).contains("Amazon AWS"), "{}", stderr(&out));
    let out = v.run(&["code", "paypal"], None);
    assert_eq!(code(&out), EXIT_NO_MATCH);

    let all = stdout(&v.run(&["code", "--at", "59"], None));
    assert_eq!(all.lines().count(), 3, "{all}");
}

#[test]
fn rename_and_remove() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    v.add("GitHub", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ");
    let before = v.code_at("Amazon", 59);
    assert!(v.run(&["rename", "Amazon", "Shop"], None).status.success());
    assert_eq!(v.code_at("Shop", 59), before);
    assert_eq!(
        code(&v.run(&["rename", "Shop", "github"], None)),
        EXIT_EXISTS
    );
    assert_eq!(code(&v.run(&["rename", "Nope", "X"], None)), EXIT_NO_MATCH);
    // Removal takes an exact name only.
    assert_eq!(code(&v.run(&["remove", "Sho"], None)), EXIT_NO_MATCH);
    assert!(v.run(&["remove", "shop"], None).status.success());
    assert_eq!(code(&v.run(&["code", "Shop"], None)), EXIT_NO_MATCH);
    assert_eq!(v.code_at("GitHub", 59).len(), 6);
}

#[test]
fn backup_opens_as_a_vault_and_is_not_overwritten_silently() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let backup = v.dir.path().join("backup.otpvault");
    let backup_str = backup.to_str().unwrap();
    let out = v.run(&["backup", backup_str], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let out = v.run(
        &["--vault", backup_str, "code", "amazon", "--at", "59"],
        None,
    );
    assert_eq!(stdout(&out).trim(), v.code_at("amazon", 59));

    assert_eq!(code(&v.run(&["backup", backup_str], None)), EXIT_EXISTS);
    assert!(
        v.run(&["backup", backup_str, "--force"], None)
            .status
            .success()
    );
    let own = v.path.to_str().unwrap();
    assert_eq!(code(&v.run(&["backup", own, "--force"], None)), EXIT_USAGE);
}

#[test]
fn passwd_changes_the_passphrase_and_keeps_the_entries() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let before = v.code_at("Amazon", 59);
    let mut cmd = v.command(&["passwd"]);
    cmd.env("OTP_NEW_PASSPHRASE", "a new passphrase");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        code(&v.run(&["code", "Amazon"], None)),
        EXIT_WRONG_PASSPHRASE
    );
    let mut cmd = v.command(&["code", "Amazon", "--at", "59"]);
    cmd.env("OTP_PASSPHRASE", "a new passphrase");
    assert_eq!(stdout(&run_with_stdin(cmd, None)).trim(), before);
}

#[test]
fn passphrase_file_and_command_sources() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let file = v.dir.path().join("pass");
    std::fs::write(&file, format!("{PASSPHRASE}\n")).unwrap();
    let mut cmd = v.command(&["code", "Amazon", "--at", "59"]);
    cmd.env("OTP_PASSPHRASE", "wrong")
        .env("OTP_PASSPHRASE_FILE", &file);
    let out = run_with_stdin(cmd, None);
    assert!(
        out.status.success(),
        "file wins over OTP_PASSPHRASE: {}",
        stderr(&out)
    );

    let mut cmd = v.command(&[
        "code",
        "Amazon",
        "--at",
        "59",
        "--passphrase-command",
        &format!("printf '%s\\n' '{PASSPHRASE}'"),
    ]);
    cmd.env("OTP_PASSPHRASE", "wrong");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut cmd = v.command(&["code", "Amazon", "--passphrase-command", "exit 3"]);
    cmd.env_remove("OTP_PASSPHRASE");
    assert_eq!(code(&run_with_stdin(cmd, None)), EXIT_USAGE);
}

#[test]
fn first_add_creates_the_vault_private() {
    let v = TestVault::empty();
    assert_eq!(code(&v.run(&["code", "x"], None)), EXIT_NO_VAULT);
    // A missing vault is named before any passphrase is asked for.
    let mut cmd = v.command(&["code", "x"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_NO_VAULT, "{}", stderr(&out));
    assert!(stderr(&out).contains("no vault at"), "{}", stderr(&out));
    let mut cmd = v.command(&["add", "Amazon"]);
    cmd.env("OTP_NEW_PASSPHRASE", PASSPHRASE);
    let out = run_with_stdin(cmd, Some(AMAZON_KEY));
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&v.path), 0o600);
    assert_eq!(mode(v.path.parent().unwrap()), 0o700);
    assert_eq!(v.code_at("Amazon", 59).len(), 6);
    let bytes = v.bytes();
    let header = otpvault::vault::format::parse(&bytes).unwrap().header;
    assert_eq!(
        header.passphrase_slot().unwrap().kdf,
        otpvault::KdfParams::default(),
        "the first add uses the default KDF cost"
    );
    let out = v.run(&["init"], None);
    assert_eq!(
        code(&out),
        EXIT_EXISTS,
        "init must not overwrite: {}",
        stderr(&out)
    );
}

#[test]
fn vault_file_holds_no_plaintext() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let out = v.run(
        &["add", "GitHub", "--account", "octocat@example.com"],
        Some("HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"),
    );
    assert!(out.status.success());
    let bytes = v.bytes();
    let secret = otpvault::key::parse(AMAZON_KEY).unwrap();
    let needles: [&[u8]; 6] = [
        b"N4OPSGLF",
        b"n4opsglf",
        &secret.expose()[..8],
        b"Amazon",
        b"octocat",
        b"HXDMVJEC",
    ];
    for needle in needles {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "found {needle:?} in the vault file"
        );
    }
}

#[test]
fn damaged_vaults_get_their_own_exit_code() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    let good = v.bytes();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let damaged: [(&str, Vec<u8>); 4] = [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 10].to_vec()),
        ("empty", Vec::new()),
        ("not a vault", b"just some text file\n".to_vec()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&v.path, &bytes).unwrap();
        let out = v.run(&["code", "Amazon"], None);
        assert_eq!(code(&out), EXIT_DAMAGED, "{what}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{what}: {}", stderr(&out));
    }
}

#[test]
fn hotp_counter_advances_on_every_code() {
    let v = TestVault::new();
    // RFC 4226 appendix D's key, "12345678901234567890".
    let out = v.run(
        &["add", "Bank", "--hotp"],
        Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // RFC 4226 appendix D: counters 0 and 1.
    assert_eq!(v.code_at("Bank", 0), "755224");
    assert_eq!(v.code_at("Bank", 0), "287082");
    let list = v.run(&["list", "--json"], None);
    let items: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(items[0]["counter"], 2);

    // A URI's counter stands with --hotp, unless --counter replaces it.
    // (One vault each: the key is the same account.)
    let uri = "otpauth://hotp/Other?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7";
    let v = TestVault::new();
    let out = v.run(&["add", "Seven", "--hotp"], Some(uri));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v.code_at("Seven", 0), "162583"); // appendix D, counter 7
    let v = TestVault::new();
    let out = v.run(&["add", "Eight", "--hotp", "--counter", "8"], Some(uri));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v.code_at("Eight", 0), "399871"); // appendix D, counter 8

    // At the last counter there is no next code to move to: refused, and
    // the vault is unchanged, rather than the same code shown again.
    let last = format!("{}", u64::MAX);
    let v = TestVault::new();
    let out = v.run(
        &["add", "Last", "--hotp", "--counter", &last],
        Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let before = v.bytes();
    let out = v.run(&["code", "Last"], None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("maximum"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(v.bytes(), before);
}

#[test]
fn the_process_allows_no_core_dump() {
    let v = TestVault::new();
    let limits = v.dir.path().join("limits");
    // The passphrase command runs as otp's child: $PPID is otp itself.
    let command = format!(
        "grep 'Max core file size' /proc/$PPID/limits > '{}'; printf %s '{PASSPHRASE}'",
        limits.display()
    );
    let mut cmd = v.command(&["list", "--passphrase-command", &command]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = std::fs::read_to_string(&limits).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[4..6], ["0", "0"], "{line}");
}

#[test]
fn init_warns_below_64_mib_and_three_passes() {
    for (memory, iterations, warns) in [
        ("8", "3", true),
        ("32", "8", true),
        ("64", "1", true),
        ("64", "3", false),
        ("128", "2", false),
    ] {
        let v = TestVault::empty();
        let args = [
            "init",
            "--kdf-memory-mib",
            memory,
            "--kdf-iterations",
            iterations,
            "--kdf-parallelism",
            "1",
        ];
        let out = v.run(&args, None);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).contains("guess cheap"),
            warns,
            "{args:?}: {}",
            stderr(&out)
        );
        let bytes = v.bytes();
        let kdf = otpvault::vault::format::parse(&bytes)
            .unwrap()
            .header
            .passphrase_slot()
            .unwrap()
            .kdf;
        assert_eq!(
            (kdf.memory_kib, kdf.iterations),
            (
                memory.parse::<u32>().unwrap() * 1024,
                iterations.parse().unwrap()
            )
        );
    }
}

#[test]
fn output_that_cannot_be_written_is_reported_not_a_panic() {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    // A full disk: one line saying so, exit 1.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = v
        .command(&["code", "amazon"])
        .stdin(std::process::Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the output"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    // A reader that has gone (`otp list | head -0`): exit 1, no message.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = v
        .command(&["list"])
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn oversized_input_is_refused_not_cut() {
    let v = TestVault::new();
    let before = v.bytes();
    // A key cut at the limit would still be a key, silently wrong.
    let key = "A".repeat(64 * 1024 + 1);
    let out = v.run(&["add", "Big"], Some(&key));
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("over 64 KiB"), "{}", stderr(&out));
    let line = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n";
    let export = line.repeat(16 * 1024 * 1024 / line.len() + 1);
    let out = v.run(&["import", "-"], Some(&export));
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("over 16384 KiB"), "{}", stderr(&out));
    assert_eq!(v.bytes(), before);
}

#[test]
fn backup_checks_where_it_goes_before_asking_for_the_passphrase() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    // No passphrase anywhere and no terminal: had it asked first, this
    // would say "no passphrase".
    let mut cmd = v.command(&["backup", "/media/otpvault-not-mounted/otp-backup.otpvault"]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("/media/otpvault-not-mounted"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("no passphrase"), "{}", stderr(&out));
    let there = v.dir.path().join("there.otpvault");
    std::fs::write(&there, b"mine").unwrap();
    let mut cmd = v.command(&["backup", there.to_str().unwrap()]);
    cmd.env_remove("OTP_PASSPHRASE");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));
}

#[test]
fn a_setup_key_cut_short_is_refused() {
    let v = TestVault::new();
    let amazon = "N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA";
    let out = v.run(&["add", "Amazon"], Some(&amazon[..51]));
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("cut short"), "{}", stderr(&out));
    assert!(v.names().is_empty());
    v.add("Amazon", amazon);
}
