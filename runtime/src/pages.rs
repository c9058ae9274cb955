//! `tools/list` pages written from JSON serialised once per tool (issue 13, item 3).
//!
//! Each tool's listed JSON (its schemas made self-contained) is made the first time the tool is
//! listed or used ([`LazyListed`]), from the tool as the table writes it and the shared
//! definitions kept as raw text. It is then the only copy of the tool the server keeps until a
//! call needs the typed tool, so a large table starts in the time it takes to read and check it,
//! and the first page costs its own hundred tools, not the whole table.
//!
//! rmcp gives a handler no way to hand over bytes: it returns a typed `ListToolsResult`, every
//! transport serialises it itself (the stdio codec with `serde_json::to_writer`, Streamable HTTP
//! with `serde_json::to_string` per SSE event or `to_vec` for a JSON answer), and no
//! `ServerResult` variant holds raw JSON (`CustomResult` holds a `Value` tree). So the handler
//! answers with one placeholder tool that names the page's tools, and the output path of our
//! transports — the stdio writer ([`super::stdio`]) and a layer over the HTTP body
//! ([`splice_http`]) — replaces the placeholder's bytes with the tools' JSON. The rest of the
//! result (cursor, cache hints, `resultType` per protocol era) is rmcp's, as before. The
//! placeholder lists the tool indices the handler chose for the caller, so governance filtering
//! is exactly the handler's, with no cache per visible set.
//!
//! The placeholder carries a random nonce that never leaves the process: its bytes can appear in
//! no other output, not even in an upstream's JSON relayed as structured content, so nothing else
//! is ever replaced.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http_body_util::BodyExt as _;
use hyper::body::{Body as _, Frame};
use rmcp::model::{JsonObject, Tool};
use serde_json::Value;
use serde_json::value::RawValue;

use super::assembly;
use super::definition::{Definitions, ToolDefs, ToolJson};
use super::profile::Profile;
use super::registry::Registry;

/// Placeholder names start with this, then the nonce, `:`, the era and the tool ranges.
const PREFIX: &str = "mcpgen-page:";
/// Longest payload (era and ranges) a placeholder can carry: a page has at most
/// `server::PAGE_SIZE` tools, and the worst case (every other tool) is one index each.
const MAX_PAYLOAD: usize = 4096;

/// A tool's listed JSON, as rmcp serialises the `Tool` inside `tools/list` (so pages are
/// byte-identical to typed ones), for both protocol eras.
#[derive(Debug)]
pub struct Listed {
    /// The tool as listed to peers on 2026-07-28 or later.
    current: Box<str>,
    /// The tool without its `outputSchema`, for earlier peers, when it differs: rmcp drops an
    /// output schema whose root `type` is not `"object"` for them
    /// (`ServerResult::strip_non_object_output_for_legacy_peer`).
    legacy: Option<Box<str>>,
    /// The input schema as generated, when a client profile lists another one
    /// (`profile::Profile::input_schema`): what validates the arguments, mapped back.
    original_input: Option<Arc<JsonObject>>,
    /// The output schema as generated, when a client profile lists none
    /// (`profile::Profile::lists_output_schemas`): what results are still checked against.
    original_output: Option<Arc<JsonObject>>,
}

impl Listed {
    /// Serialises `tool` for both eras.
    pub fn of(tool: &Tool) -> Result<Self, String> {
        let json = |tool: &Tool| {
            serde_json::to_string(tool)
                .map(String::into_boxed_str)
                .map_err(|err| format!("tool `{}` cannot be listed: {err}", tool.name))
        };
        let non_object = tool
            .output_schema
            .as_ref()
            .is_some_and(|schema| schema.get("type").and_then(Value::as_str) != Some("object"));
        let legacy = if non_object {
            let mut without = tool.clone();
            without.output_schema = None;
            Some(json(&without)?)
        } else {
            None
        };
        Ok(Self { current: json(tool)?, legacy, original_input: None, original_output: None })
    }

    /// The output schema as generated when the profile lists none, else `None`.
    pub fn original_output(&self) -> Option<&JsonObject> {
        self.original_output.as_deref()
    }

    /// The input schema as generated when the listed one is a profile's, else `None`.
    pub fn original_input(&self) -> Option<&JsonObject> {
        self.original_input.as_deref()
    }

    /// The JSON for a peer of the era: `legacy` for protocol versions before 2026-07-28.
    pub fn json(&self, legacy: bool) -> &str {
        match (&self.legacy, legacy) {
            (Some(old), true) => old,
            _ => &self.current,
        }
    }
}

/// The shared definitions as raw text (table key → name → schema): a tool's are parsed when it is
/// first listed, so the server never holds them as trees (several times their size).
pub type RawDefinitions = BTreeMap<String, BTreeMap<String, Box<RawValue>>>;

