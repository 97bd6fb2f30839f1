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

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use cargo_metadata::semver::Version;
use cargo_metadata::{DependencyKind, Metadata, NodeDep, Package, PackageId};

/// "1.88" for 1.88.0, as manifests usually write it; "1.85.1" in full.
fn short(version: &Version) -> String {
    if version.patch == 0 {
        format!("{}.{}", version.major, version.minor)
    } else {
        version.to_string()
    }
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
    highest: Option<(Version, String)>,
    shipped_too_new: Vec<TooNew>,
    dev_too_new: Vec<TooNew>,
}

pub fn msrv(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    println!("\n$ cargo xtask msrv: rust-version of the dependency tree");
    let metadata = crate::workspace_metadata(root)?;
    let found = analyse(&metadata)?;
    let ours = &found.ours;
    println!(
        "  rust-version {ours}; {} packages in the normal+build tree of {} published crates \
         (all features, all platforms), {} of them declare a rust-version",
        found.shipped, found.published, found.declared
    );
    if let Some((version, label)) = &found.highest {
        println!("  highest among dependencies: {version} ({label})");
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

/// Each package reachable from the walk's roots, with the package that first pulled it in.
type Parents<'a> = BTreeMap<&'a PackageId, Option<&'a PackageId>>;

/// The resolved dependency graph, by package id.
struct Graph<'a> {
    packages: BTreeMap<&'a PackageId, &'a Package>,
    edges: BTreeMap<&'a PackageId, &'a [NodeDep]>,
}

impl<'a> Graph<'a> {
    fn new(metadata: &'a Metadata) -> Result<Graph<'a>, String> {
        let resolve = metadata
            .resolve
            .as_ref()
            .filter(|resolve| !resolve.nodes.is_empty())
            .ok_or("msrv: cargo metadata printed no resolve graph")?;
        Ok(Graph {
            packages: metadata.packages.iter().map(|p| (&p.id, p)).collect(),
            edges: resolve
                .nodes
                .iter()
                .map(|node| (&node.id, node.deps.as_slice()))
                .collect(),
        })
    }

    fn rust_version(&self, id: &PackageId) -> Option<&'a Version> {
        self.packages.get(id)?.rust_version.as_ref()
    }

    /// Every package reachable from `roots` over edges of the accepted kinds.
    fn reachable(&self, roots: &[&'a PackageId], accept: impl Fn(&NodeDep) -> bool) -> Parents<'a> {
        let mut seen: Parents<'a> = BTreeMap::new();
        let mut queue: Vec<&'a PackageId> = Vec::new();
        for &root in roots {
            if seen.insert(root, None).is_none() {
                queue.push(root);
            }
        }
        while let Some(id) = queue.pop() {
            for dep in self.edges.get(id).copied().unwrap_or_default() {
                if accept(dep) && !seen.contains_key(&dep.pkg) {
                    seen.insert(&dep.pkg, Some(id));
                    queue.push(&dep.pkg);
                }
            }
        }
        seen
    }

    /// "a 1.0 ← b 2.0 ← idp-core 0.1.0": how `id` got into a `reachable` set.
    fn chain(&self, id: &'a PackageId, parents: &Parents<'a>) -> String {
        let mut parts = Vec::new();
        let mut current = Some(id);
        while let Some(id) = current {
            if parts.len() > 64 {
                break;
            }
            parts.push(self.label(id));
            current = parents.get(id).copied().flatten();
        }
        parts.join(" ← ")
    }

    /// "name version".
    fn label(&self, id: &PackageId) -> String {
        self.packages
            .get(id)
            .map(|p| format!("{} {}", p.name, p.version))
            .unwrap_or_else(|| id.repr.clone())
    }
}

/// A dependency users compile: normal or build (an unknown kind counts, to be safe).
fn is_shipped(dep: &NodeDep) -> bool {
    dep.dep_kinds
        .iter()
        .any(|k| k.kind != DependencyKind::Development)
}

fn analyse(metadata: &Metadata) -> Result<Analysis, String> {
    let graph = Graph::new(metadata)?;
    let mut published: Vec<&Package> = metadata
        .workspace_packages()
        .into_iter()
        .filter(|p| crate::is_published(p))
        .collect();
    published.sort_by(|a, b| a.name.cmp(&b.name));
    if published.is_empty() {
        return Err("msrv: no publishable workspace member found".to_owned());
    }

    // Our rust-version: every published crate must declare one, and they must agree.
    let mut ours: Option<&Version> = None;
    for package in &published {
        let declared = package
            .rust_version
            .as_ref()
            .ok_or_else(|| format!("msrv: {} declares no rust-version", package.name))?;
        match ours {
            None => ours = Some(declared),
            Some(first) if first != declared => {
                return Err(format!(
                    "msrv: published crates disagree on rust-version ({} and {} for {})",
                    short(first),
                    short(declared),
                    package.name
                ));
            }
            Some(_) => {}
        }
    }
    let Some(ours) = ours else {
        return Err("msrv: no rust-version found".to_owned());
    };

    let roots: Vec<&PackageId> = published.iter().map(|p| &p.id).collect();
    let shipped = graph.reachable(&roots, is_shipped);
    let members: Vec<&PackageId> = metadata.workspace_members.iter().collect();
    let everything = graph.reachable(&members, |_| true);

    let too_new = |set: &Parents<'_>, skip: &dyn Fn(&PackageId) -> bool| {
        let mut found: Vec<TooNew> = Vec::new();
        for &id in set.keys() {
            if skip(id) {
                continue;
            }
            match graph.rust_version(id) {
                Some(declared) if declared > ours => found.push(TooNew {
                    label: graph.label(id),
                    needs: short(declared),
                    chain: graph.chain(id, set),
                }),
                _ => {}
            }
        }
        found
    };

    let declared = shipped
        .keys()
        .filter(|id| graph.rust_version(id).is_some())
        .count();
    let highest = shipped
        .keys()
        .filter(|id| !roots.contains(id))
        .filter_map(|id| Some((graph.rust_version(id)?.clone(), graph.label(id))))
        .max();
    Ok(Analysis {
        ours: short(ours),
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
    use cargo_metadata::Metadata;
    use cargo_metadata::semver::Version;
    use serde_json::{Value, json};

    use super::{analyse, short};

    /// A workspace `app` (published, 1.88) and `tool` (publish = false); `app` uses `normal`
    /// (1.80) which uses `deep` (rust-version given), has a dev-dependency `devdep` (1.90), and
    /// a build-dependency `builddep` (no rust-version). The shape `cargo metadata` prints.
    fn workspace(deep: &str) -> Metadata {
        let package = |id: &str, rust_version: Value, publish: Value| {
            json!({
                "id": id, "name": id, "version": "1.0.0", "rust_version": rust_version,
                "publish": publish, "manifest_path": format!("/w/{id}/Cargo.toml"),
                "dependencies": [], "targets": [], "features": {},
            })
        };
        let dep = |id: &str, kind: Value| json!({"name": id, "pkg": id, "dep_kinds": [{"kind": kind, "target": null}]});
        let node = |id: &str, deps: Vec<Value>| json!({"id": id, "deps": deps, "dependencies": []});
        let doc = json!({
            "packages": [
                package("app", json!("1.88"), Value::Null),
                package("tool", json!("1.88"), json!([])),
                package("normal", json!("1.80"), Value::Null),
                package("deep", json!(deep), Value::Null),
                package("devdep", json!("1.90"), Value::Null),
                package("builddep", Value::Null, Value::Null),
            ],
            "workspace_members": ["app", "tool"],
            "resolve": {"root": null, "nodes": [
                node("app", vec![
                    dep("normal", Value::Null),
                    dep("devdep", json!("dev")),
                    dep("builddep", json!("build")),
                ]),
                node("tool", vec![dep("devdep", Value::Null)]),
                node("normal", vec![dep("deep", Value::Null)]),
                node("deep", vec![]),
                node("devdep", vec![]),
                node("builddep", vec![]),
            ]},
            "workspace_root": "/w",
            "target_directory": "/w/target",
            "version": 1,
        });
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"))
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
        assert_eq!(
            found.highest,
            Some((Version::new(1, 88, 0), "deep 1.0.0".to_owned()))
        );
    }

    #[test]
    fn a_patch_release_counts_as_newer() {
        let found = analyse(&workspace("1.88.1")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.shipped_too_new.len(), 1);
        assert_eq!(found.shipped_too_new[0].needs, "1.88.1");
    }

    #[test]
    fn versions_print_as_manifests_write_them() {
        assert_eq!(short(&Version::new(1, 88, 0)), "1.88");
        assert_eq!(short(&Version::new(1, 85, 1)), "1.85.1");
    }
}
