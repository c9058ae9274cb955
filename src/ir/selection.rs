//! Which operations of an API become tools (`include`/`exclude`), which toolsets each tool joins,
//! and the checks that every selector names something the spec has.
//!
//! Unknown operation ids and tags in `include`/`exclude` stay errors (as before selectors had
//! globs: a typo there silently changes what is served); globs and prefixes that match nothing,
//! and every toolset criterion that matches no generated tool, are warnings, because a pattern
//! written for a future spec version is legitimate.

use std::collections::BTreeSet;

use super::{Annotations, ToolIr};
use crate::diagnostics::{Problem, Problems};
use crate::document::Document;
use crate::manifest::{ApiSection, Candidate, Manifest, Matcher, Selector};
use crate::source_map::escape_token;
use crate::spec::operations::SpecOperation;

/// An API's `include` and `exclude`, compiled.
pub(super) struct ApiSelection {
    include: Option<Matcher>,
    exclude: Option<Matcher>,
}

impl ApiSelection {
    pub(super) fn new(section: &ApiSection) -> Self {
        Self {
            include: section.include.as_ref().map(Selector::matcher),
            exclude: section.exclude.as_ref().map(Selector::matcher),
        }
    }

    /// Whether `op` becomes a tool: selected by `include` (all when absent), not by `exclude`.
    pub(super) fn admits(&self, section: &ApiSection, op: &SpecOperation) -> bool {
        let candidate = op_candidate(section, op);
        self.include.as_ref().is_none_or(|m| m.matches(&candidate))
            && !self.exclude.as_ref().is_some_and(|m| m.matches(&candidate))
    }
}

/// What selectors see of an operation: read-only is the tool's hint after the manifest's
/// annotation override, so `read_only: true` means what clients are told.
fn op_candidate<'a>(section: &ApiSection, op: &'a SpecOperation) -> Candidate<'a> {
    let derived = Annotations::for_method(&op.method).read_only;
    let mut candidate = Candidate {
        operation_id: op.operation_id.as_deref(),
        method: &op.method,
        path: &op.path,
        tags: &op.tags,
        read_only: derived,
    };
    let key = override_key(section, &candidate);
    candidate.read_only = key
        .and_then(|k| section.tools.get(&k))
        .and_then(|o| o.annotations)
        .and_then(|a| a.read_only)
        .unwrap_or(derived);
    candidate
}

fn tool_candidate(tool: &ToolIr) -> Candidate<'_> {
    Candidate {
        operation_id: tool.operation_id.as_deref(),
        method: &tool.method,
        path: &tool.path,
        tags: &tool.tags,
        read_only: tool.annotations.read_only,
    }
}

/// The key of the manifest's `tools:` entry for `op`, if it has one.
pub(super) fn over_key(section: &ApiSection, op: &SpecOperation) -> Option<String> {
    let candidate = Candidate {
        operation_id: op.operation_id.as_deref(),
        method: &op.method,
        path: &op.path,
        tags: &op.tags,
        read_only: false,
    };
    override_key(section, &candidate)
}

fn override_key(section: &ApiSection, candidate: &Candidate<'_>) -> Option<String> {
    section.tools.keys().find(|k| crate::manifest::matches_operation(k, candidate)).cloned()
}

/// Every operation and tag `include`, `exclude` and `tools` name must exist in the spec (errors);
/// globs and prefixes that match no operation get warnings.
pub(super) fn check_references(
    doc: &Document,
    api_at: &str,
    section: &ApiSection,
    ops: &[SpecOperation],
    problems: &mut Problems,
) {
    let candidates: Vec<Candidate<'_>> = ops.iter().map(|op| op_candidate(section, op)).collect();
    let known = |entry: &str| candidates.iter().any(|c| crate::manifest::matches_operation(entry, c));
    let hint = || {
        let mut names: Vec<String> =
            ops.iter().map(|op| op.operation_id.clone().unwrap_or_else(|| op.route())).collect();
        names.truncate(8);
        format!("name an operationId or `METHOD /path` of the spec, e.g. {}", names.join(", "))
    };
    for (which, selector) in [("include", &section.include), ("exclude", &section.exclude)] {
        let Some(selector) = selector else { continue };
        let at = format!("{api_at}/{which}");
        for (i, entry) in selector.operations.iter().enumerate() {
            if !known(entry) {
                problems.push(
                    doc.at_value(
                        &format!("{at}/operations/{i}"),
                        Problem::error(
                            "mcpgen::manifest::unknown_operation",
                            format!("no operation `{entry}` in the spec"),
                        )
                        .with_help(hint()),
                        "unknown operation",
                    ),
                );
            }
        }
        for (i, tag) in selector.tags.iter().enumerate() {
            if !ops.iter().any(|op| op.tags.contains(tag)) {
                problems.push(
                    doc.at_value(
                        &format!("{at}/tags/{i}"),
                        Problem::error("mcpgen::manifest::unknown_tag", format!("no operation has the tag `{tag}`"))
                            .with_help("tags are case-sensitive; check the spelling against the spec's operations"),
                        "unknown tag",
                    ),
                );
            }
        }
        unmatched_patterns(doc, &at, selector, &candidates, "operation of the spec", problems);
        if selector.is_empty() {
            problems.push(doc.at_key(
                &at,
                Problem::warning("mcpgen::manifest::empty_selector", format!("`{which}` has no criterion and selects nothing"))
                    .with_help("give `tags`, `operations`, `paths`, `path_prefixes`, `methods` or `read_only`, or remove the key"),
                "selects nothing",
            ));
        }
    }
    for key in section.tools.keys() {
        if !known(key) {
            problems.push(
                doc.at_key(
                    &format!("{api_at}/tools/{}", escape_token(key)),
                    Problem::error("mcpgen::manifest::unknown_operation", format!("no operation `{key}` in the spec"))
                        .with_help(hint()),
                    "unknown operation",
                ),
            );
        }
    }
}

