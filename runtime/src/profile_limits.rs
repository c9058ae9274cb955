//! OpenAI strict mode's size limits (Structured Outputs, "Objects have limitations on nesting
//! depth and size": <https://platform.openai.com/docs/guides/structured-outputs#supported-schemas>),
//! measured over a served schema ([`Size::of`], which the portability lint reports from too) and
//! met by [`fit`], which the `openai-strict` profile runs after its transform.
//!
//! What `fit` gives up, cheapest first: the value lists of the largest enums (the property keeps
//! its type and names a few values; the server still checks the value against the generated
//! schema), then whole subschemas, listed as a string holding their JSON (the mapping back,
//! `super::string_back`, parses it where the generated schema takes no string): the objects below
//! the tenth level, then the smallest subschema whose properties (or names) bring the schema
//! under the limit. A call of such a tool is validated against the generated schema as ever.

use serde_json::{Map, Value, json};

/// Object properties in one schema, at most.
pub const MAX_PROPERTIES: usize = 5_000;
/// Levels of object nesting, at most.
pub const MAX_NESTING: usize = 10;
/// Enum values in one schema, at most.
pub const MAX_ENUM_VALUES: usize = 1_000;
/// Characters of property names, definition names, enum and `const` strings, at most.
pub const MAX_TEXT: usize = 120_000;
/// A string enum of more values than this …
pub const LONG_ENUM_VALUES: usize = 250;
/// … may have this many characters at most.
pub const LONG_ENUM_TEXT: usize = 15_000;
/// Values named in the description of an enum whose list is left out.
const EXAMPLE_VALUES: usize = 3;
/// Property names listed in the description of an object given as JSON text.
const EXAMPLE_KEYS: usize = 12;

/// Keywords whose value is one schema.
const ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];
/// Keywords whose value is a map of name → schema.
const MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
/// Keywords whose value is a list of schemas (`items` in its draft-4 tuple form too).
const LISTS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems", "items"];

/// What strict mode limits, summed over a whole schema (the schema as written: `$defs` entries
/// counted once, where they are, and `$ref`s not followed).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Size {
    /// Object properties.
    pub properties: usize,
    /// Levels of object nesting: object schemas from the root down, the deepest path.
    pub depth: usize,
    /// Enum values.
    pub enum_values: usize,
    /// Characters of property names, definition names, enum and `const` strings.
    pub text: usize,
    /// JSON pointer of the first string enum over [`LONG_ENUM_VALUES`] values and
    /// [`LONG_ENUM_TEXT`] characters.
    pub long_enum: Option<String>,
}

impl Size {
    /// The size of `root`.
    pub fn of(root: &Value) -> Self {
        let mut size = Size::default();
        for node in nodes(root) {
            size.depth = size.depth.max(node.depth);
            size.properties += node.own.properties;
            size.text += node.own.text;
            size.enum_values += node.own.enum_values;
            if node.long_enum && size.long_enum.is_none() {
                size.long_enum = Some(format!("{}/enum", node.pointer));
            }
        }
        size
    }

    /// Whether every limit holds.
    pub fn fits(&self) -> bool {
        self.properties <= MAX_PROPERTIES
            && self.depth <= MAX_NESTING
            && self.enum_values <= MAX_ENUM_VALUES
            && self.text <= MAX_TEXT
            && self.long_enum.is_none()
    }
}

/// `schema` (a served root) changed until [`Size::of`] fits, as the module says.
pub fn fit(schema: Map<String, Value>) -> Map<String, Value> {
    let mut root = Value::Object(schema);
    // Each round removes at least one enum or subschema, so the rounds are bounded by the nodes.
    while !Size::of(&root).fits() {
        let changes = next_changes(&root);
        if changes.is_empty() {
            break;
        }
        for (pointer, change) in changes {
            let Some(node) = root.pointer_mut(&pointer) else { continue };
            *node = match change {
                Change::DropEnum => without_enum(std::mem::take(node)),
                Change::AsText => as_json_text(node),
            };
        }
    }
    match root {
        Value::Object(map) => map,
        _ => unreachable!("the root stays an object: it is never replaced"),
    }
}

