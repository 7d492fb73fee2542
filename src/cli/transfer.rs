//! Moving accounts between otpvault and other authenticators: `import`,
//! `export` and `show`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use otpvault::export::{self, ExportError};
use otpvault::formats::Format;
use otpvault::formats::registry;
use otpvault::import::{self, Opened, Wanted};
use otpvault::session::{Op, Outcome};
use otpvault::terminal::{Escaped, Quoted, ShownPath};
use otpvault::vault::store;
use otpvault::{qr, uri};
use zeroize::Zeroizing;

use super::context::{Context, report_backup, report_saved, suggest_recovery_key, unexpected};
use super::input;
use super::passphrase::other_password;
use super::{Failure, warn};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export file, or - for standard input.
    file: PathBuf,
    /// The app that wrote the file (auto: decide from the content).
    #[arg(long, default_value = "auto", value_parser = ImportFormat)]
    format: Wanted,
}

/// `import --format`'s values: the registry's names, parsed as the
/// library parses them, and offered to shell completion.
#[derive(Clone)]
struct ImportFormat;

impl clap::builder::TypedValueParser for ImportFormat {
    type Value = Wanted;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Wanted, clap::Error> {
        value
            .to_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e: String| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e + "\n"))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            import::format_names()
                .into_iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// `export --format`'s values: the formats of the registry that write.
#[derive(Clone)]
struct ExportFormat;

impl clap::builder::TypedValueParser for ExportFormat {
    type Value = &'static Format;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<&'static Format, clap::Error> {
        export::format(value.to_str().unwrap_or_default()).ok_or_else(|| {
            let names: Vec<&str> = registry::writers().map(|f| f.name).collect();
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("unknown export format: use one of {}\n", names.join(", ")),
            )
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            registry::writers().map(|f| clap::builder::PossibleValue::new(f.name)),
        ))
    }
}

pub fn import(ctx: &Context, args: ImportArgs) -> Result<(), Failure> {
    let bytes = input::read_file(&args.file)?;
    // Read and check everything before touching the vault.
    let accounts = match import::open(&bytes, args.format)? {
        Opened::Accounts(accounts) => accounts,
        Opened::Encrypted(file) => {
            let prompt = format!("Password of the {} export: ", file.app());
            let password = other_password("OTP_IMPORT_PASSPHRASE", &prompt, false)?;
            file.decrypt(&password)?
        }
    };
    // Into the vault through its agent, or here with its passphrase; the
    // first import creates the vault.
    let (report, created) = if matches!(ctx.vault_path().try_exists(), Ok(false)) {
        let (mut vault, created) = ctx.open_or_create()?;
        let report = import::merge(&mut vault, accounts)?;
        if !report.added.is_empty() {
            report_saved(vault.save()?);
        }
        (report, created)
    } else {
        let outcome = ctx.run(Op::Import { accounts })?;
        let Outcome::Imported { report, backup } = outcome else {
            return Err(unexpected(&outcome));
        };
        report_backup(backup);
        (report, false)
    };
    note!(
        "otp: imported {} account{}{}",
        report.added.len(),
        if report.added.len() == 1 { "" } else { "s" },
        if report.added.is_empty() {
            String::new()
        } else {
            format!(": {}", Escaped(&report.added.join(", ")))
        }
    );
    for (name, existing) in &report.skipped {
        note!(
            "otp: skipped {}: its secret is already in the vault as {}",
            Escaped(name),
            Escaped(existing)
        );
    }
    if created {
        suggest_recovery_key();
    }
    if let Some(name) = &report.may_be_cut {
        warn(&format!(
            "{}: the file's last line has no line end, so it may be cut short: check its code against the other app",
            Escaped(name)
        ));
    }
    for name in &report.cleaned {
        warn(&format!(
            "{}: its name, issuer or account held control, invisible or text-direction characters; they were replaced with U+FFFD",
            Escaped(name)
        ));
    }
    for name in &report.cut {
        warn(&format!(
            "{}: its name, issuer or account was too long and was cut (names keep {} characters, issuers and accounts {})",
            Escaped(name),
            otpvault::names::MAX_NAME,
            otpvault::names::MAX_FIELD
        ));
    }
    for (given, existing) in &report.look_alikes {
        warn(&format!(
            "{} looks like the entry {}: added under a name that says so; rename it with `otp rename` if it is another account",
            Quoted(given),
            Quoted(existing)
        ));
    }
    for name in &report.mixed_scripts {
        warn(&format!(
            "{} mixes scripts (letters of different alphabets that can look alike): check that it is the account you meant",
            Quoted(name)
        ));
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, default_value = "uri", value_parser = ExportFormat)]
    format: &'static Format,
    /// Draw QR codes (in the terminal, or PNG files with --output).
    #[arg(long)]
    qr: bool,
    /// Write to this file instead of standard output (with --qr: FILE-1.png, FILE-2.png, ...).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn export(ctx: &Context, args: ExportArgs) -> Result<(), Failure> {
    ctx.passphrase_even_if_unlocked("export");
    let (vault, _) = ctx.open()?;
    let format = args.format;
    let selection = export::select(vault.entries(), format)?;
    for (entry, why) in &selection.left_out {
        warn(&format!("left out {}: {why}", Escaped(&entry.name)));
    }
    let n = selection.entries.len();
    if selection.entries.iter().any(|e| !e.sites.is_empty()) {
        note!(
            "otp: the entries' sites are not exported: the {} format has no field for them",
            format.app
        );
    }
    let Some(texts) = selection.texts() else {
        if !otpvault::crypto::foreign::BUILT {
            return Err(otpvault::error::NotBuilt("encrypted-files").into());
        }
        let password = other_password(
            "OTP_EXPORT_PASSPHRASE",
            &format!("Password for the {} export: ", format.app),
            true,
        )?;
        let bytes = selection.encrypted_file(&password)?;
        write_out(args.output.as_deref(), &bytes)?;
        note!(
            "otp: exported {n} accounts as an encrypted {} file; import it in {} with that password",
            format.app,
            format.app
        );
        return Ok(());
    };
    let place = match &args.output {
        Some(path) => format!("UNENCRYPTED to {}", ShownPath(path)),
        None => "to the terminal".to_string(),
    };
    input::confirm_export(&format!(
        "This writes the secrets of {n} accounts {place}. Continue?"
    ))?;
    match (&args.output, args.qr) {
        (None, false) => {
            for text in &texts {
                out!("{}", text.as_str())?;
            }
        }
        (None, true) => {
            // On a terminal, one code at a time, as a phone scans them; into
            // a pipe or a file, all of them.
            let one_at_a_time = io::stdout().is_terminal() && io::stdin().is_terminal();
            for (i, text) in texts.iter().enumerate() {
                if one_at_a_time {
                    // Clear the screen: the code before is scanned.
                    out!("\x1b[2J\x1b[H{} of {}:", i + 1, texts.len())?;
                } else {
                    out!("{} of {}:", i + 1, texts.len())?;
                }
                out!("{}", terminal_qr(text)?.as_str())?;
                if one_at_a_time && i + 1 < texts.len() {
                    input::wait_for_enter(&format!(
                        "press Enter for the next, {} of {}",
                        i + 2,
                        texts.len()
                    ))?;
                }
            }
        }
        (Some(path), false) => {
            let mut all = Zeroizing::new(String::new());
            for text in &texts {
                all.push_str(text);
                all.push('\n');
            }
            write_out(Some(path), all.as_bytes())?;
        }
        (Some(path), true) => {
            let stem = path.to_string_lossy().trim_end_matches(".png").to_string();
            for (i, text) in texts.iter().enumerate() {
                let file = PathBuf::from(format!("{stem}-{}.png", i + 1));
                let png = qr::to_png(text).map_err(ExportError::from)?;
                write_out(Some(&file), &png)?;
                note!("otp: wrote {}", ShownPath(&file));
            }
        }
    }
    if args.output.is_some() {
        warn(&format!(
            "the secrets of {n} accounts are now in UNENCRYPTED files (mode 0600): delete them once your phone has them"
        ));
    }
    if format.name == "google" {
        note!(
            "otp: in Google Authenticator, choose Transfer accounts → Import accounts and scan {}",
            if texts.len() == 1 {
                "the code".to_string()
            } else {
                format!("all {} codes", texts.len())
            }
        );
    }
    Ok(())
}

