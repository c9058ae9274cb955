//! Client schema profiles (issue 14, item 1): the input schemas a server lists reshaped for a
//! client whose function-calling rules are narrower than JSON Schema 2020-12, and the arguments
//! such a client sends put back in the shape of the schema the tool was generated with.
//!
//! A profile is chosen per server process (`--profile`, default from the manifest's
//! `server.profile`): MCP has no per-request way to ask for a schema dialect, and `tools/list`
//! pages are cached bytes (`pages`), so one listing per process keeps them so. The transform runs
//! when a tool is first listed, from the same assembled tool `portable` serves; the tool keeps
//! its original input schema, which validates every call after `Profile::arguments_back`, so a
//! call's upstream request is the one the portable schema would have produced for the same
//! intent (`runtime/tests/profiles.rs` checks that against a real upstream).
//!
//! `openai-strict` (OpenAI Structured Outputs' subset, docs/profiles.md has the rules and
//! sources): every object lists all its properties in `required` and has
//! `additionalProperties: false`; an optional property becomes nullable, and a `null` the client
//! sends for it is dropped before validation (it means "left out");
//! `allOf` is merged into one object, `oneOf` becomes `anyOf`, and `not`, `if`/`then`/`else`
//! and `dependent*` are left out (the server still checks them: the original schema validates);
//! a free-form map (an object without properties whose other keys are allowed) becomes an array
//! of `{key, value}` pairs, turned back into the object before validation.
//!
//! `gemini` (`profile_gemini.rs`): references inlined, one type per schema, string enums, safe
//! parameter names, Gemini's `Schema` fields only, and no output schemas. Mapping back is shared
//! (`back`): what either transform changed is undone where the generated schema says so.

use serde_json::{Map, Value, json};

/// The schema dialect a server lists its tools in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// JSON Schema 2020-12 as generated (Anthropic, Cursor and the MCP spec take it as it is).
    #[default]
    Portable,
    /// OpenAI function calling with `strict: true`.
    OpenaiStrict,
    /// Gemini function declarations (an OpenAPI 3.0 `Schema` subset).
    Gemini,
    /// Cursor: schemas as generated, names short enough beside the server's name, and no more
    /// tools listed than Cursor passes on to its agent.
    Cursor,
}

/// Keywords strict mode refuses and this transform leaves out (the original schema, which
/// validates each call, still applies them).
const LEFT_OUT: &[&str] = &["not", "if", "then", "else", "dependentRequired", "dependentSchemas"];
/// How many `$ref`s in a row are followed, and how deep compositions are searched for a value's
/// properties: a bound, so a definition that refers to itself cannot loop.
const MAX_DEPTH: usize = 32;
/// Tools Cursor passes on to its agent, at most.
const CURSOR_MAX_TOOLS: usize = 40;
/// Cursor refuses a tool whose server name and tool name together have this many characters.
const CURSOR_NAME_CHARS: usize = 60;
/// The shortest name a long one is cut to (readable part, `_` and a 6-digit hash): with less
/// room beside the server's name, names are listed as they are and the lint reports them.
const SHORT_NAME_CHARS: usize = 16;
/// The value types of a free-form map's entries, which strict mode cannot leave open.
const SCALARS: [&str; 4] = ["string", "number", "integer", "boolean"];

