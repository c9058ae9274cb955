//! `server.surface` and `server.surface_budget_tokens`: whether the generated server lists every
//! tool or the discovery meta-tools (see `docs/surfaces.md`). The mode itself is checked by serde
//! (an unknown word is a located error listing the three); the budget is checked here.

use super::Manifest;
use crate::diagnostics::Problem;
use crate::document::Document;

/// Reports a budget that no `tools/list` could meet.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    if manifest.server.surface_budget_tokens == Some(0) {
        problems.push(
            doc.at_value(
                "/server/surface_budget_tokens",
                Problem::error("mcpgen::manifest::value", "`surface_budget_tokens` must be at least 1")
                    .with_help("the budget is in tokens of the full tools/list (bytes / 4); the default is 8000"),
                "zero budget",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::definition::SurfaceMode;
    use crate::document::Document;

    fn parse(text: &str) -> Result<crate::manifest::Manifest, Vec<crate::diagnostics::Problem>> {
        match crate::manifest::parse(&Document::parse("mcpgen.yaml", text.to_owned()).unwrap())? {
            (manifest, problems) if problems.is_empty() => Ok(manifest),
            (_, problems) => Err(problems),
        }
    }

    #[test]
    fn surface_and_budget_are_read() {
        let m = parse("version: 1\nserver: {name: p, surface: auto, surface_budget_tokens: 500}\napis:\n  p: {spec: openapi.yaml}\n").unwrap();
        assert_eq!((m.server.surface, m.server.surface_budget_tokens), (Some(SurfaceMode::Auto), Some(500)));
    }

    #[test]
    fn bad_surface_values_are_located() {
        let err =
            parse("version: 1\nserver:\n  name: p\n  surface: search\napis:\n  p: {spec: openapi.yaml}\n").unwrap_err();
        assert_eq!(err[0].position().as_deref(), Some("mcpgen.yaml:4:3"), "{}", err[0].message);
        assert!(err[0].message.contains("`tools`, `discovery`"), "{}", err[0].message);
        let err =
            parse("version: 1\nserver:\n  name: p\n  surface_budget_tokens: 0\napis:\n  p: {spec: openapi.yaml}\n")
                .unwrap_err();
        assert_eq!(err[0].position().as_deref(), Some("mcpgen.yaml:4:26"), "{}", err[0].message);
    }
}
