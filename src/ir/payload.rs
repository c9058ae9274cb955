//! Payload control: how much of each tool goes into `tools/list` (`output_schemas`,
//! `max_description_chars`). Measured on the APIs.guru corpus, output schemas are half to four
//! fifths of `tools/list` (docs/budgets-and-toolsets.md), while clients use them only to check
//! results and models rarely see them; input schemas are never touched, since they are what an
//! agent needs to call a tool correctly.

use serde_json::Value;

use super::ToolIr;
use crate::manifest::{ApiSection, DEFAULT_MAX_DESCRIPTION_CHARS, Manifest, OutputSchemas, ToolOverride};
use crate::spec::schema::{SUBSCHEMA, SUBSCHEMA_ARRAYS, SUBSCHEMA_MAPS};

/// Keywords that only document, dropped everywhere by `compact`.
const EXAMPLE_KEYWORDS: [&str; 3] = ["examples", "example", "$comment"];
/// Keywords that only document, dropped below the top-level properties by `compact`.
const PROSE_KEYWORDS: [&str; 3] = ["description", "title", "externalDocs"];

/// Applies the manifest's payload switches to a freshly built tool (before governance adds its
/// deprecation note, which is never cut).
pub(super) fn apply(manifest: &Manifest, section: &ApiSection, over: Option<&ToolOverride>, tool: &mut ToolIr) {
    let mode =
        over.and_then(|o| o.output_schema).or(section.output_schemas).or(manifest.output_schemas).unwrap_or_default();
    match mode {
        OutputSchemas::Full => {}
        OutputSchemas::Compact => {
            if let Some(schema) = &mut tool.output_schema {
                compact(schema);
            }
            // The shared definitions are compacted once, in a table of their own.
            if let Some(refs) = &mut tool.defs.output {
                refs.table = super::defs::table_key(&tool.api, crate::spec::schema::Direction::Output, true);
            }
        }
        OutputSchemas::None => {
            tool.output_schema = None;
            tool.defs.output = None;
        }
    }
    // A description written in the manifest is the user's choice: only the spec's are cut.
    if over.is_none_or(|o| o.description.is_none()) {
        let cap =
            section.max_description_chars.or(manifest.max_description_chars).unwrap_or(DEFAULT_MAX_DESCRIPTION_CHARS);
        tool.description = cap_description(&tool.description, cap);
    }
}

/// Drops documentation from an output schema, keeping what validation needs (types, `required`,
/// `enum`, `const`, formats, `$ref`s, bounds): examples everywhere, and descriptions and titles
/// except the root's and those of its own properties (what a result's fields mean).
pub(crate) fn compact(schema: &mut Value) {
    walk(schema, 0);
}

/// Compacts one definition of a compact output schema's `$defs` as [`compact`] does in place.
pub(crate) fn compact_definition(schema: &mut Value) {
    walk(schema, 2);
}

/// `depth`: 0 for the root, 1 for its properties, more below (and for `$defs`).
fn walk(schema: &mut Value, depth: usize) {
    let Value::Object(map) = schema else { return };
    for key in EXAMPLE_KEYWORDS {
        map.remove(key);
    }
    if depth > 1 {
        // Property names live in `properties` maps, so here these are always keywords.
        for key in PROSE_KEYWORDS {
            map.remove(key);
        }
    }
    for (key, child) in map.iter_mut() {
        let key = key.as_str();
        if SUBSCHEMA_MAPS.contains(&key) {
            // Maps of name → schema.
            if let Value::Object(children) = child {
                let below = if key == "properties" { depth + 1 } else { depth + 2 };
                children.values_mut().for_each(|c| walk(c, below));
            }
        } else if matches!(key, "$defs" | "definitions") {
            if let Value::Object(children) = child {
                children.values_mut().for_each(|c| walk(c, 2));
            }
        } else if SUBSCHEMA.contains(&key) {
            // One schema.
            walk(child, depth.max(1) + 1);
        } else if SUBSCHEMA_ARRAYS.contains(&key)
            && let Value::Array(items) = child
        {
            // Branches of the root are still the root's shape.
            items.iter_mut().for_each(|c| walk(c, if depth == 0 { 0 } else { depth + 1 }));
        }
        // Anything else (`enum`, `const`, `default`, `required`) is data, never schemas.
    }
}

/// `text` cut to at most `max` characters at a sentence end, else a word boundary (in the last
/// half), with `…` appended; unchanged when it fits.
pub(crate) fn cap_description(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let budget = max.saturating_sub(1);
    let end = text.char_indices().nth(budget).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let floor = head.len() / 2;
    let sentence = head
        .char_indices()
        .filter(|&(i, c)| {
            matches!(c, '.' | '!' | '?' | '\n')
                && i >= floor
                && head[i + c.len_utf8()..].starts_with(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back();
    let word = || head.char_indices().filter(|&(i, c)| c.is_whitespace() && i >= floor).map(|(i, _)| i).next_back();
    let cut = sentence.or_else(word).unwrap_or(end);
    format!("{}…", head[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn compact_keeps_validation_and_top_level_meaning_and_drops_the_rest() {
        let mut schema = json!({
            "type": "object", "description": "A customer.", "example": {"id": "cus_1"},
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "description": "Unique id.", "examples": ["cus_1"]},
                "address": {"type": "object", "description": "Postal address.", "properties": {
                    "city": {"type": "string", "description": "City name.", "title": "City"},
                    "description": {"type": "string", "description": "A property named description."}
                }},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"], "description": "A tag."}},
            },
            "$defs": {"Card": {"type": "object", "description": "A card.", "properties": {"last4": {"type": "string", "description": "x"}}}}
        });
        compact(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object", "description": "A customer.", "required": ["id"],
                "properties": {
                    "id": {"type": "string", "description": "Unique id."},
                    "address": {"type": "object", "description": "Postal address.", "properties": {
                        "city": {"type": "string"},
                        "description": {"type": "string"}
                    }},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                },
                "$defs": {"Card": {"type": "object", "properties": {"last4": {"type": "string"}}}}
            })
        );
    }

    #[test]
    fn compact_treats_the_roots_all_of_branches_as_the_root() {
        let mut schema =
            json!({"allOf": [{"type": "object", "properties": {"a": {"type": "string", "description": "kept"}}}]});
        compact(&mut schema);
        assert_eq!(schema["allOf"][0]["properties"]["a"]["description"], "kept");
    }

    #[test]
    fn descriptions_are_cut_at_a_sentence_then_a_word_boundary() {
        let text = "Creates a charge. The amount is in cents. Use the idempotency key when retrying.";
        assert_eq!(cap_description(text, 200), text);
        assert_eq!(cap_description(text, 50), "Creates a charge. The amount is in cents.…");
        assert_eq!(cap_description("one two three four five six", 16), "one two three…");
        let cut = cap_description(&"é".repeat(40), 10);
        assert_eq!(cut.chars().count(), 10, "counted in characters, cut on a char boundary: {cut}");
        assert!(cap_description(&"word ".repeat(400), 1000).chars().count() <= 1000);
    }
}