impl Profile {
    /// Every profile by its name on the command line and in the manifest. `anthropic` takes the
    /// schemas as generated (its rules are about names and the root, which every tool meets).
    pub const NAMES: [(&'static str, Profile); 5] = [
        ("portable", Profile::Portable),
        ("anthropic", Profile::Portable),
        ("cursor", Profile::Cursor),
        ("openai-strict", Profile::OpenaiStrict),
        ("gemini", Profile::Gemini),
    ];

    /// The profile called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    /// The input schema (self-contained, `$defs` at its root) as this profile lists it, or
    /// `None` when it lists the schema as written.
    pub fn input_schema(self, schema: &Map<String, Value>) -> Option<Map<String, Value>> {
        match self {
            Profile::Portable | Profile::Cursor => None,
            Profile::OpenaiStrict => {
                let defs = schema.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
                // The root stays the object of arguments, even one without properties (strict
                // mode cannot leave its keys open).
                let mut root = schema.clone();
                root.insert("type".into(), "object".into());
                root.entry("properties").or_insert_with(|| Value::Object(Map::new()));
                root.insert("additionalProperties".into(), Value::Bool(false));
                Some(limits::fit(strict_node(&root, &defs, &mut Vec::new())))
            }
            Profile::Gemini => Some(gemini::input(schema)),
        }
    }

    /// Whether this profile lists schemas other than the generated ones (and so maps what its
    /// client sends back).
    pub fn reshapes_schemas(self) -> bool {
        matches!(self, Profile::OpenaiStrict | Profile::Gemini)
    }

    /// Whether tools list their output schemas. Gemini reads one as a `response` schema of its
    /// own subset, and MCP requires `structuredContent` to match the listed schema, which a
    /// reshaped one (`nullable` in place of `"null"`, string enums) would not; so the `gemini`
    /// profile lists none, and results keep `structuredContent`, checked against the schema
    /// as generated.
    pub fn lists_output_schemas(self) -> bool {
        self != Profile::Gemini
    }

    /// The most tools this profile's client passes on to its agent, if it cuts the list: Cursor
    /// sends only the first 40 (<https://docs.cursor.com/context/model-context-protocol>), so a
    /// larger server is served on the discovery surface (`discovery::resolve`).
    pub fn max_tools(self) -> Option<usize> {
        (self == Profile::Cursor).then_some(CURSOR_MAX_TOOLS)
    }

    /// The name tool `name` of server `server` is listed under, when this profile's client would
    /// refuse `name` itself: Cursor filters out a tool whose name and its server's together reach
    /// 60 characters, so a longer one is cut and given a suffix from a hash of the whole name
    /// (`create_a_very_long_name_for_a_repository_webhook_subscription` beside `github-mcp` →
    /// `create_a_very_long_name_for_a_repository_w_71538e`),
    /// which `Registry::get` finds the tool by, beside its own name. `None`: listed as it is,
    /// also when the server's name leaves too little room for a name an agent could read.
    pub fn tool_name(self, server: &str, name: &str) -> Option<String> {
        if self != Profile::Cursor {
            return None;
        }
        let room = CURSOR_NAME_CHARS.checked_sub(1 + server.chars().count())?;
        if name.chars().count() <= room || room < SHORT_NAME_CHARS {
            return None;
        }
        use sha2::Digest;
        let digest = sha2::Sha256::digest(name.as_bytes());
        let suffix: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
        let kept: String = name.chars().take(room - 1 - suffix.len()).collect();
        Some(format!("{}_{suffix}", kept.trim_end_matches(['_', '-'])))
    }

    /// `arguments` as a client of this profile sends them, in the shape `original` (the tool's
    /// schema as generated) describes: what [`Profile::input_schema`] changed, undone.
    pub fn arguments_back(self, original: &Map<String, Value>, arguments: Map<String, Value>) -> Map<String, Value> {
        match self {
            Profile::Portable | Profile::Cursor => arguments,
            Profile::OpenaiStrict => {
                // On every call of a profiled server: the schema is read in place, never copied.
                let none = Map::new();
                let defs = original.get("$defs").and_then(Value::as_object).unwrap_or(&none);
                let mut views = Vec::new();
                map_views(original, defs, 0, &mut views);
                match back_in(&views, Value::Object(arguments), defs) {
                    Value::Object(map) => map,
                    _ => unreachable!("an object maps back to an object"),
                }
            }
            Profile::Gemini => {
                let names = gemini::parameter_names(original);
                let renamed = arguments
                    .into_iter()
                    .map(|(name, value)| match names.iter().find(|(_, served)| *served == name) {
                        Some((generated, _)) => (generated.clone(), value),
                        None => (name, value),
                    })
                    .collect();
                Profile::OpenaiStrict.arguments_back(original, renamed)
            }
        }
    }
}

/// The local definition a `$ref` names (`#/$defs/Name`), following references to references.
fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    let mut schema = schema;
    for _ in 0..MAX_DEPTH {
        match ref_name(schema).and_then(|name| lookup(defs, &name)) {
            Some(def) => schema = def,
            None => return schema,
        }
    }
    schema
}

/// Whether `schema` describes objects.
fn is_object(schema: &Map<String, Value>) -> bool {
    let typed = match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
        _ => false,
    };
    typed || schema.contains_key("properties")
}

/// Whether `schema` is a free-form map: an object with no properties whose other keys are allowed
/// (one whose composition's parts say more is not: its parts carry the properties).
fn is_map(schema: &Map<String, Value>) -> bool {
    is_object(schema)
        && schema.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty)
        && schema.get("additionalProperties") != Some(&Value::Bool(false))
        && !["$ref", "anyOf", "oneOf", "allOf"].iter().any(|k| schema.contains_key(*k))
}

