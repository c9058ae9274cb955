//! Response shaping: a successful JSON response cut down to what the agent asked for and what
//! its context can take — projected to the requested fields, capped to a number of items, kept
//! under a byte budget — with a note, never a silent cut, and a continuation handle when more
//! items follow. Runs after the upstream call and before `structuredContent` and text are made.
//!
//! Every cut is at a JSON boundary (whole items, whole members), so a shaped result is still
//! JSON, and still matches the declared output schema: the generator declares the schema of
//! tools that project without `required` and `minItems` (docs/response-shaping.md).

use std::collections::BTreeMap;

use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::{Map, Value, json};

use super::continuation::{self, Continuation};
use super::definition::ParamMapping;
use super::paging::{self, Next, Page};
use super::shaping_plan::{FieldsDefinition, ShapingDefinition};

/// Bytes of the budget kept for the shaping note besides the handle (which is measured).
const NOTE_BYTES: usize = 600;

/// Most known fields named in an error about an unknown one.
const LISTED_FIELDS: usize = 60;

/// Requested fields as a tree: a leaf keeps the member whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection(BTreeMap<String, Projection>);

/// Reads the `fields` argument against the paths the response schema defines. The error names
/// the unknown path and the known ones, for the agent to fix the call.
pub fn parse_fields(tool: &str, plan: &FieldsDefinition, text: &str) -> Result<Projection, String> {
    let mut tree = Projection::default();
    let requested: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if requested.is_empty() {
        return Err(format!(
            "`{}` names no field. Give a comma-separated list such as `{}`, or leave it out for every field.",
            plan.arg,
            example(plan)
        ));
    }
    for path in requested {
        let known = plan.paths.binary_search_by(|p| p.as_str().cmp(path)).is_ok()
            || plan.open.iter().any(|open| path.strip_prefix(open.as_str()).is_some_and(|rest| rest.starts_with('.')));
        if !known {
            return Err(unknown_field(tool, plan, path));
        }
        let mut node = &mut tree;
        for key in path.split('.') {
            node = node.0.entry(key.to_owned()).or_default();
        }
    }
    Ok(tree)
}

fn unknown_field(tool: &str, plan: &FieldsDefinition, path: &str) -> String {
    let path = super::echo::clip(path, super::echo::NAME_CHARS);
    // Members of the longest known prefix, else the top-level fields.
    let mut parent: &str = &path;
    let children = loop {
        let Some((head, _)) = parent.rsplit_once('.') else { break None };
        parent = head;
        let prefix = format!("{head}.");
        let below: Vec<&str> = plan
            .paths
            .iter()
            .filter(|p| p.strip_prefix(&prefix).is_some_and(|rest| !rest.contains('.')))
            .map(String::as_str)
            .collect();
        if !below.is_empty() {
            break Some((head.to_owned(), below));
        }
    };
    let (scope, names) = match children {
        Some((head, below)) => (format!("Fields of `{head}`"), below),
        None => (
            "Top-level fields".to_owned(),
            plan.paths.iter().filter(|p| !p.contains('.')).map(String::as_str).collect(),
        ),
    };
    let more = if names.len() > LISTED_FIELDS {
        format!(" (and {} more)", names.len() - LISTED_FIELDS)
    } else {
        String::new()
    };
    let listed: Vec<&str> = names.into_iter().take(LISTED_FIELDS).collect();
    format!(
        "`{}` of `{tool}` names `{path}`, which the response does not have. {scope}: {}{more}. Nested fields are dotted (`{}`). Fix `{}` and call again.",
        plan.arg,
        listed.join(", "),
        example(plan),
        plan.arg,
    )
}

/// Fields preferred in examples, when the response has them (the generator's list too).
const TYPICAL: &[&str] =
    &["id", "name", "full_name", "title", "number", "key", "state", "status", "login", "email", "url"];
/// Members preferred for the nested field of an example, in order.
const NESTED: &[&str] = &["login", "name", "id", "key"];

