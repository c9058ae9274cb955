//! How a tool becomes search terms for the discovery surface: its fields, the words its HTTP
//! method suggests, and the document the index ranks.
//!
//! Compiled into the generator as well (`#[path]` in mcpgen's `lib.rs`), which writes these
//! terms into `tools.json`; the runtime derives the same for a table that ships none. The
//! tokeniser is the search module's, so documents and queries are processed alike.

use std::collections::BTreeMap;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use super::definition::{DeprecationDefinition, HttpMapping, ParamLocation};
use super::search::tokens;

/// A field of a tool that queries are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// Tool name (usually the spec's operationId).
    Name,
    /// Human title (the spec's summary).
    Title,
    /// The operation's tags.
    Tag,
    /// The description's first sentence.
    Summary,
    /// The whole description.
    Description,
    /// The path's last literal segment: what the operation acts on (`/pets/{id}/photos` → photos).
    Resource,
    /// Every literal path segment.
    Path,
    /// Task words suggested by the HTTP method ("remove" for DELETE).
    Verb,
    /// Argument names.
    Param,
}

impl Field {
    pub(crate) const ALL: [Field; 9] = [
        Field::Name,
        Field::Title,
        Field::Tag,
        Field::Summary,
        Field::Description,
        Field::Resource,
        Field::Path,
        Field::Verb,
        Field::Param,
    ];

    /// How much a (length-normalised) occurrence in this field counts. The resource, name and
    /// title say what a tool does; descriptions and parameters also say much else.
    pub(crate) fn weight(self) -> f32 {
        match self {
            Field::Resource => 6.0,
            Field::Name => 4.0,
            Field::Title | Field::Tag => 3.0,
            Field::Summary | Field::Verb => 2.0,
            Field::Description | Field::Path | Field::Param => 1.0,
        }
    }
}

/// A tool's search document: per field, its stemmed terms, and the priors' inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Field → its stemmed terms in text order, separated by spaces (a term occurring twice is
    /// written twice): compact in the table, and weighting happens at ranking.
    pub fields: BTreeMap<Field, String>,
    /// Segments of the path template, literal or not (`/pets/{id}` → 2).
    #[serde(default)]
    pub depth: u32,
    /// Whether the description says more than the title.
    #[serde(default)]
    pub described: bool,
}

impl Terms {
    /// Whether there are no terms (a table written for the tools surface ships none).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// What a tool is found by; every field comes from its definition.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    /// Tool name, e.g. `list_pets`.
    pub name: &'a str,
    /// Human title.
    pub title: Option<&'a str>,
    /// Description (its first sentence is the summary).
    pub description: &'a str,
    /// The operation's tags.
    pub tags: &'a [String],
    /// Upper-case HTTP method.
    pub method: &'a str,
    /// Path template, e.g. `/pets/{petId}`.
    pub path: &'a str,
    /// Argument names (see [`param_names`]).
    pub params: Vec<String>,
}

impl<'a> Fields<'a> {
    /// What a table's tool is found by: the generator writes these terms into the table, and the
    /// runtime derives the same for a table that ships none. A deprecated tool is found by what
    /// it does, not by its deprecation note ("avoid this tool when another one does the job" made
    /// Graph's deprecated identity providers the best match for "update my job title"); OData's
    /// system query options (`$search`, `$top`, `$filter`, …) say how to query, not what a tool
    /// does (on every Graph list operation, they made *search* a word of thousands of tools).
    pub fn of_tool(
        name: &'a str,
        title: Option<&'a str>,
        description: &'a str,
        tags: &'a [String],
        http: &'a HttpMapping,
        input_schema: &serde_json::Map<String, serde_json::Value>,
        deprecation: Option<&DeprecationDefinition>,
    ) -> Self {
        let (mut title, mut description) = (title, description);
        if let Some(deprecation) = deprecation {
            let note = deprecation.note();
            description = description.strip_prefix(note.as_str()).map_or(description, str::trim_start);
            title = title.map(|t| t.strip_suffix(" (deprecated)").unwrap_or(t));
        }
        let system = |arg: &str| {
            (http.params.iter()).any(|p| p.arg == arg && p.location == ParamLocation::Query && p.name.starts_with('$'))
        };
        let params = param_names(input_schema).into_iter().filter(|name| !system(name)).collect();
        Fields { name, title, description, tags, method: &http.method, path: &http.path, params }
    }

