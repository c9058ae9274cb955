//! Multi-file specs: relative `$ref`s are bundled into the main document at load time.
//!
//! Every file reached through a relative reference (`schemas/pet.yaml#/Pet`, `common.json`) is read
//! once, relative to the file that references it, and placed under the reserved key
//! [`BUNDLE_KEY`] of the main document; references are rewritten to local ones that point there.
//! After that, the rest of the pipeline sees one self-contained document, and
//! [`Document::bundled`] keeps each file so that diagnostics still point into it.
//! Remote references (`http://`, `https://`) are refused: fetching URLs named by a document would
//! let a spec make the generator reach arbitrary hosts (SSRF), and builds must be reproducible.
//! Relative references are confined the same way: a file outside the main spec's directory (and
//! the directories the manifest adds, `allow_external_refs`) is refused, because a spec from
//! elsewhere (a vendor, a pull request) could otherwise embed `../../home/user/.netrc` into the
//! generated output.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// Where bundled files live in the main document (an extension key: OpenAPI tools ignore it).
pub const BUNDLE_KEY: &str = "x-mcpgen-bundle";

/// Most files one spec may pull in.
const MAX_FILES: usize = 500;

/// What references may reach: the URL prefixes and directories the manifest allows, and how to
/// fetch a URL.
pub struct Reach<'a> {
    /// Allowed URL prefixes (`apis.<id>.allow_remote_refs`); empty refuses every remote reference.
    pub allowed: &'a [String],
    /// Fetches and parses a document.
    pub fetch: &'a dyn Fn(&str) -> Result<Document, Problem>,
    /// Directories besides the main spec's own (and their subdirectories) whose files relative
    /// references may read (`apis.<id>.allow_external_refs`, resolved against the manifest).
    pub roots: &'a [PathBuf],
}

/// Where a bundled document comes from.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Url(String),
}

impl Source {
    /// The source a relative or absolute reference names, seen from `self`.
    fn join(&self, reference: &str) -> Source {
        if reference.contains("://") {
            return Source::Url(reference.to_owned());
        }
        match self {
            Source::File(path) => Source::File(normalize(&path.parent().unwrap_or(Path::new("")).join(reference))),
            Source::Url(url) => {
                let base = url.rsplit_once('/').map_or(url.as_str(), |(dir, _)| dir);
                let (origin, path) = split_origin(base);
                let joined = normalize(&Path::new(path).join(reference));
                Source::Url(format!("{origin}{}", joined.to_string_lossy()))
            }
        }
    }
}

/// `https://host/a/b` → (`https://host`, `/a/b`).
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}

/// Bundles the documents `main` references; `dir` is the main file's directory, `read` loads a
/// file. Problems (unreadable files, refused remote references) are returned beside the document:
/// references to documents that could not be loaded stay unresolved, so the later stages still run
/// and report their own problems in the same pass.
pub fn bundle(
    mut main: Document,
    dir: &Path,
    read: &dyn Fn(&Path) -> Result<Document, Problem>,
    reach: &Reach<'_>,
) -> (Document, Vec<Problem>) {
    let mut problems = Vec::new();
    if !references_files(&main.value) {
        // Most specs are one file: skip the walk that builds a pointer for every node.
        return (main, problems);
    }
    let mut state = State { root_dir: dir.to_path_buf(), files: BTreeMap::new(), queue: VecDeque::new(), reach };
    let mut loaded: Vec<(String, Document)> = Vec::new();
    let mut value = std::mem::take(&mut main.value);
    let main_source = Source::File(dir.join("main"));
    rewrite(&mut value, "", None, &main_source, &mut state, &main, &mut problems);
    while let Some((source, referenced_at)) = state.queue.pop_front() {
        let key = state.key_of(&source);
        if state.files[&key] < loaded.len() {
            continue;
        }
        let fetched = match &source {
            Source::File(path) => read(path),
            Source::Url(url) => (state.reach.fetch)(url),
        };
        let mut doc = match fetched {
            Ok(doc) => doc,
            Err(problem) => {
                let mut located = referenced_at;
                located.message = problem.message;
                located.code = problem.code;
                problems.push(located.with_help(
                    "check the reference; relative references are resolved from the referencing document's location",
                ));
                loaded.push((key, Document::parse("(missing)", "{}".to_owned()).unwrap_or_else(|_| main.clone())));
                continue;
            }
        };
        let mut inner = std::mem::take(&mut doc.value);
        let prefix = format!("/{BUNDLE_KEY}/{}", escape_token(&key));
        rewrite(&mut inner, "", Some(&prefix), &source, &mut state, &doc, &mut problems);
        doc.value = inner;
        loaded.push((key, doc));
        if loaded.len() > MAX_FILES {
            problems.push(Problem::error(
                "mcpgen::spec::too_many_files",
                format!("the spec references more than {MAX_FILES} documents"),
            ));
            break;
        }
    }
    if !loaded.is_empty() {
        let mut bundle = Map::new();
        for (key, doc) in &loaded {
            bundle.insert(key.clone(), doc.value.clone());
        }
        if let Value::Object(root) = &mut value {
            root.insert(BUNDLE_KEY.to_owned(), Value::Object(bundle));
        }
        main.bundled =
            loaded.into_iter().map(|(key, doc)| (format!("/{BUNDLE_KEY}/{}", escape_token(&key)), doc)).collect();
    }
    main.value = value;
    (main, problems)
}

