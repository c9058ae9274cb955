//! Tool arguments → an HTTP request, as a pure function (no I/O), so it is tested exhaustively.
//!
//! Path parameters are percent-encoded as one whole segment and `.`/`..` are refused, so no
//! argument can change which route is called. Header values are checked so an argument cannot
//! inject another header. The inbound MCP client's credentials never appear here: only arguments.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::definition::{BodyEncoding, BodyMapping, HttpMapping, ParamLocation, ParamMapping, ParamStyle};

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
    /// The body.
    pub body: Option<Body>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Bytes sent as they are (the `content-type` header is among the headers).
    Bytes(Vec<u8>),
    /// `multipart/form-data` parts (the transport writes the boundary and the content type).
    Multipart(Vec<Part>),
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Form field name.
    pub name: String,
    /// Content.
    pub data: Vec<u8>,
    /// File name, for file parts.
    pub filename: Option<String>,
    /// `Content-Type` of the part.
    pub content_type: Option<String>,
}

/// Builds the request for `args` (already validated against the input schema). Errors describe
/// each argument that cannot be sent, for the agent to fix.
pub fn build(mapping: &HttpMapping, base_url: &str, args: &Map<String, Value>) -> Result<PreparedRequest, Vec<String>> {
    let mut errors = Vec::new();
    let mut path = mapping.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> =
        mapping.headers.iter().flatten().map(|(name, value)| (name.clone(), value.clone())).collect();
    let mut cookies: Vec<String> = Vec::new();
    for param in &mapping.params {
        let Some(value) = args.get(&param.arg).filter(|v| !v.is_null()) else {
            if param.required {
                errors.push(format!("`{}` is required", param.arg));
            }
            continue;
        };
        match param.location {
            ParamLocation::Path => match path_segment(param, value) {
                Ok(segment) => path = path.replace(&format!("{{{}}}", param.name), &segment),
                Err(why) => errors.push(format!("`{}` {why}", param.arg)),
            },
            ParamLocation::Query => query.extend(pairs(&param.name, param.style, param.explode, value)),
            ParamLocation::Header => {
                let text = simple(value, param.explode, &|t| t.to_owned());
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
                let text = simple(value, false, &|t| utf8_percent_encode(t, SEGMENT).to_string());
                cookies.push(format!("{}={text}", param.name));
            }
        }
    }
    if !cookies.is_empty() {
        headers.push(("cookie".into(), cookies.join("; ")));
    }
    let mut body = None;
    if let Some(spec) = &mapping.body {
        match args.get(&spec.arg).filter(|v| !v.is_null()) {
            Some(value) => match encode_body(spec, value) {
                Ok(encoded) => {
                    if !matches!(encoded, Body::Multipart(_)) {
                        headers.push(("content-type".into(), spec.content_type.clone()));
                    }
                    body = Some(encoded);
                }
                Err(why) => errors.push(format!("`{}` {why}", spec.arg)),
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
    // A path key's fragment (`/pets#byName`) only tells operations apart; it is never sent.
    url.set_fragment(None);
    let prepared = PreparedRequest { method: mapping.method.clone(), url: url.into(), headers, body };
    sendable(&prepared).map_err(|why| vec![why])?;
    Ok(prepared)
}

/// Whether the HTTP stack will accept `request` as it is: a URL it can send (an over-long one is
/// refused by `http::Uri`, which allows at most 64 KiB) and header names and values it can write.
/// Checked here, before any I/O, so a request the arguments made unsendable is the caller's
/// invalid argument — never mistaken for an upstream failure that feeds the circuit breaker.
pub fn sendable(request: &PreparedRequest) -> Result<(), String> {
    use axum::http::{HeaderName, HeaderValue, Uri};
    if let Err(err) = Uri::try_from(request.url.as_str()) {
        return Err(format!(
            "the arguments make a request URL this server cannot send ({err}; {} bytes): shorten the path and query parameters",
            request.url.len()
        ));
    }
    for (name, value) in &request.headers {
        if HeaderName::try_from(name.as_str()).is_err() || HeaderValue::try_from(value.as_str()).is_err() {
            return Err(format!("the arguments make an invalid value for the HTTP header `{}`", shown(name)));
        }
    }
    Ok(())
}

/// A header name as quoted in a message: the first 64 characters.
fn shown(name: &str) -> String {
    name.chars().take(64).collect()
}

/// Expands a path parameter (simple, label or matrix style, values percent-encoded); refuses
/// results that would be empty or a dot-segment, so the parameter stays one path segment.
fn path_segment(param: &ParamMapping, value: &Value) -> Result<String, &'static str> {
    let encode = |t: &str| utf8_percent_encode(t, SEGMENT).to_string();
    let name = encode(&param.name);
    let segment = match param.style {
        ParamStyle::Label => {
            let separator = if param.explode { "." } else { "," };
            match value {
                Value::Object(_) if param.explode => format!(".{}", entries(value, &encode).join(".")),
                Value::Array(_) | Value::Object(_) => format!(".{}", items(value, &encode).join(separator)),
                _ => format!(".{}", encode(&scalar(value))),
            }
        }
        ParamStyle::Matrix => match value {
            Value::Array(_) if param.explode => items(value, &encode).iter().map(|v| format!(";{name}={v}")).collect(),
            Value::Object(_) if param.explode => entries(value, &encode).iter().map(|e| format!(";{e}")).collect(),
            Value::Array(_) | Value::Object(_) => format!(";{name}={}", items(value, &encode).join(",")),
            _ => format!(";{name}={}", encode(&scalar(value))),
        },
        _ => simple(value, param.explode, &encode),
    };
    match segment.as_str() {
        "" => Err("must not be empty (it is a path segment)"),
        "." | ".." => Err("must not be `.` or `..` (it is a path segment)"),
        _ => Ok(segment),
    }
}

/// `simple` style: `a,b` for arrays, `k,v,k2,v2` (or `k=v,k2=v2` exploded) for objects.
fn simple(value: &Value, explode: bool, encode: &dyn Fn(&str) -> String) -> String {
    match value {
        Value::Object(_) if explode => entries(value, encode).join(","),
        Value::Array(_) | Value::Object(_) => items(value, encode).join(","),
        _ => encode(&scalar(value)),
    }
}

/// Array elements, or an object's keys and values interleaved, encoded.
fn items(value: &Value, encode: &dyn Fn(&str) -> String) -> Vec<String> {
    match value {
        Value::Array(list) => list.iter().map(|v| encode(&scalar(v))).collect(),
        Value::Object(map) => map.iter().flat_map(|(k, v)| [encode(k), encode(&scalar(v))]).collect(),
        other => vec![encode(&scalar(other))],
    }
}

/// An object's `key=value` entries, encoded.
fn entries(value: &Value, encode: &dyn Fn(&str) -> String) -> Vec<String> {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| format!("{}={}", encode(k), encode(&scalar(v)))).collect(),
        other => items(other, encode),
    }
}

