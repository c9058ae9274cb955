//! The portability lint of `mcpgen validate --profile NAME` (issue 14, item 2): what a client
//! would refuse in each tool as it is served: its name, its self-contained input schema (the
//! shared definitions added as `$defs`, by the same assembly the runtime uses), and for Gemini its
//! output schema as a `response` schema. The rules and their sources are in [`rules`] and in
//! `docs/profiles.md`; the schemas are only checked here, never transformed (that is item 1).
//!
//! Findings are grouped so a 1,000-tool spec stays readable: one warning per rule and part,
//! located at the first offending operation, naming the first few tools and where in their
//! schemas the rule breaks. `--verbose` gives one warning per tool and rule instead (and `--format
//! json` carries whichever was asked for).

pub mod rules;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::client_profile::Profile as ClientProfile;
use crate::definition::SurfaceMode;
use crate::diagnostics::Problem;
use crate::ir::{Input, ServerIr, ToolIr};
use rules::{RULES, Rule};

/// The meta-tools a discovery surface lists.
const META_TOOL_NAMES: [&str; 3] = [crate::meta_tools::SEARCH, crate::meta_tools::DESCRIBE, crate::meta_tools::CALL];

/// A client whose tool rules `validate` can check (a closed set: each has its own rule table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Profile {
    /// OpenAI function calling with `strict: true` (Structured Outputs' schema subset).
    OpenaiStrict,
    /// Gemini `FunctionDeclaration.parameters` / `.response` (an OpenAPI 3.0 `Schema` subset).
    Gemini,
    /// Anthropic Messages API tools (and Claude Code, which passes MCP tools through).
    Anthropic,
    /// Cursor's MCP client.
    Cursor,
    /// The rules every profile above has: failing one fails with every client.
    Portable,
}

impl Profile {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenaiStrict => "openai-strict",
            Self::Gemini => "gemini",
            Self::Anthropic => "anthropic",
            Self::Cursor => "cursor",
            Self::Portable => "portable",
        }
    }
}

/// The part of a tool definition a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The tool name.
    Name,
    /// `inputSchema`.
    Input,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Input => "inputSchema",
        }
    }
}

/// One place in one tool where a rule breaks.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule broken.
    pub rule: &'static Rule,
    /// Where: a JSON pointer into the schema, or a short note for name rules.
    pub at: String,
    /// Which part of the tool.
    pub part: Part,
}

impl Finding {
    fn new(rule: &'static Rule, at: &str) -> Self {
        Self { rule, at: at.to_owned(), part: Part::Input }
    }
}

/// What one profile finds in a server's tools.
#[derive(Debug, Clone)]
pub struct Report {
    /// The profile checked.
    pub profile: Profile,
    /// Tools checked (all the server lists on its tools surface).
    pub tools: usize,
    /// `(index into ServerIr::tools, its findings)` of every tool with at least one finding.
    pub rejected: Vec<(usize, Vec<Finding>)>,
}

/// Checks every tool of `ir` against `profile`.
pub fn check(ir: &ServerIr, profile: Profile) -> Report {
    let total = ir.tools.len();
    let mut rejected = Vec::new();
    for (index, tool) in ir.tools.iter().enumerate() {
        let findings = check_tool(ir, tool, profile);
        if !findings.is_empty() {
            rejected.push((index, findings));
        }
    }
    Report { profile, tools: total, rejected }
}

