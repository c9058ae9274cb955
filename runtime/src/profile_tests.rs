use super::*;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

/// Every object of `schema` (`$defs` included) has all its properties required and no others.
fn assert_strict(schema: &Value, at: &str) {
    match schema {
        Value::Object(map) => {
            for keyword in ["allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas"] {
                assert!(!map.contains_key(keyword), "{keyword} at {at}");
            }
            if is_object(map) {
                assert_eq!(map.get("additionalProperties"), Some(&Value::Bool(false)), "at {at}");
                let names: Vec<&String> = map["properties"].as_object().map(|p| p.keys().collect()).unwrap_or_default();
                let required: Vec<&str> =
                    map["required"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
                assert_eq!(names, required, "at {at}");
            }
            for (key, child) in map {
                assert_strict(child, &format!("{at}/{key}"));
            }
        }
        Value::Array(items) => items.iter().enumerate().for_each(|(i, item)| assert_strict(item, &format!("{at}/{i}"))),
        _ => {}
    }
}

fn schema() -> Map<String, Value> {
    object(json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "limit": {"type": "integer", "enum": [10, 50]},
            "note": {"type": ["string", "null"]},
            "pet": {"$ref": "#/$defs/Pet"},
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            "kind": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        },
        "required": ["id"],
        "additionalProperties": false,
        "$defs": {
            "Named": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
            "Pet": {
                "allOf": [
                    {"$ref": "#/$defs/Named"},
                    {"type": "object", "properties": {"tag": {"type": "string"}, "age": {"type": "integer"}}, "not": {"required": ["x"]}},
                ],
            },
        },
    }))
}

#[test]
fn portable_lists_the_schema_as_generated() {
    assert_eq!(Profile::Portable.input_schema(&schema()), None);
    let args = object(json!({"id": "1", "note": null}));
    assert_eq!(Profile::Portable.arguments_back(&schema(), args.clone()), args);
    assert_eq!(Profile::from_name("anthropic"), Some(Profile::Portable));
    assert_eq!(Profile::from_name("openai-strict"), Some(Profile::OpenaiStrict));
    assert_eq!(Profile::from_name("openai"), None);
}

#[test]
fn openai_strict_requires_every_property_and_closes_every_object() {
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&schema()).unwrap());
    assert_strict(&strict, "#");
    let properties = &strict["properties"];
    assert_eq!(properties["id"], json!({"type": "string"}), "required stays as it was");
    assert_eq!(properties["limit"], json!({"type": ["integer", "null"], "enum": [10, 50, null]}));
    assert_eq!(properties["note"], json!({"type": ["string", "null"]}), "already nullable");
    assert_eq!(properties["pet"], json!({"anyOf": [{"$ref": "#/$defs/Pet"}, {"type": "null"}]}));
    assert_eq!(properties["kind"]["anyOf"], json!([{"type": "string"}, {"type": "integer"}, {"type": "null"}]));
    assert_eq!(properties["metadata"]["type"], json!(["array", "null"]));
    assert_eq!(properties["metadata"]["items"]["properties"]["value"], json!({"type": "string"}));
    // allOf merged: the referenced part's properties and `required` joined to the inline part's.
    let pet = &strict["$defs"]["Pet"];
    assert_eq!(pet["properties"]["name"], json!({"type": "string"}));
    assert_eq!(pet["properties"]["tag"], json!({"type": ["string", "null"]}));
    assert_eq!(pet["required"], json!(["name", "tag", "age"]));
}

#[test]
fn strict_arguments_map_back_to_what_the_portable_schema_takes() {
    let original = schema();
    let sent = object(json!({
        "id": "1",
        "limit": null,
        "note": null,
        "pet": {"name": "Rex", "tag": null, "age": 3},
        "metadata": [{"key": "colour", "value": "brown"}, {"key": "size", "value": "L"}],
        "kind": null,
    }));
    let back = Profile::OpenaiStrict.arguments_back(&original, sent);
    assert_eq!(
        Value::Object(back),
        json!({
            "id": "1",
            // `note` also takes null, but a strict client's null means "left out": sending it
            // would clear the field.
            "pet": {"name": "Rex", "age": 3},
            "metadata": {"colour": "brown", "size": "L"},
        })
    );
    // Arguments a portable client would send pass unchanged.
    let portable = object(json!({"id": "1", "metadata": {"a": "b"}, "pet": {"name": "Rex"}}));
    assert_eq!(Profile::OpenaiStrict.arguments_back(&original, portable.clone()), portable);
}

#[test]
fn an_open_root_and_free_form_values_become_strict_too() {
    let open = object(json!({"type": "object", "properties": {"body": {"type": "object"}}}));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&open).unwrap());
    assert_strict(&strict, "#");
    assert_eq!(strict["properties"]["body"]["items"]["properties"]["value"], json!({"type": SCALARS}));
    let back = Profile::OpenaiStrict.arguments_back(&open, object(json!({"body": [{"key": "a", "value": 1}]})));
    assert_eq!(Value::Object(back), json!({"body": {"a": 1}}));
    let empty = Value::Object(Profile::OpenaiStrict.input_schema(&object(json!({"type": "object"}))).unwrap());
    assert_eq!(empty, json!({"type": "object", "properties": {}, "additionalProperties": false, "required": []}));
}