/// Keywords that describe a schema without constraining it: an `allOf` of one reference and
/// parts of only these is the reference with them beside it (`{"$ref": …, "description": …}`).
const ANNOTATIONS: &[&str] = &["description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"];

/// What a local `$ref` below `#/$defs/` names, as its pointer (`Name`, or `Name/definitions/Inner`
/// for a draft-07 `definitions` nested in a definition).
fn ref_name(schema: &Value) -> Option<String> {
    Some(schema.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?.to_owned())
}

/// The schema at `pointer` (from [`ref_name`]) among `defs`.
fn lookup<'a>(defs: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    // JSON pointer tokens: `~1` is `/`, `~0` is `~`.
    let unescape = |token: &str| token.replace("~1", "/").replace("~0", "~");
    let mut tokens = pointer.split('/');
    let mut at = defs.get(&unescape(tokens.next()?))?;
    for token in tokens {
        at = match at {
            Value::Object(map) => map.get(&unescape(token))?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// `allOf`'s parts merged into `schema`: properties and `required` joined, any other keyword
/// taken from the first part that has it; referenced parts are inlined, except a definition
/// already being inlined on the way here (`path`), which stays a `$ref` beside the merged
/// keywords (a recursive definition would otherwise be inlined forever). Returns the merged
/// schema and the definitions it inlined.
fn merge_all_of(
    schema: &Map<String, Value>,
    defs: &Map<String, Value>,
    path: &[String],
) -> (Map<String, Value>, Vec<String>) {
    let mut merged = schema.clone();
    let Some(Value::Array(parts)) = merged.shift_remove("allOf") else { return (merged, Vec::new()) };
    let annotation =
        |part: &Value| part.as_object().is_some_and(|m| m.keys().all(|k| ANNOTATIONS.contains(&k.as_str())));
    let references: Vec<&Value> = parts.iter().filter(|p| p.get("$ref").is_some()).collect();
    if let [reference] = references.as_slice()
        && !merged.contains_key("$ref")
        && parts.iter().all(|p| p.get("$ref").is_some() || annotation(p))
    {
        merged.insert("$ref".into(), reference["$ref"].clone());
        for part in parts.iter().filter_map(Value::as_object) {
            for (key, value) in part {
                merged.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        return (merged, Vec::new());
    }
    let mut inlined: Vec<String> = Vec::new();
    for part in &parts {
        let part = match ref_name(part) {
            Some(name) if path.contains(&name) || inlined.contains(&name) => {
                merged.entry("$ref").or_insert_with(|| part["$ref"].clone());
                continue;
            }
            Some(name) => match lookup(defs, &name) {
                Some(Value::Object(def)) => {
                    inlined.push(name);
                    def
                }
                // Nothing to inline (a reference outside the definitions): it stays one.
                _ => {
                    merged.entry("$ref").or_insert_with(|| part["$ref"].clone());
                    continue;
                }
            },
            None => match part {
                Value::Object(part) => part,
                _ => continue,
            },
        };
        let seen: Vec<String> = path.iter().chain(&inlined).cloned().collect();
        let (part, more) = merge_all_of(part, defs, &seen);
        inlined.extend(more);
        for (key, value) in part {
            match (key.as_str(), merged.get_mut(&key), value) {
                ("properties", Some(Value::Object(into)), Value::Object(from)) => {
                    for (name, property) in from {
                        into.entry(name).or_insert(property);
                    }
                }
                ("required", Some(Value::Array(into)), Value::Array(from)) => {
                    for name in from {
                        if !into.contains(&name) {
                            into.push(name);
                        }
                    }
                }
                ("$defs", _, _) => {}
                (_, None, value) => {
                    merged.insert(key, value);
                }
                _ => {}
            }
        }
    }
    (merged, inlined)
}

/// One schema in strict form (see the module's rules); `path`: the definitions inlined on the
/// way here.
fn strict(schema: &Value, defs: &Map<String, Value>, path: &mut Vec<String>) -> Value {
    match schema {
        Value::Object(map) => Value::Object(strict_node(map, defs, path)),
        // `true` is any value; strict mode has no such schema, and `{}` is the nearest.
        Value::Bool(true) => json!({}),
        other => other.clone(),
    }
}

fn strict_node(schema: &Map<String, Value>, defs: &Map<String, Value>, path: &mut Vec<String>) -> Map<String, Value> {
    let (mut node, inlined) = merge_all_of(schema, defs, path);
    let mark = path.len();
    path.extend(inlined);
    if let Some(one_of) = node.shift_remove("oneOf") {
        node.entry("anyOf").or_insert(one_of);
    }
    for keyword in LEFT_OUT {
        node.shift_remove(*keyword);
    }
    // An object whose branches carry its properties: closing it here would refuse every key the
    // branches declare (`additionalProperties` does not see them), so the branches, closed each,
    // say what it is.
    let bare = node.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty);
    if bare && node.contains_key("anyOf") && node.get("type") == Some(&json!("object")) {
        for keyword in ["type", "properties", "required", "additionalProperties"] {
            node.shift_remove(keyword);
        }
    }
    if is_map(&node) {
        node = pairs(&node, defs, path);
    } else {
        strict_children(&mut node, defs, path);
    }
    path.truncate(mark);
    node
}

/// The subschemas of `node` in strict form, and `node` itself closed if it is an object.
fn strict_children(node: &mut Map<String, Value>, defs: &Map<String, Value>, path: &mut Vec<String>) {
    let required: Vec<String> = node
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    for (key, sub) in node.iter_mut() {
        match (key.as_str(), sub) {
            ("items" | "additionalProperties" | "contains", sub @ Value::Object(_)) => *sub = strict(sub, defs, path),
            ("anyOf" | "prefixItems", Value::Array(parts)) => {
                parts.iter_mut().for_each(|part| *part = strict(part, defs, path));
            }
            ("$defs" | "definitions", Value::Object(all)) => {
                all.values_mut().for_each(|def| *def = strict(def, defs, path));
            }
            ("properties", Value::Object(properties)) => {
                for (name, property) in properties.iter_mut() {
                    let strict = strict(property, defs, path);
                    *property = if required.contains(name) { strict } else { nullable(strict) };
                }
            }
            _ => {}
        }
    }
    if is_object(node) {
        strict_object(node);
    }
}

/// Every property required, no others allowed: what strict mode asks of each object.
fn strict_object(node: &mut Map<String, Value>) {
    let names: Vec<Value> = node
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().map(Value::String).collect())
        .unwrap_or_default();
    node.insert("required".into(), Value::Array(names));
    node.insert("additionalProperties".into(), Value::Bool(false));
}

/// A free-form map as an array of `{key, value}` pairs.
fn pairs(map: &Map<String, Value>, defs: &Map<String, Value>, path: &mut Vec<String>) -> Map<String, Value> {
    let value = match map.get("additionalProperties") {
        Some(schema @ Value::Object(_)) => strict(schema, defs, path),
        _ => json!({"type": SCALARS}),
    };
    let note = "Given as key/value pairs.";
    let description = match map.get("description").and_then(Value::as_str) {
        Some(text) => format!("{text} {note}"),
        None => note.to_owned(),
    };
    let mut out = Map::new();
    out.insert("type".into(), "array".into());
    out.insert("description".into(), description.into());
    out.insert(
        "items".into(),
        json!({
            "type": "object",
            "properties": {"key": {"type": "string"}, "value": value},
            "required": ["key", "value"],
            "additionalProperties": false,
        }),
    );
    out
}

/// `schema` also accepting `null` (the way strict mode writes an optional property). An
/// `x-mcp-header` annotation goes: it is valid on a primitive `type` only, and 2026-07-28 clients
/// drop the whole tool over an invalid one (the Python SDK does), so such an optional argument is
/// no longer mirrored into a request header for this client.
fn nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else { return schema };
    map.shift_remove("x-mcp-header");
    match map.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = std::mem::take(t);
            map.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push("null".into());
            }
        }
        Some(_) => return Value::Object(map),
        None => {
            if let Some(Value::Array(any)) = map.get_mut("anyOf") {
                if !any.iter().any(|s| s.get("type").is_some_and(|t| t == "null")) {
                    any.push(json!({"type": "null"}));
                }
                return Value::Object(map);
            }
            return json!({"anyOf": [Value::Object(map), {"type": "null"}]});
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(map)
}

