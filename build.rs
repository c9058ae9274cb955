//! Embeds the runtime crate's sources into the generator: generated servers get a verbatim copy
//! (DESIGN.md decision 4), so every file in `runtime/src` is listed here, sorted, at build time.

use std::path::Path;
use std::{env, fs};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("runtime").join("src");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed={}", Path::new(&root).join("runtime").join("Cargo.toml").display());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("runtime/src exists")
        .map(|entry| entry.expect("readable runtime/src").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// `(file name, contents)` of every runtime source file, sorted by name.\npub(crate) const RUNTIME_FILES: &[(&str, &str)] = &[\n",
    );
    for name in names {
        let path = dir.join(&name);
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", path.display().to_string()));
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("runtime_files.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}
