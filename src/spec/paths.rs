//! What an OpenAPI path key may be: the one place that decides it.
//!
//! A path key is appended to the API's base URL by the generated server, after its `{name}`
//! templates are replaced by percent-encoded arguments. So the key itself is trusted text on the
//! wire: a dot segment (`/../admin`, also `%2e%2e`, which URL parsers decode) makes the upstream
//! receive a request outside the base path; `\` is read as `/` by URL parsers; control characters
//! (CR, LF, NUL) can inject into the request line. Those are errors. Keys that send something odd
//! but stay inside the base path are warnings: `//`, a space, and `?` / `#`, which real specs use on
//! purpose — `/?Action=Describe` (AWS query APIs: a fixed part of the query string) and
//! `/pets#byName` (ReadMe, AWS JSON APIs: a fragment, never sent, that lets one path carry several
//! operations of the same method). A key that does not
//! start with `/` is not a path at all (OpenAPI: "MUST begin with a forward slash"); the structural
//! parser drops such keys, so they are reported here instead of losing the operation silently.
//! The policy is written down in docs/architecture.md ("Path keys").

use crate::diagnostics::Problem;

/// Code of a path key that is refused (the request could leave the base path or inject).
pub const INVALID_PATH: &str = "mcpgen::spec::invalid_path";
/// Code of a path key that works but is probably a mistake.
pub const UNUSUAL_PATH: &str = "mcpgen::spec::unusual_path";

/// The problems of one path key (unlocated: the caller points them at the key): its errors, or
/// when there are none, its warnings.
pub fn check(path: &str) -> Vec<Problem> {
    let shown = shown(path);
    let mut errors = Vec::new();
    let mut error = |message: String, help: &str| errors.push(Problem::error(INVALID_PATH, message).with_help(help));
    if path.is_empty() {
        error("a path key is empty".to_owned(), "write the operation's path, starting with `/`");
    } else if !path.starts_with('/') {
        error(
            format!("path `{shown}` does not start with `/`"),
            "OpenAPI path keys begin with `/` and are appended to the base URL: write it as `/…`",
        );
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        error(
            format!("path `{shown}` contains the control character U+{:04X}", u32::from(c)),
            "remove it: control characters (line breaks, NUL) in a request target can inject into the HTTP request",
        );
    }
    if path.contains('\\') {
        error(
            format!("path `{shown}` contains `\\`"),
            "use `/` between segments: URL parsers read `\\` as `/`, which changes the path",
        );
    }
    // Only the path part can leave the base path; after `?` or `#` dots are data.
    let path_part = path.split(['?', '#']).next().unwrap_or_default();
    if path_part.split(['/', '\\']).any(is_dot_segment) {
        error(
            format!("path `{shown}` has a `.` or `..` segment"),
            "write the path without dot segments (also percent-encoded ones, `%2e`): they are resolved by the \
             client and would make the request leave the base URL's path",
        );
    }
    if let Err(why) = templates(path) {
        error(
            format!("path `{shown}` has {why}"),
            "write each path parameter as `{name}`, with a name declared as an `in: path` parameter",
        );
    }
    if !errors.is_empty() {
        // A refused key is fixed first; cosmetic remarks on it would only be noise.
        return errors;
    }
    let mut problems = Vec::new();
    if path.len() > 1 && path.contains("//") {
        problems.push(
            Problem::warning(UNUSUAL_PATH, format!("path `{shown}` has an empty segment (`//`)"))
                .with_help("remove the extra `/`; many servers treat `//` differently from `/`"),
        );
    }
    if let Some(at) = path.find('#') {
        problems.push(
            Problem::warning(
                UNUSUAL_PATH,
                format!("path `{shown}` has a fragment (`{}`)", &shown[shown.find('#').unwrap_or(0)..]),
            )
            .with_help(format!(
                "it is not sent: requests go to `{}`; fine when the fragment only tells operations of one path apart",
                &path[..at]
            )),
        );
    }
    if path.contains('?') {
        problems.push(
            Problem::warning(UNUSUAL_PATH, format!("path `{shown}` carries a query string"))
                .with_help("it is sent as a fixed part of every request's query (as AWS query APIs expect); declare varying values as `in: query` parameters"),
        );
    }
    if path.contains(' ') {
        problems.push(
            Problem::warning(UNUSUAL_PATH, format!("path `{shown}` contains a space"))
                .with_help("it is sent as `%20`; write `%20` (or remove the space) if that is what the API expects"),
        );
    }
    problems
}

/// The names of the `{name}` templates of a path, in order; an error when braces do not pair up
/// into non-empty names within one segment.
pub fn templates(path: &str) -> Result<Vec<&str>, &'static str> {
    let mut names = Vec::new();
    let mut open = None;
    for (i, c) in path.char_indices() {
        match (c, open) {
            ('{', None) => open = Some(i + 1),
            ('{', Some(_)) => return Err("a `{` inside a `{…}` template"),
            ('}', None) => return Err("a `}` without its `{`"),
            ('}', Some(start)) if start == i => return Err("an empty `{}` template"),
            ('}', Some(start)) => {
                names.push(&path[start..i]);
                open = None;
            }
            ('/', Some(_)) => return Err("a `{` without its `}`"),
            _ => {}
        }
    }
    match open {
        Some(_) => Err("a `{` without its `}`"),
        None => Ok(names),
    }
}

/// `.` or `..`, also when written with `%2e` (which URL parsers decode before resolving).
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// The path as it can be shown in a one-line message: control characters escaped.
fn shown(path: &str) -> String {
    path.chars().flat_map(|c| if c.is_control() { c.escape_debug().collect() } else { vec![c] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(path: &str) -> Vec<(&'static str, bool)> {
        check(path).iter().map(|p| (p.code, p.is_error())).collect()
    }

    #[test]
    fn ordinary_paths_pass() {
        for path in ["/", "/pets", "/pets/{petId}", "/a/b.json", "/v1/{a}.{b}", "/a/", "/.well-known/x", "/a..b"] {
            assert!(check(path).is_empty(), "{path}: {:?}", check(path));
        }
        assert_eq!(templates("/a/{x}/{y}.json"), Ok(vec!["x", "y"]));
    }

    #[test]
    fn paths_that_leave_the_base_path_or_inject_are_errors() {
        for path in [
            "/../../admin",
            "/%2e%2e/admin",
            "/%2E./admin",
            "/a/./b",
            "/../x?y=1",
            "/x\r\nInjected: 1",
            "/x\u{0}y",
            "/a\\..\\b",
            "/{id",
            "/id}",
            "/{}",
            "/{a{b}}",
            "/{a/b}",
            "noslash",
            "",
        ] {
            let found = codes(path);
            assert!(found.iter().any(|&(code, error)| code == INVALID_PATH && error), "{path:?}: {found:?}");
        }
    }

    #[test]
    fn cosmetic_oddities_are_warnings() {
        assert_eq!(codes("//double"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/a b"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/a?x=1"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/a#frag"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/?Action=Describe&Version=1"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/#X-Amz-Target=Service.Op"), [(UNUSUAL_PATH, false)]);
        assert_eq!(codes("/a?next=../.."), [(UNUSUAL_PATH, false)], "dots in the query are data");
    }

    #[test]
    fn messages_never_carry_raw_control_characters() {
        let problems = check("/x\r\nInjected: 1");
        assert!(problems[0].message.contains(r"/x\r\nInjected: 1"), "{}", problems[0].message);
        assert!(problems.iter().all(|p| !p.message.contains('\n')));
    }
}
