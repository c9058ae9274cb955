//! Command-line options of generated servers.

use std::ffi::OsString;

use mcpgen_runtime::cli::{Transport, parse};
use mcpgen_runtime::definition::ServerDefinition;
use serde_json::json;

fn definition() -> ServerDefinition {
    serde_json::from_value(json!({
        "@generated": "test", "name": "t-mcp", "version": "1.2.3",
        "apis": [{"id": "t", "baseUrlEnv": "T_BASE_URL"}], "environments": [{"name": "default", "apis": [{"id": "t", "baseUrl": "https://t.example.com"}]}], "tools": []
    }))
    .unwrap()
}

fn args(list: &[&str]) -> Vec<OsString> {
    std::iter::once("t-mcp").chain(list.iter().copied()).map(OsString::from).collect()
}

#[test]
fn defaults_are_stdio_on_loopback() {
    let options = parse(&definition(), args(&[])).unwrap();
    assert_eq!(options.transport, Transport::Stdio);
    assert_eq!(options.listen.to_string(), "127.0.0.1:8080");
    assert!(options.allowed_hosts.is_empty() && options.allowed_origins.is_empty());
}

#[test]
fn http_options_are_parsed() {
    let options = parse(
        &definition(),
        args(&[
            "--transport",
            "http",
            "--listen",
            "0.0.0.0:9000",
            "--allowed-host",
            "mcp.example.com",
            "--allowed-origin",
            "https://app.example.com:443",
        ]),
    )
    .unwrap();
    assert_eq!(options.transport, Transport::Http);
    assert_eq!(options.listen.port(), 9000);
    assert_eq!(options.allowed_hosts, ["mcp.example.com"]);
    assert_eq!(options.allowed_origins, ["https://app.example.com:443"]);
}

#[test]
fn help_names_the_base_url_variables_and_bad_values_are_refused() {
    let err = parse(&definition(), args(&["--help"])).unwrap_err();
    let help = err.to_string();
    assert!(help.contains("T_BASE_URL") && help.contains("https://t.example.com"), "{help}");
    let err = parse(&definition(), args(&["--version"])).unwrap_err();
    assert!(err.to_string().contains("1.2.3"));
    assert!(parse(&definition(), args(&["--transport", "carrier-pigeon"])).is_err());
    assert!(parse(&definition(), args(&["--listen", "nowhere"])).is_err());
}

#[test]
fn http_limits_default_to_the_documented_values_and_can_be_changed() {
    use mcpgen_runtime::limits::HttpLimits;
    use std::time::Duration;
    assert_eq!(parse(&definition(), args(&[])).unwrap().limits, HttpLimits::default());
    let defaults = HttpLimits::default();
    assert_eq!(
        (defaults.header_timeout, defaults.body_timeout, defaults.idle_timeout),
        (Duration::from_secs(10), Duration::from_secs(30), Duration::from_secs(60))
    );
    assert_eq!((defaults.max_connections, defaults.max_body_bytes), (512, 4 * 1024 * 1024));
    let options = parse(
        &definition(),
        args(&[
            "--header-timeout-secs=2",
            "--body-timeout-secs=3",
            "--idle-timeout-secs=4",
            "--max-connections=5",
            "--max-body-bytes=6",
        ]),
    )
    .unwrap();
    let expected = HttpLimits {
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(3),
        idle_timeout: Duration::from_secs(4),
        max_connections: 5,
        max_body_bytes: 6,
    };
    assert_eq!(options.limits, expected);
    // Zero would mean "close at once" or "serve nobody"; refused rather than guessed at.
    for zero in ["--header-timeout-secs=0", "--max-connections=0", "--max-body-bytes=0"] {
        assert!(parse(&definition(), args(&[zero])).is_err(), "{zero}");
    }
}
