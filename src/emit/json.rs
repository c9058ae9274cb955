//! The JSON layout of `tools.json`: the table's keys, one tool per line and one definition per
//! line; everything inside them compact.
//!
//! Fully pretty-printed, the indentation of deeply nested schemas was about half of the table
//! (Microsoft Graph: 51.6 MB pretty, 28.8 MB compact; issue 13 wants the table no larger than the
//! spec); a tool's keys and its MCP tool's keys on lines of their own were still 14–21 % of it
//! (Autotask 4.74 → 4.08 MB as one line per tool). A line per tool and per definition keeps a
//! change to one tool or one definition a change to its own line in reviews and snapshots.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Objects opened at this depth or above, outside arrays, are indented (the root is depth 1):
/// the table, its `definitions` and each definition table.
const INDENTED_DEPTH: usize = 3;

/// `value` as JSON text in the layout above, with a final newline.
pub(super) fn to_string(value: &impl Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Layout::default());
    value.serialize(&mut serializer)?;
    out.push(b'\n');
    // serde_json writes valid UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A [`PrettyFormatter`] for the outer containers and a [`CompactFormatter`] inside the others.
struct Layout {
    pretty: PrettyFormatter<'static>,
    /// The containers currently open, innermost last.
    open: Vec<Container>,
}

/// An open container.
struct Container {
    array: bool,
    /// Whether its entries go on lines of their own.
    indented: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Self { pretty: PrettyFormatter::with_indent(b"  "), open: Vec::new() }
    }
}

impl Layout {
    /// Whether the entries of the innermost open container are indented.
    fn indents(&self) -> bool {
        self.open.last().is_some_and(|c| c.indented)
    }

    /// Opens a container: indented while its parent is an indented object (the entries of an
    /// array, such as each tool of `tools`, are one line each) and not deeper than
    /// [`INDENTED_DEPTH`].
    fn open(&mut self, array: bool) {
        let parent_lists_lines = self.open.last().is_none_or(|p| p.indented && !p.array);
        let indented = parent_lists_lines && self.open.len() < INDENTED_DEPTH;
        self.open.push(Container { array, indented });
    }
}

impl Formatter for Layout {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(true);
        if self.indents() { self.pretty.begin_array(writer) } else { CompactFormatter.begin_array(writer) }
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let result = if self.indents() { self.pretty.end_array(writer) } else { CompactFormatter.end_array(writer) };
        self.open.pop();
        result
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if self.indents() {
            self.pretty.begin_array_value(writer, first)
        } else {
            CompactFormatter.begin_array_value(writer, first)
        }
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.indents() { self.pretty.end_array_value(writer) } else { CompactFormatter.end_array_value(writer) }
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(false);
        if self.indents() { self.pretty.begin_object(writer) } else { CompactFormatter.begin_object(writer) }
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let result = if self.indents() { self.pretty.end_object(writer) } else { CompactFormatter.end_object(writer) };
        self.open.pop();
        result
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if self.indents() {
            self.pretty.begin_object_key(writer, first)
        } else {
            CompactFormatter.begin_object_key(writer, first)
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.indents() {
            self.pretty.begin_object_value(writer)
        } else {
            CompactFormatter.begin_object_value(writer)
        }
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.indents() { self.pretty.end_object_value(writer) } else { CompactFormatter.end_object_value(writer) }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_tool_and_a_definition_are_a_line_each() {
        let value = json!({"tools": [{"tool": {"name": "a", "inputSchema": {"type": "object", "properties": {"x": {}}}}, "tags": ["b", {"c": 1}]}], "definitions": {"t": {"d": {"type": "string"}}}, "n": 1});
        let text = super::to_string(&value).unwrap();
        let expected = "{\n  \"tools\": [\n    {\"tool\":{\"name\":\"a\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"x\":{}}}},\"tags\":[\"b\",{\"c\":1}]}\n  ],\n  \"definitions\": {\n    \"t\": {\n      \"d\": {\"type\":\"string\"}\n    }\n  },\n  \"n\": 1\n}\n";
        assert_eq!(text, expected);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}
