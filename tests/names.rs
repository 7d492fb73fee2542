//! Names that cannot impersonate: what looks like "Amazon" is Amazon or is
//! refused; an import is renamed visibly; nothing a name holds can pad,
//! hide or forge a line on a terminal; any length is shown without a panic.

mod common;

use common::*;

fn add_named(v: &TestVault, name: &str, key_of: &str) -> std::process::Output {
    v.run(&["add", name], Some(&key_for(key_of)))
}

#[test]
fn what_looks_like_a_name_is_that_name_or_refused() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    // Look-alikes of an existing name are refused like the name itself,
    // naming the entry they look like.
    for (i, look_alike) in [
        "\u{410}mazon", // Cyrillic А
        "Amazon ",
        " Amazon",
        "Amazon\u{A0}",
        "AMAZON",
        "Arnazon", // rn for m
    ]
    .iter()
    .enumerate()
    {
        let out = add_named(&v, look_alike, &format!("other {i}"));
        assert_eq!(code(&out), EXIT_EXISTS, "{look_alike:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("Amazon"), "{}", stderr(&out));
    }
    // Characters that cannot be seen are refused, naming the position.
    for (hidden, code_point) in [
        ("Amazon\u{200B}", "U+200B"),
        ("Amazon\u{200E}", "U+200E"),
        ("Amazon\u{200F}", "U+200F"),
        ("Amazon\u{061C}", "U+061C"),
        ("\u{FEFF}Amazon", "U+FEFF"),
        ("Ama\u{AD}zon", "U+00AD"),
        ("Amazon\u{E0041}", "U+E0041"),
        ("Amazon\u{E000}", "U+E000"),
    ] {
        let out = add_named(&v, hidden, "hidden");
        assert_eq!(code(&out), EXIT_USAGE, "{hidden:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(
            message.contains(code_point) && message.contains("position"),
            "{message}"
        );
    }
    // A name padded to push a forged code line across the screen is one
    // name with one space.
    let padded = format!("Mail{}123456     Amazon", " ".repeat(65));
    assert!(add_named(&v, &padded, "padded").status.success());
    assert!(v.names().contains("Mail 123456 Amazon"), "{:?}", v.names());
    // Rename keeps the same rules.
    let out = v.run(&["rename", "Mail 123456 Amazon", "\u{410}MAZON"], None);
    assert_eq!(code(&out), EXIT_EXISTS, "{}", stderr(&out));
    assert_eq!(v.names().len(), 2);
}

#[test]
fn a_name_of_another_script_warns() {
    let v = TestVault::new();
    let out = add_named(&v, "P\u{430}yPal", "paypal");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("mixes scripts"), "{}", stderr(&out));
    let out = add_named(&v, "Amazon 仕事用", "work");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("mixes scripts"), "{}", stderr(&out));
    let out = v.run(&["add", "x".repeat(129).as_str()], Some(&key_for("long")));
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    assert!(stderr(&out).contains("at most 128"), "{}", stderr(&out));
}

/// An otpauth URI with this issuer and account (escaped).
fn uri(issuer: &str, account: &str, key_of: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}",
        enc(issuer),
        enc(account),
        key_for(key_of),
        enc(issuer)
    )
}

#[test]
fn imports_rename_look_alikes_clean_hidden_characters_and_cut_long_names() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let huge = "N".repeat(65_536);
    let list = [
        uri("\u{410}mazon", "me", "cyrillic"),
        uri("Ama\u{200B}zon Pay", "me", "zero width"),
        uri(&huge, "me", "huge"),
        uri("Shop", &"a".repeat(10_000), "long account"),
    ]
    .join("\n");
    let file = v.dir.path().join("list.txt");
    std::fs::write(&file, list + "\n").unwrap();
    let out = v.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("looks like the entry \"Amazon\""), "{said}");
    assert!(said.contains("U+FFFD"), "{said}");
    assert!(said.contains("too long and was cut"), "{said}");
    let names = v.names();
    assert!(names.contains("\u{410}mazon (look-alike 2)"), "{names:?}");
    assert!(names.contains("Ama\u{FFFD}zon Pay"), "{names:?}");
    assert!(names.iter().all(|n| n.chars().count() <= 128), "{names:?}");

    // Every list and code line of such a vault: no panic, no row padded
    // to the longest field.
    let out = v.run(&["list"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    for line in stdout(&out).lines() {
        assert!(
            line.chars().count() < 250,
            "{} columns",
            line.chars().count()
        );
    }
    assert!(v.run(&["code"], None).status.success());
    let out = v.run(&["list", "--json"], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shop = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Shop")
        .unwrap();
    assert_eq!(
        shop["account"].as_str().unwrap().chars().count(),
        256,
        "kept whole in JSON, as stored"
    );
}

#[test]
fn list_on_a_terminal_fits_its_width_and_cuts_with_an_ellipsis() {
    let v = TestVault::new();
    let out = v.run(
        &[
            "add",
            "GitHub",
            "--issuer",
            &"GitHub Enterprise Server ".repeat(5),
            "--account",
            "octocat@example.com",
        ],
        Some(&key_for("GitHub")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    v.add("仕事用アカウント", &key_for("work"));
    let Some(tmux) = common::screen::Tmux::start(&[
        ("OTP_VAULT", v.path.to_str().unwrap()),
        ("OTP_PASSPHRASE", PASSPHRASE),
    ]) else {
        return;
    };
    let otp = common::screen::otp_path().display().to_string();
    tmux.type_text(&format!("{otp} list; echo DONE"), true);
    let screen = tmux.wait_for(|s| s.contains("\nDONE"), "the list");
    let row = screen
        .lines()
        .find(|l| l.starts_with("GitHub"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains('…'), "cut: {row}");
    assert!(row.contains("octocat@example.com"), "{row}");
    // Wide characters are counted as the two columns they take: the
    // columns after them line up with the header's.
    let header = screen.lines().find(|l| l.starts_with("NAME")).unwrap();
    let column_of = |line: &str, word: &str| {
        let at = line.find(word).unwrap();
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    let work = screen.lines().find(|l| l.starts_with("仕事用")).unwrap();
    assert_eq!(
        column_of(work, "totp"),
        column_of(header, "TYPE"),
        "{screen}"
    );
}
