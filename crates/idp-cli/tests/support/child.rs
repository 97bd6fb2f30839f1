//! The built `idp` binary as a running child: its output read as it comes, signals sent to
//! it, and its stdout sent where a test needs it (a full device, a reader that goes away).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Run;

/// `idp` with exactly `env` as its environment (nothing inherited but PATH), every stream
/// piped; change what the test needs before [`Running::start`].
pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idp"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// What was read so far from one of the child's streams, with a way to wait for more.
#[derive(Clone, Default)]
struct Collected {
    inner: Arc<(Mutex<Stream>, Condvar)>,
}

#[derive(Default)]
struct Stream {
    bytes: Vec<u8>,
    /// The reading end is closed (the child's end of the stream, or ours on purpose).
    closed: bool,
}

impl Collected {
    fn push(&self, bytes: &[u8]) {
        self.change(|stream| stream.bytes.extend_from_slice(bytes));
    }

    fn close(&self) {
        self.change(|stream| stream.closed = true);
    }

    fn change(&self, change: impl FnOnce(&mut Stream)) {
        let (stream, changed) = &*self.inner;
        change(&mut stream.lock().unwrap_or_else(PoisonError::into_inner));
        changed.notify_all();
    }

    fn text(&self) -> String {
        let stream = self.inner.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&stream.bytes).into_owned()
    }

    fn wait_until(&self, timeout: Duration, ready: impl Fn(&Stream) -> bool) -> bool {
        let (stream, changed) = &*self.inner;
        let end = Instant::now() + timeout;
        let mut stream = stream.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if ready(&stream) {
                return true;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            stream = changed
                .wait_timeout(stream, left.min(Duration::from_millis(50)))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// A running `idp`.
pub struct Running {
    child: Child,
    stdout: Collected,
    stderr: Collected,
    readers: Vec<JoinHandle<()>>,
}

impl Running {
    /// Spawns `command`, writes `stdin` to it and closes it, and reads stdout and stderr
    /// (those that are pipes) as they come.
    pub fn start(command: Command, stdin: &[u8]) -> Running {
        Running::spawn(command, stdin, None)
    }

    /// Like [`Running::start`], but stdout's reader closes the pipe after `lines` lines, as
    /// `| head -n <lines>` does.
    pub fn start_closing_stdout_after(command: Command, stdin: &[u8], lines: usize) -> Running {
        Running::spawn(command, stdin, Some(lines))
    }

    fn spawn(mut command: Command, stdin: &[u8], stdout_lines: Option<usize>) -> Running {
        let mut child = command.spawn().expect("spawn idp");
        if let Some(mut pipe) = child.stdin.take() {
            let bytes = stdin.to_vec();
            // A writer of its own: the child may read its input only after a while.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let stdout = Collected::default();
        let stderr = Collected::default();
        let mut readers = Vec::new();
        if let Some(pipe) = child.stdout.take() {
            let sink = stdout.clone();
            readers.push(std::thread::spawn(move || {
                read_lines(pipe, &sink, stdout_lines);
            }));
        }
        if let Some(pipe) = child.stderr.take() {
            let sink = stderr.clone();
            readers.push(std::thread::spawn(move || read_all(pipe, &sink)));
        }
        Running {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        kill(Pid::from_raw(pid), signal).expect("send a signal");
    }

    /// Stdout read so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Stderr read so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits (at most `timeout`) until stderr contains `needle`.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        self.stderr.wait_until(timeout, |s| {
            String::from_utf8_lossy(&s.bytes).contains(needle)
        })
    }

    /// Waits (at most `timeout`) until stdout's reader has closed the pipe (see
    /// [`Running::start_closing_stdout_after`]) or the child closed it.
    pub fn wait_for_stdout_closed(&self, timeout: Duration) -> bool {
        self.stdout.wait_until(timeout, |s| s.closed)
    }

    /// Waits (at most `timeout`) for the child to exit; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<i32> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(exit_code(status));
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the child to exit (killing it after a minute: a test must not hang) and
    /// returns what it printed.
    pub fn finish(mut self) -> Run {
        let code = match self.wait_timeout(Duration::from_secs(60)) {
            Some(code) => code,
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "idp did not exit within a minute; stderr:\n{}",
                    self.stderr()
                );
            }
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Run {
            code,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The exit code, or 128 + the signal that ended the process (as a shell reports it).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

fn read_lines(pipe: ChildStdout, sink: &Collected, limit: Option<usize>) {
    let mut reader = BufReader::new(pipe);
    let mut count = 0;
    while limit.is_none_or(|limit| count < limit) {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                count += 1;
                sink.push(&line);
            }
        }
    }
    // Dropping the reader closes the pipe: the child's next write fails.
    drop(reader);
    sink.close();
}

fn read_all(mut pipe: impl Read, sink: &Collected) {
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => sink.push(&buffer[..n]),
        }
    }
    sink.close();
}