/// Key/value pairs of a query parameter (also used for form-encoded bodies), following its style
/// and explode settings; the URL layer percent-encodes them.
pub fn pairs(name: &str, style: ParamStyle, explode: bool, value: &Value) -> Vec<(String, String)> {
    let raw = |t: &str| t.to_owned();
    match (style, value) {
        (ParamStyle::DeepObject, Value::Object(_) | Value::Array(_)) => {
            let mut out = Vec::new();
            deep(name, value, &mut out);
            out
        }
        (_, Value::Array(list)) => {
            let texts: Vec<String> = list.iter().map(scalar).collect();
            match style {
                ParamStyle::SpaceDelimited => vec![(name.to_owned(), texts.join(" "))],
                ParamStyle::PipeDelimited => vec![(name.to_owned(), texts.join("|"))],
                _ if explode => texts.into_iter().map(|t| (name.to_owned(), t)).collect(),
                _ => vec![(name.to_owned(), texts.join(","))],
            }
        }
        (_, Value::Object(map)) if explode => map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
        (_, Value::Object(_)) => vec![(name.to_owned(), items(value, &raw).join(","))],
        _ => vec![(name.to_owned(), scalar(value))],
    }
}

/// `deepObject`: `name[key]=value`, nested for nested objects, `name[]=value` for arrays.
fn deep(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| deep(&format!("{prefix}[{k}]"), v, out)),
        Value::Array(list) => list.iter().for_each(|v| deep(&format!("{prefix}[]"), v, out)),
        Value::Null => {}
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

/// Encodes the body argument as its mapping says.
fn encode_body(spec: &BodyMapping, value: &Value) -> Result<Body, String> {
    let field = |name: &str| spec.fields.iter().find(|f| f.name == name);
    match spec.encoding {
        BodyEncoding::Json => {
            serde_json::to_vec(value).map(Body::Bytes).map_err(|e| format!("cannot be serialised: {e}"))
        }
        BodyEncoding::Text => Ok(Body::Bytes(scalar(value).into_bytes())),
        BodyEncoding::Binary => decode_base64(value).map(Body::Bytes),
        BodyEncoding::Form => {
            let Value::Object(map) = value else { return Err("must be an object (it is sent as a form)".into()) };
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (name, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                let (style, explode) = field(name).map_or((ParamStyle::Form, true), |f| {
                    (
                        f.style.unwrap_or(ParamStyle::Form),
                        f.explode.unwrap_or(f.style.is_none_or(|s| s == ParamStyle::Form)),
                    )
                });
                form.extend_pairs(pairs(name, style, explode, v));
            }
            Ok(Body::Bytes(form.finish().into_bytes()))
        }
        BodyEncoding::Multipart => {
            let Value::Object(map) = value else {
                return Err("must be an object (it is sent as multipart form data)".into());
            };
            let mut parts = Vec::new();
            for (name, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                let encoding = field(name);
                let values: Vec<&Value> = match v {
                    Value::Array(list) if encoding.is_some_and(|f| f.binary) => list.iter().collect(),
                    other => vec![other],
                };
                for item in values {
                    let part = if encoding.is_some_and(|f| f.binary) {
                        let content_type = encoding
                            .and_then(|f| f.content_type.clone())
                            .unwrap_or_else(|| "application/octet-stream".into());
                        let data = decode_base64(item).map_err(|why| format!("field `{name}` {why}"))?;
                        Part {
                            name: name.clone(),
                            data,
                            filename: Some(name.clone()),
                            content_type: Some(content_type),
                        }
                    } else if item.is_object() || item.is_array() {
                        Part {
                            name: name.clone(),
                            data: item.to_string().into_bytes(),
                            filename: None,
                            content_type: Some("application/json".into()),
                        }
                    } else {
                        Part {
                            name: name.clone(),
                            data: scalar(item).into_bytes(),
                            filename: None,
                            content_type: encoding.and_then(|f| f.content_type.clone()),
                        }
                    };
                    parts.push(part);
                }
            }
            Ok(Body::Multipart(parts))
        }
    }
}

/// Bytes from a base64 string (standard alphabet, padding optional).
fn decode_base64(value: &Value) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let Value::String(text) = value else { return Err("must be a base64-encoded string".into()) };
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&compact))
        .map_err(|e| format!("is not valid base64 ({e})"))
}

/// Strings as they are, other scalars as JSON text, objects as JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
