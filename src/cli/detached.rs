//! Small processes of `otp` that outlive the command that starts them: the
//! agent, which holds a vault's key, and the clipboard holder, which offers
//! a code and clears it. Both are this same binary under a hidden
//! subcommand, detached from the terminal, and both are handed their secret
//! on standard input, never in their arguments or environment, where other
//! users could read it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::Failure;
use super::input::InputError;

/// What a detached process says once it is set up.
const READY: &str = "ready";
/// How long a detached process may take to say it.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts `otp ARGS` detached, writes `secret` and a newline on its
/// standard input, and waits for its first line: `ready`, or why it could
/// not start, which is returned as the error. `what` names the helper in
/// messages ("the agent").
pub fn start(args: &[OsString], secret: &[u8], what: &'static str) -> Result<(), Failure> {
    let failed = |why: String| -> Failure { InputError::HelperStart { what, why }.into() };
    let exe = std::env::current_exe().map_err(|e| failed(e.to_string()))?;
    let mut command = Command::new(exe);
    otpvault::unlock::sources::without_secrets(&mut command);
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .current_dir("/")
        .spawn()
        .map_err(|e| failed(e.to_string()))?;
    {
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| failed("no pipe to it".into()))?;
        let mut line = Zeroizing::new(Vec::with_capacity(secret.len() + 1));
        line.extend_from_slice(secret);
        line.push(b'\n');
        stdin.write_all(&line).map_err(|e| failed(e.to_string()))?;
    }
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("no pipe from it".into()))?;
    // A helper that hangs (an X server that does not answer) must not
    // hang the command that started it.
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut answer = String::new();
        let _ = BufReader::new(stdout).take(1024).read_line(&mut answer);
        let _ = send.send(answer);
    });
    let answer = receive.recv_timeout(ANSWER_WITHIN).unwrap_or_default();
    let answer = answer.trim();
    if answer == READY {
        return Ok(());
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(failed(if answer.is_empty() {
        "it did not answer".into()
    } else {
        answer.to_string()
    }))
}

/// In a helper: leaves the terminal's session, so that closing the
/// terminal does not end it, and reads the secret line (at most `max`
/// bytes).
pub fn begin(max: u64) -> Zeroizing<String> {
    let _ = rustix::process::setsid();
    let mut line = Zeroizing::new(String::with_capacity(usize::try_from(max).unwrap_or(0)));
    let _ = std::io::stdin().lock().take(max).read_line(&mut line);
    Zeroizing::new(line.trim().to_string())
}

/// In a helper: tells the command that started it that it is set up, or
/// why not (one line, from this program's own messages).
pub fn answer(result: Result<(), String>) {
    let line = match result {
        Ok(()) => READY.to_string(),
        Err(why) => why.replace('\n', " "),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

/// In a helper, once it has answered: its standard streams point at
/// /dev/null, so that it holds no pipe or terminal of the command that
/// started it.
pub fn quiet() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let _ = rustix::stdio::dup2_stdin(&null);
        let _ = rustix::stdio::dup2_stdout(&null);
        let _ = rustix::stdio::dup2_stderr(&null);
    }
}
