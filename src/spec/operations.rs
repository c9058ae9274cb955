//! The operations of a spec, with parameters, bodies and responses resolved and checked.
//!
//! This is still the spec's view (names and pointers as written); the IR decides tool names and
//! schemas from it. Constructs that generated servers cannot call yet are reported as warnings
//! naming the operation, and the operation is left out rather than exposed half-working.

use std::borrow::Cow;
use std::collections::BTreeMap;

use indexmap::IndexMap;
use openapiv3::{
    Parameter, ParameterSchemaOrContent, PathItem, PathStyle, QueryStyle, ReferenceOr, RequestBody, Response,
    StatusCode,
};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::paths;
use super::schema::percent_decode;
use super::{SCHEMA_POINTER_PREFIX, Spec};
use crate::definition::{BodyEncoding, FieldEncoding, ParamLocation, ParamStyle};
use crate::diagnostics::Problem;
use crate::source_map::escape_token;

/// HTTP methods in the order they are read from a path item.
pub(super) const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// Path template, e.g. `/pets/{petId}`.
    pub path: String,
    /// JSON pointer of the operation object.
    pub pointer: String,
    /// `operationId`, when the spec gives one.
    pub operation_id: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Tags, in spec order.
    pub tags: Vec<String>,
    /// Whether the spec marks the operation deprecated.
    pub deprecated: bool,
    /// Path-item and operation parameters (operation-level ones win).
    pub params: Vec<SpecParam>,
    /// The request body the server will send, if any.
    pub body: Option<SpecBody>,
    /// The first 2xx response with a JSON schema, if any.
    pub success: Option<SpecResponse>,
    /// Headers every request of the operation carries (lower-case names): `accept` from the
    /// success responses' media types, and `accept` / `content-type` values the spec requires
    /// through header parameters (which OpenAPI otherwise ignores).
    pub headers: BTreeMap<String, String>,
    /// Problems found in this operation. When one is an unsupported construct, `supported` is false.
    pub problems: Vec<Problem>,
    /// Whether the server can call this operation.
    pub supported: bool,
}

