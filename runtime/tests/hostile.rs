//! A hostile MCP client against the whole HTTP stack (listener, limits, rmcp, handler, executor)
//! with its default limits, and a loopback upstream that records exactly what reached it (issue
//! 3). Whatever the client sends, the server answers with a bounded error and keeps serving; and
//! no argument value, however crafted, leaves the path under the base path, adds a header or a
//! query pair, or splits the cookie.

use crate::common;
use crate::common::session::{Answer, RawSession};

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use mcpgen_runtime::McpServer;
use mcpgen_runtime::limits::HttpLimits;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

/// What the upstream saw of one request: the request target as sent, and every header.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl Seen {
    fn header(&self, name: &str) -> Vec<&[u8]> {
        self.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_slice()).collect()
    }
}

type Recorded = Arc<Mutex<Vec<Seen>>>;

async fn record(State(seen): State<Recorded>, request: Request) -> axum::Json<Value> {
    let target = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let headers = request.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    seen.lock().unwrap().push(Seen { target, headers });
    axum::Json(json!({"ok": true}))
}

/// The upstream's base path; every request must stay under it.
const BASE_PATH: &str = "/base/v1";

/// `item` sends `id` in the path, `q` in the query, `note` as `X-Note` and `session` as a cookie;
/// `count` takes an integer `n` and nothing else.
async fn start() -> (String, Recorded) {
    let seen = Recorded::default();
    let upstream = axum::Router::new().fallback(record).with_state(seen.clone());
    let base = format!("{}{BASE_PATH}", common::serve(upstream).await);
    let string = json!({"type": "string"});
    let param = |arg: &str, name: &str, location: &str, style: &str| json!({location: name, "arg": arg, "required": arg == "id", "style": style, "explode": false});
    let definition = serde_json::from_value(json!({
        "@generated": "test", "name": "hostile", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}],
        "tools": [
            {"tool": {"name": "item", "inputSchema": {"type": "object", "required": ["id"],
                      "properties": {"id": string, "q": string, "note": string, "session": string}}},
             "api": "up",
             "http": {"method": "GET", "path": "/items/{id}", "params": [
                 param("id", "id", "path", "simple"), param("q", "q", "query", "form"),
                 param("note", "X-Note", "header", "simple"), param("session", "session", "cookie", "form")]}},
            {"tool": {"name": "count", "inputSchema": {"type": "object", "additionalProperties": false, "properties": {"n": {"type": "integer"}}}},
             "api": "up", "http": {"method": "GET", "path": "/count", "params": [param("n", "n", "query", "form")]}}
        ]
    }))
    .unwrap();
    let server = McpServer::new(common::registry(definition, &[]).unwrap());
    // The documented defaults, as a generated server runs with them.
    let options = common::http_options();
    assert_eq!(options.limits, HttpLimits::default());
    let addr = common::serve_limited(mcpgen_runtime::transport::router(server, &options), options.limits).await;
    (format!("http://{addr}/mcp"), seen)
}

/// The tool result of `answer`, panicking on anything else.
fn result(answer: &Answer) -> Value {
    let reply =
        answer.reply().unwrap_or_else(|| panic!("HTTP {} without a reply: {:.300}", answer.status, answer.body));
    reply.get("result").cloned().unwrap_or_else(|| panic!("not a result: {reply:.300}"))
}

/// A normal call still works.
async fn still_serving(raw: &RawSession) {
    let answer = raw.call("item", json!({"id": "7"})).await;
    assert_eq!(result(&answer)["isError"], false, "{}", answer.body);
}

/// Values that would escape their place if sent unencoded.
const INJECTIONS: &[&str] = &[
    "../",
    "..",
    ".",
    "../../admin",
    "%2e%2e",
    "%2e%2e%2fadmin",
    "..%2f..%2fadmin",
    "a/b",
    "a\\b",
    "a\r\nX-Injected: 1",
    "a\nX-Injected: 1",
    "a\u{0}b",
    "a;b",
    "a; injected=1",
    "a&injected=1",
    "a=b",
    "a#frag",
    "a?injected=1",
    "a b+c",
    "ü€",
];

#[tokio::test]
async fn injected_parameter_values_stay_data_at_the_upstream() {
    let (url, seen) = start().await;
    let raw = RawSession::open(&url).await;
    for value in INJECTIONS {
        for place in ["id", "q", "note", "session"] {
            let mut arguments = json!({"id": "7"});
            arguments[place] = json!(value);
            let before = seen.lock().unwrap().len();
            let answer = raw.call("item", arguments).await;
            let result = result(&answer);
            let sent: Vec<Seen> = seen.lock().unwrap()[before..].to_vec();
            let refused = result["isError"] == true;
            // Only values that cannot be data in their place are refused: dot segments as a
            // whole path segment, and anything but printable ASCII in a header.
            let refusable = match place {
                "id" => matches!(*value, ".." | "."),
                "note" => !value.chars().all(|c| (' '..='~').contains(&c)),
                _ => false,
            };
            assert!(!refused || refusable, "{place}={value:?} refused: {result}");
            if refused {
                assert!(sent.is_empty(), "{place}={value:?} refused but sent: {sent:?}");
                continue;
            }
            assert_eq!(sent.len(), 1, "{place}={value:?}: {sent:?}");
            check_request(&sent[0], place, value);
        }
    }
    still_serving(&raw).await;
}

