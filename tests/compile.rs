//! Every generated fixture compiles, with warnings denied, in one shared build (issue 2, item 7).

use crate::support::fixture_workspace;

#[test]
#[ignore = "builds generated crates (minutes on a cold cache); run with --include-ignored"]
fn every_fixture_compiles_and_passes_clippy_with_warnings_denied() {
    let ws = fixture_workspace();
    let output = ws.cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "generated crates do not build cleanly:\n{stderr}");
    assert!(!stderr.contains("warning:"), "generated crates emit warnings:\n{stderr}");
    // The optional OpenTelemetry export builds too (one fixture suffices: the runtime is shared).
    let output = ws.cargo(&["check", "-p", "petstore-mcp", "--features", "otel"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !stderr.contains("warning:"), "petstore-mcp --features otel:\n{stderr}");
}
