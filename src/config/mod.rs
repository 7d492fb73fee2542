//! The config file: what people would otherwise put in their shell's
//! startup file, read from `$XDG_CONFIG_HOME/otpvault/config.toml`
//! (`~/.config/otpvault/config.toml` by default).
//!
//! ```toml
//! vault = "~/Sync/otp/vault.otpvault"
//! passphrase_command = "pass show otpvault"
//! keep_backups = 20
//! clipboard_seconds = 20
//! unlock_timeout = "30m"
//! time_offset = 0
//! ntp_server = "pool.ntp.org"
//! ```
//!
//! A flag beats the environment, which beats the file, which beats the
//! default ([`Config::or`]). A key the file may not have, or a value of the
//! wrong kind, is an error naming the file, the line and the key, never a
//! silent default: a typo in `vault` must not send writes elsewhere. The
//! file can name a command that is run for the passphrase, so one that
//! another user could write is refused, as ssh refuses such a config.

use crate::error::{ErrorKind, Kinded};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::vault::{Settings, backups, store};

pub mod base;
mod expand;
mod lines;
pub mod number;

use expand::expand;
use lines::{line_at, line_of_key};
pub use number::{Number, NumberError, Source, Value};

/// Every setting, each unset unless given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub vault: Option<PathBuf>,
    pub passphrase_command: Option<String>,
    pub passphrase_command_timeout: Option<Duration>,
    pub keep_backups: Option<usize>,
    pub lock_timeout: Option<Duration>,
    pub clipboard_seconds: Option<Duration>,
    pub unlock_timeout: Option<Duration>,
    /// Seconds added to the clock for codes (`OTP_TIME_OFFSET`).
    pub time_offset: Option<i64>,
    /// The NTP server `otp time` asks.
    pub time_server: Option<String>,
}

/// The keys a config file may hold that are not numbers ([`Number`]),
/// with the kind of value each takes.
const KEYS: [(&str, &str); 3] = [
    ("vault", "a path"),
    ("passphrase_command", "a shell command"),
    ("ntp_server", "a host name, or host:port"),
];

/// Larger than a config file needs to be.
const MAX_LEN: u64 = 64 * 1024;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot find your home directory: give the vault's path with --vault or OTP_VAULT")]
    NoHome,
    #[error("cannot read the config file {shown_path}: {source}", shown_path = crate::terminal::ShownPath(.path))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {shown_path0} is larger than 64 KiB: it is not a config file", shown_path0 = crate::terminal::ShownPath(.0))]
    TooLarge(PathBuf),
    #[error("the config file {shown_path0} can be changed by other users, and it can name a command to run: make it yours alone (chmod go-w)", shown_path0 = crate::terminal::ShownPath(.0))]
    Writable(PathBuf),
    #[error("the config file {shown_path0} belongs to another user, and it can name a command to run: use a file of your own", shown_path0 = crate::terminal::ShownPath(.0))]
    Owner(PathBuf),
    #[error("the config file {shown_path}, line {line}: not valid TOML: write `key = value` lines", shown_path = crate::terminal::ShownPath(.path))]
    Syntax { path: PathBuf, line: usize },
    #[error("the config file {shown_path}, line {line}: unknown key `{key}`: the keys are vault, passphrase_command, passphrase_command_timeout, keep_backups, lock_timeout, clipboard_seconds, unlock_timeout, time_offset, ntp_server", shown_path = crate::terminal::ShownPath(.path))]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
    },
    #[error("the config file {shown_path}, line {line}: `vault` names the variable ${var}, which is not set: set it, or write the path out", shown_path = crate::terminal::ShownPath(.path))]
    UnsetVariable {
        path: PathBuf,
        line: usize,
        var: String,
    },
    #[error(transparent)]
    Number(#[from] NumberError),
    #[error("the config file {shown_path}, line {line}: `{key}` takes {expected}", shown_path = crate::terminal::ShownPath(.path))]
    BadValue {
        path: PathBuf,
        line: usize,
        key: String,
        expected: &'static str,
    },
}