impl SpecOperation {
    /// `GET /pets/{petId}`: how manifests and messages name an operation without an id.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// One parameter.
#[derive(Debug, Clone)]
pub struct SpecParam {
    /// Name on the wire.
    pub name: String,
    /// Location.
    pub location: ParamLocation,
    /// Whether it is required (path parameters always are).
    pub required: bool,
    /// Description.
    pub description: Option<String>,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
    /// Serialisation style.
    pub style: ParamStyle,
    /// Whether arrays are exploded.
    pub explode: bool,
    /// Pointer of its schema in the raw document.
    pub schema: Option<String>,
    /// `x-mcp-header` extension: clients mirror the argument in an `Mcp-Param-<name>` HTTP header.
    pub mcp_header: Option<String>,
}

/// The request body.
#[derive(Debug, Clone)]
pub struct SpecBody {
    /// Media type to send.
    pub content_type: String,
    /// Pointer of its schema.
    pub schema: Option<String>,
    /// Whether it is required.
    pub required: bool,
    /// Description.
    pub description: Option<String>,
    /// How the body is written on the wire, from its media type.
    pub encoding: BodyEncoding,
    /// Per-property encodings of form and multipart bodies (the media type's `encoding` map).
    pub fields: Vec<FieldEncoding>,
}

/// The success response.
#[derive(Debug, Clone)]
pub struct SpecResponse {
    /// Status code as written (`200`, `2XX`).
    pub status: String,
    /// Pointer of its JSON schema.
    pub schema: Option<String>,
}

/// Reads every operation of `spec`, in path then method order, with the problems found outside
/// operations (problems inside one are kept on the operation, so excluding it silences them).
pub fn operations(spec: &Spec) -> (Vec<SpecOperation>, Vec<Problem>) {
    // Keys come from the raw document: the structural parser drops keys that do not start with `/`,
    // and an operation must never disappear without a diagnostic. Path items are read on all
    // cores (each is parsed into the structural model again here: a tenth of a large spec's
    // generation), and joined in document order.
    let items: Vec<(&String, &Value)> = spec.raw_path_items().collect();
    let read: Vec<(Vec<SpecOperation>, Vec<Problem>)> = items
        .par_iter()
        .map(|(path, raw)| path_item_operations(spec, path, Spec::parse_path_item(path, raw)))
        .collect();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (operations, item_problems) in read {
        out.extend(operations);
        problems.extend(item_problems);
    }
    (out, problems)
}

/// The operations of the path item at `path` (`entry`: `None` when it is not a path item), and
/// the problems found outside them.
fn path_item_operations(
    spec: &Spec,
    path: &str,
    entry: Option<ReferenceOr<PathItem>>,
) -> (Vec<SpecOperation>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let key_at = format!("/paths/{}", escape_token(path));
    let path_problems: Vec<Problem> =
        paths::check(path).into_iter().map(|p| spec.doc.at_key(&key_at, p, "path key")).collect();
    let path_is_refused = path_problems.iter().any(Problem::is_error);
    let Some(entry) = entry else {
        // Not a path item either: nothing to expose, but the key is still wrong.
        problems.extend(path_problems);
        return (out, problems);
    };
    // A path item may be a reference (3.1 `components/pathItems`, or another path's item).
    let (item, item_pointer): (Cow<'_, PathItem>, String) = match &entry {
        ReferenceOr::Item(item) => (Cow::Borrowed(item), key_at.clone()),
        ReferenceOr::Reference { reference } => {
            let mut target = reference.strip_prefix('#').map(percent_decode);
            // Follow chains of path-item references (bounded, so a cycle ends).
            for _ in 0..8 {
                let next = target
                    .as_deref()
                    .and_then(|p| spec.structure_at(p))
                    .and_then(|mut v| v.get_mut("$ref").map(Value::take));
                match next.as_ref().and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
                    Some(fragment) => target = Some(percent_decode(fragment)),
                    None => break,
                }
            }
            let resolved = target
                .as_deref()
                .and_then(|p| spec.structure_at(p))
                .and_then(|v| serde_json::from_value::<PathItem>(v).ok());
            match (resolved, target) {
                (Some(item), Some(target)) => (Cow::Owned(item), target),
                _ => {
                    let at = format!("/paths/{}/$ref", escape_token(path));
                    let problem = Problem::error(
                        "mcpgen::spec::unresolved_ref",
                        format!("path item reference `{reference}` does not point at a path item of this document"),
                    )
                    .with_help("reference a path item in this document, e.g. `#/components/pathItems/Name`");
                    problems.push(spec.doc.at_value(&at, problem, "unresolved reference"));
                    return (out, problems);
                }
            }
        }
    };
    for &method in METHODS {
        let operation = match method {
            "get" => &item.get,
            "put" => &item.put,
            "post" => &item.post,
            "delete" => &item.delete,
            "options" => &item.options,
            "head" => &item.head,
            "patch" => &item.patch,
            _ => &item.trace,
        };
        let Some(operation) = operation else { continue };
        let pointer = format!("{item_pointer}/{method}");
        let mut ctx = Reader {
            spec,
            pointer: &pointer,
            problems: path_problems.clone(),
            skip: path_is_refused,
            declared: BTreeMap::new(),
        };
        let params = ctx.params(&item.parameters, &operation.parameters, &item_pointer);
        if !path_is_refused {
            ctx.check_templates(path, &params, &key_at);
        }
        let body = operation.request_body.as_ref().and_then(|b| ctx.body(b));
        let (success, media) = ctx.success(&operation.responses.responses);
        let headers = negotiation_headers(&media, std::mem::take(&mut ctx.declared), body.is_some());
        out.push(SpecOperation {
            method: method.to_uppercase(),
            path: path.to_owned(),
            pointer: pointer.clone(),
            operation_id: operation.operation_id.clone(),
            summary: operation.summary.clone().filter(|s| !s.trim().is_empty()),
            description: operation.description.clone().filter(|s| !s.trim().is_empty()),
            tags: operation.tags.clone(),
            deprecated: operation.deprecated,
            params,
            body,
            success,
            headers,
            supported: !ctx.skip,
            problems: ctx.problems,
        });
    }
    (out, problems)
}

