//! The `gemini` profile's input schemas: Gemini's `FunctionDeclaration.parameters` is a subset of
//! an OpenAPI 3.0 `Schema` (<https://ai.google.dev/api/caching#Schema>), so a served schema keeps
//! only its fields, with no `$ref`, `additionalProperties`, `oneOf`/`allOf` or type lists, string
//! enums only, and parameter names of letters, digits and `_`
//! (<https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1beta1/FunctionDeclaration>).
//! What a client sends back in this shape is undone by `Profile::arguments_back` (`super::back`,
//! and [`parameter_names`] at the root).

use serde_json::{Map, Value, json};

use super::{SCALARS, is_map, lookup, merge_all_of, ref_name};

/// The fields of Gemini's `Schema` object (the OpenAPI 3.0 subset): every other keyword is
/// refused. The portability lint checks against the same list.
pub const FIELDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];
/// The fields of [`FIELDS`] this transform writes itself rather than copying.
const REWRITTEN: &[&str] = &["type", "enum", "properties", "items", "anyOf", "propertyOrdering", "format"];
/// The `format`s Vertex AI's `Schema` documents, per type. For others the Gemini API answers 400
/// ("only 'enum' and 'date-time' are supported for STRING type", as users report it) and Gemini
/// CLI strips them from MCP tools (`sanitizeParameters`), so a served schema carries only these.
const FORMATS: &[(&str, &[&str])] =
    &[("string", &["enum", "date-time"]), ("integer", &["int32", "int64"]), ("number", &["float", "double"])];
/// Definitions inlined into one tool's schema at most: inlining copies, and a spec whose
/// definitions refer to many others would otherwise grow without a useful bound. Past it, and
/// at a definition that refers to itself, a value is asked for as JSON text.
const INLINE_BUDGET: usize = 500;
/// Longest parameter name.
const NAME_CHARS: usize = 64;

/// `schema` (self-contained, `$defs` at its root) in Gemini's shape.
pub(super) fn input(schema: &Map<String, Value>) -> Map<String, Value> {
    let defs = schema.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut budget = INLINE_BUDGET;
    let mut root = match node(&Value::Object(schema.clone()), &defs, &mut Vec::new(), &mut budget) {
        Value::Object(root) => root,
        _ => Map::new(),
    };
    // The root stays the object of arguments (a map root would have become pairs).
    root.insert("type".into(), "object".into());
    root.shift_remove("items");
    let names = parameter_names(schema);
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        *properties = std::mem::take(properties)
            .into_iter()
            .map(|(name, property)| (served_name(&names, &name).to_owned(), property))
            .collect();
    }
    if let Some(Value::Array(required)) = root.get_mut("required") {
        for name in required.iter_mut() {
            if let Some(text) = name.as_str() {
                *name = served_name(&names, text).into();
            }
        }
    }
    root.entry("properties").or_insert_with(|| Value::Object(Map::new()));
    root
}

/// `(name as generated, name as served)` of each top-level property whose name Gemini refuses:
/// other characters become `_`, a leading digit gets a `_` before it, and a clash with another
/// name gets `_2`, `_3`, …
pub(super) fn parameter_names(schema: &Map<String, Value>) -> Vec<(String, String)> {
    let Some(Value::Object(properties)) = schema.get("properties") else { return Vec::new() };
    let mut taken: Vec<String> = properties.keys().filter(|n| is_parameter_name(n)).cloned().collect();
    let mut renamed = Vec::new();
    for name in properties.keys().filter(|n| !is_parameter_name(n)) {
        let mut base: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            base.insert(0, '_');
        }
        base.truncate(NAME_CHARS);
        let mut served = base.clone();
        let mut n = 2;
        while taken.contains(&served) {
            let suffix = format!("_{n}");
            served = format!("{}{suffix}", &base[..base.len().min(NAME_CHARS - suffix.len())]);
            n += 1;
        }
        taken.push(served.clone());
        renamed.push((name.clone(), served));
    }
    renamed
}

fn served_name<'a>(names: &'a [(String, String)], name: &'a str) -> &'a str {
    names.iter().find(|(from, _)| from == name).map_or(name, |(_, to)| to.as_str())
}

