//! The command line as a user runs it: help, exit codes, output (issue 2, item 2).

use std::process::{Command, Output};

use crate::support::root;

fn mcpgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen")).args(args).current_dir(root()).env("NO_COLOR", "1").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_documents_commands_and_exit_codes() {
    let out = mcpgen(&["--help"]);
    assert!(out.status.success());
    insta::assert_snapshot!("help", text(&out.stdout));
    let out = mcpgen(&["generate", "--help"]);
    assert!(out.status.success());
    insta::assert_snapshot!("generate_help", text(&out.stdout));
}

#[test]
fn generate_writes_a_crate_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("petstore-mcp");
    let out = out_dir.to_str().unwrap();
    let first = mcpgen(&["generate", "fixtures/petstore", "--out", out]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(first.stdout.is_empty(), "stdout is reserved for machine output");
    assert!(text(&first.stderr).contains("generated petstore-mcp (5 tools)"), "{}", text(&first.stderr));
    assert!(out_dir.join("src/tools.json").is_file());
    let second = mcpgen(&["generate", "fixtures/petstore", "--out", out]);
    assert!(text(&second.stderr).contains("0 written"), "{}", text(&second.stderr));

    // The explicit form gives the same files.
    let explicit_dir = dir.path().join("explicit");
    let explicit =
        mcpgen(&["generate", "--manifest", "fixtures/petstore/mcpgen.yaml", "--out", explicit_dir.to_str().unwrap()]);
    assert!(explicit.status.success(), "{}", text(&explicit.stderr));
    for file in ["Cargo.toml", "src/tools.json", "README.md"] {
        assert_eq!(
            std::fs::read(out_dir.join(file)).unwrap(),
            std::fs::read(explicit_dir.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn invalid_input_exits_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = mcpgen(&["generate", "fixtures/invalid/many-problems", "--out", out.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("generation failed with 5 error(s); nothing was written"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn usage_errors_exit_1() {
    assert_eq!(mcpgen(&["generate", "--no-such-flag"]).status.code(), Some(1));
    assert_eq!(mcpgen(&["generate"]).status.code(), Some(1));
    assert_eq!(mcpgen(&["generate", "fixtures/does-not-exist"]).status.code(), Some(1));
}

#[test]
fn a_hand_written_file_in_the_output_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "my notes").unwrap();
    let result = mcpgen(&["generate", "fixtures/petstore", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(1));
    assert!(text(&result.stderr).contains("--force"), "{}", text(&result.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("README.md")).unwrap(), "my notes");
    assert!(!dir.path().join("Cargo.toml").exists());
}

#[test]
fn an_api_that_contributes_no_tools_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openapi.yaml"),
        "openapi: 3.0.3\ninfo: {title: Empty, version: '1'}\nservers: [{url: 'https://e.example.com'}]\npaths: {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mcpgen.yaml"),
        "version: 1\nserver: {name: empty-mcp}\napis:\n  empty: {spec: openapi.yaml}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let result = mcpgen(&["generate", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(result.status.success());
    assert!(text(&result.stderr).contains("API `empty` contributes no tools"), "{}", text(&result.stderr));
}
