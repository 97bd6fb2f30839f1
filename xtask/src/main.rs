//! `cargo xtask <job>`: the project's automation, the same commands locally and in CI.
//!
//! Jobs:
//! - `ci`: format check, clippy (all targets and features, warnings denied), the whole test
//!   suite, docs with warnings denied, and the facade built and tested with no features, with
//!   each vendor feature alone, and with `full`; and `cargo tree` proves that a single vendor
//!   feature pulls in no other vendor's crate or crypto dependency, and nothing pulls OpenSSL.
//!   `ci --after-tests` runs only what comes after the test suite.
//! - `deps`: the facade's dependency count per feature (the figures in README.md).
//! - `publish --dry-run` / `publish --yes`, `msrv`, `release-check`: see publish.rs, msrv.rs
//!   and release.rs.
//! - `bench`, `footprint`: throughput and build footprint (see bench.rs, footprint.rs; slow,
//!   not part of `ci`).
//! - `man`: the `idp` man pages into `man/` (`ci` checks they are up to date).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod bench;
mod footprint;
mod man;
mod msrv;
mod publish;
mod release;

/// The facade's vendor features and the crate folder each one needs.
const VENDOR_FEATURES: [(&str, &str); 5] = [
    ("rsa-cas", "crates/rsa-cas"),
    ("cf-access", "crates/cf-access"),
    ("onelogin", "crates/onelogin"),
    ("aa-controlroom", "crates/aa-controlroom"),
    ("alibaba-cloudsso", "crates/alibaba-cloudsso"),
];

/// Packages only one vendor needs: with any other single feature they must be absent.
const EXCLUSIVE_PACKAGES: [(&str, &[&str]); 5] = [
    ("rsa-cas", &["idp-rsa-cas", "jsonwebtoken"]),
    ("cf-access", &["idp-cf-access"]),
    ("onelogin", &["idp-onelogin"]),
    ("aa-controlroom", &["idp-aa-controlroom"]),
    (
        "alibaba-cloudsso",
        &["idp-alibaba-cloudsso", "hmac", "sha1"],
    ),
];

