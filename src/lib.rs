//! mcpgen turns OpenAPI specs and a manifest into a complete Rust MCP server crate.
//!
//! The pipeline is `load → validate → IR → emit → write`. Only the two ends touch the disk
//! ([`load`] reads the inputs, [`write::write_tree`] writes the result); everything between is a pure
//! function of the inputs, which is what makes the output byte-for-byte reproducible and lets
//! `check`-style uses run the same code without writing.

/// How stored tools become served ones, shared with generated servers.
#[path = "../runtime/src/assembly.rs"]
pub mod assembly;
/// The audit trail's hash chain, shared with generated servers (for `mcpgen audit verify`).
#[path = "../runtime/src/audit_chain.rs"]
pub mod audit_chain;
pub mod budget;
pub mod cli;
/// Client schema profiles, shared with generated servers: the lint checks the schemas a
/// profile serves, and the manifest names the profile a server starts with.
#[path = "../runtime/src/profile.rs"]
pub mod client_profile;
#[path = "../runtime/src/definition.rs"]
pub mod definition;
pub mod diagnostics;
pub mod diff;
pub mod document;
pub mod emit;
pub mod init;
pub mod ir;
/// The discovery search's built-in API vocabulary, shared with generated servers.
#[path = "../runtime/src/lexicon.rs"]
pub mod lexicon;
pub mod lint;
pub mod lock;
pub mod manifest;
/// The discovery surface's meta-tools, shared with generated servers (their listing's size).
#[path = "../runtime/src/meta_tools.rs"]
pub mod meta_tools;
pub mod profiles;
pub mod progress;
/// Tool search terms, shared with generated servers (index and queries are processed alike).
#[path = "../runtime/src/search.rs"]
pub mod search;
/// How a tool becomes search terms, shared with generated servers (the table ships them).
#[path = "../runtime/src/search_terms.rs"]
pub mod search_terms;
/// The response-shaping plan of a tool, shared with generated servers (part of the tool table).
#[path = "../runtime/src/shaping_plan.rs"]
pub mod shaping_plan;
pub mod source_map;
pub mod spec;
pub mod write;

use std::path::{Path, PathBuf};

use diagnostics::{Problem, Problems};
use document::Document;
use emit::Tree;
use spec::Spec;

/// Where the inputs are.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The manifest (`mcpgen.yaml`).
    pub manifest: PathBuf,
    /// Specs given on the command line; they go, in order, to the APIs whose `spec` is not set.
    pub specs: Vec<PathBuf>,
}

impl Inputs {
    /// The inputs of a directory holding `mcpgen.yaml` and `openapi.(yaml|yml|json)`.
    pub fn from_dir(dir: &Path) -> Result<Self, Problem> {
        let manifest = dir.join("mcpgen.yaml");
        if !manifest.is_file() {
            return Err(Problem::error("mcpgen::input::no_manifest", format!("{} has no mcpgen.yaml", dir.display()))
                .with_help("create one (see docs/manifest.md) or pass --manifest and --spec explicitly"));
        }
        Ok(Self { manifest, specs: Vec::new() })
    }
}

/// Reads one spec file (bundling its relative references; remote ones are refused).
pub fn load_spec(path: &Path) -> Result<Spec, Problems> {
    let mut problems = Problems::default();
    let read = |p: &Path| Document::read(p, &p.display().to_string());
    let reach = spec::bundle::Reach { allowed: &[], fetch: &fetch, roots: &[] };
    let dir = path.parent().unwrap_or(Path::new(""));
    match Document::read(path, &path.display().to_string())
        .and_then(|doc| spec_of(doc, dir, &read, &reach, &mut problems))
    {
        Ok(spec) if !problems.has_errors() => Ok(spec),
        Ok(_) => Err(problems),
        Err(problem) => {
            problems.push(problem);
            Err(problems)
        }
    }
}

