//! Swagger 2.0 → OpenAPI 3.0: normalising the older format so one pipeline serves both.
//!
//! The conversion is structural and follows the OpenAPI 3.0 migration rules: `definitions`,
//! `parameters` and `responses` move under `components` (and every `$ref` follows them); `body` and
//! `formData` parameters become a `requestBody` (form fields become the properties of an object
//! schema, `type: file` becomes a binary string); parameter types move into a `schema` with
//! `collectionFormat` mapped to `style`/`explode`; response schemas get a `content` per `produces`
//! media type; `host`/`basePath`/`schemes` become `servers`; `x-nullable` becomes `nullable`.
//! Pointers into the converted document are mapped back to the original by [`original_pointer`]
//! so diagnostics still point at the user's file.

use serde_json::{Map, Value, json};

/// Moved top-level sections: (Swagger 2.0 pointer prefix, OpenAPI 3.0 pointer prefix).
const MOVES: &[(&str, &str)] = &[
    ("/definitions/", "/components/schemas/"),
    ("/parameters/", "/components/parameters/"),
    ("/responses/", "/components/responses/"),
    ("/securityDefinitions/", "/components/securitySchemes/"),
];

/// Keys of a Swagger 2.0 parameter that describe its value and move into `schema`.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
];

/// The pointer in the original Swagger 2.0 document for a pointer into the converted one (best effort:
/// diagnostics fall back to the closest ancestor that exists).
pub fn original_pointer(pointer: &str) -> String {
    for (old, new) in MOVES {
        if let Some(rest) = pointer.strip_prefix(new) {
            return format!("{old}{rest}");
        }
    }
    pointer.replace("/requestBody/content/", "/parameters/").replace("/content/application~1json/schema", "/schema")
}

/// Converts a Swagger 2.0 document into an OpenAPI 3.0.3 one.
pub fn convert(doc: &Value) -> Value {
    let mut root = Map::new();
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["info", "tags", "externalDocs", "security"] {
        if let Some(v) = doc.get(key) {
            root.insert(key.into(), v.clone());
        }
    }
    root.insert("servers".into(), servers(doc));
    let consumes = media_list(doc.get("consumes"), "application/json");
    let produces = media_list(doc.get("produces"), "application/json");
    let mut paths = Map::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        paths.insert(path.clone(), path_item(doc, item, &consumes, &produces));
    }
    root.insert("paths".into(), Value::Object(paths));
    let mut components = Map::new();
    if let Some(Value::Object(defs)) = doc.get("definitions") {
        components.insert("schemas".into(), Value::Object(defs.iter().map(|(k, v)| (k.clone(), schema(v))).collect()));
    }
    if let Some(Value::Object(params)) = doc.get("parameters") {
        // Body and form parameters are inlined into request bodies where they are used.
        let plain = params.iter().filter(|(_, p)| !is_body_like(p)).map(|(k, p)| (k.clone(), parameter(p)));
        components.insert("parameters".into(), Value::Object(plain.collect()));
    }
    if let Some(Value::Object(responses)) = doc.get("responses") {
        components.insert(
            "responses".into(),
            Value::Object(responses.iter().map(|(k, r)| (k.clone(), response(r, &produces))).collect()),
        );
    }
    if let Some(Value::Object(schemes)) = doc.get("securityDefinitions") {
        components.insert(
            "securitySchemes".into(),
            Value::Object(schemes.iter().map(|(k, s)| (k.clone(), security_scheme(s))).collect()),
        );
    }
    root.insert("components".into(), Value::Object(components));
    rewrite_refs(Value::Object(root))
}

fn servers(doc: &Value) -> Value {
    let base = doc.get("basePath").and_then(Value::as_str).unwrap_or("");
    let Some(host) = doc.get("host").and_then(Value::as_str) else {
        return json!([{ "url": if base.is_empty() { "/" } else { base } }]);
    };
    let schemes: Vec<&str> =
        doc.get("schemes").and_then(Value::as_array).map_or(vec![], |s| s.iter().filter_map(Value::as_str).collect());
    let scheme = if schemes.contains(&"https") || schemes.is_empty() { "https" } else { schemes[0] };
    json!([{ "url": format!("{scheme}://{host}{base}") }])
}

fn media_list(value: Option<&Value>, default: &str) -> Vec<String> {
    let list: Vec<String> = value
        .and_then(Value::as_array)
        .map_or(vec![], |l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect());
    if list.is_empty() { vec![default.to_owned()] } else { list }
}

