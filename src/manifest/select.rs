//! Selectors: one way to name a set of operations, shared by `include`, `exclude` and `toolsets`.
//!
//! A selector has two kinds of criteria. *Naming* criteria (`tags`, `operations`, `paths`,
//! `path_prefixes`) are a union: an operation matches when any of them names it. *Narrowing*
//! criteria (`methods`, `read_only`) are an intersection applied on top, so
//! `{tags: [issues], read_only: true}` is "the read-only issue operations"; with no naming
//! criteria they narrow every operation (`{methods: [GET]}`). A selector without any criterion
//! matches nothing (an empty `include: {}` is more likely a mistake than "everything").
//!
//! `paths` are globs over `METHOD /path` or over the path alone (`GET /repos/*/issues`,
//! `/v1/customers/**`): `*` stays inside one path segment, `**` spans segments, braces are literal
//! (they are OpenAPI path parameters, so `/pets/{petId}` matches itself, and `{a,b}` alternation is
//! not available). Spec-heavy APIs without tags (Stripe) are why these exist: listing hundreds of
//! operation ids by hand is the alternative.

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;

/// HTTP methods a selector may name (those OpenAPI path items can hold).
const METHODS: [&str; 8] = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];

/// A set of operations (see the module docs for how the criteria combine).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Operations with any of these tags (case-sensitive, as in the spec).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Operations by operationId or `METHOD /path` (e.g. `GET /pets/{petId}`).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Globs over `METHOD /path` or the path alone, e.g. `GET /repos/*/issues`, `/v1/customers/**`.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Path prefixes ending at a segment boundary: `/v1/customers` selects `/v1/customers` and
    /// `/v1/customers/{id}`, not `/v1/customers_search`.
    #[serde(default)]
    pub path_prefixes: Vec<String>,
    /// Only operations with one of these HTTP methods (narrows).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Only read-only (`true`) or only non-read-only (`false`) tools (narrows); read-only is the
    /// tool's `readOnlyHint`, after manifest annotation overrides.
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// What a selector looks at in an operation (or in the tool it became).
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// `operationId`, when there is one.
    pub operation_id: Option<&'a str>,
    /// Upper-case HTTP method.
    pub method: &'a str,
    /// Path template.
    pub path: &'a str,
    /// Tags, in spec order.
    pub tags: &'a [String],
    /// Whether the tool is read-only (its `readOnlyHint`).
    pub read_only: bool,
}

/// One compiled `paths` entry.
#[derive(Debug, Clone)]
struct PathGlob {
    /// Upper-case method, or `None` for any (`*`, or a pattern without a method).
    method: Option<String>,
    glob: GlobMatcher,
}

/// A selector ready to match: its globs compiled once (a selector is tested against every
/// operation of a spec, 1,000+ for the large ones).
#[derive(Debug, Clone)]
pub struct Matcher {
    selector: Selector,
    /// `paths`, by index; `None` for entries that did not compile (reported by [`Selector::problems`]).
    globs: Vec<Option<PathGlob>>,
}

impl Selector {
    /// Whether the selector has no criterion at all (it then matches nothing).
    pub fn is_empty(&self) -> bool {
        !self.names_operations() && self.methods.is_empty() && self.read_only.is_none()
    }

    fn names_operations(&self) -> bool {
        !(self.tags.is_empty() && self.operations.is_empty() && self.paths.is_empty() && self.path_prefixes.is_empty())
    }

    /// Compiles the globs; entries that do not compile match nothing (see [`Selector::problems`]).
    pub fn matcher(&self) -> Matcher {
        Matcher { selector: self.clone(), globs: self.paths.iter().map(|p| compile(p).ok()).collect() }
    }

