//! Response shaping, generator side: from an operation's response schema and query parameters,
//! the tool's shaping plan (`tools.json`), its `fields` and `continuation` arguments, and an
//! output schema that describes shaped results. See docs/response-shaping.md.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::{ServerIr, ToolIr};
use crate::definition::ParamLocation;
use crate::manifest::ShapingSettings;
use crate::shaping_plan::{FieldsDefinition, PagingDefinition, PagingStyle, ShapingDefinition};
use crate::spec::Spec;
use crate::spec::operations::SpecOperation;
use crate::spec::schema::{SUBSCHEMA, SUBSCHEMA_ARRAYS, SUBSCHEMA_MAPS};

/// How deep field paths are listed (`owner.login` is 2, `license.spdx.id` 3); objects at this
/// depth accept any path below them.
const MAX_DEPTH: usize = 3;
/// How deep required members are checked in upstream responses of shaped tools.
const MAX_REQUIRED_DEPTH: usize = 5;
/// Most schemas walked for them per tool.
const MAX_REQUIRED_VISITS: usize = 4_000;
/// Most field paths listed per tool: a bound on the table, not on what can be asked for.
const MAX_PATHS: usize = 400;
/// Most characters of top-level field names quoted in the `fields` description.
const DESCRIBED_NAMES_CHARS: usize = 200;
/// Fields preferred in the example of the `fields` description, when the response has them.
const TYPICAL: &[&str] =
    &["id", "name", "full_name", "title", "number", "key", "state", "status", "login", "email", "url"];
/// Members preferred for the nested field of an example, in order.
const NESTED: &[&str] = &["login", "name", "id", "key"];

/// Names of the list array in an envelope object, most common first.
const ITEM_ARRAYS: &[&str] = &[
    "data", "items", "results", "value", "records", "entries", "elements", "nodes", "objects", "rows", "hits", "list",
];
/// Members holding the total number of items.
const TOTALS: &[&str] =
    &["total_count", "totalCount", "total", "total_results", "totalResults", "total_size", "totalSize", "count"];
/// Query parameters taking an opaque cursor.
const CURSOR_PARAMS: &[&str] = &[
    "cursor",
    "page_token",
    "pageToken",
    "next_token",
    "nextToken",
    "continuation_token",
    "continuationToken",
    "page_cursor",
    "after",
    "marker",
];
/// Response members holding the next cursor.
const CURSOR_TOKENS: &[&str] = &[
    "next_cursor",
    "nextCursor",
    "next_page_token",
    "nextPageToken",
    "next_token",
    "nextToken",
    "continuation_token",
    "continuationToken",
    "next_marker",
    "nextMarker",
    "cursor",
    "response_metadata.next_cursor",
    "meta.next_cursor",
    "pagination.next_cursor",
    "metadata.next_cursor",
];
/// Response members holding the next page's URL.
const NEXT_URLS: &[&str] = &[
    "next",
    "next_url",
    "nextUrl",
    "next_page_url",
    "nextLink",
    "@odata.nextLink",
    "links.next",
    "_links.next.href",
    "meta.next",
    "pagination.next",
];
/// Page-size parameters.
const SIZES: &[&str] = &["per_page", "page_size", "pageSize", "perPage", "limit", "size", "count", "pagesize", "max"];