struct Reader<'a> {
    spec: &'a Spec,
    pointer: &'a str,
    problems: Vec<Problem>,
    /// Set when the operation cannot be exposed; the warnings say why.
    skip: bool,
    /// Values fixed by required `Accept` / `Content-Type` header parameters (lower-case names).
    declared: BTreeMap<String, String>,
}

impl Reader<'_> {
    /// Every `{name}` of the path must be one of the operation's path parameters, or the request
    /// goes out with the literal template in it.
    fn check_templates(&mut self, path: &str, params: &[SpecParam], key_at: &str) {
        let Ok(names) = paths::templates(path) else { return };
        for name in names {
            if !params.iter().any(|p| p.location == ParamLocation::Path && p.name == name) {
                let problem = Problem::warning(
                    paths::UNUSUAL_PATH,
                    format!("`{{{name}}}` in the path is not declared as a path parameter of this operation"),
                )
                .with_help(format!(
                    "add `{{name: {name}, in: path, required: true, schema: {{type: string}}}}` to its parameters"
                ));
                self.problems.push(self.spec.doc.at_key(key_at, problem, "path key"));
            }
        }
    }

    fn params(
        &mut self,
        shared: &[ReferenceOr<Parameter>],
        own: &[ReferenceOr<Parameter>],
        item_pointer: &str,
    ) -> Vec<SpecParam> {
        let mut by_key: IndexMap<(String, ParamLocation), SpecParam> = IndexMap::new();
        let sources = shared.iter().enumerate().map(|(i, p)| (p, format!("{item_pointer}/parameters/{i}")));
        let sources =
            sources.chain(own.iter().enumerate().map(|(i, p)| (p, format!("{}/parameters/{i}", self.pointer))));
        for (param, at) in sources.collect::<Vec<_>>() {
            let components = self.spec.api.components.as_ref().map(|c| &c.parameters);
            let Some(param) = self.resolve(param, components, "parameters", &at) else { continue };
            if let Some(mut p) = self.param(&param, &at) {
                p.description = self.ref_description(&at).or(p.description);
                // An operation-level parameter overrides a path-level one with the same name and location.
                by_key.insert((p.name.clone(), p.location), p);
            }
        }
        by_key.into_values().collect()
    }

    fn param(&mut self, param: &Parameter, at: &str) -> Option<SpecParam> {
        let (location, style) = match param {
            Parameter::Query { style, .. } => (
                ParamLocation::Query,
                match style {
                    QueryStyle::Form => ParamStyle::Form,
                    QueryStyle::SpaceDelimited => ParamStyle::SpaceDelimited,
                    QueryStyle::PipeDelimited => ParamStyle::PipeDelimited,
                    QueryStyle::DeepObject => ParamStyle::DeepObject,
                },
            ),
            Parameter::Path { style, .. } => (
                ParamLocation::Path,
                match style {
                    PathStyle::Simple => ParamStyle::Simple,
                    PathStyle::Label => ParamStyle::Label,
                    PathStyle::Matrix => ParamStyle::Matrix,
                },
            ),
            Parameter::Header { .. } => (ParamLocation::Header, ParamStyle::Simple),
            Parameter::Cookie { .. } => (ParamLocation::Cookie, ParamStyle::Form),
        };
        let data = param.parameter_data_ref();
        // OpenAPI: header parameters named Accept, Content-Type or Authorization are ignored, so
        // they never become arguments. Some APIs insist on them anyway: a required Accept or
        // Content-Type with a value the spec fixes (default, enum, const, example) is sent as is.
        let lower = data.name.to_ascii_lowercase();
        if location == ParamLocation::Header && ["accept", "content-type", "authorization"].contains(&lower.as_str()) {
            if data.required
                && lower != "authorization"
                && let Some(value) = self.declared_value(&data.format, data.example.as_ref(), &format!("{at}/schema"))
            {
                self.declared.insert(lower, value);
            }
            return None;
        }
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => schema_pointer(schema, &format!("{at}/schema")),
            ParameterSchemaOrContent::Content(content) => content.iter().next().and_then(|(media, m)| {
                m.schema
                    .as_ref()
                    .and_then(|s| schema_pointer(s, &format!("{at}/content/{}/schema", escape_token(media))))
            }),
        };
        let explode = data.explode.unwrap_or(style == ParamStyle::Form);
        Some(SpecParam {
            name: data.name.clone(),
            location,
            required: data.required || location == ParamLocation::Path,
            description: data.description.clone().filter(|d| !d.trim().is_empty()),
            deprecated: data.deprecated.unwrap_or(false),
            style,
            explode,
            schema,
            mcp_header: data.extensions.get("x-mcp-header").and_then(|v| v.as_str()).map(str::to_owned),
        })
    }

    fn body(&mut self, body: &ReferenceOr<RequestBody>) -> Option<SpecBody> {
        let at = format!("{}/requestBody", self.pointer);
        let components = self.spec.api.components.as_ref().map(|c| &c.request_bodies);
        let body = self.resolve(body, components, "requestBodies", &at)?;
        // The media type agents can produce most faithfully wins: JSON, then forms, then text, then bytes.
        // Within one encoding the plain type wins (`text/plain` over XML, `application/json` over `+json`).
        let (media, m) = body.content.iter().min_by_key(|(media, _)| {
            let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            (body_encoding(media) as u8, !matches!(essence.as_str(), "application/json" | "text/plain"))
        })?;
        let encoding = body_encoding(media);
        let fields = m
            .encoding
            .iter()
            .map(|(name, e)| FieldEncoding {
                name: name.clone(),
                style: e.style.as_ref().map(|s| match s {
                    QueryStyle::Form => ParamStyle::Form,
                    QueryStyle::SpaceDelimited => ParamStyle::SpaceDelimited,
                    QueryStyle::PipeDelimited => ParamStyle::PipeDelimited,
                    QueryStyle::DeepObject => ParamStyle::DeepObject,
                }),
                // openapiv3 reads a missing `explode` as false; only trust it next to an explicit style.
                explode: e.style.is_some().then_some(e.explode),
                binary: false,
                content_type: e.content_type.clone(),
            })
            .collect();
        Some(SpecBody {
            content_type: media.clone(),
            schema: m
                .schema
                .as_ref()
                .and_then(|s| schema_pointer(s, &format!("{at}/content/{}/schema", escape_token(media)))),
            required: body.required,
            description: self
                .ref_description(&at)
                .or_else(|| body.description.clone())
                .filter(|d| !d.trim().is_empty()),
            encoding,
            fields,
        })
    }

    /// The success response (the lowest 2xx; its JSON schema when it has one) and the media
    /// types the 2xx responses offer, the success response's JSON one first.
    fn success(
        &mut self,
        responses: &IndexMap<StatusCode, ReferenceOr<Response>>,
    ) -> (Option<SpecResponse>, Vec<String>) {
        let mut codes: Vec<_> = responses.iter().filter(|(code, _)| is_success(code)).collect();
        codes.sort_by_key(|(code, _)| code.to_string());
        let mut success = None;
        let mut media_types: Vec<String> = Vec::new();
        for (code, response) in codes {
            let at = format!("{}/responses/{}", self.pointer, escape_token(&code.to_string()));
            let components = self.spec.api.components.as_ref().map(|c| &c.responses);
            let Some(response) = self.resolve(response, components, "responses", &at) else { continue };
            let json = response.content.iter().find(|(media, _)| is_json(media));
            if success.is_none() {
                let schema = json.and_then(|(media, m)| {
                    m.schema
                        .as_ref()
                        .and_then(|s| schema_pointer(s, &format!("{at}/content/{}/schema", escape_token(media))))
                });
                if let Some((media, _)) = json {
                    media_types.push(media.trim().to_owned());
                }
                success = Some(SpecResponse { status: code.to_string(), schema });
            }
            for media in response.content.keys().filter(|m| !is_media_range(m)) {
                let problem = Problem::warning(
                    "mcpgen::spec::media_type",
                    format!(
                        "`{media}` is not a media type (`type/subtype`), so requests do not ask for it in `Accept`"
                    ),
                )
                .with_help("write the full media type, e.g. `application/vnd.ms-excel` for `xls`");
                self.problems.push(self.spec.doc.at_key(
                    &format!("{at}/content/{}", escape_token(media)),
                    problem,
                    "media type",
                ));
            }
            let usable = response.content.keys().filter(|m| is_media_range(m));
            let (json, other): (Vec<&String>, Vec<&String>) = usable.partition(|m| is_json(m));
            media_types.extend(json.into_iter().chain(other).map(|m| m.trim().to_owned()));
        }
        let mut seen = std::collections::BTreeSet::new();
        media_types.retain(|m| !m.is_empty() && seen.insert(m.to_ascii_lowercase()));
        (success, media_types)
    }

    /// OpenAPI 3.1: a `description` next to a `$ref` replaces the referenced one.
    fn ref_description(&self, at: &str) -> Option<String> {
        if self.spec.version != super::SpecVersion::V31 {
            return None; // 3.0 ignores properties next to `$ref`
        }
        // The view is built only when the document has both (3.1 specs with such siblings): read
        // for every parameter, building it each time would cost more than the rest of the read.
        let raw = self.spec.doc.get(at)?;
        raw.get("$ref")?;
        raw.get("description")?;
        let node = self.spec.structure_at(at)?;
        node.get("$ref")?;
        let description = node.get("description")?.as_str()?.trim();
        (!description.is_empty()).then(|| description.to_owned())
    }

    /// The value a header parameter fixes: its schema's `default`, single `const` or first
    /// `enum` string, else an example (the parameter's, then the schema's).
    fn declared_value(&self, format: &ParameterSchemaOrContent, example: Option<&Value>, at: &str) -> Option<String> {
        let ParameterSchemaOrContent::Schema(schema) = format else { return None };
        let pointer = schema_pointer(schema, at)?;
        let mut raw = self.spec.doc.get(&pointer)?;
        // One level of `$ref` (a shared `ContentType` parameter schema, say).
        if let Some(target) = raw.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            raw = self.spec.doc.get(target).unwrap_or(raw);
        }
        let first = |v: Option<&Value>| v.and_then(|v| v.as_array().map_or(Some(v), |a| a.first())).cloned();
        [
            raw.get("default").cloned(),
            raw.get("const").cloned(),
            first(raw.get("enum")),
            example.cloned(),
            raw.get("example").cloned(),
            first(raw.get("examples")),
        ]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
    }

    /// Resolves references (and chains of them): `#/components/<kind>/<name>` through the typed
    /// components, any other local pointer (e.g. `#/paths/~1a/get/parameters/0`) by reading that
    /// part of the document.
    fn resolve<'s, T: DeserializeOwned + Clone>(
        &mut self,
        item: &'s ReferenceOr<T>,
        components: Option<&'s IndexMap<String, ReferenceOr<T>>>,
        kind: &str,
        at: &str,
    ) -> Option<Cow<'s, T>> {
        let mut current: Cow<'s, ReferenceOr<T>> = Cow::Borrowed(item);
        for _ in 0..16 {
            let reference = match current {
                Cow::Borrowed(ReferenceOr::Item(item)) => return Some(Cow::Borrowed(item)),
                Cow::Owned(ReferenceOr::Item(item)) => return Some(Cow::Owned(item)),
                Cow::Borrowed(ReferenceOr::Reference { reference }) => reference.clone(),
                Cow::Owned(ReferenceOr::Reference { reference }) => reference,
            };
            let prefix = format!("#/components/{kind}/");
            let typed = reference.strip_prefix(&prefix).and_then(|name| components.and_then(|c| c.get(name)));
            let next = match typed {
                Some(next) => Some(Cow::Borrowed(next)),
                None => reference
                    .strip_prefix('#')
                    .map(percent_decode)
                    .and_then(|pointer| self.spec.structure_at(&pointer))
                    .and_then(|value| serde_json::from_value::<ReferenceOr<T>>(value).ok())
                    .map(Cow::Owned),
            };
            match next {
                Some(next) => current = next,
                None => {
                    self.skip = true;
                    let problem = Problem::error(
                        "mcpgen::spec::unresolved_ref",
                        format!("reference `{reference}` does not point at a valid entry of this document"),
                    )
                    .with_help(format!(
                        "reference an existing entry, e.g. `{prefix}Name`; external files are not supported yet"
                    ));
                    self.problems.push(self.spec.doc.at_value(&format!("{at}/$ref"), problem, "unresolved reference"));
                    return None;
                }
            }
        }
        None
    }
}