fn check_tool(ir: &ServerIr, tool: &ToolIr, profile: Profile) -> Vec<Finding> {
    let mut out = Vec::new();
    let named = |rule: &'static Rule, ok: bool, out: &mut Vec<Finding>| {
        if !ok {
            out.push(Finding { rule, at: format!("`{}`", tool.name), part: Part::Name });
        }
    };
    // Each profile reads the schema as served: the same assembly as `tools/list` (`with_defs`).
    match profile {
        Profile::OpenaiStrict => {
            named(&rules::OPENAI_NAME, plain_name(&tool.name), &mut out);
            schema::openai_strict(&served_input(ir, tool, ClientProfile::OpenaiStrict), &mut out);
        }
        Profile::Gemini => {
            named(&rules::GEMINI_NAME, gemini_name(&tool.name), &mut out);
            // The gemini profile lists no output schemas (`Profile::lists_output_schemas`), so
            // there is no `response` schema to refuse.
            schema::gemini(&served_input(ir, tool, ClientProfile::Gemini), true, &mut out);
        }
        Profile::Anthropic => {
            named(&rules::ANTHROPIC_NAME, plain_name(&tool.name), &mut out);
            schema::anthropic(&ir.input_schema(tool), &mut out);
        }
        Profile::Cursor => {
            // Past Cursor's 40 tools the profile serves the discovery surface: its meta-tools'
            // names are what Cursor sees beside the server's.
            let discovery = ir.surface.mode == SurfaceMode::Discovery
                || ClientProfile::Cursor.max_tools().is_some_and(|most| ir.tools.len() > most);
            let listed: Vec<String> = if discovery {
                META_TOOL_NAMES.iter().map(|name| (*name).to_owned()).collect()
            } else {
                vec![ClientProfile::Cursor.tool_name(&ir.name, &tool.name).unwrap_or_else(|| tool.name.clone())]
            };
            for name in listed {
                // Cursor prefixes the name the user gives the server; the MCP server name is the default.
                let length = ir.name.chars().count() + name.chars().count();
                if length >= 60 {
                    let at = format!("`{}` + `{name}`: {length} characters", ir.name);
                    out.push(Finding { rule: &rules::CURSOR_NAME_LENGTH, at, part: Part::Name });
                }
            }
        }
        Profile::Portable => {
            named(&rules::PORTABLE_NAME, plain_name(&tool.name) && gemini_name(&tool.name), &mut out);
            schema::portable(&ir.input_schema(tool), &mut out);
        }
    }
    out
}

/// The input schema of `tool` as a server started with `--profile` of `profile` lists it.
fn served_input(ir: &ServerIr, tool: &ToolIr, profile: ClientProfile) -> Value {
    match ir.input_schema(tool) {
        Value::Object(schema) => profile.input_schema(&schema).map_or(Value::Object(schema), Value::Object),
        other => other,
    }
}

/// `^[a-zA-Z0-9_-]{1,64}$` (OpenAI and Anthropic).
fn plain_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Gemini: starts with a letter or `_`; letters, digits, `_`, `.`, `-`; at most 64.
fn gemini_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// How the findings become diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// One diagnostic per tool and rule instead of one per rule.
    pub verbose: bool,
    /// Findings are errors (`--deny profiles`), so validation fails.
    pub deny: bool,
}

/// Tools named in a grouped diagnostic, and places named per tool.
const EXAMPLE_TOOLS: usize = 3;
const EXAMPLE_PLACES: usize = 3;

/// A tool (index into `ServerIr::tools`) breaking a rule, and the places where it does.
type Offender<'a> = (usize, Vec<&'a str>);

