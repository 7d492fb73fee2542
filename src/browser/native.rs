//! Native messaging's frames: a 32-bit length in the machine's own byte
//! order, then that many bytes of UTF-8 JSON. A frame over [`MAX_MESSAGE`]
//! is refused before anything is allocated for it, and a frame begun must
//! be whole within [`MID_FRAME`] of its first byte: a browser that stops
//! mid-frame costs that time, never a hang.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use thiserror::Error;

/// The largest message either side sends: Chromium's own limit from the
/// host to the browser.
pub const MAX_MESSAGE: u32 = 1024 * 1024;

/// How long the rest of a frame may take once its first byte came.
pub const MID_FRAME: Duration = Duration::from_secs(5);

/// Why a frame could not be read or written.
#[derive(Debug, Error)]
pub enum FrameError {
    #[error("a message of {0} bytes is over native messaging's 1 MiB")]
    TooLong(u64),
    #[error("the browser's message ended before its length said")]
    Cut,
    #[error("the browser sent part of a message and then nothing for 5 s")]
    Stalled,
    #[error("the browser's message is not JSON of the host's protocol")]
    NotJson,
    #[error("otp could not write its answer as JSON: this is a bug in otp; please report it")]
    Unwritable,
    #[error("could not talk to the browser: {0}")]
    Io(#[from] io::Error),
}

/// Where messages come from: the browser's pipe ([`Patient`]), or bytes
/// (a test, the fuzzer).
pub trait Source: Read {
    /// A message was read whole: the next may take its time to begin.
    fn between_messages(&mut self) {}
}

impl Source for &[u8] {}

/// Reads one message; `None` when the browser closed the stream between
/// messages (the end of the conversation).
pub fn read(input: &mut impl Source) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < len.len() {
        match input.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Cut),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(FrameError::Stalled),
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_ne_bytes(len);
    if len > MAX_MESSAGE {
        return Err(FrameError::TooLong(len.into()));
    }
    let mut body = Vec::new();
    let read = input
        .take(u64::from(len))
        .read_to_end(&mut body)
        .map_err(|e| match e.kind() {
            io::ErrorKind::TimedOut => FrameError::Stalled,
            _ => FrameError::Io(e),
        })?;
    if read != len as usize {
        return Err(FrameError::Cut);
    }
    input.between_messages();
    Ok(Some(body))
}

/// Writes one message.
pub fn write(output: &mut impl Write, message: &[u8]) -> Result<(), FrameError> {
    let len = u32::try_from(message.len())
        .ok()
        .filter(|&n| n <= MAX_MESSAGE)
        .ok_or(FrameError::TooLong(message.len() as u64))?;
    output.write_all(&len.to_ne_bytes())?;
    output.write_all(message)?;
    output.flush()?;
    Ok(())
}

/// The browser's end of the pipe: a read waits without limit for a
/// message to begin; once its first byte came, the whole message must be
/// there within [`MID_FRAME`] (`TimedOut` after that).
pub struct Patient<R> {
    inner: R,
    /// When the message being read must be whole; `None` between messages.
    deadline: Option<Instant>,
}

impl<R: Read + AsFd> Patient<R> {
    pub fn new(inner: R) -> Patient<R> {
        Patient {
            inner,
            deadline: None,
        }
    }
}

impl<R: Read + AsFd> Read for Patient<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = rustix::event::Timespec::try_from(left).ok();
            let mut fds = [rustix::event::PollFd::new(
                &self.inner,
                rustix::event::PollFlags::IN,
            )];
            let ready = rustix::event::poll(&mut fds, timeout.as_ref())?;
            if ready == 0 {
                return Err(io::ErrorKind::TimedOut.into());
            }
        }
        let n = self.inner.read(buf)?;
        // The first bytes of a message start its clock.
        if self.deadline.is_none() && n > 0 {
            self.deadline = Some(Instant::now() + MID_FRAME);
        }
        Ok(n)
    }
}

impl<R: Read + AsFd> Source for Patient<R> {
    fn between_messages(&mut self) {
        self.deadline = None;
    }
}

impl crate::error::Kinded for FrameError {
    fn kind(&self) -> crate::error::ErrorKind {
        match self {
            FrameError::TooLong(_) | FrameError::Cut | FrameError::NotJson => {
                crate::error::ErrorKind::Usage
            }
            FrameError::Stalled | FrameError::Io(_) => crate::error::ErrorKind::Environment,
            FrameError::Unwritable => crate::error::ErrorKind::Internal,
        }
    }
}