/// Derives `tool`'s shaping plan and adds its arguments to the input schema. `merges` is shared by
/// the tools of `merges.spec`.
pub(super) fn apply<'a>(merges: &Merges<'a>, op: &SpecOperation, settings: ShapingSettings, tool: &mut ToolIr) {
    if !settings.enabled {
        return;
    }
    let Some(pointer) = op.success.as_ref().and_then(|s| s.schema.as_deref()) else { return };
    let schemas = Schemas::new(merges);
    let root = schemas.merged(pointer);
    let (items, item) = list_of(&schemas, &root);
    let shape_of = item.as_ref().unwrap_or(&root);
    let mut paths = BTreeSet::new();
    let mut open = BTreeSet::new();
    schemas.collect(shape_of, "", 1, &mut paths, &mut open);
    let top: Vec<String> =
        shape_of.properties.keys().filter(|k| paths.contains(**k)).map(|k| (*k).to_owned()).collect();
    let total = items.as_ref().and_then(|i| (!i.is_empty()).then_some(())).and_then(|()| {
        TOTALS
            .iter()
            .find(|t| root.properties.get(**t).is_some_and(|s| schemas.is_type(s, "integer")))
            .map(|t| (*t).to_owned())
    });
    let properties = tool.input_schema.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let free = |name: &str| {
        [name.to_owned(), format!("mcp_{name}")].into_iter().find(|n| !properties.contains_key(n.as_str()))
    };
    let fields =
        (settings.fields && op.method == "GET" && !paths.is_empty()).then(|| free("fields")).flatten().map(|arg| {
            FieldsDefinition {
                arg,
                paths: paths.iter().cloned().collect::<Vec<_>>().into(),
                open: open.into_iter().collect::<Vec<_>>().into(),
            }
        });
    let paging = (settings.paging && items.is_some())
        .then(|| detect_paging(&schemas, tool, &root, item.as_deref(), pointer))
        .flatten()
        .and_then(|style| free("continuation").map(|arg| PagingDefinition { arg, style }));
    let list = items.is_some();
    add_arguments(tool, fields.as_ref(), &top, paging.as_ref(), list);
    let mut required = BTreeSet::new();
    if tool.output_schema.is_some() {
        let mut visits = MAX_REQUIRED_VISITS;
        schemas.collect_required(&root, "", 1, &mut required, &mut visits);
    }
    tool.shaping = Some(ShapingDefinition {
        max_result_bytes: settings.max_result_bytes,
        max_items: list.then_some(settings.max_items),
        items,
        total,
        fields,
        paging,
        required: required.into_iter().collect::<Vec<_>>().into(),
    });
}

fn add_arguments(
    tool: &mut ToolIr,
    fields: Option<&FieldsDefinition>,
    top: &[String],
    paging: Option<&PagingDefinition>,
    list: bool,
) {
    if fields.is_none() && paging.is_none() {
        return;
    }
    let has_output_schema = tool.output_schema.is_some();
    let Value::Object(schema) = &mut tool.input_schema else { return };
    if !schema.contains_key("properties") {
        // `properties` after `type`, where the generator writes it for tools with arguments.
        let rest = std::mem::take(schema);
        for (key, value) in rest {
            let is_type = key == "type";
            schema.insert(key, value);
            if is_type {
                schema.insert("properties".into(), Value::Object(Map::new()));
            }
        }
    }
    let Some(Value::Object(properties)) = schema.get_mut("properties") else { return };
    if let Some(fields) = fields {
        let mut names = String::new();
        for name in top {
            if names.len() + name.len() > DESCRIBED_NAMES_CHARS {
                names.push_str(", …");
                break;
            }
            if !names.is_empty() {
                names.push_str(", ");
            }
            names.push_str(name);
        }
        let whose = if list { "of each item " } else { "" };
        // An output schema names the fields already; without one, this is where they are named.
        let listed = if has_output_schema { String::new() } else { format!(" Fields: {names}.") };
        let description = format!(
            "Only these fields {whose}are returned: comma-separated, dotted for nested ones (e.g. `{}`). Omit for all.{listed}",
            example(top, &fields.paths)
        );
        properties.insert(fields.arg.clone(), json!({"type": "string", "description": description}));
    }
    if let Some(paging) = paging {
        let description = "The `continuation` value of a previous result of this tool: returns the next items, with that call's arguments. Give it alone (or with `fields`).";
        properties.insert(paging.arg.clone(), json!({"type": "string", "description": description}));
    }
}

/// Two top-level fields (typical ones first) and one nested one, as `id,name,owner.login`.
fn example(top: &[String], paths: &[String]) -> String {
    let mut picks: Vec<&str> = TYPICAL.iter().copied().filter(|t| top.iter().any(|n| n == t)).take(2).collect();
    let rest: Vec<&str> = top.iter().map(String::as_str).filter(|n| !picks.contains(n)).take(2 - picks.len()).collect();
    picks.extend(rest);
    // `owner.login` rather than `code_of_conduct.key`: the most typical member first.
    let nested = NESTED.iter().find_map(|wanted| {
        paths
            .iter()
            .find(|p| p.split_once('.').is_some_and(|(head, tail)| tail == *wanted && top.iter().any(|t| t == head)))
    });
    picks.extend(nested.or_else(|| paths.iter().find(|p| p.contains('.'))).map(String::as_str));
    picks.join(",")
}

