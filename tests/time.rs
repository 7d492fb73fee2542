//! `otp time` against a fake SNTP server on loopback that answers with a
//! chosen offset, a malformed reply, or nothing; and `OTP_TIME_OFFSET`.
// Without time-sync, only the offset test runs; the fake server is unused.
#![cfg_attr(not(feature = "time-sync"), allow(dead_code, unused_imports))]

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;

/// Seconds from 1900 (NTP's epoch) to 1970.
const NTP_UNIX: u64 = 2_208_988_800;
const EXIT_CLOCK_OFF: i32 = 10;

enum Answer {
    /// A good reply whose time is this many seconds from ours.
    Offset(f64),
    /// Twelve bytes of nothing.
    Malformed,
    /// No reply at all.
    Silent,
}

/// An NTP timestamp (seconds since 1900, 32.32 fixed point) of `unix`
/// seconds.
fn ntp_timestamp(unix: f64) -> [u8; 8] {
    let seconds = unix.floor();
    let fraction = ((unix - seconds) * 4_294_967_296.0) as u32;
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&((seconds as u64 + NTP_UNIX) as u32).to_be_bytes());
    out[4..].copy_from_slice(&fraction.to_be_bytes());
    out
}

/// A fake server on loopback that answers one request as told.
fn fake_server(answer: Answer) -> (SocketAddr, JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let handle = std::thread::spawn(move || {
        let mut request = [0u8; 48];
        let Ok((len, from)) = socket.recv_from(&mut request) else {
            return;
        };
        assert_eq!(len, 48, "an SNTP request is 48 bytes");
        let reply = match answer {
            Answer::Silent => {
                // Hold the socket until the client gives up.
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
            Answer::Malformed => vec![0x24; 12],
            Answer::Offset(offset) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs_f64()
                    + offset;
                let mut p = vec![0u8; 48];
                p[0] = 0x24; // no leap warning, version 4, mode 4 (server)
                p[1] = 2; // stratum 2
                p[2] = 4; // poll
                p[3] = 0xec; // precision 2^-20
                p[12..16].copy_from_slice(b"TEST");
                p[16..24].copy_from_slice(&ntp_timestamp(now - 1.0)); // reference
                p[24..32].copy_from_slice(&request[40..48]); // originate
                p[32..40].copy_from_slice(&ntp_timestamp(now)); // receive
                p[40..48].copy_from_slice(&ntp_timestamp(now)); // transmit
                p
            }
        };
        socket.send_to(&reply, from).unwrap();
    });
    (addr, handle)
}

fn otp_time(server: SocketAddr, json: bool) -> std::process::Output {
    let mut cmd = otp_command();
    cmd.args(["time", "--server", &server.to_string()]);
    if json {
        cmd.arg("--json");
    }
    run_with_stdin(cmd, None)
}

fn offset_of(out: &std::process::Output) -> f64 {
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    report["offset_seconds"].as_f64().unwrap()
}

