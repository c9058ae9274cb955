//! One test per rule: a schema or name that breaks it is found at the right place, and the
//! clean variant next to it is not (so a rule that stops firing, or fires on everything, fails).

use serde_json::{Value, json};

use super::rules::{self, Rule};
use super::{Finding, schema};

fn codes(findings: &[Finding]) -> Vec<(&'static str, String)> {
    findings.iter().map(|f| (f.rule.code, f.at.clone())).collect()
}

fn run(check: fn(&Value, &mut Vec<Finding>), schema: Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    check(&schema, &mut out);
    codes(&out)
}

fn openai(schema: Value) -> Vec<(&'static str, String)> {
    run(schema::openai_strict, schema)
}

fn gemini(schema: Value) -> Vec<(&'static str, String)> {
    run(|s, out| schema::gemini(s, true, out), schema)
}

fn has(found: &[(&'static str, String)], rule: &Rule, at: &str) -> bool {
    found.iter().any(|(code, place)| *code == rule.code && place == at)
}

/// A schema every profile accepts.
fn clean() -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer"}},
        "required": ["id", "n"],
        "additionalProperties": false,
    })
}

#[test]
fn a_clean_schema_passes_every_profile() {
    assert_eq!(openai(clean()), []);
    assert_eq!(gemini(clean()).into_iter().filter(|(c, _)| *c != rules::GEMINI_ADDITIONAL.code).count(), 0);
    assert_eq!(run(schema::anthropic, clean()), []);
    assert_eq!(run(schema::portable, clean()), []);
}

#[test]
fn openai_root_must_be_an_object_and_not_any_of() {
    assert!(has(&openai(json!({"anyOf": [clean(), clean()]})), &rules::OPENAI_ROOT, ""));
    assert!(has(&openai(json!({"type": "array", "items": clean()})), &rules::OPENAI_ROOT, ""));
    assert!(!has(&openai(clean()), &rules::OPENAI_ROOT, ""));
}

#[test]
fn openai_every_property_is_required() {
    let mut schema = clean();
    schema["properties"]["body"] =
        json!({"type": "object", "properties": {"x": {}, "y": {}}, "required": ["x"], "additionalProperties": false});
    schema["required"] = json!(["id", "n", "body"]);
    let found = openai(schema);
    assert!(has(&found, &rules::OPENAI_REQUIRED, "/properties/body/properties/y"), "{found:?}");
    assert_eq!(found.iter().filter(|(c, _)| *c == rules::OPENAI_REQUIRED.code).count(), 1);
}

#[test]
fn openai_every_object_sets_additional_properties_false() {
    let mut schema = clean();
    schema["properties"]["meta"] = json!({"type": "object"});
    schema["properties"]["tags"] =
        json!({"type": "array", "items": {"type": "object", "properties": {}, "additionalProperties": true}});
    schema["required"] = json!(["id", "n", "meta", "tags"]);
    let found = openai(schema);
    assert!(has(&found, &rules::OPENAI_ADDITIONAL, "/properties/meta"), "{found:?}");
    assert!(has(&found, &rules::OPENAI_ADDITIONAL, "/properties/tags/items"), "{found:?}");
    assert!(!has(&found, &rules::OPENAI_ADDITIONAL, ""));
}

#[test]
fn openai_refuses_composition_keywords_but_not_any_of_or_refs() {
    let mut schema = clean();
    schema["properties"]["id"] = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
    schema["properties"]["n"] = json!({"allOf": [{"$ref": "#/$defs/N"}]});
    schema["$defs"] = json!({"N": {"type": "integer", "not": {"const": 3}}, "M": {"anyOf": [{"type": "string"}]}});
    let found = openai(schema);
    for at in ["/properties/id/oneOf", "/properties/n/allOf", "/$defs/N/not"] {
        assert!(has(&found, &rules::OPENAI_KEYWORD, at), "{at}: {found:?}");
    }
    assert_eq!(found.iter().filter(|(c, _)| *c == rules::OPENAI_KEYWORD.code).count(), 3, "{found:?}");
}

