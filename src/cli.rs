//! The command line: argument parsing, reporting, exit codes. Thin by design; the work is in the
//! library functions it calls.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::{Problem, Problems};
use crate::{Inputs, generate_locked, lint, load, load_spec, lock_path, plan, write};

const EXIT_CODES: &str = "Exit codes:\n  0  success\n  1  invalid input (spec, manifest, arguments) or output that cannot be written\n  2  internal error (a bug in mcpgen)";

/// Generate a production-grade Rust MCP server crate from OpenAPI specs and a manifest.
#[derive(Debug, Parser)]
#[command(name = "mcpgen", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate (or update) a server crate.
    ///
    /// Either name a directory holding `mcpgen.yaml` and `openapi.yaml` (or .yml/.json), or pass
    /// --manifest (and --spec for APIs whose manifest entry has no `spec`).
    #[command(after_help = EXIT_CODES)]
    Generate(GenerateArgs),
    /// Check that a generated crate is up to date with its spec and manifest (never writes).
    ///
    /// Regenerates in memory and compares with the output directory: exit 0 when identical, 1 with
    /// a unified diff and the lists of missing, changed and stale files. For CI and pre-commit.
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(CheckArgs),
    /// Validate the spec(s) and manifest, and lint them for agent-readiness (never writes).
    ///
    /// Reports every problem at once: errors, warnings, and lint (missing descriptions, missing
    /// operationIds, ambiguous names, oversized schemas). With --deny warnings, any warning fails.
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// List the tools that would be generated.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Write a starter manifest for a spec: its API, security schemes bound to environment
    /// variables, its tags, and dev/prod environments.
    #[command(after_help = EXIT_CODES)]
    Init(InitArgs),
    /// Show how the tool surface changes between two versions, classified breaking or not.
    ///
    /// OLD and NEW are each a spec file, a manifest, or a directory holding both. Breaking:
    /// tools removed or renamed, parameters added as required or removed, types narrowed, enum
    /// values removed, read-only tools that now write, new scopes required.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Work with a generated server's audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that audit records were neither changed, removed nor reordered.
    ///
    /// Give the files oldest first (rotated `audit.jsonl.2 audit.jsonl.1 audit.jsonl`): the hash
    /// chain runs across them. Exit 0 when every record verifies, 1 at the first broken one.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// JSONL audit files, oldest first.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// `text`: a one-line verdict on stderr; `json`: one report object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

const DIFF_EXIT_CODES: &str = "Exit codes:\n  0  no breaking change (or --allow-breaking)\n  1  breaking changes (or invalid inputs)\n  2  internal error (a bug in mcpgen)";

#[derive(Debug, Args)]
struct DiffArgs {
    /// The old version: a spec, a manifest, or a directory with `mcpgen.yaml`.
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The new version, in the same forms.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// `text`, `markdown` (for a pull-request comment) or `json`.
    #[arg(long, value_parser = ["text", "markdown", "json"], default_value = "text")]
    format: String,
    /// Exit 0 even when there are breaking changes.
    #[arg(long)]
    allow_breaking: bool,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// `warnings`: fail (exit 1) on warnings too, for CI; `profiles`: make --profile findings errors.
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings", "profiles"])]
    deny: Vec<String>,
    /// Report what a client would reject in each tool (repeatable; rules and sources in docs/profiles.md).
    #[arg(long = "profile", value_name = "NAME", value_enum)]
    profiles: Vec<crate::profiles::Profile>,
    /// With --profile: one finding per tool and rule (default: per rule, the first few tools).
    #[arg(long, short)]
    verbose: bool,
    /// `text`: diagnostics on stderr; `json`: one report object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
struct ListArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// `text`: a table; `json`: an array of tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// The OpenAPI document (YAML or JSON).
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Where to write the manifest (`-` for stdout) [default: mcpgen.yaml next to the spec].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Overwrite an existing manifest.
    #[arg(long)]
    force: bool,
}