/// Two top-level fields (typical ones first) and one nested one, as an example value.
fn example(plan: &FieldsDefinition) -> String {
    let known = |p: &&str| plan.paths.binary_search_by(|k| k.as_str().cmp(p)).is_ok();
    let mut picks: Vec<&str> = TYPICAL.iter().copied().filter(known).take(2).collect();
    let top = plan.paths.iter().map(String::as_str).filter(|p| !p.contains('.'));
    let rest: Vec<&str> = top.filter(|p| !picks.contains(p)).take(2 - picks.len()).collect();
    picks.extend(rest);
    // `owner.login` rather than `code_of_conduct.key`: the most typical member first.
    let nested = NESTED.iter().find_map(|wanted| {
        plan.paths
            .iter()
            .map(String::as_str)
            .find(|p| p.split_once('.').is_some_and(|(head, tail)| tail == *wanted && !head.contains('.')))
    });
    picks.extend(nested.or_else(|| plan.paths.iter().map(String::as_str).find(|p| p.contains('.'))));
    picks.join(",")
}

/// The shaping arguments of a call, taken out of its arguments.
#[derive(Debug, Default)]
pub struct Taken {
    /// Whether the arguments came from a continuation handle.
    pub resumed: bool,
    /// Items of the page already returned (from the handle).
    pub skip: u64,
    /// The requested fields.
    pub fields: Option<Projection>,
}

/// The call's arguments without the continuation argument (a handle is replaced by the
/// arguments it holds; `fields` given with it still applies), and what shaping takes from them.
pub fn take_arguments(
    tool: &str,
    plan: &ShapingDefinition,
    mut arguments: Map<String, Value>,
) -> Result<(Map<String, Value>, Taken), String> {
    let mut taken = Taken::default();
    if let Some(paging) = &plan.paging
        && let Some(handle) = arguments.remove(&paging.arg)
    {
        let Value::String(handle) = handle else {
            return Err(format!("`{}` must be the string from a previous result's `continuation`.", paging.arg));
        };
        // A handle is read before the arguments are validated (it stands for them); give it
        // with other arguments and the call is refused below, so nothing is merged unnoticed.
        let resume = continuation::decode(tool, &handle)?;
        let fields_arg = plan.fields.as_ref().map(|f| f.arg.as_str());
        if let Some(other) = arguments.keys().find(|k| Some(k.as_str()) != fields_arg) {
            return Err(format!(
                "`{}` continues an earlier call with that call's arguments, so `{}` cannot be given with it (only `{}` may change). Call with `{}` alone, or without it to start a new listing.",
                paging.arg,
                super::echo::clip(other, super::echo::NAME_CHARS),
                fields_arg.unwrap_or("fields"),
                paging.arg,
            ));
        }
        let fields = fields_arg.and_then(|f| arguments.remove(f).map(|v| (f, v)));
        arguments = resume.arguments;
        if let Some((arg, value)) = fields {
            arguments.insert(arg.to_owned(), value);
        }
        taken.skip = resume.skip;
        taken.resumed = true;
    }
    // A `fields` that is not a string is left to the input schema's validation, in its words.
    if let Some(plan) = &plan.fields
        && let Some(Value::String(text)) = arguments.get(&plan.arg)
    {
        taken.fields = Some(parse_fields(tool, plan, text)?);
    }
    Ok((arguments, taken))
}

/// Everything shaping needs about the call besides the response.
pub struct Call<'a> {
    /// The tool's name (continuation handles are bound to it).
    pub tool: &'a str,
    /// The tool's plan.
    pub plan: &'a ShapingDefinition,
    /// The arguments of this call, continuation argument excluded.
    pub arguments: &'a Map<String, Value>,
    /// Items of this page already returned by earlier calls.
    pub skip: u64,
    /// Whether the call came with a continuation handle.
    pub arguments_resumed: bool,
    /// The requested fields, if any.
    pub fields: Option<&'a Projection>,
    /// The operation's parameters.
    pub params: &'a [ParamMapping],
    /// Properties of the tool's input schema.
    pub properties: Option<&'a Map<String, Value>>,
    /// Base URL of the API.
    pub base_url: &'a str,
    /// The response's `Link` header.
    pub link: Option<&'a str>,
    /// Values that must never appear in a handle (the call's credentials).
    pub is_secret: &'a dyn Fn(&str) -> bool,
}