/// `seen` carries `value` exactly once, in `place`, and nothing else of the client's.
fn check_request(seen: &Seen, place: &str, value: &str) {
    let what = format!("{place}={value:?} → {seen:?}");
    let (path, query) = seen.target.split_once('?').unwrap_or((&seen.target, ""));
    let segment =
        path.strip_prefix(&format!("{BASE_PATH}/items/")).unwrap_or_else(|| panic!("left the base path: {what}"));
    assert!(!segment.contains('/'), "more than one segment: {what}");
    let id = if place == "id" { value } else { "7" };
    assert_eq!(percent_decode_str(segment).decode_utf8().unwrap(), id, "{what}");
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let expected: Vec<(String, String)> = if place == "q" { vec![("q".to_owned(), value.to_owned())] } else { vec![] };
    assert_eq!(pairs, expected, "{what}");
    assert!(seen.headers.iter().all(|(n, _)| !n.contains("injected")), "{what}");
    let notes = seen.header("x-note");
    assert_eq!(notes, if place == "note" { vec![value.as_bytes()] } else { vec![] }, "{what}");
    let cookies = seen.header("cookie");
    if place == "session" {
        assert_eq!(cookies.len(), 1, "{what}");
        let cookie = std::str::from_utf8(cookies[0]).unwrap();
        assert!(!cookie.contains(';') && !cookie.contains(' '), "the cookie was split: {what}");
        let encoded = cookie.strip_prefix("session=").unwrap_or_else(|| panic!("{what}"));
        assert_eq!(percent_decode_str(encoded).decode_utf8().unwrap(), value, "{what}");
    } else {
        assert!(cookies.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn oversized_and_deeply_nested_bodies_are_refused_and_the_server_keeps_serving() {
    let (url, seen) = start().await;
    let raw = RawSession::open(&url).await;
    // Over the 4 MiB default: 413 before anything parses it.
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"item","arguments":{{"id":"{}"}}}}}}"#,
        "x".repeat(5 << 20)
    );
    let answer = raw.post(huge).await;
    assert_eq!(answer.status, 413, "{:.300}", answer.body);
    // 100 000 levels of nesting: serde_json's recursion limit refuses it (no stack overflow).
    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"item","arguments":{{"id":{}{}}}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let answer = raw.post(deep).await;
    assert!(
        (400..500).contains(&answer.status) || answer.reply().is_some_and(|r| r.get("error").is_some()),
        "HTTP {}: {:.300}",
        answer.status,
        answer.body
    );
    // Deep but parseable: the argument is checked against the schema, not sent.
    let nested = format!(r#"{}"x"{}"#, "[".repeat(100), "]".repeat(100));
    let answer = raw.post(format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"item","arguments":{{"id":{nested}}}}}}}"#
    )).await;
    assert_eq!(result(&answer)["isError"], true, "{:.300}", answer.body);
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the upstream");
    still_serving(&raw).await;
}

#[tokio::test]
async fn huge_names_and_arguments_get_short_errors() {
    const SHORT: usize = 16 * 1024;
    let (url, seen) = start().await;
    let raw = RawSession::open(&url).await;
    let megabyte = "n".repeat(1 << 20);
    // An unknown tool with a 1 MB name.
    let answer = raw.call(&megabyte, json!({})).await;
    assert!(
        answer.reply().is_some() || (400..500).contains(&answer.status),
        "HTTP {}: {:.300}",
        answer.status,
        answer.body
    );
    assert!(answer.body.len() < SHORT, "a 1 MB tool name came back as {} bytes", answer.body.len());
    // A 1 MB argument of the wrong type, and an unknown argument with a 1 MB name.
    for arguments in [json!({"n": megabyte}), json!({ megabyte.clone(): 1 })] {
        let answer = raw.call("count", arguments).await;
        assert_eq!(result(&answer)["isError"], true, "{:.300}", answer.body);
        assert!(answer.body.len() < SHORT, "a 1 MB argument came back as {} bytes", answer.body.len());
    }
    // A 1 MB argument of the right type goes out; whatever the upstream makes of it, the answer is short.
    let answer = raw.call("item", json!({"id": "7", "q": megabyte})).await;
    assert!(answer.reply().is_some(), "HTTP {}: {:.300}", answer.status, answer.body);
    assert!(answer.body.len() < SHORT, "a call with a 1 MB query came back as {} bytes", answer.body.len());
    // A 1 MB header line: refused by the HTTP parser, not by an allocation.
    let response = raw.client.post(&url).header("x-huge", &megabyte).body("{}").send().await;
    assert!(response.map_or(true, |r| r.status().is_client_error()), "a 1 MB header was accepted");
    assert!(seen.lock().unwrap().len() <= 1);
    still_serving(&raw).await;
}

#[tokio::test]
async fn malformed_json_rpc_gets_client_errors_and_the_server_keeps_serving() {
    let (url, seen) = start().await;
    let raw = RawSession::open(&url).await;
    let frames: &[&[u8]] = &[
        b"",
        b"{",
        b"null",
        b"[]",
        b"42",
        b"\"tools/list\"",
        br#"{"jsonrpc":"2.0"}"#,
        br#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#,
        br#"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}"#,
        br#"{"jsonrpc":"2.0","id":1,"method":42}"#,
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"item"}"#,
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":42}}"#,
        br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"item","arguments":[1,2]}}"#,
        br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]"#,
        b"\xff\xfe\x00{\"jsonrpc\":\"2.0\"}",
    ];
    for frame in frames {
        let answer = raw.post(frame.to_vec()).await;
        let rpc_error = answer.reply().is_some_and(|r| r.get("error").is_some() || r["result"]["isError"] == true);
        assert!(
            (400..500).contains(&answer.status) || rpc_error,
            "{:?} → HTTP {}: {:.300}",
            String::from_utf8_lossy(frame),
            answer.status,
            answer.body
        );
    }
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the upstream");
    still_serving(&raw).await;
}
