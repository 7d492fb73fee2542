//! A vault unlocked in an agent of its own, for the agent's tests.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::*;

/// A vault with an entry, and a runtime folder for its agent; locks the
/// agent when dropped, so that no test leaves one behind.
pub struct Unlockable {
    pub v: TestVault,
    pub runtime: tempfile::TempDir,
}

impl Unlockable {
    pub fn new() -> Unlockable {
        let v = TestVault::new();
        v.add("Amazon", &key_for("Amazon"));
        let runtime = tempfile::tempdir().unwrap();
        std::fs::set_permissions(runtime.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Unlockable { v, runtime }
    }

    /// `otp` with no passphrase source at all, and this test's runtime folder.
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut cmd = self.v.command(args);
        cmd.env_remove("OTP_PASSPHRASE")
            .env("XDG_RUNTIME_DIR", self.runtime.path());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run_with_stdin(self.bare(args), None)
    }

    pub fn unlock(&self, args: &[&str]) -> Output {
        let mut cmd = self.bare(&[&["unlock"], args].concat());
        cmd.env("OTP_PASSPHRASE", PASSPHRASE);
        run_with_stdin(cmd, None)
    }

    /// The code at a fixed time with no passphrase: through the agent.
    pub fn code(&self) -> Output {
        self.run(&["code", "Amazon", "--at", "59"])
    }
}

impl Drop for Unlockable {
    fn drop(&mut self) {
        let _ = self.run(&["lock"]);
    }
}

/// The runtime folder's `otpvault` subfolder, as the agent makes it.
pub fn socket_dir(u: &Unlockable) -> PathBuf {
    u.runtime.path().join("otpvault")
}

/// The agent's socket in [`socket_dir`], once `otp unlock` made it.
pub fn socket_of(u: &Unlockable) -> PathBuf {
    std::fs::read_dir(socket_dir(u))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "sock"))
        .expect("no agent socket")
}

/// `otp status --json`, read.
pub fn status_of(u: &Unlockable) -> serde_json::Value {
    let out = u.run(&["status", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}
