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
mod structure;
pub mod swagger2;

use openapiv3::{OpenAPI, PathItem, ReferenceOr};
use rayon::prelude::*;
use serde_json::Value;

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
    /// The structure, with schemas replaced by `mcpgen-schema:<pointer>` references, except the
    /// items of `paths` (its extensions are there): those are read one at a time by
    /// [`Spec::path_items`], since holding all of them was most of a large spec's memory.
    pub api: OpenAPI,
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
        // 3.1 makes `responses` optional; the structural view adds an empty one (no output schema).
        if let (SpecVersion::V30, Some(pointer)) = (version, operations_without_responses(&doc.value).first()) {
            return Err(doc.at_key(
                pointer,
                Problem::error("mcpgen::spec::structure", "this operation has no `responses`, which OpenAPI 3.0 requires")
                    .with_help("add `responses:` with at least one status (e.g. `\"200\": {description: OK}`), or declare `openapi: 3.1.0`, where it is optional"),
                "no `responses`",
            ));
        }
        let api = parse_structure(&doc.value).map_err(|(pointer, inner)| {
            doc.at_key(
                &pointer,
                Problem::error("mcpgen::spec::structure", format!("invalid OpenAPI document: {inner}"))
                    .with_help("compare this part of the document with the OpenAPI specification"),
                "here",
            )
        })?;
        Ok(Self { doc, version, api })
    }

    /// The items of `paths` in document order (extension keys are not paths), each parsed into
    /// the structural model when the iterator reaches it; `None` for one that is not a path item.
    pub fn path_items(&self) -> impl Iterator<Item = (&String, Option<ReferenceOr<PathItem>>)> {
        self.raw_path_items().map(|(key, raw)| (key, Self::parse_path_item(key, raw)))
    }

    /// The keys and values of `paths` that [`Spec::path_items`] reads, unparsed.
    pub fn raw_path_items(&self) -> impl Iterator<Item = (&String, &Value)> {
        let items = self.doc.get("/paths").and_then(Value::as_object).into_iter().flatten();
        items.filter(|(key, _)| !key.starts_with("x-"))
    }

    /// The path item `raw` at `paths[key]` in the structural model; `None` if it is not one.
    pub fn parse_path_item(key: &str, raw: &Value) -> Option<ReferenceOr<PathItem>> {
        // A path (leading `/`) was checked while loading; another key is not a path for
        // `openapiv3`, and is read so that it is reported.
        read_path_item(key, raw).ok()
    }

    /// How many paths the document has.
    pub fn path_count(&self) -> usize {
        self.doc
            .get("/paths")
            .and_then(Value::as_object)
            .map_or(0, |items| items.keys().filter(|k| k.starts_with('/')).count())
    }

    /// The structural view of the node at `pointer`, for references to places `openapiv3` does
    /// not model as reusable (e.g. another operation's parameter).
    pub fn structure_at(&self, pointer: &str) -> Option<Value> {
        structure::at(&self.doc.value, pointer)
    }
}

/// Parses the structural view of `root`: everything but the path items at once, then each path
/// item alone. The error is the one parsing the whole view would give first: that of a part
/// before `paths` in document order, else that of the first path item that fails, else the rest's
/// (one at the end, such as a missing `info`). `(pointer, message)`.
fn parse_structure(root: &Value) -> Result<OpenAPI, (String, String)> {
    let items: Vec<(&String, &Value)> = root
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.starts_with('/'))
        .collect();
    // The rest and the path items are parsed at once, the path items on all cores; the path
    // items' error is the first in document order.
    let (rest, first_item_error) = rayon::join(
        || {
            serde_path_to_error::deserialize::<_, OpenAPI>(structure::without_path_items(root))
                .map_err(|err| (pointer_of_error_path(err.path()), err.into_inner().to_string()))
        },
        || {
            items.par_iter().find_map_first(|(key, item)| {
                read_path_item(key, item).err().map(|err| ("/paths".to_owned(), err.to_string()))
            })
        },
    );
    let keys: Vec<&String> = root.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    let position = |key: &str| keys.iter().position(|k| k.as_str() == key);
    let before_paths = |pointer: &str| {
        let first = pointer.split('/').nth(1).map(crate::source_map::unescape_token);
        match (first.and_then(|key| position(&key)), position("paths")) {
            (Some(at), Some(paths)) => at < paths,
            (Some(_), None) => true,
            (None, _) => false,
        }
    };
    if let Err((pointer, _)) = &rest
        && before_paths(pointer)
    {
        return rest;
    }
    match first_item_error {
        Some(error) => Err(error),
        None => rest,
    }
}

/// The path item `raw` at `paths[key]`, parsed from its structural view.
fn read_path_item(key: &str, raw: &Value) -> Result<ReferenceOr<PathItem>, serde_json::Error> {
    structure::path_item(structure::of(raw, &format!("/paths/{}", escape_token(key)), false))
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
        let item = s.path_items().find(|(key, _)| *key == "/a").and_then(|(_, item)| item).unwrap();
        let op = item.as_item().unwrap().get.as_ref().unwrap();
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
        let item = s.path_items().find(|(key, _)| *key == "/a").and_then(|(_, item)| item).unwrap();
        let op = item.as_item().unwrap().get.as_ref().unwrap();
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
    fn the_first_structural_error_in_document_order_is_reported() {
        // Path items are parsed one at a time, apart from the rest: the error must still be the
        // one parsing the whole document reports (a part before `paths`, else a path item, else
        // what is only found at the end, such as a missing field).
        let bad_path = "paths:\n  /a:\n    get:\n      parameters: [{name: q, in: bogus}]\n      responses: {}\n";
        let bad_component = "components:\n  parameters:\n    p: {name: q, in: nowhere}\n";
        let info = "info: {title: t, version: '1'}\n";
        let message = |text: String| spec(&text).unwrap_err().message;
        assert!(message(format!("openapi: 3.0.3\n{info}{bad_component}{bad_path}")).contains("`nowhere`"));
        assert!(message(format!("openapi: 3.0.3\n{info}{bad_path}{bad_component}")).contains("`bogus`"));
        assert!(message(format!("openapi: 3.0.3\n{bad_path}")).contains("`bogus`"));
        let good_path = "paths:\n  /a:\n    get: {responses: {}}\n";
        assert!(message(format!("openapi: 3.0.3\n{good_path}")).contains("missing field `info`"));
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