const CHECK_EXIT_CODES: &str = "Exit codes:\n  0  the output directory is up to date\n  1  it has drifted (or the inputs are invalid)\n  2  internal error (a bug in mcpgen)";

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output directory of the crate [default: ./<server name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// `text`: unified diffs on stdout, summary on stderr; `json`: one report object on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Where the inputs are (shared by the commands that read a spec and manifest).
#[derive(Debug, Args)]
struct InputArgs {
    /// Directory holding `mcpgen.yaml` and `openapi.(yaml|yml|json)`.
    #[arg(value_name = "DIR", conflicts_with = "manifest")]
    dir: Option<PathBuf>,
    /// OpenAPI document (YAML or JSON); repeat for several APIs, in manifest order.
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// The manifest (`mcpgen.yaml`).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Directory holding `mcpgen.yaml` and `openapi.(yaml|yml|json)`.
    #[arg(value_name = "DIR", conflicts_with = "manifest")]
    dir: Option<PathBuf>,
    /// OpenAPI document (YAML or JSON); repeat for several APIs, in manifest order.
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// The manifest (`mcpgen.yaml`).
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Output directory of the crate [default: ./<server name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Overwrite files in the output directory that mcpgen did not generate.
    #[arg(long)]
    force: bool,
    /// Print only warnings and errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the command line and maps the outcome to an exit code (see `--help`).
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Command::Generate(args) => run_generate(args).map(|message| (message, true)),
        Command::Check(args) => run_check(args, color),
        Command::Validate(args) => run_validate(args, color),
        Command::List(args) => run_list(args).map(|()| (String::new(), true)),
        Command::Init(args) => run_init(args).map(|message| (message, true)),
        Command::Diff(args) => run_diff(args),
        Command::Audit(AuditCommand::Verify(args)) => run_audit_verify(args),
    });
    match outcome {
        Ok(Ok((message, success))) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            if success { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Ok(Err(problems)) => {
            eprint!("{}", problems.render(None, color));
            let internal = problems.0.iter().any(|p| p.code == "mcpgen::internal");
            let what = match &cli.command {
                Command::Generate(_) => "generation failed with",
                _ => "the inputs have",
            };
            eprintln!("error: {what} {} error(s); nothing was written", problems.error_count());
            ExitCode::from(if internal { 2 } else { 1 })
        }
        Err(_) => {
            eprintln!("error: mcpgen hit an internal error (a bug); please report it with the inputs that caused it");
            ExitCode::from(2)
        }
    }
}

fn inputs_of(dir: Option<&PathBuf>, manifest: Option<&PathBuf>, specs: &[PathBuf]) -> Result<Inputs, Problems> {
    match (dir, manifest) {
        (Some(dir), _) => {
            let mut inputs = Inputs::from_dir(dir).map_err(|p| Problems(vec![p]))?;
            inputs.specs = specs.to_vec();
            Ok(inputs)
        }
        (None, Some(manifest)) => Ok(Inputs { manifest: manifest.clone(), specs: specs.to_vec() }),
        (None, None) => Err(Problems(vec![
            Problem::error("mcpgen::input::usage", "no inputs: name a directory or pass --manifest")
                .with_help("e.g. `mcpgen generate fixtures/petstore --out petstore-mcp`"),
        ])),
    }
}

fn run_check(args: &CheckArgs, color: bool) -> Result<(String, bool), Problems> {
    let inputs = inputs_of(args.inputs.dir.as_ref(), args.inputs.manifest.as_ref(), &args.inputs.specs)?;
    let input = load(&inputs)?;
    let (tree, lock, warnings) = generate_locked(&input)?;
    if !warnings.0.is_empty() {
        eprint!("{}", warnings.render(None, color));
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(&input.manifest.server.name));
    let mut drift = write::compare(&out, &tree);
    // The lock is an input-side file (next to the manifest), but it drifts like an output.
    let lock_file = lock_path(&inputs);
    let lock_text = lock.render();
    match std::fs::read_to_string(&lock_file) {
        Ok(existing) if existing == lock_text => {}
        Ok(existing) => drift.changed.push((lock_file.display().to_string(), existing, lock_text)),
        Err(_) => drift.missing.push(lock_file.display().to_string()),
    }
    if args.format == Format::Json {
        let report = serde_json::json!({
            "upToDate": drift.is_empty(),
            "out": out.display().to_string(),
            "missing": drift.missing,
            "changed": drift.changed.iter().map(|(path, _, _)| path).collect::<Vec<_>>(),
            "stale": drift.stale,
        });
        println!("{report:#}");
    } else {
        for (path, on_disk, generated) in &drift.changed {
            let diff = similar::TextDiff::from_lines(on_disk, generated);
            let (old, new) = (format!("a/{path}"), format!("b/{path}"));
            print!("{}", diff.unified_diff().context_radius(3).header(&old, &new));
        }
    }
    let name = out.display();
    if drift.is_empty() {
        return Ok((format!("{name} is up to date ({} files)", tree.len()), true));
    }
    let mut summary = vec![format!("{name} has drifted from its spec and manifest:")];
    for (label, files) in [
        ("missing", drift.missing.clone()),
        ("changed", drift.changed.iter().map(|(p, _, _)| p.clone()).collect()),
        ("stale", drift.stale.clone()),
    ] {
        if !files.is_empty() {
            summary.push(format!("  {label}: {}", files.join(", ")));
        }
    }
    summary.push(format!("run `mcpgen generate` with the same inputs (--out {name}) to update it"));
    Ok((summary.join("\n"), false))
}

fn run_validate(args: &ValidateArgs, color: bool) -> Result<(String, bool), Problems> {
    let inputs = inputs_of(args.inputs.dir.as_ref(), args.inputs.manifest.as_ref(), &args.inputs.specs)?;
    let deny = |level: &str| args.deny.iter().any(|d| d == level);
    let options = crate::profiles::Options { verbose: args.verbose, deny: deny("profiles") };
    let (problems, tools, sizes, portability) = match load(&inputs).and_then(|input| {
        let (ir, mut problems) = plan(&input)?;
        problems.extend(Problems(lint::lint(&input, &ir)));
        let reports: Vec<_> = args.profiles.iter().map(|p| crate::profiles::check(&ir, *p)).collect();
        problems.extend(Problems(crate::profiles::problems(&input, &ir, &reports, options)));
        let sizes = crate::measure(&input, &ir, &mut problems);
        Ok((problems, ir.tools.len(), sizes, reports))
    }) {
        Ok((problems, tools, sizes, reports)) => (problems, Some(tools), Some(sizes), reports),
        Err(problems) => (problems, None, None, Vec::new()),
    };
    let errors = problems.error_count();
    let warnings = problems.0.len() - errors;
    let deny_warnings = deny("warnings");
    let ok = errors == 0 && !(deny_warnings && warnings > 0);
    if args.format == Format::Json {
        let report: Vec<serde_json::Value> = problems
            .0
            .iter()
            .map(|p| {
                serde_json::json!({
                    "severity": if p.is_error() { "error" } else { "warning" },
                    "code": p.code,
                    "message": p.message,
                    "help": p.help,
                    "position": p.position(),
                })
            })
            .collect();
        println!(
            "{:#}",
            serde_json::json!({"valid": ok, "errors": errors, "warnings": warnings, "tools": tools, "toolsList": sizes,
                "profiles": crate::profiles::to_json(&portability), "problems": report})
        );
    } else if !problems.0.is_empty() {
        eprint!("{}", problems.render(None, color));
    }
    let verdict = match (ok, tools) {
        (true, Some(tools)) => format!("valid: {tools} tool(s), {warnings} warning(s)"),
        (false, _) if errors == 0 => format!("invalid: {warnings} warning(s) denied by --deny warnings"),
        _ => format!("invalid: {errors} error(s), {warnings} warning(s)"),
    };
    let verdict = if portability.is_empty() || args.format == Format::Json {
        verdict
    } else {
        format!("{}\n{verdict}", crate::profiles::summary(&portability))
    };
    match sizes.filter(|_| args.format == Format::Text) {
        Some(sizes) => Ok((format!("{}\n{verdict}", sizes.render()), ok)),
        None => Ok((verdict, ok)),
    }
}

fn run_list(args: &ListArgs) -> Result<(), Problems> {
    let inputs = inputs_of(args.inputs.dir.as_ref(), args.inputs.manifest.as_ref(), &args.inputs.specs)?;
    let input = load(&inputs)?;
    let (ir, _) = plan(&input)?;
    if args.format == Format::Json {
        let tools: Vec<serde_json::Value> = ir
            .tools
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name, "api": t.api, "method": t.method, "path": t.path,
                    "operationId": t.operation_id, "title": t.title,
                    "readOnly": t.annotations.read_only, "destructive": t.annotations.destructive,
                    "idempotent": t.annotations.idempotent, "deprecated": t.deprecated,
                    "scopes": t.scopes, "security": t.security,
                    "tags": t.tags, "toolsets": t.toolsets,
                })
            })
            .collect();
        println!("{:#}", serde_json::Value::Array(tools));
        return Ok(());
    }
    let rows: Vec<[String; 7]> = ir
        .tools
        .iter()
        .map(|t| {
            let a = t.annotations;
            let hints: Vec<&str> =
                [(a.read_only, "read-only"), (a.destructive, "destructive"), (t.deprecated, "deprecated")]
                    .into_iter()
                    .filter_map(|(on, word)| on.then_some(word))
                    .collect();
            [
                t.name.clone(),
                t.api.clone(),
                format!("{} {}", t.method, t.path),
                hints.join(","),
                t.tags.join(","),
                t.toolsets.join(","),
                t.scopes.join(" "),
            ]
        })
        .collect();
    let header = ["TOOL", "API", "OPERATION", "HINTS", "TAGS", "TOOLSETS", "SCOPES"];
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].len()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: [&str; 7]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    println!("{}", line(header));
    for row in &rows {
        println!("{}", line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6]]));
    }
    Ok(())
}

