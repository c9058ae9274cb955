//! Specs + manifest → [`ServerIr`]: selection, naming, argument mapping and tool schemas.

use std::collections::{BTreeMap, BTreeSet};

use heck::ToShoutySnakeCase;
use serde_json::{Map, Value, json};

use super::auth;
use super::defs::{self, SpecDefs};
use super::governance;
use super::names::{arg_name, tool_name, unique};
use super::payload;
use super::policy;
use super::selection::{self, ApiSelection};
use super::shaping;
use super::{Annotations, ApiIr, ServerIr, ToolIr};
use crate::definition::{
    BodyEncoding, BodyMapping, DefRefs, FieldEncoding, ParamLocation, ParamMapping, ResilienceDefinition, ToolDefs,
};
use crate::diagnostics::{Problem, Problems};
use crate::document::Document;
use crate::manifest::{ApiSection, Manifest, ToolOverride};
use crate::source_map::escape_token;
use crate::spec::Spec;
use crate::spec::operations::{SpecOperation, operations};
use crate::spec::schema::Direction;

/// Most `$defs` an output schema may need before it is left out (the tool then returns JSON text).
pub(crate) const MAX_OUTPUT_SCHEMA_DEFS: usize = 48;
/// Most `$defs` an input schema includes; references past it accept any value (with a note).
pub(crate) const MAX_INPUT_SCHEMA_DEFS: usize = 96;
/// Largest serialised output schema kept.
pub(crate) const MAX_OUTPUT_SCHEMA_BYTES: usize = 64 * 1024;

/// What a response schema becomes as an output schema.
#[derive(Clone)]
enum Output {
    /// Not an object schema: results are text.
    NotObject,
    /// An object schema over the size limits: results are JSON text, and the API gets a warning.
    TooLarge,
    /// The converted root schema and the shared definitions it needs.
    Schema(Value, Vec<String>),
}

/// Output schemas of one spec by the (dereferenced) pointer of their root, converted once.
type OutputSchemas = BTreeMap<String, Output>;

/// Which size limits a tool's schemas hit (counted per API for one warning each).
struct Limits {
    input_truncated: bool,
    output_too_large: bool,
}

/// Everything the IR is built from.
#[derive(Debug)]
pub struct Input {
    /// The manifest document (for spans).
    pub manifest_doc: Document,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// One loaded spec per manifest API, in manifest order.
    pub specs: Vec<(String, Spec)>,
    /// Input names for generated-file headers, relative to the manifest so that output does not
    /// depend on the directory mcpgen runs in.
    pub sources: Vec<String>,
    /// Problems found while loading that did not stop it (reported with the IR stage's).
    pub problems: Problems,
    /// Tool names of earlier generations (`mcpgen.lock`), kept where the manifest sets none.
    pub lock: crate::lock::Lock,
}

