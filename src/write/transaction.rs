//! All-or-nothing changes to an output directory.
//!
//! A write first *stages* every new file as a temporary sibling (creating the directories it
//! needs), then *commits*: each file it replaces or removes is first moved aside as a backup, then
//! the temporary is renamed into place. Any failure rolls back everything done so far, in reverse:
//! new files are removed, backups are moved back, temporaries are deleted (including one that was
//! only partly written, which is how a full disk fails), and the directories the write created are
//! removed again. So when a write fails the directory is as it was, and the message can say so.
//! Renames within one directory do not need free space, which is why the commit phase can undo.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file operations whose failure a write must survive; a seam so tests can fail any of them
/// (a full disk cannot be arranged in a test, and permissions do not stop root).
pub(crate) trait Io {
    fn write(&self, path: &Path, contents: &str) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn create_dir(&self, path: &Path) -> io::Result<()>;
}

/// The real file system.
pub(crate) struct RealFs;

impl Io for RealFs {
    fn write(&self, path: &Path, contents: &str) -> io::Result<()> {
        fs::write(path, contents)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }
}

/// One commit step done, so that it can be undone.
struct Done {
    target: PathBuf,
    /// Where the previous file was moved, if there was one.
    backup: Option<PathBuf>,
    /// Whether a new file now sits at `target`.
    placed: bool,
}

/// A write in progress; dropping it without [`Transaction::finish`] does not roll back, so every
/// error path calls [`Transaction::roll_back`].
pub(crate) struct Transaction<'a> {
    io: &'a dyn Io,
    /// Directories created, parents first.
    created_dirs: Vec<PathBuf>,
    /// Staged files not yet renamed into place: (target, temporary).
    staged: Vec<(PathBuf, PathBuf)>,
    /// Files to move aside (stale generated files).
    removals: Vec<PathBuf>,
    done: Vec<Done>,
}

/// A failed step: the path and the error.
pub(crate) type Failure = (PathBuf, io::Error);

impl<'a> Transaction<'a> {
    pub(crate) fn new(io: &'a dyn Io) -> Self {
        Self { io, created_dirs: Vec::new(), staged: Vec::new(), removals: Vec::new(), done: Vec::new() }
    }

    /// Writes `contents` to a temporary sibling of `target`, creating missing directories.
    pub(crate) fn stage(&mut self, target: &Path, contents: &str) -> Result<(), Failure> {
        let parent = target.parent().unwrap_or(Path::new("."));
        self.create_dirs(parent)?;
        let tmp = sibling(target, "tmp");
        // Recorded before writing: a write that fails half-way leaves a partial file to remove.
        self.staged.push((target.to_path_buf(), tmp.clone()));
        self.io.write(&tmp, contents).map_err(|err| (target.to_path_buf(), err))
    }

    /// Marks `target` for removal at commit.
    pub(crate) fn remove(&mut self, target: &Path) {
        self.removals.push(target.to_path_buf());
    }

    /// Moves every staged file into place and every removed file away.
    pub(crate) fn commit(&mut self) -> Result<(), Failure> {
        let staged = std::mem::take(&mut self.staged);
        let mut pending = staged.iter();
        for (target, tmp) in pending.by_ref() {
            if let Err(failure) = self.replace(target, Some(tmp)) {
                // The temporaries not yet moved are still to be removed by the roll back.
                self.staged = staged.iter().filter(|(_, t)| t.exists()).cloned().collect();
                return Err(failure);
            }
        }
        for target in std::mem::take(&mut self.removals) {
            self.replace(&target, None)?;
        }
        Ok(())
    }

    /// Deletes the backups of a committed write (best effort: they are hidden and not ours to keep).
    pub(crate) fn finish(self) {
        for done in &self.done {
            if let Some(backup) = &done.backup {
                let _ = fs::remove_file(backup);
            }
        }
    }

    /// Undoes everything; returns the paths that could not be restored (empty when all was undone).
    pub(crate) fn roll_back(mut self) -> Vec<PathBuf> {
        let mut left = Vec::new();
        for done in self.done.drain(..).rev() {
            if done.placed && fs::remove_file(&done.target).is_err() {
                left.push(done.target.clone());
            }
            if let Some(backup) = &done.backup
                && self.io.rename(backup, &done.target).is_err()
            {
                left.push(done.target.clone());
            }
        }
        for (_, tmp) in &self.staged {
            if fs::remove_file(tmp).is_err() && tmp.exists() {
                left.push(tmp.clone());
            }
        }
        for dir in self.created_dirs.iter().rev() {
            if fs::remove_dir(dir).is_err() && dir.exists() {
                left.push(dir.clone());
            }
        }
        left
    }

    /// Moves the file at `target` (if any) aside, then puts `new` there (if any).
    fn replace(&mut self, target: &Path, new: Option<&Path>) -> Result<(), Failure> {
        let failed = |err| (target.to_path_buf(), err);
        let backup = if target.exists() {
            let backup = sibling(target, "old");
            self.io.rename(target, &backup).map_err(failed)?;
            Some(backup)
        } else {
            None
        };
        let mut done = Done { target: target.to_path_buf(), backup, placed: false };
        let moved = new.map(|tmp| self.io.rename(tmp, target)).transpose();
        done.placed = moved.is_ok() && new.is_some();
        self.done.push(done);
        moved.map(|_| ()).map_err(failed)
    }

    /// `fs::create_dir_all`, remembering each directory it creates.
    fn create_dirs(&mut self, dir: &Path) -> Result<(), Failure> {
        let mut missing = Vec::new();
        let mut current = Some(dir);
        while let Some(path) = current.filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            missing.push(path.to_path_buf());
            current = path.parent();
        }
        for path in missing.into_iter().rev() {
            match self.io.create_dir(&path) {
                Ok(()) => self.created_dirs.push(path),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(err) => return Err((path, err)),
            }
        }
        Ok(())
    }
}

/// `dir/.name.mcpgen-<what>`: hidden, next to the target (a rename within one directory).
fn sibling(target: &Path, what: &str) -> PathBuf {
    let parent = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent.join(format!(".{name}.mcpgen-{what}"))
}