/// The object schemas that may declare a value's properties: `schema` and its composition's parts.
fn object_views<'a>(
    schema: &'a Value,
    defs: &'a Map<String, Value>,
    depth: usize,
    out: &mut Vec<&'a Map<String, Value>>,
) {
    if let Value::Object(map) = resolve(schema, defs) {
        map_views(map, defs, depth, out);
    }
}

/// `map` and the object schemas of its composition's parts (see [`object_views`]).
fn map_views<'a>(
    map: &'a Map<String, Value>,
    defs: &'a Map<String, Value>,
    depth: usize,
    out: &mut Vec<&'a Map<String, Value>>,
) {
    out.push(map);
    if depth >= MAX_DEPTH {
        return;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for part in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            object_views(part, defs, depth + 1, out);
        }
    }
}

/// `value` from a strict client, in the shape of `schema` as generated.
/// Recursion follows `value`, whose depth the JSON parser bounds (128 levels).
fn back(schema: &Value, value: Value, defs: &Map<String, Value>) -> Value {
    let mut views = Vec::new();
    object_views(schema, defs, 0, &mut views);
    back_in(&views, value, defs)
}

/// `value` in the shape of the object schemas `views` (one schema and its composition's parts).
fn back_in(views: &[&Map<String, Value>], value: Value, defs: &Map<String, Value>) -> Value {
    match value {
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, item) in object {
                let declared: Vec<(&Value, bool)> = views
                    .iter()
                    .filter_map(|view| {
                        let property = view.get("properties")?.get(&key)?;
                        let required =
                            view.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|n| n == &key));
                        Some((property, required))
                    })
                    .collect();
                // A strict client sends null for every optional argument it means to leave out,
                // so null there means "absent", even where the schema also takes null: sending it
                // on would clear the field of a PATCH the agent never meant to touch. (Such a
                // field cannot be set to null through this profile.)
                let optional_null =
                    item.is_null() && !declared.is_empty() && declared.iter().all(|(_, required)| !required);
                if optional_null {
                    continue;
                }
                let item = match declared.first() {
                    Some((property, _)) => back(property, item, defs),
                    None => item,
                };
                out.insert(key, item);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            if let Some(map) = views.iter().find(|view| is_map(view)) {
                let entry = map.get("additionalProperties").filter(|s| s.is_object());
                let as_pairs =
                    items.iter().all(|i| i.get("key").is_some_and(Value::is_string) && i.get("value").is_some());
                if as_pairs {
                    let mut out = Map::new();
                    for pair in items {
                        let Value::Object(mut pair) = pair else { continue };
                        let (Some(Value::String(key)), Some(value)) =
                            (pair.shift_remove("key"), pair.shift_remove("value"))
                        else {
                            continue;
                        };
                        let value = match entry {
                            Some(schema) => back(schema, value, defs),
                            None => value,
                        };
                        out.insert(key, value);
                    }
                    return Value::Object(out);
                }
                return Value::Array(items);
            }
            match views.iter().find_map(|view| view.get("items")) {
                Some(schema) => Value::Array(items.into_iter().map(|i| back(schema, i, defs)).collect()),
                None => Value::Array(items),
            }
        }
        Value::String(text) => string_back(views, text, defs),
        other => other,
    }
}

