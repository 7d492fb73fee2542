//! Where `otp` takes its settings from besides its flags: the environment
//! variables (listed in the long help and the manual page) and the config
//! file (`otp config path`).

use super::Failure;
use otpvault::terminal::ShownPath;

/// Every environment variable `otp` reads, with its meaning: the long help
/// and the README list them all (a test checks both against the source).
pub const ENVIRONMENT: [(&str, &str); 17] = [
    ("OTP_VAULT", "the vault file (--vault)"),
    (
        "OTP_PASSPHRASE_FILE",
        "a file that holds the passphrase (--passphrase-file)",
    ),
    (
        "OTP_PASSPHRASE_COMMAND",
        "a command that prints the passphrase (--passphrase-command)",
    ),
    (
        "OTP_PASSPHRASE_COMMAND_TIMEOUT",
        "seconds before that command is stopped (default 120)",
    ),
    (
        "OTP_PASSPHRASE",
        "the passphrase itself (a file or a command is safer: other programs of yours can read a process's environment)",
    ),
    (
        "OTP_NEW_PASSPHRASE",
        "the passphrase of a new vault, or the new one for `otp passwd` and `otp recover`, instead of typing it twice",
    ),
    (
        "OTP_IMPORT_PASSPHRASE",
        "the password of an encrypted export being imported",
    ),
    (
        "OTP_EXPORT_PASSPHRASE",
        "the password of an encrypted export being written",
    ),
    (
        "OTP_MERGE_PASSPHRASE",
        "the passphrase of a copy being merged, when it is not the vault's",
    ),
    ("OTP_RECOVERY_KEY", "the recovery key, for `otp recover`"),
    (
        "OTP_WEAK_PASSPHRASE",
        "1: accept a new passphrase one GPU would guess within a year (--weak-passphrase; throwaway vaults only)",
    ),
    (
        "OTP_KEEP_BACKUPS",
        "how many earlier versions each change keeps (--keep-backups, default 10)",
    ),
    (
        "OTP_LOCK_TIMEOUT",
        "seconds a change waits for another otp's change (--lock-timeout, default 10)",
    ),
    (
        "OTP_UNLOCK_TIMEOUT",
        "how long `otp unlock` keeps an unused vault unlocked (default 15m)",
    ),
    (
        "OTP_CLIPBOARD_SECONDS",
        "seconds before a copied code is cleared (--clipboard-seconds, default 30)",
    ),
    (
        "OTP_TIME_OFFSET",
        "seconds added to this clock for codes, when it cannot be fixed (--time-offset; `otp time` measures it)",
    ),
    ("NO_COLOR", "set: no colours in `otp watch`"),
];

/// The end of `otp --help`: the environment variables and the config file.
pub fn environment_help() -> String {
    let width = ENVIRONMENT
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from("Environment:\n");
    for (name, meaning) in ENVIRONMENT {
        text.push_str(&format!("  {name:<width$}  {meaning}\n"));
    }
    text.push_str(
        "\nConfig file: `otp config path` says where; it may set vault, passphrase_command,\n\
         passphrase_command_timeout, keep_backups, lock_timeout, clipboard_seconds,\n\
         unlock_timeout, time_offset and ntp_server. A flag beats the environment,\n\
         which beats the config file.",
    );
    text
}

/// `otp config path`: where the config file is looked for, and whether
/// it is there.
pub fn config_path() -> Result<(), Failure> {
    let Some(path) = otpvault::config::path() else {
        return Err(otpvault::config::ConfigError::NoHome.into());
    };
    out!("{}", ShownPath(&path))?;
    if !path.exists() {
        note!("otp: there is no config file yet; create it to set defaults (see `otp --help`)");
    }
    Ok(())
}
