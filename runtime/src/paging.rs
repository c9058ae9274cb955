//! The next page of a list response: found from the paging style the generator detected in the
//! spec, or from the response's `Link` header, as the arguments of the next call.
//!
//! A `next` URL (a `Link` header or a body member) is never requested as it is. It must stay on
//! the origin and under the path of the API's base URL, and only its query parameters that are
//! declared parameters of the operation are kept, as arguments: the next request is built like
//! any other, from the tool's own route, so an upstream (or whoever controls its data) cannot make
//! the server call another host (SSRF) or another route, nor smuggle credentials into a handle.

use serde_json::{Map, Value};

use super::definition::{ParamLocation, ParamMapping};
use super::shaping_plan::PagingStyle;

/// What follows a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Nothing: this was the last page (or the response does not say).
    End,
    /// The arguments of the call that fetches the next page.
    Page(Map<String, Value>),
    /// The API names a next page that this server does not follow; why, for the agent.
    Refused(String),
}

/// One page as the upstream returned it, before shaping.
pub struct Page<'a> {
    /// How the spec pages.
    pub style: &'a PagingStyle,
    /// The arguments that fetched this page (shaping arguments included, continuation excluded).
    pub arguments: &'a Map<String, Value>,
    /// The operation's parameters (query names → argument names).
    pub params: &'a [ParamMapping],
    /// Properties of the tool's input schema (the types arguments taken from URLs get).
    pub properties: Option<&'a Map<String, Value>>,
    /// Base URL of the API, without a trailing slash.
    pub base_url: &'a str,
    /// The whole response body.
    pub body: &'a Value,
    /// The page's items, when the response is a list.
    pub items: Option<&'a [Value]>,
    /// The `Link` response header, when there was one.
    pub link: Option<&'a str>,
    /// Total items of the whole list, when the response says.
    pub total: Option<u64>,
}

/// Where the page after `page` starts. `is_secret` tells values that must never become
/// arguments (the server's credentials, which some APIs echo in their links).
pub fn next(page: &Page<'_>, is_secret: &dyn Fn(&str) -> bool) -> Next {
    if let Some(link) = page.link {
        match next_link(link) {
            Some(url) => return from_url(page, &url, is_secret),
            // A `Link` header without `rel="next"` is the API saying this is the last page.
            None if link.contains("rel=") => return Next::End,
            None => {}
        }
    }
    let count = page.items.map(<[Value]>::len);
    if count == Some(0) {
        return Next::End;
    }
    match page.style {
        PagingStyle::Link => Next::End,
        PagingStyle::AfterLast { param, id, has_more } => {
            if let Some(path) = has_more
                && lookup(page.body, path).and_then(Value::as_bool) == Some(false)
            {
                return Next::End;
            }
            let last = page.items.and_then(<[Value]>::last).and_then(|item| lookup(item, id));
            match last {
                Some(value @ (Value::String(_) | Value::Number(_))) => with(page, param, value.clone()),
                _ => Next::End,
            }
        }
        PagingStyle::Cursor { param, token } => match lookup(page.body, token) {
            Some(Value::String(token)) if !token.is_empty() && page.arguments.get(param) != Some(&json_str(token)) => {
                with(page, param, Value::String(token.clone()))
            }
            _ => Next::End,
        },
        PagingStyle::NextUrl { next } => match lookup(page.body, next) {
            Some(Value::String(url)) if !url.is_empty() => from_url(page, url, is_secret),
            _ => Next::End,
        },
        PagingStyle::Page { param, size } => {
            let first = if minimum(page, param) == Some(0) { 0 } else { 1 };
            let current = number(page, param).unwrap_or(first);
            let size = size.as_deref().and_then(|s| number(page, s));
            let Some(count) = count else { return with(page, param, Value::from(current + 1)) };
            if size.is_some_and(|s| (count as u64) < s) {
                return Next::End;
            }
            if let (Some(total), Some(size)) = (page.total, size)
                && (current + 1 - first) * size >= total
            {
                return Next::End;
            }
            with(page, param, Value::from(current + 1))
        }
        PagingStyle::Offset { param, limit } => {
            let offset = number(page, param).unwrap_or(0);
            let count = count.unwrap_or(0) as u64;
            let limit = limit.as_deref().and_then(|l| number(page, l));
            if count == 0 || limit.is_some_and(|l| count < l) || page.total.is_some_and(|t| offset + count >= t) {
                return Next::End;
            }
            with(page, param, Value::from(offset + count))
        }
    }
}