/// Warnings for `paths` and `path_prefixes` entries that select none of `candidates`.
fn unmatched_patterns(
    doc: &Document,
    at: &str,
    selector: &Selector,
    candidates: &[Candidate<'_>],
    what: &str,
    problems: &mut Problems,
) {
    let matcher = selector.matcher();
    let bad: BTreeSet<String> = selector.problems().into_iter().map(|(key, _, _)| key).collect();
    for (i, pattern) in selector.paths.iter().enumerate() {
        if !bad.contains(&format!("paths/{i}")) && !candidates.iter().any(|c| matcher.path_matches(i, c)) {
            problems.push(doc.at_value(
                &format!("{at}/paths/{i}"),
                Problem::warning("mcpgen::manifest::unmatched_selector", format!("`{pattern}` matches no {what}"))
                    .with_help("`*` matches one path segment and `**` any number; compare with the paths `mcpgen list` shows"),
                "matches nothing",
            ));
        }
    }
    for (i, prefix) in selector.path_prefixes.iter().enumerate() {
        if prefix.starts_with('/') && !candidates.iter().any(|c| crate::manifest::has_prefix(c.path, prefix)) {
            problems.push(doc.at_value(
                &format!("{at}/path_prefixes/{i}"),
                Problem::warning("mcpgen::manifest::unmatched_selector", format!("path prefix `{prefix}` matches no {what}"))
                    .with_help("prefixes end at a `/`: `/v1/customers` covers `/v1/customers/{id}`, not `/v1/customers_search`"),
                "matches nothing",
            ));
        }
    }
}

/// Fills each tool's `toolsets` from the manifest's `toolsets:`; warns about toolsets and
/// criteria that select no generated tool (the operation may exist but be excluded).
pub(super) fn assign_toolsets(doc: &Document, manifest: &Manifest, tools: &mut [ToolIr], problems: &mut Problems) {
    for (name, selector) in &manifest.toolsets {
        let at = format!("/toolsets/{}", escape_token(name));
        let matcher = selector.matcher();
        let mut members = 0;
        for tool in tools.iter_mut() {
            if matcher.matches(&tool_candidate(tool)) {
                tool.toolsets.push(name.clone());
                members += 1;
            }
        }
        let candidates: Vec<Candidate<'_>> = tools.iter().map(tool_candidate).collect();
        let what = "generated tool";
        let unmatched = |message: String| {
            Problem::warning("mcpgen::manifest::unmatched_selector", message)
                .with_help("the operation may be missing from the spec, or left out by `include`/`exclude` or governance; see `mcpgen list`")
        };
        for (i, entry) in selector.operations.iter().enumerate() {
            if !candidates.iter().any(|c| crate::manifest::matches_operation(entry, c)) {
                let problem = unmatched(format!("toolset `{name}` names `{entry}`, which is no {what}"));
                problems.push(doc.at_value(&format!("{at}/operations/{i}"), problem, "matches nothing"));
            }
        }
        for (i, tag) in selector.tags.iter().enumerate() {
            if !candidates.iter().any(|c| c.tags.contains(tag)) {
                let problem = unmatched(format!("toolset `{name}` names the tag `{tag}`, which no {what} has"));
                problems.push(doc.at_value(&format!("{at}/tags/{i}"), problem, "matches nothing"));
            }
        }
        unmatched_patterns(doc, &at, selector, &candidates, what, problems);
        if members == 0 {
            problems.push(doc.at_key(
                &at,
                Problem::warning("mcpgen::manifest::empty_toolset", format!("toolset `{name}` has no tools"))
                    .with_help("its criteria select no generated tool (they combine as: any of tags/operations/paths/path_prefixes, then only the given methods and read_only); fix them or remove the toolset"),
                "no tools",
            ));
        }
    }
    for tool in tools.iter_mut() {
        tool.toolsets.sort();
    }
}
