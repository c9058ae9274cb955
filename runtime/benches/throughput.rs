//! Load run over Streamable HTTP (`bash benches/throughput.sh` starts everything and runs this).
//!
//! For each concurrency (1, 16, 64 by default) and each target, `c` callers loop for a few
//! seconds: the baseline is a plain GET of the upstream URL, every other target is an MCP server
//! called with raw JSON-RPC over Streamable HTTP (one session per caller: `initialize`,
//! `notifications/initialized`, then `tools/call` in a loop; JSON or SSE answers; or, for a
//! stateless target, `tools/call` alone in the 2026-07-28 era). Reported per
//! target: calls/s, p50 and p99 latency, each also as a ratio to the baseline of the same run,
//! the overhead per call over the baseline at p50 and p99, and — when the target's process id is
//! given — the server's CPU time per call (utime + stime from `/proc/<pid>/stat`). The baseline's
//! CPU per call is that of both ends of the direct GET, the upstream (`THROUGHPUT_UPSTREAM_PID`)
//! plus this load generator, measured over the same seconds: one HTTP exchange, as a generated
//! server makes two of per call (one answering its client, one asking the upstream), so the
//! server's CPU per call reads as a multiple of it and host noise touches both alike.
//!
//! Configuration (environment):
//! - `THROUGHPUT_BASELINE`: the upstream URL fetched directly;
//! - `THROUGHPUT_SERVERS`: a JSON array of `{"name", "url", "tool", "arguments", "pid"?,
//!   "shared_session"?, "stateless"?}` (`shared_session`: every caller uses one session;
//!   `stateless`: no session, every call in the 2026-07-28 protocol era);
//! - `THROUGHPUT_UPSTREAM_PID`: the upstream's process, for the baseline's CPU per call;
//! - `THROUGHPUT_SECONDS` (3), `THROUGHPUT_WARMUP_SECONDS` (0.5), `THROUGHPUT_CONCURRENCY`
//!   (`1,16,64`), `THROUGHPUT_CLK_TCK` (100, `getconf CLK_TCK`).
//!
//! Without `THROUGHPUT_BASELINE` it prints how to run it and exits 0, so `cargo bench` stays green.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

/// The next JSON-RPC id of a `tools/call`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One MCP server under load.
#[derive(Debug, Clone, Deserialize)]
struct ServerSpec {
    name: String,
    url: String,
    tool: String,
    arguments: Value,
    #[serde(default)]
    pid: Option<u32>,
    /// All callers share one session instead of one each (for servers that mix up sessions).
    #[serde(default)]
    shared_session: bool,
    /// Calls in the stateless protocol era (2026-07-28): no session, each POST stands alone.
    #[serde(default)]
    stateless: bool,
}

/// The protocol version of the session era, which the sessions negotiate.
const SESSION_ERA: &str = "2025-06-18";
/// The protocol version of stateless calls.
const STATELESS_ERA: &str = "2026-07-28";

/// What one caller talks to.
#[derive(Clone)]
enum Target {
    Get { url: Arc<str> },
    Mcp { url: Arc<str>, session: Option<Arc<str>>, params: Arc<str>, version: &'static str, tool: Arc<str> },
}

/// Figures of one target at one concurrency.
struct Point {
    calls: usize,
    errors: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
    cpu_us: Option<f64>,
}

impl Point {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let at = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[at] as f64
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (`state`).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Posts one JSON-RPC message; returns the session header and the answer to `id` (if any).
async fn post(
    http: &reqwest::Client,
    url: &str,
    (session, version): (Option<&str>, &str),
    body: Vec<u8>,
    id: Option<u64>,
    headers: &[(&str, &str)],
) -> Result<(Option<String>, Option<Value>), String> {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", version)
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let session = response.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let sse = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/event-stream"));
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", text.chars().take(200).collect::<String>()));
    }
    let Some(id) = id else { return Ok((session, None)) };
    let answer = if sse {
        text.lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| message.get("id").and_then(Value::as_u64) == Some(id))
    } else {
        serde_json::from_str::<Value>(&text).ok()
    };
    Ok((session, answer))
}