/// Reads and parses every input, reporting all problems at once.
pub fn load(inputs: &Inputs) -> Result<ir::Input, Problems> {
    let mut problems = Problems::default();
    let mut manifest_doc =
        Document::read(&inputs.manifest, &inputs.manifest.display().to_string()).map_err(|p| Problems(vec![p]))?;
    manifest::conceal_secrets(&mut manifest_doc);
    let (manifest, manifest_problems) = manifest::parse(&manifest_doc).map_err(Problems)?;
    // Invalid manifest values do not stop loading: the specs and the IR stage report theirs too.
    problems.0.extend(manifest_problems);
    let base = inputs.manifest.parent().unwrap_or(Path::new("."));
    let mut extra = inputs.specs.iter();
    let mut specs = Vec::new();
    let mut sources = vec![file_name(&inputs.manifest)];
    for (id, api) in &manifest.apis {
        let (path, source) = match &api.spec {
            Some(spec) => (base.join(spec), spec.clone()),
            None => match extra.next() {
                Some(path) => (path.clone(), file_name(path)),
                None => {
                    let at = format!("/apis/{}", source_map::escape_token(id));
                    let fallback = ["openapi.yaml", "openapi.yml", "openapi.json"]
                        .into_iter()
                        .map(|n| base.join(n))
                        .find(|p| p.is_file());
                    match fallback {
                        Some(path) if manifest.apis.len() == 1 => {
                            let name = file_name(&path);
                            (path, name)
                        }
                        _ => {
                            problems.push(
                                manifest_doc.at_key(
                                    &at,
                                    Problem::error("mcpgen::input::no_spec", format!("API `{id}` names no spec"))
                                        .with_help("set `spec: openapi.yaml` for this API, or pass --spec FILE"),
                                    "no spec",
                                ),
                            );
                            continue;
                        }
                    }
                }
            },
        };
        let display = path.display().to_string();
        let read = |p: &Path| Document::read(p, &p.display().to_string());
        let dir = path.parent().unwrap_or(Path::new(""));
        let roots: Vec<PathBuf> = api.allow_external_refs.iter().map(|dir| base.join(dir)).collect();
        let reach = spec::bundle::Reach { allowed: &api.allow_remote_refs, fetch: &fetch, roots: &roots };
        let loaded = Document::read(&path, &display).and_then(|doc| spec_of(doc, dir, &read, &reach, &mut problems));
        match loaded {
            Ok(spec) => specs.push((id.clone(), spec)),
            Err(problem) => problems.push(problem),
        }
        sources.push(source);
    }
    if extra.next().is_some() {
        problems.push(
            Problem::error(
                "mcpgen::input::extra_spec",
                "more --spec files were given than the manifest has APIs without `spec`",
            )
            .with_help("add an API to the manifest for each spec, or drop the extra --spec"),
        );
    }
    if specs.len() < manifest.apis.len() || problems.0.iter().any(|p| p.code == "mcpgen::input::extra_spec") {
        // A spec that cannot be read leaves nothing to cross-check the manifest against.
        return Err(problems);
    }
    let lock = read_lock(&base.join(lock::LOCK_FILE), &mut problems);
    Ok(ir::Input { manifest_doc, manifest, specs, sources, problems, lock })
}

/// Loads from texts instead of files: a manifest and, in manifest order, `(name, text)` of each
/// API's spec (the manifest's `spec` keys are not read). For tools that hold documents in memory,
/// such as the corpus runner.
pub fn load_texts(manifest: &str, specs: &[(&str, &str)]) -> Result<ir::Input, Problems> {
    let mut manifest_doc = Document::parse("mcpgen.yaml", manifest.to_owned()).map_err(|p| Problems(vec![p]))?;
    manifest::conceal_secrets(&mut manifest_doc);
    let (manifest, manifest_problems) = manifest::parse(&manifest_doc).map_err(Problems)?;
    let mut problems = Problems(manifest_problems);
    let mut loaded = Vec::new();
    let mut sources = vec!["mcpgen.yaml".to_owned()];
    // In memory there are no other files: references to them are reported by the bundler.
    let no_files = |path: &Path| {
        Err(Problem::error(
            "mcpgen::io::read",
            format!("cannot read {}: in-memory specs cannot reference other files", path.display()),
        ))
    };
    let reach = spec::bundle::Reach { allowed: &[], fetch: &fetch, roots: &[] };
    for (id, (name, text)) in manifest.apis.keys().zip(specs) {
        let parsed = Document::parse(name, (*text).to_owned())
            .and_then(|doc| spec_of(doc, Path::new(""), &no_files, &reach, &mut problems));
        match parsed {
            Ok(spec) => loaded.push((id.clone(), spec)),
            Err(problem) => problems.push(problem),
        }
        sources.push((*name).to_owned());
    }
    for id in manifest.apis.keys().skip(specs.len()) {
        problems.push(Problem::error("mcpgen::io::read", format!("no spec text was given for API `{id}`")));
    }
    if loaded.len() < manifest.apis.len() {
        return Err(problems);
    }
    Ok(ir::Input { manifest_doc, manifest, specs: loaded, sources, problems, lock: lock::Lock::default() })
}

/// Loaded inputs → the server to generate (the IR), plus the warnings found.
pub fn plan(input: &ir::Input) -> Result<(ir::ServerIr, Problems), Problems> {
    let (ir, build_problems) = ir::build(input);
    let mut problems = input.problems.clone();
    problems.extend(build_problems);
    match ir.filter(|_| !problems.has_errors()) {
        Some(ir) => Ok((ir, problems)),
        None => Err(problems),
    }
}

