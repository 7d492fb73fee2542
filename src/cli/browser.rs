//! `otp browser install|uninstall|status`: the manifest that lets a
//! browser start otp for the extension, and `otp browser-host` (hidden),
//! what the browser starts. The rules are the library's
//! ([`otpvault::browser`]); this file parses and prints.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use otpvault::browser::install::{self, Browser, InstallError, State};
use otpvault::browser::{host, native};
use otpvault::terminal::ShownPath;

use super::Failure;
use super::context::Context;

#[derive(Subcommand, Debug)]
pub enum BrowserCommand {
    /// Let a browser start otp for the otpvault extension (writes its
    /// native-messaging host manifest, naming this otp).
    Install(Which),
    /// Remove that manifest.
    Uninstall(Which),
    /// Say which browsers have the manifest, and which otp it names.
    Status(Only),
}

#[derive(Args, Debug)]
pub struct Only {
    /// Only this browser [default: every one].
    #[arg(long, value_parser = browser_names())]
    browser: Option<Browser>,
}

#[derive(Args, Debug)]
pub struct Which {
    /// The browser.
    #[arg(long, default_value = "chromium", value_parser = browser_names())]
    browser: Browser,
}

/// `--browser`: the library's names, offered by completion.
fn browser_names() -> impl TypedValueParser<Value = Browser> {
    clap::builder::PossibleValuesParser::new(Browser::ALL.map(Browser::name))
        .try_map(|name| Browser::from_name(&name).ok_or("no such browser"))
}

/// This otp, by the absolute path a browser can start it from, as the
/// system gives it (not made canonical further).
fn this_otp() -> Result<PathBuf, Failure> {
    std::env::current_exe().map_err(|e| InstallError::Unlocated(e).into())
}

pub fn browser(command: BrowserCommand) -> Result<(), Failure> {
    match command {
        BrowserCommand::Install(which) => {
            let browser = which.browser;
            let otp = this_otp()?;
            let path = install::install(browser, &otp)?;
            out!("{}", ShownPath(&path))?;
            note!(
                "otp: {} may now start {} for the otpvault extension; load the extension from browser/extension (the README says how)",
                browser.name(),
                ShownPath(&otp)
            );
        }
        BrowserCommand::Uninstall(which) => {
            let browser = which.browser;
            match install::uninstall(browser)? {
                Some(path) => out!("removed {}", ShownPath(&path))?,
                None => note!("otp: {} had no manifest for otp", browser.name()),
            }
        }
        BrowserCommand::Status(only) => {
            let this = this_otp()?;
            let status = install::status(&this)?;
            let shown = status
                .into_iter()
                .filter(|(browser, _, _)| only.browser.is_none_or(|b| b == *browser));
            for (browser, path, state) in shown {
                let said = match state {
                    State::Missing => "not installed".to_string(),
                    State::Installed {
                        otp,
                        current,
                        exists,
                    } => format!(
                        "installed, starts {}{}",
                        ShownPath(&otp),
                        match (current, exists) {
                            (true, _) => " (this otp)",
                            (false, true) => " (another otp)",
                            (false, false) => " (missing: run `otp browser install` again)",
                        }
                    ),
                    State::Unusable(why) => format!(
                        "a manifest otp cannot use ({}): run `otp browser install` to replace it",
                        otpvault::terminal::Escaped(&why.to_string())
                    ),
                };
                out!("{:<9} {said}  {}", browser.name(), ShownPath(&path))?;
            }
        }
    }
    Ok(())
}

/// The host the browser starts: answers the extension from the agent of
/// the vault the config names, until the browser closes the pipe. It never
/// prompts: with no agent, every answer says the vault is locked.
pub fn host(ctx: &Context) -> Result<(), Failure> {
    let stdin = rustix::io::dup(rustix::stdio::stdin()).map_err(|e| Failure::Output(e.into()))?;
    let mut input = native::Patient::new(std::fs::File::from(stdin));
    let mut output = std::io::stdout().lock();
    let vault = ctx.vault_path().to_path_buf();
    host::serve(&mut input, &mut output, &mut |op| {
        otpvault::dispatch::agent_only(&vault, op)
    })?;
    Ok(())
}
