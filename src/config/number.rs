//! Every number and duration a person can set, with its bounds, in one
//! place: a flag, an environment variable and the config file all read a
//! setting through [`Number::read`], so the same text means the same thing
//! from each, and a value out of bounds is refused with its source named
//! (`OTP_UNLOCK_TIMEOUT`, `--keep-backups`, the config file's line) before
//! it reaches code that would overflow on it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// A setting that takes a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    PassphraseCommandTimeout,
    KeepBackups,
    LockTimeout,
    ClipboardSeconds,
    UnlockTimeout,
    /// `otp unlock --max`: not a setting of its own, but read by the same rule.
    UnlockMax,
    TimeOffset,
}

/// What a [`Number`] reads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Duration(Duration),
    Count(usize),
    /// Signed seconds.
    Offset(i64),
}

/// How a setting is written, and the range it must fall in.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// Whole seconds, `min..=max`.
    Seconds { min: u64, max: u64 },
    /// Seconds, or a number with s, m or h (`90s`, `15m`, `2h`).
    Duration { min: u64, max: u64 },
    /// A count, `0..=max`.
    Count { max: u64 },
    /// Signed whole seconds, at most `max` either way.
    Offset { max: u64 },
}

/// A year, for the clock offset's bound: a clock whose battery died reads
/// 1970 or 2000, decades off, and `otp time` can measure that; more than a
/// century is no clock.
const CENTURY: u64 = 100 * 365 * 24 * 3600;

/// Where a value came from, for the message that refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Variable,
    /// The config file, with the line of the key.
    File {
        path: PathBuf,
        line: usize,
    },
}

impl Number {
    pub const ALL: [Number; 7] = [
        Number::PassphraseCommandTimeout,
        Number::KeepBackups,
        Number::LockTimeout,
        Number::ClipboardSeconds,
        Number::UnlockTimeout,
        Number::UnlockMax,
        Number::TimeOffset,
    ];

    /// The setting a config file's key names (`max` is a flag's alone).
    pub fn setting(key: &str) -> Option<Number> {
        Number::ALL
            .into_iter()
            .find(|n| n.variable().is_some() && n.key() == key)
    }

    /// The config file's key (and the flag's name, with `--` and dashes).
    pub fn key(self) -> &'static str {
        match self {
            Number::PassphraseCommandTimeout => "passphrase_command_timeout",
            Number::KeepBackups => "keep_backups",
            Number::LockTimeout => "lock_timeout",
            Number::ClipboardSeconds => "clipboard_seconds",
            Number::UnlockTimeout => "unlock_timeout",
            Number::UnlockMax => "max",
            Number::TimeOffset => "time_offset",
        }
    }

    /// The environment variable, for the settings that have one.
    pub fn variable(self) -> Option<&'static str> {
        match self {
            Number::PassphraseCommandTimeout => Some("OTP_PASSPHRASE_COMMAND_TIMEOUT"),
            Number::KeepBackups => Some("OTP_KEEP_BACKUPS"),
            Number::LockTimeout => Some("OTP_LOCK_TIMEOUT"),
            Number::ClipboardSeconds => Some("OTP_CLIPBOARD_SECONDS"),
            Number::UnlockTimeout => Some("OTP_UNLOCK_TIMEOUT"),
            Number::UnlockMax => None,
            Number::TimeOffset => Some("OTP_TIME_OFFSET"),
        }
    }

    /// The flag, as typed.
    pub fn flag(self) -> String {
        match self {
            // `otp unlock --timeout` sets the same thing as OTP_UNLOCK_TIMEOUT.
            Number::UnlockTimeout => "--timeout".into(),
            _ => format!("--{}", self.key().replace('_', "-")),
        }
    }

    fn form(self) -> Form {
        match self {
            // A command that asks a person (a pinentry) may wait a while;
            // an hour is more than anyone takes.
            Number::PassphraseCommandTimeout => Form::Seconds { min: 1, max: 3600 },
            Number::KeepBackups => Form::Count { max: 10_000 },
            // 0: fail at once when another otp is changing the vault.
            Number::LockTimeout => Form::Seconds { min: 0, max: 3600 },
            Number::ClipboardSeconds => Form::Seconds { min: 1, max: 3600 },
            // An unlock never lasts longer than 12 hours.
            Number::UnlockTimeout | Number::UnlockMax => Form::Duration {
                min: 1,
                max: 12 * 3600,
            },
            Number::TimeOffset => Form::Offset { max: CENTURY },
        }
    }

    /// What the setting takes, for messages and the config file's errors.
    pub fn expected(self) -> String {
        match self.form() {
            Form::Seconds { min, max } => {
                format!("a whole number of seconds from {min} to {max}")
            }
            Form::Duration { .. } => {
                "seconds, or a number with s, m or h (90s, 15m, 2h), up to 12h".into()
            }
            Form::Count { max } => format!("a whole number from 0 to {max}"),
            Form::Offset { max } => format!(
                "a whole number of seconds, negative for a fast clock, at most {max} either way"
            ),
        }
    }

    /// Reads `text` as this setting, from `source`.
    pub fn read(self, text: &str, source: Source) -> Result<Value, NumberError> {
        self.parse(text.trim()).ok_or(NumberError {
            number: self,
            from: source,
        })
    }

    /// Reads a TOML integer (the config file's unquoted numbers).
    pub fn read_integer(self, value: i64, source: Source) -> Result<Value, NumberError> {
        self.read(&value.to_string(), source)
    }

    fn parse(self, text: &str) -> Option<Value> {
        let in_range = |n: u64, min: u64, max: u64| (min..=max).contains(&n).then_some(n);
        match self.form() {
            Form::Seconds { min, max } => {
                let n = in_range(digits(text)?, min, max)?;
                Some(Value::Duration(Duration::from_secs(n)))
            }
            Form::Duration { min, max } => {
                let split = text
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(text.len());
                let (number, unit) = text.split_at(split);
                let scale = match unit {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    _ => return None,
                };
                let seconds = digits(number)?.checked_mul(scale)?;
                let n = in_range(seconds, min, max)?;
                Some(Value::Duration(Duration::from_secs(n)))
            }
            Form::Count { max } => {
                let n = in_range(digits(text)?, 0, max)?;
                Some(Value::Count(usize::try_from(n).ok()?))
            }
            Form::Offset { max } => {
                let (negative, rest) = match text.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, text.strip_prefix('+').unwrap_or(text)),
                };
                let n = i64::try_from(in_range(digits(rest)?, 0, max)?).ok()?;
                Some(Value::Offset(if negative { -n } else { n }))
            }
        }
    }
}

