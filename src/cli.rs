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
        Command::Generate(args) => run_generate(args),
    });
    match outcome {
        Ok(Ok(message)) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::SUCCESS
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

fn run_generate(args: &GenerateArgs) -> Result<String, Problems> {
    let inputs = match (&args.dir, &args.manifest) {
        (Some(dir), _) => {
            let mut inputs = Inputs::from_dir(dir).map_err(|p| Problems(vec![p]))?;
            inputs.specs.clone_from(&args.specs);
            inputs
        }
        (None, Some(manifest)) => Inputs { manifest: manifest.clone(), specs: args.specs.clone() },
        (None, None) => {
            return Err(Problems(vec![
                Problem::error("mcpgen::input::usage", "no inputs: name a directory or pass --manifest")
                    .with_help("e.g. `mcpgen generate fixtures/petstore --out petstore-mcp`"),
            ]));
        }
    };
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
