//! Where the ids of `idp delete` come from: the command line (`-` meaning standard input),
//! then `--from`. Every source is opened and checked before the first request; each distinct
//! id is kept once; a line that cannot be an id is refused on its own and reading goes on.

use std::collections::HashSet;
use std::path::Path;

use idp::Error;

use crate::exit::UsageError;
use crate::lines::{Line, MAX_LINE_BYTES, Source};

/// One entry of the input, in order.
#[derive(Debug)]
pub enum IdEntry {
    /// An id to send (still to be checked by the vendor's rules).
    Id(String),
    /// A line refused while reading (not UTF-8, too long); nothing is sent for it.
    Refused {
        /// What the line looked like, shortened.
        shown: String,
        /// Why it was refused.
        error: Error,
    },
}

/// The ids of a run.
#[derive(Debug)]
pub struct Ids {
    /// Every distinct id (and refused line), in input order.
    pub entries: Vec<IdEntry>,
    /// How many repeated ids were dropped.
    pub duplicates: usize,
}

/// Reads every id. Opening or reading a source fails as a usage error (nothing has been
/// sent); so does an input with no id at all.
pub fn read(positional: Vec<String>, from: Option<&Path>) -> Result<Ids, UsageError> {
    let wants_stdin =
        positional.iter().any(|id| id == "-") || from.is_some_and(|p| p == Path::new("-"));
    let mut sources = Vec::new();
    if wants_stdin {
        sources.push(Source::open(Path::new("-"))?);
    }
    if let Some(path) = from.filter(|p| *p != Path::new("-")) {
        sources.push(Source::open(path)?);
    }
    // Ids typed on the command line are taken as given: an empty one fails validation
    // visibly instead of vanishing.
    let mut entries: Vec<IdEntry> = positional
        .into_iter()
        .filter(|id| id != "-")
        .map(IdEntry::Id)
        .collect();
    for mut source in sources {
        let mut number = 0usize;
        while let Some(line) = source.next_line()? {
            number += 1;
            let refuse = |shown: String, why: String| IdEntry::Refused {
                shown,
                error: Error::invalid_input(format!("{} line {number} {why}", source.name())),
            };
            match line {
                Line::Text(text) => {
                    let id = text.trim();
                    if id.is_empty() || id.starts_with('#') {
                        continue;
                    }
                    // Most lines need no trimming: keep the line's own string.
                    let id = if id.len() == text.len() {
                        text
                    } else {
                        id.to_owned()
                    };
                    entries.push(IdEntry::Id(id));
                }
                Line::NotUtf8(lossy) if lossy.trim_start().starts_with('#') => {}
                Line::NotUtf8(lossy) => entries.push(refuse(
                    idp::text::truncate_for_message(lossy.trim()),
                    "is not valid UTF-8".to_owned(),
                )),
                Line::TooLong(head) => entries.push(refuse(
                    head,
                    format!("is longer than {MAX_LINE_BYTES} bytes"),
                )),
            }
        }
    }
    let duplicates = drop_repeats(&mut entries);
    let ids = Ids {
        entries,
        duplicates,
    };
    if ids.entries.is_empty() {
        return Err(UsageError(
            "no user ids given: give them as arguments or with --from FILE (- for standard \
             input)"
                .to_owned(),
        ));
    }
    Ok(ids)
}

/// Keeps the first of each id (refused lines all stay); returns how many were dropped. The
/// set borrows the ids, so no id is copied.
fn drop_repeats(entries: &mut Vec<IdEntry>) -> usize {
    let mut seen = HashSet::with_capacity(entries.len());
    let keep: Vec<bool> = entries
        .iter()
        .map(|entry| match entry {
            IdEntry::Id(id) => seen.insert(id.as_str()),
            IdEntry::Refused { .. } => true,
        })
        .collect();
    drop(seen);
    let before = entries.len();
    let mut keep = keep.into_iter();
    entries.retain(|_| keep.next().unwrap_or(true));
    before - entries.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(entries: &[IdEntry]) -> Vec<&str> {
        entries
            .iter()
            .map(|entry| match entry {
                IdEntry::Id(id) => id.as_str(),
                IdEntry::Refused { shown, .. } => shown.as_str(),
            })
            .collect()
    }

    #[test]
    fn the_first_of_each_id_stays_in_order_and_refused_lines_all_stay() {
        let refused = |shown: &str| IdEntry::Refused {
            shown: shown.to_owned(),
            error: Error::invalid_input("refused"),
        };
        let id = |id: &str| IdEntry::Id(id.to_owned());
        let mut entries = vec![
            id("b"),
            id("a"),
            refused("x"),
            id("b"),
            refused("x"),
            id("c"),
            id("a"),
        ];
        assert_eq!(drop_repeats(&mut entries), 2);
        assert_eq!(ids(&entries), ["b", "a", "x", "x", "c"]);
    }
}
