//! Moving accounts between otpvault and other authenticators: `import`,
//! `export`, `show`, and reading a QR screenshot for `add --qr`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use otpvault::formats::{FormatError, aegis, google};
use otpvault::import::{self, Format, ImportError};
use otpvault::vault::store;
use otpvault::{Account, Entry, qr, uri};
use zeroize::Zeroizing;

use super::commands::Context;
use super::passphrase::other_password;
use super::{Failure, read_at_most, warn};

/// The largest export file read.
const MAX_IMPORT: u64 = 16 * 1024 * 1024;

/// The one account a QR screenshot holds, for `add --qr`.
pub fn account_from_qr(image: &Path) -> Result<Account, Failure> {
    let bytes = read_limited(image)?;
    if !qr::is_image(&bytes) {
        return Err(Failure::Import(qr::QrError::NotAnImage.into()));
    }
    let accounts = import::read(&bytes, Format::Auto, &|| None)?;
    match <[Account; 1]>::try_from(accounts) {
        Ok([one]) => Ok(one),
        Err(many) => Err(Failure::Input(format!(
            "the image holds {} accounts: use `otp import {}` to add them all",
            many.len(),
            image.display()
        ))),
    }
}

/// The file at `path`, or standard input for `-`.
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let what = path.display().to_string();
    if path == Path::new("-") {
        return read_at_most(io::stdin(), MAX_IMPORT, &what);
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Input(format!("cannot read {what}: {e}")))?;
    read_at_most(file, MAX_IMPORT, &what)
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export file, or - for standard input.
    file: PathBuf,
    /// auto, uri, google, aegis, 2fas or proton.
    #[arg(long, default_value = "auto", value_parser = |s: &str| s.parse::<Format>())]
    format: Format,
}

pub fn import(ctx: &Context, args: ImportArgs) -> Result<(), Failure> {
    let bytes = read_limited(&args.file)?;
    // Why no password could be had (no terminal, say) says more than the
    // format's "give its password".
    let unavailable = std::cell::RefCell::new(None);
    let password = || {
        other_password("OTP_IMPORT_PASSPHRASE", "Password of the export: ", false)
            .map_err(|e| *unavailable.borrow_mut() = Some(e))
            .ok()
    };
    // Read and check everything before touching the vault.
    let accounts = import::read(&bytes, args.format, &password).map_err(|e| {
        match (e, unavailable.take()) {
            (ImportError::Format(FormatError::PasswordNeeded), Some(why)) => why,
            (e, _) => Failure::from(e),
        }
    })?;
    let mut vault = ctx.open_or_create()?;
    let report = import::merge(&mut vault, accounts)?;
    if !report.added.is_empty() {
        vault.save()?;
    }
    note!(
        "otp: imported {} account{}{}",
        report.added.len(),
        if report.added.len() == 1 { "" } else { "s" },
        if report.added.is_empty() {
            String::new()
        } else {
            format!(": {}", report.added.join(", "))
        }
    );
    for (name, existing) in &report.skipped {
        note!("otp: skipped {name}: its secret is already in the vault as {existing}");
    }
    Ok(())
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// otpauth:// URIs, one a line.
    Uri,
    /// Google Authenticator transfer codes (otpauth-migration://).
    Google,
    /// An encrypted Aegis vault file.
    Aegis,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "uri")]
    format: ExportFormat,
    /// Draw QR codes (in the terminal, or PNG files with --output).
    #[arg(long)]
    qr: bool,
    /// Write to this file instead of standard output (with --qr: FILE-1.png, FILE-2.png, ...).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Asks on the terminal before secrets leave the vault; scripts (no
/// terminal) go ahead.
fn confirm(question: &str) -> Result<(), Failure> {
    if !io::stdin().is_terminal() {
        return Ok(());
    }
    let _ = write!(io::stderr(), "{question} [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Input(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::Input(
            "export cancelled: nothing was written".into(),
        ))
    }
}

pub fn export(ctx: &Context, args: ExportArgs) -> Result<(), Failure> {
    let (vault, _) = ctx.open()?;
    let mut entries: Vec<&Entry> = vault.entries().iter().collect();
    if args.format == ExportFormat::Google {
        entries.retain(|e| match google::unsupported(e) {
            Some(why) => {
                warn(&format!("left out {}: {why}", e.name));
                false
            }
            None => true,
        });
    }
    if entries.is_empty() {
        return Err(Failure::Input("there is nothing to export".into()));
    }
    let n = entries.len();
    if args.format == ExportFormat::Aegis {
        let password = other_password(
            "OTP_EXPORT_PASSPHRASE",
            "Password for the Aegis export: ",
            true,
        )?;
        let bytes = aegis::format(&entries, &password).map_err(ImportError::from)?;
        write_out(args.output.as_deref(), &bytes)?;
        note!(
            "otp: exported {n} accounts as an encrypted Aegis vault; import it in Aegis with that password"
        );
        return Ok(());
    }
    let texts: Vec<Zeroizing<String>> = match args.format {
        ExportFormat::Google => google::format(&entries),
        _ => entries.iter().map(|e| uri::format(e)).collect(),
    };
    let place = match &args.output {
        Some(path) => format!("UNENCRYPTED to {}", path.display()),
        None => "to the terminal".to_string(),
    };
    confirm(&format!(
        "This writes the secrets of {n} accounts {place}. Continue?"
    ))?;
    match (&args.output, args.qr) {
        (None, false) => {
            for text in &texts {
                out!("{}", text.as_str())?;
            }
        }
        (None, true) => {
            for (i, text) in texts.iter().enumerate() {
                out!("{} of {}:", i + 1, texts.len())?;
                out!(
                    "{}",
                    qr::to_terminal(text).map_err(ImportError::from)?.as_str()
                )?;
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
                let png = qr::to_png(text).map_err(ImportError::from)?;
                write_out(Some(&file), &png)?;
                note!("otp: wrote {}", file.display());
            }
        }
    }
    if args.output.is_some() {
        warn(&format!(
            "the secrets of {n} accounts are now in UNENCRYPTED files (mode 0600): delete them once your phone has them"
        ));
    }
    if args.format == ExportFormat::Google {
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
}

pub fn show(ctx: &Context, args: ShowArgs) -> Result<(), Failure> {
    let (vault, _) = ctx.open()?;
    let entry = vault.find(&args.name)?;
    let text = uri::format(entry);
    if args.qr {
        out!(
            "{}",
            qr::to_terminal(&text).map_err(ImportError::from)?.as_str()
        )?;
        note!(
            "otp: scan this with your phone's authenticator to add {}",
            entry.name
        );
    } else {
        out!("{}", text.as_str())?;
    }
    Ok(())
}
