//! Accounts out and back in: export in every format, import into a fresh
//! vault, same codes; QR codes from another library and from screenshots.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const AMAZON_KEY: &str = "N4OP SGLF 7HZP EQ3R 4ZZK SWUM Y6PR 5TDG N7LX P4X7 SA7Z 2ECH 47XA";

/// A vault with one entry of every kind and unusual parameters.
fn varied_vault() -> TestVault {
    let v = TestVault::new();
    v.add("Amazon", AMAZON_KEY);
    for (name, uri) in [
        (
            "GitHub",
            "otpauth://totp/GitHub:octocat%40example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=GitHub&algorithm=SHA256&digits=8",
        ),
        (
            "Bank",
            "otpauth://hotp/Bank:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bank&counter=5",
        ),
        (
            "Slow",
            "otpauth://totp/Slow:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Slow&period=60&algorithm=SHA512",
        ),
        (
            "Steam",
            "otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Steam&digits=5",
        ),
    ] {
        let out = v.run(&["add", name], Some(uri));
        assert!(out.status.success(), "{uri}: {}", stderr(&out));
    }
    v
}

/// Every entry's fields and code at a fixed time, sorted by issuer. Names
/// are left out (an import chooses its own), and so is an empty account
/// (exports fill it with the name, as phone apps need one).
fn codes(v: &TestVault) -> Vec<Value> {
    let out = v.run(&["code", "--json", "--at", "1700000000"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut items: Vec<Value> = serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    for item in items.iter_mut().map(|i| i.as_object_mut().unwrap()) {
        let name = item.remove("name").unwrap();
        if item["account"] == "" || item["account"] == name {
            item.remove("account");
        }
    }
    items.sort_by_key(|i| i["issuer"].as_str().unwrap().to_string());
    items
}

fn export(v: &TestVault, args: &[&str]) -> std::process::Output {
    let mut cmd = v.command(&[&["export"], args].concat());
    cmd.env("OTP_EXPORT_PASSPHRASE", "export password");
    run_with_stdin(cmd, None)
}

fn import(v: &TestVault, path: &Path) {
    let mut cmd = v.command(&["import", path.to_str().unwrap()]);
    cmd.env("OTP_IMPORT_PASSPHRASE", "export password");
    let out = run_with_stdin(cmd, None);
    assert!(
        out.status.success(),
        "import {}: {}",
        path.display(),
        stderr(&out)
    );
}

#[test]
fn uri_export_round_trips_every_kind() {
    let v = varied_vault();
    let out = export(&v, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 5);
    let file = v.dir.path().join("uris.txt");
    std::fs::write(&file, &out.stdout).unwrap();
    let fresh = TestVault::new();
    import(&fresh, &file);
    assert_eq!(codes(&fresh), codes(&v));
    let github = codes(&fresh)
        .into_iter()
        .find(|c| c["issuer"] == "GitHub")
        .unwrap();
    assert_eq!(github["account"], "octocat@example.com");
}

#[test]
#[cfg(feature = "encrypted-files")]
fn aegis_export_round_trips_and_is_encrypted() {
    let v = varied_vault();
    let file = v.dir.path().join("aegis.json");
    let out = export(
        &v,
        &["--format", "aegis", "--output", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("HXDMVJEC") && !text.contains("GitHub"),
        "the Aegis export must be encrypted"
    );
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["header"]["slots"][0]["type"], 1);
    let fresh = TestVault::new();
    import(&fresh, &file);
    assert_eq!(codes(&fresh), codes(&v));
    // A wrong password is refused.
    let mut cmd = fresh.command(&["import", file.to_str().unwrap()]);
    cmd.env("OTP_IMPORT_PASSPHRASE", "wrong");
    assert_eq!(code(&run_with_stdin(cmd, None)), 3);
}

#[test]
fn google_export_round_trips_what_google_can_hold() {
    let v = varied_vault();
    let out = export(&v, &["--format", "google"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Steam and 60-second codes do not fit Google Authenticator.
    assert!(stderr(&out).contains("left out Steam"), "{}", stderr(&out));
    assert!(stderr(&out).contains("left out Slow"), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .all(|l| l.starts_with("otpauth-migration://offline?data=")),
        "{text}"
    );
    let file = v.dir.path().join("google.txt");
    std::fs::write(&file, &text).unwrap();
    let fresh = TestVault::new();
    import(&fresh, &file);
    let expected: Vec<Value> = codes(&v)
        .into_iter()
        .filter(|c| c["issuer"] != "Steam" && c["issuer"] != "Slow")
        .collect();
    assert_eq!(codes(&fresh), expected);
}

#[test]
#[cfg(all(feature = "qr", feature = "qr-read"))]
fn google_export_as_png_files_scans_back() {
    let v = TestVault::new();
    // More accounts than fit one code, so the export is split in batches.
    for i in 0..11 {
        let secret = otpvault::Secret::new(vec![i as u8 + 1; 20]);
        let out = v.run(
            &["add", &format!("Site{i:02}")],
            Some(&otpvault::key::to_base32(&secret)),
        );
        assert!(out.status.success());
    }
    let prefix = v.dir.path().join("transfer.png");
    let out = export(
        &v,
        &[
            "--format",
            "google",
            "--qr",
            "--output",
            prefix.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("UNENCRYPTED"), "{}", stderr(&out));
    let fresh = TestVault::new();
    let mut n = 0;
    loop {
        let png = v.dir.path().join(format!("transfer-{}.png", n + 1));
        if !png.exists() {
            break;
        }
        n += 1;
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&png).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        import(&fresh, &png);
    }
    assert!(n >= 2, "{n} codes");
    assert_eq!(codes(&fresh), codes(&v));
}

#[test]
#[cfg(feature = "qr")]
fn show_gives_a_uri_another_vault_accepts() {
    let v = varied_vault();
    let out = v.run(&["show", "GitHub", "--uri"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let uri = stdout(&out);
    let fresh = TestVault::new();
    let added = fresh.run(&["add", "GitHub"], Some(&uri));
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(fresh.code_at("GitHub", 59), v.code_at("GitHub", 59));

    let out = v.run(&["show", "GitHub", "--qr"], None);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains('█') || stdout(&out).contains('▀'),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        code(&v.run(&["show", "GitHub"], None)),
        2,
        "--uri or --qr is required"
    );
}

/// Writes `uri` as a PNG QR code with segno, another QR library, or None
/// (reported as missing) if Python's segno is not installed.
#[cfg(feature = "qr-read")]
fn segno_png(uri: &str, path: &Path, scale: u32, border: u32) -> Option<()> {
    if !have_python(&["segno"]) {
        return None;
    }
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import segno, sys; segno.make(sys.argv[1], error='m', micro=False).save(sys.argv[2], scale=int(sys.argv[3]), border=int(sys.argv[4]))",
            uri,
            path.to_str().unwrap(),
            &scale.to_string(),
            &border.to_string(),
        ])
        .stderr(std::process::Stdio::null())
        .status();
    assert!(matches!(status, Ok(s) if s.success()), "segno failed");
    Some(())
}

#[test]
#[cfg(feature = "qr-read")]
fn add_reads_qr_codes_drawn_by_another_library() {
    let uri = "otpauth://totp/Amazon%3Auser%40example.com?secret=N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA&issuer=Amazon";
    let reference = TestVault::new();
    reference.add("Amazon", AMAZON_KEY);
    // A tight code, and a small code in a large page (a whole-page screenshot).
    for (i, (scale, border)) in [(6, 4), (2, 300)].into_iter().enumerate() {
        // A vault each: the picture holds the same account.
        let v = TestVault::new();
        let png = v.dir.path().join(format!("qr{i}.png"));
        if segno_png(uri, &png, scale, border).is_none() {
            return;
        }
        let name = format!("Amazon{i}");
        let out = v.run(&["add", &name, "--qr", png.to_str().unwrap()], None);
        assert!(out.status.success(), "{}: {}", png.display(), stderr(&out));
        assert_eq!(
            v.code_at(&name, 1_700_000_000),
            reference.code_at("Amazon", 1_700_000_000)
        );
    }
}

#[test]
#[cfg(all(feature = "qr", feature = "qr-read"))]
fn add_reads_a_jpeg_screenshot_with_a_small_qr_code() {
    // Draw our own PNG code into a 1600x1000 grey "page", save it as JPEG.
    let uri = "otpauth://totp/Amazon:me?secret=N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA&issuer=Amazon";
    let png = otpvault::qr::to_png(uri).unwrap();
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut code = vec![0; decoder.output_buffer_size().unwrap()];
    let info = decoder.next_frame(&mut code).unwrap();
    let (w, h) = (1600usize, 1000usize);
    let mut page = vec![230u8; w * h];
    let (cw, ch) = (info.width as usize, info.height as usize);
    // Halve the code (every other pixel), place it off-centre.
    for y in 0..ch / 2 {
        for x in 0..cw / 2 {
            page[(600 + y) * w + 1100 + x] = code[(2 * y) * cw + 2 * x];
        }
    }
    let v = TestVault::new();
    let jpeg = v.dir.path().join("screenshot.jpg");
    jpeg_encoder::Encoder::new_file(&jpeg, 85)
        .unwrap()
        .encode(&page, w as u16, h as u16, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let out = v.run(&["add", "Amazon", "--qr", jpeg.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = TestVault::new();
    reference.add("Amazon", AMAZON_KEY);
    assert_eq!(v.code_at("Amazon", 59), reference.code_at("Amazon", 59));
}

#[test]
#[cfg(all(feature = "qr", feature = "qr-read"))]
fn add_qr_refuses_images_without_an_account() {
    let v = TestVault::new();
    let not_image = v.dir.path().join("notes.png");
    std::fs::write(&not_image, "hello").unwrap();
    let out = v.run(&["add", "X", "--qr", not_image.to_str().unwrap()], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a PNG or JPEG"),
        "{}",
        stderr(&out)
    );
    let blank = v.dir.path().join("blank.png");
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 64, 64);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .unwrap()
            .write_image_data(&[255; 64 * 64])
            .unwrap();
    }
    std::fs::write(&blank, bytes).unwrap();
    let out = v.run(&["add", "X", "--qr", blank.to_str().unwrap()], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("no QR code"), "{}", stderr(&out));
}

#[test]
fn an_account_without_an_issuer_is_exported_without_one() {
    let v = TestVault::new();
    let out = v.run(
        &["import", "-"],
        Some("otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.run(&["show", "pi@raspberrypi", "--uri"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let uri = stdout(&out);
    assert!(!uri.contains("issuer"), "{uri}");
    assert!(uri.starts_with("otpauth://totp/pi%40raspberrypi?"), "{uri}");
    let out = v.run(&["export", "--format", "uri"], None);
    assert!(!stdout(&out).contains("issuer"), "{}", stdout(&out));
}

#[test]
fn adding_a_steam_uri_prints_its_code_like_any_add() {
    let v = TestVault::new();
    let out = v.run(
        &["add", "Steam"],
        Some("otpauth://steam/Steam:gamer?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Steam"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    let code = line.split_whitespace().next().unwrap_or_default();
    assert_eq!(code.len(), 5, "{line}");
    assert!(
        stderr(&out).contains("type this code into Steam"),
        "{}",
        stderr(&out)
    );
}
