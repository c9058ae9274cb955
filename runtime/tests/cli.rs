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
