//! Release readiness.
//!
//! - `cargo xtask release-check`: everything that would embarrass a release — `cargo deny check
//!   licenses bans sources` (deny.toml; cargo-deny is installed with `cargo install --locked`
//!   when missing), the crate checks below, `cargo xtask msrv` and `cargo xtask publish
//!   --dry-run`. Not part of the per-commit CI because it installs a tool.
//! - `crate_checks`: each published crate has complete crates.io metadata (description,
//!   license, repository, homepage, documentation, readme, rust-version, at most five valid
//!   keywords, valid category slugs), a README, a CHANGELOG with an entry for its version, the
//!   license texts, and, for a library, crate docs taken from the README (so its example is a
//!   doctest) and `#![deny(missing_docs)]`; xtask and tests must say `publish = false`.
//! - `ci`: the cheap part, run at the end of `cargo xtask ci`: the crate checks, msrv, and the
//!   publish dry run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use cargo_metadata::{Package, TargetKind};

/// The category slugs crates.io accepts (its `src/boot/categories.toml`); crates.io silently
/// drops any other. Extend when crates.io adds one we want.
const CATEGORIES: &[&str] = &[
    "accessibility",
    "algorithms",
    "api-bindings",
    "asynchronous",
    "authentication",
    "caching",
    "command-line-interface",
    "command-line-utilities",
    "compilers",
    "compression",
    "computer-vision",
    "concurrency",
    "config",
    "cryptography",
    "cryptography::cryptocurrencies",
    "data-structures",
    "database",
    "database-implementations",
    "date-and-time",
    "development-tools",
    "development-tools::build-utils",
    "development-tools::cargo-plugins",
    "development-tools::debugging",
    "development-tools::ffi",
    "development-tools::procedural-macro-helpers",
    "development-tools::profiling",
    "development-tools::testing",
    "email",
    "embedded",
    "emulators",
    "encoding",
    "external-ffi-bindings",
    "filesystem",
    "finance",
    "game-development",
    "game-engines",
    "games",
    "graphics",
    "gui",
    "hardware-support",
    "internationalization",
    "localization",
    "mathematics",
    "memory-management",
    "multimedia",
    "multimedia::audio",
    "multimedia::encoding",
    "multimedia::images",
    "multimedia::video",
    "network-programming",
    "no-std",
    "no-std::no-alloc",
    "os",
    "os::linux-apis",
    "os::macos-apis",
    "os::unix-apis",
    "os::windows-apis",
    "parser-implementations",
    "parsing",
    "rendering",
    "rendering::data-formats",
    "rendering::engine",
    "rendering::graphics-api",
    "rust-patterns",
    "science",
    "science::robotics",
    "simulation",
    "template-engine",
    "text-editors",
    "text-processing",
    "value-formatting",
    "virtualization",
    "visualization",
    "wasm",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
    "web-programming::websocket",
];

/// License texts every published crate ships (the license is "MIT OR Apache-2.0"; MIT asks for
/// its notice to travel with the code). In a crate folder they are symlinks to the root copies;
/// `cargo package` stores the file contents.
const LICENSE_FILES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// `cargo xtask ci`'s release step: crate checks, msrv, publish dry run.
pub fn ci(root: &Path) -> Result<(), String> {
    crate_checks(root, false)?;
    crate::msrv::msrv(root)?;
    crate::publish::dry_run_all(root)
}