/// `^[A-Za-z_][A-Za-z0-9_]{0,63}$`.
fn is_parameter_name(name: &str) -> bool {
    name.len() <= NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value the schema cannot describe, asked for as JSON text (mapped back by `super::back`).
fn json_text(description: Option<&Value>) -> Value {
    let note = "Given as the text of a JSON value.";
    let description = match description.and_then(Value::as_str) {
        Some(text) => format!("{text} {note}"),
        None => note.to_owned(),
    };
    json!({"type": "string", "description": description})
}

/// One schema in Gemini's shape; `path`: the definitions inlined on the way here.
fn node(schema: &Value, defs: &Map<String, Value>, path: &mut Vec<String>, budget: &mut usize) -> Value {
    let Value::Object(map) = schema else { return json!({}) };
    if let Some(name) = ref_name(schema) {
        let target = lookup(defs, &name).filter(|_| !path.contains(&name) && *budget > 0);
        let Some(target) = target else {
            return json_text(map.get("description").or_else(|| lookup(defs, &name)?.get("description")));
        };
        *budget -= 1;
        path.push(name);
        let mut inlined = node(target, defs, path, budget);
        path.pop();
        // The reference's own annotations (a property's description) win over the definition's.
        if let Value::Object(inlined) = &mut inlined {
            for key in ["description", "title", "default", "example"] {
                if let Some(value) = map.get(key) {
                    inlined.insert(key.into(), value.clone());
                }
            }
        }
        return inlined;
    }
    let (mut map, inlined) = merge_all_of(map, defs, path);
    // A definition that extends itself kept its reference beside the merged keywords.
    map.shift_remove("$ref");
    let mark = path.len();
    path.extend(inlined);
    let out = object_node(map, defs, path, budget);
    path.truncate(mark);
    Value::Object(out)
}

fn object_node(
    mut map: Map<String, Value>,
    defs: &Map<String, Value>,
    path: &mut Vec<String>,
    budget: &mut usize,
) -> Map<String, Value> {
    if let Some(one_of) = map.shift_remove("oneOf") {
        map.entry("anyOf").or_insert(one_of);
    }
    if is_map(&map) {
        let value = match map.get("additionalProperties") {
            Some(schema @ Value::Object(_)) => node(schema, defs, path, budget),
            _ => json!({"anyOf": SCALARS.map(|t| json!({"type": t}))}),
        };
        let description = map.get("description").and_then(Value::as_str).map_or_else(String::new, |d| format!("{d} "));
        let mut pairs = Map::new();
        pairs.insert("type".into(), "array".into());
        pairs.insert("description".into(), format!("{description}Given as key/value pairs.").into());
        let item = json!({"type": "object", "properties": {"key": {"type": "string"}, "value": value}, "required": ["key", "value"]});
        pairs.insert("items".into(), item);
        return pairs;
    }
    let mut out = Map::new();
    let mut nullable = false;
    match map.get("type") {
        Some(Value::String(t)) => {
            out.insert("type".into(), t.as_str().into());
        }
        Some(Value::Array(types)) => {
            nullable = types.iter().any(|t| t == "null");
            let named: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
            match named.as_slice() {
                [] => {}
                [one] => {
                    out.insert("type".into(), (*one).clone());
                }
                many => {
                    out.insert("anyOf".into(), many.iter().map(|t| json!({"type": t})).collect());
                }
            }
        }
        _ => {}
    }
    let values = match (map.get("enum"), map.get("const")) {
        (Some(Value::Array(values)), _) => Some(values.clone()),
        (None, Some(value)) => Some(vec![value.clone()]),
        _ => None,
    };
    if let Some(values) = values {
        nullable |= values.contains(&Value::Null);
        let texts: Vec<Value> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        if values.iter().any(|v| !v.is_string() && !v.is_null()) {
            out.insert("type".into(), "string".into());
            out.shift_remove("anyOf");
        }
        out.insert("enum".into(), Value::Array(texts));
    }
    for key in FIELDS.iter().filter(|key| !REWRITTEN.contains(key)) {
        if let Some(value) = map.get(*key) {
            out.insert((*key).into(), value.clone());
        }
    }
    let typed = out.get("type").and_then(Value::as_str).unwrap_or_default();
    if let Some(format) = map.get("format").and_then(Value::as_str)
        && FORMATS.iter().any(|(t, formats)| *t == typed && formats.contains(&format))
    {
        out.insert("format".into(), format.into());
    }
    if !out.contains_key("example")
        && let Some(Value::Array(examples)) = map.get("examples")
        && let Some(first) = examples.first()
    {
        out.insert("example".into(), first.clone());
    }
    if nullable {
        out.insert("nullable".into(), true.into());
    }
    // Gemini CLI drops `default` beside `anyOf` before sending a tool (`sanitizeParameters`);
    // leaving it out here keeps what is listed what the model gets.
    if map.contains_key("anyOf") || out.contains_key("anyOf") {
        out.shift_remove("default");
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        let properties = properties.iter().map(|(k, v)| (k.clone(), node(v, defs, path, budget))).collect();
        out.insert("properties".into(), Value::Object(properties));
    }
    if let Some(items @ Value::Object(_)) = map.get("items") {
        out.insert("items".into(), node(items, defs, path, budget));
    }
    if let Some(Value::Array(parts)) = map.get("anyOf") {
        let parts = parts.iter().map(|p| node(p, defs, path, budget)).collect();
        out.insert("anyOf".into(), Value::Array(parts));
    }
    out
}
