//! The schema checks of each profile, over a tool's served (self-contained) schema.
//!
//! The walk visits only the places where JSON Schema puts subschemas (`properties/*`, `items`,
//! `anyOf/*`, `$defs/*`, …), so a property that happens to be called `enum` or `$ref` is a name,
//! not a keyword. It is iterative (no stack overflow on schemas nested hundreds deep) and never
//! assumes a shape: a boolean, a string or a list where a schema belongs is reported or skipped.

use serde_json::Value;

use super::Finding;
use super::rules::*;
// The fields of Gemini's `Schema`, all others refused: the list the `gemini` profile keeps to.
use crate::client_profile::GEMINI_FIELDS;
use crate::client_profile::limits::{self, Size};
use crate::source_map::escape_token;
// Keywords whose value is one schema: the converter's list (booleans there are keyword values,
// e.g. `additionalProperties: false`, and are not walked).
use crate::spec::schema::SUBSCHEMA as SCHEMA_ONE;

/// One schema in the tree and where it is.
struct Node<'a> {
    value: &'a Value,
    pointer: String,
}

/// Keywords whose value is a map of name → schema.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
/// Keywords whose value is a list of schemas (`items` in its draft-4 tuple form too).
const SCHEMA_LISTS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems", "items"];

/// Calls `visit` on every schema of `root`, parents before children, in document order.
fn walk<'a>(root: &'a Value, mut visit: impl FnMut(&Node<'a>)) {
    let mut stack = vec![Node { value: root, pointer: String::new() }];
    while let Some(node) = stack.pop() {
        visit(&node);
        let Value::Object(schema) = node.value else { continue };
        let mut children = Vec::new();
        let child = |value: &'a Value, pointer: String| Node { value, pointer };
        for (key, value) in schema {
            let at = format!("{}/{}", node.pointer, escape_token(key));
            match value {
                Value::Object(map) if SCHEMA_MAPS.contains(&key.as_str()) => {
                    children.extend(map.iter().map(|(name, v)| child(v, format!("{at}/{}", escape_token(name)))));
                }
                Value::Object(_) if SCHEMA_ONE.contains(&key.as_str()) => children.push(child(value, at)),
                Value::Array(list) if SCHEMA_LISTS.contains(&key.as_str()) => {
                    children.extend(list.iter().enumerate().map(|(i, v)| child(v, format!("{at}/{i}"))));
                }
                _ => {}
            }
        }
        // Reversed onto the stack, so they are visited in document order.
        stack.extend(children.into_iter().rev());
    }
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

/// The root-level rules shared by several profiles: `type: object`, no composition at the top.
fn root_is_object(root: &Value) -> bool {
    root.get("type").and_then(Value::as_str) == Some("object")
}

fn root_composition(root: &Value) -> Vec<String> {
    ["anyOf", "oneOf", "allOf"].into_iter().filter(|k| root.get(*k).is_some()).map(|k| format!("/{k}")).collect()
}

/// OpenAI strict mode (Structured Outputs' supported subset) on an input schema.
pub(super) fn openai_strict(root: &Value, out: &mut Vec<Finding>) {
    if !root_is_object(root) || root.get("anyOf").is_some() {
        out.push(Finding::new(&OPENAI_ROOT, ""));
    }
    walk(root, |node| {
        let Value::Object(schema) = node.value else { return };
        if is_object(node.value) && schema.get("additionalProperties") != Some(&Value::Bool(false)) {
            out.push(Finding::new(&OPENAI_ADDITIONAL, &node.pointer));
        }
        if let Some(Value::Object(properties)) = schema.get("properties") {
            let required: Vec<&str> = match schema.get("required") {
                Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if let Some(missing) = properties.keys().find(|name| !required.contains(&name.as_str())) {
                out.push(Finding::new(
                    &OPENAI_REQUIRED,
                    &format!("{}/properties/{}", node.pointer, escape_token(missing)),
                ));
            }
        }
        for keyword in ["allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas"] {
            if schema.contains_key(keyword) {
                out.push(Finding::new(&OPENAI_KEYWORD, &format!("{}/{keyword}", node.pointer)));
            }
        }
    });
    out.extend(limit_findings(root));
}

/// The size limits of Structured Outputs, summed over the whole schema by the same measure the
/// `openai-strict` profile fits its schemas to.
fn limit_findings(root: &Value) -> Vec<Finding> {
    let size = Size::of(root);
    let mut out = Vec::new();
    let mut over = |what: String| out.push(Finding::new(&OPENAI_LIMITS, &what));
    if size.properties > limits::MAX_PROPERTIES {
        over(format!("{} object properties (at most 5,000)", size.properties));
    }
    if size.depth > limits::MAX_NESTING {
        over(format!("{} levels of object nesting (at most 10)", size.depth));
    }
    if size.enum_values > limits::MAX_ENUM_VALUES {
        over(format!("{} enum values (at most 1,000)", size.enum_values));
    }
    if size.text > limits::MAX_TEXT {
        over(format!("{} characters of names and enum values (at most 120,000)", size.text));
    }
    if let Some(at) = size.long_enum {
        over(format!("{at}: over 250 strings and 15,000 characters"));
    }
    out
}

/// Gemini `FunctionDeclaration.parameters` (or `.response`, for an output schema).
pub(super) fn gemini(root: &Value, parameters: bool, out: &mut Vec<Finding>) {
    if parameters && let Some(Value::Object(properties)) = root.get("properties") {
        for name in properties.keys().filter(|name| !gemini_parameter_name(name)) {
            out.push(Finding::new(&GEMINI_PARAMETER_NAME, &format!("/properties/{}", escape_token(name))));
        }
    }
    walk(root, |node| {
        let Value::Object(schema) = node.value else {
            out.push(Finding::new(&GEMINI_KEYWORD, &format!("{} (a {} schema)", node.pointer, kind(node.value))));
            return;
        };
        for (key, value) in schema {
            let at = format!("{}/{}", node.pointer, escape_token(key));
            let rule = match key.as_str() {
                "type" if !value.is_string() => &GEMINI_TYPE,
                "enum" if value.as_array().is_some_and(|values| values.iter().any(|v| !v.is_string())) => &GEMINI_ENUM,
                known if GEMINI_FIELDS.contains(&known) => continue,
                "$ref" | "$defs" | "definitions" => &GEMINI_REF,
                "additionalProperties" => &GEMINI_ADDITIONAL,
                "oneOf" | "allOf" | "not" | "if" | "then" | "else" => &GEMINI_COMPOSITION,
                _ => &GEMINI_KEYWORD,
            };
            out.push(Finding::new(rule, &at));
        }
    });
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// `^[A-Za-z_][A-Za-z0-9_]{0,63}$` (Vertex AI's parameter-name rule).
fn gemini_parameter_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

/// Anthropic `input_schema`: an object, nothing composed at the top.
pub(super) fn anthropic(root: &Value, out: &mut Vec<Finding>) {
    if !root_is_object(root) {
        out.push(Finding::new(&ANTHROPIC_ROOT, "/type"));
    }
    for at in root_composition(root) {
        out.push(Finding::new(&ANTHROPIC_COMPOSITION, &at));
    }
}

/// The root rules every profile has.
pub(super) fn portable(root: &Value, out: &mut Vec<Finding>) {
    if !root_is_object(root) {
        out.push(Finding::new(&PORTABLE_ROOT, "/type"));
    }
    for at in root_composition(root) {
        out.push(Finding::new(&PORTABLE_ROOT, &at));
    }
}