/// `definitions` as raw text.
pub fn raw_definitions(definitions: Definitions) -> Result<RawDefinitions, String> {
    let raw = |value: Value| serde_json::value::to_raw_value(&value).map_err(|err| err.to_string());
    definitions
        .into_iter()
        .map(|(key, table)| {
            Ok((key, table.into_iter().map(|(name, def)| Ok((name, raw(def)?))).collect::<Result<_, String>>()?))
        })
        .collect()
}

/// A tool's [`Listed`] JSON, made on first use.
pub struct LazyListed {
    /// The tool as the table writes it, and the definitions it names; taken by the first use.
    source: Mutex<Option<(Box<RawValue>, ToolDefs)>>,
    /// Its API: whole schemas it shares with other tools are in that API's table.
    api: Arc<str>,
    /// Its HTTP method, which implies its annotations unless the table writes them.
    method: Box<str>,
    shared: Arc<RawDefinitions>,
    /// The client schema profile the tool is listed in.
    profile: Profile,
    /// The name the tool is listed under when the profile's client would refuse its own
    /// (`Profile::tool_name`).
    served_name: Option<Box<str>>,
    listed: OnceLock<Listed>,
}

impl LazyListed {
    /// Checks `tool` of API `api` (as the table writes it) as start-up always has — it must read
    /// as an MCP tool, and every definition and shared schema it names must exist — and keeps it
    /// to list later. Returns the checked tool and whether it has an output schema.
    pub fn new(
        tool: Box<RawValue>,
        defs: ToolDefs,
        api: Arc<str>,
        method: &str,
        shared: Arc<RawDefinitions>,
        (profile, server): (Profile, &str),
    ) -> Result<(Self, Tool, bool), String> {
        let checked: Tool =
            serde_json::from_str(tool.get()).map_err(|err| format!("invalid tool in the tool table: {err}"))?;
        // Putting shared schemas in place and adding `$defs` keeps a tool readable, so this check
        // holds for the assembled tool too (a shared schema is an object like the one it stands
        // for). References count only where the schema exists (as in `assemble`).
        let has_output_schema = checked.output_schema.is_some() || defs.output_schema.is_some();
        let mut named = vec![&defs.input];
        if has_output_schema {
            named.push(&defs.output);
        }
        for refs in named.into_iter().flatten() {
            let table = shared.get(&refs.table).ok_or_else(|| format!("no definition table `{}`", refs.table))?;
            if let Some(name) = refs.names.iter().find(|name| !table.contains_key(*name)) {
                return Err(format!("no definition `{name}` in table `{}`", refs.table));
            }
        }
        let whole = shared.get(&assembly::shared_table(&api));
        if let Some(name) = assembly::shared_names(&checked.input_schema, &defs)
            .find(|name| !whole.is_some_and(|table| table.contains_key(*name)))
        {
            return Err(format!("tool `{}` names shared schema `{name}`, which API `{api}` lacks", checked.name));
        }
        let lazy = Self {
            source: Mutex::new(Some((tool, defs))),
            api,
            method: method.into(),
            shared,
            profile,
            served_name: profile.tool_name(server, &checked.name).map(String::into_boxed_str),
            listed: OnceLock::new(),
        };
        Ok((lazy, checked, has_output_schema))
    }

    /// The name the tool is listed under, when it is not its own.
    pub fn served_name(&self) -> Option<&str> {
        self.served_name.as_deref()
    }

    /// The listed JSON, made now if this is the tool's first use.
    pub fn get(&self) -> &Listed {
        self.listed.get_or_init(|| {
            let source = self.source.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
            // `new` checked the tool and its definitions; what remains cannot fail.
            let (tool, defs) = source.expect("a tool's source is taken only by its one listing");
            self.make(&tool, &defs).expect("a tool checked at start-up assembles")
        })
    }

    fn make(&self, tool: &RawValue, defs: &ToolDefs) -> Result<Listed, String> {
        let object: ToolJson = serde_json::from_str(tool.get()).map_err(|err| err.to_string())?;
        // Only the definitions and shared schemas this tool names are parsed.
        let whole = assembly::shared_table(&self.api);
        let input = object.get("inputSchema").and_then(Value::as_object);
        let shared_names: Vec<&str> = match input {
            Some(schema) => assembly::shared_names(schema, defs).collect(),
            None => defs.output_schema.as_deref().into_iter().collect(),
        };
        let named = [&defs.input, &defs.output]
            .into_iter()
            .flatten()
            .flat_map(|refs| refs.names.iter().map(move |name| (refs.table.as_str(), name.as_str())))
            .chain(shared_names.iter().map(|name| (whole.as_str(), *name)));
        let mut tables = Definitions::new();
        for (key, name) in named {
            let Some(def) = self.shared.get(key).and_then(|table| table.get(name)) else { continue };
            let parsed = serde_json::from_str(def.get()).map_err(|err| err.to_string())?;
            tables.entry(key.to_owned()).or_default().insert(name.to_owned(), parsed);
        }
        let assembled = Value::Object(assembly::assemble(object, defs, &tables, &self.api, &self.method)?);
        let mut tool: Tool = serde_json::from_value(assembled).map_err(|err| err.to_string())?;
        if let Some(name) = &self.served_name {
            tool.name = name.to_string().into();
        }
        let original = self
            .profile
            .input_schema(&tool.input_schema)
            .map(|served| std::mem::replace(&mut tool.input_schema, Arc::new(served)));
        let original_output = if self.profile.lists_output_schemas() { None } else { tool.output_schema.take() };
        Ok(Listed { original_input: original, original_output, ..Listed::of(&tool)? })
    }
}