fn path_item(doc: &Value, item: &Value, consumes: &[String], produces: &[String]) -> Value {
    let Value::Object(item) = item else { return item.clone() };
    let shared: Vec<Value> = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out = Map::new();
    for (key, value) in item {
        match key.as_str() {
            "get" | "put" | "post" | "delete" | "options" | "head" | "patch" => {
                out.insert(key.clone(), operation(doc, value, &shared, consumes, produces));
            }
            // Shared parameters are merged into each operation (body ones need the operation's media types).
            "parameters" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// A parameter after following a `#/parameters/X` reference (body and form parameters must be seen).
fn resolved<'a>(doc: &'a Value, param: &'a Value) -> &'a Value {
    match param.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/parameters/")) {
        Some(name) => doc.get("parameters").and_then(|p| p.get(name)).unwrap_or(param),
        None => param,
    }
}

fn is_body_like(param: &Value) -> bool {
    matches!(param.get("in").and_then(Value::as_str), Some("body" | "formData"))
}

fn operation(doc: &Value, op: &Value, shared: &[Value], consumes: &[String], produces: &[String]) -> Value {
    let Value::Object(op) = op else { return op.clone() };
    let consumes = op.get("consumes").map_or_else(|| consumes.to_vec(), |c| media_list(Some(c), "application/json"));
    let produces = op.get("produces").map_or_else(|| produces.to_vec(), |p| media_list(Some(p), "application/json"));
    let own: Vec<Value> = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut params = Vec::new();
    let mut body = None;
    let mut form = Vec::new();
    for param in shared.iter().chain(&own) {
        let real = resolved(doc, param);
        match real.get("in").and_then(Value::as_str) {
            Some("body") => body = Some(real.clone()),
            Some("formData") => form.push(real.clone()),
            _ => params.push(if param.get("$ref").is_some() { param.clone() } else { parameter(param) }),
        }
    }
    let mut out = Map::new();
    for (key, value) in op {
        match key.as_str() {
            "parameters" | "consumes" | "produces" | "schemes" => {}
            "responses" => {
                let responses =
                    value.as_object().into_iter().flatten().map(|(code, r)| (code.clone(), response(r, &produces)));
                out.insert(key.clone(), Value::Object(responses.collect()));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = body {
        let media = consumes.iter().find(|m| !m.contains("form")).cloned().unwrap_or_else(|| "application/json".into());
        let mut request = Map::new();
        request.insert(
            "content".into(),
            json!({ media: { "schema": body.get("schema").map(schema).unwrap_or(json!({})) } }),
        );
        request.insert("required".into(), json!(body.get("required").and_then(Value::as_bool).unwrap_or(false)));
        if let Some(d) = body.get("description") {
            request.insert("description".into(), d.clone());
        }
        out.insert("requestBody".into(), Value::Object(request));
    } else if !form.is_empty() {
        out.insert("requestBody".into(), form_body(&form, &consumes));
    }
    Value::Object(out)
}

fn form_body(fields: &[Value], consumes: &[String]) -> Value {
    let has_file = fields.iter().any(|f| f.get("type").and_then(Value::as_str) == Some("file"));
    let media = if has_file || consumes.iter().any(|m| m.starts_with("multipart/")) {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        let Some(name) = field.get("name").and_then(Value::as_str) else { continue };
        let mut property = schema(&value_schema(field));
        if let (Some(d), Value::Object(p)) = (field.get("description"), &mut property) {
            p.insert("description".into(), d.clone());
        }
        properties.insert(name.to_owned(), property);
        if field.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(json!(name));
        }
    }
    let mut object = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        object["required"] = Value::Array(required.clone());
    }
    json!({ "required": !required.is_empty(), "content": { media: { "schema": object } } })
}

/// A non-body parameter: value keywords move into `schema`, `collectionFormat` becomes style/explode.
fn parameter(param: &Value) -> Value {
    let Value::Object(param) = param else { return param.clone() };
    let mut out = Map::new();
    for (key, value) in param {
        if !SCHEMA_KEYS.contains(&key.as_str()) && key != "collectionFormat" && key != "allowEmptyValue" {
            out.insert(key.clone(), value.clone());
        }
    }
    out.insert("schema".into(), schema(&value_schema(&Value::Object(param.clone()))));
    let location = param.get("in").and_then(Value::as_str).unwrap_or("query");
    if param.get("type").and_then(Value::as_str) == Some("array") {
        let (style, explode) = match param.get("collectionFormat").and_then(Value::as_str).unwrap_or("csv") {
            "multi" => ("form", true),
            "ssv" => ("spaceDelimited", false),
            "pipes" => ("pipeDelimited", false),
            _ if matches!(location, "path" | "header") => ("simple", false),
            _ => ("form", false),
        };
        out.insert("style".into(), json!(style));
        out.insert("explode".into(), json!(explode));
    }
    Value::Object(out)
}

/// The value keywords of a parameter or form field as a schema.
fn value_schema(param: &Value) -> Value {
    let mut schema = Map::new();
    for key in SCHEMA_KEYS {
        if let Some(v) = param.get(*key) {
            schema.insert((*key).to_owned(), v.clone());
        }
    }
    Value::Object(schema)
}

fn response(response: &Value, produces: &[String]) -> Value {
    let Value::Object(response) = response else { return response.clone() };
    if response.contains_key("$ref") {
        return Value::Object(response.clone());
    }
    let mut out = Map::new();
    out.insert("description".into(), response.get("description").cloned().unwrap_or(json!("")));
    if let Some(s) = response.get("schema") {
        let converted = schema(s);
        let content: Map<String, Value> =
            produces.iter().map(|m| (m.clone(), json!({"schema": converted.clone()}))).collect();
        out.insert("content".into(), Value::Object(content));
    }
    if let Some(Value::Object(headers)) = response.get("headers") {
        let headers = headers.iter().map(|(k, h)| {
            let mut header = Map::new();
            if let Some(d) = h.get("description") {
                header.insert("description".into(), d.clone());
            }
            header.insert("schema".into(), schema(&value_schema(h)));
            (k.clone(), Value::Object(header))
        });
        out.insert("headers".into(), Value::Object(headers.collect()));
    }
    Value::Object(out)
}

/// Schema keywords that differ: `type: file`, `x-nullable`, a string `discriminator`.
fn schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("type", Value::String(t)) if t == "file" => {
                        out.insert("type".into(), json!("string"));
                        out.insert("format".into(), json!("binary"));
                    }
                    ("x-nullable", Value::Bool(b)) => {
                        out.insert("nullable".into(), json!(b));
                    }
                    ("discriminator", Value::String(name)) => {
                        out.insert("discriminator".into(), json!({ "propertyName": name }));
                    }
                    ("example" | "enum" | "default" | "x-example", _) => {
                        out.insert(key.clone(), v.clone());
                    }
                    _ => {
                        out.insert(key.clone(), schema(v));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
        other => other.clone(),
    }
}

fn security_scheme(scheme: &Value) -> Value {
    match scheme.get("type").and_then(Value::as_str) {
        Some("basic") => json!({"type": "http", "scheme": "basic", "description": scheme.get("description")}),
        Some("oauth2") => {
            let flow = match scheme.get("flow").and_then(Value::as_str) {
                Some("accessCode") => "authorizationCode",
                Some("application") => "clientCredentials",
                Some("password") => "password",
                _ => "implicit",
            };
            let mut details = Map::new();
            for (from, to) in [("authorizationUrl", "authorizationUrl"), ("tokenUrl", "tokenUrl")] {
                if let Some(v) = scheme.get(from) {
                    details.insert(to.into(), v.clone());
                }
            }
            details.insert("scopes".into(), scheme.get("scopes").cloned().unwrap_or(json!({})));
            json!({"type": "oauth2", "flows": { flow: details }})
        }
        _ => scheme.clone(),
    }
}

/// Every `$ref` follows the sections that moved under `components`.
fn rewrite_refs(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => Value::String(rewrite_ref(&r)),
                        (_, v) => rewrite_refs(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rewrite_refs).collect()),
        other => other,
    }
}