/// The list array of a response: `("", item)` for an array, `("data", item)` for an envelope.
fn list_of<'a>(schemas: &Schemas<'a, '_>, root: &Merged<'a>) -> (Option<String>, Option<Rc<Merged<'a>>>) {
    if let Some(items) = root.items {
        return (Some(String::new()), Some(schemas.merged_value(items)));
    }
    let arrays: Vec<(&str, Rc<Merged>)> = root
        .properties
        .iter()
        .map(|(name, schema)| (*name, schemas.merged_value(schema)))
        .filter(|(_, merged)| merged.items.is_some())
        .collect();
    let chosen = ITEM_ARRAYS
        .iter()
        .find_map(|name| arrays.iter().find(|(n, _)| n == name))
        .or_else(|| (arrays.len() == 1).then(|| &arrays[0]));
    match chosen {
        Some((name, merged)) => {
            let item = merged.items.map(|i| schemas.merged_value(i));
            (Some((*name).to_owned()), item)
        }
        None => (None, None),
    }
}

fn detect_paging<'a>(
    schemas: &Schemas<'a, '_>,
    tool: &ToolIr,
    root: &Merged<'a>,
    item: Option<&Merged<'a>>,
    pointer: &str,
) -> Option<PagingStyle> {
    let arg = |names: &[&str]| {
        names.iter().find_map(|name| {
            tool.params.iter().find(|p| p.location == ParamLocation::Query && p.name == *name).map(|p| p.arg.clone())
        })
    };
    let string_at = |path: &str| schemas.at_path(root, path).is_some_and(|s| schemas.is_type(s, "string"));
    if let Some(param) = arg(&["starting_after"])
        && item.is_some_and(|i| i.properties.contains_key("id"))
    {
        let has_more =
            root.properties.get("has_more").filter(|s| schemas.is_type(s, "boolean")).map(|_| "has_more".to_owned());
        return Some(PagingStyle::AfterLast { param, id: "id".into(), has_more });
    }
    if let Some(param) = arg(CURSOR_PARAMS)
        && let Some(token) = CURSOR_TOKENS.iter().find(|t| string_at(t))
    {
        return Some(PagingStyle::Cursor { param, token: (*token).to_owned() });
    }
    if let Some(next) = NEXT_URLS.iter().find(|n| string_at(n)) {
        return Some(PagingStyle::NextUrl { next: (*next).to_owned() });
    }
    if let Some(param) = arg(&["page"]) {
        return Some(PagingStyle::Page { param, size: arg(SIZES) });
    }
    if let Some(param) = arg(&["offset", "skip", "start"]) {
        return Some(PagingStyle::Offset { param, limit: arg(SIZES) });
    }
    let declares_link = response_of(pointer)
        .and_then(|response| schemas.spec.doc.get(&format!("{response}/headers")))
        .and_then(Value::as_object)
        .is_some_and(|headers| headers.keys().any(|k| k.eq_ignore_ascii_case("link")));
    declares_link.then_some(PagingStyle::Link)
}

/// The response object holding the schema at `pointer` (`…/responses/200`).
fn response_of(pointer: &str) -> Option<&str> {
    pointer.rfind("/content/").map(|at| &pointer[..at])
}

/// A schema with its `allOf` parts merged and `oneOf`/`anyOf` variants joined: what members a
/// value may have, not what it must have. It borrows the spec's schemas: merging copies no
/// schema (Vercel's unions made copying them take minutes).
#[derive(Debug, Default, Clone)]
struct Merged<'a> {
    /// In schema order (the description lists fields as the spec does).
    properties: IndexMap<&'a str, &'a Value>,
    items: Option<&'a Value>,
    types: BTreeSet<&'a str>,
    /// Objects whose members are not listed (`additionalProperties`, free-form).
    free_form: bool,
    /// Required members (of the schema and its `allOf` parts; a `oneOf` variant's are not
    /// required of every value).
    required: BTreeSet<&'a str>,
}

/// The merges of one spec that hold for every tool, shared by its tools (issue 13: merging each
/// response schema again per tool was a quarter of Stripe's generation).
///
/// Only a merge that met no cycle is kept here. Where a schema's parts lead back to a schema still
/// being merged, that reference adds nothing, so the result depends on where the walk entered
/// the cycle and on what the same tool merged before; such merges stay in the tool's own
/// [`Schemas`], as all merges did before, so every tool's result is what it was. A cycle-free
/// merge reaches only cycle-free merges, which are the same from any entry: sharing them changes
/// no output.
pub(super) struct Merges<'a> {
    spec: &'a Spec,
    /// By the schema's address in the document (see [`Schemas::merged`]).
    acyclic: RefCell<HashMap<*const Value, Rc<Merged<'a>>>>,
}

impl<'a> Merges<'a> {
    pub(super) fn new(spec: &'a Spec) -> Self {
        Self { spec, acyclic: RefCell::default() }
    }
}