/// The vault when none is named: `$XDG_DATA_HOME/otpvault/vault.otpvault`
/// (`~/.local/share/…` by default), on every system, as command-line tools
/// such as git and gh do.
pub fn default_vault() -> Result<PathBuf, ConfigError> {
    base::data()
        .map(|dir| dir.join("otpvault").join("vault.otpvault"))
        .ok_or(ConfigError::NoHome)
}

/// Where the config file is looked for, if the user has a home:
/// `$XDG_CONFIG_HOME/otpvault/config.toml` (`~/.config/…` by default).
pub fn path() -> Option<PathBuf> {
    base::config().map(|dir| dir.join("otpvault").join("config.toml"))
}

impl Config {
    /// Reads the config file at `path`; no file is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let read = |source| ConfigError::Read {
            path: path.into(),
            source,
        };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(read(e)),
        };
        let meta = file.metadata().map_err(read)?;
        if meta.mode() & 0o022 != 0 {
            return Err(ConfigError::Writable(path.into()));
        }
        if meta.uid() != rustix::process::getuid().as_raw() {
            return Err(ConfigError::Owner(path.into()));
        }
        // Read through the handle whose owner and mode were checked.
        let mut text = String::new();
        std::io::Read::take(file, MAX_LEN + 1)
            .read_to_string(&mut text)
            .map_err(read)?;
        if text.len() as u64 > MAX_LEN {
            return Err(ConfigError::TooLarge(path.into()));
        }
        Config::parse(&text, path)
    }

    /// Reads a config file's text; `path` is for the messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: path.into(),
                    line: e.span().map_or(1, |span| line_at(text, span.start)),
                })?;
        let mut config = Config::default();
        for (key, value) in &table {
            let line = line_of_key(text, key);
            let expected = KEYS
                .iter()
                .find(|(k, _)| k == key)
                .map_or("", |&(_, expected)| expected);
            let bad = || ConfigError::BadValue {
                path: path.into(),
                line,
                key: key.clone(),
                expected,
            };
            if let Some(number) = Number::setting(key) {
                let source = Source::File {
                    path: path.into(),
                    line,
                };
                let read = match value {
                    toml::Value::Integer(n) => number.read_integer(*n, source),
                    toml::Value::String(text) => number.read(text, source),
                    _ => Err(NumberError {
                        number,
                        from: source,
                    }),
                };
                config.set(number, read?);
                continue;
            }
            match key.as_str() {
                "vault" => {
                    let text = value.as_str().filter(|s| !s.is_empty()).ok_or_else(bad)?;
                    let expanded = expand(text).map_err(|var| ConfigError::UnsetVariable {
                        path: path.into(),
                        line,
                        var,
                    })?;
                    // Relative to the config file, not to wherever otp runs.
                    let folder = path.parent().unwrap_or(Path::new("/"));
                    config.vault = Some(folder.join(expanded));
                }
                "passphrase_command" => {
                    let text = value.as_str().filter(|s| !s.is_empty()).ok_or_else(bad)?;
                    config.passphrase_command = Some(text.to_string());
                }
                "ntp_server" => {
                    let text = value.as_str().filter(|s| !s.is_empty()).ok_or_else(bad)?;
                    config.time_server = Some(text.to_string());
                }
                _ => {
                    return Err(ConfigError::UnknownKey {
                        path: path.into(),
                        line,
                        key: key.clone(),
                    });
                }
            }
        }
        Ok(config)
    }

    /// The numbers the environment sets (`OTP_KEEP_BACKUPS` and the rest),
    /// each read by its bounds; a variable set to nothing is unset.
    pub fn from_environment() -> Result<Config, NumberError> {
        let mut config = Config::default();
        for number in Number::ALL {
            let Some(name) = number.variable() else {
                continue;
            };
            let Some(text) = std::env::var_os(name).filter(|v| !v.is_empty()) else {
                continue;
            };
            let text = text.to_str().ok_or(NumberError {
                number,
                from: Source::Variable,
            })?;
            config.set(number, number.read(text, Source::Variable)?);
        }
        Ok(config)
    }

    /// Sets `number` to `value` (as read by `number`, so of its kind).
    pub fn set(&mut self, number: Number, value: Value) {
        match number {
            Number::PassphraseCommandTimeout => self.passphrase_command_timeout = value.duration(),
            Number::KeepBackups => self.keep_backups = value.count(),
            Number::LockTimeout => self.lock_timeout = value.duration(),
            Number::ClipboardSeconds => self.clipboard_seconds = value.duration(),
            Number::UnlockTimeout => self.unlock_timeout = value.duration(),
            Number::TimeOffset => self.time_offset = value.offset(),
            Number::UnlockMax => {}
        }
    }

    /// This config, with what it leaves unset taken from `fallback`: flags
    /// and environment first, then the file.
    pub fn or(self, fallback: Config) -> Config {
        Config {
            vault: self.vault.or(fallback.vault),
            passphrase_command: self.passphrase_command.or(fallback.passphrase_command),
            passphrase_command_timeout: self
                .passphrase_command_timeout
                .or(fallback.passphrase_command_timeout),
            keep_backups: self.keep_backups.or(fallback.keep_backups),
            lock_timeout: self.lock_timeout.or(fallback.lock_timeout),
            clipboard_seconds: self.clipboard_seconds.or(fallback.clipboard_seconds),
            unlock_timeout: self.unlock_timeout.or(fallback.unlock_timeout),
            time_offset: self.time_offset.or(fallback.time_offset),
            time_server: self.time_server.or(fallback.time_server),
        }
    }
}

