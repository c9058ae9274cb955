//! The structural view of a document: what `openapiv3` parses, read from the raw document.
//!
//! The view is the document with every schema object replaced by `{"$ref":
//! "mcpgen-schema:<pointer>"}` (schema syntax differs between 3.0 and 3.1, and schemas are read
//! from the raw document by `schema`), callbacks emptied, and the defaults the structural model
//! needs added. It is never built whole: holding a structural copy of the document and every
//! parsed path item next to the raw document was most of the memory of loading a large spec
//! (Microsoft Graph beta: 0.5 of 0.85 GiB, issue 13). Loading builds the document without its path
//! items plus one path item at a time to check them; later readers build the part they need
//! ([`at`]), which costs what the `clone()` of a part of a stored copy cost before.

use openapiv3::{PathItem, ReferenceOr};
use serde_json::{Map, Value};

use super::SCHEMA_POINTER_PREFIX;
use super::bundle::BUNDLE_KEY;
use super::operations::METHODS;
use crate::source_map::escape_token;

/// Objects whose keys are names chosen by the API author, not OpenAPI field names.
const NAME_MAPS: &[&str] = &[
    "paths",
    "webhooks",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "content",
    "encoding",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
    "examples",
    "variables",
];

/// Where the maps of path items are, whose operations get a default `responses`.
const PATH_ITEM_MAPS: &[&str] = &["/paths/", "/webhooks/", "/components/pathItems/"];

/// What the view holds for one member of an object.
enum Member {
    /// The member's own view (`true`: it is a map of names, see [`NAME_MAPS`]).
    Walk(bool),
    /// The member as written.
    Raw,
    /// Something else in its place.
    Replaced(Value),
}

/// How the member `key` of the object at `pointer` appears in the view (`name_map`: the object's
/// keys are names, so none of them has its OpenAPI meaning).
fn member(key: &str, child: &Value, pointer: &str, child_pointer: &str, name_map: bool) -> Member {
    if name_map {
        // Under a name map, `parameters` of a path item is an array, others are objects.
        Member::Walk(false)
    } else if key == BUNDLE_KEY && pointer.is_empty() {
        // Files bundled from relative references: each is walked like a document.
        Member::Walk(true)
    } else if key == "callbacks" {
        // Callbacks describe requests the API makes, never tools: not parsed at all, so a
        // malformed one cannot reject an otherwise valid spec.
        Member::Replaced(Value::Object(Map::new()))
    } else if key.starts_with("x-") || key == "example" || key == "examples" {
        // Vendor extensions and examples are free-form; leave them alone.
        Member::Raw
    } else if key == "schema" && child.is_object() {
        Member::Replaced(schema_ref(child_pointer))
    } else if key == "schemas" && pointer.ends_with("/components") {
        match child {
            Value::Object(schemas) => {
                let refs = schemas
                    .keys()
                    .map(|name| (name.clone(), schema_ref(&format!("{child_pointer}/{}", escape_token(name)))));
                Member::Replaced(Value::Object(refs.collect()))
            }
            _ => Member::Raw,
        }
    } else {
        Member::Walk(NAME_MAPS.contains(&key) && child.is_object())
    }
}

/// The view of `value`, which is at `pointer` (`name_map`: see [`member`]).
pub(super) fn of(value: &Value, pointer: &str, name_map: bool) -> Value {
    view(value, &mut pointer.to_owned(), name_map, true)
}

/// The view of the whole document without the items of `paths` (its extensions stay).
pub(super) fn without_path_items(root: &Value) -> Value {
    view(root, &mut String::new(), false, false)
}