struct Schemas<'a, 'm> {
    spec: &'a Spec,
    shared: &'m Merges<'a>,
    /// Each schema of the spec merged once, by its address in the document: specs share schemas
    /// through many paths (Vercel's unions refer to the same variants from many places, and
    /// merging them again at every use took minutes per tool). `None` while a schema is being
    /// merged: a reference back to it (a cycle) adds nothing its merge does not already have.
    /// Holds the merges that met a cycle; the others are in `shared`.
    merged: RefCell<HashMap<*const Value, Option<Rc<Merged<'a>>>>>,
}

impl<'a, 'm> Schemas<'a, 'm> {
    fn new(shared: &'m Merges<'a>) -> Self {
        Self { spec: shared.spec, shared, merged: RefCell::default() }
    }

    /// The schema at `pointer`, merged (see [`Merged`]).
    fn merged(&self, pointer: &str) -> Rc<Merged<'a>> {
        self.merged_at(pointer).0
    }

    /// [`Self::merged`], and whether the merge met no cycle.
    fn merged_at(&self, pointer: &str) -> (Rc<Merged<'a>>, bool) {
        match self.spec.doc.get(pointer) {
            Some(schema) => self.merged_tracked(schema),
            None => (Rc::default(), true),
        }
    }

    /// `schema` with its `$ref`s followed (local, as bundling left them) and its parts merged.
    fn merged_value(&self, schema: &'a Value) -> Rc<Merged<'a>> {
        self.merged_tracked(schema).0
    }

    /// [`Self::merged_value`], and whether the merge met no cycle (then it is shared).
    fn merged_tracked(&self, schema: &'a Value) -> (Rc<Merged<'a>>, bool) {
        let key: *const Value = schema;
        if let Some(known) = self.shared.acyclic.borrow().get(&key) {
            return (Rc::clone(known), true);
        }
        if let Some(known) = self.merged.borrow().get(&key) {
            return (known.clone().unwrap_or_default(), false);
        }
        self.merged.borrow_mut().insert(key, None);
        // A reference is its target's merge, shared rather than copied.
        let (merged, acyclic) = match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#') {
                Some(fragment) => self.merged_at(&crate::spec::schema::percent_decode(fragment)),
                None => (Rc::default(), true),
            },
            None => {
                let (merged, acyclic) = self.merge(schema);
                (Rc::new(merged), acyclic)
            }
        };
        if acyclic {
            self.merged.borrow_mut().remove(&key);
            self.shared.acyclic.borrow_mut().insert(key, Rc::clone(&merged));
        } else {
            self.merged.borrow_mut().insert(key, Some(Rc::clone(&merged)));
        }
        (merged, acyclic)
    }

    /// The merge of a schema that is no reference, and whether it met no cycle.
    fn merge(&self, schema: &'a Value) -> (Merged<'a>, bool) {
        let mut out = Merged::default();
        let mut acyclic = true;
        match schema.get("type") {
            Some(Value::String(t)) => {
                out.types.insert(t.as_str());
            }
            Some(Value::Array(ts)) => out.types.extend(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, value) in properties {
                out.properties.entry(name.as_str()).or_insert(value);
            }
        }
        if let Some(Value::Array(names)) = schema.get("required") {
            out.required.extend(names.iter().filter_map(Value::as_str));
        }
        if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
            out.items = Some(items);
        }
        out.free_form =
            schema.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false)) && out.properties.is_empty();
        for key in ["allOf", "oneOf", "anyOf"] {
            for part in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                let (part, part_acyclic) = self.merged_tracked(part);
                acyclic &= part_acyclic;
                for (name, value) in &part.properties {
                    out.properties.entry(*name).or_insert(value);
                }
                if key == "allOf" {
                    out.required.extend(part.required.iter().cloned());
                }
                out.items = out.items.or(part.items);
                out.types.extend(part.types.iter().cloned());
                out.free_form |= part.free_form;
            }
        }
        (out, acyclic)
    }

    /// The item schema of an array (of arrays, …), or `schema` itself when it is no array. An
    /// array whose items are the array itself is looked through a bounded number of times.
    fn looked_through(&self, mut schema: Rc<Merged<'a>>) -> Rc<Merged<'a>> {
        for _ in 0..16 {
            let Some(items) = schema.items else { break };
            schema = self.merged_value(items);
        }
        schema
    }

    fn is_type(&self, schema: &'a Value, kind: &str) -> bool {
        self.merged_value(schema).types.contains(kind)
    }

    /// The schema of the member at a dotted `path` below `root`.
    fn at_path(&self, root: &Merged<'a>, path: &str) -> Option<&'a Value> {
        let mut keys = path.split('.');
        let mut schema = *root.properties.get(keys.next()?)?;
        for key in keys {
            schema = self.merged_value(schema).properties.get(key).copied()?;
        }
        Some(schema)
    }

    /// The paths of required members below `schema`, up to [`MAX_REQUIRED_DEPTH`]: a member's
    /// own required ones are listed whether it is required or not (they hold where it is present).
    fn collect_required(
        &self,
        schema: &Rc<Merged<'a>>,
        prefix: &str,
        depth: usize,
        out: &mut BTreeSet<String>,
        visits: &mut usize,
    ) {
        // A bound on the walk, not only on its output: optional members are walked too.
        if *visits == 0 {
            return;
        }
        *visits -= 1;
        let schema = self.looked_through(Rc::clone(schema));
        for name in &schema.required {
            if out.len() < MAX_PATHS && !name.contains('.') {
                out.insert(if prefix.is_empty() { (*name).to_owned() } else { format!("{prefix}.{name}") });
            }
        }
        if depth >= MAX_REQUIRED_DEPTH {
            return;
        }
        for (name, member) in &schema.properties {
            if name.contains('.') {
                continue;
            }
            if *visits == 0 {
                return;
            }
            let path = if prefix.is_empty() { (*name).to_owned() } else { format!("{prefix}.{name}") };
            self.collect_required(&self.merged_value(member), &path, depth + 1, out, visits);
        }
    }

    /// Every member path of `schema` (arrays are looked through) up to [`MAX_DEPTH`].
    fn collect(
        &self,
        schema: &Merged<'a>,
        prefix: &str,
        depth: usize,
        paths: &mut BTreeSet<String>,
        open: &mut BTreeSet<String>,
    ) {
        for (name, member) in &schema.properties {
            if paths.len() >= MAX_PATHS || name.is_empty() || name.contains([',', '.']) {
                continue;
            }
            let path = if prefix.is_empty() { (*name).to_owned() } else { format!("{prefix}.{name}") };
            paths.insert(path.clone());
            let merged = self.looked_through(self.merged_value(member));
            if merged.properties.is_empty() {
                continue;
            }
            if depth >= MAX_DEPTH {
                open.insert(path);
            } else {
                self.collect(&merged, &path, depth + 1, paths, open);
            }
        }
    }
}

/// Output schemas of shaped tools describe shaped results: projection and the budget may leave
/// out any member and the item cap any item, so `required` and `minItems` go, in the tool's
/// schema and in its definitions (copied into a `…-shaped` table when unshaped tools share them).
pub(super) fn open_output_schemas(ir: &mut ServerIr) {
    let mut copies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for tool in ir.tools.iter_mut().filter(|t| t.shaping.is_some()) {
        let Some(schema) = tool.output_schema.as_mut() else { continue };
        open(schema);
        if let Some(refs) = tool.defs.output.as_mut() {
            copies.entry(refs.table.clone()).or_default().extend(refs.names.iter().cloned());
            refs.table = format!("{}-shaped", refs.table);
        }
    }
    for (table, names) in copies {
        let Some(source) = ir.definitions.get(&table) else { continue };
        let shaped: BTreeMap<String, Value> = names
            .into_iter()
            .filter_map(|name| source.get(&name).map(|d| (name, d.clone())))
            .map(|(name, mut definition)| {
                open(&mut definition);
                (name, definition)
            })
            .collect();
        ir.definitions.insert(format!("{table}-shaped"), shaped);
    }
    // Tables (and definitions) no unshaped tool names any more are dropped.
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for tool in &ir.tools {
        for refs in [&tool.defs.input, &tool.defs.output].into_iter().flatten() {
            named.entry(refs.table.clone()).or_default().extend(refs.names.iter().cloned());
        }
    }
    ir.definitions.retain(|table, definitions| {
        let Some(names) = named.get(table) else { return false };
        definitions.retain(|name, _| names.contains(name));
        true
    });
}

/// Drops `required` and `minItems` from every schema inside `schema` (never from the names of
/// properties, which may be called `required`).
fn open(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    map.remove("required");
    map.remove("minItems");
    for (key, value) in map.iter_mut() {
        let key = key.as_str();
        if SUBSCHEMA_MAPS.contains(&key) || matches!(key, "$defs" | "definitions") {
            if let Value::Object(members) = value {
                members.values_mut().for_each(open);
            }
        } else if SUBSCHEMA_ARRAYS.contains(&key) {
            if let Value::Array(parts) = value {
                parts.iter_mut().for_each(open);
            }
        } else if SUBSCHEMA.contains(&key) {
            open(value);
        }
    }
}
