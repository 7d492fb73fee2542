//! otp: TOTP codes in the terminal, from an encrypted vault.
//!
//! Usage:
//!
//! ```text
//! otp add NAME [--issuer I] [--account A] [--key KEY | --uri URI | --qr IMAGE]
//!              [--algorithm SHA1|SHA256|SHA512] [--digits N] [--period S] [--hotp [--counter N]]
//! otp code [QUERY] [--at TIME] [--json]
//! otp list [--json]
//! otp remove NAME
//! otp rename OLD NEW
//! otp backup FILE [--force]
//! otp passwd
//! otp restore [FILE]
//! otp import FILE|- [--format auto|uri|google|aegis|2fas|proton]
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
//! 428273 (valid 17 s more)
//! $ otp code amazon
//! Passphrase for /home/you/.local/share/otpvault/vault.otpvault: ********
//! 773698
//! $ otp backup /media/usb/otp-backup.otpvault
//! Passphrase for /home/you/.local/share/otpvault/vault.otpvault: ********
//! otp: backed up 1 entry to /media/usb/otp-backup.otpvault and checked that it opens with your passphrase
//! ```

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use otpvault::vault::Settings;

use cli::context::Context;
use cli::passphrase::Sources;
use cli::{agent, commands, recovery, status, sync, transfer};

#[derive(Parser, Debug)]
#[command(name = "otp", version, about = "TOTP codes from an encrypted vault", long_about = None)]
struct Cli {
    /// The vault file [default: otpvault's folder in your data directory].
    #[arg(long, global = true, env = "OTP_VAULT", hide_env_values = true)]
    vault: Option<PathBuf>,
    /// Read the passphrase from this file (one trailing newline dropped).
    #[arg(
        long,
        global = true,
        env = "OTP_PASSPHRASE_FILE",
        hide_env_values = true
    )]
    passphrase_file: Option<PathBuf>,
    /// Run this shell command and use its output as the passphrase.
    #[arg(
        long,
        global = true,
        env = "OTP_PASSPHRASE_COMMAND",
        hide_env_values = true
    )]
    passphrase_command: Option<String>,
    /// Stop the passphrase command if it runs longer than this, in seconds.
    #[arg(
        long,
        global = true,
        env = "OTP_PASSPHRASE_COMMAND_TIMEOUT",
        default_value_t = 120,
        value_name = "SECONDS"
    )]
    passphrase_command_timeout: u64,
    /// How many earlier versions of the vault each change keeps in VAULT.backups/.
    #[arg(
        long,
        global = true,
        env = "OTP_KEEP_BACKUPS",
        default_value_t = 10,
        value_name = "N"
    )]
    keep_backups: usize,
    /// How long a change waits for another otp's change to finish, in seconds.
    #[arg(
        long,
        global = true,
        env = "OTP_LOCK_TIMEOUT",
        default_value_t = 10,
        value_name = "SECONDS"
    )]
    lock_timeout: u64,
    /// How long `otp unlock` keeps the vault unlocked while unused: seconds,
    /// or 90s, 15m, 2h.
    #[arg(
        long = "unlock-timeout",
        global = true,
        env = "OTP_UNLOCK_TIMEOUT",
        value_name = "DURATION",
        value_parser = agent::parse_duration,
        hide = true
    )]
    unlock_timeout: Option<Duration>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new, empty vault.
    Init(commands::InitArgs),
    /// Add an account from its setup key or otpauth:// URI, and print its code.
    Add(commands::AddArgs),
    /// Print the current code of one account, or of every account.
    Code(commands::CodeArgs),
    /// List the accounts (never their secrets).
    List(ListArgs),
    /// Remove the account with exactly this name.
    Remove { name: String },
    /// Rename an account.
    Rename { old: String, new: String },
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
    /// Show the vault's format and how it can be opened (nothing secret).
    Status(status::StatusArgs),
    /// Unlock the vault for a while, so that commands need no passphrase.
    Unlock(agent::UnlockArgs),
    /// Lock the vault now (forget the key the agent holds).
    Lock,
    /// The agent that holds the key (started by `otp unlock`).
    #[command(hide = true)]
    Agent(agent::AgentArgs),
    /// Merge other copies of the vault into it (from a sync tool or a backup).
    Merge(sync::MergeArgs),
    /// git's merge driver for vault files: `otp merge-driver %O %A %B`.
    #[command(name = "merge-driver")]
    MergeDriver(sync::MergeDriverArgs),
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    cli::harden_process();
    cli::install_panic_hook();
    let cli = Cli::parse();
    let sources = Sources {
        file: cli.passphrase_file,
        command: cli.passphrase_command,
        command_timeout: Duration::from_secs(cli.passphrase_command_timeout),
    };
    let settings = Settings {
        keep_backups: cli.keep_backups,
        lock_timeout: Duration::from_secs(cli.lock_timeout),
    };
    let ctx = match Context::new(cli.vault, sources, settings) {
        Ok(ctx) => ctx,
        Err(failure) => return cli::report(Err(failure)),
    };
    if !matches!(
        cli.command,
        Command::Merge(_) | Command::MergeDriver(_) | Command::Agent(_)
    ) {
        sync::notice_conflicts(&ctx);
    }
    cli::report(match cli.command {
        Command::Init(args) => commands::init(&ctx, args),
        Command::Add(args) => commands::add(&ctx, args),
        Command::Code(args) => commands::code(&ctx, args),
        Command::List(args) => commands::list(&ctx, args.json),
        Command::Remove { name } => commands::remove(&ctx, &name),
        Command::Rename { old, new } => commands::rename(&ctx, &old, &new),
        Command::Backup { file, force } => commands::backup(&ctx, &file, force),
        Command::Passwd => commands::passwd(&ctx),
        Command::Restore { file } => commands::restore(&ctx, file.as_deref()),
        Command::Import(args) => transfer::import(&ctx, args),
        Command::Export(args) => transfer::export(&ctx, args),
        Command::Show(args) => transfer::show(&ctx, args),
        Command::RecoveryKey(args) => recovery::recovery_key(&ctx, args),
        Command::Recover => recovery::recover(&ctx),
        Command::Status(args) => status::status(&ctx, args),
        Command::Unlock(args) => agent::unlock(&ctx, args, cli.unlock_timeout),
        Command::Lock => agent::lock(&ctx),
        Command::Agent(args) => agent::run(&ctx, args),
        Command::Merge(args) => sync::merge(&ctx, args),
        Command::MergeDriver(args) => sync::merge_driver(&ctx, args),
    })
}