/// A string from a profile that cannot say what the generated schema says: an enum value of
/// another type written as text (`"3"` for `3`), or a value asked for as JSON text (Gemini's
/// recursive definitions). Left as it is wherever the generated schema takes the string.
fn string_back(views: &[&Map<String, Value>], text: String, defs: &Map<String, Value>) -> Value {
    let as_string = Value::String(text);
    if views.is_empty() {
        return as_string;
    }
    let enums = views.iter().filter_map(|view| view.get("enum").and_then(Value::as_array)).flatten();
    let mut enums = enums.peekable();
    if enums.peek().is_some() {
        let values: Vec<&Value> = enums.collect();
        if values.contains(&&as_string) {
            return as_string;
        }
        // `"3"` stands for the enum's `3`: the value the text is the JSON of.
        let parsed: Option<Value> = serde_json::from_str(as_string.as_str().unwrap_or_default()).ok();
        return match values.into_iter().find(|v| !v.is_string() && Some(*v) == parsed.as_ref()) {
            Some(value) => value.clone(),
            None => as_string,
        };
    }
    let takes_string = views.iter().any(|view| match view.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        None => !view.contains_key("properties") && !view.contains_key("items") && !view.contains_key("anyOf"),
        _ => false,
    });
    if takes_string {
        return as_string;
    }
    match serde_json::from_str::<Value>(as_string.as_str().unwrap_or_default()) {
        Ok(parsed @ (Value::Object(_) | Value::Array(_))) => back_in(views, parsed, defs),
        _ => as_string,
    }
}

#[path = "profile_gemini.rs"]
mod gemini;
#[path = "profile_limits.rs"]
pub mod limits;
pub use gemini::FIELDS as GEMINI_FIELDS;
#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