/// ASCII digits only (no sign, no spaces inside), as a u64.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Value {
    /// The duration of a duration setting.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Value::Duration(d) => Some(d),
            _ => None,
        }
    }

    pub fn count(self) -> Option<usize> {
        match self {
            Value::Count(n) => Some(n),
            _ => None,
        }
    }

    pub fn offset(self) -> Option<i64> {
        match self {
            Value::Offset(n) => Some(n),
            _ => None,
        }
    }
}

/// A number out of its bounds, or not a number, and where it came from.
/// The value itself is not repeated: the source says where to look.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{at} takes {expected}: fix or remove it", at = Where(self), expected = self.number.expected())]
pub struct NumberError {
    pub number: Number,
    pub from: Source,
}

struct Where<'a>(&'a NumberError);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.0.number;
        match &self.0.from {
            Source::Flag => write!(f, "{}", number.flag()),
            Source::Variable => write!(f, "{}", number.variable().unwrap_or("the environment")),
            Source::File { path, line } => write!(
                f,
                "the config file {}, line {line}: `{}`",
                crate::terminal::ShownPath(path),
                number.key()
            ),
        }
    }
}

impl crate::error::Kinded for NumberError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(number: Number, text: &str) -> Option<Value> {
        number.read(text, Source::Flag).ok()
    }

    #[test]
    fn durations_as_people_write_them() {
        let d = |s| read(Number::UnlockTimeout, s).and_then(Value::duration);
        assert_eq!(d("90"), Some(Duration::from_secs(90)));
        assert_eq!(d("90s"), Some(Duration::from_secs(90)));
        assert_eq!(d("15m"), Some(Duration::from_secs(900)));
        assert_eq!(d("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(d(" 12h "), Some(Duration::from_secs(43200)));
        for bad in [
            "",
            "0",
            "0s",
            "13h",
            "abc",
            "1d",
            "-5",
            "+5",
            "1 h",
            "99999999999999999999h",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn huge_values_are_refused_not_wrapped() {
        let max = u64::MAX.to_string();
        for number in Number::ALL {
            assert_eq!(read(number, &max), None, "{number:?}");
            assert_eq!(read(number, "9223372036854775807"), None, "{number:?}");
        }
        assert_eq!(read(Number::TimeOffset, "-9223372036854775808"), None);
        assert_eq!(
            read(Number::TimeOffset, "-3600"),
            Some(Value::Offset(-3600))
        );
        assert_eq!(read(Number::KeepBackups, "0"), Some(Value::Count(0)));
        assert_eq!(read(Number::ClipboardSeconds, "0"), None);
        assert_eq!(
            read(Number::LockTimeout, "0"),
            Some(Value::Duration(Duration::ZERO))
        );
    }

    #[test]
    fn the_message_names_the_source_and_not_the_value() {
        let e = Number::UnlockTimeout
            .read("abc", Source::Variable)
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("OTP_UNLOCK_TIMEOUT takes seconds"),
            "{text}"
        );
        assert!(!text.contains("abc"), "{text}");
        let e = Number::KeepBackups.read("x", Source::Flag).unwrap_err();
        assert!(e.to_string().starts_with("--keep-backups takes"), "{e}");
        let e = Number::KeepBackups
            .read(
                "x",
                Source::File {
                    path: "/c.toml".into(),
                    line: 3,
                },
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the config file /c.toml, line 3: `keep_backups` takes"),
            "{e}"
        );
    }
}
