//! The JSON layout of `tools.json`: indented down to a fixed depth, compact below it.
//!
//! Fully pretty-printed, the indentation of deeply nested schemas was about half of the table
//! (Microsoft Graph: 51.6 MB pretty, 28.8 MB compact; issue 13 wants the table no larger than the
//! spec). Indenting the outer levels keeps a change to one tool or one definition a change to its
//! own lines in reviews and snapshots, while each schema below them is one compact line.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

/// Containers opened at a depth below this are indented (the root is depth 0): the table's keys,
/// each tool, its keys, and the keys of its MCP tool object; one definition per line.
const INDENTED_DEPTH: usize = 4;

/// Arrays opened this deep or deeper are compact, with all they hold: a tool's tags or a shared
/// path list is one line, as a schema is (only the table's own arrays, such as `tools`, list
/// one entry per line).
const COMPACT_ARRAY_DEPTH: usize = 3;

/// `value` as JSON text in the layout above, with a final newline.
pub(super) fn to_string(value: &impl Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Layout::default());
    value.serialize(&mut serializer)?;
    out.push(b'\n');
    // serde_json writes valid UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A [`PrettyFormatter`] for the outer containers and a [`CompactFormatter`] inside deeper ones.
struct Layout {
    pretty: PrettyFormatter<'static>,
    /// Containers currently open.
    depth: usize,
    /// Depth of the compact array being written, if any: everything inside it is compact too.
    compact_array: Option<usize>,
}

impl Default for Layout {
    fn default() -> Self {
        Self { pretty: PrettyFormatter::with_indent(b"  "), depth: 0, compact_array: None }
    }
}

impl Layout {
    /// Whether the entries of the innermost open container are indented.
    fn indents(&self) -> bool {
        self.compact_array.is_none() && self.depth <= INDENTED_DEPTH
    }

    /// Closes the innermost container, and with it the compact array if that is the one.
    fn close(&mut self) {
        if self.compact_array == Some(self.depth) {
            self.compact_array = None;
        }
        self.depth -= 1;
    }
}

impl Formatter for Layout {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        if self.compact_array.is_none() && self.depth >= COMPACT_ARRAY_DEPTH {
            self.compact_array = Some(self.depth);
        }
        if self.indents() { self.pretty.begin_array(writer) } else { CompactFormatter.begin_array(writer) }
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let result = if self.indents() { self.pretty.end_array(writer) } else { CompactFormatter.end_array(writer) };
        self.close();
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
        self.depth += 1;
        if self.indents() { self.pretty.begin_object(writer) } else { CompactFormatter.begin_object(writer) }
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let result = if self.indents() { self.pretty.end_object(writer) } else { CompactFormatter.end_object(writer) };
        self.close();
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
    fn outer_levels_are_indented_and_deeper_ones_compact() {
        let value = json!({"tools": [{"tool": {"name": "a", "inputSchema": {"type": "object", "properties": {"x": {}}}}, "tags": ["b", {"c": 1}]}], "n": 1});
        let text = super::to_string(&value).unwrap();
        let expected = "{\n  \"tools\": [\n    {\n      \"tool\": {\n        \"name\": \"a\",\n        \"inputSchema\": {\"type\":\"object\",\"properties\":{\"x\":{}}}\n      },\n      \"tags\": [\"b\",{\"c\":1}]\n    }\n  ],\n  \"n\": 1\n}\n";
        assert_eq!(text, expected);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}