/// Builds the IR; `None` when any error was found. Warnings come back either way.
pub fn build(input: &Input) -> (Option<ServerIr>, Problems) {
    let mut problems = Problems::default();
    let mut apis = Vec::new();
    // Each tool with whether the manifest named it (such names are kept as written).
    let mut tools: Vec<(ToolIr, bool)> = Vec::new();
    // Names the manifest asked for, which derived names must avoid, and where they were asked.
    let mut explicit: BTreeMap<String, String> = BTreeMap::new();
    // Each spec's memoised schema converters, by API id (the shared definitions come from them).
    let mut spec_defs: BTreeMap<String, SpecDefs<'_>> = BTreeMap::new();
    let several = input.specs.len() > 1;
    let top_policy = policy::apply(&ResilienceDefinition::default(), input.manifest.resilience.as_ref());
    for (id, spec) in &input.specs {
        let Some(section) = input.manifest.apis.get(id) else { continue };
        let api_at = format!("/apis/{}", escape_token(id));
        let (ops, spec_problems) = operations(spec);
        problems.0.extend(spec_problems);
        selection::check_references(&input.manifest_doc, &api_at, section, &ops, &mut problems);
        let chosen = ApiSelection::new(section);
        let prefix =
            section.tool_prefix.clone().unwrap_or_else(|| if several { format!("{id}_") } else { String::new() });
        let mut oversized_outputs = 0;
        let mut truncated_inputs = 0;
        let tools_before = tools.len();
        let mut outputs = OutputSchemas::new();
        let shared = spec_defs.entry(id.clone()).or_insert_with(|| SpecDefs::new(spec));
        let merges = shaping::Merges::new(spec);
        for op in ops.iter().filter(|op| chosen.admits(section, op)) {
            problems.0.extend(op.problems.iter().cloned());
            if !op.supported {
                continue;
            }
            let override_key = selection::over_key(section, op);
            let over = override_key.as_deref().and_then(|key| section.tools.get(key));
            let derived = tool_name(&prefix, op.operation_id.as_deref(), &op.method, &op.path);
            let is_explicit = over.is_some_and(|o| o.name.is_some());
            let name = match over.and_then(|o| o.name.clone()) {
                Some(name) => {
                    let key = override_key.as_deref().unwrap_or_default();
                    let at = format!("{api_at}/tools/{}/name", escape_token(key));
                    if let Some(previous) = explicit.insert(name.clone(), at.clone()) {
                        problems.push(
                            input.manifest_doc.at_value(
                                &at,
                                Problem::error(
                                    "mcpgen::manifest::duplicate_tool",
                                    format!("tool name `{name}` is given to two operations"),
                                )
                                .with_help(format!("the other one is at {previous}; pick distinct names")),
                                "duplicate name",
                            ),
                        );
                    }
                    name
                }
                None => derived,
            };
            let (mut tool, tool_problems, limits) = build_tool(shared, id, op, name, over, &mut outputs);
            payload::apply(&input.manifest, section, over, &mut tool);
            let shaping = crate::manifest::ShapingSettings::default()
                .with(input.manifest.shaping.as_ref())
                .with(section.shaping.as_ref())
                .with(over.and_then(|o| o.shaping.as_ref()));
            shaping::apply(&merges, op, shaping, &mut tool);
            auth::apply_security(spec, op, over, &mut tool);
            let api_policy = policy::apply(&top_policy, section.resilience.as_ref());
            if let Some(own) = over.and_then(|o| o.resilience.as_ref()) {
                tool.resilience = Some(policy::apply(&api_policy, Some(own)));
            }
            tool.idempotency_key = over.and_then(|o| o.idempotency_key.clone());
            truncated_inputs += usize::from(limits.input_truncated);
            oversized_outputs += usize::from(limits.output_too_large);
            problems.0.extend(tool_problems);
            let tool_at = override_key.map(|key| format!("{api_at}/tools/{}", escape_token(&key)));
            tool.manifest_at.clone_from(&tool_at);
            if !governance::admit(input.manifest.governance.as_ref(), section, over, &mut tool) {
                continue;
            }
            let headers = McpHeaders { spec, manifest_doc: &input.manifest_doc, tool_at: tool_at.as_deref() };
            problems.0.extend(headers.apply(&mut tool, op, over));
            tools.push((tool, is_explicit));
        }
        let warn = |code, message: String, help: &str, label| {
            input.manifest_doc.at_key(&api_at, Problem::warning(code, message).with_help(help.to_owned()), label)
        };
        if tools.len() == tools_before {
            problems.push(warn(
                "mcpgen::manifest::no_tools",
                format!("API `{id}` contributes no tools"),
                "its spec has no operations, or `include`/`exclude` leave none; check the selectors",
                "no tools",
            ));
        }
        if truncated_inputs > 0 {
            problems.push(warn(
                "mcpgen::schema::input_truncated",
                format!("{truncated_inputs} tool(s) of API `{id}` have input schemas that need more than {MAX_INPUT_SCHEMA_DEFS} definitions; the deepest parts accept any value"),
                "the upstream API still validates those parts; a smaller request schema in the spec avoids this",
                "large request schemas",
            ));
        }
        if oversized_outputs > 0 {
            problems.push(warn(
                "mcpgen::schema::output_too_large",
                format!("{oversized_outputs} tool(s) of API `{id}` get no outputSchema: their response schemas need more than {MAX_OUTPUT_SCHEMA_DEFS} definitions or {MAX_OUTPUT_SCHEMA_BYTES} bytes"),
                "those tools return the JSON response as text; clients cannot use schemas that large",
                "large response schemas",
            ));
        }
        if section.base_url.is_none() {
            // The spec's server URL is used as written: it is checked like the manifest's.
            let servers = spec.api.servers.iter().enumerate();
            if let Some((i, problem)) = servers
                .filter(|(_, s)| s.url.starts_with("http://") || s.url.starts_with("https://"))
                .find_map(|(i, s)| crate::manifest::base_url_problem(&s.url).map(|p| (i, p)))
            {
                problems.push(spec.doc.at_value(&format!("/servers/{i}/url"), problem, "server URL"));
            }
        }
        let (circuit_breaker, rate_limit, max_concurrency) =
            policy::api_limits(input.manifest.resilience.as_ref(), section.resilience.as_ref());
        apis.push(ApiIr {
            resilience: policy::apply(&top_policy, section.resilience.as_ref()),
            circuit_breaker,
            rate_limit,
            max_concurrency,
            id: id.clone(),
            title: spec.api.info.title.clone(),
            spec_version: spec.api.info.version.clone(),
            base_url: base_url(spec, section),
            base_url_env: section
                .base_url_env
                .clone()
                .unwrap_or_else(|| format!("{}_BASE_URL", id.to_shouty_snake_case())),
        });
    }
    let mut tools = make_names_unique(tools, &explicit, &input.lock);
    tools.sort_by(|a, b| a.name.cmp(&b.name));

    apis.sort_by(|a, b| a.id.cmp(&b.id));
    let auth = auth::build(input, &apis, &tools, &mut problems);
    if problems.has_errors() {
        return (None, problems);
    }
    let server = &input.manifest.server;
    let ir = ServerIr {
        name: server.name.clone(),
        lib_name: server.name.replace('-', "_"),
        title: server.title.clone(),
        version: server.version.clone(),
        description: server.description.clone(),
        instructions: server.instructions.clone(),
        apis,
        tools,
        definitions: crate::definition::Definitions::new(),
        environments: auth.environments,
        default_environment: auth.default_environment,
        tenancy: auth.tenancy,
        client_rate_limit: input
            .manifest
            .resilience
            .as_ref()
            .and_then(|r| r.client_rate_limit.as_ref())
            .map(policy::bucket),
        roles_claim: None,
        registry_name: server.registry_name.clone(),
        public_url: server.public_url.clone(),
        audit: input.manifest.audit.as_ref().map(|a| crate::definition::AuditDefinition {
            file: a.file.clone(),
            stdout: a.stdout,
            max_bytes: a.max_bytes.unwrap_or(10 * 1024 * 1024),
            keep: a.keep.unwrap_or(5),
            redact: a.redact.clone(),
        }),
        sources: input.sources.clone(),
        toolsets: input.manifest.toolsets.keys().cloned().collect(),
        surface: crate::definition::SurfaceDefinition {
            mode: server.surface.unwrap_or_default(),
            budget_tokens: server
                .surface_budget_tokens
                .unwrap_or(crate::definition::SurfaceDefinition::DEFAULT_BUDGET_TOKENS),
            synonyms: server.search_synonyms.clone().unwrap_or_default(),
        },
        profile: server.profile.clone(),
    };
    let mut ir = ir;
    selection::assign_toolsets(&input.manifest_doc, &input.manifest, &mut ir.tools, &mut problems);
    governance::finish(&input.manifest_doc, input.manifest.governance.as_ref(), &mut ir, &mut problems);
    // Only what the served tools name (selection and governance may have dropped some).
    ir.definitions = defs::table(&ir.tools, &spec_defs);
    shaping::open_output_schemas(&mut ir);
    if problems.has_errors() {
        return (None, problems);
    }
    (Some(ir), problems)
}

