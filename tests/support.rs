//! Shared helpers: fixture discovery and the generated-fixture workspace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every valid fixture (a directory of `fixtures/` holding `mcpgen.yaml`), sorted.
pub(crate) fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("mcpgen.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Generates a fixture in memory through the library.
pub(crate) fn generate(dir: &Path) -> mcpgen::emit::Tree {
    let inputs = mcpgen::Inputs::from_dir(dir).unwrap();
    let input = mcpgen::load(&inputs).unwrap_or_else(|p| panic!("{}", p.render(Some(100), false)));
    let (tree, warnings) = mcpgen::generate(&input).unwrap_or_else(|p| panic!("{}", p.render(Some(100), false)));
    assert!(!warnings.has_errors());
    tree
}

/// The shared workspace of generated fixtures: `target/fixture-ws/<fixture>/`, built into
/// `target/fixture-target` so dependencies compile once for all fixtures and all runs.
pub(crate) struct FixtureWorkspace {
    pub dir: PathBuf,
    pub target: PathBuf,
}

impl FixtureWorkspace {
    /// A `cargo` command in the workspace with warnings denied and the shared target dir.
    pub(crate) fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("RUSTFLAGS", "-Dwarnings")
            .env_remove("RUSTC_WRAPPER");
        cmd
    }

    /// Builds a fixture's server binary and returns its path.
    pub(crate) fn build_binary(&self, package: &str) -> PathBuf {
        let status = self.cargo(&["build", "-q", "-p", package]).status().unwrap();
        assert!(status.success(), "building {package} failed");
        self.target.join("debug").join(package)
    }
}

/// Writes every fixture into the workspace (once per test run) and returns it.
pub(crate) fn fixture_workspace() -> &'static FixtureWorkspace {
    static WS: OnceLock<FixtureWorkspace> = OnceLock::new();
    WS.get_or_init(|| {
        let dir = root().join("target/fixture-ws");
        let mut members = Vec::new();
        for fixture in fixtures() {
            let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
            let tree = generate(&fixture);
            mcpgen::write::write_tree(&dir.join(&name), &tree, false).unwrap();
            members.push(format!("{name:?}"));
        }
        let manifest = format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.join(", "));
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        // Start from the repository's lock so generated crates build with the versions the
        // runtime is tested with.
        let lock = dir.join("Cargo.lock");
        if !lock.exists() {
            std::fs::copy(root().join("Cargo.lock"), &lock).unwrap();
        }
        FixtureWorkspace { dir, target: root().join("target/fixture-target") }
    })
}
