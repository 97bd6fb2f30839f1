//! The open, locked journal: appending records and closing runs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::JournalError;
use super::line::{fields_of, render};
use super::scan::{ScanError, scan};
use super::{Entry, TornTail};
use crate::sha256::sha256_hex;

/// An open journal, holding an exclusive lock on its file until it is dropped or closed.
///
/// See the [module docs](super) for the file format and what each operation guarantees.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    /// The seq the next line gets.
    next_seq: u64,
    /// The SHA-256 of the last line: the next line's `prev`.
    head: String,
    /// The file's length: the end of the last complete line.
    len: u64,
    /// Set when a failed write or sync leaves the file's state unknown.
    poisoned: bool,
}

/// What [`Journal::open`] found: the journal, ready to append, and what it already holds.
#[derive(Debug)]
#[non_exhaustive]
pub struct Opened {
    /// The journal, locked; appends go after the entries below.
    pub journal: Journal,
    /// Every record already in the file, verified, in order (empty for a new journal).
    pub entries: Vec<Entry>,
    /// The incomplete final line that open cut off, if a crash had left one. Its record was
    /// never acknowledged: the `append` that wrote it had not returned.
    pub torn_tail: Option<TornTail>,
}

impl Opened {
    /// The entries after the last closing record: the run that stopped without closing, to
    /// resume from. Empty when the journal is new or its last run closed.
    pub fn unclosed_run(&self) -> &[Entry] {
        let start = self
            .entries
            .iter()
            .rposition(Entry::is_closing)
            .map_or(0, |last_closing| last_closing + 1);
        &self.entries[start..]
    }
}

impl Journal {
    /// Opens the journal at `path`, creating it (mode 0600 on Unix) if it does not exist.
    ///
    /// Takes an exclusive lock first and fails at once with [`JournalError::Locked`] if
    /// another open `Journal` holds it (it never waits). Then reads and verifies every
    /// line: a broken chain is [`JournalError::Broken`], naming the first bad line; a final
    /// line without its newline is a write that a crash interrupted, and is cut off (the file
    /// is truncated to the end of the last complete line, durably) and reported in
    /// [`Opened::torn_tail`].
    ///
    /// An existing file keeps its permissions.
    pub fn open(path: impl AsRef<Path>) -> Result<Opened, JournalError> {
        let path = path.as_ref().to_path_buf();
        let io_error = |action| {
            let path = path.clone();
            move |source| JournalError::Io {
                path,
                action,
                source,
            }
        };
        let (file, created) = open_or_create(&path).map_err(io_error("open the file"))?;
        let metadata = file
            .metadata()
            .map_err(io_error("read the file's metadata"))?;
        if !metadata.is_file() {
            return Err(JournalError::NotAFile { path });
        }
        // Fully qualified: since Rust 1.89 `File` has an inherent `try_lock` of its own, which
        // method syntax would pick, and the workspace supports 1.88.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => return Err(JournalError::Locked { path }),
            Err(fs4::TryLockError::Error(source)) => {
                return Err(io_error("lock the file")(source));
            }
        }
        if created {
            sync_parent_directory(&path).map_err(io_error("sync the new file's directory"))?;
        }
        let mut entries = Vec::new();
        let scanned = match scan(BufReader::new(&file), |entry| entries.push(entry)) {
            Ok(scanned) => scanned,
            Err(ScanError::Io(source)) => return Err(io_error("read the file")(source)),
            Err(ScanError::Broken { line, reason }) => {
                return Err(JournalError::Broken { path, line, reason });
            }
        };
        if scanned.torn_tail.is_some() {
            file.set_len(scanned.len)
                .map_err(io_error("cut off the torn final line"))?;
            file.sync_all()
                .map_err(io_error("sync the file after cutting its torn final line"))?;
        }
        let journal = Journal {
            file,
            path,
            next_seq: scanned.records + 1,
            head: scanned.head,
            len: scanned.len,
            poisoned: false,
        };
        Ok(Opened {
            journal,
            entries,
            torn_tail: scanned.torn_tail,
        })
    }

    /// Appends `record` (any `Serialize` that is a JSON object) as one line, and returns its
    /// seq once the line is durable (`fdatasync`ed).
    ///
    /// The record may not set `seq` or `prev`, nor `"type": "closing"` (use
    /// [`close`](Self::close)); a refused record writes nothing and uses no seq.
    ///
    /// A write that fails is undone where possible; when it cannot be, or when the sync fails
    /// (the record may then be in the file or not: reopening tells), the journal refuses
    /// further appends with [`JournalError::Poisoned`]; open it again to continue.
    pub fn append<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<u64, JournalError> {
        let fields = fields_of(record)?;
        self.write_line(false, &fields)
    }

    /// Writes the closing record of this run, `{"type": "closing", …summary}`, durably, and
    /// releases the lock. Returns its seq.
    ///
    /// `summary` is a JSON object such as `{"counts": {"deleted": 3, "failed": 1}}`; it may
    /// not set `seq`, `prev` or `type`. A later [`open`](Self::open) can start another run in
    /// the same file. On an error the lock is released all the same; open the journal again
    /// to retry.
    pub fn close<T: Serialize + ?Sized>(mut self, summary: &T) -> Result<u64, JournalError> {
        let fields = fields_of(summary)?;
        self.write_line(true, &fields)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The seq the next record will get (1 for an empty journal).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The lowercase hex SHA-256 of the last line (64 zeros for an empty journal). A copy
    /// kept elsewhere lets a later reader tell that the file was not rewritten.
    pub fn head(&self) -> &str {
        &self.head
    }

    fn write_line(
        &mut self,
        closing: bool,
        fields: &Map<String, Value>,
    ) -> Result<u64, JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned {
                path: self.path.clone(),
            });
        }
        let seq = self.next_seq;
        let line = render(seq, &self.head, closing, fields)?;
        let hash = sha256_hex(line.as_bytes());
        let mut bytes = line.into_bytes();
        bytes.push(b'\n');
        // One write of the whole line: the file is opened for appending, so it lands at the
        // end; a crash can leave only a prefix of it, which the next open cuts off.
        if let Err(source) = (&self.file).write_all(&bytes) {
            // A partial line left in place would run into the next one.
            if self.file.set_len(self.len).is_err() {
                self.poisoned = true;
            }
            return Err(self.io_error("write the record", source));
        }
        if let Err(source) = self.file.sync_data() {
            // After a failed fsync, Linux may drop the dirty pages and clear the error, so
            // whether the line reached the disk is unknown: write nothing more after it.
            self.poisoned = true;
            return Err(self.io_error("sync the record to disk", source));
        }
        self.len += bytes.len() as u64;
        self.head = hash;
        self.next_seq += 1;
        Ok(seq)
    }

    fn io_error(&self, action: &'static str, source: io::Error) -> JournalError {
        JournalError::Io {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

/// Opens `path` for reading and appending, creating it if needed; says whether it did.
fn open_or_create(path: &Path) -> io::Result<(File, bool)> {
    let mut create = OpenOptions::new();
    create.read(true).append(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    match create.open(path) {
        Ok(file) => Ok((file, true)),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new().read(true).append(true).open(path)?;
            Ok((file, false))
        }
        Err(err) => Err(err),
    }
}

/// Makes a new file's directory entry durable, so a crash cannot lose the file itself.
#[cfg(unix)]
fn sync_parent_directory(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// Windows cannot open a directory as a `File`; NTFS journals its metadata itself.
#[cfg(not(unix))]
fn sync_parent_directory(_path: &Path) -> io::Result<()> {
    Ok(())
}
