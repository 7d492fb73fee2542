//! KeePassXC's own CSV export, made by the real keepassxc-cli from a
//! database this test builds: 0.2 refused it as holding no accounts.

mod common;

use std::process::Command;

use common::*;

const KEY: &str = "JBSWY3DPEHPK3PXP";

/// A KeePass XML database of one login with a TOTP and one without.
const XML: &str = r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
  <Meta><Generator>otpvault test</Generator><DatabaseName>t</DatabaseName></Meta>
  <Root>
    <Group>
      <UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID>
      <Name>Root</Name>
      <Entry>
        <UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID>
        <String><Key>Title</Key><Value>Amazon</Value></String>
        <String><Key>UserName</Key><Value>me@example.com</Value></String>
        <String><Key>URL</Key><Value>https://www.amazon.co.jp/ap/signin</Value></String>
        <String><Key>otp</Key><Value>otpauth://totp/Amazon:me%40example.com?secret=JBSWY3DPEHPK3PXP&amp;period=30&amp;digits=8&amp;issuer=Amazon</Value></String>
      </Entry>
      <Entry>
        <UUID>AAAAAAAAAAAAAAAAAAAAAg==</UUID>
        <String><Key>Title</Key><Value>No code</Value></String>
        <String><Key>UserName</Key><Value>x</Value></String>
      </Entry>
    </Group>
  </Root>
</KeePassFile>
"#;

#[test]
fn keepassxcs_csv_export_is_read() {
    if !have_tool("keepassxc-cli") {
        return;
    }
    let v = TestVault::new();
    let dir = v.dir.path();
    std::fs::write(dir.join("db.xml"), XML).unwrap();
    let db = dir.join("db.kdbx");
    let mut import = Command::new("keepassxc-cli");
    import
        .args(["import", "-p"])
        .arg(dir.join("db.xml"))
        .arg(&db);
    let out = run_with_stdin(import, Some("db password\ndb password\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let mut export = Command::new("keepassxc-cli");
    export.args(["export", "-q", "-f", "csv"]).arg(&db);
    let out = run_with_stdin(export, Some("db password\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = dir.join("export.csv");
    std::fs::write(&csv, &out.stdout).unwrap();

    let out = v.run(&["import", csv.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.run(&["list", "--json"], None);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{list}");
    assert_eq!(entries[0]["issuer"], "Amazon");
    assert_eq!(entries[0]["account"], "me@example.com");
    assert_eq!(entries[0]["sites"], serde_json::json!(["amazon.co.jp"]));
    // Its code is the code of the key at 8 digits.
    let other = TestVault::new();
    let out = other.run(&["add", "Amazon", "--digits", "8"], Some(KEY));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v.code_at("amazon", 59), other.code_at("amazon", 59));
}
