//! Agent-readiness lint for `mcpgen validate`: what makes tools hard for a model to choose or
//! call correctly, reported as warnings located in the spec.
//!
//! - `missing_description`: neither the spec nor the manifest says what the operation does; the
//!   model only sees a made-up "Calls GET /x.".
//! - `missing_operation_id`: the tool name is derived from the path, so it changes when the path
//!   does (and reads poorly).
//! - `ambiguous_name`: two operations wanted the same tool name; one got a numeric suffix that
//!   tells the model nothing.
//! - `oversized_schema`: an input schema so large that models and clients struggle with it.

use crate::budget::DefSizes;
use crate::diagnostics::Problem;
use crate::ir::Input;
use crate::ir::{ServerIr, ToolIr};

/// Input schemas larger than this (serialised) get `oversized_schema`.
pub const MAX_INPUT_SCHEMA_BYTES: usize = 16 * 1024;

/// The lint warnings for `ir`, built from `input`.
pub fn lint(input: &Input, ir: &ServerIr) -> Vec<Problem> {
    let mut problems = Vec::new();
    let defs = DefSizes::of(ir);
    for tool in &ir.tools {
        let Some((_, spec)) = input.specs.iter().find(|(id, _)| *id == tool.api) else { continue };
        let at = |problem: Problem, label: &str| spec.doc.at_key(&tool.pointer, problem, label);
        if !tool.documented {
            problems.push(at(
                Problem::warning("mcpgen::lint::missing_description", format!("`{}` has no description", tool.name))
                    .with_help("add a `summary` or `description` to the operation (or `description` in the manifest's tool override): the model picks tools by it"),
                "undocumented",
            ));
        }
        if tool.operation_id.is_none() {
            problems.push(at(
                Problem::warning("mcpgen::lint::missing_operation_id", format!("{} {} has no operationId; its tool name `{}` comes from the path", tool.method, tool.path, tool.name))
                    .with_help("add an `operationId` (or a `name` in the manifest's tool override) so the name stays stable when the path changes"),
                "no operationId",
            ));
        }
        if let Some(wanted) = &tool.renamed_from {
            problems.push(at(
                Problem::warning(
                    "mcpgen::lint::ambiguous_name",
                    format!("`{wanted}` was already taken, so this operation's tool is `{}`", tool.name),
                )
                .with_help("give one of the operations a distinct operationId or a manifest `name`"),
                "ambiguous name",
            ));
        }
        let size = schema_size(&defs, tool);
        if size > MAX_INPUT_SCHEMA_BYTES {
            problems.push(at(
                Problem::warning("mcpgen::lint::oversized_schema", format!("the input schema of `{}` is {} KiB", tool.name, size / 1024))
                    .with_help(format!("schemas over {} KiB crowd the model's context; exclude rarely used parameters or split the operation", MAX_INPUT_SCHEMA_BYTES / 1024)),
                "large input",
            ));
        }
    }
    problems
}

/// Bytes of the served (self-contained) input schema.
fn schema_size(defs: &DefSizes<'_>, tool: &ToolIr) -> usize {
    let own = serde_json::to_string(&tool.input_schema).map_or(0, |s| s.len());
    own + defs.extra(&tool.input_schema, tool.defs.input.as_ref())
}
