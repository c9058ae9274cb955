//! The search terms a discovery table ships (issue 12): what a tool is found by must be what it
//! does, not words the generator or the protocol add around it.

use mcpgen::definition::ServerDefinition;
use mcpgen::search::Field;

const SPEC: &str = r#"
openapi: 3.0.3
info: {title: Directory, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /groups:
    post: {operationId: createGroup, summary: Create group, description: Create a new group., responses: {'201': {description: ok}}}
  /groups/microsoft.graph.validateProperties:
    post: {operationId: validateProperties, summary: Validate properties, description: Validate a group's name before you create a group., responses: {'204': {description: ok}}}
  /drives/{id}/items:
    get:
      operationId: listItems
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: $search, in: query, schema: {type: string}}
        - {name: $top, in: query, schema: {type: integer}}
        - {name: folder, in: query, schema: {type: string}}
      responses: {'200': {description: ok}}
  /providers/{id}:
    patch:
      operationId: updateProvider
      summary: Update identity provider
      deprecated: true
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'204': {description: ok}}
"#;

/// The table's tools as `(name, terms)`, generated as a discovery server.
fn terms() -> Vec<(String, mcpgen::search::Terms)> {
    let manifest = r#"{"version": 1, "server": {"name": "dir-mcp", "surface": "discovery"},
        "apis": {"dir": {"spec": "openapi.yaml"}}}"#;
    let input = mcpgen::load_texts(manifest, &[("openapi.yaml", SPEC)]).expect("loads");
    let (tree, _) = mcpgen::generate(&input).expect("generates");
    let table: ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
    table.tools.into_iter().map(|t| (t.tool["name"].as_str().unwrap().to_owned(), t.search)).collect()
}

fn field<'a>(terms: &'a [(String, mcpgen::search::Terms)], tool: &str, field: Field) -> &'a str {
    let (_, terms) = terms.iter().find(|(name, _)| name.ends_with(tool)).unwrap_or_else(|| panic!("no {tool}"));
    terms.fields.get(&field).map_or("", String::as_str)
}

#[test]
fn a_deprecated_tool_is_found_by_what_it_does_not_by_its_deprecation_note() {
    let terms = terms();
    let description = field(&terms, "update_provider", Field::Description);
    assert!(!description.contains("avoid") && !description.contains("job"), "{description}");
    assert!(!field(&terms, "update_provider", Field::Title).contains("deprec"));
    assert!(field(&terms, "update_provider", Field::Title).contains("provid"));
}

#[test]
fn posting_to_a_bound_operation_does_not_count_as_creating() {
    let terms = terms();
    assert_eq!(field(&terms, "validate_properties", Field::Verb), "");
    assert!(field(&terms, "create_group", Field::Verb).contains("creat"));
    let index = mcpgen::search::Index::new(terms.iter().map(|(_, t)| t));
    let best = index.search("create a group", |_| true, 1)[0].doc;
    assert!(terms[best].0.ends_with("create_group"), "{:?}", terms[best].0);
}

#[test]
fn odata_system_query_options_are_not_search_terms() {
    let terms = terms();
    assert_eq!(field(&terms, "list_items", Field::Param), "id folder");
}