/// Opens an MCP session for one caller (none in the stateless era).
async fn connect(http: &reqwest::Client, spec: &ServerSpec) -> Result<Target, String> {
    let mut params = json!({"name": spec.tool, "arguments": spec.arguments});
    if spec.stateless {
        // Without a session, each request says what `initialize` would have (2026-07-28).
        params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": STATELESS_ERA,
            "io.modelcontextprotocol/clientInfo": {"name": "mcpgen-throughput", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}});
        let params = params.to_string().into();
        let (url, tool) = (spec.url.as_str().into(), spec.tool.as_str().into());
        return Ok(Target::Mcp { url, session: None, params, version: STATELESS_ERA, tool });
    }
    let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": SESSION_ERA, "capabilities": {},
        "clientInfo": {"name": "mcpgen-throughput", "version": "1"}}});
    let (session, answer) =
        post(http, &spec.url, (None, SESSION_ERA), initialize.to_string().into_bytes(), Some(0), &[]).await?;
    if answer.as_ref().and_then(|a| a.get("result")).is_none() {
        return Err(format!("{}: initialize failed: {answer:?}", spec.name));
    }
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(http, &spec.url, (session.as_deref(), SESSION_ERA), initialized.to_string().into_bytes(), None, &[]).await?;
    Ok(Target::Mcp {
        url: spec.url.as_str().into(),
        session: session.map(Into::into),
        params: params.to_string().into(),
        version: SESSION_ERA,
        tool: spec.tool.as_str().into(),
    })
}

/// One call; `Err` on a transport error, a protocol error or an `isError` result.
async fn once(http: &reqwest::Client, target: &Target) -> Result<(), String> {
    match target {
        Target::Get { url } => {
            let response = http.get(&**url).send().await.map_err(|e| e.to_string())?;
            let ok = response.status().is_success();
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            if ok && !body.is_empty() { Ok(()) } else { Err("GET failed".into()) }
        }
        Target::Mcp { url, session, params, version, tool } => {
            // Ids are unique across the run: callers sharing a session must not reuse one.
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{params}}}"#);
            // The standard headers of the stateless era (SEP-2243), as its clients send them.
            let headers: &[(&str, &str)] =
                if *version == STATELESS_ERA { &[("mcp-method", "tools/call"), ("mcp-name", tool)] } else { &[] };
            let (_, answer) =
                post(http, url, (session.as_deref(), version), body.into_bytes(), Some(id), headers).await?;
            let result = answer.as_ref().and_then(|a| a.get("result"));
            match result {
                Some(result) if result.get("isError") != Some(&Value::Bool(true)) => Ok(()),
                _ => Err(format!("bad answer: {}", answer.map(|a| a.to_string()).unwrap_or_default())),
            }
        }
    }
}

/// `targets.len()` callers loop over their target until `until`; latencies in µs and errors.
async fn phase(http: &reqwest::Client, targets: &[Target], until: Instant) -> (Vec<u64>, usize, Option<String>) {
    let mut workers = tokio::task::JoinSet::new();
    for target in targets {
        let (http, target) = (http.clone(), target.clone());
        workers.spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
            while Instant::now() < until {
                let started = Instant::now();
                // A call still running at the deadline is cut and not counted, so every point
                // lasts exactly its seconds; one stuck for over a second counts as failed.
                let Ok(outcome) = tokio::time::timeout_at(until.into(), once(&http, &target)).await else {
                    if until.duration_since(started) > Duration::from_secs(1) {
                        errors += 1;
                        first_error.get_or_insert_with(|| "no answer for over a second".to_owned());
                    }
                    break;
                };
                match outcome {
                    Ok(()) => latencies.push(started.elapsed().as_micros() as u64),
                    Err(why) => {
                        errors += 1;
                        first_error.get_or_insert(why);
                        // Do not spin on a dead target.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (latencies, errors, first_error)
        });
    }
    let (mut all, mut errors, mut first) = (Vec::new(), 0, None);
    while let Some(joined) = workers.join_next().await {
        let (latencies, e, why) = joined.expect("caller task");
        all.extend(latencies);
        errors += e;
        first = first.or(why);
    }
    (all, errors, first)
}

/// CPU ticks of all of `pids`; `None` when there are none or one cannot be read.
fn total_ticks(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|&pid| cpu_ticks(pid)).sum()
}

