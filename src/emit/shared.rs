//! Which whole schemas and path lists the tool table writes once per API (issue 13: the table
//! no larger than the spec).
//!
//! Specs share parameters and responses by reference (`components/parameters`, one response
//! schema for many operations), or repeat them verbatim (AWS writes nine `X-Amz-*` header
//! parameters into every operation). A tool's schemas are self-contained, so without sharing the
//! table would repeat each such schema once per tool. Here every top-level `inputSchema` property
//! and every `outputSchema` that several tools of an API use, byte for byte, gets a name in the
//! API's `{api}:shared` table, when writing the name in its place saves bytes; the runtime puts
//! the schemas back (`assembly`). The shaping plans' path lists (projection paths, required
//! paths) repeat the same way, once per tool returning the same resource; those that several
//! tools have go in the API's `{api}:paths` table (`shaping_plan::PathList`). Found by content
//! after the IR is complete, so whatever made the schemas (conversion, budgets, manifest
//! overrides) the served tools stay exactly as they were.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::assembly::{paths_table, shared_table};
use crate::ir::{ServerIr, ToolIr};

/// The shared schemas and path lists of a server and where its tools use them.
pub(super) struct SharedSchemas {
    /// Table key (`{api}:shared`, `{api}:paths`) → name → schema or list.
    pub(super) tables: BTreeMap<String, BTreeMap<String, Value>>,
    /// Per tool, in IR order: the shared name of each `inputSchema` property (by position).
    properties: Vec<Vec<Option<String>>>,
    /// Per tool, in IR order: the shared name of its `outputSchema`.
    outputs: Vec<Option<String>>,
    /// Per tool, in IR order: the shared name of each of its shaping plan's path lists (in the
    /// order of `ShapingDefinition::lists`).
    lists: Vec<Vec<Option<String>>>,
}

/// A schema or list seen in several places.
struct Candidate {
    /// The table it would go in.
    table: String,
    /// The schema as compact JSON (what identifies it).
    json: String,
    /// Name it would get: the argument name of its first use, `{tool}.output`, or for a list
    /// `{tool}.fields`, `{tool}.open` or `{tool}.required`.
    hint: String,
    uses: usize,
}

impl SharedSchemas {
    /// Finds the schemas worth sharing in `ir`'s tools.
    pub(super) fn of(ir: &ServerIr) -> Self {
        let mut candidates: Vec<Candidate> = Vec::new();
        // Hash of table and JSON → candidates with that hash (the JSON is kept once, in the candidate).
        let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut seen = |table: String, json: String, hint: &str| {
            let ids = by_hash.entry(hash(&table, &json)).or_default();
            let id = match ids.iter().find(|&&id| candidates[id].table == table && candidates[id].json == json) {
                Some(&id) => id,
                None => {
                    candidates.push(Candidate { table, json, hint: hint.to_owned(), uses: 0 });
                    ids.push(candidates.len() - 1);
                    candidates.len() - 1
                }
            };
            candidates[id].uses += 1;
            id
        };
        let mut property_ids = Vec::with_capacity(ir.tools.len());
        let mut output_ids = Vec::with_capacity(ir.tools.len());
        let mut list_ids = Vec::with_capacity(ir.tools.len());
        for tool in &ir.tools {
            let schemas = shared_table(&tool.api);
            let properties =
                properties(tool).map(|(arg, schema)| seen(schemas.clone(), json(schema), arg)).collect::<Vec<_>>();
            property_ids.push(properties);
            let output = tool
                .output_schema
                .as_ref()
                .map(|schema| seen(schemas.clone(), json(schema), &format!("{}.output", tool.name)));
            output_ids.push(output);
            let lists = tool.shaping.iter().flat_map(|plan| plan.lists());
            let lists = lists.map(|(kind, list)| {
                (!list.is_empty()).then(|| seen(paths_table(&tool.api), json(list), &format!("{}.{kind}", tool.name)))
            });
            list_ids.push(lists.collect::<Vec<_>>());
        }
        // Names in order of first use, so they read like the table; a taken name gets `~2`, `~3`, ….
        let mut names: Vec<Option<String>> = vec![None; candidates.len()];
        let mut tables: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        for (id, candidate) in candidates.iter().enumerate() {
            if !worth_sharing(candidate) {
                continue;
            }
            let table = tables.entry(candidate.table.clone()).or_default();
            let mut name = candidate.hint.clone();
            let mut n = 1;
            while table.contains_key(&name) {
                n += 1;
                name = format!("{}~{n}", candidate.hint);
            }
            // It was serialised from a `Value`, so it parses back to the same one.
            table.insert(name.clone(), serde_json::from_str(&candidate.json).unwrap_or(Value::Null));
            names[id] = Some(name);
        }
        let name = |id: &usize| names[*id].clone();
        Self {
            tables,
            properties: property_ids.iter().map(|ids| ids.iter().map(name).collect()).collect(),
            outputs: output_ids.iter().map(|id| id.as_ref().and_then(name)).collect(),
            lists: list_ids.iter().map(|ids| ids.iter().map(|id| id.as_ref().and_then(name)).collect()).collect(),
        }
    }

