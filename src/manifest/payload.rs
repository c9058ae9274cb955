//! Manifest keys about what `tools/list` costs: toolsets (named subsets served with
//! `--toolset`), the size budget, and the payload switches (output schemas, description length).
//! See `docs/budgets-and-toolsets.md`.

use serde::Deserialize;

use super::{Manifest, is_tool_name};
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// Default of `max_description_chars`: long enough for the first paragraphs of any description
/// the corpus has (what says what the tool does and when to use it), short enough to cut the
/// multi-page reference texts some specs put into descriptions.
pub const DEFAULT_MAX_DESCRIPTION_CHARS: usize = 1000;

/// `budget:` — limits on what `tools/list` may cost, checked by `validate` and `generate`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSection {
    /// Most estimated tokens (bytes / 4) of the whole `tools/list` (the server started without
    /// `--toolset`).
    #[serde(default)]
    pub tools_list_tokens: Option<u64>,
    /// Most estimated tokens of each toolset's `tools/list` (the server started with `--toolset NAME`).
    #[serde(default)]
    pub toolset_tokens: Option<u64>,
    /// Most estimated tokens of one tool's entry in `tools/list`.
    #[serde(default)]
    pub tool_tokens: Option<u64>,
}

/// How much of a response schema a tool's `outputSchema` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputSchemas {
    /// As converted from the spec.
    Full,
    /// Types, `required`, enums and formats; no `examples`/`example`, no descriptions or titles
    /// below the top-level properties (the default: clients validate results with it, models
    /// rarely read it).
    #[default]
    Compact,
    /// No `outputSchema`: results come back as JSON text only.
    None,
}

/// Checks toolset names and every selector's values; adds to `problems`.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    let mut selectors: Vec<(String, &super::Selector)> = Vec::new();
    for (id, api) in &manifest.apis {
        let at = format!("/apis/{}", escape_token(id));
        selectors.extend(api.include.iter().map(|s| (format!("{at}/include"), s)));
        selectors.extend(api.exclude.iter().map(|s| (format!("{at}/exclude"), s)));
        if api.max_description_chars == Some(0) {
            problems.push(zero_cap(doc, &format!("{at}/max_description_chars")));
        }
    }
    for (name, selector) in &manifest.toolsets {
        let at = format!("/toolsets/{}", escape_token(name));
        if !is_tool_name(name) {
            problems.push(
                doc.at_key(
                    &at,
                    Problem::error("mcpgen::manifest::value", format!("toolset name `{name}` is not portable"))
                        .with_help("use letters, digits, `_` and `-` (at most 64): it is passed as `--toolset NAME` and in the comma-separated MCP_TOOLSET"),
                    "invalid name",
                ),
            );
        }
        selectors.push((at, selector));
    }
    for (at, selector) in selectors {
        for (key, message, help) in selector.problems() {
            problems.push(doc.at_value(
                &format!("{at}/{key}"),
                Problem::error("mcpgen::manifest::selector", message).with_help(help),
                "invalid selector",
            ));
        }
    }
    if manifest.max_description_chars == Some(0) {
        problems.push(zero_cap(doc, "/max_description_chars"));
    }
}

fn zero_cap(doc: &Document, at: &str) -> Problem {
    doc.at_value(
        at,
        Problem::error("mcpgen::manifest::value", "`max_description_chars` must be at least 1")
            .with_help("omit it for the default (1000), or give a larger number of characters"),
        "invalid value",
    )
}