/// Derived names that collide (with each other or with a manifest name) get `_2`, `_3`… in
/// spec order. Operations named in the lock keep their locked name first (unless the manifest
/// names them, or gives that name to another operation), so a spec edit never renames a tool.
fn make_names_unique(
    tools: Vec<(ToolIr, bool)>,
    explicit: &BTreeMap<String, String>,
    lock: &crate::lock::Lock,
) -> Vec<ToolIr> {
    let mut taken: BTreeSet<String> = explicit.keys().cloned().collect();
    let mut locked = vec![false; tools.len()];
    let mut tools: Vec<(ToolIr, bool)> = tools;
    for (i, (tool, is_explicit)) in tools.iter_mut().enumerate() {
        if *is_explicit {
            continue;
        }
        if let Some(name) = lock.name_of(tool)
            && !taken.contains(name)
        {
            if tool.name != name {
                tool.renamed_from = Some(tool.name.clone());
            }
            tool.name = name.to_owned();
            taken.insert(tool.name.clone());
            locked[i] = true;
        }
    }
    tools
        .into_iter()
        .zip(locked)
        .map(|((mut tool, is_explicit), is_locked)| {
            if !is_explicit && !is_locked {
                let wanted = tool.name.clone();
                tool.name = unique(tool.name, |n| taken.contains(n));
                if tool.name != wanted {
                    tool.renamed_from = Some(wanted);
                }
                taken.insert(tool.name.clone());
            }
            tool
        })
        .collect()
}