fn rewrite_ref(reference: &str) -> String {
    for (old, new) in MOVES {
        if let Some(rest) = reference.strip_prefix(&format!("#{old}")) {
            return format!("#{new}{rest}");
        }
    }
    reference.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swagger_2_document_becomes_openapi_3() {
        let doc: Value = serde_json::from_str(r##"{
            "swagger": "2.0", "info": {"title": "t", "version": "1"},
            "host": "api.example.com", "basePath": "/v2", "schemes": ["http", "https"],
            "consumes": ["application/json"], "produces": ["application/json"],
            "paths": {"/pets/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "type": "integer"}],
                "put": {
                    "parameters": [
                        {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"},
                        {"$ref": "#/parameters/Body"}
                    ],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}}
                },
                "post": {
                    "consumes": ["multipart/form-data"],
                    "parameters": [{"name": "photo", "in": "formData", "type": "file", "required": true}],
                    "responses": {"204": {"description": "done"}}
                }
            }},
            "parameters": {"Body": {"name": "pet", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}}},
            "definitions": {"Pet": {"type": "object", "properties": {"tag": {"type": "string", "x-nullable": true}}}}
        }"##).unwrap();
        let out = convert(&doc);
        assert_eq!(out["openapi"], "3.0.3");
        assert_eq!(out["servers"][0]["url"], "https://api.example.com/v2");
        let put = &out["paths"]["/pets/{id}"]["put"];
        assert_eq!(
            put["parameters"][0],
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}})
        );
        assert_eq!(put["parameters"][1]["style"], "form");
        assert_eq!(put["parameters"][1]["explode"], true);
        assert_eq!(put["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Pet");
        assert_eq!(put["requestBody"]["required"], true);
        assert_eq!(
            put["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        let post = &out["paths"]["/pets/{id}"]["post"];
        let upload = &post["requestBody"]["content"]["multipart/form-data"]["schema"];
        assert_eq!(upload["properties"]["photo"], json!({"type": "string", "format": "binary"}));
        assert_eq!(upload["required"], json!(["photo"]));
        assert_eq!(out["components"]["schemas"]["Pet"]["properties"]["tag"]["nullable"], true);
        assert!(out["components"]["parameters"].get("Body").is_none(), "body parameters are inlined");
    }

    #[test]
    fn pointers_map_back_to_the_original_sections() {
        assert_eq!(original_pointer("/components/schemas/Pet/properties/a"), "/definitions/Pet/properties/a");
        assert_eq!(original_pointer("/paths/~1a/get/parameters/0"), "/paths/~1a/get/parameters/0");
    }
}