fn json_str(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// The page's arguments with `param` set to `value`.
fn with(page: &Page<'_>, param: &str, value: Value) -> Next {
    let mut arguments = page.arguments.clone();
    arguments.insert(param.to_owned(), value);
    Next::Page(arguments)
}

/// An argument as a non-negative integer: given, else its schema's default.
fn number(page: &Page<'_>, arg: &str) -> Option<u64> {
    let given = page.arguments.get(arg);
    let default = page.properties.and_then(|p| p.get(arg)).and_then(|s| s.get("default"));
    given.or(default).and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

fn minimum(page: &Page<'_>, arg: &str) -> Option<u64> {
    let schema = page.properties.and_then(|p| p.get(arg))?;
    schema.get("minimum").or_else(|| schema.get("default")).and_then(Value::as_u64)
}

/// The member at a dotted `path` (`""`: the value itself).
pub fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The `rel="next"` target of a `Link` header (RFC 8288), if it has one.
pub fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let Some((key, value)) = p.split_once('=') else { return false };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
    None
}

/// The next call from a next-page URL: checked to stay under the base URL, its query parameters
/// mapped onto the operation's query parameters.
fn from_url(page: &Page<'_>, url: &str, is_secret: &dyn Fn(&str) -> bool) -> Next {
    let Ok(base) = reqwest::Url::parse(&format!("{}/", page.base_url)) else { return Next::End };
    let Ok(target) = base.join(url) else {
        return Next::Refused("the API's next-page link is not a valid URL".into());
    };
    let base_path = base.path().trim_end_matches('/');
    let under_base = target.path() == base_path || target.path().starts_with(&format!("{base_path}/"));
    if target.scheme() != base.scheme()
        || target.host_str() != base.host_str()
        || target.port_or_known_default() != base.port_or_known_default()
        || !under_base
    {
        return Next::Refused(
            "the API's next-page link leaves the API's base URL, so this server does not follow it".into(),
        );
    }
    let mut arguments = page.arguments.clone();
    // Query parameters in the link replace those of this page; values repeated form arrays.
    let mut taken: Map<String, Value> = Map::new();
    for (key, value) in target.query_pairs() {
        if is_secret(&value) {
            continue; // a credential the API echoed: requests get theirs anew, never from a link
        }
        let Some(param) = page.params.iter().find(|p| p.location == ParamLocation::Query && p.name == key) else {
            return Next::Refused(format!(
                "the API's next-page link carries the query parameter `{}`, which this operation does not declare",
                super::echo::clip(&key, super::echo::NAME_CHARS)
            ));
        };
        let schema = page.properties.and_then(|p| p.get(&param.arg));
        let typed = typed(schema, &value);
        match taken.get_mut(&param.arg) {
            Some(Value::Array(values)) => values.push(typed),
            Some(_) => {}
            None if accepts(schema, "array") => {
                taken.insert(param.arg.clone(), Value::Array(vec![typed]));
            }
            None => {
                taken.insert(param.arg.clone(), typed);
            }
        }
    }
    if taken.is_empty() {
        return Next::Refused("the API's next-page link carries no parameter this operation declares".into());
    }
    arguments.extend(taken);
    Next::Page(arguments)
}

/// A query value as the argument's schema types it (integers for `page`, …), else a string.
fn typed(schema: Option<&Value>, text: &str) -> Value {
    let item = schema.and_then(|s| s.get("items")).filter(|_| accepts(schema, "array"));
    let schema = item.or(schema);
    if (accepts(schema, "integer") || accepts(schema, "number"))
        && let Ok(n) = text.parse::<serde_json::Number>()
    {
        return Value::Number(n);
    }
    if accepts(schema, "boolean") && matches!(text, "true" | "false") {
        return Value::Bool(text == "true");
    }
    Value::String(text.to_owned())
}

fn accepts(schema: Option<&Value>, kind: &str) -> bool {
    match schema.and_then(|s| s.get("type")) {
        Some(Value::String(t)) => t == kind,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == kind),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::super::definition::ParamStyle;

    fn query(arg: &str, name: &str) -> ParamMapping {
        ParamMapping {
            arg: arg.into(),
            name: name.into(),
            location: ParamLocation::Query,
            required: false,
            style: ParamStyle::Form,
            explode: true,
        }
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    struct Fixture {
        arguments: Map<String, Value>,
        params: Vec<ParamMapping>,
        properties: Map<String, Value>,
        body: Value,
        items: Vec<Value>,
    }

    impl Fixture {
        fn new(arguments: Value, items: usize) -> Self {
            Self {
                arguments: object(arguments),
                params: vec![query("page", "page"), query("per_page", "per_page"), query("org", "org")],
                properties: object(
                    json!({"page": {"type": "integer", "default": 1}, "per_page": {"type": "integer", "default": 30}}),
                ),
                body: json!({}),
                items: (0..items).map(|i| json!({"id": i})).collect(),
            }
        }

        fn next(&self, style: &PagingStyle, link: Option<&str>, total: Option<u64>) -> Next {
            let page = Page {
                style,
                arguments: &self.arguments,
                params: &self.params,
                properties: Some(&self.properties),
                base_url: "https://api.example.com/v3",
                body: &self.body,
                items: Some(&self.items),
                link,
                total,
            };
            next(&page, &|v| v == "s3cr3t")
        }
    }

    #[test]
    fn link_headers_are_parsed_by_rel_wherever_next_stands() {
        let header = r#"<https://api.example.com/v3/orgs/a/repos?page=1>; rel="prev", <https://api.example.com/v3/orgs/a/repos?page=3>; rel="next", <https://x/?page=9>; rel="last""#;
        assert_eq!(next_link(header).as_deref(), Some("https://api.example.com/v3/orgs/a/repos?page=3"));
        assert_eq!(next_link(r#"<https://a/?p=2>; rel="next last""#).as_deref(), Some("https://a/?p=2"));
        assert_eq!(next_link(r#"<https://a/?p=1>; rel="first""#), None);
    }

    #[test]
    fn a_link_on_the_base_url_becomes_typed_arguments_and_its_path_is_not_used() {
        let fixture = Fixture::new(json!({"org": "a", "per_page": 2}), 2);
        // GitHub links pages of `/orgs/a/repos` as `/organizations/42/repos`: the route stays the tool's.
        let link = r#"<https://api.example.com/v3/organizations/42/repos?per_page=2&page=2>; rel="next""#;
        let Next::Page(arguments) = fixture.next(&PagingStyle::Link, Some(link), None) else { panic!() };
        assert_eq!(Value::Object(arguments), json!({"org": "a", "per_page": 2, "page": 2}));
        // The last page has a `Link` without `next`.
        let last = r#"<https://api.example.com/v3/orgs/a/repos?page=1>; rel="first""#;
        assert_eq!(fixture.next(&PagingStyle::Page { param: "page".into(), size: None }, Some(last), None), Next::End);
    }

    #[test]
    fn links_off_the_base_url_are_refused_and_echoed_secrets_dropped() {
        let fixture = Fixture::new(json!({"org": "a"}), 2);
        for url in [
            "https://evil.example.net/v3/orgs/a/repos?page=2",
            "http://api.example.com/v3/orgs/a/repos?page=2",
            "https://api.example.com:8443/v3/orgs/a/repos?page=2",
            "https://api.example.com/admin?page=2",
            "https://api.example.com/v30?page=2",
            "//evil.example.net/v3?page=2",
        ] {
            let link = format!("<{url}>; rel=\"next\"");
            let got = fixture.next(&PagingStyle::Link, Some(&link), None);
            assert!(matches!(&got, Next::Refused(why) if why.contains("leaves")), "{url}: {got:?}");
        }
        let link = r#"<https://api.example.com/v3/orgs/a/repos?page=2&api_key=s3cr3t>; rel="next""#;
        let Next::Page(arguments) = fixture.next(&PagingStyle::Link, Some(link), None) else { panic!() };
        assert!(!Value::Object(arguments).to_string().contains("s3cr3t"));
        let link = r#"<https://api.example.com/v3/orgs/a/repos?page=2&$skiptoken=x>; rel="next""#;
        let got = fixture.next(&PagingStyle::Link, Some(link), None);
        assert!(matches!(&got, Next::Refused(why) if why.contains("`$skiptoken`")), "{got:?}");
    }

    #[test]
    fn numbered_pages_stop_at_a_short_page_or_the_total() {
        let style = PagingStyle::Page { param: "page".into(), size: Some("per_page".into()) };
        let full = Fixture::new(json!({"per_page": 2}), 2);
        assert_eq!(full.next(&style, None, None), Next::Page(object(json!({"per_page": 2, "page": 2}))));
        assert_eq!(full.next(&style, None, Some(2)), Next::End);
        assert_eq!(Fixture::new(json!({"per_page": 2}), 1).next(&style, None, None), Next::End);
        assert_eq!(
            Fixture::new(json!({"page": 4}), 30).next(&style, None, None),
            Next::Page(object(json!({"page": 5})))
        );
    }

    #[test]
    fn offsets_cursors_and_last_ids_advance_from_the_body() {
        let mut fixture = Fixture::new(json!({"limit": 2}), 2);
        let offset = PagingStyle::Offset { param: "offset".into(), limit: Some("limit".into()) };
        assert_eq!(fixture.next(&offset, None, None), Next::Page(object(json!({"limit": 2, "offset": 2}))));
        assert_eq!(fixture.next(&offset, None, Some(2)), Next::End);
        fixture.body = json!({"meta": {"next_cursor": "abc"}, "has_more": true});
        let cursor = PagingStyle::Cursor { param: "cursor".into(), token: "meta.next_cursor".into() };
        assert_eq!(fixture.next(&cursor, None, None), Next::Page(object(json!({"limit": 2, "cursor": "abc"}))));
        let after = PagingStyle::AfterLast {
            param: "starting_after".into(),
            id: "id".into(),
            has_more: Some("has_more".into()),
        };
        assert_eq!(fixture.next(&after, None, None), Next::Page(object(json!({"limit": 2, "starting_after": 1}))));
        fixture.body = json!({"meta": {"next_cursor": null}, "has_more": false});
        assert_eq!(fixture.next(&after, None, None), Next::End);
        assert_eq!(fixture.next(&cursor, None, None), Next::End);
    }
}