fn run_diff(args: &DiffArgs) -> Result<(String, bool), Problems> {
    let old = plan_of(&args.old)?;
    let new = plan_of(&args.new)?;
    let changes = crate::diff::diff(&old, &new);
    let breaking = changes.iter().filter(|c| c.breaking).count();
    match args.format.as_str() {
        "json" => println!("{:#}", serde_json::json!({"breaking": breaking, "changes": changes})),
        "markdown" => print!("{}", crate::diff::to_markdown(&changes)),
        _ => print!("{}", crate::diff::to_text(&changes)),
    }
    let summary = format!("{breaking} breaking, {} non-breaking change(s)", changes.len() - breaking);
    Ok((summary, breaking == 0 || args.allow_breaking))
}

/// The IR of one side of a diff: a directory, a manifest, or a bare spec (wrapped in a minimal
/// manifest so that both sides name their API alike).
fn plan_of(path: &std::path::Path) -> Result<crate::ir::ServerIr, Problems> {
    let is_manifest = path.file_name().is_some_and(|n| n == "mcpgen.yaml" || n == "mcpgen.yml");
    if path.is_dir() || is_manifest {
        let inputs = if is_manifest {
            Inputs { manifest: path.to_path_buf(), specs: Vec::new() }
        } else {
            Inputs::from_dir(path).map_err(|p| Problems(vec![p]))?
        };
        return Ok(plan(&load(&inputs)?)?.0);
    }
    let absolute = std::fs::canonicalize(path).map_err(|err| {
        Problems(vec![Problem::error("mcpgen::io::read", format!("cannot read {}: {err}", path.display()))])
    })?;
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let manifest = std::env::temp_dir().join(format!("mcpgen-diff-{}-{n}.yaml", std::process::id()));
    let text = format!(
        "version: 1\nserver: {{name: diff-mcp}}\napis:\n  api: {{spec: {}, base_url: \"https://diff.invalid\"}}\n",
        serde_json::Value::String(absolute.display().to_string())
    );
    std::fs::write(&manifest, text).map_err(|err| {
        Problems(vec![Problem::error("mcpgen::io::write", format!("cannot write a temporary manifest: {err}"))])
    })?;
    let loaded = load(&Inputs { manifest: manifest.clone(), specs: Vec::new() });
    let _ = std::fs::remove_file(&manifest);
    Ok(plan(&loaded?)?.0)
}

