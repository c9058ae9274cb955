//! OpenAPI schemas → self-contained JSON Schema 2020-12.
//!
//! A tool's schema must stand alone: MCP clients cannot follow references into the OpenAPI
//! document. Every `#/components/schemas/X` reference becomes `#/$defs/X`, and the referenced schema
//! is converted once into the converter's definitions; cycles therefore terminate and shared schemas
//! are not inlined again and again. One converter serves a whole spec and direction (issue 13): each
//! definition is converted once, and [`SchemaConverter::tracked`] tells which definitions a tool's
//! schemas touched, so `ir::defs` can give each tool the ones it needs from one shared table.
//! OpenAPI 3.0 keywords are rewritten to their 2020-12 meaning.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::SpecVersion;
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// Whether a schema describes what the client sends or what it gets back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Tool input: `readOnly` properties are dropped (the server sets them).
    Input,
    /// Tool output: `writeOnly` properties are dropped (the server never returns them).
    Output,
}

/// Keywords whose value is one schema.
pub(crate) const SUBSCHEMA: &[&str] = &[
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
/// Keywords whose value is an array of schemas.
pub(crate) const SUBSCHEMA_ARRAYS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is a map of schemas.
pub(crate) const SUBSCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "dependentSchemas"];
/// OpenAPI-only keywords with no JSON Schema meaning; clients and validators would only trip on them.
const DROPPED: &[&str] = &["xml", "externalDocs", "nullable", "example"];

/// Converts schemas of one spec in one direction, collecting the `$defs` they need (memoised).
pub struct SchemaConverter<'a> {
    doc: &'a Document,
    version: SpecVersion,
    direction: Direction,
    /// Converted definitions by name; `None` while a definition is being converted (cycle guard).
    defs: BTreeMap<String, Option<Value>>,
    /// Pointer of each definition, to keep names unique when different pointers sanitise alike.
    def_pointers: BTreeMap<String, String>,
    problems: Vec<Problem>,
    /// Definitions each definition's conversion referred to, in the order met (repeats kept).
    visits: BTreeMap<String, Vec<String>>,
    /// Problems found while converting each definition itself (not those of definitions below it).
    def_problems: BTreeMap<String, Vec<Problem>>,
    /// Definitions referred to by each conversion in progress (innermost last).
    frames: Vec<Vec<String>>,
    /// `allOf` merges skipped because a part was still being converted (a cycle), so far.
    skipped_merges: usize,
    /// Definitions holding such skipped merges, retried once their conversion round is done.
    deferred: Vec<String>,
    /// Properties left out of the object being converted (they must leave `required` too).
    hidden: Vec<String>,
}

/// What converting a tool's schemas touched (see [`SchemaConverter::tracked`]).
pub struct Touched {
    /// Definitions referred to directly, in the order met (repeats kept).
    pub defs: Vec<String>,
    /// Problems found in the converted schemas themselves (not in the definitions they refer to).
    pub problems: Vec<Problem>,
}

impl<'a> SchemaConverter<'a> {
    /// A converter for schemas of `doc` in the given direction.
    pub fn new(doc: &'a Document, version: SpecVersion, direction: Direction) -> Self {
        Self {
            doc,
            version,
            direction,
            defs: BTreeMap::new(),
            def_pointers: BTreeMap::new(),
            problems: Vec::new(),
            visits: BTreeMap::new(),
            def_problems: BTreeMap::new(),
            frames: Vec::new(),
            skipped_merges: 0,
            deferred: Vec::new(),
            hidden: Vec::new(),
        }
    }

    /// Runs `convert` (conversions with this converter) and reports which definitions it referred
    /// to directly and the problems of the converted schemas themselves. Definitions met for the
    /// first time are converted (once for the converter's lifetime); their own references and
    /// problems are kept per definition ([`Self::visits`], [`Self::take_problems`]).
    pub fn tracked<T>(&mut self, convert: impl FnOnce(&mut Self) -> T) -> (T, Touched) {
        self.frames.push(Vec::new());
        let start = self.problems.len();
        let value = convert(self);
        let problems = self.problems.split_off(start);
        let defs = self.frames.pop().unwrap_or_default();
        if self.frames.is_empty() {
            self.retry_merges();
        }
        (value, Touched { defs, problems })
    }