/// How long a passphrase command may run before it is killed.
pub const DEFAULT_PASSPHRASE_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a copied code stays on the clipboard when nothing says: long
/// enough to paste, short enough that it is gone before the screen is.
pub const DEFAULT_CLEAR_AFTER: Duration = Duration::from_secs(30);

/// How long `otp unlock` keeps an unused vault unlocked when nothing says.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(15 * 60);

/// The longest any unlock lasts, whatever is asked: a forgotten terminal
/// must not keep the vault open for days.
pub const DEFAULT_MAX: Duration = Duration::from_secs(12 * 3600);

/// The settings, with the defaults for what is unset.
impl Config {
    pub fn vault_settings(&self) -> Settings {
        Settings {
            keep_backups: self.keep_backups.unwrap_or(backups::DEFAULT_KEEP),
            lock_timeout: self.lock_timeout.unwrap_or(store::LOCK_TIMEOUT),
        }
    }

    pub fn passphrase_command_timeout(&self) -> Duration {
        self.passphrase_command_timeout
            .unwrap_or(DEFAULT_PASSPHRASE_COMMAND_TIMEOUT)
    }

    /// How long a copied code stays on the clipboard.
    pub fn clipboard_seconds(&self) -> Duration {
        self.clipboard_seconds.unwrap_or(DEFAULT_CLEAR_AFTER)
    }

    /// The NTP server `otp time` asks.
    pub fn time_server(&self) -> &str {
        self.time_server
            .as_deref()
            .unwrap_or(crate::ntp::DEFAULT_SERVER)
    }

    /// How long `otp unlock` keeps an unused vault unlocked.
    pub fn unlock_timeout(&self) -> Duration {
        self.unlock_timeout.unwrap_or(DEFAULT_IDLE)
    }
}

impl Kinded for ConfigError {
    fn kind(&self) -> ErrorKind {
        match self {
            ConfigError::Read { .. } => ErrorKind::Environment,
            ConfigError::NoHome => ErrorKind::Usage,
            ConfigError::TooLarge(_)
            | ConfigError::Writable(_)
            | ConfigError::Owner(_)
            | ConfigError::Syntax { .. }
            | ConfigError::UnknownKey { .. }
            | ConfigError::UnsetVariable { .. }
            | ConfigError::BadValue { .. }
            | ConfigError::Number(_) => ErrorKind::Usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("config.toml"))
    }

    #[test]
    fn every_key_is_read() {
        let config = parse(
            "# mine\nvault = \"/v/x.otpvault\"\npassphrase_command = \"pass show otp\"\n\
             passphrase_command_timeout = 30\nkeep_backups = 3\nlock_timeout = 5\n\
             clipboard_seconds = 20\nunlock_timeout = \"30m\"\ntime_offset = -42\n\
             ntp_server = \"ntp.example:1123\"\n",
        )
        .unwrap();
        assert_eq!(
            config,
            Config {
                vault: Some("/v/x.otpvault".into()),
                passphrase_command: Some("pass show otp".into()),
                passphrase_command_timeout: Some(Duration::from_secs(30)),
                keep_backups: Some(3),
                lock_timeout: Some(Duration::from_secs(5)),
                clipboard_seconds: Some(Duration::from_secs(20)),
                unlock_timeout: Some(Duration::from_secs(1800)),
                time_offset: Some(-42),
                time_server: Some("ntp.example:1123".into()),
            }
        );
        assert_eq!(
            parse("unlock_timeout = 90").unwrap().unlock_timeout,
            Some(Duration::from_secs(90))
        );
    }