/// [`of`], leaving out the items of the root's `paths` unless `path_items`. The pointer is a
/// buffer that each level extends and truncates again: a view of every path item is built twice
/// (checked while loading, read by `operations`), and allocating every node's pointer was a good
/// part of that.
fn view(value: &Value, pointer: &mut String, name_map: bool, path_items: bool) -> Value {
    match value {
        Value::Object(object) => {
            let mut out = Map::with_capacity(object.len());
            let skip_paths = !path_items && pointer == "/paths";
            for (key, child) in object.iter().filter(|(key, _)| !(skip_paths && key.starts_with('/'))) {
                let parent = pointer.len();
                push_token(pointer, key);
                let copy = match member(key, child, &pointer[..parent], pointer, name_map) {
                    Member::Walk(names) => view(child, pointer, names, path_items),
                    Member::Raw => child.clone(),
                    Member::Replaced(value) => value,
                };
                pointer.truncate(parent);
                out.insert(key.clone(), copy);
            }
            add_defaults(&mut out, pointer);
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let parent = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    let copy = view(item, pointer, false, path_items);
                    pointer.truncate(parent);
                    copy
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Appends `/token` to `pointer`, escaped as [`escape_token`] does.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    if token.contains(['~', '/']) {
        pointer.push_str(&escape_token(token));
    } else {
        pointer.push_str(token);
    }
}

/// What the structural model needs that a valid document may leave out, and what it must not see.
fn add_defaults(object: &mut Map<String, Value>, pointer: &str) {
    if pointer.is_empty() {
        // 3.1 makes `paths` optional.
        object.entry("paths").or_insert_with(|| Value::Object(Map::new()));
    }
    if pointer == "/components" {
        // Security schemes are read from the document by `security` (3.1's `mutualTLS` is
        // unknown to the 3.0 structural model and would reject the whole document).
        object.remove("securitySchemes");
    }
    if is_operation(pointer) && !object.contains_key("responses") {
        // 3.1 makes `responses` optional (3.0 documents without them are refused before any view
        // is built); none means no output schema.
        object.insert("responses".into(), Value::Object(Map::new()));
    }
}

/// Whether `pointer` is that of an operation: `{map of path items}/{key}/{method}`.
fn is_operation(pointer: &str) -> bool {
    PATH_ITEM_MAPS.iter().any(|items| {
        pointer.strip_prefix(items).and_then(|rest| rest.split_once('/')).is_some_and(|(_, m)| METHODS.contains(&m))
    })
}

/// The view of the node at `pointer` of the document `root`, as `view.pointer(pointer)` of the
/// whole view would give it; built from that node alone.
pub(super) fn at(root: &Value, pointer: &str) -> Option<Value> {
    let (mut node, mut node_pointer, mut name_map) = (root, String::new(), false);
    let mut rest = pointer;
    while let Some(after) = rest.strip_prefix('/') {
        let (token, tail) = after.find('/').map_or((after, ""), |cut| (&after[..cut], &after[cut..]));
        rest = tail;
        match node {
            Value::Object(object) => {
                // Unescaped as `Value::pointer` does.
                let key = crate::source_map::unescape_token(token);
                let key = key.as_ref();
                if node_pointer == "/components" && key == "securitySchemes" {
                    return None;
                }
                let child_pointer = format!("{node_pointer}/{}", escape_token(key));
                let Some(child) = object.get(key) else {
                    // Only the defaults of `add_defaults` are in the view without being written.
                    let added = (node_pointer.is_empty() && key == "paths")
                        || (is_operation(&node_pointer) && key == "responses");
                    return added
                        .then(|| Value::Object(Map::new()))
                        .and_then(|empty| crate::source_map::lookup(&empty, rest).cloned());
                };
                match member(key, child, &node_pointer, &child_pointer, name_map) {
                    Member::Walk(names) => (node, node_pointer, name_map) = (child, child_pointer, names),
                    Member::Raw => return crate::source_map::lookup(child, rest).cloned(),
                    Member::Replaced(value) => return crate::source_map::lookup(&value, rest).cloned(),
                }
            }
            Value::Array(items) => {
                let child = crate::source_map::array_index(token).and_then(|i| items.get(i))?;
                (node, node_pointer, name_map) = (child, format!("{node_pointer}/{token}"), false);
            }
            _ => return None,
        }
    }
    rest.is_empty().then(|| of(node, &node_pointer, name_map))
}

/// Parses the view of a path item. Directly, not through `openapiv3::Paths` as parsing the whole
/// document did: `ReferenceOr` makes its error message by parsing the value again on its own, so
/// the message is the same, and either way the error is located at `paths` (the flattened map
/// hides the key).
pub(super) fn path_item(view: Value) -> Result<ReferenceOr<PathItem>, serde_json::Error> {
    serde_json::from_value(view)
}

fn schema_ref(pointer: &str) -> Value {
    let mut object = Map::new();
    object.insert("$ref".into(), Value::String(format!("{SCHEMA_POINTER_PREFIX}{pointer}")));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node's view, built alone, is the node of the whole view.
    #[test]
    fn a_part_built_alone_equals_that_part_of_the_whole_view() {
        let doc: Value = serde_json::from_str(
            r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "paths": {"/a/{id}": {"parameters": [{"name": "id", "in": "path", "schema": {"type": "string"}}],
                          "get": {"callbacks": {"c": 1}, "x-y": {"schema": {}}},
                          "post": {"responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}, "examples": {"e": {"schema": 1}}}}}}}},
                          "x-ext": {"get": {}}},
                "webhooks": {"w": {"post": {}}},
                "components": {"schemas": {"A": {"type": "object"}}, "securitySchemes": {"k": {"type": "apiKey"}},
                               "parameters": {"schema": {"name": "schema", "in": "query", "schema": {"type": "string"}}},
                               "pathItems": {"p": {"get": {}}}}}"##,
        )
        .unwrap();
        let whole = of(&doc, "", false);
        let mut pointers = vec![String::new()];
        collect_pointers(&whole, "", &mut pointers);
        for extra in [
            "/paths/~1a~1{id}/get/responses",
            "/components/securitySchemes",
            "/nope",
            "x",
            "/paths/~1a~1{id}/parameters/00",
        ] {
            pointers.push(extra.to_owned());
        }
        for pointer in &pointers {
            assert_eq!(at(&doc, pointer).as_ref(), whole.pointer(pointer), "at {pointer}");
        }
        assert_eq!(whole.pointer("/paths/~1a~1{id}/get/responses"), Some(&serde_json::json!({})));
        assert_eq!(whole.pointer("/components/schemas/A/$ref"), Some(&"mcpgen-schema:/components/schemas/A".into()));
        assert!(whole.pointer("/components/securitySchemes").is_none());
        let mut without = without_path_items(&doc);
        assert_eq!(without.pointer("/paths").and_then(Value::as_object).map(|p| p.len()), Some(1), "x-ext stays");
        without["paths"] = whole["paths"].clone();
        assert_eq!(without, whole);
    }

    fn collect_pointers(value: &Value, pointer: &str, out: &mut Vec<String>) {
        let children: Vec<(String, &Value)> = match value {
            Value::Object(object) => {
                object.iter().map(|(k, v)| (format!("{pointer}/{}", escape_token(k)), v)).collect()
            }
            Value::Array(items) => items.iter().enumerate().map(|(i, v)| (format!("{pointer}/{i}"), v)).collect(),
            _ => Vec::new(),
        };
        for (child_pointer, child) in children {
            out.push(child_pointer.clone());
            collect_pointers(child, &child_pointer, out);
        }
    }
}
