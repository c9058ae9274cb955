//! Building upstream requests from tool arguments (pure; no network).

use mcpgen_runtime::definition::{BodyEncoding, BodyMapping, HttpMapping, ParamLocation, ParamMapping, ParamStyle};
use mcpgen_runtime::request::{Body, build};
use serde_json::{Map, Value, json};

fn param(arg: &str, location: ParamLocation, style: ParamStyle, explode: bool, required: bool) -> ParamMapping {
    ParamMapping { arg: arg.into(), name: arg.into(), location, required, style, explode }
}

fn args(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn mapping(path: &str, params: Vec<ParamMapping>) -> HttpMapping {
    HttpMapping { method: "GET".into(), path: path.into(), params, body: None, headers: None }
}

#[test]
fn path_parameters_are_encoded_as_one_segment() {
    let m = mapping("/pets/{id}/photos", vec![param("id", ParamLocation::Path, ParamStyle::Simple, false, true)]);
    let r = build(&m, "https://api.example.com/v1", &args(json!({"id": "a/b?c#d e%"}))).unwrap();
    assert_eq!(r.url, "https://api.example.com/v1/pets/a%2Fb%3Fc%23d%20e%25/photos");
    let r = build(&m, "https://api.example.com/v1", &args(json!({"id": "../../admin"}))).unwrap();
    assert_eq!(r.url, "https://api.example.com/v1/pets/..%2F..%2Fadmin/photos");
    let r = build(&m, "https://api.example.com/v1", &args(json!({"id": 42}))).unwrap();
    assert_eq!(r.url, "https://api.example.com/v1/pets/42/photos");
}

#[test]
fn dot_segments_and_empty_path_values_are_refused() {
    let m = mapping("/pets/{id}", vec![param("id", ParamLocation::Path, ParamStyle::Simple, false, true)]);
    for bad in ["..", ".", ""] {
        let errors = build(&m, "https://x.test", &args(json!({ "id": bad }))).unwrap_err();
        assert_eq!(errors.len(), 1, "{bad:?}");
        assert!(errors[0].starts_with("`id` must not be"), "{errors:?}");
    }
    // Percent-encoded dots would be dot-segments for URL parsers: `%` itself is encoded, so they stay data.
    let r = build(&m, "https://x.test", &args(json!({"id": "%2e%2e"}))).unwrap();
    assert_eq!(r.url, "https://x.test/pets/%252e%252e");
}

#[test]
fn query_arrays_follow_style_and_explode() {
    let cases = [
        (ParamStyle::Form, true, "https://x.test/s?t=a&t=b+c"),
        (ParamStyle::Form, false, "https://x.test/s?t=a%2Cb+c"),
        (ParamStyle::SpaceDelimited, false, "https://x.test/s?t=a+b+c"),
        (ParamStyle::PipeDelimited, false, "https://x.test/s?t=a%7Cb+c"),
    ];
    for (style, explode, expected) in cases {
        let m = mapping("/s", vec![param("t", ParamLocation::Query, style, explode, false)]);
        let r = build(&m, "https://x.test", &args(json!({"t": ["a", "b c"]}))).unwrap();
        assert_eq!(r.url, expected, "{style:?} explode={explode}");
    }
}

#[test]
fn scalars_are_stringified_and_missing_optionals_omitted() {
    let m = mapping(
        "/s",
        vec![
            param("n", ParamLocation::Query, ParamStyle::Form, true, false),
            param("b", ParamLocation::Query, ParamStyle::Form, true, false),
            param("absent", ParamLocation::Query, ParamStyle::Form, true, false),
            param("nul", ParamLocation::Query, ParamStyle::Form, true, false),
        ],
    );
    let r = build(&m, "https://x.test", &args(json!({"n": 1.5, "b": true, "nul": null}))).unwrap();
    assert_eq!(r.url, "https://x.test/s?n=1.5&b=true");
}

#[test]
fn headers_cannot_inject_lines_and_cookies_are_joined() {
    let m = mapping(
        "/s",
        vec![
            param("X-Trace", ParamLocation::Header, ParamStyle::Simple, false, false),
            param("session", ParamLocation::Cookie, ParamStyle::Form, true, false),
            param("theme", ParamLocation::Cookie, ParamStyle::Form, true, false),
        ],
    );
    let r = build(&m, "https://x.test", &args(json!({"X-Trace": "abc", "session": "s 1;x", "theme": "dark"}))).unwrap();
    assert_eq!(
        r.headers,
        [("X-Trace".to_owned(), "abc".to_owned()), ("cookie".to_owned(), "session=s%201%3Bx; theme=dark".to_owned())]
    );
    let errors = build(&m, "https://x.test", &args(json!({"X-Trace": "a\r\nSet-Cookie: evil=1"}))).unwrap_err();
    assert!(errors[0].contains("`X-Trace` must be printable ASCII"), "{errors:?}");
}

#[test]
fn json_bodies_carry_their_content_type() {
    let mut m = mapping("/pets", vec![]);
    m.method = "POST".into();
    m.body = Some(BodyMapping {
        arg: "body".into(),
        content_type: "application/merge-patch+json".into(),
        required: true,
        encoding: BodyEncoding::Json,
        fields: vec![],
    });
    let r = build(&m, "https://x.test", &args(json!({"body": {"name": "Rex", "tags": ["a"]}}))).unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(r.headers, [("content-type".to_owned(), "application/merge-patch+json".to_owned())]);
    let Some(Body::Bytes(bytes)) = &r.body else { panic!("expected bytes, got {:?}", r.body) };
    assert_eq!(serde_json::from_slice::<Value>(bytes).unwrap(), json!({"name": "Rex", "tags": ["a"]}));
    let errors = build(&m, "https://x.test", &Map::new()).unwrap_err();
    assert_eq!(errors, ["`body` is required"]);
}

#[test]
fn every_problem_is_reported_together() {
    let m = mapping(
        "/a/{x}/{y}",
        vec![
            param("x", ParamLocation::Path, ParamStyle::Simple, false, true),
            param("y", ParamLocation::Path, ParamStyle::Simple, false, true),
        ],
    );
    let errors = build(&m, "https://x.test", &args(json!({"x": ".."}))).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// The OpenAPI 3 specification's style table, for `color` = "blue", ["blue","black","brown"] and
/// {"R":100,"G":200,"B":150}.
#[test]
fn path_styles_match_the_openapi_style_table() {
    let values = [json!("blue"), json!(["blue", "black", "brown"]), json!({"R": 100, "G": 200, "B": 150})];
    let cases: [(ParamStyle, bool, [&str; 3]); 6] = [
        (ParamStyle::Simple, false, ["blue", "blue,black,brown", "R,100,G,200,B,150"]),
        (ParamStyle::Simple, true, ["blue", "blue,black,brown", "R=100,G=200,B=150"]),
        (ParamStyle::Label, false, [".blue", ".blue,black,brown", ".R,100,G,200,B,150"]),
        (ParamStyle::Label, true, [".blue", ".blue.black.brown", ".R=100.G=200.B=150"]),
        (ParamStyle::Matrix, false, [";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"]),
        (ParamStyle::Matrix, true, [";color=blue", ";color=blue;color=black;color=brown", ";R=100;G=200;B=150"]),
    ];
    for (style, explode, expected) in cases {
        for (value, expected) in values.iter().zip(expected) {
            let m = mapping("/c/{color}", vec![param("color", ParamLocation::Path, style, explode, true)]);
            let r = build(&m, "https://x.test", &args(json!({ "color": value }))).unwrap();
            // `,`, `;` and `=` are percent-encoded inside values but are the separators here.
            let segment = r
                .url
                .strip_prefix("https://x.test/c/")
                .unwrap()
                .replace("%2C", ",")
                .replace("%3B", ";")
                .replace("%3D", "=");
            assert_eq!(segment, expected, "{style:?} explode={explode} {value}");
        }
    }
}

#[test]
fn query_styles_match_the_openapi_style_table() {
    let cases = [
        (ParamStyle::Form, true, json!({"R": 100, "G": 200}), "R=100&G=200"),
        (ParamStyle::Form, false, json!({"R": 100, "G": 200}), "color=R%2C100%2CG%2C200"),
        (ParamStyle::DeepObject, true, json!({"R": 100, "G": 200}), "color%5BR%5D=100&color%5BG%5D=200"),
        (
            ParamStyle::DeepObject,
            true,
            json!({"a": {"b": "c"}, "l": [1, 2]}),
            "color%5Ba%5D%5Bb%5D=c&color%5Bl%5D%5B%5D=1&color%5Bl%5D%5B%5D=2",
        ),
    ];
    for (style, explode, value, expected) in cases {
        let m = mapping("/q", vec![param("color", ParamLocation::Query, style, explode, false)]);
        let r = build(&m, "https://x.test", &args(json!({ "color": value }))).unwrap();
        assert_eq!(r.url.split_once('?').unwrap().1, expected, "{style:?} explode={explode}");
    }
}

#[test]
fn label_and_matrix_values_cannot_form_dot_segments_or_escape() {
    let m = mapping("/c/{x}", vec![param("x", ParamLocation::Path, ParamStyle::Label, false, true)]);
    let r = build(&m, "https://x.test", &args(json!({"x": "./../admin"}))).unwrap();
    assert_eq!(r.url, "https://x.test/c/..%2F..%2Fadmin", "one segment: `/` is encoded");
    // `.` in label style would make the segment `..`: refused.
    let errors = build(&m, "https://x.test", &args(json!({"x": "."}))).unwrap_err();
    assert!(errors[0].contains("must not be `.` or `..`"), "{errors:?}");
}

#[test]
fn a_query_in_the_path_key_is_kept_and_a_fragment_is_dropped() {
    let q = vec![param("limit", ParamLocation::Query, ParamStyle::Form, true, false)];
    let aws = build(
        &mapping("/?Action=DescribeThings&Version=2", q.clone()),
        "https://x.test/v1",
        &args(json!({"limit": 5})),
    );
    assert_eq!(aws.unwrap().url, "https://x.test/v1/?Action=DescribeThings&Version=2&limit=5");
    let readme = build(&mapping("/cookies#formExploded", q), "https://x.test/v1", &args(json!({"limit": 5})));
    assert_eq!(readme.unwrap().url, "https://x.test/v1/cookies?limit=5");
}
