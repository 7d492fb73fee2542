//! otp: TOTP codes in the terminal, from an encrypted vault.
//!
//! Usage:
//!
//! ```text
//! otp add NAME [--issuer I] [--account A] [--key KEY | --uri URI | --qr IMAGE]
//!              [--algorithm SHA1|SHA256|SHA512] [--digits N] [--period S] [--hotp [--counter N]]
//! otp code [QUERY] [--at TIME] [-j] [-c]
//! otp watch [QUERY]
//! otp list [--json]
//! otp remove NAME
//! otp rename OLD NEW
//! otp backup FILE [--force]
//! otp passwd
//! otp restore [FILE]
//! otp import FILE|- [--format NAME]
//! otp export [--format uri|google|aegis] [--qr] [--output FILE]
//! otp show NAME --uri|--qr
//! otp init [--kdf-memory-mib N] [--kdf-iterations N] [--kdf-parallelism N]
//! ```
//!
//! `add` stores a new account. With neither `--key` nor `--uri` it asks for
//! the setup key on the terminal (without echo) or reads it, or an otpauth://
//! URI, from standard input. Spaces, hyphens, lower case and `=` padding are
//! fine. It prints the current code so the site's setup can be finished.
//!
//! `code` prints the current code of the one entry whose name, issuer or
//! account contains QUERY (an exact name wins), and nothing else; with no
//! QUERY, every entry's code, a line each.
//!
//! The vault is encrypted with a passphrase (Argon2id, XChaCha20-Poly1305),
//! asked for on the terminal or taken from `--passphrase-file`,
//! `--passphrase-command` or `OTP_PASSPHRASE`. The first `add` creates the
//! vault.
//!
//! Enrolling Amazon's 2-Step Verification: on Amazon, Account → Login &
//! security → 2-Step Verification → Authenticator App, click "Can't scan the
//! barcode?" and copy the key shown there. Then:
//!
//! ```text
//! $ otp add Amazon
//! Setup key (input hidden): ********
//! New passphrase: ********
//! Repeat the new passphrase: ********
//! otp: created the vault /home/you/.local/share/otpvault/vault.otpvault
//! otp: added Amazon (TOTP, SHA1, 6 digits, 30 s) to /home/you/.local/share/otpvault/vault.otpvault
//! otp: type this code into Amazon to finish its setup:
//! 428273  (17 s left)
//! $ otp code amazon
//! Passphrase for /home/you/.local/share/otpvault/vault.otpvault: ********
//! 773698  (12 s left)
//! $ otp backup /media/usb/otp-backup.otpvault
//! Passphrase for /home/you/.local/share/otpvault/vault.otpvault: ********
//! otp: backed up 1 entry to /media/usb/otp-backup.otpvault and checked that it opens with your passphrase
//! ```

#![forbid(unsafe_code)]

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use otpvault::config::{Config, Number, NumberError, Source};

use cli::context::Context;
use cli::{
    add, agent, backup, browser, clip, code, edit, environment, init, list, manual, recovery,
    start, status, sync, time, transfer, watch,
};

/// The heading of the options every command takes.
const GLOBAL: &str = "Global options";

#[derive(Parser, Debug)]
#[command(
    name = "otp",
    version,
    about = "TOTP codes from an encrypted vault",
    long_about = None,
    disable_help_subcommand = true
)]
struct Cli {
    /// The vault file [default: otpvault's folder in your data directory].
    #[arg(long, global = true, env = "OTP_VAULT", hide_env_values = true, help_heading = GLOBAL)]
    vault: Option<PathBuf>,
    /// Read the passphrase from this file (one trailing newline dropped).
    #[arg(long, global = true, env = "OTP_PASSPHRASE_FILE", hide_env_values = true, help_heading = GLOBAL)]
    passphrase_file: Option<PathBuf>,
    /// Run this shell command and use its output as the passphrase.
    #[arg(long, global = true, env = "OTP_PASSPHRASE_COMMAND", hide_env_values = true, help_heading = GLOBAL)]
    passphrase_command: Option<String>,
    /// Stop the passphrase command if it runs longer than this, in seconds [default: 120].
    #[arg(long, global = true, value_name = "SECONDS", help_heading = GLOBAL)]
    passphrase_command_timeout: Option<String>,
    /// How many earlier versions of the vault each change keeps in VAULT.backups/ [default: 10].
    #[arg(long, global = true, value_name = "N", help_heading = GLOBAL)]
    keep_backups: Option<String>,
    /// How long a change waits for another otp's change to finish, in seconds [default: 10].
    #[arg(long, global = true, value_name = "SECONDS", help_heading = GLOBAL)]
    lock_timeout: Option<String>,
    /// How long a copied code stays on the clipboard, in seconds [default: 30].
    #[arg(long, global = true, value_name = "SECONDS", help_heading = GLOBAL)]
    clipboard_seconds: Option<String>,
    /// Shift the clock by this many seconds for codes, on a machine whose clock cannot be fixed (`otp time` says by how much).
    #[arg(long, global = true, value_name = "SECONDS", allow_negative_numbers = true, help_heading = GLOBAL)]
    time_offset: Option<String>,
    /// Accept a new passphrase that one GPU would guess within a year (for a
    /// throwaway vault, in tests and scripts).
    #[arg(long, global = true, env = "OTP_WEAK_PASSPHRASE", hide_env_values = true, value_parser = clap::builder::BoolishValueParser::new(), help_heading = GLOBAL)]
    weak_passphrase: bool,
    /// Print no notes or warnings (errors still).
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Top>,
}