/// The pure part: loaded inputs → generated files, plus the warnings found.
pub fn generate(input: &ir::Input) -> Result<(Tree, Problems), Problems> {
    generate_locked(input).map(|(tree, _, problems)| (tree, problems))
}

/// [`generate`], plus the lock file recording the tool names given.
pub fn generate_locked(input: &ir::Input) -> Result<(Tree, lock::Lock, Problems), Problems> {
    generate_measured(input).map(|(tree, lock, _, problems)| (tree, lock, problems))
}

/// [`generate_locked`], plus the size of `tools/list`; a budget overrun fails generation.
pub fn generate_measured(input: &ir::Input) -> Result<(Tree, lock::Lock, budget::Report, Problems), Problems> {
    let (ir, mut problems) = plan(input)?;
    let (report, emitted) = measure_and_emit(input, &ir, &mut problems);
    if problems.has_errors() {
        return Err(problems);
    }
    match emitted {
        Ok(tree) => Ok((tree, lock::Lock::of(&ir), report, problems)),
        Err(problem) => {
            problems.push(problem);
            Err(problems)
        }
    }
}

/// [`measure`] and [`emit::emit`] at once (rayon's pool): both only read the IR, and each is a
/// tenth or more of a large spec's generation (issue 13). A budget overrun is an error in
/// `problems` as with [`measure`]; the tree, emitted regardless, is then to be dropped.
pub fn measure_and_emit(
    input: &ir::Input,
    ir: &ir::ServerIr,
    problems: &mut Problems,
) -> (budget::Report, Result<Tree, Problem>) {
    rayon::join(|| measure(input, ir, problems), || emit::emit(ir))
}

/// The `tools/list` sizes of `ir`; overruns of the manifest's `budget` go to `problems` (errors).
pub fn measure(input: &ir::Input, ir: &ir::ServerIr, problems: &mut Problems) -> budget::Report {
    let toolsets: Vec<String> = input.manifest.toolsets.keys().cloned().collect();
    let report = budget::measure(ir, &toolsets);
    problems.0.extend(budget::check(&input.manifest_doc, input.manifest.budget.as_ref(), &report));
    report
}

/// Bundles the documents `doc` references (their problems go to `problems`), then reads its structure.
fn spec_of(
    doc: Document,
    dir: &Path,
    read: &dyn Fn(&Path) -> Result<Document, Problem>,
    reach: &spec::bundle::Reach<'_>,
    problems: &mut Problems,
) -> Result<Spec, Problem> {
    let (mut doc, bundle_problems) = spec::bundle::bundle(doc, dir, read, reach);
    problems.0.extend(bundle_problems);
    // A password in a server URL is refused later; the diagnostic's frame must not show it.
    let servers = doc.get("/servers").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    for (i, server) in servers.iter().enumerate() {
        if let Some(info) = server.get("url").and_then(serde_json::Value::as_str).and_then(manifest::userinfo) {
            doc.mask_within(&format!("/servers/{i}/url"), info);
        }
    }
    Spec::from_document(doc)
}

/// The lock file at `path` (empty when there is none); an unreadable one is an error to fix.
fn read_lock(path: &Path, problems: &mut Problems) -> lock::Lock {
    let Ok(text) = std::fs::read_to_string(path) else { return lock::Lock::default() };
    lock::Lock::parse(&text).unwrap_or_else(|why| {
        problems.push(
            Problem::error("mcpgen::lock::invalid", format!("{} is not a valid lock file: {why}", path.display()))
                .with_help(
                    "it is generated: delete it and run `mcpgen generate` to write a new one (tool names may change)",
                ),
        );
        lock::Lock::default()
    })
}

/// Where the lock file of `inputs` lives (next to the manifest).
pub fn lock_path(inputs: &Inputs) -> PathBuf {
    inputs.manifest.parent().unwrap_or(Path::new(".")).join(lock::LOCK_FILE)
}

/// Fetches a remote document the manifest allows (`allow_remote_refs`): bounded in time and size.
fn fetch(url: &str) -> Result<Document, Problem> {
    let failed = |err: &dyn std::fmt::Display| {
        Problem::error("mcpgen::io::fetch", format!("cannot fetch {url}: {err}"))
            .with_help("check the URL and the network, or vendor the document next to the spec")
    };
    let agent: ureq::Agent =
        ureq::Agent::config_builder().timeout_global(Some(std::time::Duration::from_secs(30))).build().into();
    let mut response = agent.get(url).call().map_err(|e| failed(&e))?;
    let text = response.body_mut().with_config().limit(32 * 1024 * 1024).read_to_string().map_err(|e| failed(&e))?;
    Document::parse(url, text)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