#[test]
fn recursive_definitions_stay_references() {
    let tree = object(json!({
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
        "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
    }));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&tree).unwrap());
    assert_strict(&strict, "#");
    let sent = object(json!({"root": {"children": [{"children": null}, {"children": []}]}}));
    let back = Profile::OpenaiStrict.arguments_back(&tree, sent);
    assert_eq!(Value::Object(back), json!({"root": {"children": [{}, {"children": []}]}}));
}

#[test]
fn a_definition_that_refers_to_itself_through_all_of_is_not_inlined_forever() {
    // AWS Cost Explorer's filter: `Not` is `allOf: [Expression, {description}]` inside Expression.
    let expression = object(json!({
        "type": "object",
        "properties": {"filter": {"$ref": "#/$defs/Expression"}},
        "$defs": {
            "Expression": {"type": "object", "properties": {
                "Not": {"allOf": [{"$ref": "#/$defs/Expression"}, {"description": "Negates."}]},
                "Key": {"type": "string"}
            }},
            // A definition extending itself with more properties.
            "Chain": {"allOf": [{"$ref": "#/$defs/Chain"}, {"type": "object", "properties": {"next": {"type": "string"}}}]},
        },
    }));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&expression).unwrap());
    assert_strict(&strict, "#");
    let not = &strict["$defs"]["Expression"]["properties"]["Not"];
    assert_eq!(not, &json!({"anyOf": [{"$ref": "#/$defs/Expression", "description": "Negates."}, {"type": "null"}]}));
    let chain = &strict["$defs"]["Chain"];
    assert_eq!(chain["$ref"], "#/$defs/Chain", "kept as a reference beside the merged keywords");
    assert_eq!(chain["properties"]["next"], json!({"type": ["string", "null"]}));
    let sent = object(json!({"filter": {"Not": {"Not": {"Key": "a", "Not": null}, "Key": null}}}));
    let back = Profile::OpenaiStrict.arguments_back(&expression, sent);
    assert_eq!(Value::Object(back), json!({"filter": {"Not": {"Not": {"Key": "a"}}}}));
}

#[test]
fn an_object_whose_branches_carry_the_properties_is_no_map() {
    let schema = object(json!({
        "type": "object",
        "properties": {"source": {"type": "object", "oneOf": [
            {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
            {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
        ]}},
    }));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&schema).unwrap());
    assert_strict(&strict, "#");
    let source = &strict["properties"]["source"];
    assert_eq!(source.get("type"), None, "the branches say it is an object");
    assert_eq!(source["anyOf"][0]["properties"]["url"], json!({"type": "string"}));
    assert_eq!(source["anyOf"][2], json!({"type": "null"}));
    let back = Profile::OpenaiStrict.arguments_back(&schema, object(json!({"source": {"path": "/a"}})));
    assert_eq!(Value::Object(back), json!({"source": {"path": "/a"}}));
}

#[test]
fn definitions_nested_in_a_definition_are_reached_and_made_strict() {
    // Codat's bank feeds: draft-07 `definitions` inside a component, referred to by pointer.
    let schema = object(json!({
        "type": "object",
        "properties": {"body": {"$ref": "#/$defs/Batch"}},
        "required": ["body"],
        "$defs": {"Batch": {
            "type": "object",
            "properties": {"lines": {"type": "array", "items": {"$ref": "#/$defs/Batch/definitions/line"}}},
            "definitions": {
                "base": {"type": "object", "properties": {"amount": {"type": "number"}}},
                "line": {"allOf": [{"$ref": "#/$defs/Batch/definitions/base"}, {"type": "object", "properties": {"note": {"type": "string"}}}]}
            }
        }},
    }));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&schema).unwrap());
    assert_strict(&strict, "#");
    let line = &strict["$defs"]["Batch"]["definitions"]["line"];
    assert_eq!(line["required"], json!(["amount", "note"]), "parts merged in order");
    let sent = object(json!({"body": {"lines": [{"amount": 3, "note": null}]}}));
    let back = Profile::OpenaiStrict.arguments_back(&schema, sent);
    assert_eq!(Value::Object(back), json!({"body": {"lines": [{"amount": 3}]}}));
}

/// Nothing Gemini's `Schema` lacks is left in `schema`.
fn assert_gemini(schema: &Value, at: &str) {
    let Value::Object(map) = schema else { panic!("a {schema} schema at {at}") };
    for (key, value) in map {
        assert!(GEMINI_FIELDS.contains(&key.as_str()), "{key} at {at}");
        match key.as_str() {
            "type" => assert!(value.is_string(), "type {value} at {at}"),
            "enum" => assert!(value.as_array().unwrap().iter().all(Value::is_string), "enum {value} at {at}"),
            "properties" => value.as_object().unwrap().iter().for_each(|(k, v)| assert_gemini(v, &format!("{at}/{k}"))),
            "items" => assert_gemini(value, &format!("{at}/items")),
            "anyOf" => value.as_array().unwrap().iter().for_each(|v| assert_gemini(v, &format!("{at}/anyOf"))),
            _ => {}
        }
    }
}