/// `cargo xtask release-check`: every step runs, then the failures are listed together.
pub fn release_check(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    type Step = fn(&Path) -> Result<(), String>;
    let steps: [(&str, Step); 4] = [
        ("crate metadata, README, CHANGELOG, licenses", |root| {
            crate_checks(root, false)
        }),
        ("cargo deny check licenses bans sources", cargo_deny as Step),
        ("msrv", crate::msrv::msrv),
        ("publish --dry-run", crate::publish::dry_run_all),
    ];
    let mut results = Vec::new();
    for (name, step) in steps {
        let step_started = Instant::now();
        let result = step(root);
        if let Err(message) = &result {
            eprintln!("xtask release-check: {name} FAILED: {message}");
        }
        results.push((name, result.is_ok(), step_started.elapsed()));
    }
    warn_if_dirty(root);
    println!("\nxtask release-check ({:.0?}):", started.elapsed());
    for (name, ok, elapsed) in &results {
        println!(
            "  {:<6} {name} ({elapsed:.1?})",
            if *ok { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, ok, _)| !ok)
        .map(|(name, _, _)| *name)
        .collect();
    if failed.is_empty() {
        println!("release-check: ready to `cargo xtask publish --yes` once committed");
        Ok(())
    } else {
        Err(format!("release-check failed: {}", failed.join(", ")))
    }
}

/// A release is made from a commit: say so when the work tree has changes.
fn warn_if_dirty(root: &Path) {
    let status = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(root)
        .output();
    if let Ok(output) = status
        && !output.stdout.is_empty()
    {
        println!(
            "\nnote: the work tree has uncommitted changes; `cargo xtask publish --yes` \
                 will refuse to run until they are committed"
        );
    }
}

/// `cargo deny check licenses bans sources` with deny.toml. Advisories are left out: they
/// fetch the RustSec database over the network (`cargo deny check advisories` separately,
/// where that works).
pub fn cargo_deny(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let installed = Command::new(&cargo)
        .args(["deny", "--version"])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!("cargo-deny is not installed; installing it from crates.io");
        crate::cargo(root, &["install", "--locked", "cargo-deny"], &[])?;
    }
    crate::cargo(root, &["deny", "check", "licenses", "bans", "sources"], &[])
}

