//! Loading and normalising OpenAPI documents.
//!
//! `openapiv3` models OpenAPI 3.0 only, and its schema model is lossy for JSON Schema output. So
//! the document is split: the *structure* (paths, operations, parameters, bodies, responses) is
//! parsed by `openapiv3` after every schema object has been replaced by a reference to its own JSON
//! pointer, and the *schemas* are read from the raw document by [`schema`], which writes JSON
//! Schema 2020-12 for 3.0 and 3.1 alike. Both views keep pointers, so every problem has a span.

pub mod bundle;
pub mod operations;
pub mod paths;
pub mod schema;
pub mod security;
pub mod swagger2;

use openapiv3::OpenAPI;
use serde_json::{Map, Value};

use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::{escape_token, pointer_of_error_path};

/// Prefix of the references that stand in for schemas in the structural view.
pub const SCHEMA_POINTER_PREFIX: &str = "mcpgen-schema:";

/// Which OpenAPI dialect a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    /// OpenAPI 3.0.x: `nullable`, boolean `exclusiveMinimum`, `example`, `$ref` siblings ignored.
    V30,
    /// OpenAPI 3.1.x: schemas are JSON Schema 2020-12.
    V31,
}

/// A loaded OpenAPI document: the raw document and its structural view.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The raw document (source text, spans, value).
    pub doc: Document,
    /// The dialect.
    pub version: SpecVersion,
    /// The structure, with schemas replaced by `mcpgen-schema:<pointer>` references.
    pub api: OpenAPI,
    /// The same structure as a value, for references to places `openapiv3` does not model as
    /// reusable (e.g. another operation's parameter).
    pub structure: Value,
}

impl Spec {
    /// Checks the version and parses the structure of `doc`.
    pub fn from_document(doc: Document) -> Result<Self, Problem> {
        let doc = if doc.get("/swagger").and_then(Value::as_str) == Some("2.0") {
            let converted = swagger2::convert(&doc.value);
            doc.converted(converted, swagger2::original_pointer)
        } else {
            doc
        };
        let version = detect_version(&doc)?;
        let mut structural = structure_of(&doc.value, "", false);
        let without_responses = operations_without_responses(&structural);
        match (version, without_responses.first()) {
            (SpecVersion::V30, Some(pointer)) => {
                return Err(doc.at_key(
                    pointer,
                    Problem::error("mcpgen::spec::structure", "this operation has no `responses`, which OpenAPI 3.0 requires")
                        .with_help("add `responses:` with at least one status (e.g. `\"200\": {description: OK}`), or declare `openapi: 3.1.0`, where it is optional"),
                    "no `responses`",
                ));
            }
            // 3.1 makes `responses` optional; the structural model wants it (none: no output schema).
            _ => without_responses.iter().for_each(|pointer| {
                if let Some(Value::Object(operation)) = structural.pointer_mut(pointer) {
                    operation.insert("responses".into(), Value::Object(Map::new()));
                }
            }),
        }
        if let Value::Object(root) = &mut structural {
            // 3.1 makes `paths` optional; the structural model wants it.
            root.entry("paths").or_insert_with(|| Value::Object(Map::new()));
            // Security schemes are read from the document by `security` (3.1's `mutualTLS` is
            // unknown to the 3.0 structural model and would reject the whole document).
            if let Some(Value::Object(components)) = root.get_mut("components") {
                components.remove("securitySchemes");
            }
        }
        let api: OpenAPI = serde_path_to_error::deserialize(&structural).map_err(|err| {
            let pointer = pointer_of_error_path(err.path());
            let inner = err.into_inner().to_string();
            doc.at_key(
                &pointer,
                Problem::error("mcpgen::spec::structure", format!("invalid OpenAPI document: {inner}"))
                    .with_help("compare this part of the document with the OpenAPI specification"),
                "here",
            )
        })?;
        Ok(Self { doc, version, api, structure: structural })
    }
}

/// Pointers of the operations (under `paths`, `webhooks` and `components.pathItems`) that have no
/// `responses`.
fn operations_without_responses(root: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for items in ["/paths", "/webhooks", "/components/pathItems"] {
        let Some(Value::Object(items_map)) = root.pointer(items) else { continue };
        for (key, item) in items_map {
            let Value::Object(item) = item else { continue };
            for method in operations::METHODS {
                if let Some(Value::Object(operation)) = item.get(*method)
                    && !operation.contains_key("responses")
                {
                    found.push(format!("{items}/{}/{method}", escape_token(key)));
                }
            }
        }
    }
    found
}

fn detect_version(doc: &Document) -> Result<SpecVersion, Problem> {
    if let Some(other) = doc.get("/swagger") {
        return Err(doc.at_value(
            "/swagger",
            Problem::error("mcpgen::spec::version", format!("unsupported Swagger version {other}"))
                .with_help("mcpgen reads Swagger 2.0 and OpenAPI 3.0.x / 3.1.x documents"),
            "unsupported version",
        ));
    }
    match doc.get("/openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(SpecVersion::V30),
        Some(v) if v.starts_with("3.1.") || v == "3.1" => Ok(SpecVersion::V31),
        Some(other) => Err(doc.at_value(
            "/openapi",
            Problem::error("mcpgen::spec::version", format!("unsupported OpenAPI version `{other}`"))
                .with_help("mcpgen reads OpenAPI 3.0.x and 3.1.x documents"),
            "unsupported version",
        )),
        None => Err(doc.at_key(
            "",
            Problem::error("mcpgen::spec::version", "this is not an OpenAPI document: no `openapi` field").with_help(
                "add `openapi: 3.0.3` (or 3.1.0) at the top level, or check that the right file is referenced",
            ),
            "expected `openapi: 3.x.y`",
        )),
    }
}

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