fn terminal_qr(text: &str) -> Result<Zeroizing<String>, ExportError> {
    Ok(qr::to_terminal(text)?)
}

/// Writes a new file with mode 0600 (never replacing one), or stdout.
fn write_out(path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(path) => Ok(store::write_atomic(path, bytes, false)?),
        None => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(Failure::Output)
        }
    }
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["uri", "qr"])))]
pub struct ShowArgs {
    /// The entry (an exact name wins, as for `code`).
    name: String,
    /// Print its otpauth:// URI.
    #[arg(long)]
    uri: bool,
    /// Draw its QR code in the terminal.
    #[arg(long)]
    qr: bool,
    /// With --qr: write the QR code to this PNG file instead (mode 0600; an
    /// existing file is not replaced).
    #[arg(long, short, value_name = "FILE.png", requires = "qr")]
    output: Option<PathBuf>,
}

pub fn show(ctx: &Context, args: ShowArgs) -> Result<(), Failure> {
    ctx.passphrase_even_if_unlocked("show");
    let (vault, _) = ctx.open()?;
    let entry = vault.entries().find(&args.name)?;
    let text = uri::format(entry);
    if let (true, Some(path)) = (args.qr, &args.output) {
        let png = qr::to_png(&text).map_err(ExportError::from)?;
        write_out(Some(path), &png)?;
        note!(
            "otp: wrote the QR code of {} to {}",
            Escaped(&entry.name),
            ShownPath(path)
        );
        warn(&format!(
            "{} holds the account's secret UNENCRYPTED (mode 0600): delete it once your phone has it",
            ShownPath(path)
        ));
    } else if args.qr {
        out!("{}", terminal_qr(&text)?.as_str())?;
        note!(
            "otp: scan this with your phone's authenticator to add {}",
            Escaped(&entry.name)
        );
    } else {
        out!("{}", text.as_str())?;
    }
    Ok(())
}