#[test]
fn openai_limits_count_the_whole_schema() {
    let many: serde_json::Map<String, Value> =
        (0..5_001).map(|i| (format!("p{i}"), json!({"type": "string"}))).collect();
    let names: Vec<&String> = many.keys().collect();
    let schema = json!({"type": "object", "properties": many, "required": names, "additionalProperties": false});
    let found = openai(schema);
    assert!(has(&found, &rules::OPENAI_LIMITS, "5001 object properties (at most 5,000)"), "{:?}", &found[..1]);
    // Eleven objects deep.
    let mut deep = json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false});
    for _ in 0..10 {
        deep = json!({"type": "object", "properties": {"d": deep}, "required": ["d"], "additionalProperties": false});
    }
    assert!(has(&openai(deep.clone()), &rules::OPENAI_LIMITS, "11 levels of object nesting (at most 10)"));
    assert!(!openai(deep["properties"]["d"].clone()).iter().any(|(c, _)| *c == rules::OPENAI_LIMITS.code));
    let values: Vec<String> = (0..1_001).map(|i| format!("v{i}")).collect();
    let mut schema = clean();
    schema["properties"]["id"]["enum"] = json!(values);
    assert!(has(&openai(schema), &rules::OPENAI_LIMITS, "1001 enum values (at most 1,000)"));
    let long: Vec<String> = (0..300).map(|i| format!("{i:0>60}")).collect();
    let mut schema = clean();
    schema["properties"]["id"]["enum"] = json!(long);
    assert!(has(&openai(schema), &rules::OPENAI_LIMITS, "/properties/id/enum: over 250 strings and 15,000 characters"));
}

#[test]
fn gemini_refuses_refs_and_defs() {
    let mut schema = clean();
    schema["properties"]["n"] = json!({"$ref": "#/$defs/N"});
    schema["$defs"] = json!({"N": {"type": "integer"}});
    let found = gemini(schema);
    assert!(
        has(&found, &rules::GEMINI_REF, "/properties/n/$ref") && has(&found, &rules::GEMINI_REF, "/$defs"),
        "{found:?}"
    );
    assert!(!has(&gemini(clean()), &rules::GEMINI_REF, "/$defs"));
}

#[test]
fn gemini_refuses_additional_properties_composition_type_lists_and_numeric_enums() {
    let found = gemini(clean());
    assert!(has(&found, &rules::GEMINI_ADDITIONAL, "/additionalProperties"), "{found:?}");
    let mut schema = json!({"type": "object", "properties": {
        "a": {"oneOf": [{"type": "string"}]},
        "b": {"type": ["string", "null"]},
        "c": {"type": "integer", "enum": [1, 2]},
        "d": {"type": "string", "enum": ["x"], "nullable": true},
        "e": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }});
    let found = gemini(schema.clone());
    assert!(has(&found, &rules::GEMINI_COMPOSITION, "/properties/a/oneOf"), "{found:?}");
    assert!(has(&found, &rules::GEMINI_TYPE, "/properties/b/type"), "{found:?}");
    assert!(has(&found, &rules::GEMINI_ENUM, "/properties/c/enum"), "{found:?}");
    assert!(
        !found.iter().any(|(_, at)| at.starts_with("/properties/d") || at.starts_with("/properties/e")),
        "{found:?}"
    );
    schema["properties"] = json!({"a": {"allOf": [{"type": "string"}], "not": {"type": "null"}}});
    let found = gemini(schema);
    assert!(
        has(&found, &rules::GEMINI_COMPOSITION, "/properties/a/allOf")
            && has(&found, &rules::GEMINI_COMPOSITION, "/properties/a/not")
    );
}

#[test]
fn gemini_refuses_other_keywords_and_boolean_schemas() {
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "string", "examples": ["x"], "readOnly": true},
        "b": {"const": "x"},
        "c": true,
        "enum": {"type": "string"},
    }});
    let found = gemini(schema);
    for at in
        ["/properties/a/examples", "/properties/a/readOnly", "/properties/b/const", "/properties/c (a boolean schema)"]
    {
        assert!(has(&found, &rules::GEMINI_KEYWORD, at), "{at}: {found:?}");
    }
    // A property named like a keyword is a name.
    assert!(!found.iter().any(|(_, at)| at.starts_with("/properties/enum")), "{found:?}");
}

