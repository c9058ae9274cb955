//! Non-Rust text files, rendered from askama templates through one view-model struct each.
//!
//! Values are escaped here for the target syntax (TOML strings, Markdown table cells) because
//! askama picks escapers by file extension and knows neither.

use askama::Template;

use super::{internal, runtime};
use crate::diagnostics::Problem;
use crate::ir::{ServerIr, ToolIr};

#[derive(Template)]
#[template(path = "Cargo.toml.j2", escape = "none")]
struct CargoToml<'a> {
    header: &'a str,
    name: &'a str,
    version: &'a str,
    description_toml: String,
    lib_name: &'a str,
    dependencies: String,
}

/// `Cargo.toml` of the generated crate.
pub(super) fn cargo_toml(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let description = ir.description.clone().unwrap_or_else(|| format!("MCP server for {}", api_titles(ir)));
    let view = CargoToml {
        header,
        name: &ir.name,
        version: &ir.version,
        description_toml: toml_string(&one_line(&description)),
        lib_name: &ir.lib_name,
        dependencies: runtime::dependencies(),
    };
    finish(view.render(), "Cargo.toml")
}

struct ApiRow {
    id: String,
    title_md: String,
    base_url: String,
    base_url_env: String,
}

struct ToolRow {
    name: String,
    route_md: String,
    hints: String,
    summary_md: String,
}

#[derive(Template)]
#[template(path = "README.md.j2", escape = "none")]
struct Readme<'a> {
    header: &'a str,
    title_md: String,
    description_md: String,
    apis: Vec<ApiRow>,
    tools: Vec<ToolRow>,
    tool_count: usize,
}

/// `README.md` of the generated crate.
pub(super) fn readme(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let view = Readme {
        header,
        title_md: markdown(ir.title.as_deref().unwrap_or(&ir.name)),
        description_md: markdown(ir.description.as_deref().unwrap_or(&format!("MCP server for {}.", api_titles(ir)))),
        apis: ir
            .apis
            .iter()
            .map(|api| ApiRow {
                id: api.id.clone(),
                title_md: markdown(&api.title),
                base_url: api.base_url.replace('`', "%60"),
                base_url_env: api.base_url_env.clone(),
            })
            .collect(),
        tools: ir.tools.iter().map(tool_row).collect(),
        tool_count: ir.tools.len(),
    };
    finish(view.render(), "README.md")
}

fn tool_row(tool: &ToolIr) -> ToolRow {
    let a = tool.annotations;
    let hints: Vec<&str> = [
        (a.read_only, "read-only"),
        (a.destructive, "destructive"),
        (a.idempotent, "idempotent"),
        (tool.deprecated, "deprecated"),
    ]
    .into_iter()
    .filter_map(|(on, word)| on.then_some(word))
    .collect();
    let first_line = tool.description.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    ToolRow {
        name: tool.name.clone(),
        route_md: format!("{} {}", tool.method, markdown(&tool.path)),
        hints: hints.join(", "),
        summary_md: markdown(first_line),
    }
}

fn finish(rendered: askama::Result<String>, what: &str) -> Result<String, Problem> {
    let mut text = rendered.map_err(|err| internal(what, err))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn api_titles(ir: &ServerIr) -> String {
    ir.apis.iter().map(|a| a.title.as_str()).collect::<Vec<_>>().join(", ")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A TOML basic string. JSON string escapes are a subset of TOML's, so serde_json's output is valid.
fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Text safe inside a Markdown table cell: one line, no HTML, no table or emphasis syntax.
fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(toml_string("a \"b\" \\ c\td"), r#""a \"b\" \\ c\td""#);
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(markdown("a | b <script> & `x`\nnext"), r"a \| b &lt;script&gt; &amp; \`x\` next");
    }
}
