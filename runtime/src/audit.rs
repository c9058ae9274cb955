//! The audit trail: one hash-chained JSONL record per tool call, denial and auth failure, to a
//! file with size-based rotation or to stdout (HTTP only: on stdio, stdout is the protocol).
//!
//! Records are written whole (one `write_all` of a complete line, under a lock) and rotation
//! happens between records under the same lock, so concurrent calls never interleave or tear
//! records. A line left incomplete by a crash is cut off when the trail is reopened, and the chain
//! resumes from the last complete record. Arguments are recorded redacted: `format: password` and
//! `writeOnly` properties, and the fields the manifest lists, become `"[redacted]"`; a SHA-256
//! digest of the full arguments lets an investigation match a known payload without storing it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::audit_chain::{GENESIS, seal};

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// A JSONL file, rotated to `PATH.1`, `PATH.2`… past `max_bytes`, keeping `keep` old files.
    File {
        /// The current file.
        path: PathBuf,
        /// Size that triggers rotation.
        max_bytes: u64,
        /// Rotated files kept.
        keep: usize,
    },
    /// Standard output.
    Stdout,
}

/// One event for the trail.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    /// Request id of the call (or of the refused HTTP request).
    pub request_id: &'a str,
    /// Trace id.
    pub trace_id: &'a str,
    /// Who: token subject, API key id, or `local`.
    pub principal: &'a str,
    /// Tenant.
    pub tenant: Option<&'a str>,
    /// Tool (none for auth failures before a tool is known).
    pub tool: Option<&'a str>,
    /// `allowed` or `denied`.
    pub decision: &'a str,
    /// `ok`, an error class, or the reason of a denial.
    pub outcome: &'a str,
    /// Last upstream status.
    pub upstream_status: Option<u16>,
    /// Latency.
    pub latency_ms: u64,
    /// The arguments, already redacted.
    pub arguments: Option<Value>,
    /// SHA-256 of the arguments as received.
    pub arguments_digest: Option<String>,
}

/// The trail writer.
pub struct AuditLog {
    sink: Sink,
    state: Mutex<State>,
}

struct State {
    file: Option<File>,
    size: u64,
    prev: String,
}

impl AuditLog {
    /// Opens `sink`, repairing a torn last line and resuming the chain.
    pub fn open(sink: Sink) -> Result<Self, String> {
        let mut state = State { file: None, size: 0, prev: GENESIS.to_owned() };
        if let Sink::File { path, .. } = &sink {
            let (file, size, prev) = open_file(path)?;
            state = State { file: Some(file), size, prev: prev.unwrap_or_else(|| GENESIS.to_owned()) };
        }
        Ok(Self { sink, state: Mutex::new(state) })
    }

    /// Appends one record; failures are logged, never fatal to the call.
    pub fn record(&self, event: &Event<'_>) {
        if let Err(err) = self.append(event) {
            tracing::error!(error = %err, "could not write the audit record");
        }
    }

    fn append(&self, event: &Event<'_>) -> Result<(), String> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut body = Map::new();
        body.insert("time".into(), json!(now_rfc3339()));
        body.insert("requestId".into(), json!(event.request_id));
        body.insert("traceId".into(), json!(event.trace_id));
        body.insert("principal".into(), json!(event.principal));
        body.insert("tenant".into(), json!(event.tenant));
        body.insert("tool".into(), json!(event.tool));
        body.insert("decision".into(), json!(event.decision));
        body.insert("outcome".into(), json!(event.outcome));
        body.insert("upstreamStatus".into(), json!(event.upstream_status));
        body.insert("latencyMs".into(), json!(event.latency_ms));
        body.insert("argumentsDigest".into(), json!(event.arguments_digest));
        body.insert("arguments".into(), event.arguments.clone().unwrap_or(Value::Null));
        body.insert("prev".into(), json!(state.prev));
        let body = serde_json::to_string(&Value::Object(body)).map_err(|e| e.to_string())?;
        let (line, hash) = seal(&state.prev, &body);
        let line = format!("{line}\n");
        match &self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line.as_bytes()).and_then(|()| out.flush()).map_err(|e| e.to_string())?;
            }
            Sink::File { path, max_bytes, keep } => {
                if state.size > 0 && state.size + line.len() as u64 > *max_bytes {
                    rotate(path, *keep)?;
                    let (file, size, _) = open_file(path)?;
                    state.file = Some(file);
                    state.size = size;
                }
                let file = state.file.as_mut().ok_or("the audit file is not open")?;
                file.write_all(line.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
                file.flush().map_err(|e| e.to_string())?;
                state.size += line.len() as u64;
            }
        }
        state.prev = hash;
        Ok(())
    }
}