/// What shaping did, reported in the note (and in `_meta` as `io.mcpgen/shaping`).
#[derive(Debug, Default)]
struct Report {
    returned: Option<usize>,
    skipped: u64,
    truncated: bool,
    total: Option<u64>,
    omitted: Vec<String>,
    continuation: Option<String>,
    advice: Vec<String>,
}

/// The shaped value and the note to add to the result, if anything is worth saying. `Err`: the
/// response cannot be brought under the budget; the message says how to ask for less.
pub fn shape(call: &Call<'_>, mut value: Value) -> Result<(Value, Option<Value>), String> {
    let plan = call.plan;
    let mut report = Report {
        total: plan.total.as_deref().and_then(|p| paging::lookup(&value, p)).and_then(Value::as_u64),
        ..Report::default()
    };
    let items_path = plan.items.as_deref().filter(|p| paging::lookup(&value, p).is_some_and(Value::is_array));
    // The next page is found on the response as the API sent it, before anything is cut.
    let next = plan.paging.as_ref().map(|paging| {
        let page = Page {
            style: &paging.style,
            arguments: call.arguments,
            params: call.params,
            properties: call.properties,
            base_url: call.base_url,
            body: &value,
            items: items_path.and_then(|p| paging::lookup(&value, p)).and_then(Value::as_array).map(Vec::as_slice),
            link: call.link,
            total: report.total,
        };
        paging::next(&page, call.is_secret)
    });
    let budget = (plan.max_result_bytes as usize).saturating_sub(NOTE_BYTES + handle_bytes(call));
    let mut page_len = 0;
    if let Some(path) = items_path {
        let items = items_mut(&mut value, path).expect("checked to be an array above");
        page_len = items.len();
        let skip = (call.skip as usize).min(page_len);
        items.drain(..skip);
        report.skipped = skip as u64;
        if let Some(cap) = plan.max_items.map(|m| m as usize)
            && items.len() > cap
        {
            items.truncate(cap);
            report.truncated = true;
            report.advice.push(format!("at most {cap} items are returned per call"));
        }
        if let Some(fields) = call.fields {
            for item in items.iter_mut() {
                project(item, fields);
            }
        }
    } else if let Some(fields) = call.fields {
        project(&mut value, fields);
    }
    let size = serialized_len(&value);
    if size > budget {
        if let Some(path) = items_path {
            let envelope = size - serialized_len(paging::lookup(&value, path).expect("an array"));
            let items = items_mut(&mut value, path).expect("an array");
            // `[` `]` and the commas between items, then each item as serialised.
            let mut used = envelope + 2;
            let fit = items
                .iter()
                .map(serialized_len)
                .take_while(|len| {
                    used += len + 1;
                    used <= budget + 1
                })
                .count();
            if fit == 0 {
                return Err(over_budget(call, size));
            }
            items.truncate(fit);
            report.truncated = true;
            report.advice.push(format!("the result was cut to this tool's {}-byte budget", plan.max_result_bytes));
        } else {
            drop_largest_members(&mut value, budget, &mut report.omitted).map_err(|()| over_budget(call, size))?;
            report.truncated = true;
            report.advice.push(format!(
                "members were left out to stay within this tool's {}-byte budget",
                plan.max_result_bytes
            ));
        }
    }
    if let Some(path) = items_path {
        let returned = paging::lookup(&value, path).and_then(Value::as_array).map_or(0, Vec::len);
        report.returned = Some(returned);
        let end = report.skipped as usize + returned;
        let resume = if end < page_len {
            Some(Continuation { arguments: call.arguments.clone(), skip: end as u64 })
        } else {
            match next {
                Some(Next::Page(arguments)) => Some(Continuation { arguments, skip: 0 }),
                Some(Next::Refused(why)) => {
                    report.advice.push(format!("{why}; no continuation is offered"));
                    None
                }
                Some(Next::End) | None => None,
            }
        };
        if let Some(resume) = resume {
            match continuation::encode(call.tool, &resume) {
                Some(handle) => report.continuation = Some(handle),
                None => report.advice.push("the next page's arguments are too long for a handle; page with the operation's own paging arguments".into()),
            }
        }
    }
    Ok((value, note(call, report)))
}

