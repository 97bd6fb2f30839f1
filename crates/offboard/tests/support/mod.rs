//! Helpers shared by the journal tests: a fresh journal path, and reading or rewriting its
//! lines by hand as an editor (or an attacker) would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A temporary directory and a journal path inside it (not created).
pub fn journal_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.journal");
    (dir, path)
}

/// The file's lines, without their newlines (a final line without one is included).
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

/// Writes `lines`, each followed by a newline.
pub fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for line in lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    std::fs::write(path, bytes).unwrap();
}

/// Lowercase hex SHA-256, computed independently of the crate.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the chain by hand: seq i on line i, prev the hash of the line before.
pub fn assert_chain(path: &Path) {
    let mut prev = "0".repeat(64);
    for (index, line) in lines(path).iter().enumerate() {
        let value: serde_json::Value = serde_json::from_slice(line).unwrap();
        assert_eq!(value["seq"], index as u64 + 1, "line {}", index + 1);
        assert_eq!(value["prev"], prev.as_str(), "line {}", index + 1);
        prev = sha256_hex(line);
    }
}
