//! `--tables DIR`: the tool tables of the request-correctness stage (`scripts/requests.py`).
//!
//! A deterministic sample of the corpus is generated with a manifest that binds a credential to
//! every security scheme (secret references `env:CORPUS_SECRET_<n>`, which the driver sets to dummy
//! values: Prism checks that a credential is present, not that it is valid), and each spec's
//! `src/tools.json` is written to `DIR/<nnn>/tools.json`. `DIR/index.json` lists the sample: spec
//! path, table, operations and tools, or why the spec was not generated.
//!
//! Held out of the sample, as they are of all fidelity tuning: the GitHub and Figma specs.

use std::path::Path;

use serde_json::{Map, Value, json};

/// Directory prefixes of held-out specs.
const HELD_OUT: &[&str] = &["github.com/", "figma.com/"];
/// Specs larger than this are left out: Prism takes minutes to load them.
const MAX_BYTES: u64 = 2 * 1024 * 1024;

/// Writes the tables of `n` specs picked by the FNV hash of `requests/seed/path`.
pub(crate) fn write_tables(dir: &Path, files: &[String], out: &Path, n: usize, seed: u64) {
    let mut ranked: Vec<(u64, &String)> = files
        .iter()
        .filter(|f| !HELD_OUT.iter().any(|h| f.starts_with(h)))
        .filter(|f| std::fs::metadata(dir.join(f)).is_ok_and(|m| m.len() <= MAX_BYTES))
        .map(|f| (super::fnv(&format!("requests/{seed}/{f}")), f))
        .collect();
    ranked.sort();
    let mut chosen: Vec<&String> = ranked.into_iter().take(n).map(|(_, f)| f).collect();
    chosen.sort();
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).expect("create the tables directory");
    let mut index = Vec::new();
    for (i, file) in chosen.iter().enumerate() {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mut entry = json!({
            "spec": dir.join(file).to_string_lossy(),
            "path": file,
            "version": super::version_of(&value),
            "operations": super::count_operations(&value),
        });
        let (bound, manifest) = manifest_with_credentials(&value);
        // A binding the generator refuses (e.g. an OAuth scheme without a token URL) is dropped,
        // so the spec still generates; the tools that need it are then refused or rejected.
        let generated = generate(&manifest, &text).or_else(|first| {
            if bound == 0 {
                return Err(first);
            }
            generate(&super::manifest_for(&value), &text).map_err(|_| first)
        });
        match generated {
            Ok(table) => {
                let name = format!("{i:03}");
                std::fs::create_dir_all(out.join(&name)).expect("create a table directory");
                std::fs::write(out.join(&name).join("tools.json"), &table).expect("write a tool table");
                let tools = serde_json::from_str::<Value>(&table)
                    .ok()
                    .and_then(|t| t.get("tools").and_then(Value::as_array).map(Vec::len))
                    .unwrap_or(0);
                entry["table"] = json!(format!("{name}/tools.json"));
                entry["tools"] = json!(tools);
            }
            Err(why) => entry["error"] = json!(why),
        }
        index.push(entry);
    }
    let text = serde_json::to_string_pretty(&index).expect("serialise the index");
    std::fs::write(out.join("index.json"), text).expect("write the index");
    eprintln!("corpus: {} tool tables written to {}", index.len(), out.display());
}

fn generate(manifest: &str, spec: &str) -> Result<String, String> {
    let input = mcpgen::load_texts(manifest, &[("openapi.json", spec)]).map_err(|p| first_error(&p))?;
    let (tree, _) = mcpgen::generate(&input).map_err(|p| first_error(&p))?;
    tree.get("src/tools.json").cloned().ok_or_else(|| "no src/tools.json in the tree".to_owned())
}

fn first_error(problems: &mcpgen::diagnostics::Problems) -> String {
    problems.0.iter().find(|p| p.is_error()).map_or_else(String::new, |p| format!("{}: {}", p.code, p.message))
}

/// The corpus manifest plus a credential for every security scheme the generator can bind; the
/// manifest is written as JSON (which is YAML), so scheme names need no quoting rules.
fn manifest_with_credentials(spec: &Value) -> (usize, String) {
    let schemes = spec
        .pointer("/components/securitySchemes")
        .or_else(|| spec.get("securityDefinitions"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut credentials = Map::new();
    for (i, (name, scheme)) in schemes.iter().enumerate() {
        let secret = |what: &str| json!(format!("env:CORPUS_SECRET_{i}_{what}"));
        let kind = scheme.get("type").and_then(Value::as_str).unwrap_or_default();
        let http = scheme.get("scheme").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
        let binding = match (kind, http.as_str()) {
            ("apiKey", _) => json!({"key": secret("KEY")}),
            ("http", "bearer") => json!({"token": secret("TOKEN")}),
            ("http", "basic") | ("basic", _) => json!({"username": "corpus-user", "password": secret("PASSWORD")}),
            // The token endpoint is the driver's local stub (it rewrites `tokenUrl`).
            ("oauth2" | "openIdConnect", _) => json!({
                "client_id": "corpus-client",
                "client_secret": secret("CLIENT_SECRET"),
                "token_url": "http://127.0.0.1:9/token",
            }),
            _ => continue,
        };
        credentials.insert(name.clone(), binding);
    }
    let mut manifest = super::manifest_value(spec);
    let bound = credentials.len();
    if bound > 0 {
        manifest["apis"]["api"]["credentials"] = Value::Object(credentials);
    }
    (bound, manifest.to_string())
}