    /// Merges the `allOf`s that a cycle kept from merging while their parts were being converted.
    /// A per-tool converter merged or not depending on where the tool entered the cycle; a shared
    /// definition must not depend on which tool met it first, so each one is merged as far as it
    /// can be (the same schemas in meaning, and smaller).
    fn retry_merges(&mut self) {
        let mut deferred = std::mem::take(&mut self.deferred);
        deferred.dedup();
        // Definitions may wait on each other; a few rounds settle any chain seen in practice.
        for _ in 0..4 {
            let mut changed = false;
            for name in &deferred {
                let Some(Some(mut value)) = self.defs.remove(name) else { continue };
                let before = value.clone();
                self.merge_within(&mut value);
                changed |= value != before;
                self.defs.insert(name.clone(), Some(value));
            }
            if !changed {
                break;
            }
        }
    }

    /// Applies [`Self::merge_all_of`] to every schema in `value`, innermost first.
    fn merge_within(&self, value: &mut Value) {
        let Value::Object(object) = value else { return };
        for (key, child) in object.iter_mut() {
            if SUBSCHEMA.contains(&key.as_str()) {
                self.merge_within(child);
            } else if SUBSCHEMA_ARRAYS.contains(&key.as_str())
                && let Value::Array(items) = child
            {
                items.iter_mut().for_each(|item| self.merge_within(item));
            } else if SUBSCHEMA_MAPS.contains(&key.as_str())
                && let Value::Object(entries) = child
            {
                entries.values_mut().for_each(|entry| self.merge_within(entry));
            }
        }
        self.merge_all_of(object, true);
    }

    /// The converted definition `name`, once its conversion has finished.
    pub fn definition(&self, name: &str) -> Option<&Value> {
        self.defs.get(name).and_then(Option::as_ref)
    }

    /// The definitions that converting `name` referred to directly, in the order met.
    pub fn visits(&self, name: &str) -> &[String] {
        self.visits.get(name).map_or(&[], Vec::as_slice)
    }

    /// The problems found in definition `name` itself, handed out once (later calls get none).
    pub fn take_problems(&mut self, name: &str) -> Vec<Problem> {
        self.def_problems.remove(name).unwrap_or_default()
    }

    /// Converts the schema at `pointer`. When it is a plain `$ref`, the referenced schema itself is
    /// converted (so the result is an inline schema, as an MCP root schema must be).
    pub fn convert_root(&mut self, pointer: &str) -> Value {
        let target = self.follow_refs(pointer);
        self.convert_at(&target)
    }

    /// Converts the schema at `pointer` as it is written.
    pub fn convert_at(&mut self, pointer: &str) -> Value {
        match self.doc.get(pointer) {
            Some(value) => {
                let value = value.clone();
                self.convert(&value, pointer)
            }
            None => Value::Object(Map::new()),
        }
    }

    /// The pointer a chain of plain `$ref`s at `pointer` ends at.
    pub fn follow_refs(&mut self, pointer: &str) -> String {
        let mut current = pointer.to_owned();
        let mut seen = BTreeSet::new();
        while let Some(reference) = self.doc.get(&current).and_then(|v| v.get("$ref")).and_then(Value::as_str) {
            let reference = reference.to_owned();
            match self.resolve_local(&reference, &current, false) {
                Some(next) if seen.insert(next.clone()) => current = next,
                _ => break,
            }
        }
        current
    }

    /// Whether the (dereferenced) schema at `pointer` is an object schema.
    pub fn is_object_schema(&mut self, pointer: &str) -> bool {
        self.is_object_at(pointer, 0)
    }