async fn measure(http: &reqwest::Client, targets: &[Target], pids: &[u32], warmup: f64, seconds: f64) -> Point {
    phase(http, targets, Instant::now() + Duration::from_secs_f64(warmup)).await;
    let ticks_before = total_ticks(pids);
    let started = Instant::now();
    let (mut latencies_us, errors, first_error) =
        phase(http, targets, started + Duration::from_secs_f64(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let ticks_after = total_ticks(pids);
    if let Some(why) = first_error {
        eprintln!("  ({errors} failed calls; first: {why})");
    }
    latencies_us.sort_unstable();
    let calls = latencies_us.len();
    let tick_us = 1e6 / env_or("THROUGHPUT_CLK_TCK", 100.0);
    let cpu_us = match (ticks_before, ticks_after) {
        (Some(before), Some(after)) if calls > 0 => Some((after - before) as f64 * tick_us / calls as f64),
        _ => None,
    };
    Point { calls, errors, seconds: elapsed, latencies_us, cpu_us }
}

#[tokio::main]
async fn main() {
    let Ok(baseline) = std::env::var("THROUGHPUT_BASELINE") else {
        println!("throughput: nothing to do; run `bash benches/throughput.sh` (it starts nginx and the servers)");
        return;
    };
    let servers: Vec<ServerSpec> = match std::env::var("THROUGHPUT_SERVERS") {
        Ok(json) => serde_json::from_str(&json).expect("THROUGHPUT_SERVERS: a JSON array of servers"),
        Err(_) => Vec::new(),
    };
    let upstream_pid: Option<u32> = std::env::var("THROUGHPUT_UPSTREAM_PID").ok().and_then(|p| p.parse().ok());
    let seconds = env_or("THROUGHPUT_SECONDS", 3.0);
    let warmup = env_or("THROUGHPUT_WARMUP_SECONDS", 0.5);
    let levels: Vec<usize> = std::env::var("THROUGHPUT_CONCURRENCY")
        .unwrap_or_else(|_| "1,16,64".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A peer that never answers must not hang the run: a stuck call counts as a failed one.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");

    println!(
        "load run: {seconds} s per point after {warmup} s of warm-up; ratios are to the direct GET of the same run"
    );
    println!("upstream: {baseline}");
    for &concurrency in &levels {
        let direct = vec![Target::Get { url: baseline.as_str().into() }; concurrency];
        let ends: Vec<u32> = upstream_pid.into_iter().chain(upstream_pid.map(|_| std::process::id())).collect();
        let base = measure(&http, &direct, &ends, warmup, seconds).await;
        let (base_rate, base_p50, base_p99) = (base.rate(), base.percentile(0.5), base.percentile(0.99));
        println!("\nconcurrency {concurrency}");
        println!(
            "  {:<24} {:>9} {:>7} {:>9} {:>7} {:>9} {:>7} {:>10} {:>10} {:>11} {:>7}",
            "target", "calls/s", "×", "p50 µs", "×", "p99 µs", "×", "+p50 µs", "+p99 µs", "CPU µs/call", "×"
        );
        let row = |name: &str, point: &Point| {
            let (p50, p99) = (point.percentile(0.5), point.percentile(0.99));
            let cpu = point.cpu_us.map_or_else(|| "-".to_owned(), |c| format!("{c:.0}"));
            let cpu_ratio = match (point.cpu_us, base.cpu_us) {
                (Some(cpu), Some(base)) if base > 0.0 => format!("{:.2}", cpu / base),
                _ => "-".to_owned(),
            };
            println!(
                "  {name:<24} {:>9.0} {:>7.3} {:>9.0} {:>7.2} {:>9.0} {:>7.2} {:>10.0} {:>10.0} {cpu:>11} {cpu_ratio:>7}",
                point.rate(),
                point.rate() / base_rate,
                p50,
                p50 / base_p50,
                p99,
                p99 / base_p99,
                p50 - base_p50,
                p99 - base_p99,
            );
            if point.errors > 0 {
                println!("  {:<24} {} of {} calls failed", "", point.errors, point.errors + point.calls);
            }
        };
        row("direct GET (baseline)", &base);
        for server in &servers {
            let mut targets = Vec::with_capacity(concurrency);
            let mut failed = None;
            for _ in 0..if server.shared_session { 1 } else { concurrency } {
                match connect(&http, server).await {
                    Ok(target) => targets.push(target),
                    Err(why) => {
                        failed = Some(why);
                        break;
                    }
                }
            }
            if let Some(why) = failed {
                println!("  {:<24} could not connect: {why}", server.name);
                continue;
            }
            while targets.len() < concurrency {
                targets.push(targets[0].clone());
            }
            let point = measure(&http, &targets, &Vec::from_iter(server.pid), warmup, seconds).await;
            row(&server.name, &point);
        }
    }
}
