//! `cargo xtask footprint [--no-build] [--keep]`: what the facade costs a downstream crate,
//! per feature set (none, each vendor alone, `full`): the crates in its dependency tree, the
//! cold release build time, and the size of the `idp` binary. Fails if OpenSSL (or
//! native-tls) is anywhere in a tree.
//!
//! Each cold build uses its own empty `CARGO_TARGET_DIR` under `target/footprint/`, removed
//! afterwards unless `--keep`. With `--no-build` only the dependency trees are checked.
//! Takes a while: seven cold builds of the facade and one of the CLI.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SETS: [&str; 7] = [
    "",
    "rsa-cas",
    "cf-access",
    "onelogin",
    "aa-controlroom",
    "alibaba-cloudsso",
    "full",
];
const FORBIDDEN: [&str; 3] = ["openssl", "openssl-sys", "native-tls"];

pub fn footprint(root: &Path, args: &[String]) -> Result<(), String> {
    let mut build = true;
    let mut keep = false;
    for arg in args {
        match arg.as_str() {
            "--no-build" => build = false,
            "--keep" => keep = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cargo xtask footprint [--no-build] [--keep]"
                ));
            }
        }
    }
    let started = Instant::now();
    let base = root.join("target").join("footprint");
    println!(
        "cargo xtask footprint: {} core(s), load average {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        crate::bench::load_average()
    );
    let mut rows = Vec::new();
    let mut core_only = 0usize;
    for features in SETS {
        let tree = tree(root, "idp", features)?;
        if features.is_empty() {
            core_only = tree.len();
        }
        let seconds = if build {
            let dir = base.join(if features.is_empty() {
                "none"
            } else {
                features
            });
            let mut args = vec!["build", "--release", "-p", "idp", "--no-default-features"];
            if !features.is_empty() {
                args.extend(["--features", features]);
            }
            Some(cold_build(root, &dir, &args, keep)?.0)
        } else {
            None
        };
        rows.push((features, tree.len(), seconds));
    }

    let cli_tree = tree(root, "idp-cli", "")?;
    let cli = if build {
        let dir = base.join("cli");
        Some(cold_build(
            root,
            &dir,
            &["build", "--release", "-p", "idp-cli", "--bin", "idp"],
            keep,
        )?)
    } else {
        None
    };

    println!(
        "\n| facade features | crates in tree | over idp-core alone | cold release build |\n\
         |---|---:|---:|---:|"
    );
    for (features, crates, seconds) in &rows {
        println!(
            "| {} | {crates} | {} | {} |",
            if features.is_empty() {
                "(none: idp-core only)"
            } else {
                features
            },
            if features.is_empty() {
                "–".to_owned()
            } else {
                format!("+{}", crates.saturating_sub(core_only))
            },
            seconds.map_or("–".to_owned(), |s| format!("{s:.0} s"))
        );
    }
    match cli {
        Some((seconds, size)) => {
            let size = size.unwrap_or(0);
            println!(
                "\n`idp` CLI (all vendors): {} crates, cold release build {seconds:.0} s, binary \
                 {:.1} MiB ({size} bytes, not stripped)",
                cli_tree.len(),
                size as f64 / 1024.0 / 1024.0
            )
        }
        None => println!("\n`idp` CLI (all vendors): {} crates", cli_tree.len()),
    }
    println!(
        "No OpenSSL or native-tls in any tree (checked: {}).",
        FORBIDDEN.join(", ")
    );
    println!(
        "cargo xtask footprint took {:.0?} (load average now {})",
        started.elapsed(),
        crate::bench::load_average()
    );
    Ok(())
}

/// The distinct packages (`name version`) in `package`'s normal and build dependency tree
/// with `features`; fails if a forbidden one is among them.
fn tree(root: &Path, package: &str, features: &str) -> Result<BTreeSet<String>, String> {
    let mut args = vec![
        "tree",
        "-p",
        package,
        "-e",
        "normal,build",
        "--prefix",
        "none",
    ];
    if package == "idp" {
        args.push("--no-default-features");
    }
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(&args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let packages: BTreeSet<String> = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect();
    for package_version in &packages {
        let name = package_version.split(' ').next().unwrap_or_default();
        if FORBIDDEN.contains(&name) {
            return Err(format!(
                "{package} with features {features:?} depends on {name}: idp must stay rustls-only"
            ));
        }
    }
    Ok(packages)
}

/// Builds into an empty target directory; returns the seconds it took and, for the CLI, the
/// size of `release/idp`.
fn cold_build(
    root: &Path,
    dir: &Path,
    args: &[&str],
    keep: bool,
) -> Result<(f64, Option<u64>), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    print!(
        "$ CARGO_TARGET_DIR={} cargo {} ... ",
        dir.display(),
        args.join(" ")
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let started = Instant::now();
    let output = Command::new(&cargo)
        .args(args)
        .env("CARGO_TARGET_DIR", dir)
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    println!("{seconds:.0} s");
    let size = std::fs::metadata(dir.join("release").join("idp"))
        .ok()
        .map(|m| m.len());
    if !keep {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok((seconds, size))
}