/// The diagnostics of `reports`, located at each operation in its spec.
pub fn problems(input: &Input, ir: &ServerIr, reports: &[Report], options: Options) -> Vec<Problem> {
    let mut out = Vec::new();
    for report in reports {
        // Rule (in table order) and part → the tools breaking it, with their places.
        let mut groups: BTreeMap<(usize, Part), Vec<Offender<'_>>> = BTreeMap::new();
        for (tool, findings) in &report.rejected {
            let mut per_tool: BTreeMap<(usize, Part), Vec<&str>> = BTreeMap::new();
            for finding in findings {
                let rule = RULES.iter().position(|r| std::ptr::eq(*r, finding.rule)).unwrap_or(usize::MAX);
                per_tool.entry((rule, finding.part)).or_default().push(&finding.at);
            }
            for (key, places) in per_tool {
                groups.entry(key).or_default().push((*tool, places));
            }
        }
        for ((rule, part), tools) in groups {
            let Some(rule) = RULES.get(rule) else { continue };
            let make = |message: String, help: String| {
                let problem = if options.deny {
                    Problem::error(rule.code, message)
                } else {
                    Problem::warning(rule.code, message)
                };
                problem.with_help(help)
            };
            let source = if rule.documented {
                format!("source: {}", rule.source)
            } else {
                format!("not documented by the provider; {}", rule.source)
            };
            let profile = report.profile.name();
            if options.verbose {
                for (tool, places) in &tools {
                    let name = &ir.tools[*tool].name;
                    let message =
                        format!("{profile}: `{name}` ({}) at {}: {}", part.label(), places_text(places), rule.summary);
                    out.push(locate(input, &ir.tools[*tool], make(message, source.clone())));
                }
                continue;
            }
            let message =
                format!("{profile}: {} of {} tool(s) ({}): {}", tools.len(), report.tools, part.label(), rule.summary);
            let mut examples: Vec<String> = tools
                .iter()
                .take(EXAMPLE_TOOLS)
                .map(|(tool, places)| format!("`{}` at {}", ir.tools[*tool].name, places_text(places)))
                .collect();
            if tools.len() > EXAMPLE_TOOLS {
                examples.push(format!("and {} more (--verbose lists each)", tools.len() - EXAMPLE_TOOLS));
            }
            let help = format!("e.g. {}\n{source}", examples.join("; "));
            out.push(locate(input, &ir.tools[tools[0].0], make(message, help)));
        }
    }
    out
}

/// The first few places, and how many more there are.
fn places_text(places: &[&str]) -> String {
    let shown: Vec<String> = places
        .iter()
        .take(EXAMPLE_PLACES)
        .map(|p| if p.is_empty() { "the root".to_owned() } else { (*p).to_owned() })
        .collect();
    match places.len().saturating_sub(EXAMPLE_PLACES) {
        0 => shown.join(", "),
        more => format!("{} (+{more} more)", shown.join(", ")),
    }
}

/// Points `problem` at the operation of `tool` (the schema as served has no place in the spec).
fn locate(input: &Input, tool: &ToolIr, problem: Problem) -> Problem {
    match input.specs.iter().find(|(id, _)| *id == tool.api) {
        Some((_, spec)) => spec.doc.at_key(&tool.pointer, problem, &format!("`{}`", tool.name)),
        None => problem,
    }
}

/// One line per profile: how many tools it would reject.
pub fn summary(reports: &[Report]) -> String {
    let lines: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "  --profile {}: {} of {} tool(s) rejected ({})",
                r.profile.name(),
                r.rejected.len(),
                r.tools,
                share(r.rejected.len(), r.tools)
            )
        })
        .collect();
    format!("portability (docs/profiles.md):\n{}", lines.join("\n"))
}

/// `n` of `total` as a whole percentage, never rounding a rejection down to 0 %.
pub fn share(n: usize, total: usize) -> String {
    match (n, total) {
        (0, _) | (_, 0) => "0 %".to_owned(),
        _ if n * 100 < total => "<1 %".to_owned(),
        _ => format!("{} %", (n * 100 + total / 2) / total),
    }
}

/// The reports for `--format json`: per profile, the counts per rule.
pub fn to_json(reports: &[Report]) -> Value {
    let profiles: Vec<Value> = reports
        .iter()
        .map(|r| {
            let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, findings) in &r.rejected {
                let mut codes: Vec<&str> = findings.iter().map(|f| f.rule.code).collect();
                codes.sort_unstable();
                codes.dedup();
                codes.into_iter().for_each(|code| *per_rule.entry(code).or_default() += 1);
            }
            json!({"profile": r.profile.name(), "tools": r.tools, "rejected": r.rejected.len(), "toolsPerRule": per_rule})
        })
        .collect();
    Value::Array(profiles)
}
