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

/// `levels` objects nested through property `a`, the innermost with a string `leaf`.
fn nested(levels: usize) -> Value {
    (1..levels).fold(
        json!({"type": "object", "properties": {"leaf": {"type": "string"}}}),
        |inner, _| json!({"type": "object", "properties": {"a": inner}}),
    )
}

/// A value of [`nested`]`(levels)`, and the same with the object below `text_at` `a`s given as
/// its JSON text (what a strict client sends where the listing asks for text).
fn nested_value(levels: usize, text_at: usize) -> (Value, Value) {
    let mut value = json!({"leaf": "x"});
    let mut sent = value.clone();
    for level in (1..levels).rev() {
        if level == text_at {
            sent = Value::String(value.to_string());
        }
        value = json!({"a": value});
        sent = json!({"a": sent});
    }
    (value, sent)
}

#[test]
fn strict_schemas_over_the_size_limits_lose_enum_lists_and_deep_objects_but_map_back() {
    let codes: Vec<Value> = (0..1_200).map(|i| json!(format!("code-{i}"))).collect();
    let generated = object(json!({
        "type": "object",
        "properties": {"country": {"type": "string", "enum": codes}, "tree": nested(14)},
        "required": ["country", "tree"],
        "additionalProperties": false,
    }));
    assert!(!limits::Size::of(&Value::Object(generated.clone())).fits());
    let served = Profile::OpenaiStrict.input_schema(&generated).unwrap();
    let size = limits::Size::of(&Value::Object(served.clone()));
    assert!(size.fits(), "{size:?}");
    assert_eq!((size.depth, size.enum_values), (10, 0));
    let country = &served["properties"]["country"];
    assert_eq!(country["type"], "string");
    assert!(country["description"].as_str().unwrap().starts_with("One of 1200 values, e.g. `\"code-0\"`"), "{country}");
    assert_strict(&Value::Object(served.clone()), "");

    // The root is level 1 and `tree` level 2, so the object 9 `a`s below `tree` is the 11th
    // level: listed as JSON text, with the name of its property.
    let pointer = format!("/properties/tree{}", "/properties/a".repeat(9));
    let text = Value::Object(served.clone()).pointer(&pointer).cloned().unwrap();
    // (optional, so nullable: the fallback keeps that)
    assert_eq!(text["type"], json!(["string", "null"]), "{text}");
    assert!(text["description"].as_str().unwrap().contains("keys such as a"), "{text}");
    let (value, sent) = nested_value(13, 8);
    let (tree, sent_tree) = (json!({"a": value}), json!({"a": sent}));
    let arguments = object(json!({"country": "code-7", "tree": sent_tree}));
    let back = Profile::OpenaiStrict.arguments_back(&generated, arguments);
    assert_eq!(Value::Object(back), json!({"country": "code-7", "tree": tree}));
}

#[test]
fn strict_schemas_over_the_property_limit_list_the_fewest_objects_as_text() {
    // 60 objects of 90 properties: 5,460 properties, so 6 of the objects must go.
    let wide: Map<String, Value> = (0..90).map(|i| (format!("f{i}"), json!({"type": "string"}))).collect();
    let properties: Map<String, Value> = (0..60)
        .map(|i| {
            (
                format!("part{i:02}"),
                json!({"type": "object", "properties": wide.clone(), "additionalProperties": false}),
            )
        })
        .collect();
    let generated = object(json!({"type": "object", "properties": properties, "additionalProperties": false}));
    let served = Profile::OpenaiStrict.input_schema(&generated).unwrap();
    let size = limits::Size::of(&Value::Object(served.clone()));
    assert!(size.fits(), "{size:?}");
    let as_text =
        served["properties"].as_object().unwrap().values().filter(|p| p["type"] == json!(["string", "null"])).count();
    assert_eq!(as_text, 6);
    assert_eq!(size.properties, 60 + 54 * 90);
    // One sent as text arrives as the object; a null for an optional one is left out as ever.
    let part = Value::Object(wide.keys().map(|k| (k.clone(), json!("v"))).collect());
    let arguments = object(json!({"part00": part.to_string(), "part01": null}));
    let back = Profile::OpenaiStrict.arguments_back(&generated, arguments);
    assert_eq!(Value::Object(back), json!({"part00": part}));
}

#[test]
fn cursor_cuts_names_too_long_beside_the_server_name() {
    // `github-mcp` leaves 49 characters (Cursor: under 60 with the server's name).
    let long = "create_a_very_long_name_for_a_repository_webhook_subscription";
    let short = Profile::Cursor.tool_name("github-mcp", long).unwrap();
    assert_eq!(short, "create_a_very_long_name_for_a_repository_w_71538e");
    assert_eq!(short.len(), 49);
    let other = Profile::Cursor.tool_name("github-mcp", &long.replace("subscription", "subscriptions")).unwrap();
    assert_ne!(short, other, "names cut to the same prefix stay distinct");
    assert_eq!(Profile::Cursor.tool_name("github-mcp", "get_repo"), None, "a name that fits is kept");
    assert_eq!(Profile::Portable.tool_name("github-mcp", long), None);
    assert_eq!(Profile::Cursor.tool_name(&"s".repeat(45), long), None, "no room for a readable name");
}