    /// An object type, properties without a type, or an `allOf` of object schemas.
    fn is_object_at(&mut self, pointer: &str, depth: usize) -> bool {
        let target = self.follow_refs(pointer);
        let Some(schema) = self.doc.get(&target) else { return false };
        match schema.get("type") {
            Some(Value::String(t)) => t == "object" && schema.get("nullable") != Some(&Value::Bool(true)),
            Some(_) => false,
            None if schema.get("properties").is_some() => true,
            None => match schema.get("allOf").and_then(Value::as_array).map(Vec::len) {
                Some(parts) if parts > 0 && depth < 8 => {
                    (0..parts).all(|i| self.is_object_at(&format!("{target}/allOf/{i}"), depth + 1))
                }
                _ => false,
            },
        }
    }

    /// Finishes: every definition converted (sorted by name) and every problem found.
    #[cfg(test)]
    pub fn finish(mut self) -> (Map<String, Value>, Vec<Problem>) {
        let defs = self.defs.into_iter().map(|(name, value)| (name, value.unwrap_or(Value::Bool(true)))).collect();
        self.problems.extend(self.def_problems.into_values().flatten());
        (defs, self.problems)
    }

    fn convert(&mut self, schema: &Value, pointer: &str) -> Value {
        let Value::Object(object) = schema else {
            // `true`/`false` schemas (3.1) are already JSON Schema.
            return schema.clone();
        };
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let converted_ref = self.convert_ref(reference, pointer);
            // 3.0 ignores siblings of `$ref`; 3.1 (JSON Schema 2020-12) applies them.
            if self.version == SpecVersion::V30 || object.len() == 1 {
                return converted_ref;
            }
            let mut merged = self.convert_keywords(object, pointer);
            if let (Value::Object(target), Some(r)) = (&mut merged, converted_ref.get("$ref")) {
                target.insert("$ref".into(), r.clone());
            }
            return merged;
        }
        self.convert_keywords(object, pointer)
    }

    fn convert_keywords(&mut self, object: &Map<String, Value>, pointer: &str) -> Value {
        let outer_hidden = std::mem::take(&mut self.hidden);
        let mut out = self.convert_keywords_inner(object, pointer);
        let hidden = std::mem::replace(&mut self.hidden, outer_hidden);
        if let (Value::Object(map), false) = (&mut out, hidden.is_empty())
            && let Some(Value::Array(required)) = map.get_mut("required")
        {
            required.retain(|name| name.as_str().is_none_or(|n| !hidden.iter().any(|h| h == n)));
            if required.is_empty() {
                map.remove("required");
            }
        }
        out
    }

    fn convert_keywords_inner(&mut self, object: &Map<String, Value>, pointer: &str) -> Value {
        let mut out = Map::new();
        for (key, value) in object {
            let child = format!("{pointer}/{}", escape_token(key));
            if key == "$ref" || key.starts_with("x-") || DROPPED.contains(&key.as_str()) {
                continue;
            }
            let converted = if SUBSCHEMA.contains(&key.as_str()) && (value.is_object() || value.is_boolean()) {
                self.convert(value, &child)
            } else if SUBSCHEMA_ARRAYS.contains(&key.as_str()) && value.is_array() {
                let items = value.as_array().into_iter().flatten().enumerate();
                Value::Array(items.map(|(i, item)| self.convert(item, &format!("{child}/{i}"))).collect())
            } else if SUBSCHEMA_MAPS.contains(&key.as_str()) && value.is_object() {
                self.convert_map(key, value, &child)
            } else if key == "exclusiveMinimum" || key == "exclusiveMaximum" {
                match value {
                    // 3.0: a boolean that turns `minimum`/`maximum` exclusive.
                    Value::Bool(true) => {
                        let bound = if key == "exclusiveMinimum" { "minimum" } else { "maximum" };
                        match object.get(bound) {
                            Some(limit) => limit.clone(),
                            None => continue,
                        }
                    }
                    Value::Bool(false) => continue,
                    other => other.clone(),
                }
            } else {
                value.clone()
            };
            out.insert(key.clone(), converted);
        }
        // A 3.0 exclusive bound replaces the inclusive one it was derived from.
        for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
            if object.get(exclusive) == Some(&Value::Bool(true)) {
                out.remove(bound);
            }
        }
        if let Some(example) = object.get("example") {
            out.entry("examples").or_insert_with(|| Value::Array(vec![example.clone()]));
        }
        if object.get("nullable") == Some(&Value::Bool(true)) {
            make_nullable(&mut out);
        }
        if let Some(Value::Object(discriminator)) = out.get_mut("discriminator") {
            self.rewrite_mapping(discriminator, pointer);
        }
        if !self.merge_all_of(&mut out, false) {
            self.skipped_merges += 1;
        }
        Value::Object(out)
    }

    /// Discriminator mappings name schemas of the document; point them at the tool's `$defs`.
    fn rewrite_mapping(&mut self, discriminator: &mut Map<String, Value>, pointer: &str) {
        let Some(Value::Object(mapping)) = discriminator.get_mut("mapping") else { return };
        for target in mapping.values_mut() {
            let Value::String(reference) = target else { continue };
            let local = if reference.starts_with('#') {
                reference.clone()
            } else {
                format!("#/components/schemas/{reference}")
            };
            let Some(resolved) = self.resolve_local(&local, &format!("{pointer}/discriminator"), false) else {
                continue;
            };
            *reference = format!("#/$defs/{}", escape_token(&self.def_name(&resolved)));
        }
    }

    /// `allOf` of plain object schemas (the usual "base + extension" pattern) becomes one object
    /// schema, which clients and models handle far better. Anything else is left as written.
    /// Returns `false` only when a part was still being converted (the merge may work later).
    /// With `strict`, a part that still has an `allOf` of its own is not merged (see
    /// [`is_plain_object`]). A referenced part larger than [`MERGED_DEF_BYTES`] is not copied in.
    fn merge_all_of(&self, schema: &mut Map<String, Value>, strict: bool) -> bool {
        let Some(Value::Array(parts)) = schema.get("allOf") else { return true };
        if let Some(reference) = annotated_reference(schema, parts) {
            // `allOf: [{$ref: X}, {description: …}]` is how OpenAPI 3.0, which ignores a
            // `$ref`'s siblings, gives a reference a description of its own. In 2020-12 siblings
            // apply, so it is written as `{$ref: X, description: …}`: a copy of X would nest
            // copies (AWS Amplify UI Builder's `ActionParameters` became 670 KB of a 127 KB
            // spec's 789 KB table, each property a copy of `ComponentProperty`).
            let Some(Value::Array(parts)) = schema.remove("allOf") else { return true };
            schema.insert("$ref".into(), Value::String(reference));
            for (key, value) in parts
                .into_iter()
                .filter_map(|p| match p {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .flatten()
            {
                if key != "$ref" {
                    schema.entry(key).or_insert(value);
                }
            }
            return true;
        }
        let mut resolved = Vec::with_capacity(parts.len());
        for part in parts {
            let body = match part.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
                Some(name) if part.as_object().is_some_and(|o| o.len() == 1) => {
                    match self.defs.get(crate::source_map::unescape_token(name).as_ref()) {
                        Some(Some(def)) if json_len(def) > MERGED_DEF_BYTES => return true,
                        Some(Some(def)) => def,
                        Some(None) => return false, // still being converted (a cycle): not safe to inline
                        None => return true,
                    }
                }
                _ => part,
            };
            match body.as_object().filter(|o| is_plain_object(o) && !(strict && o.contains_key("allOf"))) {
                Some(object) => resolved.push(object),
                None => return true,
            }
        }
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        let own = [&*schema];
        for object in own.into_iter().chain(resolved.iter().copied()) {
            for (name, property) in object.get("properties").and_then(Value::as_object).into_iter().flatten() {
                match properties.get(name) {
                    Some(existing) if existing != property => return true, // conflicting definitions
                    _ => {
                        properties.insert(name.clone(), property.clone());
                    }
                }
            }
            for name in object.get("required").and_then(Value::as_array).into_iter().flatten() {
                if !required.contains(name) {
                    required.push(name.clone());
                }
            }
        }
        schema.remove("allOf");
        schema.insert("type".into(), Value::from("object"));
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        true
    }

    fn convert_map(&mut self, key: &str, value: &Value, pointer: &str) -> Value {
        let mut out = Map::new();
        let Value::Object(entries) = value else { return value.clone() };
        for (name, schema) in entries {
            let child = format!("{pointer}/{}", escape_token(name));
            if key == "properties" && self.is_hidden_property(schema, &child) {
                self.hidden.push(name.clone());
                continue;
            }
            out.insert(name.clone(), self.convert(schema, &child));
        }
        Value::Object(out)
    }

    /// `readOnly` properties are not inputs; `writeOnly` ones are not outputs.
    fn is_hidden_property(&mut self, schema: &Value, pointer: &str) -> bool {
        let flag = match self.direction {
            Direction::Input => "readOnly",
            Direction::Output => "writeOnly",
        };
        let target = if schema.get("$ref").is_some() { self.follow_refs(pointer) } else { pointer.to_owned() };
        self.doc.get(&target).and_then(|s| s.get(flag)) == Some(&Value::Bool(true))
            || schema.get(flag) == Some(&Value::Bool(true))
    }

    fn convert_ref(&mut self, reference: &str, pointer: &str) -> Value {
        let Some(target) = self.resolve_local(reference, pointer, true) else {
            return Value::Object(Map::new());
        };
        let name = self.def_name(&target);
        if let Some(frame) = self.frames.last_mut() {
            frame.push(name.clone());
        }
        if !self.defs.contains_key(&name) {
            self.defs.insert(name.clone(), None);
            // The definition's own references and problems are recorded apart from its referrer's.
            self.frames.push(Vec::new());
            let start = self.problems.len();
            let skipped = self.skipped_merges;
            let converted = self.convert_at(&target);
            if self.skipped_merges > skipped {
                self.deferred.push(name.clone());
            }
            let own = self.problems.split_off(start);
            let visits = self.frames.pop().unwrap_or_default();
            self.visits.insert(name.clone(), visits);
            if !own.is_empty() {
                self.def_problems.insert(name.clone(), own);
            }
            self.defs.insert(name.clone(), Some(converted));
        }
        let mut out = Map::new();
        out.insert("$ref".into(), Value::String(format!("#/$defs/{}", escape_token(&name))));
        Value::Object(out)
    }

    /// Resolves a local reference to a JSON pointer; with `report`, problems are recorded at the
    /// `$ref` (lookahead callers pass `false` so each problem is reported once, by `convert`).
    fn resolve_local(&mut self, reference: &str, pointer: &str, report: bool) -> Option<String> {
        let ref_pointer = format!("{pointer}/$ref");
        // References to other files were bundled (or reported) when the spec was loaded.
        let fragment = reference.strip_prefix('#')?;
        let target = percent_decode(fragment);
        if self.doc.get(&target).is_none() {
            // Inside the bundle, a missing target is a file that could not be read: already reported.
            let in_unreadable_file = target.starts_with(&format!("/{}/", super::bundle::BUNDLE_KEY));
            if !report || in_unreadable_file {
                return None;
            }
            self.problems.push(
                self.doc.at_value(
                    &ref_pointer,
                    Problem::error(
                        "mcpgen::spec::unresolved_ref",
                        format!("reference `{reference}` points at nothing"),
                    )
                    .with_help("check the spelling of the referenced component; references are case-sensitive"),
                    "unresolved reference",
                ),
            );
            return None;
        }
        Some(target)
    }

    /// `$defs` name for the schema at `pointer`: the component name for `#/components/schemas/X`,
    /// a name derived from the pointer otherwise; made unique when two pointers give the same name.
    fn def_name(&mut self, pointer: &str) -> String {
        let unescape = |token: &str| crate::source_map::unescape_token(token).into_owned();
        let base = match pointer.strip_prefix("/components/schemas/") {
            Some(name) if !name.contains('/') => unescape(name),
            // A schema from a bundled file is named by its last pointer token (`pet.yaml#/Pet` → `Pet`).
            _ if pointer.starts_with(&format!("/{}/", super::bundle::BUNDLE_KEY)) => {
                unescape(pointer.rsplit('/').next().unwrap_or_default()).replace(['/', '.'], "_")
            }
            _ => pointer.trim_start_matches('/').replace(['/', '~'], "_"),
        };
        let mut name = base.clone();
        let mut n = 2;
        while let Some(existing) = self.def_pointers.get(&name) {
            if existing == pointer {
                return name;
            }
            name = format!("{base}_{n}");
            n += 1;
        }
        self.def_pointers.insert(name.clone(), pointer.to_owned());
        name
    }
}

