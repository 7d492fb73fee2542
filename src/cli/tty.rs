//! A line typed on the controlling terminal without echo: the passphrase,
//! a pasted setup key or recovery key. Read from `/dev/tty`, never from
//! standard input, so that a pipe into `otp` is not taken for typing.
//!
//! Written on rustix's termios rather than taken from rpassword: the same
//! dozen calls, one crate fewer in the core build, and every byte read
//! goes straight into one wiped buffer.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};

use rustix::termios::{self, LocalModes, OptionalActions, Termios};
use zeroize::Zeroizing;

/// Puts the terminal's modes back when the read ends, however it ends.
struct Restore<'a> {
    tty: &'a File,
    saved: Termios,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.tty, OptionalActions::Now, &self.saved);
    }
}

/// Shows `prompt` on the terminal and reads one line without echoing it
/// (the newline is echoed, so the next output starts on its own line). A
/// line longer than `max` bytes is refused as `InvalidInput`; one that is
/// not UTF-8 as `InvalidData`. No terminal is `NotFound` or the error of
/// opening it.
pub fn read_hidden(prompt: &str, max: usize) -> io::Result<Zeroizing<String>> {
    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let saved = termios::tcgetattr(&tty)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    (&tty).write_all(prompt.as_bytes())?;
    (&tty).flush()?;
    termios::tcsetattr(&tty, OptionalActions::Now, &quiet)?;
    let restore = Restore { tty: &tty, saved };
    let line = read_line(restore.tty, max);
    drop(restore);
    let line = line?;
    let text = std::str::from_utf8(&line).map_err(|_| io::ErrorKind::InvalidData)?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Bytes up to a newline (or the end), without it or a carriage return
/// before it, read one at a time so that nothing past the line is taken.
fn read_line(mut tty: &File, max: usize) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let mut too_long = false;
    let mut byte = [0u8; 1];
    loop {
        match tty.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            // The rest of an overlong line is read and dropped, so that it
            // is not taken for the answer to the next prompt.
            Ok(_) if line.len() >= max => too_long = true,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if too_long {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}