fn run_audit_verify(args: &VerifyArgs) -> Result<(String, bool), Problems> {
    let mut lines = Vec::new();
    let mut origin = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file).map_err(|err| {
            Problems(vec![Problem::error("mcpgen::io::read", format!("cannot read {}: {err}", file.display()))])
        })?;
        for (n, line) in text.lines().enumerate() {
            lines.push(line.to_owned());
            origin.push(format!("{}:{}", file.display(), n + 1));
        }
    }
    let result = crate::audit_chain::verify(lines.iter().map(String::as_str));
    // A trail whose first record does not start the chain is a suffix: older files were rotated
    // away or left out, so only the links from that record on could be checked.
    let complete = lines.first().is_none_or(|line| {
        serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|record| record["prev"].as_str() == Some(crate::audit_chain::GENESIS))
    });
    let files = args.files.len();
    if args.format == Format::Json {
        let report = match &result {
            Ok(count) => serde_json::json!({"verified": true, "records": count, "files": files, "complete": complete}),
            Err(broken) => serde_json::json!({
                "verified": false, "records": broken.record - 1, "files": files, "complete": complete,
                "broken": {"record": broken.record, "at": origin.get(broken.record - 1), "reason": broken.reason},
            }),
        };
        println!("{report:#}");
        return Ok((String::new(), result.is_ok()));
    }
    match result {
        Ok(count) => {
            let mut verdict = format!("ok: {count} record(s) verified in {files} file(s)");
            if !complete {
                verdict.push_str(
                    "; the first record follows records not given here (older rotated files deleted or left \
                     out), so the links from it on were checked",
                );
            }
            Ok((verdict, true))
        }
        Err(broken) => {
            let at = origin.get(broken.record - 1).cloned().unwrap_or_default();
            Ok((format!("tampered: record {} ({at}): {}", broken.record, broken.reason), false))
        }
    }
}

