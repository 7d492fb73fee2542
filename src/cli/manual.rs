//! Completion scripts (clap_complete) and manual pages (clap_mangen), the
//! shell feature.

use otpvault::terminal::ShownPath;
use std::io;

use clap::Args;
use clap_complete::Shell;

use std::path::PathBuf;

use otpvault::error::{ErrorKind, Kinded};
use thiserror::Error;

use super::Failure;
use super::environment::ENVIRONMENT;

/// Why no page was written.
#[derive(Debug, Error)]
pub enum ManualError {
    #[error("cannot write into {shown_path}: {source}; check that the folder exists and is yours", shown_path = otpvault::terminal::ShownPath(.path))]
    WriteFile { path: PathBuf, source: io::Error },
    #[error("otp has no command {}: `otp --help` lists them", otpvault::terminal::Quoted(.0))]
    NoSuchCommand(String),
}

impl Kinded for ManualError {
    fn kind(&self) -> ErrorKind {
        match self {
            ManualError::WriteFile { .. } => ErrorKind::Environment,
            ManualError::NoSuchCommand(_) => ErrorKind::Usage,
        }
    }
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    shell: Shell,
}

/// `otp completions SHELL`: the shell's completion script on stdout. The
/// helpers started by otp itself (the agent, the clipboard holder) are
/// not offered.
pub fn completions(command: clap::Command, args: &CompletionsArgs) -> Result<(), Failure> {
    let mut shown = without_hidden(command);
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut shown, "otp", &mut script);
    write_all(&script)
}

/// `command` without its hidden subcommands (clap's completions offer
/// them).
fn without_hidden(command: clap::Command) -> clap::Command {
    let shown: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .cloned()
        .map(without_hidden)
        .collect();
    let mut kept = clap::Command::new(command.get_name().to_string())
        .args(command.get_arguments().cloned())
        .subcommands(shown)
        .disable_help_subcommand(true);
    if let Some(about) = command.get_about() {
        kept = kept.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        kept = kept.version(version.to_string());
    }
    kept
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The page of this command (`otp man code` is otp-code(1)) [default:
    /// the main page, otp(1)].
    command: Option<String>,
    /// Write every page, otp.1 and otp-COMMAND.1, into this folder (such
    /// as ~/.local/share/man/man1) instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    output_dir: Option<std::path::PathBuf>,
}

/// `otp man [COMMAND]`: a manual page, roff, on stdout; `--output-dir`:
/// all of them, one file a page.
pub fn man(mut command: clap::Command, args: &ManArgs) -> Result<(), Failure> {
    command.build();
    if let Some(dir) = &args.output_dir {
        let write = |name: String, page: Vec<u8>| {
            std::fs::write(dir.join(name), page).map_err(|source| {
                Failure::from(ManualError::WriteFile {
                    path: dir.clone(),
                    source,
                })
            })
        };
        write("otp.1".into(), main_page(&command)?)?;
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let man = clap_mangen::Man::new(sub.clone());
            write(man.get_filename(), page(&man)?)?;
        }
        note!("otp: wrote the manual pages into {}", ShownPath(dir));
        return Ok(());
    }
    let text = match &args.command {
        None => main_page(&command)?,
        Some(name) => {
            let sub = command
                .get_subcommands()
                .find(|s| s.get_name() == name || s.get_all_aliases().any(|a| a == name))
                .filter(|s| !s.is_hide_set())
                .ok_or_else(|| ManualError::NoSuchCommand(name.clone()))?;
            page(&clap_mangen::Man::new(sub.clone()))?
        }
    };
    write_all(&text)
}

fn page(man: &clap_mangen::Man) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    man.render(&mut out).map_err(Failure::Output)?;
    Ok(out)
}

/// otp(1): clap's sections, then EXIT STATUS, ENVIRONMENT and FILES.
fn main_page(command: &clap::Command) -> Result<Vec<u8>, Failure> {
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    (|| {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        man.render_subcommands_section(&mut out)?;
        Ok(())
    })()
    .map_err(Failure::Output)?;
    let mut roff = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in super::failure::exit::MEANINGS {
        roff.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", escape_roff(meaning)));
    }
    roff.push_str(".SH ENVIRONMENT\n");
    for (name, meaning) in ENVIRONMENT {
        roff.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            escape_roff(name),
            escape_roff(meaning)
        ));
    }
    roff.push_str(".SH FILES\n");
    for (file, meaning) in FILES {
        roff.push_str(&format!(
            ".TP\n\\fI{}\\fR\n{}\n",
            escape_roff(file),
            escape_roff(meaning)
        ));
    }
    // No hyphenation: a page's name is typed as it is shown.
    roff.push_str(".SH \"SEE ALSO\"\n.nh\n");
    let pages: Vec<String> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| {
            format!(
                "\\fB{}\\fR(1)",
                escape_roff(s.get_display_name().unwrap_or(s.get_name()))
            )
        })
        .collect();
    roff.push_str(&pages.join(",\n"));
    roff.push('\n');
    out.extend_from_slice(roff.as_bytes());
    man.render_version_section(&mut out)
        .map_err(Failure::Output)?;
    Ok(out)
}

/// The files otp reads and writes, for the manual page.
const FILES: [(&str, &str); 5] = [
    (
        "$XDG_DATA_HOME/otpvault/vault.otpvault",
        "the vault (~/.local/share/otpvault/vault.otpvault when XDG_DATA_HOME is unset; --vault, OTP_VAULT or the config file's vault choose another)",
    ),
    (
        "VAULT.backups/",
        "the automatic backups of the vault, beside it (otp restore lists them)",
    ),
    ("VAULT.lock", "the lock a change holds while it writes"),
    (
        "$XDG_CONFIG_HOME/otpvault/config.toml",
        "the config file (otp config path prints where)",
    ),
    (
        "$XDG_RUNTIME_DIR/otpvault/",
        "the agent's socket while the vault is unlocked",
    ),
];

/// Text made safe for roff: backslashes doubled, hyphens as \-, and a
/// leading dot or quote kept from being read as a request.
fn escape_roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

fn write_all(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Failure::Output)
}