    /// What is wrong with the selector's values as written, as `(key/index, message, help)`:
    /// globs that do not compile, methods that are not HTTP methods, prefixes without a leading `/`.
    pub fn problems(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (i, pattern) in self.paths.iter().enumerate() {
            if let Err(why) = compile(pattern) {
                out.push((
                    format!("paths/{i}"),
                    format!("`{pattern}` is not a path glob: {why}"),
                    "write `METHOD /path` or `/path` with `*` (one segment) and `**` (any depth), e.g. `GET /repos/*/issues` or `/v1/customers/**`".to_owned(),
                ));
            }
        }
        for (i, prefix) in self.path_prefixes.iter().enumerate() {
            if !prefix.starts_with('/') {
                out.push((
                    format!("path_prefixes/{i}"),
                    format!("path prefix `{prefix}` does not start with `/`"),
                    "write it like the spec's path keys, e.g. `/v1/customers`".to_owned(),
                ));
            }
        }
        for (i, method) in self.methods.iter().enumerate() {
            if !METHODS.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                out.push((
                    format!("methods/{i}"),
                    format!("`{method}` is not an HTTP method"),
                    format!("use one of {}", METHODS.join(", ")),
                ));
            }
        }
        out
    }
}

impl Matcher {
    /// The selector this was compiled from.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// Whether the selector selects `candidate`.
    pub fn matches(&self, candidate: &Candidate<'_>) -> bool {
        let s = &self.selector;
        if s.is_empty() {
            return false;
        }
        let named = !s.names_operations()
            || s.tags.iter().any(|t| candidate.tags.contains(t))
            || s.operations.iter().any(|e| matches_operation(e, candidate))
            || (0..s.paths.len()).any(|i| self.path_matches(i, candidate))
            || s.path_prefixes.iter().any(|p| has_prefix(candidate.path, p));
        named
            && (s.methods.is_empty() || s.methods.iter().any(|m| m.eq_ignore_ascii_case(candidate.method)))
            && s.read_only.is_none_or(|wanted| wanted == candidate.read_only)
    }

    /// Whether the `paths` entry at `index` selects `candidate` (ignoring the other criteria),
    /// for "matches nothing" warnings.
    pub fn path_matches(&self, index: usize, candidate: &Candidate<'_>) -> bool {
        let Some(Some(glob)) = self.globs.get(index) else { return false };
        glob.method.as_deref().is_none_or(|m| m == candidate.method) && glob.glob.is_match(candidate.path)
    }
}

/// Whether `entry` (an operationId or `METHOD /path`) names `candidate` exactly.
pub fn matches_operation(entry: &str, candidate: &Candidate<'_>) -> bool {
    if candidate.operation_id == Some(entry) {
        return true;
    }
    match entry.split_once(' ') {
        Some((method, path)) => method.eq_ignore_ascii_case(candidate.method) && path.trim() == candidate.path,
        None => false,
    }
}