/// Opens (creating) the file for appending; cuts an incomplete last line; returns the last hash.
fn open_file(path: &Path) -> Result<(File, u64, Option<String>), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let shown = path.display().to_string();
    let mut file =
        OpenOptions::new().read(true).append(true).create(true).open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| format!("{shown}: {e}"))?;
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    if complete < text.len() {
        tracing::warn!(file = %shown, bytes = text.len() - complete, "the audit trail ended in an incomplete record (a crash while writing); cutting it");
        file.set_len(complete as u64).map_err(|e| format!("{shown}: {e}"))?;
        file.seek(SeekFrom::End(0)).map_err(|e| format!("{shown}: {e}"))?;
    }
    let last = text[..complete].lines().last().and_then(last_hash);
    Ok((file, complete as u64, last))
}

fn last_hash(line: &str) -> Option<String> {
    let value: Value = serde_json::from_str(line).ok()?;
    value.get("hash")?.as_str().map(str::to_owned)
}

/// `PATH.(keep-1)` → `PATH.keep` … `PATH` → `PATH.1`; the oldest beyond `keep` is dropped.
fn rotate(path: &Path, keep: usize) -> Result<(), String> {
    let numbered = |n: usize| PathBuf::from(format!("{}.{n}", path.display()));
    if keep == 0 {
        return std::fs::remove_file(path).map_err(|e| e.to_string());
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        if numbered(n).exists() {
            std::fs::rename(numbered(n), numbered(n + 1)).map_err(|e| e.to_string())?;
        }
    }
    std::fs::rename(path, numbered(1)).map_err(|e| e.to_string())
}

/// `arguments` with secrets replaced: properties whose schema says `format: password` or
/// `writeOnly`, and properties named in `fields`, at any depth. `schema` is the tool's input
/// schema as listed (read in place: audited calls do not copy it).
pub fn redact(arguments: &Value, schema: &Map<String, Value>, fields: &[String]) -> Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| resolve_ref(schema, r)) {
        Some(top) => redact_in(arguments, top.get("properties"), top.get("items"), schema, fields),
        None => redact_in(arguments, schema.get("properties"), schema.get("items"), schema, fields),
    }
}

fn redact_at(value: &Value, schema: Option<&Value>, root: &Map<String, Value>, fields: &[String]) -> Value {
    let schema = schema.map(|s| resolve(root, s));
    redact_in(value, schema.and_then(|s| s.get("properties")), schema.and_then(|s| s.get("items")), root, fields)
}

/// Redacts `value` whose schema has these `properties` (for an object) or `items` (an array).
fn redact_in(
    value: &Value,
    properties: Option<&Value>,
    items: Option<&Value>,
    root: &Map<String, Value>,
    fields: &[String],
) -> Value {
    match value {
        Value::Object(map) => {
            let out = map
                .iter()
                .map(|(key, child)| {
                    let child_schema = properties.and_then(|p| p.get(key));
                    let secret = fields.iter().any(|f| f == key)
                        || child_schema.map(|s| resolve(root, s)).is_some_and(|s| {
                            s.get("format").and_then(Value::as_str) == Some("password")
                                || s.get("writeOnly").and_then(Value::as_bool) == Some(true)
                        });
                    let redacted = if secret {
                        Value::String("[redacted]".into())
                    } else {
                        redact_at(child, child_schema, root, fields)
                    };
                    (key.clone(), redacted)
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(elements) => {
            Value::Array(elements.iter().map(|item| redact_at(item, items, root, fields)).collect())
        }
        other => other.clone(),
    }
}

/// The schema a local `$ref` in `schema` points to inside `root`, else `schema` itself.
fn resolve<'a>(root: &'a Map<String, Value>, schema: &'a Value) -> &'a Value {
    schema.get("$ref").and_then(Value::as_str).and_then(|r| resolve_ref(root, r)).unwrap_or(schema)
}

/// What the local reference `#/…` names inside the schema object `root`.
fn resolve_ref<'a>(root: &'a Map<String, Value>, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix("#/")?;
    // A JSON pointer whose first token is a key of `root`, the rest a pointer below it.
    let (first, rest) = pointer.split_once('/').unwrap_or((pointer, ""));
    let value = root.get(&first.replace("~1", "/").replace("~0", "~"))?;
    if rest.is_empty() { Some(value) } else { value.pointer(&format!("/{rest}")) }
}

/// SHA-256 (hex) of the arguments' JSON.
pub fn digest(arguments: &Value) -> String {
    Sha256::digest(arguments.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The current UTC time as RFC 3339 with milliseconds.
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let (days, secs) = ((now.as_secs() / 86_400) as i64, now.as_secs() % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        now.subsec_millis()
    )
}