/// Whether rmcp treats the request's peer as one of the eras before 2026-07-28 (the rule of
/// rmcp's `handle_request`, which decides what it strips from results).
pub fn is_legacy(protocol_version: Option<&rmcp::model::ProtocolVersion>) -> bool {
    protocol_version.is_none_or(|v| v.as_str() < rmcp::model::ProtocolVersion::V_2026_07_28.as_str())
}

/// Writes pages in place of their placeholders.
pub struct Pages {
    registry: Arc<Registry>,
    /// The placeholder's bytes up to its payload: `"tools":[{"name":"mcpgen-page:NONCE:`.
    head: Vec<u8>,
    /// The placeholder's bytes after its payload: `","inputSchema":{}}]`.
    tail: Vec<u8>,
    nonce: String,
    finder: memchr::memmem::Finder<'static>,
}

/// What follows a found head.
enum Marker {
    /// A placeholder of `len` bytes for these tools.
    Page { len: usize, legacy: bool, ranges: Vec<(usize, usize)> },
    /// Not known yet: the bytes end before the placeholder would.
    Incomplete,
    /// Not a placeholder.
    Not,
}

impl Pages {
    /// Pages of `registry`'s tools, with a fresh nonce.
    pub fn new(registry: Arc<Registry>) -> Self {
        // 32 hex digits from the process's RNG (randomly seeded), never written anywhere.
        let nonce = super::trace::random_hex(16);
        // The exact bytes rmcp writes for a placeholder, split around a payload of `~`.
        let sample = serde_json::to_vec(&[placeholder(format!("{PREFIX}{nonce}:~"))]).unwrap_or_default();
        let at = sample.iter().position(|&b| b == b'~').unwrap_or(sample.len());
        let mut head = b"\"tools\":".to_vec();
        head.extend_from_slice(&sample[..at]);
        let tail = sample.get(at + 1..).unwrap_or_default().to_vec();
        let finder = memchr::memmem::Finder::new(&head).into_owned();
        Self { registry, head, tail, nonce, finder }
    }

    /// The one tool the handler lists in place of the page of `tools` (ascending indices into
    /// the registry's tools), for a peer of the era.
    pub fn placeholder(&self, legacy: bool, tools: &[usize]) -> Tool {
        let mut payload = String::from(if legacy { "l" } else { "c" });
        let mut i = 0;
        while i < tools.len() {
            let mut j = i;
            while j + 1 < tools.len() && tools[j + 1] == tools[j] + 1 {
                j += 1;
            }
            if i > 0 {
                payload.push(',');
            }
            payload.push_str(&tools[i].to_string());
            if j > i {
                payload.push('-');
                payload.push_str(&tools[j].to_string());
            }
            i = j + 1;
        }
        placeholder(format!("{PREFIX}{}:{payload}", self.nonce))
    }

    /// `message` with its placeholders replaced, or `None` when it has none. For whole messages
    /// (an SSE event or a JSON answer).
    pub fn splice(&self, message: &[u8]) -> Option<Vec<u8>> {
        self.finder.find(message)?;
        let (mut carry, mut out) = (Vec::new(), Vec::with_capacity(message.len()));
        self.feed(&mut carry, message, &mut out);
        out.extend_from_slice(&carry);
        Some(out)
    }

    /// Streams `input` to `out` with placeholders replaced; bytes that may begin a placeholder
    /// the next input completes are kept in `carry` (at most one placeholder's length).
    pub fn feed(&self, carry: &mut Vec<u8>, input: &[u8], out: &mut Vec<u8>) {
        let joined;
        let mut rest = if carry.is_empty() {
            input
        } else {
            let mut bytes = std::mem::take(carry);
            bytes.extend_from_slice(input);
            joined = bytes;
            &joined[..]
        };
        loop {
            let Some(at) = self.finder.find(rest) else {
                let keep = partial_prefix(rest, &self.head);
                out.extend_from_slice(&rest[..rest.len() - keep]);
                carry.extend_from_slice(&rest[rest.len() - keep..]);
                return;
            };
            out.extend_from_slice(&rest[..at]);
            let found = &rest[at..];
            match self.marker(found) {
                Marker::Page { len, legacy, ranges } => {
                    self.write_page(legacy, &ranges, out);
                    rest = &found[len..];
                }
                Marker::Incomplete => {
                    carry.extend_from_slice(found);
                    return;
                }
                Marker::Not => {
                    out.extend_from_slice(&self.head);
                    rest = &found[self.head.len()..];
                }
            }
        }
    }