/// Whether `path` starts with `prefix` at a segment boundary.
pub fn has_prefix(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.is_empty() || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

fn compile(pattern: &str) -> Result<PathGlob, String> {
    let pattern = pattern.trim();
    let (method, path) = match pattern.split_once(char::is_whitespace) {
        Some((method, path)) if !pattern.starts_with('/') => (Some(method), path.trim()),
        _ => (None, pattern),
    };
    let method = match method {
        None | Some("*") => None,
        Some(m) if METHODS.iter().any(|known| known.eq_ignore_ascii_case(m)) => Some(m.to_ascii_uppercase()),
        Some(m) => return Err(format!("`{m}` is not an HTTP method (or `*`)")),
    };
    if !path.starts_with('/') && !path.starts_with('*') {
        return Err("the path must start with `/`".to_owned());
    }
    // Braces are OpenAPI path parameters, not glob alternation: match them literally.
    let escaped = path.replace('{', "[{]").replace('}', "[}]");
    let glob: Glob =
        GlobBuilder::new(&escaped).literal_separator(true).build().map_err(|err| err.kind().to_string())?;
    Ok(PathGlob { method, glob: glob.compile_matcher() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate<'a>(method: &'a str, path: &'a str, id: Option<&'a str>, tags: &'a [String]) -> Candidate<'a> {
        Candidate { operation_id: id, method, path, tags, read_only: method == "GET" }
    }

    fn selects(yaml: &str, method: &str, path: &str) -> bool {
        let selector: Selector = serde_saphyr::from_str(yaml).unwrap();
        assert!(selector.problems().is_empty(), "{:?}", selector.problems());
        selector.matcher().matches(&candidate(method, path, None, &[]))
    }

    #[test]
    fn globs_keep_star_inside_a_segment_and_double_star_spans_segments() {
        assert!(selects("paths: ['GET /repos/*/issues']", "GET", "/repos/{owner}/issues"));
        assert!(!selects("paths: ['GET /repos/*/issues']", "GET", "/repos/{owner}/{repo}/issues"));
        assert!(!selects("paths: ['GET /repos/*/issues']", "POST", "/repos/{owner}/issues"));
        assert!(selects("paths: ['GET /repos/**/issues']", "GET", "/repos/{owner}/{repo}/issues"));
        assert!(selects("paths: ['/v1/customers/**']", "DELETE", "/v1/customers/{customer}/sources/{id}"));
        assert!(!selects("paths: ['/v1/customers/**']", "GET", "/v1/customers_search"));
        assert!(selects("paths: ['* /v1/*']", "PATCH", "/v1/charges"));
        assert!(selects("paths: ['get /v1/*']", "GET", "/v1/charges"), "methods are case-insensitive");
    }

    #[test]
    fn braces_are_literal_path_parameters_not_alternation() {
        assert!(selects("paths: ['GET /pets/{petId}']", "GET", "/pets/{petId}"));
        assert!(!selects("paths: ['/pets/{a,b}']", "GET", "/pets/a"));
    }

    #[test]
    fn prefixes_end_at_segment_boundaries() {
        assert!(has_prefix("/v1/customers", "/v1/customers"));
        assert!(has_prefix("/v1/customers/{id}", "/v1/customers"));
        assert!(has_prefix("/v1/customers/{id}", "/v1/customers/"));
        assert!(!has_prefix("/v1/customers_search", "/v1/customers"));
        assert!(has_prefix("/anything", "/"));
    }

    #[test]
    fn naming_criteria_are_a_union_and_methods_and_read_only_narrow() {
        let tags = vec!["pets".to_owned()];
        let m = serde_saphyr::from_str::<Selector>("{tags: [pets], operations: [getStore]}").unwrap().matcher();
        assert!(m.matches(&candidate("POST", "/pets", None, &tags)));
        assert!(m.matches(&candidate("GET", "/store", Some("getStore"), &[])));
        assert!(!m.matches(&candidate("GET", "/other", Some("other"), &[])));
        let m = serde_saphyr::from_str::<Selector>("{tags: [pets], read_only: true}").unwrap().matcher();
        assert!(m.matches(&candidate("GET", "/pets", None, &tags)));
        assert!(!m.matches(&candidate("POST", "/pets", None, &tags)));
        let m = serde_saphyr::from_str::<Selector>("{methods: [get, HEAD]}").unwrap().matcher();
        assert!(m.matches(&candidate("GET", "/x", None, &[])), "narrowing alone narrows everything");
        assert!(!m.matches(&candidate("PUT", "/x", None, &[])));
        assert!(!Selector::default().matcher().matches(&candidate("GET", "/x", None, &[])), "empty selects nothing");
    }

    #[test]
    fn bad_values_are_reported_by_key() {
        let s: Selector =
            serde_saphyr::from_str("{paths: ['FETCH /x', '/a/[b'], path_prefixes: [v1], methods: [GET, FETCH]}")
                .unwrap();
        let keys: Vec<String> = s.problems().into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(keys, ["paths/0", "paths/1", "path_prefixes/0", "methods/1"]);
        assert!(!s.matcher().path_matches(1, &candidate("GET", "/a/[b", None, &[])));
    }
}
