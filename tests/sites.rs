//! The sites a code belongs to: stored with `add --site` and `edit`, shown
//! with the code, in JSON and in the list, and enforced by `code --for-url`
//! against a table of real and lookalike addresses.

mod common;

use common::screen::{Tmux, otp_path};
use common::*;

const EXIT_NOT_THE_SITE: i32 = 11;
const AT: &str = "1700000000";

/// Amazon for two sites, a GitHub Pages site (under a public suffix), a
/// site with an internationalised name, and an entry with no site.
fn vault_with_sites() -> TestVault {
    let v = TestVault::new();
    for (name, sites) in [
        ("Amazon", &["amazon.co.jp", "amazon.com"][..]),
        ("Pages", &["alice.github.io"][..]),
        ("Rei", &["例え.jp"][..]),
        ("Nowhere", &[][..]),
    ] {
        let mut args = vec!["add", name];
        for site in sites {
            args.extend(["--site", site]);
        }
        let out = v.run(&args, Some(&key_for(name)));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }
    v
}

/// Whether the code is given: yes (and it is the entry's code) or no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gives {
    Code,
    Nothing,
}

#[test]
fn for_url_gives_the_code_only_at_the_entrys_sites() {
    use Gives::*;
    let v = vault_with_sites();
    let table: &[(&str, &str, &[&str], Gives)] = &[
        // The site, its subdomains, and what browsers show of them.
        ("Amazon", "https://amazon.co.jp/", &[], Code),
        (
            "Amazon",
            "https://www.amazon.co.jp/ap/signin?openid=1",
            &[],
            Code,
        ),
        ("Amazon", "https://WWW.AMAZON.CO.JP/", &[], Code),
        ("Amazon", "https://www.amazon.co.jp./", &[], Code),
        ("Amazon", "https://www.amazon.co.jp:443/", &[], Code),
        ("Amazon", "https://www.amazon.co.jp:8443/", &[], Code),
        ("Amazon", "https://amazon.com/", &[], Code),
        ("Amazon", "https://smile.amazon.com/gp/css", &[], Code),
        ("Amazon", "https://a.b.c.amazon.co.jp/", &[], Code),
        ("Amazon", "https://amazon.co.jp#evil.example", &[], Code),
        (
            "Amazon",
            "https://amazon.co.jp/?return=https://evil.example/",
            &[],
            Code,
        ),
        (
            "Amazon",
            "https://amazon.co.jp/path/evil.example",
            &[],
            Code,
        ),
        (
            "Amazon",
            "http://www.amazon.co.jp/",
            &["--allow-http"],
            Code,
        ),
        // Plain HTTP, and other schemes.
        ("Amazon", "http://www.amazon.co.jp/", &[], Nothing),
        ("Amazon", "ftp://amazon.co.jp/", &[], Nothing),
        ("Amazon", "wss://amazon.co.jp/", &[], Nothing),
        ("Amazon", "javascript:alert(1)", &[], Nothing),
        // Other registrable domains that look alike.
        ("Amazon", "https://amazon.co.jp.example.com/", &[], Nothing),
        ("Amazon", "https://amazon.co.jp.evil/", &[], Nothing),
        ("Amazon", "https://amazon.com.evil.example/", &[], Nothing),
        ("Amazon", "https://amaz0n.co.jp/", &[], Nothing),
        ("Amazon", "https://amazon-co-jp.com/", &[], Nothing),
        ("Amazon", "https://www-amazon.co.jp/", &[], Nothing),
        ("Amazon", "https://amazonco.jp/", &[], Nothing),
        ("Amazon", "https://mazon.co.jp/", &[], Nothing),
        ("Amazon", "https://amazon.co.jpn/", &[], Nothing),
        // Homographs: Cyrillic а, raw and in punycode.
        ("Amazon", "https://xn--mazon-3ve.co.jp/", &[], Nothing),
        ("Amazon", "https://\u{430}mazon.co.jp/", &[], Nothing),
        // The real name where it is not the host.
        ("Amazon", "https://amazon.co.jp@evil.example/", &[], Nothing),
        ("Amazon", "https://user:pw@www.amazon.co.jp/", &[], Nothing),
        ("Amazon", "https://evil.example/amazon.co.jp", &[], Nothing),
        (
            "Amazon",
            "https://evil.example/?u=https://amazon.co.jp",
            &[],
            Nothing,
        ),
        (
            "Amazon",
            "https://amazon.co.jp%2eevil.example/",
            &[],
            Nothing,
        ),
        // Public suffixes and addresses.
        ("Amazon", "https://co.jp/", &[], Nothing),
        ("Amazon", "https://jp/", &[], Nothing),
        ("Amazon", "https://52.95.116.115/", &[], Nothing),
        ("Amazon", "https://[2600:9000::1]/", &[], Nothing),
        // Malformed.
        ("Amazon", "amazon.co.jp", &[], Nothing),
        ("Amazon", "", &[], Nothing),
        ("Amazon", "https://", &[], Nothing),
        ("Amazon", "https://amazon .co.jp/", &[], Nothing),
        // A site under a public suffix is only that site.
        ("Pages", "https://alice.github.io/", &[], Code),
        ("Pages", "https://x.alice.github.io/", &[], Code),
        ("Pages", "https://bob.github.io/", &[], Nothing),
        ("Pages", "https://github.io/", &[], Nothing),
        (
            "Pages",
            "https://alice.github.io.evil.example/",
            &[],
            Nothing,
        ),
        // Internationalised names, written either way.
        ("Rei", "https://例え.jp/", &[], Code),
        ("Rei", "https://xn--r8jz45g.jp/login", &[], Code),
        ("Rei", "https://例え.jp.evil/", &[], Nothing),
        // No site named: nothing is given for any address.
        ("Nowhere", "https://anything.example/", &[], Nothing),
    ];
    assert!(table.len() >= 40, "{} URLs", table.len());
    let mut refused = 0;
    for (name, url, flags, gives) in table {
        let code = v.code_at(name, AT.parse().unwrap());
        let mut args = vec!["code", name, "--at", AT, "--for-url", url];
        args.extend_from_slice(flags);
        let out = v.run(&args, None);
        match gives {
            Code => {
                assert!(out.status.success(), "{url}: {}", stderr(&out));
                assert_eq!(stdout(&out).trim(), code, "{url}");
            }
            Nothing => {
                refused += 1;
                assert_eq!(
                    common::code(&out),
                    EXIT_NOT_THE_SITE,
                    "{url}: {}",
                    stderr(&out)
                );
                assert_eq!(stdout(&out), "", "{url}: nothing printed");
                assert!(!stderr(&out).contains(&code), "{url}: the code leaked");
                assert_eq!(stderr(&out).lines().count(), 1, "{url}: {}", stderr(&out));
                assert!(
                    stderr(&out).contains("not giving the code"),
                    "{url}: {}",
                    stderr(&out)
                );
            }
        }
    }
    assert!(refused >= 30);
    // The refusal names the entry's sites.
    let out = v.run(
        &["code", "Amazon", "--for-url", "https://amaz0n.co.jp/"],
        None,
    );
    assert!(
        stderr(&out).contains("amazon.co.jp or amazon.com"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_hotp_code_refused_for_a_url_is_not_used_up() {
    let v = TestVault::new();
    let out = v.run(
        &["add", "Bank", "--hotp", "--site", "bank.example.com"],
        Some(&key_for("Bank")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.run(
        &["code", "Bank", "--for-url", "https://evil.example/"],
        None,
    );
    assert_eq!(common::code(&out), EXIT_NOT_THE_SITE);
    let list: serde_json::Value =
        serde_json::from_slice(&v.run(&["list", "--json"], None).stdout).unwrap();
    assert_eq!(list[0]["counter"], 0, "the counter did not move");
    let out = v.run(
        &["code", "Bank", "--for-url", "https://bank.example.com/"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn sites_are_stored_edited_listed_and_checked() {
    let v = vault_with_sites();
    let list: serde_json::Value =
        serde_json::from_slice(&v.run(&["list", "--json"], None).stdout).unwrap();
    let sites = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["sites"]
            .clone()
    };
    assert_eq!(
        sites("Amazon"),
        serde_json::json!(["amazon.co.jp", "amazon.com"])
    );
    assert_eq!(sites("Rei"), serde_json::json!(["xn--r8jz45g.jp"]));
    assert_eq!(sites("Nowhere"), serde_json::json!([]));
    let codes: serde_json::Value =
        serde_json::from_slice(&v.run(&["code", "--json"], None).stdout).unwrap();
    assert!(
        codes
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["sites"].is_array())
    );
    let table = stdout(&v.run(&["list"], None));
    assert!(
        table.contains("SITES") && table.contains("amazon.co.jp, amazon.com"),
        "{table}"
    );

    // Edit: add, remove, replace.
    let edit = |args: &[&str]| {
        let mut all = vec!["edit"];
        all.extend_from_slice(args);
        v.run(&all, None)
    };
    let out = edit(&["Nowhere", "--add-site", "Example.COM"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("now for example.com"),
        "{}",
        stderr(&out)
    );
    assert!(
        edit(&["Amazon", "--remove-site", "amazon.com"])
            .status
            .success()
    );
    let out = v.run(
        &["code", "Amazon", "--for-url", "https://amazon.com/"],
        None,
    );
    assert_eq!(common::code(&out), EXIT_NOT_THE_SITE);
    assert!(edit(&["Amazon", "--site", "amazon.de"]).status.success());
    let out = v.run(
        &["code", "Amazon", "--for-url", "https://www.amazon.de/"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // Refused, before anything changes.
    let before = v.bytes();
    for (args, message) in [
        (
            &["edit", "Amazon", "--add-site", "co.jp"][..],
            "public suffix",
        ),
        (
            &["edit", "Amazon", "--add-site", "github.io"][..],
            "public suffix",
        ),
        (
            &["edit", "Amazon", "--add-site", "not a domain"][..],
            "not a domain",
        ),
        (
            &["edit", "Amazon", "--remove-site", "amazon.fr"][..],
            "no site amazon.fr",
        ),
        (&["edit", "Amazon"][..], "required"),
    ] {
        let out = v.run(args, None);
        assert_eq!(common::code(&out), EXIT_USAGE, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert_eq!(v.bytes(), before, "{args:?} changed the vault");
    }
    let out = v.run(&["add", "X", "--site", "co.uk"], Some(&key_for("X")));
    assert_eq!(common::code(&out), EXIT_USAGE, "{}", stderr(&out));

    // Exports have no field for sites, and say so.
    let out = v.run(&["export"], None);
    assert!(
        stderr(&out).contains("sites are not exported"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_terminal_shows_the_site_with_the_code() {
    let v = vault_with_sites();
    let want = v.code_at("Amazon", 1_700_000_020);
    let Some(tmux) = Tmux::start(&[
        ("OTP_VAULT", v.path.to_str().unwrap()),
        ("OTP_PASSPHRASE", PASSPHRASE),
    ]) else {
        return;
    };
    tmux.type_text(
        &format!("{} code amazon --at 1700000020", otp_path().display()),
        true,
    );
    let screen = tmux.wait_for(|s| s.contains("type it only at"), "the code");
    assert!(
        screen.contains(&format!(
            "{want}  (20 s left) — type it only at amazon.co.jp or amazon.com"
        )),
        "{screen}"
    );
    if cfg!(feature = "tui") {
        tmux.type_text(&format!("clear; {} watch", otp_path().display()), true);
        let screen = tmux.wait_for(|s| s.contains("4 of 4"), "the view");
        let row = screen.lines().find(|l| l.starts_with("Amazon")).unwrap();
        assert!(row.contains("amazon.co.jp"), "{screen}");
        tmux.keys(&["C-c"]);
    }
}

#[test]
fn site_forms_that_never_match_are_refused_with_guidance() {
    let v = TestVault::new();
    for (site, said) in [
        ("*.amazon.co.jp", "give \"amazon.co.jp\" alone"),
        (".amazon.co.jp", "without it, \"amazon.co.jp\""),
        ("amazon.co.jp,amazon.com", "its own --site"),
        ("amazon..co.jp", "empty label"),
    ] {
        let out = v.run(&["add", "Amazon", "--site", site], Some(&key_for("Amazon")));
        assert_eq!(code(&out), EXIT_USAGE, "{site}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{site}: {}", stderr(&out));
    }
    v.add("Amazon", &key_for("Amazon"));
    let out = v.run(&["edit", "Amazon", "--add-site", "*.amazon.co.jp"], None);
    assert_eq!(code(&out), EXIT_USAGE, "{}", stderr(&out));
    // A site whose labels mix scripts is kept as punycode, with a warning.
    let out = v.run(
        &["edit", "Amazon", "--add-site", "\u{430}mazon.co.jp"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("mixes scripts"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("xn--mazon-3ve.co.jp"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_private_public_suffix_gets_no_code() {
    let v = TestVault::new();
    let out = v.run(
        &["add", "Linode", "--site", "linode.com"],
        Some(&key_for("Linode")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.run(
        &[
            "code",
            "linode",
            "--for-url",
            "https://phish.members.linode.com/",
        ],
        None,
    );
    assert_eq!(code(&out), 11, "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("members.linode.com"),
        "{}",
        stderr(&out)
    );
    let out = v.run(
        &["code", "linode", "--for-url", "https://cloud.linode.com/"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}
