//! The runtime crate's sources, vendored into every generated server as `src/runtime/`.
//!
//! A copy (instead of a dependency) lets a generated crate build on a machine that reaches only
//! crates.io, with no path back to an mcpgen checkout (DESIGN.md decision 4). The runtime is written
//! to work both as its own crate and as this module (`super::` paths only, no inline tests).

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// The runtime crate's manifest, whose `[dependencies]` the generated crate repeats.
const RUNTIME_MANIFEST: &str = include_str!("../../runtime/Cargo.toml");

/// `(path, contents)` of the vendored runtime files; `lib.rs` becomes `mod.rs`.
pub(super) fn files(header: &str) -> Vec<(String, String)> {
    RUNTIME_FILES
        .iter()
        .map(|(name, contents)| {
            let target = if *name == "lib.rs" { "mod.rs" } else { name };
            (
                format!("src/runtime/{target}"),
                format!("// {header}\n// Vendored from the mcpgen-runtime crate.\n\n{contents}"),
            )
        })
        .collect()
}

/// The body of the runtime's `[dependencies]` table, exactly as written there.
pub(super) fn dependencies() -> String {
    table("[dependencies]")
}

/// The body of the runtime's `[features]` table (optional telemetry), exactly as written there.
pub(super) fn features() -> String {
    table("[features]")
}

fn table(header: &str) -> String {
    let mut lines = RUNTIME_MANIFEST.lines().skip_while(|line| line.trim() != header).skip(1);
    let mut out = Vec::new();
    for line in lines.by_ref() {
        if line.trim_start().starts_with('[') {
            break;
        }
        out.push(line);
    }
    out.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_file_is_vendored_with_lib_as_mod() {
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/runtime/src")).unwrap().count();
        let files = files("HEADER");
        assert_eq!(files.len(), on_disk);
        assert!(files.iter().any(|(p, c)| p == "src/runtime/mod.rs" && c.starts_with("// HEADER\n")));
        assert!(!files.iter().any(|(p, _)| p.ends_with("lib.rs")));
    }

    #[test]
    fn dependencies_are_the_runtime_table() {
        let deps = dependencies();
        assert!(deps.lines().next().unwrap().starts_with("rmcp = "), "{deps}");
        assert!(!deps.contains("[dev-dependencies]"));
        assert!(!deps.contains("[dependencies]"));
        assert!(features().starts_with("# Export each tool call's span"), "{}", features());
    }
}
