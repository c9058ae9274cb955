//! What the generator derives for response shaping (issue 14, item 4): the paging style of each
//! common API convention, argument names that yield to the spec's own, the manifest's layers
//! and off switch, and located errors for invalid settings.

use mcpgen::shaping_plan::{PagingStyle, ShapingDefinition};
use serde_json::{Value, json};

/// A 3.1 spec with one `GET /things` operation: `params` are query parameter names (integers
/// for `page`/`offset`/sizes, strings otherwise), `response` the 200 JSON schema.
fn spec(params: &[&str], response: Value, headers: Option<Value>) -> String {
    let parameters: Vec<Value> = params
        .iter()
        .map(|name| {
            let kind = if ["page", "offset", "per_page", "limit"].contains(name) { "integer" } else { "string" };
            json!({"name": name, "in": "query", "schema": {"type": kind}})
        })
        .collect();
    let mut ok = json!({"description": "OK", "content": {"application/json": {"schema": response}}});
    if let Some(headers) = headers {
        ok["headers"] = headers;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/things": {"get": {"operationId": "listThings", "parameters": parameters, "responses": {"200": ok}}}}
    })
    .to_string()
}

fn manifest(extra: &str) -> String {
    format!("version: 1\nserver: {{name: t-mcp}}\n{extra}apis:\n  t:\n    spec: openapi.json\n")
}

fn plan_of(manifest: &str, spec: &str) -> (Option<ShapingDefinition>, Value) {
    let input = mcpgen::load_texts(manifest, &[("openapi.json", spec)])
        .unwrap_or_else(|p| panic!("{}", p.render(Some(100), false)));
    let (ir, _) = mcpgen::plan(&input).unwrap_or_else(|p| panic!("{}", p.render(Some(100), false)));
    let tool = &ir.tools[0];
    (tool.shaping.clone(), tool.input_schema.clone())
}

fn item() -> Value {
    json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "name": {"type": "string"},
        "owner": {"type": "object", "properties": {"login": {"type": "string"}}}}})
}

fn style(params: &[&str], response: Value, headers: Option<Value>) -> Option<PagingStyle> {
    let (plan, _) = plan_of(&manifest(""), &spec(params, response, headers));
    plan.and_then(|p| p.paging).map(|p| p.style)
}

#[test]
fn each_common_paging_convention_is_recognised() {
    let envelope = |extra: Value| {
        let mut properties = json!({"data": {"type": "array", "items": item()}});
        properties.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"type": "object", "properties": properties})
    };
    // Stripe: `starting_after` + `has_more`.
    assert_eq!(
        style(&["starting_after", "limit"], envelope(json!({"has_more": {"type": "boolean"}})), None),
        Some(PagingStyle::AfterLast {
            param: "starting_after".into(),
            id: "id".into(),
            has_more: Some("has_more".into())
        })
    );
    // Slack: `cursor` + `response_metadata.next_cursor`.
    let slack =
        envelope(json!({"response_metadata": {"type": "object", "properties": {"next_cursor": {"type": "string"}}}}));
    assert_eq!(
        style(&["cursor", "limit"], slack, None),
        Some(PagingStyle::Cursor { param: "cursor".into(), token: "response_metadata.next_cursor".into() })
    );
    // A `next` URL in the body (DRF, HAL-like).
    assert_eq!(
        style(&["limit"], envelope(json!({"next": {"type": ["string", "null"]}})), None),
        Some(PagingStyle::NextUrl { next: "next".into() })
    );
    // page/per_page, offset/limit.
    let list = json!({"type": "array", "items": item()});
    assert_eq!(
        style(&["page", "per_page"], list.clone(), None),
        Some(PagingStyle::Page { param: "page".into(), size: Some("per_page".into()) })
    );
    assert_eq!(
        style(&["offset", "limit"], list.clone(), None),
        Some(PagingStyle::Offset { param: "offset".into(), limit: Some("limit".into()) })
    );
    // Only a `Link` response header.
    let link = json!({"Link": {"schema": {"type": "string"}}});
    assert_eq!(style(&["q"], list.clone(), Some(link)), Some(PagingStyle::Link));
    // No evidence of paging: no continuation (the cap and the budget still apply).
    assert_eq!(style(&["q"], list.clone(), None), None);
    let (plan, _) = plan_of(&manifest(""), &spec(&["q"], list, None));
    let plan = plan.unwrap();
    assert_eq!((plan.items.as_deref(), plan.max_items), (Some(""), Some(50)));
    assert_eq!(*plan.fields.unwrap().paths, ["id", "name", "owner", "owner.login"]);
}