    #[test]
    fn a_vault_path_is_expanded_as_a_shell_would_and_relative_to_the_file() {
        let at = |text: &str| {
            Config::parse(text, Path::new("/home/me/.config/otpvault/config.toml"))
                .map(|c| c.vault.unwrap())
        };
        let home = std::env::var("HOME").unwrap();
        assert_eq!(
            at("vault = \"$HOME/v.otpvault\"").unwrap(),
            Path::new(&home).join("v.otpvault")
        );
        assert_eq!(
            at("vault = \"${HOME}/v.otpvault\"").unwrap(),
            Path::new(&home).join("v.otpvault")
        );
        assert_eq!(
            at("vault = \"rel/v.otpvault\"").unwrap(),
            Path::new("/home/me/.config/otpvault/rel/v.otpvault")
        );
        assert_eq!(at("vault = \"/abs/v\"").unwrap(), Path::new("/abs/v"));
        assert!(matches!(
            at("vault = \"$OTPVAULT_TEST_UNSET_VARIABLE/v\""),
            Err(ConfigError::UnsetVariable { line: 1, var, .. }) if var == "OTPVAULT_TEST_UNSET_VARIABLE"
        ));
    }

    #[test]
    fn a_bad_key_or_value_names_the_line_and_the_key() {
        let e = parse("vault = \"/v\"\n\nkeep_backup = 3\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownKey { line: 3, key, .. } if key == "keep_backup"),
            "{e:?}"
        );
        let e = parse("vault = \"/v\"\nkeep_backups = \"many\"\n").unwrap_err();
        assert!(
            matches!(
                &e,
                ConfigError::Number(NumberError {
                    number: Number::KeepBackups,
                    from: Source::File { line: 2, .. }
                })
            ),
            "{e:?}"
        );
        assert!(!e.to_string().contains("many"), "the value is not quoted");
        assert!(
            e.to_string().contains("line 2: `keep_backups` takes"),
            "{e}"
        );
        for bad in ["vault = 3", "vault = \"\""] {
            assert!(
                matches!(parse(bad), Err(ConfigError::BadValue { line: 1, .. })),
                "{bad}"
            );
        }
        for bad in [
            "keep_backups = -1",
            "clipboard_seconds = 0",
            "unlock_timeout = \"1d\"",
            "unlock_timeout = 0",
            "lock_timeout = 1.5",
            "passphrase_command_timeout = 9223372036854775807",
            "time_offset = -9223372036854775808",
            "clipboard_seconds = 99999999999",
        ] {
            assert!(
                matches!(
                    parse(bad),
                    Err(ConfigError::Number(NumberError {
                        from: Source::File { line: 1, .. },
                        ..
                    }))
                ),
                "{bad}"
            );
        }
        let e = parse("[vault]\npath = 3\n").unwrap_err();
        assert!(matches!(e, ConfigError::BadValue { line: 1, .. }), "{e:?}");
        let e = parse("[other]\n").unwrap_err();
        assert!(
            matches!(e, ConfigError::UnknownKey { line: 1, .. }),
            "{e:?}"
        );
        let e = parse("vault = \"/v\"\nkeep_backups = \n").unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { line: 2, .. }), "{e:?}");
    }

    #[test]
    fn flags_and_environment_come_before_the_file() {
        let given = Config {
            keep_backups: Some(1),
            ..Config::default()
        };
        let file = Config {
            keep_backups: Some(5),
            lock_timeout: Some(Duration::from_secs(3)),
            ..Config::default()
        };
        let merged = given.or(file);
        assert_eq!(merged.keep_backups, Some(1));
        assert_eq!(merged.lock_timeout, Some(Duration::from_secs(3)));
    }
}
