//! The terminal side of `otp`: one function a command, which parses,
//! prompts and prints around calls into the library; how failures become
//! one-line messages and exit codes; and the process set-up that a library
//! must not do. Only this module prints.

/// Prints a line on stdout, the output that scripts read. A write that fails
/// (a full disk, a closed pipe) becomes a [`Failure`] to report, not a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_line(&mut std::io::stdout().lock(), format_args!($($arg)*))
            .map_err($crate::cli::Failure::Output)
    };
}

/// Prints a line of progress or a warning on stderr, unless `--quiet`.
/// Diagnostics that cannot be written are dropped: there is nowhere left to
/// report them.
macro_rules! note {
    ($($arg:tt)*) => {{
        if !$crate::cli::is_quiet() {
            let _ = $crate::cli::write_line(&mut std::io::stderr().lock(), format_args!($($arg)*));
        }
    }};
}

pub mod add;
pub mod agent;
pub mod backup;
pub mod browser;
pub mod clip;
pub mod code;
pub mod context;
pub mod detached;
pub mod edit;
pub mod environment;
pub mod failure;
pub mod init;
pub mod input;
pub mod list;
#[cfg_attr(not(feature = "shell"), path = "manual_off.rs")]
pub mod manual;
pub mod passphrase;
pub mod recovery;
pub mod start;
pub mod status;
pub mod sync;
pub mod time;
pub mod transfer;
pub mod tty;
#[cfg_attr(not(feature = "tui"), path = "watch_off.rs")]
pub mod watch;

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

pub use failure::Failure;
use otpvault::terminal::Escaped;

/// `--quiet`: notes and warnings are not printed; errors still are.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes `args` and a newline to `out`.
pub fn write_line(out: &mut impl Write, args: fmt::Arguments) -> io::Result<()> {
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Prints a failure as one line on stderr and turns it into the exit code.
pub fn report(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // A reader that stopped reading (`otp list | head -1`) wanted
            // no more output, and no message either.
            // Escaped as a whole, so that no message (whatever it quotes)
            // can carry a control character to the terminal.
            if !matches!(&failure, Failure::Output(e) if e.kind() == io::ErrorKind::BrokenPipe) {
                let _ = write_line(
                    &mut io::stderr().lock(),
                    format_args!("otp: {}", Escaped(&failure.to_string())),
                );
            }
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Keeps secrets out of core dumps: no core file, and (on Linux) not
/// dumpable, which also stops other processes of the same user from
/// attaching a debugger to read the unlocked vault. Failure leaves the
/// defaults, which is no worse than not trying.
pub fn harden_process() {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    let _ = setrlimit(Resource::Core, none);
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

/// One line for a panic, which is a bug: never a backtrace with values in
/// it. A QR decoder may assert on some pictures; the library catches
/// those panics and reports "no QR code", so their message is not shown.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location();
        if location.is_some_and(|l| l.file().contains("rxing")) {
            return;
        }
        let place = location.map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        let _ = write_line(
            &mut io::stderr().lock(),
            format_args!("otp: internal error{place}: this is a bug in otp; please report it"),
        );
    }));
}

/// The width of the terminal standard output goes to; `None` when it goes
/// elsewhere (a pipe, a file), where lines are not cut to fit.
pub fn terminal_columns() -> Option<usize> {
    let stdout = io::stdout();
    if !io::IsTerminal::is_terminal(&stdout) {
        return None;
    }
    let size = rustix::termios::tcgetwinsize(&stdout).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// A warning on stderr, kept apart from the output scripts read.
pub fn warn(message: &str) {
    note!("otp: warning: {}", Escaped(message));
}