/// Never anywhere: idp is rustls-only.
const FORBIDDEN_PACKAGES: [&str; 3] = ["openssl", "openssl-sys", "native-tls"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("ci") if args.get(1).map(String::as_str) == Some("--after-tests") => {
            checks_after_tests(&root)
        }
        Some("ci") => ci(&root),
        Some("deps") => deps(&root),
        Some("publish") => publish::publish(&root, &args[1..]),
        Some("msrv") => msrv::msrv(&root),
        Some("release-check") => release::release_check(&root),
        Some("bench") => bench::bench(&root, &args[1..]),
        Some("footprint") => footprint::footprint(&root, &args[1..]),
        Some("man") => man::man(&root),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|deps|publish|msrv|release-check|bench|footprint|man>"
            );
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
    checks_after_tests(root)?;
    println!("xtask ci: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// What `ci` checks after the test suite (`cargo xtask ci --after-tests` runs only these,
/// for a contributor who has just run the tests): docs, man pages, the facade's feature
/// matrix and isolation, the CLI without simulators, the release checks.
fn checks_after_tests(root: &Path) -> Result<(), String> {
    cargo(
        root,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    man::check(root)?;
    facade_features(root)?;
    cli_without_simulators(root)?;
    facade_isolation(root)?;
    release::ci(root)
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

/// `cargo install idp-cli --no-default-features` must build a binary with no server code: the
/// CLI builds without its `demo` feature, and then has no `idp-sim` in its tree.
fn cli_without_simulators(root: &Path) -> Result<(), String> {
    cargo(
        root,
        &["build", "--package", "idp-cli", "--no-default-features"],
        &[],
    )?;
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let tree = Command::new(&cargo_bin)
        .args([
            "tree",
            "--package",
            "idp-cli",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("could not run cargo tree: {e}"))?;
    let text = String::from_utf8_lossy(&tree.stdout);
    if !tree.status.success() || text.lines().any(|l| l.starts_with("idp-sim ")) {
        return Err("idp-cli without default features still depends on idp-sim".to_owned());
    }
    println!("xtask: idp-cli builds without its simulators");
    Ok(())
}

/// The vendor features whose crate exists (so the checks work while crates are being added).
fn present_features(root: &Path) -> Vec<&'static str> {
    VENDOR_FEATURES
        .iter()
        .filter(|(_, folder)| root.join(folder).join("Cargo.toml").exists())
        .map(|(feature, _)| *feature)
        .collect()
}

/// The package names in the facade's normal dependency tree with `features`.
fn facade_tree(root: &Path, features: &str) -> Result<Vec<String>, String> {
    let mut args = vec![
        "tree",
        "--package",
        "idp",
        "--no-default-features",
        "-e",
        "normal",
        "--prefix",
        "none",
    ];
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    let output = cargo_output(root, &args)?;
    let mut lines: Vec<String> = output.lines().map(str::to_owned).collect();
    lines.sort();
    lines.dedup();
    Ok(lines)
}

/// A single vendor feature compiles no other vendor's code or exclusive dependencies.
fn facade_isolation(root: &Path) -> Result<(), String> {
    if !root.join("crates/idp/Cargo.toml").exists() {
        return Ok(());
    }
    println!("\n$ cargo tree: vendor isolation of the facade's features");
    let present = present_features(root);
    let mut sets: Vec<&str> = present.clone();
    sets.push("");
    for features in sets {
        let tree = facade_tree(root, features)?;
        let names: Vec<&str> = tree
            .iter()
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        for forbidden in FORBIDDEN_PACKAGES {
            if names.contains(&forbidden) {
                return Err(format!("feature set {features:?} pulls in {forbidden}"));
            }
        }
        for (owner, packages) in EXCLUSIVE_PACKAGES {
            if owner == features {
                continue;
            }
            for package in packages.iter() {
                if names.contains(package) {
                    return Err(format!(
                        "feature set {features:?} pulls in {package}, which only {owner} needs"
                    ));
                }
            }
        }
        println!(
            "  {:<18} {} packages, isolated",
            display_features(features),
            tree.len()
        );
    }
    Ok(())
}

fn display_features(features: &str) -> &str {
    if features.is_empty() {
        "(no features)"
    } else {
        features
    }
}

/// Prints the dependency count of the facade per feature, as README.md reports it
/// (`cargo tree -e normal --prefix none | sort -u | wc -l`).
fn deps(root: &Path) -> Result<(), String> {
    let mut sets: Vec<&str> = vec![""];
    sets.extend(present_features(root));
    sets.push("full");
    println!("| features | lines of `cargo tree -e normal --prefix none \\| sort -u` |");
    println!("|---|---|");
    for features in sets {
        let tree = facade_tree(root, features)?;
        println!("| {} | {} |", display_features(features), tree.len());
    }
    Ok(())
}

/// `cargo metadata` with every feature on; cargo includes every platform's dependencies unless
/// told otherwise, so a Windows-only or optional dependency is in the graph too.
fn workspace_metadata(root: &Path) -> Result<cargo_metadata::Metadata, String> {
    cargo_metadata::MetadataCommand::new()
        .current_dir(root)
        .features(cargo_metadata::CargoOpt::AllFeatures)
        .exec()
        .map_err(|e| e.to_string())
}

/// Whether `cargo publish --workspace` uploads `package`: `publish = false` is an empty list of
/// registries, no `publish` key means any.
fn is_published(package: &cargo_metadata::Package) -> bool {
    package
        .publish
        .as_ref()
        .is_none_or(|registries| !registries.is_empty())
}

fn cargo_output(root: &Path, args: &[&str]) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(args)
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
    String::from_utf8(output.stdout).map_err(|e| format!("cargo printed non-UTF-8: {e}"))
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
