//! The audit trail: records per call with redacted arguments, a hash chain that exposes changed,
//! removed and reordered records, rotation under concurrent writes without losing or tearing a
//! record, and recovery from a record torn by a crash.

use crate::{chaos, common};

use std::path::{Path, PathBuf};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::audit::{AuditLog, Event, Sink};
use mcpgen_runtime::audit_chain::verify;
use mcpgen_runtime::registry::{Registry, Selection};
use serde_json::{Value, json};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mcpgen-audit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The lines of the trail at `path` and its rotated files, oldest first.
fn trail(path: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> =
        (1..100).map(|n| PathBuf::from(format!("{}.{n}", path.display()))).filter(|p| p.exists()).collect();
    files.reverse();
    files.push(path.to_path_buf());
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

#[tokio::test]
async fn calls_are_recorded_with_redacted_arguments_and_a_valid_chain() {
    let dir = TempDir::new("calls");
    let file = dir.0.join("audit.jsonl");
    let (base, _chaos) = chaos::start().await;
    let schema = json!({"type": "object", "properties": {
        "user": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "body": {"$ref": "#/$defs/Body"}
    }, "$defs": {"Body": {"type": "object", "properties": {"pin": {"type": "string", "writeOnly": true}, "ssn": {"type": "string"}, "note": {"type": "string"}}}}});
    let definition = serde_json::from_value(json!({
        "@generated": "test", "name": "audited-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [{"tool": {"name": "login", "inputSchema": schema}, "api": "up", "http": {"method": "GET", "path": "/ok"}}],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}],
        "audit": {"maxBytes": 1048576, "keep": 3, "redact": ["ssn"]}
    }))
    .unwrap();
    let selection = Selection { audit_file: Some(file.display().to_string()), ..Selection::default() };
    let registry = Registry::new(definition, &selection, common::secrets(&[])).unwrap();
    let server = McpServer::new(registry);
    let arguments =
        json!({"user": "ann", "password": "hunter2", "body": {"pin": "1234", "ssn": "078-05-1120", "note": "hi"}});
    assert_eq!(server.call("login", arguments.clone()).await.is_error, Some(false));
    assert_eq!(server.call("nope_not_a_tool_but_login", json!({})).await.is_error, Some(true));
    assert_eq!(
        server.call("login", json!({"user": 7})).await.is_error,
        Some(true),
        "invalid arguments are audited too"
    );
    let lines = trail(&file);
    assert_eq!(lines.len(), 3, "one record per call: {lines:#?}");
    assert_eq!(verify(lines.iter().map(String::as_str)), Ok(3));
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["tool"], "login");
    assert_eq!(first["decision"], "allowed");
    assert_eq!(first["outcome"], "ok");
    assert_eq!(first["upstreamStatus"], 200);
    assert_eq!(first["principal"], "local");
    assert_eq!(
        first["arguments"],
        json!({"user": "ann", "password": "[redacted]", "body": {"pin": "[redacted]", "ssn": "[redacted]", "note": "hi"}})
    );
    assert_eq!(first["argumentsDigest"].as_str().unwrap().len(), 64);
    let all = lines.join("\n");
    for secret in ["hunter2", "1234", "078-05-1120"] {
        assert!(!all.contains(secret), "{secret} leaked into the audit trail");
    }
    let unknown: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(unknown["tool"], "nope_not_a_tool_but_login");
    assert_eq!((unknown["decision"].as_str(), unknown["outcome"].as_str()), (Some("denied"), Some("unknown_tool")));
    let invalid: Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(invalid["outcome"], "invalid_arguments");
}

fn event(n: usize) -> String {
    format!("req-{n:04}")
}

#[test]
fn tampering_is_detected_at_the_first_bad_record() {
    let dir = TempDir::new("tamper");
    let file = dir.0.join("audit.jsonl");
    let log = AuditLog::open(Sink::File { path: file.clone(), max_bytes: 1 << 20, keep: 2 }).unwrap();
    for n in 0..5 {
        let id = event(n);
        log.record(&Event {
            request_id: &id,
            trace_id: "t",
            principal: "p",
            decision: "allowed",
            outcome: "ok",
            ..Default::default()
        });
    }
    let lines = trail(&file);
    assert_eq!(verify(lines.iter().map(String::as_str)), Ok(5));
    let mut changed = lines.clone();
    changed[2] = changed[2].replace("\"outcome\":\"ok\"", "\"outcome\":\"no\"");
    assert_eq!(verify(changed.iter().map(String::as_str)).unwrap_err().record, 3);
    let mut removed = lines.clone();
    removed.remove(1);
    assert_eq!(verify(removed.iter().map(String::as_str)).unwrap_err().record, 2);
    let mut reordered = lines.clone();
    reordered.swap(3, 4);
    let broken = verify(reordered.iter().map(String::as_str)).unwrap_err();
    assert_eq!(broken.record, 4);
    assert!(broken.reason.contains("does not follow"), "{}", broken.reason);
}

#[test]
fn rotation_under_concurrent_writes_loses_and_tears_nothing() {
    let dir = TempDir::new("rotate");
    let file = dir.0.join("audit.jsonl");
    let log =
        std::sync::Arc::new(AuditLog::open(Sink::File { path: file.clone(), max_bytes: 2048, keep: 99 }).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for n in 0..25 {
                    let id = event(t * 100 + n);
                    log.record(&Event {
                        request_id: &id,
                        trace_id: "t",
                        principal: "p",
                        decision: "allowed",
                        outcome: "ok",
                        ..Default::default()
                    });
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let rotated = (1..99).filter(|n| Path::new(&format!("{}.{n}", file.display())).exists()).count();
    assert!(rotated >= 5, "small files rotate often: {rotated}");
    let lines = trail(&file);
    assert_eq!(verify(lines.iter().map(String::as_str)), Ok(200), "every record, in one unbroken chain");
}

#[test]
fn a_record_torn_by_a_crash_is_cut_and_the_chain_resumes() {
    let dir = TempDir::new("torn");
    let file = dir.0.join("audit.jsonl");
    {
        let log = AuditLog::open(Sink::File { path: file.clone(), max_bytes: 1 << 20, keep: 2 }).unwrap();
        for n in 0..3 {
            let id = event(n);
            log.record(&Event {
                request_id: &id,
                trace_id: "t",
                principal: "p",
                decision: "allowed",
                outcome: "ok",
                ..Default::default()
            });
        }
    }
    // A crash in the middle of the fourth record.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"time\":\"2026-11-25T00:00:00.000Z\",\"requestId\":\"req-0003\",\"tra");
    std::fs::write(&file, text).unwrap();
    let log = AuditLog::open(Sink::File { path: file.clone(), max_bytes: 1 << 20, keep: 2 }).unwrap();
    let id = event(4);
    log.record(&Event {
        request_id: &id,
        trace_id: "t",
        principal: "p",
        decision: "allowed",
        outcome: "ok",
        ..Default::default()
    });
    let lines = trail(&file);
    assert_eq!(verify(lines.iter().map(String::as_str)), Ok(4));
    assert!(lines[3].contains("req-0004"));
}
