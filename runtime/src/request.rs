//! Tool arguments → an HTTP request, as a pure function (no I/O), so it is tested exhaustively.
//!
//! Path parameters are percent-encoded as one whole segment and `.`/`..` are refused, so no
//! argument can change which route is called. Header values are checked so an argument cannot
//! inject another header. The inbound MCP client's credentials never appear here: only arguments.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::definition::{HttpMapping, ParamLocation, ParamMapping, ParamStyle};

/// Everything but RFC 3986 unreserved characters is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL with the query string.
    pub url: String,
    /// Headers from header and cookie parameters and the body's content type.
    pub headers: Vec<(String, String)>,
    /// Serialised body.
    pub body: Option<Vec<u8>>,
}

/// Builds the request for `args` (already validated against the input schema). Errors describe
/// each argument that cannot be sent, for the agent to fix.
pub fn build(mapping: &HttpMapping, base_url: &str, args: &Map<String, Value>) -> Result<PreparedRequest, Vec<String>> {
    let mut errors = Vec::new();
    let mut path = mapping.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut cookies: Vec<String> = Vec::new();
    for param in &mapping.params {
        let Some(value) = args.get(&param.arg).filter(|v| !v.is_null()) else {
            if param.required {
                errors.push(format!("`{}` is required", param.arg));
            }
            continue;
        };
        match param.location {
            ParamLocation::Path => match path_segment(value) {
                Ok(segment) => path = path.replace(&format!("{{{}}}", param.name), &segment),
                Err(why) => errors.push(format!("`{}` {why}", param.arg)),
            },
            ParamLocation::Query => query.extend(query_pairs(param, value)),
            ParamLocation::Header => {
                let text = joined(value, ",");
                if text.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
                    headers.push((param.name.clone(), text));
                } else {
                    errors.push(format!(
                        "`{}` must be printable ASCII without line breaks (it is sent as an HTTP header)",
                        param.arg
                    ));
                }
            }
            ParamLocation::Cookie => {
                let text = joined(value, ",");
                cookies.push(format!("{}={}", param.name, utf8_percent_encode(&text, SEGMENT)));
            }
        }
    }
    if !cookies.is_empty() {
        headers.push(("cookie".into(), cookies.join("; ")));
    }
    let mut body = None;
    if let Some(spec) = &mapping.body {
        match args.get(&spec.arg) {
            Some(value) => match serde_json::to_vec(value) {
                Ok(bytes) => {
                    headers.push(("content-type".into(), spec.content_type.clone()));
                    body = Some(bytes);
                }
                Err(err) => errors.push(format!("`{}` cannot be serialised: {err}", spec.arg)),
            },
            None if spec.required => errors.push(format!("`{}` is required", spec.arg)),
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut url = reqwest::Url::parse(&format!("{base_url}{path}"))
        .map_err(|err| vec![format!("the request URL is invalid: {err}")])?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    Ok(PreparedRequest { method: mapping.method.clone(), url: url.into(), headers, body })
}

/// Encodes one path segment; refuses values that would be a dot-segment or empty.
fn path_segment(value: &Value) -> Result<String, &'static str> {
    let text = joined(value, ",");
    match text.as_str() {
        "" => Err("must not be empty (it is a path segment)"),
        "." | ".." => Err("must not be `.` or `..` (it is a path segment)"),
        _ => Ok(utf8_percent_encode(&text, SEGMENT).to_string()),
    }
}

/// Query pairs for one parameter, following its style and explode settings.
fn query_pairs(param: &ParamMapping, value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Array(items) => {
            let texts: Vec<String> = items.iter().map(scalar).collect();
            match (param.style, param.explode) {
                (ParamStyle::Form, true) => texts.into_iter().map(|t| (param.name.clone(), t)).collect(),
                (ParamStyle::SpaceDelimited, _) => vec![(param.name.clone(), texts.join(" "))],
                (ParamStyle::PipeDelimited, _) => vec![(param.name.clone(), texts.join("|"))],
                _ => vec![(param.name.clone(), texts.join(","))],
            }
        }
        other => vec![(param.name.clone(), scalar(other))],
    }
}

/// Arrays joined with `separator`, scalars as text.
fn joined(value: &Value, separator: &str) -> String {
    match value {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(separator),
        other => scalar(other),
    }
}

/// Strings as they are, other scalars as JSON text, objects as JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
