//! `cargo xtask <job>`: the project's automation, the same commands locally and in CI.
//!
//! Jobs:
//! - `ci`: format check, clippy (all targets and features, warnings denied), the whole test
//!   suite, docs with warnings denied, and the facade built and tested with no features, with
//!   each vendor feature alone, and with `full`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The facade's vendor features and the crate folder each one needs.
const VENDOR_FEATURES: [(&str, &str); 5] = [
    ("rsa-cas", "crates/rsa-cas"),
    ("cf-access", "crates/cf-access"),
    ("onelogin", "crates/onelogin"),
    ("aa-controlroom", "crates/aa-controlroom"),
    ("alibaba-cloudsso", "crates/alibaba-cloudsso"),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(&root),
        _ => {
            eprintln!("usage: cargo xtask ci");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask lives one level below the workspace root.
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

fn ci(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    cargo(root, &["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(root, &["test", "--workspace", "--all-features"], &[])?;
    cargo(
        root,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    facade_features(root)?;
    println!("xtask ci: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// The facade with no features, each vendor feature alone, and `full`: each must build and
/// pass its tests, so a downstream crate can enable exactly the vendors it needs.
fn facade_features(root: &Path) -> Result<(), String> {
    if !root.join("crates/idp/Cargo.toml").exists() {
        println!("xtask: no facade crate yet, skipping the feature matrix");
        return Ok(());
    }
    let mut sets: Vec<String> = vec![String::new()];
    for (feature, folder) in VENDOR_FEATURES {
        if root.join(folder).join("Cargo.toml").exists() {
            sets.push(feature.to_owned());
        } else {
            println!("xtask: {folder} does not exist yet, skipping feature {feature}");
        }
    }
    if sets.len() == VENDOR_FEATURES.len() + 1 {
        sets.push("full".to_owned());
    }
    for features in sets {
        let mut args = vec!["test", "--package", "idp", "--no-default-features"];
        if !features.is_empty() {
            args.extend(["--features", features.as_str()]);
        }
        cargo(root, &args, &[])?;
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("\n$ cargo {}", args.join(" "));
    let started = Instant::now();
    let status = Command::new(&cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    println!("  ({:.1?})", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}