/// The result of a shaped call: the value as `structuredContent` (when the tool declares an
/// output schema) or as text, then the note as a second text block and in `_meta`.
pub fn to_result(value: Value, note: Option<Value>, structured: bool) -> CallToolResult {
    let mut result = if structured {
        CallToolResult::structured(value)
    } else {
        CallToolResult::success(vec![ContentBlock::text(value.to_string())])
    };
    if let Some(note) = note {
        result.content.push(ContentBlock::text(note.to_string()));
        let mut meta = MetaObject::new();
        meta.0.insert("io.mcpgen/shaping".to_owned(), note);
        result.meta = Some(meta);
    }
    result
}

fn note(call: &Call<'_>, report: Report) -> Option<Value> {
    // Said when something was left out or follows, and on every page reached by a handle.
    let resumed = report.skipped > 0 || call.arguments_resumed;
    if !report.truncated && report.continuation.is_none() && report.advice.is_empty() && !resumed {
        return None;
    }
    let mut note = Map::new();
    note.insert("truncated".into(), Value::Bool(report.truncated));
    if let Some(returned) = report.returned {
        note.insert("returned".into(), json!(returned));
    }
    if report.skipped > 0 {
        note.insert("skipped".into(), json!(report.skipped));
    }
    if let Some(total) = report.total {
        note.insert("total".into(), json!(total));
    }
    if !report.omitted.is_empty() {
        note.insert("omitted".into(), json!(report.omitted));
    }
    let mut how = Vec::new();
    if let (Some(handle), Some(paging)) = (&report.continuation, &call.plan.paging) {
        note.insert("continuation".into(), Value::String(handle.clone()));
        how.push(format!("For more, call `{}` with `{}` set to the `continuation` value above (nothing else is needed; it keeps your arguments)", call.tool, paging.arg));
    }
    if report.continuation.is_none() && report.returned.is_some() && !report.truncated {
        how.push("this is the end of the list".to_owned());
    }
    if let Some(fields) = &call.plan.fields
        && call.fields.is_none()
        && report.truncated
    {
        how.push(format!(
            "ask for only the fields you need with `{}` (e.g. `{}`) to get more per call",
            fields.arg,
            example(fields)
        ));
    }
    let mut message = String::new();
    if !report.advice.is_empty() {
        message.push_str(&capitalised(&report.advice.join("; ")));
        message.push_str(". ");
    }
    if !how.is_empty() {
        message.push_str(&capitalised(&how.join("; ")));
        message.push('.');
    }
    note.insert("note".into(), Value::String(message.trim_end().to_owned()));
    Some(Value::Object(note))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn over_budget(call: &Call<'_>, size: usize) -> String {
    let budget = call.plan.max_result_bytes;
    let ask = match &call.plan.fields {
        Some(fields) => format!("Ask for fewer fields with `{}` (e.g. `{}`)", fields.arg, example(fields)),
        None => "Narrow the request (filters, a smaller page)".to_owned(),
    };
    format!(
        "The response of `{}` is {size} bytes; even cut at JSON boundaries it does not fit this tool's {budget}-byte result budget. {ask} and call again.",
        call.tool
    )
}

/// The first few `required` paths (see `ShapingDefinition::required`) the response leaves out,
/// worded like the validator's errors. A path is checked only where its parent is an object.
pub fn missing_required(value: &Value, required: &[String]) -> Vec<String> {
    const MOST: usize = 10;
    fn walk(value: &Value, keys: &[&str], at: &mut String, out: &mut Vec<String>) {
        if out.len() >= MOST {
            return;
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    walk(item, keys, at, out);
                    at.truncate(len);
                }
            }
            Value::Object(members) => {
                let Some((key, rest)) = keys.split_first() else { return };
                match (members.get(*key), rest.is_empty()) {
                    (None, true) => out.push(format!(
                        "\"{key}\" is a required property at `{}`",
                        if at.is_empty() { "/" } else { at }
                    )),
                    (Some(member), false) => {
                        let len = at.len();
                        at.push('/');
                        at.push_str(key);
                        walk(member, rest, at, out);
                        at.truncate(len);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in required {
        let keys: Vec<&str> = path.split('.').collect();
        walk(value, &keys, &mut String::new(), &mut out);
    }
    out
}

/// Keeps only the requested members (arrays: of each element).
fn project(value: &mut Value, fields: &Projection) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| project(item, fields)),
        Value::Object(members) => {
            members.retain(|key, _| fields.0.contains_key(key));
            for (key, member) in members.iter_mut() {
                if let Some(below) = fields.0.get(key).filter(|b| !b.0.is_empty()) {
                    project(member, below);
                }
            }
        }
        _ => {}
    }
}

/// Leaves out the largest top-level members until `value` fits `budget`; `Err` if it cannot.
fn drop_largest_members(value: &mut Value, budget: usize, omitted: &mut Vec<String>) -> Result<(), ()> {
    let Value::Object(members) = value else { return Err(()) };
    let mut sizes: Vec<(usize, String)> =
        members.iter().map(|(k, v)| (serialized_len(v) + k.len() + 4, k.clone())).collect();
    sizes.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut size = serialized_len(&*members);
    for (len, key) in sizes {
        if size <= budget {
            break;
        }
        members.shift_remove(&key);
        size = size.saturating_sub(len);
        omitted.push(key);
    }
    omitted.sort();
    if members.is_empty() || serialized_len(&*members) > budget { Err(()) } else { Ok(()) }
}

fn items_mut<'v>(value: &'v mut Value, path: &str) -> Option<&'v mut Vec<Value>> {
    let mut at = value;
    if !path.is_empty() {
        for key in path.split('.') {
            at = at.get_mut(key)?;
        }
    }
    at.as_array_mut()
}

