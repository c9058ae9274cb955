//! `server.surface`, `server.surface_budget_tokens`, `server.search_synonyms` and
//! `server.profile`: whether the generated server lists every tool or the discovery meta-tools,
//! the words its search treats as synonyms (see `docs/surfaces.md`), and the client schema
//! profile it lists them in (`docs/profiles.md`). The mode itself is checked by serde (an unknown
//! word is a located error listing the three); the budget, the synonyms and the profile here.

use super::Manifest;
use crate::diagnostics::Problem;
use crate::document::Document;

/// Reports a budget that no `tools/list` could meet, synonyms search cannot use, and an unknown
/// profile.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    if let Some(name) = manifest.server.profile.as_deref()
        && crate::client_profile::Profile::from_name(name).is_none()
    {
        let known: Vec<&str> = crate::client_profile::Profile::NAMES.iter().map(|(n, _)| *n).collect();
        problems.push(
            doc.at_value(
                "/server/profile",
                Problem::error("mcpgen::manifest::value", format!("unknown profile `{name}`"))
                    .with_help(format!("one of: {} (docs/profiles.md)", known.join(", "))),
                "unknown profile",
            ),
        );
    }
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
    for (word, synonyms) in manifest.server.search_synonyms.iter().flatten() {
        let pointer = format!("/server/search_synonyms/{}", crate::source_map::escape_token(word));
        if crate::search::query_terms(word).len() != 1 {
            problems.push(doc.at_key(
                &pointer,
                Problem::error("mcpgen::manifest::value", format!("search synonym key `{word}` is not one searchable word"))
                    .with_help("a key is one word an agent may type (not a stop word such as `all` or `my`); its synonyms may be phrases"),
                "one word",
            ));
        }
        if synonyms.iter().all(|s| crate::search::query_terms(s).is_empty()) {
            problems.push(
                doc.at_value(
                    &pointer,
                    Problem::error("mcpgen::manifest::value", format!("`{word}` has no searchable synonym"))
                        .with_help("list the words this API uses for it, e.g. `boss: [manager]`"),
                    "no words to search for",
                ),
            );
        }
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
    fn search_synonyms_are_read_and_checked() {
        let m = parse("version: 1\nserver:\n  name: p\n  search_synonyms: {boss: [manager], email: [mail, message]}\napis:\n  p: {spec: openapi.yaml}\n").unwrap();
        assert_eq!(m.server.search_synonyms.unwrap()["email"], ["mail", "message"]);
        let err = parse("version: 1\nserver:\n  name: p\n  search_synonyms:\n    money back: [refund]\n    all: [every]\n    boss: [the]\napis:\n  p: {spec: openapi.yaml}\n").unwrap_err();
        let messages: Vec<(String, Option<String>)> = err.iter().map(|p| (p.message.clone(), p.position())).collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(
            messages.iter().any(|(m, at)| m.contains("`money back` is not one searchable word")
                && at.as_deref() == Some("mcpgen.yaml:5:5")),
            "{messages:#?}"
        );
        assert!(messages.iter().any(|(m, _)| m.contains("`all` is not one searchable word")), "{messages:#?}");
        assert!(messages.iter().any(|(m, _)| m.contains("`boss` has no searchable synonym")), "{messages:#?}");
    }

    #[test]
    fn the_profile_is_read_and_an_unknown_one_is_located() {
        let m =
            parse("version: 1\nserver: {name: p, profile: openai-strict}\napis:\n  p: {spec: openapi.yaml}\n").unwrap();
        assert_eq!(m.server.profile.as_deref(), Some("openai-strict"));
        let problems =
            parse("version: 1\nserver:\n  name: p\n  profile: gpt\napis:\n  p: {spec: openapi.yaml}\n").unwrap_err();
        let text = format!("{:?}", problems[0]);
        assert!(text.contains("unknown profile `gpt`") && text.contains("openai-strict"), "{text}");
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
