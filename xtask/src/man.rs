//! `cargo xtask man`: the `idp` man pages, generated from the CLI's own definition (clap_mangen,
//! through the binary's hidden `man` subcommand) into `man/`, where the repository ships them.
//! `cargo xtask ci` checks that the shipped pages are up to date.

use std::path::Path;

/// Where the repository keeps the man pages.
const FOLDER: &str = "man";

/// Writes the man pages into `man/`.
pub fn man(root: &Path) -> Result<(), String> {
    generate(root, &root.join(FOLDER))?;
    println!("xtask: man pages written to {FOLDER}/");
    Ok(())
}

/// Fails when `man/` differs from what the CLI generates now.
pub fn check(root: &Path) -> Result<(), String> {
    let fresh = root.join("target").join("xtask-man");
    let _ = std::fs::remove_dir_all(&fresh);
    generate(root, &fresh)?;
    let shipped = root.join(FOLDER);
    let names = |dir: &Path| -> Result<Vec<String>, String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    };
    let (want, have) = (names(&fresh)?, names(&shipped)?);
    let stale = want != have
        || want.iter().any(|name| {
            std::fs::read(fresh.join(name)).ok() != std::fs::read(shipped.join(name)).ok()
        });
    if stale {
        return Err(format!(
            "the man pages in {FOLDER}/ are out of date: run `cargo xtask man` and commit them"
        ));
    }
    println!("xtask: man pages up to date");
    Ok(())
}

fn generate(root: &Path, folder: &Path) -> Result<(), String> {
    let out = folder.to_string_lossy().into_owned();
    crate::cargo(
        root,
        &[
            "run", "--quiet", "-p", "idp-cli", "--", "man", "--out", &out,
        ],
        &[],
    )
}
