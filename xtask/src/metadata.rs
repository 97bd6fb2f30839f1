//! `cargo metadata --format-version 1`, read into the few things the release jobs need.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::json::{self, Value};

/// One package of the dependency graph.
pub struct Package {
    pub id: String,
    pub name: String,
    pub version: String,
    /// `rust-version` as declared (`None` when the package declares none).
    pub rust_version: Option<String>,
    pub manifest_path: PathBuf,
    /// The full `cargo metadata` record, for the metadata checks.
    pub raw: Value,
}

impl Package {
    /// `publish = false` makes this an empty list; `None` means any registry.
    pub fn is_published(&self) -> bool {
        match self.raw.get("publish") {
            Value::Null => true,
            other => !other.as_array().is_empty(),
        }
    }

    /// The folder holding this package's `Cargo.toml`.
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("."))
    }

    /// A string field of the manifest (`description`, `readme`, …), if set and not blank.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.raw.get(name).as_str().filter(|s| !s.trim().is_empty())
    }

    /// A list-of-strings field (`keywords`, `categories`).
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.raw
            .get(name)
            .as_array()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }

    /// The source files of this package's targets of `kind` (`lib`, `bin`, …).
    pub fn target_sources(&self, kind: &str) -> Vec<PathBuf> {
        self.raw
            .get("targets")
            .as_array()
            .iter()
            .filter(|t| {
                t.get("kind")
                    .as_array()
                    .iter()
                    .any(|k| k.as_str() == Some(kind))
            })
            .filter_map(|t| t.get("src_path").as_str().map(PathBuf::from))
            .collect()
    }
}

/// How a dependency edge is used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DepKind {
    Normal,
    Build,
    Dev,
}

/// The workspace's packages and resolved dependency graph (all features on, all platforms).
pub struct Metadata {
    pub packages: BTreeMap<String, Package>,
    pub workspace_members: Vec<String>,
    /// For each package id: (dependency id, the ways it is used).
    pub edges: BTreeMap<String, Vec<(String, Vec<DepKind>)>>,
}

impl Metadata {
    pub fn load(root: &Path) -> Result<Metadata, String> {
        let text = crate::cargo_output(
            root,
            &["metadata", "--format-version", "1", "--all-features"],
        )?;
        Metadata::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Metadata, String> {
        let doc = json::parse(text)?;
        let mut packages = BTreeMap::new();
        for raw in doc.get("packages").as_array() {
            let text_of = |key: &str| raw.get(key).as_str().unwrap_or_default().to_owned();
            let package = Package {
                id: text_of("id"),
                name: text_of("name"),
                version: text_of("version"),
                rust_version: raw.get("rust_version").as_str().map(str::to_owned),
                manifest_path: PathBuf::from(text_of("manifest_path")),
                raw: raw.clone(),
            };
            packages.insert(package.id.clone(), package);
        }
        let workspace_members = doc
            .get("workspace_members")
            .as_array()
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let mut edges = BTreeMap::new();
        for node in doc.get("resolve").get("nodes").as_array() {
            let Some(id) = node.get("id").as_str() else {
                continue;
            };
            let deps = node
                .get("deps")
                .as_array()
                .iter()
                .filter_map(|dep| {
                    let pkg = dep.get("pkg").as_str()?.to_owned();
                    let kinds = dep
                        .get("dep_kinds")
                        .as_array()
                        .iter()
                        .map(|k| match k.get("kind").as_str() {
                            Some("dev") => DepKind::Dev,
                            Some("build") => DepKind::Build,
                            _ => DepKind::Normal,
                        })
                        .collect();
                    Some((pkg, kinds))
                })
                .collect();
            edges.insert(id.to_owned(), deps);
        }
        if packages.is_empty() || edges.is_empty() {
            return Err("cargo metadata printed no packages or no resolve graph".to_owned());
        }
        Ok(Metadata {
            packages,
            workspace_members,
            edges,
        })
    }

    /// The workspace members that `cargo publish --workspace` would publish, by name.
    pub fn published_members(&self) -> Vec<&Package> {
        let mut members: Vec<&Package> = self
            .workspace_members
            .iter()
            .filter_map(|id| self.packages.get(id))
            .filter(|p| p.is_published())
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        members
    }

    /// Every package reachable from `roots` over edges of the accepted kinds, with the package
    /// that first pulled each one in (for the "why" in messages).
    pub fn reachable(
        &self,
        roots: &[&str],
        accept: impl Fn(&[DepKind]) -> bool,
    ) -> BTreeMap<String, Option<String>> {
        let mut seen: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut queue: Vec<String> = Vec::new();
        for root in roots {
            if seen.insert((*root).to_owned(), None).is_none() {
                queue.push((*root).to_owned());
            }
        }
        while let Some(id) = queue.pop() {
            for (dep, kinds) in self.edges.get(&id).map(Vec::as_slice).unwrap_or_default() {
                if accept(kinds) && !seen.contains_key(dep) {
                    seen.insert(dep.clone(), Some(id.clone()));
                    queue.push(dep.clone());
                }
            }
        }
        seen
    }

    /// "a 1.0 ← b 2.0 ← idp-core 0.1.0": how `id` got into a `reachable` set.
    pub fn chain(&self, id: &str, parents: &BTreeMap<String, Option<String>>) -> String {
        let mut parts = Vec::new();
        let mut current = Some(id.to_owned());
        while let Some(id) = current {
            if parts.len() > 64 {
                break;
            }
            parts.push(self.label(&id));
            current = parents.get(&id).cloned().flatten();
        }
        parts.join(" ← ")
    }

    /// "name version".
    pub fn label(&self, id: &str) -> String {
        self.packages
            .get(id)
            .map(|p| format!("{} {}", p.name, p.version))
            .unwrap_or_else(|| id.to_owned())
    }
}