/// What [`fit`] does to one node.
enum Change {
    /// Its `enum` list goes.
    DropEnum,
    /// It becomes a string holding its JSON.
    AsText,
}

/// The next nodes to change, and how: the largest enum while enums are over, then every object
/// below the nesting limit (disjoint subtrees: an object inside one is deeper still), then the
/// subschema that brings properties or text under the limit. Empty when nothing would help.
fn next_changes(root: &Value) -> Vec<(String, Change)> {
    let size = Size::of(root);
    let nodes = nodes(root);
    let enums_over = size.enum_values > MAX_ENUM_VALUES || size.long_enum.is_some() || size.text > MAX_TEXT;
    if enums_over
        && let Some(largest) = nodes
            .iter()
            .filter(|n| n.own.enum_values > 0)
            .max_by_key(|n| (n.long_enum, n.own.enum_values, n.own.text))
        // Past the enums' share, only subschemas bring the text down.
        && (size.enum_values > MAX_ENUM_VALUES || size.long_enum.is_some() || largest.own.text > 0)
    {
        return vec![(largest.pointer.clone(), Change::DropEnum)];
    }
    if size.depth > MAX_NESTING {
        let too_deep = nodes.iter().filter(|n| n.depth == MAX_NESTING + 1 && n.is_object);
        return too_deep.map(|n| (n.pointer.clone(), Change::AsText)).collect();
    }
    let totals = subtree_totals(&nodes);
    let (excess, measure): (usize, fn(&Own) -> usize) = if size.properties > MAX_PROPERTIES {
        (size.properties - MAX_PROPERTIES, |own| own.properties)
    } else {
        (size.text.saturating_sub(MAX_TEXT), |own| own.text)
    };
    // The smallest subschema that removes the whole excess, else the largest (and again).
    let candidates = || totals.iter().enumerate().skip(1);
    let smallest_enough = candidates().filter(|(_, t)| measure(t) >= excess).min_by_key(|(_, t)| measure(t));
    let chosen = smallest_enough.or_else(|| candidates().max_by_key(|(_, t)| measure(t)));
    chosen
        .filter(|(_, t)| measure(t) > 0)
        .map(|(i, _)| (nodes[i].pointer.clone(), Change::AsText))
        .into_iter()
        .collect()
}

/// What one schema node itself counts toward the limits.
#[derive(Debug, Default, Clone, Copy)]
struct Own {
    properties: usize,
    enum_values: usize,
    text: usize,
}

/// One schema of the tree.
struct Node {
    /// JSON pointer from the root.
    pointer: String,
    /// Object schemas from the root down to this one, itself included.
    depth: usize,
    /// Index of the enclosing schema in the walk (`None` for the root).
    parent: Option<usize>,
    is_object: bool,
    own: Own,
    long_enum: bool,
}

/// Every schema of `root`, parents before children (iterative: no stack overflow on deep trees).
fn nodes(root: &Value) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, String, usize, Option<usize>)> = vec![(root, String::new(), 0, None)];
    while let Some((value, pointer, outer_depth, parent)) = stack.pop() {
        let is_object = is_object(value);
        let depth = outer_depth + usize::from(is_object);
        let index = out.len();
        let (own, long_enum) = value.as_object().map(own).unwrap_or_default();
        out.push(Node { pointer: pointer.clone(), depth, parent, is_object, own, long_enum });
        let Value::Object(schema) = value else { continue };
        let mut children = Vec::new();
        for (key, child) in schema {
            let at = format!("{pointer}/{}", escape(key));
            match child {
                Value::Object(map) if MAPS.contains(&key.as_str()) => {
                    children.extend(map.iter().map(|(name, v)| (v, format!("{at}/{}", escape(name)))));
                }
                Value::Object(_) if ONE.contains(&key.as_str()) => children.push((child, at)),
                Value::Array(list) if LISTS.contains(&key.as_str()) => {
                    children.extend(list.iter().enumerate().map(|(i, v)| (v, format!("{at}/{i}"))));
                }
                _ => {}
            }
        }
        // Reversed onto the stack, so they are visited in document order.
        stack.extend(children.into_iter().rev().map(|(v, at)| (v, at, depth, Some(index))));
    }
    out
}