/// The per-crate checks; all problems are listed together. `for_upload`: the real publish,
/// where a CHANGELOG entry still marked "unreleased" is an error, not a note.
pub fn crate_checks(root: &Path, for_upload: bool) -> Result<(), String> {
    println!("\n$ cargo xtask: crate metadata, README, CHANGELOG and license files");
    let metadata = crate::workspace_metadata(root)?;
    let mut problems = Vec::new();
    let mut unreleased: Vec<&str> = Vec::new();
    let members = metadata.workspace_packages();
    for package in &members {
        if !crate::is_published(package) {
            println!("  --  {} (publish = false)", package.name);
            continue;
        }
        let (found, notes) = check_package(package);
        if for_upload {
            problems.extend(notes.iter().map(|n| format!("{}: {n}", package.name)));
        } else if !notes.is_empty() {
            unreleased.push(package.name.as_str());
        }
        if found.is_empty() {
            println!("  ok  {} {}", package.name, package.version);
        }
        problems.extend(found.into_iter().map(|p| format!("{}: {p}", package.name)));
    }
    for (name, dir) in [("xtask", "xtask"), ("idp-e2e-tests", "tests")] {
        let published = members
            .iter()
            .any(|p| package_dir(p).as_std_path() == root.join(dir) && crate::is_published(p));
        if published {
            problems.push(format!("{name} ({dir}/) must have publish = false"));
        }
    }
    if !unreleased.is_empty() {
        println!(
            "  note: CHANGELOG entry still marked unreleased in {} (date it before \
             `cargo xtask publish --yes`, which refuses it)",
            unreleased.join(", ")
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} problem(s) would embarrass a release:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// Everything wrong with one published package, and the notes that only matter for the
/// upload itself.
fn check_package(package: &Package) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let readme = non_blank(package.readme.as_deref().map(Utf8Path::as_str));
    let documentation = non_blank(package.documentation.as_deref());
    let rust_version = package.rust_version.as_ref().map(ToString::to_string);
    for (field, value) in [
        ("description", non_blank(package.description.as_deref())),
        ("license", non_blank(package.license.as_deref())),
        ("repository", non_blank(package.repository.as_deref())),
        ("homepage", non_blank(package.homepage.as_deref())),
        ("documentation", documentation),
        ("readme", readme),
        ("rust-version", rust_version.as_deref()),
    ] {
        if value.is_none() {
            problems.push(format!("no `{field}` in Cargo.toml"));
        }
    }
    let docs = format!("https://docs.rs/{}", package.name);
    if let Some(documentation) = documentation
        && documentation != docs
    {
        problems.push(format!(
            "documentation is {documentation:?}, expected {docs:?}"
        ));
    }

    let keywords = &package.keywords;
    if keywords.is_empty() {
        problems.push("no keywords".to_owned());
    }
    if keywords.len() > 5 {
        problems.push(format!(
            "{} keywords; crates.io takes at most 5",
            keywords.len()
        ));
    }
    for keyword in keywords {
        if !valid_keyword(keyword) {
            problems.push(format!(
                "keyword {keyword:?} is not valid on crates.io (≤ 20 ASCII letters, digits, \
                 `-`, `_` or `+`, starting with a letter or digit)"
            ));
        }
    }
    let categories = &package.categories;
    if categories.is_empty() {
        problems.push("no categories".to_owned());
    }
    if categories.len() > 5 {
        problems.push(format!(
            "{} categories; crates.io takes at most 5",
            categories.len()
        ));
    }
    for category in categories {
        if !CATEGORIES.contains(&category.as_str()) {
            problems.push(format!(
                "category {category:?} is not a crates.io category slug"
            ));
        }
    }

    let dir = package_dir(package);
    if let Some(readme) = readme
        && !dir.join(readme).is_file()
    {
        problems.push(format!("readme {readme:?} does not exist"));
    }
    let readme_text = readme
        .and_then(|r| std::fs::read_to_string(dir.join(r)).ok())
        .unwrap_or_default();
    match std::fs::read_to_string(dir.join("CHANGELOG.md")) {
        Err(_) => problems.push("no CHANGELOG.md".to_owned()),
        Ok(changelog) => {
            let heading = format!("## {}", package.version);
            match changelog.lines().find(|l| l.starts_with(&heading)) {
                None => problems.push(format!(
                    "CHANGELOG.md has no `{heading}` entry for the version being released"
                )),
                Some(line) if line.to_lowercase().contains("unreleased") => notes.push(format!(
                    "CHANGELOG.md still says `{}`: put the release date there",
                    line.trim()
                )),
                Some(_) => {}
            }
        }
    }
    for license in LICENSE_FILES {
        if !dir.join(license).is_file() {
            problems.push(format!(
                "no {license} in the crate folder (a symlink to ../../{license} will do)"
            ));
        }
    }

    let libs = target_sources(package, &TargetKind::Lib);
    for lib in &libs {
        let source = std::fs::read_to_string(lib).unwrap_or_default();
        if !source.contains("#![doc = include_str!(\"../README.md\")]") {
            problems.push(format!(
                "{lib} lacks #![doc = include_str!(\"../README.md\")] (the README is the crate \
                 docs, and its example a doctest)"
            ));
        }
        if !source.contains("#![deny(missing_docs)]") {
            problems.push(format!("{lib} lacks #![deny(missing_docs)]"));
        }
        if !has_rust_example(&readme_text) {
            problems.push(
                "README has no compiled Rust example (a ```rust block, `no_run` allowed, not \
                 `ignore`)"
                    .to_owned(),
            );
        }
    }
    if libs.is_empty() {
        for bin in target_sources(package, &TargetKind::Bin) {
            let source = std::fs::read_to_string(bin).unwrap_or_default();
            if !source.trim_start().starts_with("//!") {
                problems.push(format!("{bin} has no crate documentation"));
            }
        }
    }
    (problems, notes)
}

/// A manifest string that is set and not blank.
fn non_blank(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// The folder holding the package's `Cargo.toml`.
fn package_dir(package: &Package) -> &Utf8Path {
    package.manifest_path.parent().unwrap_or(Utf8Path::new("."))
}

/// The source files of the package's targets of `kind`.
fn target_sources<'a>(package: &'a Package, kind: &TargetKind) -> Vec<&'a Utf8PathBuf> {
    package
        .targets
        .iter()
        .filter(|target| target.kind.contains(kind))
        .map(|target| &target.src_path)
        .collect()
}

/// crates.io's keyword rule.
fn valid_keyword(keyword: &str) -> bool {
    let mut chars = keyword.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    first_ok
        && keyword.len() <= 20
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
}

