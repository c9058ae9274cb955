//! Writing a generated tree to disk: atomically, only what changed, never a user's file.
//!
//! Every file is first written to a temporary sibling and only renamed into place once all of
//! them were written, so a failure (disk full, permissions) leaves the previous output intact.
//! Files that exist without the `@generated` marker are not ours: generation stops instead of
//! overwriting them (unless forced). Stale files that carry the marker are removed.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostics::Problem;
use crate::emit::{Tree, is_generated};

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// Files created or changed, relative paths.
    pub written: Vec<String>,
    /// Files already up to date.
    pub unchanged: usize,
    /// Stale generated files removed.
    pub removed: Vec<String>,
}

/// Writes `tree` under `out`.
pub fn write_tree(out: &Path, tree: &Tree, force: bool) -> Result<WriteReport, Problem> {
    let mut report = WriteReport::default();
    let mut changes: Vec<(PathBuf, &str, String)> = Vec::new();
    let mut foreign = Vec::new();
    for (relative, contents) in tree {
        let target = out.join(relative);
        match fs::read_to_string(&target) {
            Ok(existing) if existing == *contents => report.unchanged += 1,
            Ok(existing) if !is_generated(&existing) && !force => foreign.push(relative.clone()),
            Ok(_) | Err(_) if target.is_dir() => foreign.push(relative.clone()),
            _ => changes.push((target, contents, relative.clone())),
        }
    }
    if !foreign.is_empty() {
        return Err(Problem::error(
            "mcpgen::write::foreign_file",
            format!("{} would overwrite files that mcpgen did not generate: {}", out.display(), foreign.join(", ")),
        )
        .with_help("move those files away, choose another --out directory, or pass --force to overwrite them"));
    }
    let stale = stale_files(out, tree);

    let mut temporaries = Vec::new();
    for (target, contents, _) in &changes {
        match write_temporary(target, contents) {
            Ok(tmp) => temporaries.push(tmp),
            Err(err) => {
                for tmp in &temporaries {
                    let _ = fs::remove_file(tmp);
                }
                return Err(io_problem(target, &err));
            }
        }
    }
    for ((target, _, relative), tmp) in changes.iter().zip(&temporaries) {
        fs::rename(tmp, target).map_err(|err| io_problem(target, &err))?;
        report.written.push(relative.clone());
    }
    for relative in stale {
        let path = out.join(&relative);
        fs::remove_file(&path).map_err(|err| io_problem(&path, &err))?;
        report.removed.push(relative);
    }
    Ok(report)
}

/// Writes one file atomically when its contents differ; returns whether it changed.
pub fn write_file(path: &Path, contents: &str) -> Result<bool, Problem> {
    if fs::read_to_string(path).is_ok_and(|existing| existing == contents) {
        return Ok(false);
    }
    let tmp = write_temporary(path, contents).map_err(|err| io_problem(path, &err))?;
    fs::rename(&tmp, path).map_err(|err| io_problem(path, &err))?;
    Ok(true)
}

/// How a directory differs from a generated tree (see [`compare`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Generated files that do not exist.
    pub missing: Vec<String>,
    /// Files whose contents differ: (path, on disk, generated).
    pub changed: Vec<(String, String, String)>,
    /// Files with the generated marker that would no longer be generated.
    pub stale: Vec<String>,
}

impl Drift {
    /// Whether the directory matches the tree exactly.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty() && self.stale.is_empty()
    }
}

/// Compares `out` with `tree` without writing anything (for `mcpgen check`).
pub fn compare(out: &Path, tree: &Tree) -> Drift {
    let mut drift = Drift::default();
    for (relative, generated) in tree {
        match fs::read_to_string(out.join(relative)) {
            Ok(existing) if existing == *generated => {}
            Ok(existing) => drift.changed.push((relative.clone(), existing, generated.clone())),
            Err(_) => drift.missing.push(relative.clone()),
        }
    }
    drift.stale = stale_files(out, tree);
    drift
}

fn write_temporary(target: &Path, contents: &str) -> std::io::Result<PathBuf> {
    let parent = target.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = parent.join(format!(".{name}.mcpgen-tmp"));
    fs::write(&tmp, contents)?;
    Ok(tmp)
}

/// Files under `out` that carry the marker but are no longer generated. `target/` and hidden
/// directories are never looked into.
fn stale_files(out: &Path, tree: &Tree) -> Vec<String> {
    let mut stale = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative_dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(out.join(&relative_dir)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = relative_dir.join(&name);
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                let is_hidden = name.starts_with('.');
                let is_build_output = relative_dir.as_os_str().is_empty() && name == "target";
                if !is_hidden && !is_build_output {
                    pending.push(relative);
                }
            } else if kind.is_file() {
                let key = relative.to_string_lossy().replace('\\', "/");
                if !tree.contains_key(&key) && fs::read_to_string(entry.path()).is_ok_and(|c| is_generated(&c)) {
                    stale.push(key);
                }
            }
        }
    }
    stale.sort();
    stale
}

fn io_problem(path: &Path, err: &std::io::Error) -> Problem {
    Problem::error("mcpgen::write::io", format!("cannot write {}: {err}", path.display()))
        .with_help("check that the output directory is writable and the disk has room; nothing was half-written")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        files.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect()
    }

    #[test]
    fn writes_only_changes_and_removes_stale_generated_files() {
        let dir = tempfile::tempdir().unwrap();
        let first = tree(&[("a.txt", "// @generated by mcpgen\nA"), ("src/b.rs", "// @generated by mcpgen\nB")]);
        let report = write_tree(dir.path(), &first, false).unwrap();
        assert_eq!(report.written, ["a.txt", "src/b.rs"]);

        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let second = tree(&[("a.txt", "// @generated by mcpgen\nA2")]);
        let report = write_tree(dir.path(), &second, false).unwrap();
        assert_eq!(report.written, ["a.txt"]);
        assert_eq!(report.removed, ["src/b.rs"]);
        assert_eq!(fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");

        let report = write_tree(dir.path(), &second, false).unwrap();
        assert_eq!((report.written.len(), report.unchanged), (0, 1));
    }

    #[test]
    fn refuses_to_overwrite_files_it_did_not_generate() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("README.md"), "hand-written").unwrap();
        let t = tree(&[("README.md", "<!-- @generated by mcpgen -->"), ("x.txt", "// @generated by mcpgen")]);
        let err = write_tree(dir.path(), &t, false).unwrap_err();
        assert!(err.message.contains("README.md"), "{}", err.message);
        // Nothing was written.
        assert!(!dir.path().join("x.txt").exists());
        assert_eq!(fs::read_to_string(dir.path().join("README.md")).unwrap(), "hand-written");
        write_tree(dir.path(), &t, true).unwrap();
        assert!(dir.path().join("x.txt").exists());
    }
}