/// Keywords that annotate a schema without constraining it.
const ANNOTATIONS: &[&str] = &["description", "title", "deprecated"];

/// The one local reference of an `allOf` whose other parts, and the schema around it, only
/// annotate it (see [`SchemaConverter::merge_all_of`]).
fn annotated_reference(schema: &Map<String, Value>, parts: &[Value]) -> Option<String> {
    let annotates = |map: &Map<String, Value>| map.keys().all(|k| ANNOTATIONS.contains(&k.as_str()));
    if !schema.keys().all(|k| k == "allOf" || ANNOTATIONS.contains(&k.as_str())) {
        return None;
    }
    let mut reference = None;
    for part in parts {
        let part = part.as_object()?;
        match part.get("$ref").and_then(Value::as_str) {
            Some(target) if part.len() == 1 && reference.is_none() && target.starts_with("#/$defs/") => {
                reference = Some(target.to_owned());
            }
            _ if annotates(part) => {}
            _ => return None,
        }
    }
    reference
}

/// An object schema made only of properties and annotations: safe to merge into another.
///
/// A part that still has an `allOf` of its own (one that could not be merged) passes too, and
/// merging it drops the constraints of its parts — a known defect (Microsoft Graph's `contact`
/// loses `outlookItem` and `entity`), kept as it was because fixing it changes the schemas served
/// for 1,407 of Graph's 11,422 tools and leaves 620 more without an output schema (over 64 KB);
/// see docs/architecture.md. Only the retried merges ([`SchemaConverter::retry_merges`]) refuse
/// such parts, so that a retry never drops more than the per-tool converter did.
fn is_plain_object(schema: &Map<String, Value>) -> bool {
    let object_type = schema.get("type").is_none_or(|t| t == "object");
    object_type
        && schema
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "properties" | "required" | "description" | "title" | "allOf"))
}

