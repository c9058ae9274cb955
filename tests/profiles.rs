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

#[test]
fn findings_are_warnings_located_at_the_operation_with_their_source() {
    let out = mcpgen(&["validate", "fixtures/composition", "--profile", "gemini", "--profile", "openai-strict"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "findings alone pass: {stderr}");
    for expected in [
        "mcpgen::profile::gemini::ref",
        "gemini: 1 of 1 tool(s) (inputSchema): `$ref`, `$defs` and `definitions` are no fields of `Schema`",
        "(outputSchema as `response`)",
        "╭─[fixtures/composition/openapi.yaml:6:5]",
        "source: https://ai.google.dev/api/caching#Schema",
        "  --profile gemini: 1 of 1 tool(s) rejected (100 %)",
        // The `allOf`/`oneOf` and optional properties strict mode refuses are what the
        // openai-strict profile reshapes: as served with it, nothing is left to refuse.
        "  --profile openai-strict: 0 of 1 tool(s) rejected (0 %)",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("mcpgen::profile::openai_strict::"), "{stderr}");
}

#[test]
fn deny_profiles_fails_and_a_clean_server_passes() {
    let denied = mcpgen(&["validate", "fixtures/composition", "--profile", "gemini", "--deny", "profiles"]);
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("× gemini: 1 of 1 tool(s)"), "{}", text(&denied.stderr));
    // `--deny warnings` fails on them too (they are warnings).
    let warned = mcpgen(&["validate", "fixtures/composition", "--profile", "gemini", "--deny", "warnings"]);
    assert_eq!(warned.status.code(), Some(1));
    // Petstore's tools are objects with plain names: nothing for these profiles, so CI passes.
    let clean = ["validate", "fixtures/petstore", "--deny", "profiles", "--deny", "warnings"];
    let args: Vec<&str> =
        clean.into_iter().chain(["--profile", "anthropic", "--profile", "portable", "--profile", "cursor"]).collect();
    let out = mcpgen(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--profile anthropic: 0 of 5 tool(s) rejected (0 %)"));
}

#[test]
fn verbose_gives_one_finding_per_tool_and_json_counts_per_rule() {
    let grouped = mcpgen(&["validate", "fixtures/petstore", "--profile", "gemini", "--format", "json"]);
    let grouped: serde_json::Value = serde_json::from_slice(&grouped.stdout).unwrap();
    let verbose = mcpgen(&["validate", "fixtures/petstore", "--profile", "gemini", "--format", "json", "--verbose"]);
    let verbose: serde_json::Value = serde_json::from_slice(&verbose.stdout).unwrap();
    let count = |report: &serde_json::Value, code: &str| {
        let problems = report["problems"].as_array().unwrap().iter();
        problems.filter(|p| p["code"] == code && p["message"].as_str().unwrap().contains("(inputSchema)")).count()
    };
    let code = "mcpgen::profile::gemini::additional_properties";
    assert_eq!(count(&grouped, code), 1, "grouped: one per rule and part");
    assert_eq!(count(&verbose, code), 5, "verbose: one per tool");
    let profile = &grouped["profiles"][0];
    assert_eq!(
        (profile["profile"].as_str(), profile["tools"].as_u64(), profile["rejected"].as_u64()),
        (Some("gemini"), Some(5), Some(5))
    );
    assert_eq!(profile["toolsPerRule"][code], 5);
    // Every finding is located in the spec.
    for problem in verbose["problems"].as_array().unwrap() {
        if problem["code"].as_str().unwrap().starts_with("mcpgen::profile::") {
            assert!(problem["position"].as_str().unwrap().starts_with("fixtures/petstore/openapi.yaml:"), "{problem}");
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
fn a_real_spec_is_checked_by_every_profile_and_stays_readable() {
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
    // Stripe's optional query parameters and free-form metadata objects would break strict mode;
    // as the openai-strict profile serves them, none do. Every tool has `additionalProperties`
    // for Gemini; over 40 tools for Cursor; nothing for Anthropic.
    assert_eq!(rejected(Profile::OpenaiStrict), 0);
    assert_eq!(rejected(Profile::Gemini), ir.tools.len());
    assert!(rejected(Profile::Cursor) >= ir.tools.len() - 40);
    assert_eq!((rejected(Profile::Anthropic), rejected(Profile::Portable)), (0, 0));
    // Grouped, the whole report is a few diagnostics per profile, not one per tool.
    let grouped = profiles::problems(&input, &ir, &reports, Options::default());
    assert!(grouped.len() < 30, "{} diagnostics", grouped.len());
    let verbose = profiles::problems(&input, &ir, &reports, Options { verbose: true, deny: false });
    assert!(verbose.len() > 1_000);
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