fn base_url(spec: &Spec, section: &ApiSection) -> Option<String> {
    let url = section.base_url.clone().or_else(|| {
        spec.api.servers.iter().map(|s| s.url.clone()).find(|u| u.starts_with("http://") || u.starts_with("https://"))
    })?;
    Some(url.trim_end_matches('/').to_owned())
}

fn build_tool(
    shared: &mut SpecDefs<'_>,
    api: &str,
    op: &SpecOperation,
    name: String,
    over: Option<&crate::manifest::ToolOverride>,
    outputs: &mut OutputSchemas,
) -> (ToolIr, Vec<Problem>, Limits) {
    // Definitions the input schema refers to directly, and problems of its own parts.
    let mut touched = Vec::new();
    let mut problems = Vec::new();
    let mut convert = |pointer: &str, root: bool| {
        let (value, found) =
            shared.input.tracked(|c| if root { c.convert_root(pointer) } else { c.convert_at(pointer) });
        touched.extend(found.defs);
        problems.extend(found.problems);
        value
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::new();
    // Name collisions: path parameters keep their names, then query, header and cookie ones; a later
    // one whose name is taken is prefixed with its location (`query_id`, `header_id`).
    let mut ordered: Vec<_> = op.params.iter().collect();
    ordered.sort_by_key(|p| p.location);
    for param in ordered {
        let mut arg = arg_name(&param.name);
        if properties.contains_key(&arg) {
            arg = unique(arg_name(&format!("{}_{}", location_word(param.location), param.name)), |n| {
                properties.contains_key(n)
            });
        }
        let mut schema = param.schema.as_deref().map_or_else(|| json!({}), |p| convert(p, false));
        describe(&mut schema, param.description.as_deref());
        if param.deprecated
            && let Value::Object(o) = &mut schema
        {
            o.insert("deprecated".into(), Value::Bool(true));
        }
        properties.insert(arg.clone(), schema);
        if param.required {
            required.push(Value::String(arg.clone()));
        }
        params.push(ParamMapping {
            arg,
            name: param.name.clone(),
            location: param.location,
            required: param.required,
            style: param.style,
            explode: param.explode,
        });
    }
    // Params come back in spec order so the mapping reads like the spec.
    params.sort_by_key(|m| op.params.iter().position(|p| p.name == m.name && p.location == m.location));
    let body = op.body.as_ref().map(|body| {
        let arg = unique("body".to_owned(), |n| properties.contains_key(n));
        let mut fields = body.fields.clone();
        let (mut schema, default_description) = match body.encoding {
            BodyEncoding::Json | BodyEncoding::Form => {
                (body.schema.as_deref().map_or_else(|| json!({}), |p| convert(p, false)), "Request body.")
            }
            BodyEncoding::Multipart => {
                let mut schema = body.schema.as_deref().map_or_else(|| json!({"type": "object"}), |p| convert(p, true));
                mark_file_parts(&mut schema, &mut fields);
                (schema, "Multipart form fields; file fields are base64-encoded.")
            }
            BodyEncoding::Text => (json!({"type": "string"}), "Request body, as text."),
            BodyEncoding::Binary => (
                json!({"type": "string", "contentEncoding": "base64", "contentMediaType": body.content_type}),
                "Request body: the bytes to send, base64-encoded.",
            ),
        };
        describe(&mut schema, body.description.as_deref().or(Some(default_description)));
        properties.insert(arg.clone(), schema);
        if body.required {
            required.push(Value::String(arg.clone()));
        }
        BodyMapping {
            arg,
            content_type: body.content_type.clone(),
            required: body.required,
            encoding: body.encoding,
            fields,
        }
    });
    let (collected, input_truncated) = defs::collected(&shared.input, &touched, MAX_INPUT_SCHEMA_DEFS);
    problems.extend(defs::problems_of(&mut shared.input, &collected));
    let mut input_schema = Map::new();
    input_schema.insert("type".into(), json!("object"));
    // A tool without arguments gets `{"type": "object", "additionalProperties": false}`.
    if !properties.is_empty() {
        input_schema.insert("properties".into(), Value::Object(properties));
    }
    if !required.is_empty() {
        input_schema.insert("required".into(), Value::Array(required));
    }
    input_schema.insert("additionalProperties".into(), Value::Bool(false));
    let mut input_schema = Value::Object(input_schema);
    let input_defs = input_defs(shared, api, &mut input_schema, collected, input_truncated);

    let output = op.success.as_ref().and_then(|s| s.schema.as_deref()).map_or(Output::NotObject, |pointer| {
        // Many operations return the same schema: convert each one once per spec.
        let converter = &mut shared.output;
        let target = converter.follow_refs(pointer);
        if let Some(cached) = outputs.get(&target) {
            return cached.clone();
        }
        let output = if !converter.is_object_schema(pointer) {
            Output::NotObject
        } else {
            let (schema, found) = converter.tracked(|c| c.convert_root(pointer));
            let (collected, overflowed) = defs::collected(converter, &found.defs, MAX_OUTPUT_SCHEMA_DEFS);
            if overflowed {
                // Left out: its problems are not the tool's (as when conversion stopped at the limit).
                Output::TooLarge
            } else {
                problems.extend(found.problems);
                problems.extend(defs::problems_of(converter, &collected));
                let names = defs::referenced(converter, [&schema], None);
                let size = serde_json::to_string(&defs::assembled(converter, &schema, &names)).map_or(0, |t| t.len());
                if size > MAX_OUTPUT_SCHEMA_BYTES {
                    Output::TooLarge
                } else {
                    Output::Schema(schema, names.into_iter().collect())
                }
            }
        };
        outputs.insert(target, output.clone());
        output
    });
    let limits = Limits { input_truncated, output_too_large: matches!(output, Output::TooLarge) };
    let (output_schema, output_defs) = match output {
        Output::Schema(schema, names) => {
            let refs =
                (!names.is_empty()).then(|| DefRefs { table: defs::table_key(api, Direction::Output, false), names });
            (Some(schema), refs)
        }
        Output::NotObject | Output::TooLarge => (None, None),
    };
    let mut annotations = Annotations::for_method(&op.method);
    if let Some(a) = over.and_then(|o| o.annotations) {
        annotations.read_only = a.read_only.unwrap_or(annotations.read_only);
        annotations.destructive = a.destructive.unwrap_or(annotations.destructive);
        annotations.idempotent = a.idempotent.unwrap_or(annotations.idempotent);
        annotations.open_world = a.open_world.unwrap_or(annotations.open_world);
    }
    let title = over.and_then(|o| o.title.clone()).or_else(|| op.summary.as_ref().map(|s| one_line(s)));
    let description = over
        .and_then(|o| o.description.clone())
        .or_else(|| op.description.clone())
        .or_else(|| op.summary.clone())
        .unwrap_or_else(|| format!("Calls {}.", op.route()));
    let tool = ToolIr {
        name,
        tags: op.tags.clone(),
        toolsets: Vec::new(),
        title,
        description: description.trim().to_owned(),
        api: api.to_owned(),
        operation_id: op.operation_id.clone(),
        method: op.method.clone(),
        path: op.path.clone(),
        params,
        body,
        headers: op.headers.clone(),
        input_schema,
        output_schema,
        defs: ToolDefs { input: input_defs, output: output_defs, output_schema: None },
        annotations,
        deprecated: op.deprecated,
        security: Vec::new(),
        scopes: Vec::new(),
        resilience: None,
        idempotency_key: None,
        pointer: op.pointer.clone(),
        manifest_at: None,
        owner: None,
        deprecation: None,
        roles: Vec::new(),
        shaping: None,
        documented: over.is_some_and(|o| o.description.is_some()) || op.description.is_some() || op.summary.is_some(),
        renamed_from: None,
    };
    (tool, problems, limits)
}

/// Where `x-mcp-header` annotations come from, for locating problems.
struct McpHeaders<'a> {
    spec: &'a Spec,
    manifest_doc: &'a Document,
    /// Pointer of the manifest's override entry for the tool, if it has one.
    tool_at: Option<&'a str>,
}

