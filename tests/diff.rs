//! `mcpgen diff`: every kind of change to the tool surface, classified, in each output format.

use std::process::{Command, Output};

use crate::support::root;

fn mcpgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(root()).env("NO_COLOR", "1").output().unwrap()
}

#[test]
fn every_breaking_and_non_breaking_kind_is_classified() {
    let out = mcpgen(&["diff", "fixtures/diff/old", "fixtures/diff/new", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "breaking changes fail");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<(bool, &str)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["breaking"].as_bool().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    for kind in [
        "tool_removed",
        "tool_renamed",
        "parameter_added_required",
        "parameter_required",
        "parameter_removed",
        "type_narrowed",
        "enum_value_removed",
        "now_writes",
        "scope_added",
    ] {
        assert!(kinds.contains(&(true, kind)), "{kind} must be breaking: {kinds:?}");
    }
    for kind in ["tool_added", "parameter_added", "type_widened", "enum_value_added"] {
        assert!(kinds.contains(&(false, kind)), "{kind} must be non-breaking: {kinds:?}");
    }
    assert_eq!(report["breaking"], 9);
}

#[test]
fn text_and_markdown_reports_and_exit_codes() {
    let text = mcpgen(&["diff", "fixtures/diff/old", "fixtures/diff/new"]);
    insta::assert_snapshot!("diff_text", String::from_utf8_lossy(&text.stdout));
    let markdown =
        mcpgen(&["diff", "fixtures/diff/old/openapi.yaml", "fixtures/diff/new/openapi.yaml", "--format", "markdown"]);
    insta::assert_snapshot!("diff_markdown", String::from_utf8_lossy(&markdown.stdout));
    let allowed = mcpgen(&["diff", "fixtures/diff/old", "fixtures/diff/new", "--allow-breaking"]);
    assert_eq!(allowed.status.code(), Some(0));
    let same = mcpgen(&["diff", "fixtures/diff/old", "fixtures/diff/old/mcpgen.yaml"]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&same.stdout), "no changes to the tool surface\n");
}
