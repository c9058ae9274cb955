//! The command line: argument parsing, reporting, exit codes. Thin by design; the work is in the
//! library functions it calls.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostics::{Problem, Problems};
use crate::{Inputs, generate, load, write};

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
            eprintln!("error: generation failed with {} error(s); nothing was written", problems.error_count());
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
    let (tree, warnings) = generate(&input)?;
    if !warnings.0.is_empty() {
        eprint!("{}", warnings.render(None, color));
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(&input.manifest.server.name));
    let drift = write::compare(&out, &tree);
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

fn run_generate(args: &GenerateArgs) -> Result<String, Problems> {
    let inputs = inputs_of(args.dir.as_ref(), args.manifest.as_ref(), &args.specs)?;
    let input = load(&inputs)?;
    let (tree, warnings) = generate(&input)?;
    if !warnings.0.is_empty() {
        eprint!("{}", warnings.render(None, std::io::stderr().is_terminal()));
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(&input.manifest.server.name));
    let report = write::write_tree(&out, &tree, args.force).map_err(|p| Problems(vec![p]))?;
    if args.quiet {
        return Ok(String::new());
    }
    let tools = tree
        .get("src/tools.json")
        .and_then(|t| serde_json::from_str::<crate::definition::ServerDefinition>(t).ok())
        .map_or(0, |d| d.tools.len());
    Ok(format!(
        "generated {} ({tools} tools) in {}: {} written, {} unchanged, {} removed",
        input.manifest.server.name,
        out.display(),
        report.written.len(),
        report.unchanged,
        report.removed.len()
    ))
}