impl McpHeaders<'_> {
    /// Marks arguments that clients mirror in `Mcp-Param-<Header>` HTTP headers (SEP-2243), from the
    /// spec's `x-mcp-header` parameter extension and the manifest's `mcp_headers`.
    fn apply(&self, tool: &mut ToolIr, op: &SpecOperation, over: Option<&ToolOverride>) -> Vec<Problem> {
        let mut wanted: Vec<(String, String, Problem)> = Vec::new();
        for param in &op.params {
            let Some(header) = &param.mcp_header else { continue };
            let arg = tool
                .params
                .iter()
                .find(|m| m.name == param.name && m.location == param.location)
                .map(|m| m.arg.clone());
            let locate =
                self.spec.doc.at_key(&op.pointer, Problem::error("mcpgen::spec::mcp_header", ""), "in this operation");
            wanted.push((arg.unwrap_or_default(), header.clone(), locate));
        }
        for (arg, header) in over.map(|o| &o.mcp_headers).into_iter().flatten() {
            let at = format!("{}/mcp_headers/{}", self.tool_at.unwrap_or_default(), escape_token(arg));
            let locate = self.manifest_doc.at_key(&at, Problem::error("mcpgen::manifest::mcp_header", ""), "here");
            wanted.push((arg.clone(), header.clone(), locate));
        }
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for (arg, header, mut problem) in wanted {
            let properties = tool.input_schema.get_mut("properties").and_then(Value::as_object_mut);
            let Some(Value::Object(schema)) = properties.and_then(|p| p.get_mut(&arg)) else {
                problem.message =
                    format!("`x-mcp-header` names `{arg}`, which is not an argument of tool `{}`", tool.name);
                problems.push(problem.with_help(
                    "name a path, query, header or cookie parameter of the operation (by its argument name)",
                ));
                continue;
            };
            // SEP-2243 allows the annotation on string, integer and boolean properties only; a
            // 2026-07-28 client drops a tool annotated otherwise (`number` included).
            let primitive =
                matches!(schema.get("type").and_then(Value::as_str), Some("string" | "integer" | "boolean"));
            if !primitive || !crate::manifest::is_header_token(&header) || !seen.insert(header.to_ascii_lowercase()) {
                problem.message =
                    format!("argument `{arg}` of tool `{}` cannot be sent as header `Mcp-Param-{header}`", tool.name);
                problems.push(problem.with_help("x-mcp-header needs a string, integer or boolean argument (not `number`: 2026-07-28 clients drop such a tool) and a unique header name of letters, digits and `-`"));
                continue;
            }
            schema.insert("x-mcp-header".into(), Value::String(header));
        }
        problems
    }
}