/// Bytes of a handle for this call's arguments (the next one's are about as long).
fn handle_bytes(call: &Call<'_>) -> usize {
    if call.plan.paging.is_none() {
        return 0;
    }
    serialized_len(call.arguments) * 4 / 3 + call.tool.len() * 2 + 64
}

/// Length of the compact JSON text, without building it (or copying `value` into a `Value`).
fn serialized_len(value: &impl serde::Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests {
    use super::super::shaping_plan::{PagingDefinition, PagingStyle};
    use super::*;

    fn plan(max_result_bytes: u64, max_items: Option<u32>) -> ShapingDefinition {
        ShapingDefinition {
            max_result_bytes,
            max_items,
            items: Some("data".into()),
            total: Some("total".into()),
            fields: Some(FieldsDefinition {
                arg: "fields".into(),
                paths: ["id", "name", "owner", "owner.login", "owner.site", "tags"].map(String::from).to_vec().into(),
                open: vec!["owner.site".to_owned()].into(),
            }),
            paging: Some(PagingDefinition {
                arg: "continuation".into(),
                style: PagingStyle::Offset { param: "offset".into(), limit: None },
            }),
            required: ["data", "data.id", "data.owner.login"].map(String::from).to_vec().into(),
        }
    }

    fn response(n: usize) -> Value {
        let data: Vec<Value> = (0..n)
            .map(|i| json!({"id": i, "name": format!("n{i}"), "owner": {"login": "o", "site": {"a": 1}}, "tags": vec!["x"; 20]}))
            .collect();
        json!({"total": n, "data": data})
    }

    fn shape_with(
        plan: &ShapingDefinition,
        fields: Option<&str>,
        value: Value,
    ) -> Result<(Value, Option<Value>), String> {
        let projection = fields.map(|f| parse_fields("t", plan.fields.as_ref().unwrap(), f).unwrap());
        let arguments = Map::new();
        let call = Call {
            tool: "t",
            plan,
            arguments: &arguments,
            skip: 0,
            arguments_resumed: false,
            fields: projection.as_ref(),
            params: &[],
            properties: None,
            base_url: "http://127.0.0.1:1",
            link: None,
            is_secret: &|_| false,
        };
        shape(&call, value)
    }

    #[test]
    fn projection_keeps_the_requested_members_of_each_item_and_paths_below_open_ones() {
        let plan = plan(60_000, None);
        let (value, note) = shape_with(&plan, Some("id, owner.login,owner.site.a"), response(2)).unwrap();
        assert_eq!(value["data"][1], json!({"id": 1, "owner": {"login": "o", "site": {"a": 1}}}));
        assert_eq!(value["total"], json!(2), "envelope members stay");
        assert_eq!(note, None, "a whole, last page needs no note");
    }

    #[test]
    fn over_the_budget_whole_items_are_cut_and_the_note_says_how_to_get_the_rest() {
        let plan = plan(4_096, None);
        let (value, note) = shape_with(&plan, None, response(100)).unwrap();
        let text = value.to_string();
        let note = note.unwrap();
        assert!(text.len() + note.to_string().len() <= 4_096, "{} + {}", text.len(), note.to_string().len());
        let returned = value["data"].as_array().unwrap().len();
        assert!(returned > 0 && returned < 100);
        assert_eq!(
            (note["truncated"].clone(), note["returned"].clone(), note["total"].clone()),
            (json!(true), json!(returned), json!(100))
        );
        let handle = note["continuation"].as_str().unwrap();
        let next = continuation::decode("t", handle).unwrap();
        assert_eq!(next.skip, returned as u64, "the handle resumes after the last item shown");
        assert!(note["note"].as_str().unwrap().contains("`fields`"), "{note}");
    }

    #[test]
    fn the_item_cap_applies_before_the_budget() {
        let (value, note) = shape_with(&plan(60_000, Some(3)), Some("id"), response(10)).unwrap();
        assert_eq!(value["data"], json!([{"id": 0}, {"id": 1}, {"id": 2}]));
        assert_eq!(note.unwrap()["returned"], json!(3));
    }

    #[test]
    fn a_single_object_over_the_budget_loses_its_largest_members_by_name() {
        let mut plan = plan(4_096, None);
        plan.items = None;
        let value = json!({"id": 1, "big": "x".repeat(5_000), "name": "n"});
        let (value, note) = shape_with(&plan, None, value).unwrap();
        assert_eq!(value, json!({"id": 1, "name": "n"}));
        assert_eq!(note.unwrap()["omitted"], json!(["big"]));
        let err = shape_with(&plan, None, json!({"big": "x".repeat(5_000)})).unwrap_err();
        assert!(err.contains("does not fit") && err.contains("`fields`"), "{err}");
    }

    #[test]
    fn required_members_are_checked_where_their_parent_is() {
        let required = plan(60_000, None).required;
        assert!(missing_required(&response(3), &required).is_empty());
        let bad = json!({"data": [{"id": 1, "owner": {"login": "o"}}, {"owner": {}}, {"id": 3, "owner": null}]});
        assert_eq!(
            missing_required(&bad, &required),
            ["\"id\" is a required property at `/data/1`", "\"login\" is a required property at `/data/1/owner`"]
        );
        assert_eq!(missing_required(&json!({}), &required), ["\"data\" is a required property at `/`"]);
    }

    #[test]
    fn unknown_fields_name_the_known_ones() {
        let plan = plan(60_000, None);
        let fields = plan.fields.as_ref().unwrap();
        let err = parse_fields("t", fields, "owner.nope").unwrap_err();
        assert!(err.contains("Fields of `owner`: owner.login, owner.site"), "{err}");
        let err = parse_fields("t", fields, " , ").unwrap_err();
        assert!(err.contains("names no field"), "{err}");
        assert!(parse_fields("t", fields, "owner.site.deep.er").is_ok(), "below an open path");
    }
}
