//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use mcpgen_runtime::Registry;
use mcpgen_runtime::cli::{Options, Transport};
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::registry::Selection;
use mcpgen_runtime::secrets::Secrets;
use rmcp::model::CallToolResult;
use serde_json::Value;

pub mod session;

/// Secrets that read environment variables from `vars` only.
pub fn secrets(vars: &[(&str, &str)]) -> Arc<Secrets> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Arc::new(Secrets::new(Arc::new(move |name| vars.get(name).cloned())))
}

/// A registry for the default environment with environment variables `vars`.
pub fn registry(definition: ServerDefinition, vars: &[(&str, &str)]) -> Result<Registry, String> {
    Registry::new(definition, &Selection::default(), secrets(vars))
}

/// A registry for the default environment serving `tenant`.
pub fn registry_for(
    definition: ServerDefinition,
    vars: &[(&str, &str)],
    tenant: Option<&str>,
) -> Result<Registry, String> {
    let selection = Selection {
        environment: None,
        tenant: tenant.map(str::to_owned),
        audit_file: None,
        toolsets: Vec::new(),
        profile: None,
    };
    Registry::new(definition, &selection, secrets(vars))
}

/// Serves `app` on an ephemeral 127.0.0.1 port; returns `http://127.0.0.1:PORT`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mcpgen_runtime::transport::serve_app(listener, app, std::future::pending()));
    format!("http://{addr}")
}

/// Serves `app` on an ephemeral 127.0.0.1 port under `limits`; returns its address.
pub async fn serve_limited(app: axum::Router, limits: mcpgen_runtime::limits::HttpLimits) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(mcpgen_runtime::connections::serve(listener, app, limits, std::future::pending()));
    addr
}

/// Options of an HTTP server on an ephemeral 127.0.0.1 port with text logs.
pub fn http_options() -> Options {
    Options {
        transport: Transport::Http,
        listen: "127.0.0.1:0".parse().unwrap(),
        allowed_hosts: vec![],
        allowed_origins: vec![],
        environment: None,
        tenant: None,
        log_json: false,
        metrics_listen: None,
        audit_file: None,
        limits: mcpgen_runtime::limits::HttpLimits::default(),
        surface: None,
        toolsets: Vec::new(),
        profile: None,
    }
}

/// The text blocks of a tool result, one per line.
pub fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

/// A writer for a test's tracing subscriber that keeps every byte logged.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Text logs of the current thread (the server's default format, no colours) into this
    /// writer, at the default level (info), until the guard drops.
    pub fn text_logs(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// Logs of the current thread as the server writes them with `--log-format json` (the
    /// call's span fields under `span`), up to `level`, into this writer until the guard drops.
    pub fn json_logs(&self, level: tracing::Level) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(move || writer.clone())
            .with_max_level(level)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The JSON log lines logged so far.
    pub fn json_lines(&self) -> Vec<Value> {
        self.text().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}