/// Adds `null` to a schema's type (and enum), the 2020-12 spelling of 3.0's `nullable: true`.
fn make_nullable(schema: &mut Map<String, Value>) {
    match schema.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            schema.insert("type".into(), Value::Array(vec![Value::String(t), Value::from("null")]));
        }
        Some(Value::Array(types)) if !types.contains(&Value::from("null")) => types.push(Value::from("null")),
        _ => {}
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// Decodes `%xx` escapes of a URI fragment (references may percent-encode pointer characters).
pub(crate) fn percent_decode(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = fragment.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Largest referenced definition (compact JSON bytes) that merging an `allOf` copies into the
/// schema. Copies nest: AWS WAF's `Rule` merged `Statement` (87 KB, itself merged from its
/// statements), and its table was 52 MB for a 480 KB spec. A larger part stays a `$ref`, written
/// once in the definitions table; the "base + extension" objects the merge is for are small.
const MERGED_DEF_BYTES: usize = 4_096;

/// Length of `value` as compact JSON, without building the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(text: &str) -> Document {
        Document::parse("s.yaml", text.to_owned()).unwrap()
    }

    #[test]
    fn nullable_example_and_exclusive_bounds_become_2020_12() {
        let d = doc(
            "components:\n  schemas:\n    N:\n      type: integer\n      nullable: true\n      minimum: 1\n      exclusiveMinimum: true\n      example: 5\n      enum: [5, 6]\n",
        );
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let out = c.convert_root("/components/schemas/N");
        assert_eq!(
            out,
            json!({"type": ["integer", "null"], "exclusiveMinimum": 1, "examples": [5], "enum": [5, 6, null]})
        );
    }

    #[test]
    fn all_of_copies_small_bases_in_and_leaves_large_ones_referenced() {
        let many = (0..200).map(|i| format!("        p{i}: {{type: string}}\n")).collect::<String>();
        let text = format!(
            "components:\n  schemas:\n    Small:\n      type: object\n      properties:\n        id: {{type: string}}\n    Large:\n      type: object\n      properties:\n{many}    A:\n      allOf:\n        - $ref: '#/components/schemas/Small'\n        - type: object\n          properties:\n            name: {{type: string}}\n    B:\n      allOf:\n        - $ref: '#/components/schemas/Large'\n        - type: object\n          properties:\n            name: {{type: string}}\n"
        );
        let d = doc(&text);
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let small = c.convert_at("/components/schemas/A");
        assert_eq!(small["properties"].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "name"]);
        assert!(small.get("allOf").is_none());
        let large = c.convert_at("/components/schemas/B");
        assert_eq!(large["allOf"][0], json!({"$ref": "#/$defs/Large"}), "{large}");
    }

    #[test]
    fn all_of_that_only_describes_a_reference_stays_a_reference() {
        let d = doc(
            "components:\n  schemas:\n    Small:\n      type: object\n      properties:\n        id: {type: string}\n    P:\n      type: object\n      properties:\n        a:\n          allOf:\n            - $ref: '#/components/schemas/Small'\n            - description: The first.\n",
        );
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let out = c.convert_at("/components/schemas/P");
        assert_eq!(out["properties"]["a"], json!({"$ref": "#/$defs/Small", "description": "The first."}));
    }

    #[test]
    fn recursive_schemas_terminate_through_defs() {
        let d = doc(
            "components:\n  schemas:\n    Node:\n      type: object\n      properties:\n        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n",
        );
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let out = c.convert_at("/components/schemas/Node");
        assert_eq!(out["properties"]["children"]["items"], json!({"$ref": "#/$defs/Node"}));
        let (defs, problems) = c.finish();
        assert!(problems.is_empty());
        assert_eq!(defs["Node"]["properties"]["children"]["items"], json!({"$ref": "#/$defs/Node"}));
    }

    #[test]
    fn read_only_is_dropped_from_inputs_and_write_only_from_outputs() {
        let d = doc(
            "s:\n  type: object\n  required: [id, name]\n  properties:\n    id: {type: integer, readOnly: true}\n    name: {type: string}\n    secret: {type: string, writeOnly: true}\n",
        );
        let input = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input).convert_at("/s");
        assert_eq!(input["properties"].as_object().unwrap().keys().collect::<Vec<_>>(), ["name", "secret"]);
        let output = SchemaConverter::new(&d, SpecVersion::V30, Direction::Output).convert_at("/s");
        assert_eq!(output["properties"].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "name"]);
    }

    #[test]
    fn hidden_properties_leave_required_too() {
        let d = doc(
            "s:\n  type: object\n  required: [id, name]\n  properties:\n    id: {type: integer, readOnly: true}\n    name: {type: string}\n",
        );
        let input = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input).convert_at("/s");
        assert_eq!(input["required"], json!(["name"]));
        let output = SchemaConverter::new(&d, SpecVersion::V30, Direction::Output).convert_at("/s");
        assert_eq!(output["required"], json!(["id", "name"]));
    }

    #[test]
    fn ref_siblings_apply_in_3_1_and_are_ignored_in_3_0() {
        let d = doc("a: {$ref: '#/b', description: more}\nb: {type: string}\n");
        let v31 = SchemaConverter::new(&d, SpecVersion::V31, Direction::Input).convert_at("/a");
        assert_eq!(v31, json!({"description": "more", "$ref": "#/$defs/b"}));
        let v30 = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input).convert_at("/a");
        assert_eq!(v30, json!({"$ref": "#/$defs/b"}));
    }

    #[test]
    fn unresolved_local_refs_are_reported_at_the_ref_and_file_refs_left_to_the_bundler() {
        let d =
            doc("a:\n  properties:\n    x: {$ref: '#/components/schemas/Missing'}\n    y: {$ref: 'other.yaml#/Y'}\n");
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let out = c.convert_at("/a");
        let (_, problems) = c.finish();
        let codes: Vec<_> = problems.iter().map(|p| (p.code, p.position().unwrap())).collect();
        assert_eq!(codes, [("mcpgen::spec::unresolved_ref", "s.yaml:3:15".to_owned())]);
        assert_eq!(out["properties"]["y"], json!({}), "an unbundled file reference accepts anything");
    }

    #[test]
    fn all_of_plain_objects_are_merged_and_others_kept() {
        let d = doc(
            "components:\n  schemas:\n    Base: {type: object, required: [id], properties: {id: {type: string}}}\n    Dog:\n      allOf:\n        - $ref: '#/components/schemas/Base'\n        - {type: object, properties: {bark: {type: boolean}}}\n    Odd:\n      allOf:\n        - $ref: '#/components/schemas/Base'\n        - {type: object, additionalProperties: false}\n",
        );
        let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
        let dog = c.convert_root("/components/schemas/Dog");
        assert_eq!(
            dog,
            json!({"type": "object", "properties": {"id": {"type": "string"}, "bark": {"type": "boolean"}}, "required": ["id"]})
        );
        let odd = c.convert_root("/components/schemas/Odd");
        assert!(odd.get("allOf").is_some(), "additionalProperties makes merging unsafe: {odd}");
    }

    #[test]
    fn shared_definitions_do_not_depend_on_where_a_cycle_was_entered() {
        let d = doc(
            "components:\n  schemas:\n    Base: {type: object, properties: {child: {$ref: '#/components/schemas/Dog'}}}\n    Dog:\n      allOf:\n        - $ref: '#/components/schemas/Base'\n        - {type: object, properties: {bark: {type: boolean}}}\nroots:\n  base: {$ref: '#/components/schemas/Base'}\n  dog: {$ref: '#/components/schemas/Dog'}\n",
        );
        let dog_after = |first: &str| {
            let mut c = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input);
            let _ = c.tracked(|c| c.convert_at(first));
            let _ = c.tracked(|c| c.convert_at("/roots/dog"));
            c.definition("Dog").cloned().unwrap()
        };
        let dog = dog_after("/roots/base");
        assert_eq!(dog, dog_after("/roots/dog"));
        assert!(dog.get("allOf").is_none(), "merged once the cycle's parts are done: {dog}");
    }

    #[test]
    fn discriminators_are_kept_with_mappings_into_defs() {
        let d = doc(
            "components:\n  schemas:\n    Cat: {type: object}\n    Pet:\n      oneOf: [{$ref: '#/components/schemas/Cat'}]\n      discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat', other: Cat}}\n",
        );
        let out = SchemaConverter::new(&d, SpecVersion::V30, Direction::Input).convert_root("/components/schemas/Pet");
        assert_eq!(
            out["discriminator"],
            json!({"propertyName": "kind", "mapping": {"cat": "#/$defs/Cat", "other": "#/$defs/Cat"}})
        );
        assert_eq!(out["oneOf"], json!([{"$ref": "#/$defs/Cat"}]));
    }

    #[test]
    fn percent_encoded_fragments_are_decoded() {
        assert_eq!(percent_decode("/paths/~1a%7Bb%7D"), "/paths/~1a{b}");
        assert_eq!(percent_decode("/x%2"), "/x%2");
    }
}
