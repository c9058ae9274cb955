//! `mcpgen validate --profile NAME` (issue 14, item 2): the portability lint through the CLI, on
//! real fixtures and, when it is on this machine, a spec of the corpus. The lint checks the tools
//! as a server started with that profile lists them: for `openai-strict`, after the schema
//! transform of item 1 (`runtime/src/profile.rs`).

use std::path::PathBuf;
use std::process::{Command, Output};

use mcpgen::profiles::{self, Options, Profile};

use crate::support::root;

fn mcpgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(root()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server named `server` of `listings` + 1 operations whose `pick_colour` has a query
/// parameter of 1,001 enum values (over OpenAI's 1,000, which its profile fits). Returns the
/// directory (manifest + spec), removed by the caller.
fn wide_api(tag: &str, server: &str, listings: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpgen-profiles-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = serde_json::Map::new();
    for i in 0..listings {
        let operation = serde_json::json!({"get": {"operationId": format!("listItems{i:02}"), "responses": {"200": {"description": "ok"}}}});
        paths.insert(format!("/items{i:02}"), operation);
    }
    let colours: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
    let pick = serde_json::json!({"get": {"operationId": "pickColour", "parameters": [
        {"name": "colour", "in": "query", "schema": {"type": "string", "enum": colours}}
    ], "responses": {"200": {"description": "ok"}}}});
    paths.insert("/colour".into(), pick);
    let spec = serde_json::json!({"openapi": "3.0.3", "info": {"title": "Wide", "version": "1"},
        "servers": [{"url": "https://wide.invalid"}], "paths": paths});
    std::fs::write(dir.join("openapi.json"), serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    std::fs::write(
        dir.join("mcpgen.yaml"),
        format!("version: 1\nserver: {{name: {server}}}\napis:\n  wide: {{spec: openapi.json}}\n"),
    )
    .unwrap();
    dir
}

#[test]
fn findings_are_warnings_located_at_the_operation_with_their_source() {
    // The `allOf`/`oneOf`, `$ref`s and optional properties of the composition fixture are what
    // the openai-strict and gemini profiles reshape: as served with them, nothing is refused.
    let out = mcpgen(&["validate", "fixtures/composition", "--profile", "gemini", "--profile", "openai-strict"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("  --profile gemini: 0 of 1 tool(s) rejected (0 %)"), "{stderr}");
    assert!(stderr.contains("  --profile openai-strict: 0 of 1 tool(s) rejected (0 %)"), "{stderr}");
    assert!(!stderr.contains("mcpgen::profile::"), "{stderr}");
    // OpenAI's size limits are fitted too (the enum of 1,001 values is listed without its list).
    let dir = wide_api("fitted", "wide-mcp", 44);
    let out = mcpgen(&["validate", dir.to_str().unwrap(), "--profile", "openai-strict"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        text(&out.stderr).contains("--profile openai-strict: 0 of 45 tool(s) rejected (0 %)"),
        "{}",
        text(&out.stderr)
    );
    // What no transform fixes is reported, located at the operation, with its source: beside a
    // server name of 53 characters, no tool name leaves Cursor the room it needs.
    let dir = wide_api("located", LONG_SERVER, 29);
    let out = mcpgen(&["validate", dir.to_str().unwrap(), "--profile", "cursor"]);
    let stderr = text(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "findings alone pass: {stderr}");
    for expected in [
        "mcpgen::profile::cursor::name_length",
        "cursor: 30 of 30 tool(s) (name): server name + tool name of 60 characters or more are filtered out",
        &format!("`{LONG_SERVER}` + `list_items00`: 65 characters"),
        "openapi.json:",
        "not documented by the provider; reported: Cursor's warning",
        "  --profile cursor: 30 of 30 tool(s) rejected (100 %)",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
}

/// A server name that leaves Cursor too little room for any tool's name beside it.
const LONG_SERVER: &str = "an-mcp-server-whose-name-leaves-cursor-no-room-at-all";

#[test]
fn deny_profiles_fails_and_a_clean_server_passes() {
    let dir = wide_api("deny", LONG_SERVER, 29);
    let path = dir.to_str().unwrap();
    let denied = mcpgen(&["validate", path, "--profile", "cursor", "--deny", "profiles"]);
    // `--deny warnings` fails on them too (they are warnings).
    let warned = mcpgen(&["validate", path, "--profile", "cursor", "--deny", "warnings"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("× cursor: 30 of 30 tool(s)"), "{}", text(&denied.stderr));
    assert_eq!(warned.status.code(), Some(1));
    // Petstore's tools are objects with plain names: nothing for these profiles, so CI passes.
    let clean = ["validate", "fixtures/petstore", "--deny", "profiles", "--deny", "warnings"];
    let args: Vec<&str> = clean
        .into_iter()
        .chain(["--profile", "anthropic", "--profile", "portable", "--profile", "cursor", "--profile", "gemini"])
        .collect();
    let out = mcpgen(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--profile anthropic: 0 of 5 tool(s) rejected (0 %)"));
}

#[test]
fn verbose_gives_one_finding_per_tool_and_json_counts_per_rule() {
    // 45 tools: Cursor gets the discovery surface, whose three meta-tools' names are too long
    // beside this server's, so every tool is out of reach.
    let dir = wide_api("verbose", LONG_SERVER, 44);
    let path = dir.to_str().unwrap();
    let grouped = mcpgen(&["validate", path, "--profile", "cursor", "--format", "json"]);
    let verbose = mcpgen(&["validate", path, "--profile", "cursor", "--format", "json", "--verbose"]);
    let _ = std::fs::remove_dir_all(&dir);
    let grouped: serde_json::Value = serde_json::from_slice(&grouped.stdout).unwrap();
    let verbose: serde_json::Value = serde_json::from_slice(&verbose.stdout).unwrap();
    let count = |report: &serde_json::Value, code: &str| {
        report["problems"].as_array().unwrap().iter().filter(|p| p["code"] == code).count()
    };
    let code = "mcpgen::profile::cursor::name_length";
    assert_eq!(count(&grouped, code), 1, "grouped: one per rule and part");
    assert_eq!(count(&verbose, code), 45, "verbose: one per tool");
    assert!(verbose.to_string().contains("+ `describe_tools`: 67 characters"), "{verbose}");
    let profile = &grouped["profiles"][0];
    assert_eq!(
        (profile["profile"].as_str(), profile["tools"].as_u64(), profile["rejected"].as_u64()),
        (Some("cursor"), Some(45), Some(45))
    );
    assert_eq!(profile["toolsPerRule"][code], 45);
    // Every finding is located in the spec.
    for problem in verbose["problems"].as_array().unwrap() {
        if problem["code"].as_str().unwrap().starts_with("mcpgen::profile::") {
            assert!(problem["position"].as_str().unwrap().contains("openapi.json:"), "{problem}");
        }
    }
}

#[test]
fn without_a_profile_validate_reports_no_portability() {
    let out = mcpgen(&["validate", "fixtures/composition"]);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("mcpgen::profile::") && !stderr.contains("portability"), "{stderr}");
    let bad = mcpgen(&["validate", "fixtures/petstore", "--profile", "grok"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("openai-strict, gemini, anthropic, cursor, portable"), "{}", text(&bad.stderr));
}

/// A corpus spec (docs/corpus.md), when this machine has the corpus.
fn corpus_spec(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MCPGEN_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/mcpgen-corpus/package/api")
    });
    Some(dir.join(name)).filter(|p| p.is_file())
}

#[test]
fn a_real_spec_is_served_to_every_profile_and_its_report_stays_readable() {
    let Some(spec) = corpus_spec("stripe.com.json") else {
        eprintln!("skipped: no corpus (see docs/corpus.md)");
        return;
    };
    let text = std::fs::read_to_string(spec).unwrap();
    let manifest =
        "version: 1\nserver: {name: api-mcp}\napis:\n  api: {spec: openapi.json, base_url: \"https://api.invalid\"}\n";
    let input = mcpgen::load_texts(manifest, &[("openapi.json", &text)]).unwrap();
    let (ir, _) = mcpgen::plan(&input).unwrap();
    let all = [Profile::OpenaiStrict, Profile::Gemini, Profile::Anthropic, Profile::Cursor, Profile::Portable];
    let reports: Vec<_> = all.iter().map(|p| profiles::check(&ir, *p)).collect();
    let rejected = |p: Profile| reports.iter().find(|r| r.profile == p).unwrap().rejected.len();
    assert!(ir.tools.len() > 400);
    // Stripe's optional query parameters, free-form metadata objects, `$ref`s and type lists
    // would break strict mode and Gemini, its 452 tools Cursor's 40-tool cut; as their profiles
    // serve them, none do (Cursor's gets the discovery surface). Nothing for Anthropic.
    assert_eq!((rejected(Profile::OpenaiStrict), rejected(Profile::Gemini)), (0, 0));
    assert_eq!((rejected(Profile::Cursor), rejected(Profile::Anthropic), rejected(Profile::Portable)), (0, 0, 0));
    assert!(profiles::problems(&input, &ir, &reports, Options { verbose: true, deny: false }).is_empty());
    // Grouped, a report of every tool is a few diagnostics per profile, not one per tool: with a
    // server name too long for Cursor's meta-tool names, all 452 are out of Cursor's reach.
    let manifest = manifest.replace("api-mcp", LONG_SERVER);
    let input = mcpgen::load_texts(&manifest, &[("openapi.json", &text)]).unwrap();
    let (ir, _) = mcpgen::plan(&input).unwrap();
    let reports = [profiles::check(&ir, Profile::Cursor)];
    assert_eq!(reports[0].rejected.len(), ir.tools.len());
    let grouped = profiles::problems(&input, &ir, &reports, Options::default());
    assert!(grouped.len() < 5, "{} diagnostics", grouped.len());
    let verbose = profiles::problems(&input, &ir, &reports, Options { verbose: true, deny: false });
    assert!(verbose.len() > 400);
    assert!(grouped.iter().all(|p| p.position().is_some()
        && p.help.as_deref().is_some_and(|h| h.contains("source: ") || h.contains("not documented"))));
}

#[test]
fn the_manifest_names_the_profile_a_server_starts_with() {
    let spec = std::fs::read_to_string(root().join("fixtures/petstore/openapi.yaml")).unwrap();
    let table = |server: &str| {
        let manifest = format!("version: 1\nserver: {server}\napis:\n  pets: {{spec: openapi.yaml}}\n");
        let input = mcpgen::load_texts(&manifest, &[("openapi.yaml", &spec)]).unwrap();
        let (tree, _) = mcpgen::generate(&input).unwrap();
        serde_json::from_str::<serde_json::Value>(&tree["src/tools.json"]).unwrap()
    };
    assert_eq!(table("{name: pets-mcp, profile: openai-strict}")["profile"], "openai-strict");
    assert!(table("{name: pets-mcp}").get("profile").is_none(), "portable is the default and not written");
    let bad = mcpgen(&["validate", "fixtures/petstore", "--profile", "openai-strict"]);
    assert_eq!(bad.status.code(), Some(0), "{}", text(&bad.stderr));
}
