//! `shaping:` — how tool results are cut down after the upstream call (projection, item cap,
//! size budget, paging), at the top level, per API and per tool, each key over the one above.
//! See `docs/response-shaping.md`.

use serde::Deserialize;

use super::Manifest;
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// Default result budget in bytes: 60,000 bytes are 15,000 tokens at the bytes / 4 estimate used
/// everywhere else and about 20,000 at the 3 bytes per token dense JSON can take, under the
/// ~25,000-token cap Claude Code puts on a tool result, with room for the rest of a turn.
pub const DEFAULT_MAX_RESULT_BYTES: u64 = 60_000;

/// Default item cap of list results: a page an agent can read in one go.
pub const DEFAULT_MAX_ITEMS: u32 = 50;

/// Smallest budget accepted: the note and a continuation handle need room.
pub(super) const MIN_MAX_RESULT_BYTES: u64 = 4_096;

/// One `shaping:` section as written; absent keys inherit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShapingSection {
    /// `false` turns shaping off: results are returned as the upstream sent them.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Most bytes of a result's text.
    #[serde(default)]
    pub max_result_bytes: Option<u64>,
    /// Most items of a list result per call.
    #[serde(default)]
    pub max_items: Option<u32>,
    /// Whether GET tools get the `fields` projection argument.
    #[serde(default)]
    pub fields: Option<bool>,
    /// Whether list tools whose paging is detected get the `continuation` argument.
    #[serde(default)]
    pub paging: Option<bool>,
}

/// The shaping settings of one tool, every key resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapingSettings {
    /// Shaping applies at all.
    pub enabled: bool,
    /// Result budget in bytes.
    pub max_result_bytes: u64,
    /// Item cap of list results.
    pub max_items: u32,
    /// The projection argument is offered (GET tools).
    pub fields: bool,
    /// The continuation argument is offered (list tools with detected paging).
    pub paging: bool,
}

impl Default for ShapingSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            max_items: DEFAULT_MAX_ITEMS,
            fields: true,
            paging: true,
        }
    }
}

impl ShapingSettings {
    /// These settings with `section`'s keys over them.
    pub fn with(self, section: Option<&ShapingSection>) -> Self {
        let Some(s) = section else { return self };
        Self {
            enabled: s.enabled.unwrap_or(self.enabled),
            max_result_bytes: s.max_result_bytes.unwrap_or(self.max_result_bytes),
            max_items: s.max_items.unwrap_or(self.max_items),
            fields: s.fields.unwrap_or(self.fields),
            paging: s.paging.unwrap_or(self.paging),
        }
    }
}

/// Checks every `shaping:` section's numbers; adds to `problems`.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    let mut sections = vec![("/shaping".to_owned(), manifest.shaping.as_ref())];
    for (id, api) in &manifest.apis {
        let at = format!("/apis/{}", escape_token(id));
        sections.push((format!("{at}/shaping"), api.shaping.as_ref()));
        for (key, tool) in &api.tools {
            sections.push((format!("{at}/tools/{}/shaping", escape_token(key)), tool.shaping.as_ref()));
        }
    }
    for (at, section) in sections {
        let Some(section) = section else { continue };
        if section.max_result_bytes.is_some_and(|b| b < MIN_MAX_RESULT_BYTES) {
            problems.push(doc.at_value(
                &format!("{at}/max_result_bytes"),
                Problem::error("mcpgen::manifest::value", format!("`max_result_bytes` must be at least {MIN_MAX_RESULT_BYTES}"))
                    .with_help(format!("the note and the continuation handle need room; omit it for the default ({DEFAULT_MAX_RESULT_BYTES}), or turn shaping off with `enabled: false`")),
                "invalid value",
            ));
        }
        if section.max_items == Some(0) {
            problems.push(doc.at_value(
                &format!("{at}/max_items"),
                Problem::error("mcpgen::manifest::value", "`max_items` must be at least 1").with_help(format!(
                    "omit it for the default ({DEFAULT_MAX_ITEMS}), or give a larger number of items"
                )),
                "invalid value",
            ));
        }
    }
}