/// What the walk over all bundled documents shares.
struct State<'a> {
    root_dir: PathBuf,
    /// Bundle keys in the order they were found.
    files: BTreeMap<String, usize>,
    /// Documents to load, with where they were first referenced (to locate a failure).
    queue: VecDeque<(Source, Problem)>,
    reach: &'a Reach<'a>,
}

impl State<'_> {
    /// Whether a relative reference may read `path`: it lies under the spec's directory or an
    /// allowed one, both as written and after following symbolic links (a link inside the tree
    /// may point out of it).
    fn may_read(&self, path: &Path) -> bool {
        let canonical = std::fs::canonicalize(path).ok();
        std::iter::once(&self.root_dir).chain(self.reach.roots).any(|root| {
            let lexical = is_within(path, root);
            match (&canonical, std::fs::canonicalize(root)) {
                (Some(file), Ok(root)) => lexical && file.starts_with(root),
                _ => lexical,
            }
        })
    }

    /// A file's path relative to the main file's directory; a URL as it is.
    fn key_of(&self, source: &Source) -> String {
        match source {
            Source::File(path) => {
                let relative = path.strip_prefix(normalize(&self.root_dir)).unwrap_or(path);
                relative.to_string_lossy().replace('\\', "/")
            }
            Source::Url(url) => url.clone(),
        }
    }

    /// The local form of `reference`, queueing the document it names; `None` when it stays as written.
    fn target(
        &mut self,
        reference: &str,
        local_prefix: Option<&str>,
        current: &Source,
        locate: &dyn Fn() -> Problem,
    ) -> Result<Option<String>, Problem> {
        let (document, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if document.is_empty() {
            return Ok(local_prefix.map(|prefix| format!("#{prefix}{fragment}")));
        }
        let source = current.join(document);
        if let Source::Url(url) = &source
            && !self.reach.allowed.iter().any(|prefix| url.starts_with(prefix.as_str()))
        {
            return Err(Problem::error("mcpgen::spec::remote_ref", format!("remote reference `{reference}` is refused"))
                .with_help("download the document next to the spec and reference it by relative path, or allow its URL prefix in the manifest (`allow_remote_refs`)"));
        }
        if let Source::File(path) = &source
            && !self.may_read(path)
        {
            return Err(Problem::error(
                "mcpgen::spec::external_ref",
                format!("reference `{reference}` reads a file outside the spec's directory"),
            )
            .with_help(
                "move the file under the spec's directory, or allow its directory for this API in the manifest \
                 (`allow_external_refs: [\"../shared\"]`, relative to the manifest)",
            ));
        }
        let key = self.key_of(&source);
        if !self.files.contains_key(&key) {
            self.files.insert(key.clone(), self.files.len());
            self.queue.push_back((source, locate()));
        }
        Ok(Some(format!("#/{BUNDLE_KEY}/{}{fragment}", escape_token(&key))))
    }
}

/// Rewrites the references in one document. `local_prefix` is where it sits in the main
/// document (`None` for the main file itself, whose local references stay as they are).
fn rewrite(
    value: &mut Value,
    pointer: &str,
    local_prefix: Option<&str>,
    current: &Source,
    state: &mut State<'_>,
    doc: &Document,
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let child_pointer = format!("{pointer}/{}", escape_token(key));
                if key == "$ref" {
                    if let Value::String(reference) = child {
                        let locate =
                            || doc.at_value(&child_pointer, Problem::error("mcpgen::io::read", ""), "referenced here");
                        match state.target(reference, local_prefix, current, &locate) {
                            Ok(Some(rewritten)) => *reference = rewritten,
                            Ok(None) => {}
                            Err(problem) => problems.push(doc.at_value(&child_pointer, problem, "reference")),
                        }
                    }
                } else if !(key.starts_with("x-") || key == "example" || key == "examples") {
                    rewrite(child, &child_pointer, local_prefix, current, state, doc, problems);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let item_pointer = format!("{pointer}/{i}");
                rewrite(item, &item_pointer, local_prefix, current, state, doc, problems);
            }
        }
        _ => {}
    }
}

/// Whether any `$ref` names another file (allocation-free scan).
fn references_files(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().any(|(key, child)| match (key.as_str(), child) {
            ("$ref", Value::String(r)) => !r.starts_with('#'),
            _ => references_files(child),
        }),
        Value::Array(items) => items.iter().any(references_files),
        _ => false,
    }
}