    /// What `found` (starting with the head) holds.
    fn marker(&self, found: &[u8]) -> Marker {
        let body = &found[self.head.len()..];
        let Some(end) = body.iter().position(|b| !matches!(b, b'0'..=b'9' | b',' | b'-' | b'c' | b'l')) else {
            return if body.len() <= MAX_PAYLOAD { Marker::Incomplete } else { Marker::Not };
        };
        let after = &body[end..];
        if after.len() < self.tail.len() {
            return if self.tail.starts_with(after) { Marker::Incomplete } else { Marker::Not };
        }
        if !after.starts_with(&self.tail) {
            return Marker::Not;
        }
        match parse_payload(&body[..end], self.registry.tools().len()) {
            Some((legacy, ranges)) => Marker::Page { len: self.head.len() + end + self.tail.len(), legacy, ranges },
            None => Marker::Not,
        }
    }

    /// `"tools":[…]` with the listed JSON of the tools in `ranges`.
    fn write_page(&self, legacy: bool, ranges: &[(usize, usize)], out: &mut Vec<u8>) {
        let tools = self.registry.tools();
        out.extend_from_slice(b"\"tools\":[");
        let mut first = true;
        for &(from, to) in ranges {
            for entry in &tools[from..=to] {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(entry.listed(legacy).as_bytes());
            }
        }
        out.push(b']');
    }
}

/// A tool named `name` with an empty input schema and nothing else.
fn placeholder(name: String) -> Tool {
    Tool::new_with_raw(name, None, Arc::new(JsonObject::new()))
}

/// The era and index ranges of a payload such as `c0-99` or `l3,5-7`, each range within `len`.
fn parse_payload(payload: &[u8], len: usize) -> Option<(bool, Vec<(usize, usize)>)> {
    let text = std::str::from_utf8(payload).ok()?;
    let legacy = match text.as_bytes().first()? {
        b'l' => true,
        b'c' => false,
        _ => return None,
    };
    let mut ranges = Vec::new();
    for range in text[1..].split(',') {
        let (from, to) = range.split_once('-').unwrap_or((range, range));
        let (from, to): (usize, usize) = (from.parse().ok()?, to.parse().ok()?);
        if from > to || to >= len {
            return None;
        }
        ranges.push((from, to));
    }
    Some((legacy, ranges))
}

/// The length of the longest end of `bytes` that is a proper beginning of `head`.
fn partial_prefix(bytes: &[u8], head: &[u8]) -> usize {
    (1..head.len().min(bytes.len() + 1)).rev().find(|&k| bytes.ends_with(&head[..k])).unwrap_or(0)
}

/// HTTP layer over `/mcp`: each SSE event (one body frame each, as rmcp's SSE body writes them)
/// and each JSON answer with its placeholders replaced.
pub async fn splice_http(State(pages): State<Arc<Pages>>, request: Request, next: Next) -> Response {
    let (parts, body) = next.run(request).await.into_parts();
    if body.size_hint().exact().is_some() {
        // A JSON answer (or an empty one) is whole already; rebuilt, its length stays exact.
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
        };
        let bytes = pages.splice(&bytes).map_or(bytes, Bytes::from);
        return Response::from_parts(parts, Body::from(bytes));
    }
    let body = body.map_frame(move |frame| match frame.into_data() {
        Ok(data) => Frame::data(pages.splice(&data).map_or(data, Bytes::from)),
        Err(frame) => frame,
    });
    Response::from_parts(parts, Body::new(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_as_ranges() {
        assert_eq!(parse_payload(b"c0-99", 100), Some((false, vec![(0, 99)])));
        assert_eq!(parse_payload(b"l3,5-7", 8), Some((true, vec![(3, 3), (5, 7)])));
        assert_eq!(parse_payload(b"c0-100", 100), None, "past the last tool");
        assert_eq!(parse_payload(b"c5-3", 10), None);
        assert_eq!(parse_payload(b"x1", 10), None);
        assert_eq!(parse_payload(b"c", 10), None);
    }

    #[test]
    fn partial_heads_are_found_at_the_end_only() {
        assert_eq!(partial_prefix(b"abc\"to", b"\"tools\""), 3);
        assert_eq!(partial_prefix(b"\"tools\"x", b"\"tools\""), 0);
        assert_eq!(partial_prefix(b"", b"\"tools\""), 0);
    }
}