/// The raw-document pointer a structural schema stands for.
fn schema_pointer<T>(schema: &ReferenceOr<T>, fallback: &str) -> Option<String> {
    match schema {
        ReferenceOr::Reference { reference } => {
            Some(reference.strip_prefix(SCHEMA_POINTER_PREFIX).unwrap_or(fallback).to_owned())
        }
        ReferenceOr::Item(_) => Some(fallback.to_owned()),
    }
}

/// The headers an operation's requests carry for content negotiation: `accept` lists the 2xx
/// media types (`media`, preferred first, the rest at `q=0.5`) and `*/*;q=0.1`, so an API that
/// cannot produce them still answers (an error in whatever type it has) rather than 406; values
/// the spec fixes through required `Accept` / `Content-Type` parameters win. A declared
/// `Content-Type` is only sent without a body: with one, the body's media type is the truth.
fn negotiation_headers(
    media: &[String],
    mut declared: BTreeMap<String, String>,
    has_body: bool,
) -> BTreeMap<String, String> {
    if has_body {
        declared.remove("content-type");
    }
    if !declared.contains_key("accept") && !media.is_empty() && !media.iter().any(|m| m == "*/*") {
        let mut accept: Vec<String> =
            media.iter().enumerate().map(|(i, m)| if i == 0 { m.clone() } else { format!("{m};q=0.5") }).collect();
        accept.push("*/*;q=0.1".to_owned());
        declared.insert("accept".to_owned(), accept.join(", "));
    }
    declared
}

