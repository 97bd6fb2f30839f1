//! Writing to stderr without ever panicking: a full log disk or a closed stderr must not end a
//! run (`eprintln!` panics when the write fails).

use std::io::Write;

/// Writes `message` and a newline to stderr, ignoring a failed write.
pub fn line(message: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{message}");
    let _ = stderr.flush();
}

/// Whether stderr is a terminal.
pub fn is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
