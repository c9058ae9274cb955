//! Remote `$ref`s (issue 3): refused by default, fetched from a real HTTP server on 127.0.0.1 when
//! the manifest allows their URL prefix.

use std::net::SocketAddr;

use axum::routing::get;

/// Serves `/schemas/pet.yaml` (which itself references `common.yaml` relatively) on loopback.
async fn schema_server() -> String {
    let app = axum::Router::new()
        .route(
            "/schemas/pet.yaml",
            get(|| async {
                "Pet:\n  type: object\n  properties:\n    name: {type: string}\n    tag: {$ref: 'common.yaml#/Tag'}\n"
            }),
        )
        .route("/schemas/common.yaml", get(|| async { "Tag: {type: string, maxLength: 10}\n" }));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn write_inputs(dir: &std::path::Path, base: &str, allow: &str) {
    let spec = format!(
        "openapi: 3.0.3\ninfo: {{title: Remote, version: '1'}}\nservers: [{{url: 'https://r.example.com'}}]\npaths:\n  /pets:\n    post:\n      operationId: addPet\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {{$ref: '{base}/schemas/pet.yaml#/Pet'}}\n      responses: {{'204': {{description: ok}}}}\n"
    );
    std::fs::write(dir.join("openapi.yaml"), spec).unwrap();
    let manifest =
        format!("version: 1\nserver: {{name: remote-mcp}}\napis:\n  remote:\n    spec: openapi.yaml{allow}\n");
    std::fs::write(dir.join("mcpgen.yaml"), manifest).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_refs_are_fetched_only_from_allowed_prefixes() {
    let base = schema_server().await;
    let dir = tempfile::tempdir().unwrap();

    write_inputs(dir.path(), &base, "");
    let inputs = mcpgen::Inputs::from_dir(dir.path()).unwrap();
    let refused =
        tokio::task::spawn_blocking(move || mcpgen::load(&inputs).and_then(|i| mcpgen::generate(&i)).map(|_| ()))
            .await
            .unwrap();
    let problems = refused.unwrap_err();
    assert_eq!(problems.0[0].code, "mcpgen::spec::remote_ref");
    assert!(problems.render(Some(100), false).contains("allow_remote_refs"));

    write_inputs(dir.path(), &base, &format!("\n    allow_remote_refs: ['{base}/schemas/']"));
    let inputs = mcpgen::Inputs::from_dir(dir.path()).unwrap();
    let (tree, _) =
        tokio::task::spawn_blocking(move || mcpgen::generate(&mcpgen::load(&inputs).unwrap()).unwrap()).await.unwrap();
    let table: mcpgen::definition::ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
    let served = table.served_tool(&table.tools[0]).unwrap();
    let schema = &served["inputSchema"];
    assert_eq!(schema["$defs"]["Pet"]["properties"]["tag"], serde_json::json!({"$ref": "#/$defs/Tag"}));
    assert_eq!(
        schema["$defs"]["Tag"],
        serde_json::json!({"type": "string", "maxLength": 10}),
        "relative refs inside a remote document resolve against its URL"
    );
}