fn location_word(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// Multipart file fields (`format: binary`, or a 3.1 `contentMediaType`) become base64 strings in the
/// tool schema, and are marked so the runtime decodes them into file parts.
fn mark_file_parts(schema: &mut Value, fields: &mut Vec<FieldEncoding>) {
    let Some(Value::Object(properties)) = schema.get_mut("properties") else { return };
    for (name, property) in properties.iter_mut() {
        let is_file = |s: &Value| s.get("format") == Some(&json!("binary")) || s.get("contentMediaType").is_some();
        let file = match property.get("items") {
            Some(items) if property.get("type") == Some(&json!("array")) && is_file(items) => {
                Some(json!({"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}))
            }
            _ if is_file(property) => Some(json!({"type": "string", "contentEncoding": "base64"})),
            _ => None,
        };
        let Some(mut replacement) = file else { continue };
        let description = property.get("description").and_then(Value::as_str).map_or_else(
            || "File content, base64-encoded.".to_owned(),
            |d| format!("{d} (file content, base64-encoded)"),
        );
        replacement["description"] = Value::String(description);
        *property = replacement;
        match fields.iter_mut().find(|f| f.name == *name) {
            Some(field) => field.binary = true,
            None => fields.push(FieldEncoding {
                name: name.clone(),
                style: None,
                explode: None,
                binary: true,
                content_type: None,
            }),
        }
    }
}

/// The shared definitions an input schema needs: those it refers to (directly or not) among the
/// ones it collected, so definitions an `allOf` merge made unused are left out. When the tool was
/// cut at its limit, references past it accept anything, and definitions that had such references
/// go into the schema's own `$defs` as cut copies (the shared ones stay whole for other tools).
fn input_defs(
    shared: &SpecDefs<'_>,
    api: &str,
    schema: &mut Value,
    collected: Vec<String>,
    truncated: bool,
) -> Option<DefRefs> {
    let keep: BTreeSet<String> = collected.into_iter().collect();
    if truncated {
        defs::cut_outside(schema, &keep);
    }
    let mut names = Vec::new();
    let mut own = Map::new();
    for name in defs::referenced(&shared.input, [&*schema], truncated.then_some(&keep)) {
        match shared.input.definition(&name) {
            Some(def) if truncated && defs::refers_outside(def, &keep) => {
                let mut cut = def.clone();
                defs::cut_outside(&mut cut, &keep);
                own.insert(name, cut);
            }
            _ => names.push(name),
        }
    }
    if let (Value::Object(object), false) = (&mut *schema, own.is_empty()) {
        object.insert("$defs".into(), Value::Object(own));
    }
    (!names.is_empty()).then(|| DefRefs { table: defs::table_key(api, Direction::Input, false), names })
}

/// Adds a description to an argument schema that has none.
fn describe(schema: &mut Value, description: Option<&str>) {
    if let (Value::Object(o), Some(d)) = (schema, description) {
        o.entry("description").or_insert_with(|| Value::String(d.trim().to_owned()));
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