/// A copy of `value` with every schema object replaced by `{"$ref": "mcpgen-schema:<pointer>"}`, so
/// the structural parser never sees schema syntax (which differs between 3.0 and 3.1). Built
/// while copying rather than by cloning the whole document first: schemas are most of a large
/// spec, and a full clone was the peak of loading Microsoft Graph beta (issue 13).
fn structure_of(value: &Value, pointer: &str, name_map: bool) -> Value {
    match value {
        Value::Object(object) => {
            let mut out = Map::with_capacity(object.len());
            for (key, child) in object {
                let child_pointer = format!("{pointer}/{}", escape_token(key));
                let copy = if name_map {
                    // Under a name map, `parameters` of a path item is an array, others are objects.
                    structure_of(child, &child_pointer, false)
                } else if key == bundle::BUNDLE_KEY && pointer.is_empty() {
                    // Files bundled from relative references: each is walked like a document.
                    structure_of(child, &child_pointer, true)
                } else if key == "callbacks" {
                    // Callbacks describe requests the API makes, never tools: not parsed at all, so a
                    // malformed one cannot reject an otherwise valid spec.
                    Value::Object(Map::new())
                } else if key.starts_with("x-") || key == "example" || key == "examples" {
                    // Vendor extensions and examples are free-form; leave them alone.
                    child.clone()
                } else if key == "schema" && child.is_object() {
                    schema_ref(&child_pointer)
                } else if let (true, Value::Object(schemas)) =
                    (key == "schemas" && pointer.ends_with("/components"), child)
                {
                    let refs = schemas
                        .keys()
                        .map(|name| (name.clone(), schema_ref(&format!("{child_pointer}/{}", escape_token(name)))));
                    Value::Object(refs.collect())
                } else if key == "schemas" && pointer.ends_with("/components") {
                    child.clone()
                } else {
                    let is_map = NAME_MAPS.contains(&key.as_str()) && child.is_object();
                    structure_of(child, &child_pointer, is_map)
                };
                out.insert(key.clone(), copy);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| structure_of(item, &format!("{pointer}/{index}"), false))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn schema_ref(pointer: &str) -> Value {
    let mut object = Map::new();
    object.insert("$ref".into(), Value::String(format!("{SCHEMA_POINTER_PREFIX}{pointer}")));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Spec, Problem> {
        Spec::from_document(Document::parse("t.yaml", text.to_owned()).unwrap())
    }

    #[test]
    fn schemas_become_pointer_references_in_3_1() {
        let s = spec(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: query, schema: {type: [string, 'null']}}\n      responses: {'200': {description: ok}}\n",
        )
        .unwrap();
        assert_eq!(s.version, SpecVersion::V31);
        let op = s.api.paths.paths["/a"].as_item().unwrap().get.as_ref().unwrap();
        let param = op.parameters[0].as_item().unwrap().parameter_data_ref();
        match &param.format {
            openapiv3::ParameterSchemaOrContent::Schema(openapiv3::ReferenceOr::Reference { reference }) => {
                assert_eq!(reference, "mcpgen-schema:/paths/~1a/get/parameters/0/schema");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn swagger_2_is_converted_and_problems_point_into_the_original() {
        let s = spec("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\ndefinitions:\n  A: {type: object}\n")
            .unwrap();
        assert_eq!(s.version, SpecVersion::V30);
        assert!(s.doc.get("/components/schemas/A").is_some());
        let located = s.doc.at_key("/components/schemas/A", Problem::error("x", "y"), "here");
        assert_eq!(located.position().as_deref(), Some("t.yaml:5:3"));
        let err = spec("swagger: '1.2'\ninfo: {title: t, version: '1'}\n").unwrap_err();
        assert_eq!(err.code, "mcpgen::spec::version");
    }

    #[test]
    fn responses_are_optional_in_3_1_and_a_located_error_in_3_0() {
        let body = "info: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: a\nwebhooks:\n  w: {post: {}}\n";
        let s = spec(&format!("openapi: 3.1.0\n{body}")).unwrap();
        let op = s.api.paths.paths["/a"].as_item().unwrap().get.as_ref().unwrap();
        assert!(op.responses.responses.is_empty());
        let err = spec(&format!("openapi: 3.0.3\n{body}")).unwrap_err();
        assert!(err.message.contains("no `responses`, which OpenAPI 3.0 requires"), "{}", err.message);
        assert_eq!(err.position().as_deref(), Some("t.yaml:5:5"), "at the operation, not at `paths`");
    }

    #[test]
    fn structural_errors_point_at_the_offending_key() {
        let err = spec("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: q, in: nowhere}\n      responses: {}\n")
            .unwrap_err();
        assert_eq!(err.code, "mcpgen::spec::structure");
        assert!(err.message.contains("nowhere"), "{}", err.message);
        assert!(err.position().unwrap().starts_with("t.yaml:"), "{:?}", err.position());
    }

    #[test]
    fn callbacks_are_ignored_even_when_malformed() {
        let s = spec(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      callbacks: {hook: '#/components/callbacks/x'}\n      responses: {'200': {description: ok}}\n",
        );
        assert!(s.is_ok(), "{:?}", s.err());
    }

    #[test]
    fn a_parameter_named_schema_is_not_mistaken_for_a_schema() {
        let s = spec("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  parameters:\n    schema: {name: schema, in: query, schema: {type: string}}\n").unwrap();
        assert!(s.api.components.unwrap().parameters["schema"].as_item().is_some());
    }
}
