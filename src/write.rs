//! Writing a generated tree to disk: atomically, only what changed, never a user's file.
//!
//! Every file is first written to a temporary sibling and only renamed into place once all of
//! them were written; any failure (disk full, permissions) rolls back what was done, temporaries
//! and new directories included, so the previous output is left exactly as it was
//! (see `write/transaction.rs`).
//! Files that exist without the `@generated` marker are not ours: generation stops instead of
//! overwriting them (unless forced). Stale files that carry the marker are removed.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostics::Problem;
use crate::emit::{Tree, is_generated};

mod transaction;
use transaction::{Io, RealFs, Transaction};

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
    write_tree_with(out, tree, force, &RealFs)
}

fn write_tree_with(out: &Path, tree: &Tree, force: bool, io: &dyn Io) -> Result<WriteReport, Problem> {
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
    let mut transaction = Transaction::new(io);
    let staged = changes.iter().try_for_each(|(target, contents, _)| transaction.stage(target, contents));
    for relative in &stale {
        transaction.remove(&out.join(relative));
    }
    if let Err((path, err)) = staged.and_then(|()| transaction.commit()) {
        return Err(io_problem(&path, &err, &transaction.roll_back()));
    }
    transaction.finish();
    report.written = changes.into_iter().map(|(_, _, relative)| relative).collect();
    report.removed = stale;
    Ok(report)
}

/// Writes one file atomically when its contents differ; returns whether it changed.
pub fn write_file(path: &Path, contents: &str) -> Result<bool, Problem> {
    if fs::read_to_string(path).is_ok_and(|existing| existing == contents) {
        return Ok(false);
    }
    let mut transaction = Transaction::new(&RealFs);
    if let Err((failed, err)) = transaction.stage(path, contents).and_then(|()| transaction.commit()) {
        return Err(io_problem(&failed, &err, &transaction.roll_back()));
    }
    transaction.finish();
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

fn io_problem(path: &Path, err: &std::io::Error, not_undone: &[PathBuf]) -> Problem {
    let problem = Problem::error("mcpgen::write::io", format!("cannot write {}: {err}", path.display()));
    if not_undone.is_empty() {
        problem.with_help(
            "check that the output directory is writable and the disk has room; nothing was changed (every file \
             written so far was removed again)",
        )
    } else {
        let paths: Vec<String> = not_undone.iter().map(|p| p.display().to_string()).collect();
        problem.with_help(format!(
            "check that the output directory is writable and the disk has room; these could not be restored: {} \
             (files named `.NAME.mcpgen-old` are the previous versions)",
            paths.join(", ")
        ))
    }
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

    /// Every path under `dir` (hidden ones too), with the contents of files: what a failed write
    /// must leave exactly as it found it.
    fn listing(dir: &Path) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            for entry in fs::read_dir(&current).unwrap() {
                let path = entry.unwrap().path();
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                if path.is_dir() {
                    out.push((relative, None));
                    pending.push(path);
                } else {
                    out.push((relative, Some(fs::read_to_string(&path).unwrap())));
                }
            }
        }
        out.sort();
        out
    }

    /// A directory with an older generation: a changed file, a stale one and a user's file.
    fn previous_generation() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("src")).unwrap();
        fs::write(dir.path().join("a.txt"), "// @generated by mcpgen\nold A").unwrap();
        fs::write(dir.path().join("src/stale.rs"), "// @generated by mcpgen\nstale").unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        dir
    }

    fn next_generation() -> Tree {
        tree(&[
            ("a.txt", "// @generated by mcpgen\nnew A"),
            ("new/deep/b.rs", "// @generated by mcpgen\nB"),
            ("src/c.rs", "// @generated by mcpgen\nC"),
            ("z.txt", "// @generated by mcpgen\nZ"),
        ])
    }

    /// Fails the `n`th write (after writing half of it, as a full disk does) or the `n`th rename.
    struct Failing {
        write_at: Option<usize>,
        rename_at: Option<usize>,
        writes: std::cell::Cell<usize>,
        renames: std::cell::Cell<usize>,
    }

    impl Failing {
        fn new(write_at: Option<usize>, rename_at: Option<usize>) -> Self {
            Self { write_at, rename_at, writes: 0.into(), renames: 0.into() }
        }
    }

    impl Io for Failing {
        fn write(&self, path: &Path, contents: &str) -> std::io::Result<()> {
            let n = self.writes.replace(self.writes.get() + 1);
            if Some(n) == self.write_at {
                fs::write(path, &contents[..contents.len() / 2])?;
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"));
            }
            fs::write(path, contents)
        }

        fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            let n = self.renames.replace(self.renames.get() + 1);
            if Some(n) == self.rename_at {
                return Err(std::io::Error::other("injected rename failure"));
            }
            fs::rename(from, to)
        }

        fn create_dir(&self, path: &Path) -> std::io::Result<()> {
            fs::create_dir(path)
        }
    }

    #[test]
    fn a_failure_at_any_step_leaves_the_directory_exactly_as_it_was() {
        // Issue 7: a full disk left `.NAME.mcpgen-tmp` files and new empty directories behind while
        // the message said nothing was half-written. 4 files are written; the commit renames 2 old
        // files aside (a.txt, src/stale.rs) and 4 new ones into place.
        let cases = (0..4).map(|n| Failing::new(Some(n), None)).chain((0..6).map(|n| Failing::new(None, Some(n))));
        for io in cases {
            let dir = previous_generation();
            let before = listing(dir.path());
            let err = write_tree_with(dir.path(), &next_generation(), false, &io).unwrap_err();
            let case = (io.write_at, io.rename_at);
            assert_eq!(listing(dir.path()), before, "{case:?}: {}", err.message);
            assert!(err.help.as_deref().unwrap().contains("nothing was changed"), "{case:?}: {:?}", err.help);
        }
        // The same write without a failure: everything lands, and no temporary or backup is left.
        let dir = previous_generation();
        let report = write_tree_with(dir.path(), &next_generation(), false, &Failing::new(None, None)).unwrap();
        assert_eq!(report.removed, ["src/stale.rs"]);
        let names: Vec<String> = listing(dir.path()).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["a.txt", "new", "new/deep", "new/deep/b.rs", "notes.txt", "src", "src/c.rs", "z.txt"]);
    }

    #[test]
    fn a_directory_that_cannot_be_created_removes_the_ones_created_before() {
        // On the real file system (no seam): `clash` is a file, so `clash/y.rs` cannot be written
        // after `a-new/` was already created for `a-new/x.rs`.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("clash"), "mine").unwrap();
        let before = listing(dir.path());
        let t = tree(&[("a-new/x.rs", "// @generated by mcpgen\nX"), ("clash/y.rs", "// @generated by mcpgen\nY")]);
        let err = write_tree(dir.path(), &t, false).unwrap_err();
        assert_eq!(err.code, "mcpgen::write::io");
        assert_eq!(listing(dir.path()), before);
        // Nor is a missing output directory left behind.
        let out = dir.path().join("out");
        let t = tree(&[("x.rs", "// @generated by mcpgen\nX"), ("y/z.rs", "// @generated by mcpgen")]);
        let io = Failing::new(Some(1), None);
        assert!(write_tree_with(&out, &t, false, &io).is_err());
        assert!(!out.exists());
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