#[test]
fn shaping_arguments_yield_to_parameters_of_the_same_name() {
    let list = json!({"type": "array", "items": item()});
    let (plan, input) = plan_of(&manifest(""), &spec(&["fields", "continuation", "page"], list, None));
    let plan = plan.unwrap();
    assert_eq!(plan.fields.unwrap().arg, "mcp_fields");
    assert_eq!(plan.paging.unwrap().arg, "mcp_continuation");
    let properties = input["properties"].as_object().unwrap();
    // The spec's own parameters keep their names (and still go upstream); shaping's are prefixed.
    for name in ["fields", "continuation", "mcp_fields", "mcp_continuation"] {
        assert!(properties.contains_key(name), "{name}: {properties:?}");
    }
}

#[test]
fn the_manifest_layers_each_key_and_turns_shaping_off() {
    let list = json!({"type": "array", "items": item()});
    let text = spec(&["page"], list, None);
    let (plan, _) = plan_of(&manifest("shaping: {max_items: 7, max_result_bytes: 9000}\n"), &text);
    let plan = plan.unwrap();
    assert_eq!((plan.max_items, plan.max_result_bytes), (Some(7), 9000));
    let layered = "version: 1\nserver: {name: t-mcp}\nshaping: {max_items: 7}\napis:\n  t:\n    spec: openapi.json\n    shaping: {fields: false}\n    tools:\n      listThings: {shaping: {max_items: 3}}\n";
    let plan = plan_of(layered, &text).0.unwrap();
    assert_eq!(plan.max_items, Some(3));
    assert!(plan.fields.is_none() && plan.paging.is_some());
    let (plan, input) = plan_of(&manifest("shaping: {enabled: false}\n"), &text);
    assert!(plan.is_none());
    assert!(!input.to_string().contains("continuation"));
}

#[test]
fn invalid_settings_are_located_errors() {
    let text = spec(&[], json!({"type": "object"}), None);
    let manifest = manifest("shaping: {max_result_bytes: 100, max_items: 0}\n");
    let problems = match mcpgen::load_texts(&manifest, &[("openapi.json", &text)]) {
        Err(problems) => problems,
        Ok(input) => input.problems,
    };
    let rendered = problems.render(Some(100), false);
    assert!(rendered.contains("`max_result_bytes` must be at least 4096"), "{rendered}");
    assert!(rendered.contains("`max_items` must be at least 1"), "{rendered}");
    assert!(rendered.contains("mcpgen.yaml:3:"), "{rendered}");
}

/// Schemas that many references share are merged once: here each level's schema refers to the
/// next one three times (two `allOf` parts and a member), so walking the references again at
/// each use would merge the last level 3^40 times (Vercel's spec, with its unions of shared
/// variants, took minutes per tool that way). The walk ends, and what it finds is right.
#[test]
fn schemas_shared_by_many_references_are_merged_once() {
    const LEVELS: usize = 40;
    let mut schemas = serde_json::Map::new();
    for level in 0..LEVELS {
        let next = json!({"$ref": format!("#/components/schemas/S{}", level + 1)});
        let schema = json!({"allOf": [next, {"anyOf": [next]}], "required": [format!("p{level}")],
            "properties": {format!("p{level}"): next, "id": {"type": "string"}}});
        schemas.insert(format!("S{level}"), schema);
    }
    schemas.insert(format!("S{LEVELS}"), json!({"type": "object", "properties": {"last": {"type": "string"}}}));
    let mut spec: Value = serde_json::from_str(&spec(&[], json!({"$ref": "#/components/schemas/S0"}), None)).unwrap();
    spec["components"] = json!({"schemas": schemas});
    let (plan, _) = plan_of(&manifest(""), &spec.to_string());
    let plan = plan.expect("a shaped tool");
    // Every level's member and, through `allOf`, every deeper level's required member too.
    assert!(
        plan.required.iter().any(|p| p == "p0") && plan.required.iter().any(|p| p == "p39"),
        "{:?}",
        &*plan.required
    );
    assert!(plan.required.iter().any(|p| p == "p0.p1"), "{:?}", &*plan.required);
    let fields = plan.fields.expect("a projection");
    assert!(
        fields.paths.iter().any(|p| p == "p0.p1.p2") && fields.paths.iter().any(|p| p == "p0.p1.last"),
        "{:?}",
        &*fields.paths
    );
}