#[test]
#[cfg(feature = "time-sync")]
fn a_clock_on_time_is_said_to_be_and_exits_0() {
    let (server, handle) = fake_server(Answer::Offset(0.0));
    let out = otp_time(server, true);
    handle.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(offset_of(&out).abs() < 0.5, "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["server"], server.to_string());
    assert!(stderr(&out).contains("within 5 s"), "{}", stderr(&out));
}

#[test]
#[cfg(feature = "time-sync")]
fn a_clock_behind_or_ahead_gets_its_own_exit_code_and_advice() {
    for (offset, word) in [(42.0, "behind"), (-90.0, "ahead of")] {
        let (server, handle) = fake_server(Answer::Offset(offset));
        let out = otp_time(server, true);
        handle.join().unwrap();
        assert_eq!(code(&out), EXIT_CLOCK_OFF, "{}", stderr(&out));
        let measured = offset_of(&out);
        assert!((measured - offset).abs() < 0.5, "{measured} for {offset}");
        let message = stderr(&out);
        assert!(
            message.contains(&format!("{:.1} s {word}", f64::abs(offset)))
                && message.contains("timedatectl set-ntp true")
                && message.contains("OTP_TIME_OFFSET"),
            "{message}"
        );
        // The human form says the same, in a sentence, rounded to a tenth
        // of a second (a loaded machine measures 41.999 s as 42.0 s).
        let (server, handle) = fake_server(Answer::Offset(offset));
        let out = otp_time(server, false);
        handle.join().unwrap();
        assert_eq!(code(&out), EXIT_CLOCK_OFF);
        assert_eq!(
            stdout(&out),
            format!("This clock is {:.1} s {word} {server}.\n", f64::abs(offset)),
        );
    }
}

#[test]
#[cfg(feature = "time-sync")]
fn a_right_clock_with_a_wrong_offset_blames_the_offset() {
    let (server, handle) = fake_server(Answer::Offset(0.0));
    let mut cmd = otp_command();
    cmd.env("OTP_TIME_OFFSET", "30")
        .args(["time", "--server", &server.to_string()]);
    let out = run_with_stdin(cmd, None);
    handle.join().unwrap();
    assert_eq!(code(&out), EXIT_CLOCK_OFF, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("this clock is right")
            && message.contains("OTP_TIME_OFFSET (+30 s) moves codes away")
            && message.contains("unset OTP_TIME_OFFSET"),
        "{message}"
    );
    assert!(!message.contains("OTP_TIME_OFFSET=0"), "{message}");
    assert_eq!(
        stdout(&out),
        format!("This clock agrees with {server} to within a tenth of a second.\n")
    );

    // A clock off, and an offset that does not make up for it: both said.
    let (server, handle) = fake_server(Answer::Offset(42.0));
    let mut cmd = otp_command();
    cmd.env("OTP_TIME_OFFSET", "10")
        .args(["time", "--server", &server.to_string()]);
    let out = run_with_stdin(cmd, None);
    handle.join().unwrap();
    assert_eq!(code(&out), EXIT_CLOCK_OFF, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("42.0 s behind")
            && stderr(&out).contains("(+10 s) does not make up for it")
            && stderr(&out).contains("OTP_TIME_OFFSET=42"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[cfg(feature = "time-sync")]
fn five_seconds_either_way_is_within_tolerance() {
    for offset in [5.0, -5.0] {
        let (server, handle) = fake_server(Answer::Offset(offset));
        let out = otp_time(server, false);
        handle.join().unwrap();
        assert_eq!(code(&out), 0, "{offset}: {}", stderr(&out));
    }
    for offset in [5.3, -5.3] {
        let (server, handle) = fake_server(Answer::Offset(offset));
        let out = otp_time(server, false);
        handle.join().unwrap();
        assert_eq!(code(&out), EXIT_CLOCK_OFF, "{offset}: {}", stderr(&out));
    }
}

#[test]
#[cfg(feature = "time-sync")]
fn an_unreachable_server_is_said_to_be() {
    // A name that no resolver answers for (RFC 2606's .invalid).
    let mut cmd = otp_command();
    cmd.args(["time", "--server", "time.otpvault-test.invalid"]);
    let out = run_with_stdin(cmd, None);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("could not be reached"),
        "{}",
        stderr(&out)
    );
}

#[test]
#[cfg(feature = "time-sync")]
fn a_malformed_reply_or_none_is_a_failure_within_the_timeout() {
    let (server, handle) = fake_server(Answer::Malformed);
    let out = otp_time(server, false);
    handle.join().unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a valid SNTP reply"),
        "{}",
        stderr(&out)
    );

    let (server, _handle) = fake_server(Answer::Silent);
    let start = Instant::now();
    let out = otp_time(server, false);
    let took = start.elapsed();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no answer"), "{}", stderr(&out));
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
#[cfg(feature = "time-sync")]
fn the_config_file_names_the_server() {
    let (server, handle) = fake_server(Answer::Offset(0.0));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("otpvault")).unwrap();
    let file = dir.path().join("otpvault/config.toml");
    std::fs::write(&file, format!("ntp_server = \"{server}\"\n")).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut cmd = otp_command();
    cmd.env("XDG_CONFIG_HOME", dir.path()).args(["time", "-j"]);
    let out = run_with_stdin(cmd, None);
    handle.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains(&server.to_string()));
}

#[test]
fn a_time_offset_shifts_every_code_and_says_so() {
    let v = TestVault::new();
    v.add("Amazon", &key_for("Amazon"));
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    for offset in [90i64, -120] {
        let before = now();
        let mut cmd = v.command(&["code", "amazon"]);
        cmd.env("OTP_TIME_OFFSET", offset.to_string());
        let out = run_with_stdin(cmd, None);
        let after = now();
        assert!(out.status.success(), "{}", stderr(&out));
        let shifted = |t: u64| v.code_at("Amazon", t.saturating_add_signed(offset));
        let code = stdout(&out).trim().to_string();
        assert!(
            code == shifted(before) || code == shifted(after),
            "{code} is not the code {offset} s away"
        );
        assert_ne!(code, v.code_at("Amazon", before), "shifted a whole period");
        assert!(
            stderr(&out).contains(&format!("{offset:+} s (OTP_TIME_OFFSET)")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
#[cfg(feature = "time-sync")]
fn a_clock_corrected_by_the_offset_is_on_time() {
    let (server, handle) = fake_server(Answer::Offset(42.0));
    let mut cmd = otp_command();
    cmd.env("OTP_TIME_OFFSET", "42")
        .args(["time", "--server", &server.to_string()]);
    let out = run_with_stdin(cmd, None);
    handle.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("with OTP_TIME_OFFSET (+42 s)"),
        "{}",
        stderr(&out)
    );
}
