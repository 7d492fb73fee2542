//! Real exports from other authenticators (../shared/fixtures, described in
//! its SOURCES.md): every field read right, codes equal to the independently
//! computed ones, broken files refused with the vault unchanged.
#![cfg(all(
    feature = "encrypted-files",
    feature = "phone-db",
    feature = "archives",
    feature = "qr-read"
))]

mod common;

use std::path::Path;

use common::*;
use otpvault::import::{self, ImportError, Opened, Wanted};

/// `--format andotp`: the old encrypted format can only be named.
fn andotp() -> Wanted {
    "andotp".parse().unwrap()
}
use otpvault::otp::Kind;
use otpvault::{Account, Passphrase, key};
use serde_json::Value;

fn read(path: &Path, password: Option<&str>) -> Result<Vec<Account>, ImportError> {
    read_as(path, password, Wanted::Auto)
}

fn read_as(
    path: &Path,
    password: Option<&str>,
    format: Wanted,
) -> Result<Vec<Account>, ImportError> {
    let bytes = std::fs::read(path).unwrap();
    match import::open(&bytes, format)? {
        Opened::Accounts(accounts) => Ok(accounts.list),
        Opened::Encrypted(file) => {
            let password = password.expect("an encrypted file needs its password");
            file.decrypt(&Passphrase::from(password.to_string()))
                .map(|a| a.list)
        }
    }
}