fn run_init(args: &InitArgs) -> Result<String, Problems> {
    let spec = load_spec(&args.spec)?;
    let target = args.out.clone().unwrap_or_else(|| args.spec.with_file_name("mcpgen.yaml"));
    // The manifest names the spec relative to itself.
    let spec_name = if target.parent() == args.spec.parent() || args.out.is_none() {
        args.spec.file_name().map_or_else(|| args.spec.display().to_string(), |n| n.to_string_lossy().into_owned())
    } else {
        args.spec.display().to_string()
    };
    let text = crate::init::starter_manifest(&spec_name, &spec);
    if target.as_os_str() == "-" {
        print!("{text}");
        return Ok(String::new());
    }
    if target.exists() && !args.force {
        return Err(Problems(vec![
            Problem::error("mcpgen::init::exists", format!("{} already exists", target.display()))
                .with_help("pass --force to replace it, or --out another file (`-` prints it)"),
        ]));
    }
    std::fs::write(&target, text).map_err(|err| {
        Problems(vec![Problem::error("mcpgen::io::write", format!("cannot write {}: {err}", target.display()))])
    })?;
    Ok(format!("wrote {}; edit it, then run `mcpgen validate` and `mcpgen generate`", target.display()))
}

fn run_generate(args: &GenerateArgs) -> Result<String, Problems> {
    let inputs = inputs_of(args.dir.as_ref(), args.manifest.as_ref(), &args.specs)?;
    let progress = crate::progress::Progress::start(args.quiet);
    progress.stage("reading the spec(s) and manifest");
    let mut input = load(&inputs)?;
    let operations: usize = input.specs.iter().map(|(_, spec)| spec.path_count()).sum();
    progress.stage(format!("building tools from {operations} path(s)"));
    // `generate_measured`, with the specs freed once the IR is built: emitting reads only the IR
    // (located problems hold their own copy of the source text), and keeping the parsed specs
    // through it was a third of Microsoft Graph beta's peak memory (issue 13).
    let (ir, mut warnings) = plan(&input)?;
    drop(std::mem::take(&mut input.specs));
    let (sizes, emitted) = crate::measure_and_emit(&input, &ir, &mut warnings);
    if warnings.has_errors() {
        return Err(warnings);
    }
    let tree = match emitted {
        Ok(tree) => tree,
        Err(problem) => {
            warnings.push(problem);
            return Err(warnings);
        }
    };
    let lock = crate::lock::Lock::of(&ir);
    drop(ir);
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(&input.manifest.server.name));
    progress.stage(format!("writing {} file(s) to {}", tree.len(), out.display()));
    let report = write::write_tree(&out, &tree, args.force).map_err(|p| Problems(vec![p]))?;
    drop(progress);
    if !warnings.0.is_empty() {
        eprint!("{}", warnings.render(None, std::io::stderr().is_terminal()));
    }
    // Written after the crate, so a failed write never records names that were not generated. A
    // read-only input directory (generation from a mounted spec) only loses the lock, with a warning.
    if let Err(problem) = write::write_file(&lock_path(&inputs), &lock.render()) {
        eprintln!("warning: tool names are not locked: {} (see docs/manifest.md, `mcpgen.lock`)", problem.message);
    }
    if args.quiet {
        return Ok(String::new());
    }
    // Counted by the budget measurement: parsing the written table back only to count its tools
    // cost Microsoft Graph beta another few hundred MB of peak memory (issue 13).
    let tools = sizes.server.tools;
    Ok(format!(
        "{}\ngenerated {} ({tools} tools) in {}: {} written, {} unchanged, {} removed",
        sizes.render(),
        input.manifest.server.name,
        out.display(),
        report.written.len(),
        report.unchanged,
        report.removed.len()
    ))
}