/// What `schema` itself counts, and whether its enum is a long string enum.
fn own(schema: &Map<String, Value>) -> (Own, bool) {
    let chars = |s: &String| s.chars().count();
    let text_of = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let mut own = Own::default();
    if let Some(Value::Object(properties)) = schema.get("properties") {
        own.properties = properties.len();
        own.text += properties.keys().map(chars).sum::<usize>();
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = schema.get(key) {
            own.text += defs.keys().map(chars).sum::<usize>();
        }
    }
    let mut long_enum = false;
    if let Some(Value::Array(values)) = schema.get("enum") {
        own.enum_values = values.len();
        let length: usize = values.iter().map(text_of).sum();
        own.text += length;
        let strings = values.iter().filter(|v| v.is_string()).count();
        long_enum = strings > LONG_ENUM_VALUES && length > LONG_ENUM_TEXT;
    }
    own.text += schema.get("const").map_or(0, text_of);
    (own, long_enum)
}

/// Each node's own counts plus its descendants'.
fn subtree_totals(nodes: &[Node]) -> Vec<Own> {
    let mut totals: Vec<Own> = nodes.iter().map(|n| n.own).collect();
    // Children come after their parents, so adding from the end sums whole subtrees.
    for i in (1..nodes.len()).rev() {
        if let Some(parent) = nodes[i].parent {
            let child = totals[i];
            let into = &mut totals[parent];
            into.properties += child.properties;
            into.enum_values += child.enum_values;
            into.text += child.text;
        }
    }
    totals
}

/// Whether a schema describes an object (its `type` says so, or it lists `properties`).
fn is_object(schema: &Value) -> bool {
    let Value::Object(schema) = schema else { return false };
    let typed = match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
        _ => false,
    };
    typed || schema.contains_key("properties")
}

/// A JSON pointer token (`~` as `~0`, `/` as `~1`).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `schema` without its value list: its type (from the values when it has none) and a
/// description naming how many values there are and a few of them.
fn without_enum(schema: Value) -> Value {
    let Value::Object(mut map) = schema else { return schema };
    let Some(Value::Array(values)) = map.shift_remove("enum") else { return Value::Object(map) };
    if !map.contains_key("type") {
        let mut types: Vec<&str> = Vec::new();
        for value in &values {
            let kind = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if !types.contains(&kind) {
                types.push(kind);
            }
        }
        let typed = match types.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        map.insert("type".into(), typed);
    }
    let examples: Vec<String> =
        values.iter().filter(|v| !v.is_null()).take(EXAMPLE_VALUES).map(|v| format!("`{v}`")).collect();
    let note = format!(
        "One of {} values, e.g. {} (the list is over OpenAI's size limits; the server checks the value).",
        values.iter().filter(|v| !v.is_null()).count(),
        examples.join(", ")
    );
    append_description(&mut map, &note);
    Value::Object(map)
}

/// A string holding the JSON of what `schema` describes, nullable if it was, with its description
/// and the names of its properties.
fn as_json_text(schema: &Value) -> Value {
    let nullable = matches!(schema.get("type"), Some(Value::Array(types)) if types.iter().any(|t| t == "null"));
    let mut map = Map::new();
    map.insert("type".into(), if nullable { json!(["string", "null"]) } else { json!("string") });
    if let Some(description) = schema.get("description") {
        map.insert("description".into(), description.clone());
    }
    let keys: Vec<&str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().take(EXAMPLE_KEYS).map(String::as_str).collect())
        .unwrap_or_default();
    let note = if keys.is_empty() {
        "Given as the text of a JSON value (its schema is over OpenAI's size limits).".to_owned()
    } else {
        format!(
            "Given as the text of a JSON object with keys such as {} (its schema is over OpenAI's size limits).",
            keys.join(", ")
        )
    };
    append_description(&mut map, &note);
    Value::Object(map)
}

fn append_description(map: &mut Map<String, Value>, note: &str) {
    let description = match map.get("description").and_then(Value::as_str) {
        Some(text) if !text.is_empty() => format!("{text} {note}"),
        _ => note.to_owned(),
    };
    map.insert("description".into(), description.into());
}