/// A fenced ```rust block that rustdoc compiles (plain, `no_run` or `should_panic`).
fn has_rust_example(readme: &str) -> bool {
    readme.lines().any(|line| {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            return false;
        };
        let attrs: Vec<&str> = info.split(',').map(str::trim).collect();
        attrs.first() == Some(&"rust")
            && !attrs
                .iter()
                .any(|a| matches!(*a, "ignore" | "text" | "compile_fail"))
    })
}

#[cfg(test)]
mod tests {
    use cargo_metadata::Package;
    use serde_json::json;

    use super::{CATEGORIES, check_package, has_rust_example, valid_keyword};

    /// A package record as `cargo metadata` prints it, in a folder that does not exist.
    fn package(fields: serde_json::Value) -> Package {
        let mut record = json!({
            "id": "path+file:///nowhere/idp-x#0.1.0", "name": "idp-x", "version": "0.1.0",
            "manifest_path": "/nowhere/idp-x/Cargo.toml", "dependencies": [], "features": {},
            "targets": [{"name": "idp_x", "kind": ["lib"], "crate_types": ["lib"],
                         "src_path": "/nowhere/idp-x/src/lib.rs", "edition": "2024"}],
        });
        if let (Some(record), Some(fields)) = (record.as_object_mut(), fields.as_object()) {
            record.extend(fields.clone());
        }
        serde_json::from_value(record).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn missing_and_invalid_metadata_is_reported_field_by_field() {
        let (problems, notes) = check_package(&package(json!({
            "description": "  ", "license": "MIT OR Apache-2.0", "readme": "README.md",
            "documentation": "https://example.org/idp-x", "rust_version": "1.88",
            "keywords": ["two words"], "categories": ["http-client"],
        })));
        for expected in [
            "no `description` in Cargo.toml",
            "no `repository` in Cargo.toml",
            "no `homepage` in Cargo.toml",
            "documentation is \"https://example.org/idp-x\", expected \"https://docs.rs/idp-x\"",
            "keyword \"two words\" is not valid",
            "category \"http-client\" is not a crates.io category slug",
            "readme \"README.md\" does not exist",
            "no CHANGELOG.md",
            "no LICENSE-MIT in the crate folder",
            "/nowhere/idp-x/src/lib.rs lacks #![deny(missing_docs)]",
            "README has no compiled Rust example",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected:?} not in {problems:#?}"
            );
        }
        for present in ["license", "readme", "rust-version", "documentation`"] {
            let unexpected = format!("no `{present}");
            assert!(
                !problems.iter().any(|p| p.starts_with(&unexpected)),
                "{problems:#?}"
            );
        }
        assert!(notes.is_empty());
    }

    #[test]
    fn an_unset_rust_version_and_readme_are_reported() {
        let (problems, _) = check_package(&package(json!({})));
        assert!(
            problems
                .iter()
                .any(|p| p == "no `rust-version` in Cargo.toml")
        );
        assert!(problems.iter().any(|p| p == "no `readme` in Cargo.toml"));
        assert!(problems.iter().any(|p| p == "no keywords"));
        assert!(problems.iter().any(|p| p == "no categories"));
    }

    #[test]
    fn keywords_follow_the_crates_io_rule() {
        assert!(valid_keyword("offboarding"));
        assert!(valid_keyword("rsa-securid"));
        assert!(valid_keyword("oauth2"));
        assert!(!valid_keyword(""));
        assert!(!valid_keyword("-lead"));
        assert!(!valid_keyword("two words"));
        assert!(!valid_keyword("a-keyword-longer-than-20"));
    }

    #[test]
    fn only_compiled_blocks_count_as_examples() {
        assert!(has_rust_example("x\n```rust\nfn main() {}\n```\n"));
        assert!(has_rust_example("```rust,no_run\n```"));
        assert!(!has_rust_example("```rust,ignore\n```"));
        assert!(!has_rust_example("```toml\n```\n```sh\n```"));
    }

    #[test]
    fn the_slugs_we_use_are_known() {
        for slug in [
            "api-bindings",
            "authentication",
            "command-line-utilities",
            "web-programming::http-client",
            "development-tools::testing",
        ] {
            assert!(CATEGORIES.contains(&slug), "{slug}");
        }
        assert!(!CATEGORIES.contains(&"http-client"));
    }
}
