//! Shared schema definitions (issue 13): each component schema is converted once per spec and
//! direction, kept once in the tool table, and each tool names the definitions its schemas need.
//!
//! Before, every tool converted and copied every schema it referred to into its own `$defs`, so
//! generation and the table grew with tools × referenced schema size (Microsoft Graph: 450 MB of
//! table). The per-tool limits stay what they were: which definitions a tool would have collected
//! is the depth-first walk over the definitions each conversion referred to (in the order met),
//! which is exactly the order the per-tool converter collected them in.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::ToolIr;
use crate::definition::{DefRefs, Definitions};
use crate::diagnostics::Problem;
use crate::spec::Spec;
use crate::spec::schema::{Direction, SchemaConverter};

/// The memoised converters of one spec, one per direction.
pub(super) struct SpecDefs<'a> {
    pub(super) input: SchemaConverter<'a>,
    pub(super) output: SchemaConverter<'a>,
}

impl<'a> SpecDefs<'a> {
    pub(super) fn new(spec: &'a Spec) -> Self {
        Self {
            input: SchemaConverter::new(&spec.doc, spec.version, Direction::Input),
            output: SchemaConverter::new(&spec.doc, spec.version, Direction::Output),
        }
    }
}

/// The definitions a schema that referred to `touched` collects, in collection order, and
/// whether there were more than `max` (only the first `max` are returned then).
pub(super) fn collected(converter: &SchemaConverter<'_>, touched: &[String], max: usize) -> (Vec<String>, bool) {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    // Depth-first, children in the order met: an explicit stack of (list, next index).
    let mut stack: Vec<(&[String], usize)> = vec![(touched, 0)];
    while let Some((list, i)) = stack.pop() {
        let Some(name) = list.get(i) else { continue };
        stack.push((list, i + 1));
        if !seen.insert(name.as_str()) {
            continue;
        }
        if order.len() == max {
            return (order, true);
        }
        order.push(name.clone());
        stack.push((converter.visits(name), 0));
    }
    (order, false)
}

/// The problems of the definitions `names` not reported yet (each is reported once per spec).
pub(super) fn problems_of(converter: &mut SchemaConverter<'_>, names: &[String]) -> Vec<Problem> {
    names.iter().flat_map(|name| converter.take_problems(name)).collect()
}

/// Names of the definitions `roots` refer to through `$ref`s, directly or through other
/// definitions; with `within`, references to names outside it are not followed.
pub(super) fn referenced<'v>(
    converter: &SchemaConverter<'_>,
    roots: impl IntoIterator<Item = &'v Value>,
    within: Option<&BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut pending = Vec::new();
    roots.into_iter().for_each(|root| refs(root, &mut pending));
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if within.is_some_and(|w| !w.contains(&name)) || !found.insert(name.clone()) {
            continue;
        }
        if let Some(def) = converter.definition(&name) {
            refs(def, &mut pending);
        }
    }
    found
}

/// Local `$defs` names referred to anywhere in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/$defs/") {
                            out.push(crate::source_map::unescape_token(name).into_owned());
                        }
                    }
                    _ => refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

/// Whether `value` refers to a definition outside `keep`.
pub(super) fn refers_outside(value: &Value, keep: &BTreeSet<String>) -> bool {
    let mut names = Vec::new();
    refs(value, &mut names);
    names.iter().any(|n| !keep.contains(n))
}

/// Replaces references to definitions outside `keep` (those past the per-tool limit) with a
/// schema that accepts anything and says why, as the per-tool converter did; a 3.1 `$ref` with
/// sibling keywords keeps the siblings.
pub(super) fn cut_outside(value: &mut Value, keep: &BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            let outside = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .map(|n| crate::source_map::unescape_token(n).into_owned())
                .filter(|n| !keep.contains(n));
            if let Some(name) = outside {
                map.shift_remove("$ref");
                if map.is_empty() {
                    let note =
                        format!("A `{name}` object (its schema is too large to include; any value is accepted here).");
                    map.insert("description".into(), Value::String(note));
                }
                return;
            }
            map.values_mut().for_each(|child| cut_outside(child, keep));
        }
        Value::Array(items) => items.iter_mut().for_each(|i| cut_outside(i, keep)),
        _ => {}
    }
}

/// `schema` with the definitions `names` as its `$defs` (last key, sorted by name): the
/// self-contained form, used to measure it.
pub(super) fn assembled(converter: &SchemaConverter<'_>, schema: &Value, names: &BTreeSet<String>) -> Value {
    let mut out = schema.clone();
    if let (Value::Object(object), false) = (&mut out, names.is_empty()) {
        let defs: Map<String, Value> =
            names.iter().map(|n| (n.clone(), converter.definition(n).cloned().unwrap_or(Value::Bool(true)))).collect();
        object.insert("$defs".into(), Value::Object(defs));
    }
    out
}

/// Key of a definition table: `{api}:input`, `{api}:output`, `{api}:output-compact`.
pub(crate) fn table_key(api: &str, direction: Direction, compact: bool) -> String {
    match (direction, compact) {
        (Direction::Input, _) => format!("{api}:input"),
        (Direction::Output, false) => format!("{api}:output"),
        (Direction::Output, true) => format!("{api}:output-compact"),
    }
}

/// The shared table: every definition some tool names, once (compacted for compact tables).
pub(super) fn table(tools: &[ToolIr], specs: &BTreeMap<String, SpecDefs<'_>>) -> Definitions {
    let mut out = Definitions::new();
    for tool in tools {
        let Some(spec) = specs.get(&tool.api) else { continue };
        let refs = [(&tool.defs.input, &spec.input), (&tool.defs.output, &spec.output)];
        for (refs, converter) in refs {
            let Some(DefRefs { table, names }) = refs else { continue };
            let compact = table.ends_with(":output-compact");
            let entries = out.entry(table.clone()).or_default();
            for name in names {
                if entries.contains_key(name) {
                    continue;
                }
                let mut def = converter.definition(name).cloned().unwrap_or(Value::Bool(true));
                if compact {
                    super::payload::compact_definition(&mut def);
                }
                entries.insert(name.clone(), def);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::spec::SpecVersion;
    use serde_json::json;

    #[test]
    fn collection_order_is_depth_first_in_the_order_met_and_stops_at_the_limit() {
        let d = Document::parse(
            "s.yaml",
            "components:\n  schemas:\n    A: {properties: {b: {$ref: '#/components/schemas/B'}, c: {$ref: '#/components/schemas/C'}}}\n    B: {properties: {d: {$ref: '#/components/schemas/D'}, a: {$ref: '#/components/schemas/A'}}}\n    C: {type: string}\n    D: {type: string}\n"
                .to_owned(),
        )
        .unwrap();
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let (root, touched) = c.tracked(|c| c.convert_at("/components/schemas/A"));
        assert_eq!(touched.defs, ["B", "C"]);
        assert_eq!(collected(&c, &touched.defs, 10), (vec!["B".into(), "D".into(), "A".into(), "C".into()], false));
        assert_eq!(collected(&c, &touched.defs, 2), (vec!["B".into(), "D".into()], true));
        let keep: BTreeSet<String> = ["B".to_owned(), "D".to_owned()].into();
        let mut cut = root.clone();
        cut_outside(&mut cut, &keep);
        assert_eq!(
            cut["properties"]["c"]["description"],
            json!("A `C` object (its schema is too large to include; any value is accepted here).")
        );
        assert_eq!(referenced(&c, [&root], Some(&keep)), keep);
        assert_eq!(referenced(&c, [&root], None).len(), 4);
    }
}