    /// The tool's search document.
    pub fn document(&self) -> Terms {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut fields: BTreeMap<Field, String> = BTreeMap::new();
        let mut add = |field: Field, text: &str| {
            // Path literals are identifiers, not prose: `/me` is about "me".
            let keep_stop_words = matches!(field, Field::Resource | Field::Path);
            for term in tokens(&stemmer, text, keep_stop_words) {
                let terms = fields.entry(field).or_default();
                if !terms.is_empty() {
                    terms.push(' ');
                }
                terms.push_str(&term);
            }
        };
        let literals: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{')).collect();
        // What the operation acts on: the last literal that names something. OData's system
        // segments (`/members/$ref`, `/photo/$value`) act on the one before; a qualified
        // function (`microsoft.graph.validateProperties`) is named by its last part.
        let resource = literals.iter().rev().find(|s| !s.starts_with('$')).or(literals.last()).copied();
        let resource = resource.map(|s| s.rsplit('.').next().unwrap_or(s)).unwrap_or_default();
        add(Field::Name, self.name);
        add(Field::Title, self.title.unwrap_or_default());
        for tag in self.tags {
            add(Field::Tag, tag);
        }
        add(Field::Summary, summary(self.description));
        add(Field::Description, self.description);
        add(Field::Resource, resource);
        add(Field::Path, &literals.join(" "));
        // POSTing to a bound operation invokes it; it creates nothing, so the method says
        // nothing of what it does (its name does: `validateProperties`, `sendMail`).
        let invokes = self.method == "POST" && literals.last().is_some_and(|s| is_qualified_operation(s));
        if !invokes {
            add(Field::Verb, &verbs(self.method).join(" "));
        }
        for param in &self.params {
            add(Field::Param, param);
        }
        let title = self.title.unwrap_or_default().trim();
        let description = self.description.trim();
        Terms {
            fields,
            depth: self.path.split('/').filter(|s| !s.is_empty()).count() as u32,
            described: !description.is_empty() && description != title,
        }
    }
}

/// Whether a path segment names an operation by its qualified name, as OData's bound actions and
/// functions are (`microsoft.graph.validateProperties`): dotted identifiers, not a file name.
fn is_qualified_operation(segment: &str) -> bool {
    const EXTENSIONS: &[&str] = &["json", "xml", "csv", "yaml", "yml", "txt", "html", "pdf", "zip", "png", "jpg"];
    let parts: Vec<&str> = segment.split('.').collect();
    parts.len() > 1
        && parts
            .iter()
            .all(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && !parts.last().is_some_and(|last| EXTENSIONS.contains(&last.to_ascii_lowercase().as_str()))
}

/// The task words an agent uses for what an HTTP method does: "remove an order" should find
/// `DELETE /orders/{id}` even when the spec only says "delete".
pub fn verbs(method: &str) -> &'static [&'static str] {
    match method {
        "GET" => &["get", "list", "fetch", "show", "read", "find", "retrieve"],
        // Not "send": `POST /me/getMailTips` sends nothing; the operations that send say so.
        "POST" => &["create", "add", "new", "post"],
        "PUT" => &["update", "edit", "change", "set", "replace"],
        "PATCH" => &["update", "edit", "change", "set", "modify"],
        "DELETE" => &["delete", "remove", "cancel", "destroy"],
        "HEAD" => &["check", "exists"],
        _ => &[],
    }
}

/// The first sentence of `description` (up to the first `. `, line break or end).
pub fn summary(description: &str) -> &str {
    let line = description.trim_start().lines().next().unwrap_or_default();
    match line.find(". ") {
        Some(end) => &line[..=end],
        None => line,
    }
    .trim()
}

/// Argument names of a tool's input schema: its top-level properties, and those of an inline
/// object `body` (a `$ref`ed body contributes its argument name only).
pub fn param_names(input_schema: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let mut names = Vec::new();
    let properties = |schema: &serde_json::Value| {
        schema.get("properties").and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect::<Vec<_>>())
    };
    if let Some(top) = input_schema.get("properties").and_then(|p| p.as_object()) {
        for (name, schema) in top {
            names.push(name.clone());
            if name == "body" {
                names.extend(properties(schema).unwrap_or_default());
            }
        }
    }
    names
}