/// Whether `path` is `root` or below it, comparing normalised absolute paths (so `..` cannot
/// climb out, and an absolute reference is not mistaken for one under a relative root).
fn is_within(path: &Path, root: &Path) -> bool {
    let absolute = |p: &Path| {
        let p = if p.as_os_str().is_empty() { Path::new(".") } else { p };
        normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
    };
    absolute(path).starts_with(absolute(root))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_from(files: &'static [(&'static str, &'static str)]) -> impl Fn(&Path) -> Result<Document, Problem> {
        move |path: &Path| {
            let name = path.to_string_lossy().into_owned();
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, text)| Document::parse(n, (*text).to_owned()).unwrap())
                .ok_or_else(|| Problem::error("mcpgen::io::read", format!("cannot read {name}")))
        }
    }

    fn no_remote() -> Reach<'static> {
        Reach { allowed: &[], fetch: &|url: &str| Err(Problem::error("x", format!("no fetching {url}"))), roots: &[] }
    }

    #[test]
    fn urls_join_like_paths() {
        let base = Source::Url("https://h.example/specs/v1/api.yaml".into());
        let Source::Url(joined) = base.join("../common/pet.yaml") else { panic!() };
        assert_eq!(joined, "https://h.example/specs/common/pet.yaml");
        let Source::Url(absolute) = base.join("http://other.example/x.json") else { panic!() };
        assert_eq!(absolute, "http://other.example/x.json");
    }

    #[test]
    fn relative_references_are_bundled_and_rewritten() {
        let main = Document::parse(
            "api/openapi.yaml",
            "paths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'common/responses.yaml#/Ok'}\n".into(),
        )
        .unwrap();
        let read = read_from(&[
            (
                "api/common/responses.yaml",
                "Ok:\n  description: ok\n  content:\n    application/json:\n      schema: {$ref: '../schemas/pet.yaml#/Pet'}\n",
            ),
            (
                "api/schemas/pet.yaml",
                "Pet:\n  type: object\n  properties:\n    owner: {$ref: '#/Owner'}\nOwner: {type: object}\n",
            ),
        ]);
        let (doc, problems) = bundle(main, Path::new("api"), &read, &no_remote());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            doc.get("/paths/~1a/get/responses/200/$ref").unwrap(),
            "#/x-mcpgen-bundle/common~1responses.yaml/Ok"
        );
        let ok = "/x-mcpgen-bundle/common~1responses.yaml/Ok/content/application~1json/schema/$ref";
        assert_eq!(doc.get(ok).unwrap(), "#/x-mcpgen-bundle/schemas~1pet.yaml/Pet");
        // A file's own local references are rebased onto its place in the bundle.
        assert_eq!(
            doc.get("/x-mcpgen-bundle/schemas~1pet.yaml/Pet/properties/owner/$ref").unwrap(),
            "#/x-mcpgen-bundle/schemas~1pet.yaml/Owner"
        );
        // Problems inside a bundled file point into that file.
        let p = doc.at_key("/x-mcpgen-bundle/schemas~1pet.yaml/Owner", Problem::error("x", "y"), "here");
        assert_eq!(p.position().as_deref(), Some("api/schemas/pet.yaml:5:1"));
    }

    #[test]
    fn references_outside_the_spec_directory_are_refused_unless_allowed() {
        let main = || {
            Document::parse(
                "api/o.yaml",
                "a: {$ref: '../outside.yaml#/A'}\nb: {$ref: 'sub/../../up.yaml'}\nc: {$ref: '/etc/passwd'}\nd: {$ref: 'sub/in.yaml'}\n".into(),
            )
            .unwrap()
        };
        let read = read_from(&[("outside.yaml", "A: {}\n"), ("up.yaml", "{}\n"), ("api/sub/in.yaml", "{}\n")]);
        let (_, problems) = bundle(main(), Path::new("api"), &read, &no_remote());
        let found: Vec<_> = problems.iter().map(|p| (p.code, p.position())).collect();
        let at = |line: usize| Some(format!("api/o.yaml:{line}:11"));
        let code = "mcpgen::spec::external_ref";
        assert_eq!(found, [(code, at(1)), (code, at(2)), (code, at(3))]);
        // The manifest can allow more: here the parent directory (still not /etc).
        let roots = [PathBuf::from("")];
        let reach = Reach { roots: &roots, ..no_remote() };
        let (_, problems) = bundle(main(), Path::new("api"), &read, &reach);
        let found: Vec<_> = problems.iter().map(|p| (p.code, p.position())).collect();
        assert_eq!(found, [(code, at(3))]);
        assert!(is_within(Path::new("a/b/../c"), Path::new("a")) && !is_within(Path::new("a/../../b"), Path::new("")));
    }

    #[test]
    fn remote_and_missing_references_are_errors() {
        let main =
            Document::parse("o.yaml", "a: {$ref: 'https://example.com/x.yaml#/A'}\nb: {$ref: 'missing.yaml'}\n".into())
                .unwrap();
        let (_, problems) = bundle(main, Path::new(""), &read_from(&[]), &no_remote());
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["mcpgen::spec::remote_ref", "mcpgen::io::read"]);
        assert_eq!(problems[0].position().as_deref(), Some("o.yaml:1:11"));
        // A file that cannot be read is reported where it is referenced.
        assert_eq!(problems[1].position().as_deref(), Some("o.yaml:2:11"));
    }
}