/// The commands: those on a vault, and those about otp itself, which need
/// neither a vault nor the config file (so that a broken config can still
/// be found with `otp config path`).
#[derive(Subcommand, Debug)]
enum Top {
    #[command(flatten)]
    Vault(Command),
    #[command(flatten)]
    Own(Own),
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new, empty vault.
    Init(init::InitArgs),
    /// Add an account from its setup key or otpauth:// URI, and print its code.
    Add(add::AddArgs),
    /// Print the current code of one account, or of every account.
    Code(code::CodeArgs),
    /// A live view of every code, with a countdown; type to filter, Enter copies.
    Watch(watch::WatchArgs),
    /// List the accounts (never their secrets).
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Remove the account with exactly this name.
    #[command(visible_alias = "rm")]
    Remove { name: String },
    /// Rename an account.
    #[command(visible_alias = "mv")]
    Rename { old: String, new: String },
    /// Change an account's sites (where its code may be typed).
    Edit(edit::EditArgs),
    /// Write an encrypted copy of the vault and check that it opens.
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Change the vault's passphrase.
    Passwd,
    /// Import accounts from another authenticator's export (or a QR screenshot).
    Import(transfer::ImportArgs),
    /// Export every account for another authenticator or a phone.
    Export(transfer::ExportArgs),
    /// Show one account's secret as a URI or QR code, to add it to a phone.
    Show(transfer::ShowArgs),
    /// Put a backup back in place of the vault (which is kept); without FILE,
    /// list the automatic backups.
    Restore { file: Option<PathBuf> },
    /// Make a paper recovery key, which opens the vault if the passphrase is
    /// forgotten (or remove it with --remove).
    #[command(name = "recovery-key")]
    RecoveryKey(recovery::RecoveryKeyArgs),
    /// Set a new passphrase with the recovery key, when the old one is forgotten.
    Recover,
    /// Show the vault's format, how it can be opened and whether it is unlocked (nothing secret).
    Status(status::StatusArgs),
    /// Unlock the vault for a while, so that commands need no passphrase.
    Unlock(agent::UnlockArgs),
    /// Lock the vault now (forget the key the agent holds).
    Lock,
    /// Merge other copies of the vault into it (from a sync tool or a backup).
    Merge(sync::MergeArgs),
    /// git's merge driver for vault files: `otp merge-driver %O %A %B`.
    #[command(name = "merge-driver")]
    MergeDriver(sync::MergeDriverArgs),
    /// Check this clock against an NTP server: codes are only as right as the clock.
    Time(time::TimeArgs),
    /// The agent that holds the key (started by `otp unlock`).
    #[command(hide = true)]
    Agent(agent::AgentArgs),
    /// Codes in the browser: the native-messaging host for the extension.
    #[command(subcommand)]
    Browser(browser::BrowserCommand),
    /// The host a browser starts for the extension (`otp browser install`).
    #[command(name = "browser-host", hide = true)]
    BrowserHost,
}

#[derive(Subcommand, Debug)]
enum Own {
    /// Print a completion script for a shell (the README says where to put it).
    Completions(manual::CompletionsArgs),
    /// Print a manual page (roff), e.g. `otp man | man -l -`, or write them all.
    Man(manual::ManArgs),
    /// The config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Offers a copied code on the clipboard and clears it (started by `--copy`).
    #[command(name = "clipboard-hold", hide = true)]
    ClipboardHold(clip::HoldArgs),
    /// Runs a passphrase command and stops it if otp dies (started by otp).
    #[command(name = "passphrase-warden", hide = true)]
    PassphraseWarden(WardenArgs),
}

