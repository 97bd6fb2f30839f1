//! `cargo xtask msrv`: no dependency that a user of our crates compiles declares a
//! `rust-version` newer than ours.
//!
//! It reads `cargo metadata --format-version 1 --all-features` (every feature on, every
//! platform, so a Windows-only or optional dependency counts too) and walks the normal and build
//! dependencies from each published crate. A package there that needs a newer compiler fails
//! the check; one reached only through dev-dependencies (or only by xtask and the end-to-end
//! tests) is a warning, since it affects our CI, not our users. Packages that declare no
//! `rust-version` cannot be checked this way and are counted.
//!
//! Our own code is held to the same version by clippy's `incompatible_msrv` lint (on by
//! default, and `cargo xtask ci` denies warnings), which flags standard-library APIs newer than
//! the declared `rust-version`. With a lower requirement in the tree, `cargo update -p NAME
//! --precise VERSION` picks an older release of the dependency (resolver 3 already prefers
//! ones that fit our rust-version when it can).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::metadata::{DepKind, Metadata};

/// Parses "1.88", "1.88.0" or "1.85.1" into comparable parts.
pub fn parse_version(text: &str) -> Option<[u64; 3]> {
    let mut parts = [0u64; 3];
    let mut count = 0;
    for (i, piece) in text.trim().split('.').enumerate() {
        if i >= 3 {
            return None;
        }
        parts[i] = piece.parse().ok()?;
        count += 1;
    }
    (count >= 2).then_some(parts)
}

fn compare(a: &[u64; 3], b: &[u64; 3]) -> Ordering {
    a.cmp(b)
}

/// A dependency needing a newer compiler than we declare.
struct TooNew {
    label: String,
    needs: String,
    chain: String,
}

/// What the walk found.
struct Analysis {
    ours: String,
    published: usize,
    shipped: usize,
    declared: usize,
    /// The highest rust-version among shipped dependencies (not our own crates).
    highest: Option<([u64; 3], String)>,
    shipped_too_new: Vec<TooNew>,
    dev_too_new: Vec<TooNew>,
}

pub fn msrv(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    println!("\n$ cargo xtask msrv: rust-version of the dependency tree");
    let metadata = Metadata::load(root)?;
    let found = analyse(&metadata)?;
    let ours = &found.ours;
    println!(
        "  rust-version {ours}; {} packages in the normal+build tree of {} published crates \
         (all features, all platforms), {} of them declare a rust-version",
        found.shipped, found.published, found.declared
    );
    if let Some((version, label)) = &found.highest {
        println!(
            "  highest among dependencies: {}.{}.{} ({label})",
            version[0], version[1], version[2]
        );
    }
    for item in &found.dev_too_new {
        println!(
            "  warning: dev/tooling dependency {} needs Rust {} (not shipped to users): {}",
            item.label, item.needs, item.chain
        );
    }
    println!("  ({:.1?})", started.elapsed());
    if found.shipped_too_new.is_empty() {
        println!("  ok: no shipped dependency needs a newer Rust than {ours}");
        return Ok(());
    }
    let lines: Vec<String> = found
        .shipped_too_new
        .iter()
        .map(|t| format!("{} needs Rust {}: {}", t.label, t.needs, t.chain))
        .collect();
    Err(format!(
        "msrv: {} dependencies need a newer Rust than our rust-version {ours}; pick older \
         releases (`cargo update -p NAME --precise VERSION`) or raise rust-version:\n  {}",
        lines.len(),
        lines.join("\n  ")
    ))
}

fn analyse(metadata: &Metadata) -> Result<Analysis, String> {
    let published = metadata.published_members();
    if published.is_empty() {
        return Err("msrv: no publishable workspace member found".to_owned());
    }

    // Our rust-version: every published crate must declare one, and they must agree.
    let mut ours: Option<(&str, [u64; 3])> = None;
    for package in &published {
        let declared = package
            .rust_version
            .as_deref()
            .ok_or_else(|| format!("msrv: {} declares no rust-version", package.name))?;
        let version = parse_version(declared).ok_or_else(|| {
            format!(
                "msrv: {} has an unreadable rust-version {declared:?}",
                package.name
            )
        })?;
        match ours {
            None => ours = Some((declared, version)),
            Some((first, v)) if v != version => {
                return Err(format!(
                    "msrv: published crates disagree on rust-version ({first} and {declared} for {})",
                    package.name
                ));
            }
            Some(_) => {}
        }
    }
    let Some((ours_text, ours)) = ours else {
        return Err("msrv: no rust-version found".to_owned());
    };

    let roots: Vec<&str> = published.iter().map(|p| p.id.as_str()).collect();
    let shipped = metadata.reachable(&roots, |kinds| {
        kinds
            .iter()
            .any(|k| matches!(k, DepKind::Normal | DepKind::Build))
    });
    let members: Vec<&str> = metadata
        .workspace_members
        .iter()
        .map(String::as_str)
        .collect();
    let everything = metadata.reachable(&members, |_| true);

    let too_new = |set: &BTreeMap<String, Option<String>>, skip: &dyn Fn(&str) -> bool| {
        let mut found: Vec<TooNew> = Vec::new();
        for id in set.keys() {
            if skip(id) {
                continue;
            }
            let Some(declared) = metadata
                .packages
                .get(id)
                .and_then(|p| p.rust_version.as_deref())
            else {
                continue;
            };
            // An unreadable rust-version is treated as newer: better a false alarm.
            let newer =
                parse_version(declared).is_none_or(|v| compare(&v, &ours) == Ordering::Greater);
            if newer {
                found.push(TooNew {
                    label: metadata.label(id),
                    needs: declared.to_owned(),
                    chain: metadata.chain(id, set),
                });
            }
        }
        found
    };

    let declared = shipped
        .keys()
        .filter(|id| {
            metadata
                .packages
                .get(*id)
                .is_some_and(|p| p.rust_version.is_some())
        })
        .count();
    let highest = shipped
        .keys()
        .filter(|id| !roots.contains(&id.as_str()))
        .filter_map(|id| {
            let package = metadata.packages.get(id)?;
            let version = parse_version(package.rust_version.as_deref()?)?;
            Some((version, metadata.label(id)))
        })
        .max();
    Ok(Analysis {
        ours: ours_text.to_owned(),
        published: published.len(),
        shipped: shipped.len(),
        declared,
        highest,
        shipped_too_new: too_new(&shipped, &|_| false),
        dev_too_new: too_new(&everything, &|id| shipped.contains_key(id)),
    })
}

