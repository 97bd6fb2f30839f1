//! `cargo xtask publish [--dry-run | --yes]`: package, verify and (for real) upload every
//! publishable crate of the workspace, in dependency order.
//!
//! Both modes are `cargo publish --workspace`: cargo orders the crates (idp-core, the vendor
//! crates, the facade, then what depends on it), packages each one, builds the packaged sources
//! against the packages before it (not against the workspace paths, so a file missing from a
//! package or an undeclared dependency fails here), and with `--dry-run` stops before
//! uploading. Any warning in that output fails the job: a release should not carry one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const USAGE: &str =
    "usage: cargo xtask publish --dry-run   package and verify every crate, upload nothing
       cargo xtask publish --yes       publish every crate to crates.io (needs a clean work tree,
                                       and `cargo login` or CARGO_REGISTRY_TOKEN; never in CI)";

/// Warnings that are not problems.
fn is_expected_warning(line: &str, dry_run: bool) -> bool {
    line.contains("aborting upload due to dry run")
        // After a release, an unchanged crate's version is on crates.io already: a dry run
        // still packages and verifies it; the real publish refuses it (and says so).
        || (dry_run && line.contains("already exists on"))
}

/// Entry point for `cargo xtask publish ARGS`.
pub fn publish(root: &Path, args: &[String]) -> Result<(), String> {
    let mut dry_run = false;
    let mut confirmed = false;
    for arg in args {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--yes" => confirmed = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("publish: unknown argument {other:?}\n{USAGE}")),
        }
    }
    if dry_run {
        return dry_run_all(root);
    }
    if !confirmed {
        return Err(format!(
            "publish: refusing to upload without an explicit --yes (try --dry-run first)\n{USAGE}"
        ));
    }
    if running_in_ci() {
        return Err(
            "publish: refusing to publish from CI (CI is set); releases are made by a \
                    person with `cargo xtask publish --yes`"
                .to_owned(),
        );
    }
    let dirty = git_status(root)?;
    if !dirty.trim().is_empty() {
        return Err(format!(
            "publish: the work tree has uncommitted changes; commit or stash them first:\n{dirty}"
        ));
    }
    // The release checklist (strict: CHANGELOG entries must be dated), then the real thing,
    // without --allow-dirty; cargo packages and verifies each crate again before uploading it.
    crate::release::crate_checks(root, true)?;
    crate::msrv::msrv(root)?;
    crate::release::cargo_deny(root)?;
    run_publish(root, &["publish", "--workspace", "--locked"], false)
}

/// `cargo publish --workspace --dry-run`: every crate packaged and its package built.
pub fn dry_run_all(root: &Path) -> Result<(), String> {
    // --allow-dirty: a developer runs this before committing, and CI's checkout is clean anyway.
    run_publish(
        root,
        &[
            "publish",
            "--workspace",
            "--dry-run",
            "--allow-dirty",
            "--locked",
        ],
        true,
    )
}

/// `git status --porcelain`: empty when the work tree is clean.
fn git_status(root: &Path) -> Result<String, String> {
    let output = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`git status` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Runs cargo with `args`, echoing its output, and fails on its failure or on any unexpected
/// `warning:` line.
fn run_publish(root: &Path, args: &[&str], dry_run: bool) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("\n$ cargo {}", args.join(" "));
    let started = Instant::now();
    let mut child = Command::new(&cargo)
        .args(args)
        .current_dir(root)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    let mut warnings = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.map_err(|e| format!("reading cargo's output: {e}"))?;
            eprintln!("{line}");
            if line.trim_start().starts_with("warning") && !is_expected_warning(&line, dry_run) {
                warnings.push(line);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {cargo}: {e}"))?;
    println!("  ({:.1?})", started.elapsed());
    if !status.success() {
        return Err(format!("`cargo {}` failed ({status})", args.join(" ")));
    }
    if !warnings.is_empty() {
        return Err(format!(
            "`cargo {}` printed {} warning(s); a release must have none:\n  {}",
            args.join(" "),
            warnings.len(),
            warnings.join("\n  ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_expected_warning;

    #[test]
    fn only_the_dry_run_notices_are_expected() {
        assert!(is_expected_warning(
            "warning: aborting upload due to dry run",
            true
        ));
        assert!(is_expected_warning(
            "warning: crate idp-core@0.1.0 already exists on crates.io index",
            true
        ));
        assert!(!is_expected_warning(
            "warning: crate idp-core@0.1.0 already exists on crates.io index",
            false
        ));
        assert!(!is_expected_warning(
            "warning: manifest has no documentation",
            true
        ));
    }
}