#[derive(Args, Debug)]
struct WardenArgs {
    /// The otp process that started the warden.
    #[arg(long)]
    parent: u32,
    /// The passphrase command, for `sh -c`.
    #[arg(last = true, required = true)]
    command: String,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print where the config file is looked for.
    Path,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(short, long)]
    json: bool,
}

/// The command line, with the long help's list of environment variables.
fn command_line() -> clap::Command {
    Cli::command().after_long_help(environment::environment_help())
}

impl Cli {
    /// What the flags and the environment set, as a config to put before
    /// the config file's. Numbers are read by the library's bounds
    /// ([`Number`]), so that a bad one names its flag or variable.
    fn given(&self) -> Result<Config, NumberError> {
        let mut flags = Config {
            vault: self.vault.clone(),
            passphrase_command: self.passphrase_command.clone(),
            ..Config::default()
        };
        let numbers = [
            (
                Number::PassphraseCommandTimeout,
                &self.passphrase_command_timeout,
            ),
            (Number::KeepBackups, &self.keep_backups),
            (Number::LockTimeout, &self.lock_timeout),
            (Number::ClipboardSeconds, &self.clipboard_seconds),
            (Number::TimeOffset, &self.time_offset),
        ];
        for (number, text) in numbers {
            if let Some(text) = text {
                flags.set(number, number.read(text, Source::Flag)?);
            }
        }
        Ok(flags.or(Config::from_environment()?))
    }
}

fn main() -> ExitCode {
    cli::harden_process();
    cli::install_panic_hook();
    // A browser starts the host with arguments of its own (the manifest
    // can name no others): they mean `otp browser-host`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if otpvault::browser::install::started_by_browser(&args) {
        args.truncate(1);
        args.push("browser-host".into());
    }
    let cli = match Cli::from_arg_matches(&command_line().get_matches_from(args)) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli::set_quiet(cli.quiet);
    let given = match cli.given() {
        Ok(given) => given,
        Err(e) => return cli::report(Err(e.into())),
    };
    let passphrase_file = cli.passphrase_file.clone();
    let command = match cli.command {
        Some(Top::Own(own)) => {
            return match own {
                Own::Completions(args) => cli::report(manual::completions(command_line(), &args)),
                Own::Man(args) => cli::report(manual::man(command_line(), &args)),
                Own::Config(ConfigCommand::Path) => cli::report(environment::config_path()),
                Own::ClipboardHold(args) => cli::report(clip::hold(args)),
                // The warden ends with its command's own status, not otp's.
                Own::PassphraseWarden(args) => {
                    ExitCode::from(otpvault::unlock::warden(&args.command, args.parent))
                }
            };
        }
        Some(Top::Vault(command)) => Some(command),
        None => None,
    };
    let ctx = match Context::new(given, passphrase_file, cli.weak_passphrase) {
        Ok(ctx) => ctx,
        Err(failure) => return cli::report(Err(failure)),
    };
    let Some(command) = command else {
        return cli::report(start::no_command(&ctx));
    };
    cli::report(match command {
        Command::Init(args) => init::init(&ctx, args),
        Command::Add(args) => add::add(&ctx, args),
        Command::Code(args) => code::code(&ctx, args),
        Command::Watch(args) => watch::watch(&ctx, args),
        Command::List(args) => list::list(&ctx, args.json),
        Command::Remove { name } => edit::remove(&ctx, &name),
        Command::Rename { old, new } => edit::rename(&ctx, &old, &new),
        Command::Edit(args) => edit::edit(&ctx, args),
        Command::Backup { file, force } => backup::backup(&ctx, &file, force),
        Command::Passwd => recovery::passwd(&ctx),
        Command::Restore { file } => backup::restore(&ctx, file.as_deref()),
        Command::Import(args) => transfer::import(&ctx, args),
        Command::Export(args) => transfer::export(&ctx, args),
        Command::Show(args) => transfer::show(&ctx, args),
        Command::RecoveryKey(args) => recovery::recovery_key(&ctx, args),
        Command::Recover => recovery::recover(&ctx),
        Command::Status(args) => status::status(&ctx, args),
        Command::Unlock(args) => agent::unlock(&ctx, args),
        Command::Lock => agent::lock(&ctx),
        Command::Agent(args) => agent::run(&ctx, args),
        Command::Merge(args) => sync::merge(&ctx, args),
        Command::MergeDriver(args) => sync::merge_driver(&ctx, args),
        Command::Time(args) => time::time(&ctx, args),
        Command::Browser(command) => browser::browser(command),
        Command::BrowserHost => browser::host(&ctx),
    })
}