#[test]
fn gemini_gets_inlined_references_single_types_string_enums_and_safe_names() {
    let mut original = schema();
    original["properties"].as_object_mut().unwrap().insert("x-trace-id".into(), json!({"type": "string"}));
    original["properties"].as_object_mut().unwrap().insert("level".into(), json!({"enum": [1, 2, null]}));
    let served = Value::Object(Profile::Gemini.input_schema(&original).unwrap());
    assert_gemini(&served, "#");
    let properties = &served["properties"];
    assert_eq!(properties["note"], json!({"type": "string", "nullable": true}));
    assert_eq!(properties["level"], json!({"type": "string", "enum": ["1", "2"], "nullable": true}));
    assert_eq!(
        properties["pet"]["properties"]["name"],
        json!({"type": "string"}),
        "the reference inlined, allOf merged"
    );
    assert_eq!(properties["metadata"]["items"]["properties"]["value"], json!({"type": "string"}));
    assert!(properties.get("x-trace-id").is_none());
    assert_eq!(properties["x_trace_id"], json!({"type": "string"}));

    let sent = object(json!({
        "id": "1", "x_trace_id": "t-1", "level": "2", "limit": 50,
        "metadata": [{"key": "a", "value": "b"}], "pet": {"name": "Rex"}
    }));
    let back = Profile::Gemini.arguments_back(&original, sent);
    assert_eq!(
        Value::Object(back),
        json!({"id": "1", "x-trace-id": "t-1", "level": 2, "limit": 50, "metadata": {"a": "b"}, "pet": {"name": "Rex"}})
    );
}

#[test]
fn gemini_asks_for_a_recursive_value_as_json_text() {
    let tree = object(json!({
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {"Node": {"type": "object", "description": "A node.", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
        }}},
    }));
    let served = Value::Object(Profile::Gemini.input_schema(&tree).unwrap());
    assert_gemini(&served, "#");
    let children = &served["properties"]["root"]["properties"]["children"];
    assert_eq!(children["items"]["type"], "string", "the second level is JSON text");
    let sent = object(json!({"root": {"name": "a", "children": [r#"{"name": "b", "children": []}"#]}}));
    let back = Profile::Gemini.arguments_back(&tree, sent);
    assert_eq!(Value::Object(back), json!({"root": {"name": "a", "children": [{"name": "b", "children": []}]}}));
    // A name that is JSON-looking text where the schema takes a string stays a string.
    let kept = Profile::Gemini.arguments_back(&tree, object(json!({"root": {"name": "{\"x\": 1}"}})));
    assert_eq!(kept["root"]["name"], "{\"x\": 1}");
}

#[test]
fn clashing_parameter_names_get_a_suffix() {
    let schema = object(json!({"type": "object", "properties": {"a-b": {}, "a_b": {}, "a.b": {}, "1st": {}}}));
    assert_eq!(
        gemini::parameter_names(&schema),
        [("a-b".into(), "a_b_2".into()), ("a.b".into(), "a_b_3".into()), ("1st".into(), "_1st".into())]
    );
}

#[test]
fn an_optional_header_argument_loses_its_x_mcp_header_when_made_nullable() {
    let schema = object(json!({"type": "object", "properties": {
        "X-Request-ID": {"type": "string", "x-mcp-header": "Request-ID"},
        "Tenant": {"type": "string", "x-mcp-header": "Tenant"}
    }, "required": ["Tenant"]}));
    let strict = Value::Object(Profile::OpenaiStrict.input_schema(&schema).unwrap());
    assert_eq!(strict["properties"]["X-Request-ID"], json!({"type": ["string", "null"]}));
    assert_eq!(strict["properties"]["Tenant"]["x-mcp-header"], "Tenant", "a required one keeps it");
}

#[test]
fn gemini_keeps_only_the_formats_its_schema_documents() {
    let schema = object(json!({"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"},
        "site": {"type": "string", "format": "uri"},
        "count": {"type": "integer", "format": "int64"},
        "code": {"enum": [1, 2], "format": "int32"}
    }}));
    let served = Value::Object(Profile::Gemini.input_schema(&schema).unwrap());
    let properties = &served["properties"];
    assert_eq!(properties["at"]["format"], "date-time");
    assert_eq!(properties["site"].get("format"), None);
    assert_eq!(properties["count"]["format"], "int64");
    assert_eq!(properties["code"].get("format"), None, "an integer enum served as text loses int32");
}

#[test]
fn gemini_leaves_out_a_default_beside_any_of() {
    let schema = object(json!({"type": "object", "properties": {
        "kind": {"oneOf": [{"type": "string"}, {"type": "integer"}], "default": "a"},
        "size": {"type": "integer", "default": 3}
    }}));
    let served = Value::Object(Profile::Gemini.input_schema(&schema).unwrap());
    assert_eq!(served["properties"]["kind"].get("default"), None);
    assert_eq!(served["properties"]["size"]["default"], 3);
}
