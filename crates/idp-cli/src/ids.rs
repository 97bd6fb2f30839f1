//! Where the ids come from: the command line, then a file or standard input, read lazily so
//! a file of a million ids is never held in memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::stream::{self, Stream, StreamExt};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use crate::config::UsageError;

/// A read error met after the run started; reported at the end, never swallowed.
#[derive(Debug, Clone, Default)]
pub struct ReadFailure(Arc<Mutex<Option<String>>>);

impl ReadFailure {
    fn set(&self, message: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    /// The error, if reading stopped early.
    pub fn get(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Opens the id sources; fails (as a usage error) only if the file cannot be opened.
pub async fn id_stream(
    positional: Vec<String>,
    from: Option<&Path>,
    failure: ReadFailure,
) -> Result<impl Stream<Item = String> + Send + 'static, UsageError> {
    let reader: Option<(PathBuf, Box<dyn AsyncBufRead + Send + Unpin>)> = match from {
        None => None,
        Some(path) if path == Path::new("-") => Some((
            path.to_owned(),
            Box::new(BufReader::new(tokio::io::stdin())),
        )),
        Some(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .map_err(|e| UsageError(format!("cannot open id file {}: {e}", path.display())))?;
            Some((path.to_owned(), Box::new(BufReader::new(file))))
        }
    };
    let from_file = stream::unfold(reader, move |state| {
        let failure = failure.clone();
        async move {
            let (path, mut reader) = state?;
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line).await {
                    Ok(0) => return None,
                    Ok(_) => {
                        if let Some(id) = clean(&line) {
                            return Some((id, Some((path, reader))));
                        }
                    }
                    Err(e) => {
                        failure.set(format!("reading ids from {} stopped: {e}", path.display()));
                        return None;
                    }
                }
            }
        }
    });
    // Ids typed on the command line are taken as given: an empty one fails validation
    // visibly instead of vanishing.
    Ok(stream::iter(positional).chain(from_file.boxed()))
}

/// Trims an id; blank lines and `#` comments are skipped.
fn clean(line: &str) -> Option<String> {
    let id = line.trim();
    (!id.is_empty() && !id.starts_with('#')).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blanks_are_skipped_and_ids_trimmed() {
        assert_eq!(clean("  42 \r\n"), Some("42".into()));
        assert_eq!(clean("# offboarded 2026-11-23\n"), None);
        assert_eq!(clean("   \n"), None);
    }
}