/// The Aegis vector table with codes computed (and cross-checked with
/// oathtool) for this project.
fn vectors(fixtures: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(fixtures.join("aegis/EXPECTED_CODES.computed.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Checks one imported account against its vector: every field and codes.
fn check_against_vector(account: &Account, vector: &Value, what: &str) {
    assert_eq!(account.issuer, vector["issuer"].as_str().unwrap(), "{what}");
    assert_eq!(account.account, vector["name"].as_str().unwrap(), "{what}");
    assert_eq!(
        account.params.kind.as_str(),
        vector["type"].as_str().unwrap(),
        "{what}"
    );
    assert_eq!(
        account.params.algorithm.as_str(),
        vector["algo"].as_str().unwrap(),
        "{what}"
    );
    assert_eq!(
        u64::from(account.params.digits),
        vector["digits"].as_u64().unwrap(),
        "{what}"
    );
    if let Some(codes) = vector["codes_at_unix_time"].as_object() {
        assert_eq!(
            u64::from(account.params.period),
            vector["period"].as_u64().unwrap(),
            "{what}"
        );
        for (time, code) in codes {
            let got = account
                .params
                .code(&account.secret, time.parse().unwrap())
                .unwrap();
            assert_eq!(got.as_str(), code.as_str().unwrap(), "{what} at {time}");
        }
    }
    if let Some(codes) = vector["codes_by_counter"].as_object() {
        assert_eq!(
            account.params.counter,
            vector["counter"].as_u64().unwrap(),
            "{what}"
        );
        for (counter, code) in codes {
            let params = otpvault::Params {
                counter: counter.parse().unwrap(),
                ..account.params
            };
            assert_eq!(
                params.code(&account.secret, 0).unwrap().as_str(),
                code.as_str().unwrap(),
                "{what} at {counter}"
            );
        }
    }
}

#[test]
fn exact_exports_match_the_vectors() {
    let Some(fixtures) = fixtures() else { return };
    let vectors = vectors(&fixtures);
    let dir = fixtures.join("aegis");
    // (file, password, how many of the vectors it holds)
    let cases = [
        ("importers/aegis_plain.json", None, 7),
        ("importers/aegis_encrypted.json", Some("test"), 7),
        ("vault/aegis_plain_grouped_v2.json", None, 7),
        ("importers/plain.txt", None, 7),
        ("importers/ente_auth.txt", None, 7),
        ("importers/2fas_authenticator_plain_v3.2fas", None, 6),
        (
            "importers/2fas_authenticator_encrypted_v3.2fas",
            Some("test"),
            6,
        ),
        ("importers/2fas_authenticator_plain_v4.2fas", None, 5),
        ("importers/proton_authenticator.json", None, 3),
        (
            "importers/2fas_authenticator_encrypted_v4.2fas",
            Some("test"),
            5,
        ),
    ];
    for (file, password, count) in cases {
        let accounts = read(&dir.join(file), password).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(accounts.len(), count, "{file}");
        for account in &accounts {
            let vector = vectors
                .iter()
                .find(|v| key::parse(v["secret"].as_str().unwrap()).unwrap() == account.secret)
                .unwrap_or_else(|| panic!("{file}: an account with an unknown secret"));
            check_against_vector(account, vector, file);
        }
    }
}

#[test]
fn old_2fas_schemas_import_as_totp() {
    let Some(fixtures) = fixtures() else { return };
    let dir = fixtures.join("aegis/importers");
    // Schema 1 has no parameters: everything is TOTP SHA1/6/30.
    let v1 = read(&dir.join("2fas_authenticator.json"), None).unwrap();
    assert_eq!(v1.len(), 6);
    for a in &v1 {
        assert_eq!(
            (a.params.kind, a.params.digits, a.params.period),
            (Kind::Totp, 6, 30),
            "{a:?}"
        );
    }
    // Schema 2 has parameters but no token type: HOTP entries become TOTP
    // with their algorithm and digits.
    for (file, password) in [
        ("2fas_authenticator_plain.2fas", None),
        ("2fas_authenticator_encrypted.2fas", Some("test")),
    ] {
        let v2 = read(&dir.join(file), password).unwrap();
        let names: Vec<&str> = v2.iter().map(|a| a.issuer.as_str()).collect();
        assert_eq!(names, ["Deno", "Airbnb", "Issuu", "WWE"], "{file}");
        let wwe = &v2[3];
        assert_eq!((wwe.params.kind, wwe.params.digits), (Kind::Totp, 8));
        assert_eq!(wwe.params.algorithm.as_str(), "SHA512");
    }
}

#[test]
fn proton_exports_plain_and_encrypted() {
    let Some(fixtures) = fixtures() else { return };
    let dir = fixtures.join("ente_auth");
    // As SOURCES.md states them; `/e/` has an empty issuer prefix in its
    // label (`:cool@ente.com`) and its issuer in the parameter.
    let expected = [
        (
            ".env",
            "example@ente.io",
            "MI4GCOJSGIZTKLJSGMZWKLJUGEZDQLJYG5STILJSMUYDIYTCMQ3TSOJRGI",
        ),
        ("/e/", "cool@ente.com", "554VBDOGJRLDG2JV"),
        ("ente", "simple@ente.sh", "PIBTGMBYQYVSLN5PVZYQUTKYHOBRYYT7"),
        ("reddit", "r@ente.com", "J4YFC3TZKVYWCVCNIVBWIV2GHFAXUNDF"),
    ];
    for (file, password) in [
        ("proton_authenticator_backup.json", None),
        (
            "proton_authenticator_backup_encrypted_1231246.json",
            Some("1231246"),
        ),
    ] {
        let accounts = read(&dir.join(file), password).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got: Vec<(String, String, String)> = accounts
            .iter()
            .map(|a| {
                (
                    a.issuer.clone(),
                    a.account.clone(),
                    key::to_base32(&a.secret).to_string(),
                )
            })
            .collect();
        let want: Vec<(String, String, String)> = expected
            .iter()
            .map(|(i, a, s)| (i.to_string(), a.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, want, "{file}");
        assert!(
            accounts
                .iter()
                .all(|a| a.params == otpvault::Params::default())
        );
    }
}

#[test]
fn google_migration_text_and_screenshot() {
    let Some(fixtures) = fixtures() else { return };
    let dir = fixtures.join("extract_otp_secrets");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("example_output.json")).unwrap())
            .unwrap();
    let accounts = read(&dir.join("example_export.txt"), None).unwrap();
    let expected = expected.as_array().unwrap();
    assert_eq!(accounts.len(), expected.len());
    for (account, want) in accounts.iter().zip(expected) {
        assert_eq!(
            account.secret,
            key::parse(want["secret"].as_str().unwrap()).unwrap()
        );
        assert_eq!(account.params.kind.as_str(), want["type"].as_str().unwrap());
        // The source's name is "Issuer:account" or "account".
        let name = want["name"].as_str().unwrap();
        assert!(
            name.ends_with(&account.account),
            "{name} vs {}",
            account.account
        );
        if let Some(counter) = want["counter"].as_u64() {
            assert_eq!(account.params.counter, counter);
        }
    }
    assert_eq!(accounts[0].issuer, "raspberrypi");
    assert_eq!(accounts[0].account, "pi@raspberrypi");

    // Raw `+` in the data is base64, not a space.
    let plus = read(&dir.join("tests_data/test_plus_problem_export.txt"), None).unwrap();
    let secrets: Vec<String> = plus
        .iter()
        .map(|a| key::to_base32(&a.secret).to_string())
        .collect();
    assert_eq!(
        secrets,
        [
            "A4RFDYMF4GSLUIBQV4ZP67OJEZ2XUQVM",
            "SCDDZ7PW5MOZLE3PQCAZM7L4S35K3UDX",
            "TR76272RVYO6EAEY2FX7W7R7KUDEGPJ4",
            "N2ILWSXSJUQUB7S6NONPJSC62NPG7EXN"
        ]
    );
    assert!(plus.iter().all(|a| a.issuer == "SerenityLabs"));

    // The screenshot of Google Authenticator's export QR.
    let shot = read(&dir.join("example_export.png"), None).unwrap();
    let got: Vec<(String, String, String)> = shot
        .iter()
        .map(|a| {
            (
                a.issuer.clone(),
                a.account.clone(),
                key::to_base32(&a.secret).to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Test1".into(),
                "test1@example1.com".into(),
                "JBSWY3DPEHPK3PXP".into()
            ),
            (
                "Test2".into(),
                "test2@example2.com".into(),
                "JBSWY3DPEHPK3PXQ".into()
            ),
            (
                "Test3".into(),
                "test3@example3.com".into(),
                "JBSWY3DPEHPK3PXR".into()
            ),
        ]
    );
}

#[test]
fn broken_files_are_refused_and_the_vault_is_unchanged() {
    let Some(fixtures) = fixtures() else { return };
    let v = TestVault::new();
    v.add(
        "Amazon",
        "N4OP SGLF 7HZP EQ3R 4ZZK SWUM Y6PR 5TDG N7LX P4X7 SA7Z 2ECH 47XA",
    );
    let before = v.bytes();
    let data = fixtures.join("extract_otp_secrets/tests_data");
    let aegis = fixtures.join("aegis/importers");
    let cases = [
        (
            data.join("test_export_wrong_data.txt"),
            "transfer data is not valid",
            2,
        ),
        (data.join("test_export_wrong_content.txt"), "no accounts", 2),
        (data.join("test_export_wrong_prefix.txt"), "no accounts", 2),
        (data.join("only_comments.txt"), "no accounts", 2),
        (data.join("empty_file.txt"), "empty", 2),
        (data.join("qr_but_without_otp.png"), "no accounts", 2),
        (
            data.join("text_masquerading_as_image.jpeg"),
            "no accounts",
            2,
        ),
        (aegis.join("aegis_encrypted.json"), "wrong password", 3),
        (
            aegis.join("2fas_authenticator_encrypted_v4.2fas"),
            "wrong password",
            3,
        ),
    ];
    for (path, message, exit) in cases {
        let mut cmd = v.command(&["import", path.to_str().unwrap()]);
        cmd.env("OTP_IMPORT_PASSPHRASE", "not the password");
        let out = run_with_stdin(cmd, None);
        assert_eq!(code(&out), exit, "{}: {}", path.display(), stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        assert_eq!(v.bytes(), before, "{} changed the vault", path.display());
    }
    // An empty password variable is named as such.
    let mut cmd = v.command(&[
        "import",
        aegis.join("aegis_encrypted.json").to_str().unwrap(),
    ]);
    cmd.env("OTP_IMPORT_PASSPHRASE", "");
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OTP_IMPORT_PASSPHRASE is empty"),
        "{}",
        stderr(&out)
    );
    // An encrypted export with no password to be had: says where to give it.
    let out = v.run(
        &[
            "import",
            aegis.join("aegis_encrypted.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OTP_IMPORT_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    assert_eq!(v.bytes(), before);
}

#[test]
fn import_by_cli_skips_known_secrets_and_reports() {
    let Some(fixtures) = fixtures() else { return };
    let v = TestVault::new();
    let plain = fixtures.join("aegis/importers/aegis_plain.json");
    let out = v.run(&["import", plain.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imported 7 accounts"),
        "{}",
        stderr(&out)
    );
    // The same accounts again, in another app's format: all skipped.
    let uris = fixtures.join("aegis/importers/plain.txt");
    let out = v.run(&["import", uris.to_str().unwrap()], None);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("imported 0 accounts"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stderr(&out).matches("skipped").count(),
        7,
        "{}",
        stderr(&out)
    );
    // Codes through the binary equal the vectors.
    for vector in vectors(&fixtures)
        .iter()
        .filter(|v| v["type"] == "totp" && v["issuer"] != "Battle.net")
    {
        let name = vector["issuer"].as_str().unwrap();
        for (time, want) in vector["codes_at_unix_time"].as_object().unwrap() {
            assert_eq!(
                v.code_at(name, time.parse().unwrap()),
                want.as_str().unwrap(),
                "{name} at {time}"
            );
        }
    }
    // HOTP: each code advances the counter.
    let wwe = vectors(&fixtures)
        .into_iter()
        .find(|v| v["issuer"] == "WWE")
        .unwrap();
    let codes: Vec<String> = wwe["codes_by_counter"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(v.code_at("WWE", 0), codes[0]);
    assert_eq!(v.code_at("WWE", 0), codes[1]);
}

#[test]
fn a_named_format_is_read_or_refused_as_that_format() {
    let Some(fixtures) = fixtures() else { return };
    let v = TestVault::new();
    let before = v.bytes();
    let aegis = fixtures.join("aegis/importers");
    let google = fixtures.join("extract_otp_secrets/example_export.txt");
    // Each file under a format it is not: refused, vault unchanged.
    for (path, format) in [
        (aegis.join("aegis_plain.json"), "2fas"),
        (aegis.join("2fas_authenticator_plain_v4.2fas"), "proton"),
        (aegis.join("plain.txt"), "google"),
        (google.clone(), "uri"),
        (aegis.join("plain.txt"), "aegis"),
    ] {
        let out = v.run(
            &["import", path.to_str().unwrap(), "--format", format],
            None,
        );
        assert_eq!(code(&out), EXIT_USAGE, "{format}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--format auto"),
            "{format}: {}",
            stderr(&out)
        );
        assert_eq!(v.bytes(), before);
    }
    // And under its own name, every format that --format offers.
    for (path, format) in [
        (
            fixtures.join("ente_auth/proton_authenticator_backup.json"),
            "proton",
        ),
        (aegis.join("aegis_plain.json"), "aegis"),
        (aegis.join("2fas_authenticator_plain_v3.2fas"), "2fas"),
        (google, "google"),
        (aegis.join("plain.txt"), "uri"),
    ] {
        let out = v.run(
            &["import", path.to_str().unwrap(), "--format", format],
            None,
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("imported"),
            "{format}: {}",
            stderr(&out)
        );
    }
    let out = v.run(&["import", "-", "--format", "lastpass"], Some("x"));
    assert_eq!(code(&out), EXIT_USAGE);
    assert!(stderr(&out).contains("proton"), "{}", stderr(&out));
}

/// How an app's file differs from the canonical vectors (SOURCES.md 1.1),
/// as the app stores them: what the vector must become before comparing.
#[derive(Clone, Debug)]
enum Stored {
    /// Every field as in the vector.
    Exactly,
    /// Authy keeps no algorithm or period: SHA1 and 30 s.
    Sha1Every30s,
    /// FreeOTP 1 and FreeOTP+ store the counter of the next code, one less.
    NextCounter,
    /// Google Authenticator's database keeps no algorithm, digits or
    /// period: SHA1, 6 digits, 30 s.
    GoogleDefaults,
    /// Microsoft Authenticator's database: TOTP SHA1, 6 digits, 30 s.
    MicrosoftTotp,
    /// Steam's files name the issuer Steam.
    SteamIssuer,
    /// TOTP Authenticator keeps no algorithm (SHA1) and lower-cases names.
    Sha1LowerName,
    /// Bitwarden's `steam://` key: Steam Guard, named by its item (not
    /// "Steam": a held-out export's "Ünïcödé Corp" lost its name so), no
    /// user name.
    BitwardenSteam(String),
    /// Duo keeps no issuer.
    NoIssuer,
}

/// The name of the item that holds the `steam://` key in a Bitwarden
/// export, read from the file itself (JSON, or CSV's `name` column).
fn bitwarden_steam_item(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    if let Ok(json) = serde_json::from_str::<Value>(&text) {
        return json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| {
                item.pointer("/login/totp")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("steam://"))
            })
            .and_then(|item| item["name"].as_str())
            .unwrap()
            .to_string();
    }
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "name").unwrap();
    let row = text.lines().find(|l| l.contains("steam://")).unwrap();
    row.split(',').nth(column).unwrap().to_string()
}

/// The vector as `stored` says the app keeps it; codes that no longer
/// apply (another algorithm or period) are dropped, the rest still checked.
fn as_stored(vector: &Value, stored: Stored) -> Value {
    let mut v = vector.clone();
    let changed_params = |v: &mut Value, algo: &str, digits: Option<u64>, period: Option<u64>| {
        let before = (v["algo"].clone(), v["digits"].clone(), v["period"].clone());
        v["algo"] = algo.into();
        if let Some(d) = digits {
            v["digits"] = d.into();
        }
        if let (Some(p), false) = (period, v["period"].is_null()) {
            v["period"] = p.into();
        }
        if before != (v["algo"].clone(), v["digits"].clone(), v["period"].clone()) {
            let o = v.as_object_mut().unwrap();
            o.remove("codes_at_unix_time");
            o.remove("codes_by_counter");
        }
    };
    match stored {
        Stored::Exactly => {}
        Stored::Sha1Every30s => changed_params(&mut v, "SHA1", None, Some(30)),
        Stored::NextCounter => {
            if let Some(c) = v["counter"].as_u64() {
                v["counter"] = (c - 1).into();
            }
        }
        Stored::GoogleDefaults => {
            let period = (v["type"] != "hotp").then_some(30);
            if v["type"] == "steam" {
                v["type"] = "totp".into();
            }
            changed_params(&mut v, "SHA1", Some(6), period)
        }
        Stored::MicrosoftTotp => {
            let was_hotp = v["type"] == "hotp";
            v["type"] = "totp".into();
            if was_hotp {
                let o = v.as_object_mut().unwrap();
                o.remove("counter");
                o.remove("codes_by_counter");
                o.insert("period".into(), 30.into());
            }
            changed_params(&mut v, "SHA1", Some(6), Some(30));
        }
        Stored::SteamIssuer => v["issuer"] = "Steam".into(),
        Stored::Sha1LowerName => {
            v["name"] = v["name"].as_str().unwrap().to_lowercase().into();
            changed_params(&mut v, "SHA1", None, None);
        }
        Stored::BitwardenSteam(item) => {
            v["issuer"] = item.into();
            v["name"] = "".into();
        }
        Stored::NoIssuer => v["issuer"] = "".into(),
    }
    v
}

/// A fixture: file, password, format if it must be named, the vectors it
/// holds by number (1-8), how the app stores them.
type Case = (
    &'static str,
    Option<&'static str>,
    Wanted,
    &'static [usize],
    Stored,
);

/// Every file of Aegis's importer tests that is not checked above: read
/// (with its password, and its format named only where it cannot be
/// detected), and every account checked, field by field and code by code,
/// against the vector of the same secret as the app stores it.
#[test]
fn every_importer_fixture_is_read_entry_by_entry() {
    let Some(fixtures) = fixtures() else { return };
    let vectors = vectors(&fixtures);
    let dir = fixtures.join("aegis/importers");
    use Stored::*;
    let cases: [Case; 28] = [
        (
            "andotp_plain.json",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "andotp_encrypted.bin",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "andotp_encrypted_old.bin",
            Some("test"),
            andotp(),
            &[1, 2, 3, 4, 5, 6],
            Exactly,
        ),
        (
            "authy_plain.xml",
            None,
            Wanted::Auto,
            &[1, 2, 3],
            Sha1Every30s,
        ),
        (
            "authy_encrypted.xml",
            Some("testtest"),
            Wanted::Auto,
            &[1, 2, 3],
            Sha1Every30s,
        ),
        (
            "authenticator_plus.zip",
            Some("testtesttest"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "battle_net_authenticator.xml",
            None,
            Wanted::Auto,
            &[8],
            Exactly,
        ),
        ("bitwarden.json", None, Wanted::Auto, &[1, 2, 3, 7], Exactly),
        ("bitwarden.csv", None, Wanted::Auto, &[1, 2, 3, 7], Exactly),
        ("duo.json", None, Wanted::Auto, &[1, 4], NoIssuer),
        ("steam.json", None, Wanted::Auto, &[7], SteamIssuer),
        ("steam_old.json", None, Wanted::Auto, &[7], SteamIssuer),
        (
            "freeotp.xml",
            None,
            Wanted::Auto,
            &[1, 3, 4, 6],
            NextCounter,
        ),
        (
            "freeotp_plus.json",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            NextCounter,
        ),
        (
            "freeotp_plus_internal.xml",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            NextCounter,
        ),
        (
            "freeotp_v2_api23.xml",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            Exactly,
        ),
        (
            "freeotp_v2_api25.xml",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            Exactly,
        ),
        (
            "freeotp_v2_api27.xml",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            Exactly,
        ),
        (
            "freeotp_v2_api34.xml",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            Exactly,
        ),
        (
            "freeotp_v2_null_algo.xml",
            Some("test"),
            Wanted::Auto,
            &[1],
            Exactly,
        ),
        (
            "google_authenticator.sqlite",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6],
            GoogleDefaults,
        ),
        (
            "microsoft_authenticator.sqlite",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            MicrosoftTotp,
        ),
        (
            "stratum_plain.json",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "stratum_encrypted.bin",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "stratum_encrypted_legacy.bin",
            Some("test"),
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "stratum_internal.db",
            None,
            Wanted::Auto,
            &[1, 2, 3, 4, 5, 6, 7],
            Exactly,
        ),
        (
            "totp_authenticator.bin",
            Some("Testtest1"),
            Wanted::Auto,
            &[1, 2, 3],
            Sha1LowerName,
        ),
        (
            "totp_authenticator_internal.xml",
            None,
            Wanted::Auto,
            &[1, 2, 3],
            Sha1LowerName,
        ),
    ];
    for (file, password, format, holds, stored) in cases.iter().cloned() {
        let accounts =
            read_as(&dir.join(file), password, format).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut found: Vec<usize> = Vec::new();
        for account in &accounts {
            let (index, vector) = vectors
                .iter()
                .enumerate()
                .find(|(_, v)| key::parse(v["secret"].as_str().unwrap()).unwrap() == account.secret)
                .unwrap_or_else(|| panic!("{file}: an account with an unknown secret"));
            let stored = match (file.starts_with("bitwarden"), account.params.kind) {
                (true, Kind::Steam) => BitwardenSteam(bitwarden_steam_item(&dir.join(file))),
                _ => stored.clone(),
            };
            let want = as_stored(vector, stored.clone());
            if matches!(stored, NoIssuer) && want["type"] == "hotp" {
                // Duo's counter is whatever its file says: read it apart.
                let text = std::fs::read_to_string(dir.join(file)).unwrap();
                let duo: Value = serde_json::from_str(&text).unwrap();
                let stored_counter = duo
                    .as_array()
                    .unwrap()
                    .iter()
                    .find_map(|a| a.pointer("/otpGenerator/counter"))
                    .and_then(Value::as_u64)
                    .unwrap();
                assert_eq!(account.params.counter, stored_counter, "{file}");
                let mut want = want;
                want["counter"] = stored_counter.into();
                want.as_object_mut().unwrap().remove("codes_by_counter");
                check_against_vector(account, &want, file);
            } else {
                check_against_vector(account, &want, file);
            }
            found.push(index + 1);
        }
        found.sort();
        assert_eq!(found, holds, "{file}");
    }
    // Every file of the folder is checked here or in the tests above.
    let elsewhere = [
        "aegis_plain.json",
        "aegis_encrypted.json",
        "plain.txt",
        "ente_auth.txt",
        "2fas_authenticator.json",
        "2fas_authenticator_plain.2fas",
        "2fas_authenticator_encrypted.2fas",
        "2fas_authenticator_plain_v3.2fas",
        "2fas_authenticator_encrypted_v3.2fas",
        "2fas_authenticator_plain_v4.2fas",
        "2fas_authenticator_encrypted_v4.2fas",
        "proton_authenticator.json",
    ];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            cases.iter().any(|c| c.0 == name) || elsewhere.contains(&name.as_str()),
            "{name} is read by no test"
        );
    }
}

/// extract_otp_secrets' own outputs (JSON, CSV, and CSV for KeePass) hold
/// the accounts of the Google transfer file they were made from: each is
/// read and gives the same accounts (KeePass's file splits them by kind).
#[test]
fn extract_otp_secrets_outputs_match_the_transfer_file() {
    let Some(fixtures) = fixtures() else { return };
    let dir = fixtures.join("extract_otp_secrets");
    let summary = |accounts: Vec<Account>| -> Vec<(String, String, String, Kind, u64)> {
        accounts
            .into_iter()
            .map(|a| {
                (
                    a.issuer,
                    a.account,
                    key::to_base32(&a.secret).to_string(),
                    a.params.kind,
                    a.params.counter,
                )
            })
            .collect()
    };
    let migration = summary(read(&dir.join("example_export.txt"), None).unwrap());
    assert_eq!(migration.len(), 6);
    for file in ["example_output.json", "example_output.csv"] {
        let got = summary(read(&dir.join(file), None).unwrap_or_else(|e| panic!("{file}: {e}")));
        assert_eq!(got, migration, "{file}");
    }
    let mut keepass = summary(read(&dir.join("example_keepass_output.totp.csv"), None).unwrap());
    keepass.extend(summary(
        read(&dir.join("example_keepass_output.hotp.csv"), None).unwrap(),
    ));
    let mut sorted = migration.clone();
    sorted.sort_by_key(|a| a.3 == Kind::Hotp);
    assert_eq!(keepass, sorted);
}

#[test]
fn wrong_passwords_are_told_apart_for_every_encrypted_format() {
    let Some(fixtures) = fixtures() else { return };
    let dir = fixtures.join("aegis/importers");
    for (file, format) in [
        ("andotp_encrypted.bin", Wanted::Auto),
        ("andotp_encrypted_old.bin", andotp()),
        ("authy_encrypted.xml", Wanted::Auto),
        ("authenticator_plus.zip", Wanted::Auto),
        ("freeotp_v2_api34.xml", Wanted::Auto),
        ("freeotp_v2_api23.xml", Wanted::Auto),
        ("stratum_encrypted.bin", Wanted::Auto),
        ("stratum_encrypted_legacy.bin", Wanted::Auto),
        ("totp_authenticator.bin", Wanted::Auto),
    ] {
        let err = read_as(&dir.join(file), Some("not the password"), format).unwrap_err();
        assert_eq!(
            err,
            ImportError::Format(otpvault::formats::FormatError::WrongPassword),
            "{file}"
        );
    }
}