    /// The shared name of each of the `index`-th tool's path lists, in the order of
    /// `ShapingDefinition::lists` (`None`: written in place).
    pub(super) fn lists(&self, index: usize) -> &[Option<String>] {
        self.lists.get(index).map_or(&[], Vec::as_slice)
    }

    /// The shared name of the `index`-th tool's `position`-th input property, if it has one.
    pub(super) fn property(&self, index: usize, position: usize) -> Option<&str> {
        self.properties.get(index)?.get(position)?.as_deref()
    }

    /// The shared name of the `index`-th tool's output schema, if it has one.
    pub(super) fn output(&self, index: usize) -> Option<&str> {
        self.outputs.get(index)?.as_deref()
    }
}

/// `value` as compact JSON: what identifies a candidate.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn hash(table: &str, json: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (table, json).hash(&mut hasher);
    hasher.finish()
}

/// The top-level properties of a tool's input schema, in order.
pub(super) fn properties(tool: &ToolIr) -> impl Iterator<Item = (&str, &Value)> {
    let properties = tool.input_schema.get("properties").and_then(Value::as_object);
    properties.into_iter().flatten().map(|(arg, schema)| (arg.as_str(), schema))
}

/// Whether writing the schema once and its name at each use is smaller than writing it at each
/// use (a name costs its quotes; the entry its name, quotes, colon and comma).
fn worth_sharing(candidate: &Candidate) -> bool {
    let name = candidate.hint.len() + 2;
    candidate.uses >= 2
        && candidate.json.starts_with(['{', '['])
        && candidate.uses * candidate.json.len() > candidate.uses * name + candidate.json.len() + name + 2
}

/// Per API, the request headers its table entry writes once for the tools that write none
/// (`ApiDefinition::headers`): the headers most of its tools have (in practice one `accept`,
/// Autotask's 70 bytes on each of 2,958 tools), when writing them once saves bytes. A tool
/// without headers then writes `{}`.
pub(super) fn api_headers(ir: &ServerIr) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut counts: BTreeMap<&str, BTreeMap<&BTreeMap<String, String>, usize>> = BTreeMap::new();
    for tool in &ir.tools {
        *counts.entry(tool.api.as_str()).or_default().entry(&tool.headers).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for (api, by_headers) in counts {
        let none = by_headers.iter().find(|(headers, _)| headers.is_empty()).map_or(0, |(_, n)| *n);
        // The most used headers; equal counts keep the first in the map's order (deterministic).
        let best = by_headers.iter().filter(|(headers, _)| !headers.is_empty()).fold(None, |best, (h, n)| match best {
            Some((_, m)) if m >= *n => best,
            _ => Some((*h, *n)),
        });
        let Some((headers, uses)) = best else { continue };
        // `"headers":{…},` written `uses` times, against once plus `"headers":{},` per tool without.
        let written = json(headers).len() + r#""headers":,"#.len();
        if uses * written > written + none * r#""headers":{},"#.len() {
            out.insert(api.to_owned(), headers.clone());
        }
    }
    out
}