#[test]
fn gemini_parameter_names_are_identifiers() {
    let schema = json!({"type": "object", "properties": {"X-Request-Id": {"type": "string"}, "page.size": {}, "_ok": {}, "ok2": {}}});
    let found = gemini(schema.clone());
    assert!(has(&found, &rules::GEMINI_PARAMETER_NAME, "/properties/X-Request-Id"), "{found:?}");
    assert!(has(&found, &rules::GEMINI_PARAMETER_NAME, "/properties/page.size"), "{found:?}");
    assert_eq!(found.iter().filter(|(c, _)| *c == rules::GEMINI_PARAMETER_NAME.code).count(), 2);
    // A response schema has no parameters.
    let mut out = Vec::new();
    schema::gemini(&schema, false, &mut out);
    assert!(out.is_empty(), "{:?}", codes(&out));
}

#[test]
fn anthropic_and_portable_refuse_non_object_roots_and_top_level_composition() {
    for check in [schema::anthropic as fn(&Value, &mut Vec<Finding>), schema::portable] {
        let found = run(check, json!({"type": "object", "oneOf": [clean()], "allOf": [clean()]}));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|(_, at)| at == "/oneOf") && found.iter().any(|(_, at)| at == "/allOf"));
        assert_eq!(run(check, json!({"anyOf": [clean()]})).len(), 2, "no type and a top-level anyOf");
        // Composition below the top is fine for them.
        assert_eq!(run(check, json!({"type": "object", "properties": {"a": {"oneOf": [clean()]}}})), []);
    }
    let found = run(schema::anthropic, json!({"type": "array"}));
    assert!(has(&found, &rules::ANTHROPIC_ROOT, "/type"));
    assert!(has(&run(schema::portable, json!({})), &rules::PORTABLE_ROOT, "/type"));
}

#[test]
fn names_follow_each_providers_charset() {
    use super::{gemini_name, plain_name};
    assert!(plain_name("list_pets-v2") && plain_name(&"a".repeat(64)));
    assert!(!plain_name("") && !plain_name(&"a".repeat(65)) && !plain_name("pets.list") && !plain_name("späti"));
    assert!(gemini_name("pets.list") && gemini_name("_x"));
    assert!(!gemini_name("2fa_verify") && !gemini_name("-x") && !gemini_name(&"a".repeat(65)));
}

#[test]
fn odd_schemas_never_panic() {
    // Deep nesting (no recursion in the walk), booleans, wrong-typed keywords, non-object roots.
    let mut deep = json!({"type": "object"});
    for _ in 0..300 {
        deep = json!({"type": "object", "properties": {"d": deep}, "items": [true, 1, "x"], "anyOf": "no"});
    }
    for schema in [
        deep,
        json!(true),
        json!(null),
        json!([1, 2]),
        json!({"properties": [], "required": "x", "enum": 3, "type": 7}),
    ] {
        let mut out = Vec::new();
        schema::openai_strict(&schema, &mut out);
        schema::gemini(&schema, true, &mut out);
        schema::anthropic(&schema, &mut out);
        schema::portable(&schema, &mut out);
    }
}

#[test]
fn every_rule_is_in_the_docs_table_with_its_source() {
    let docs = include_str!("../../docs/profiles.md");
    for rule in rules::RULES {
        assert!(docs.contains(&format!("`{}`", rule.code)), "{} missing in docs/profiles.md", rule.code);
        let url = rule.source.split_whitespace().find(|w| w.starts_with("https://")).unwrap_or("(none)");
        let url = url.trim_end_matches([',', ')']);
        assert!(
            rule.source.contains("rows") || docs.contains(url),
            "{url} of {} missing in docs/profiles.md",
            rule.code
        );
        assert_eq!(rule.documented, !rule.source.starts_with("reported"), "{}", rule.code);
    }
}