/// Whether `media` can stand in an `Accept` header: `type/subtype` (either may be `*`), optional
/// parameters, RFC 9110 token characters only — a strict server answers 400 to anything else.
fn is_media_range(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim();
    let token =
        |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
    matches!(essence.split_once('/'), Some((kind, subtype)) if token(kind) && token(subtype))
        && media.is_ascii()
        && !media.chars().any(|c| c.is_ascii_control())
}

/// How a body of this media type is encoded; the enum order is the order of preference.
fn body_encoding(media: &str) -> BodyEncoding {
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if is_json(&essence) {
        BodyEncoding::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyEncoding::Form
    } else if essence.starts_with("multipart/") {
        BodyEncoding::Multipart
    } else if essence.starts_with("text/") || essence.ends_with("/xml") || essence.ends_with("+xml") {
        BodyEncoding::Text
    } else {
        BodyEncoding::Binary
    }
}

/// `application/json`, `application/problem+json`, `application/json; charset=utf-8`, `*/*`.
pub fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(c) => (200..300).contains(c),
        StatusCode::Range(r) => *r == 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    fn ops(text: &str) -> (Vec<SpecOperation>, Vec<Problem>) {
        let spec = Spec::from_document(Document::parse("o.yaml", text.to_owned()).unwrap()).unwrap();
        operations(&spec)
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";

    #[test]
    fn path_level_parameters_merge_and_operation_level_ones_win() {
        let (ops, problems) = ops(&format!(
            "{HEAD}components:\n  parameters:\n    Limit: {{name: limit, in: query, schema: {{type: integer}}}}\npaths:\n  /pets/{{id}}:\n    parameters:\n      - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      - {{name: v, in: header, schema: {{type: string}}, description: path-level}}\n    get:\n      parameters:\n        - {{name: v, in: header, schema: {{type: string}}, description: op-level}}\n        - $ref: '#/components/parameters/Limit'\n        - {{name: Accept, in: header, schema: {{type: string}}}}\n      responses: {{'200': {{description: ok}}}}\n"
        ));
        assert!(problems.is_empty() && ops[0].problems.is_empty(), "{problems:?}");
        let p = &ops[0].params;
        let names: Vec<_> = p.iter().map(|p| (p.name.as_str(), p.location, p.description.as_deref())).collect();
        assert_eq!(
            names,
            [
                ("id", ParamLocation::Path, None),
                ("v", ParamLocation::Header, Some("op-level")),
                ("limit", ParamLocation::Query, None)
            ]
        );
        assert_eq!(p[2].schema.as_deref(), Some("/components/parameters/Limit/schema"));
    }

    #[test]
    fn body_media_types_are_chosen_by_preference() {
        let (ops, _) = ops(&format!(
            "{HEAD}paths:\n  /up:\n    post:\n      requestBody:\n        required: true\n        content:\n          application/octet-stream: {{schema: {{type: string, format: binary}}}}\n          multipart/form-data:\n            schema: {{type: object}}\n            encoding: {{file: {{contentType: image/png}}}}\n          text/plain: {{schema: {{type: string}}}}\n      responses: {{'204': {{description: ok}}}}\n"
        ));
        let body = ops[0].body.as_ref().unwrap();
        assert!(ops[0].supported);
        assert_eq!((body.content_type.as_str(), body.encoding), ("multipart/form-data", BodyEncoding::Multipart));
        assert_eq!(body.fields[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(body_encoding("application/xml"), BodyEncoding::Text);
        assert_eq!(body_encoding("application/x-www-form-urlencoded"), BodyEncoding::Form);
        assert_eq!(body_encoding("image/png"), BodyEncoding::Binary);
    }

    #[test]
    fn success_response_prefers_the_lowest_2xx_with_json() {
        let (ops, _) = ops(&format!(
            "{HEAD}paths:\n  /a:\n    get:\n      responses:\n        '404': {{description: no}}\n        '201': {{description: ok, content: {{application/json: {{schema: {{type: object}}}}}}}}\n        '200': {{description: ok, content: {{application/problem+json: {{schema: {{type: string}}}}}}}}\n"
        ));
        let success = ops[0].success.as_ref().unwrap();
        assert_eq!(success.status, "200");
        assert_eq!(
            success.schema.as_deref(),
            Some("/paths/~1a/get/responses/200/content/application~1problem+json/schema")
        );
    }

    #[test]
    fn references_to_other_operations_parts_resolve() {
        let (ops, _) = ops(&format!(
            "{HEAD}paths:\n  /a/{{id}}:\n    get:\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses: {{'200': {{description: ok}}}}\n  /b/{{id}}:\n    get:\n      parameters:\n        - $ref: '#/paths/~1a~1%7Bid%7D/get/parameters/0'\n      responses:\n        '200': {{$ref: '#/paths/~1a~1%7Bid%7D/get/responses/200'}}\n"
        ));
        assert!(ops[1].problems.is_empty(), "{:?}", ops[1].problems);
        assert_eq!(ops[1].params[0].name, "id");
        assert_eq!(ops[1].params[0].schema.as_deref(), Some("/paths/~1a~1{id}/get/parameters/0/schema"));
    }

    #[test]
    fn unresolvable_references_are_errors_at_the_ref() {
        let (ops, _) = ops(&format!(
            "{HEAD}paths:\n  /a:\n    get:\n      parameters:\n        - $ref: '#/nowhere/0'\n      responses: {{'200': {{description: ok}}}}\n"
        ));
        assert!(!ops[0].supported);
        assert_eq!(ops[0].problems[0].code, "mcpgen::spec::unresolved_ref");
        assert_eq!(ops[0].problems[0].position().as_deref(), Some("o.yaml:7:17"));
    }

    #[test]
    fn path_item_references_resolve() {
        let text = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {$ref: '#/components/pathItems/Ping'}\n  /b: {$ref: '#/paths/~1a'}\n  /c: {$ref: '#/nowhere'}\ncomponents:\n  pathItems:\n    Ping:\n      get:\n        operationId: ping\n        parameters: [{name: q, in: query, schema: {type: [string, 'null']}}]\n        responses: {'200': {description: ok}}\n";
        let spec = Spec::from_document(Document::parse("p.yaml", text.to_owned()).unwrap()).unwrap();
        let (ops, problems) = operations(&spec);
        // `/b` points at `/a`, itself a reference: the chain is followed.
        let paths: Vec<_> = ops.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/b"]);
        assert_eq!(ops[1].params[0].schema.as_deref(), Some("/components/pathItems/Ping/get/parameters/0/schema"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].position().as_deref(), Some("p.yaml:6:14"));
    }

    #[test]
    fn keys_without_a_slash_keep_their_operation_and_say_why_it_is_refused() {
        // Issue 5: the structural parser drops such keys; the operation must not vanish silently.
        let (ops, problems) = ops(&format!(
            "{HEAD}paths:\n  noslash:\n    get: {{operationId: a, responses: {{'200': {{description: ok}}}}}}\n  /ok/{{id}}:\n    get: {{operationId: b, responses: {{'200': {{description: ok}}}}}}\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((ops[0].path.as_str(), ops[0].supported), ("noslash", false));
        assert_eq!(ops[0].problems[0].code, paths::INVALID_PATH);
        assert_eq!(ops[0].problems[0].position().as_deref(), Some("o.yaml:4:3"));
        // An undeclared template is a warning only: the operation is still exposed.
        assert!(ops[1].supported);
        assert_eq!((ops[1].problems[0].code, ops[1].problems[0].is_error()), (paths::UNUSUAL_PATH, false));
    }

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/plain"));
    }

    #[test]
    fn requests_ask_for_the_success_media_types_json_first_and_honour_required_fixed_headers() {
        let (ops, problems) = ops(&format!(
            "{HEAD}paths:\n  /pet:\n    get:\n      responses:\n        '200': {{description: ok, content: {{application/xml: {{schema: {{type: object}}}}, application/json: {{schema: {{type: object}}}}}}}}\n        '206': {{description: part, content: {{text/csv: {{}}}}}}\n  /search:\n    get:\n      parameters:\n        - {{name: Content-Type, in: header, required: true, schema: {{type: string, default: application/json}}}}\n        - {{name: Accept, in: header, required: true, schema: {{type: string, enum: [application/vnd.x+json]}}}}\n      responses: {{'200': {{description: ok, content: {{application/json: {{}}}}}}}}\n  /optional:\n    post:\n      parameters:\n        - {{name: Accept, in: header, schema: {{type: string, default: text/html}}}}\n        - {{name: Content-Type, in: header, required: true, example: text/plain, schema: {{type: string}}}}\n      requestBody: {{content: {{application/json: {{schema: {{type: object}}}}}}}}\n      responses: {{'204': {{description: none}}}}\n"
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let headers = |path: &str| ops.iter().find(|o| o.path == path).unwrap().headers.clone();
        let pet = headers("/pet");
        assert_eq!(pet["accept"], "application/json, application/xml;q=0.5, text/csv;q=0.5, */*;q=0.1");
        let search = headers("/search");
        assert_eq!(search["accept"], "application/vnd.x+json", "a required, fixed Accept wins");
        assert_eq!(search["content-type"], "application/json", "sent although there is no body");
        assert!(ops.iter().all(|o| o.params.iter().all(|p| p.location != ParamLocation::Header)));
        // An optional Accept stays ignored (OpenAPI), no 2xx content means no Accept, and with a
        // body the body's media type is the Content-Type.
        assert!(headers("/optional").is_empty(), "{:?}", headers("/optional"));
        assert!(
            is_media_range("application/json; charset=utf-8") && is_media_range("*/*") && is_media_range("image/*")
        );
        assert!(!is_media_range("xls") && !is_media_range("application/") && !is_media_range("text/plain\r\nX: 1"));
    }
}