#[cfg(test)]
mod tests {
    use super::{analyse, parse_version};
    use crate::metadata::Metadata;

    /// A workspace `app` (published, 1.88) and `tool` (publish = false); `app` uses `normal`
    /// (1.80) which uses `deep` (rust-version given), has a dev-dependency `devdep` (1.90), and
    /// a build-dependency `builddep` (no rust-version).
    fn workspace(deep: &str) -> Metadata {
        let package = |id: &str, rv: &str, publish: &str| {
            let rv = if rv.is_empty() {
                "null".to_owned()
            } else {
                format!("\"{rv}\"")
            };
            format!(
                r#"{{"id":"{id}","name":"{id}","version":"1.0.0","rust_version":{rv},"publish":{publish},"manifest_path":"/w/{id}/Cargo.toml","targets":[]}}"#
            )
        };
        let dep = |id: &str, kind: &str| {
            format!(
                r#"{{"name":"{id}","pkg":"{id}","dep_kinds":[{{"kind":{kind},"target":null}}]}}"#
            )
        };
        let node =
            |id: &str, deps: &[String]| format!(r#"{{"id":"{id}","deps":[{}]}}"#, deps.join(","));
        let doc = format!(
            r#"{{"packages":[{},{},{},{},{},{}],"workspace_members":["app","tool"],
               "resolve":{{"nodes":[{},{},{},{},{},{}]}}}}"#,
            package("app", "1.88", "null"),
            package("tool", "1.88", "[]"),
            package("normal", "1.80", "null"),
            package("deep", deep, "null"),
            package("devdep", "1.90", "null"),
            package("builddep", "", "null"),
            node(
                "app",
                &[
                    dep("normal", "null"),
                    dep("devdep", "\"dev\""),
                    dep("builddep", "\"build\"")
                ]
            ),
            node("tool", &[dep("devdep", "null")]),
            node("normal", &[dep("deep", "null")]),
            node("deep", &[]),
            node("devdep", &[]),
            node("builddep", &[]),
        );
        Metadata::parse(&doc).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_deep_normal_dependency_needing_newer_rust_fails_with_its_chain() {
        let found = analyse(&workspace("1.89")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.ours, "1.88");
        assert_eq!(found.published, 1);
        assert_eq!(found.shipped, 4); // app, normal, deep, builddep
        assert_eq!(found.declared, 3);
        assert_eq!(found.shipped_too_new.len(), 1);
        assert_eq!(found.shipped_too_new[0].needs, "1.89");
        assert_eq!(
            found.shipped_too_new[0].chain,
            "deep 1.0.0 ← normal 1.0.0 ← app 1.0.0"
        );
        assert_eq!(found.dev_too_new.len(), 1);
        assert_eq!(found.dev_too_new[0].label, "devdep 1.0.0");
    }

    #[test]
    fn equal_or_older_is_fine_and_dev_only_is_a_warning() {
        let found = analyse(&workspace("1.88.0")).unwrap_or_else(|e| panic!("{e}"));
        assert!(found.shipped_too_new.is_empty());
        assert_eq!(found.dev_too_new.len(), 1);
        assert_eq!(found.highest, Some(([1, 88, 0], "deep 1.0.0".to_owned())));
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(parse_version("1.88"), Some([1, 88, 0]));
        assert_eq!(parse_version("1.88.0"), Some([1, 88, 0]));
        assert_eq!(parse_version("1.9"), Some([1, 9, 0]));
        assert!(parse_version("1.9") < parse_version("1.88"));
        assert!(parse_version("1.88.1") > parse_version("1.88"));
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("1.x"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
    }
}
