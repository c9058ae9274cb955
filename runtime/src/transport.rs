//! Serving MCP over stdio or Streamable HTTP, and logging (always to stderr: on stdio, stdout is
//! the protocol channel).

use std::sync::Arc;

use anyhow::Context as _;
use rmcp::ServiceExt as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use tracing_subscriber::EnvFilter;

use super::cli::{Options, Transport};
use super::connections;
use super::gate::{Gate, guard};
use super::inbound::{metadata, metadata_url};
use super::limits::{HttpLimits, read_body};
use super::otel;
use super::registry::Registry;
use super::server::McpServer;

/// Logs to stderr, as text or one JSON object per line (`--log-format json`); `RUST_LOG`
/// overrides the default level (`warn` on stdio, `info` on HTTP). Each tool call's line carries
/// the fields of its span: tool, API, route, client, request id, trace id. With the `otel` feature
/// and an OTLP endpoint configured, spans are exported too; keep the guard until exit.
pub fn init_logging(options: &Options, service: &str, runtime: &tokio::runtime::Handle) -> otel::Guard {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let default = if options.transport == Transport::Stdio { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let json = options.log_json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
    });
    let text =
        (!options.log_json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false));
    let (export, guard) = otel::layer(service, otel::endpoint_from_env(), runtime);
    let _ = tracing_subscriber::registry().with(export).with(filter).with(json).with(text).try_init();
    guard
}

/// Serves until the client disconnects (stdio) or a shutdown signal arrives (HTTP).
pub async fn serve(registry: Registry, options: &Options) -> anyhow::Result<()> {
    let server = McpServer::with_surface(registry, options.surface);
    if let Some(addr) = options.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {addr}"))?;
        let addr = listener.local_addr()?;
        let app = operations_router(&server, true);
        let limits = options.limits;
        tracing::info!("metrics on http://{addr}/metrics");
        eprintln!("metrics on http://{addr}/metrics");
        tokio::spawn(async move {
            if let Err(err) = connections::serve(listener, app, limits, std::future::pending()).await {
                tracing::error!("metrics listener failed: {err}");
            }
        });
    }
    match options.transport {
        Transport::Stdio => {
            let (server, pages) = server.with_pages();
            let running = server
                .serve((tokio::io::stdin(), super::stdio::stdout().with_pages(pages)))
                .await
                .context("MCP handshake over stdio failed")?;
            running.waiting().await.context("stdio session ended with an error")?;
            Ok(())
        }
        Transport::Http => serve_http(server, options).await,
    }
}

async fn serve_http(server: McpServer, options: &Options) -> anyhow::Result<()> {
    let app = router(server, options);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}/mcp");
    eprintln!("listening on http://{addr}/mcp");
    connections::serve(listener, app, options.limits, shutdown_signal()).await.context("HTTP server failed")?;
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` completes, with the default [`HttpLimits`].
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(listener, app, HttpLimits::default(), shutdown).await
}

/// The HTTP application: `/mcp` (behind the auth gate when inbound auth is on), `/healthz`, and
/// the protected resource metadata.
pub fn router(server: McpServer, options: &Options) -> axum::Router {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    hosts.extend(options.allowed_hosts.iter().cloned());
    // The MCP spec requires Origin validation (DNS rebinding): a request that carries an Origin must
    // carry an allowed one — loopback pages on any port, like the Host check, plus --allowed-origin.
    // Native clients send no Origin and are unaffected.
    let mut origins: Vec<String> =
        ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"].into_iter().map(str::to_owned).collect();
    origins.extend(options.allowed_origins.iter().cloned());
    let config = StreamableHttpServerConfig::default()
        .with_max_request_body_bytes(options.limits.max_body_bytes)
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        // Stateless (2026-07-28) calls that answer with one message get it as one JSON body,
        // one write; rmcp falls back to an event stream when progress comes first.
        .with_json_response(true);
    let inbound = server.registry().inbound.clone();
    let gate = inbound.as_ref().map(|authenticator| {
        Arc::new(Gate {
            authenticator: authenticator.clone(),
            tool_scopes: server
                .registry()
                .tools()
                .iter()
                .filter(|t| !t.scopes.is_empty())
                .map(|t| (t.name.clone(), t.scopes.clone()))
                .collect(),
            tenants: server.registry().tenancy.as_ref().map(|t| t.tenants.clone()),
            tool_roles: server
                .registry()
                .rbac
                .then(|| server.registry().tools().iter().map(|t| (t.name.clone(), t.roles.clone())).collect()),
            metrics: server.registry().metrics.clone(),
            audit: server.registry().audit.clone(),
            discovery: server.discovery().is_some(),
        })
    });
    // With --metrics-listen, /metrics lives there only; readiness stays here for load balancers.
    let operations = operations_router(&server, options.metrics_listen.is_none());
    let (server, pages) = server.with_pages();
    let service =
        StreamableHttpService::new(move || Ok(server.clone()), Arc::new(LocalSessionManager::default()), config);
    // rmcp serialises every answer; the layer writes `tools/list` pages into them (`pages`).
    let mcp = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(pages, super::pages::splice_http))
        // Outside the splice: what it holds is final bytes.
        .layer(axum::middleware::from_fn(super::coalesce::coalesce_events));
    let mut app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    app = app.merge(operations);
    match (gate, inbound) {
        (Some(gate), Some(authenticator)) => {
            let document = axum::Json(metadata(authenticator.definition()));
            let resource_path = metadata_url(&authenticator.definition().resource);
            // RFC 9728: clients try the path-suffixed URL first, then the root one; serve both.
            let suffixed = reqwest::Url::parse(&resource_path).map(|u| u.path().to_owned()).unwrap_or_default();
            let root = "/.well-known/oauth-protected-resource";
            let served = document.clone();
            app = app.route(root, axum::routing::get(move || async move { served }));
            if suffixed != root && suffixed.starts_with(root) {
                app = app.route(&suffixed, axum::routing::get(move || async move { document }));
            }
            app = app.merge(mcp.layer(axum::middleware::from_fn_with_state(gate, guard)));
            tracing::info!(resource = %authenticator.definition().resource, "inbound OAuth enabled: /mcp requires a bearer token");
        }
        _ => app = app.merge(mcp),
    }
    // Outermost: no handler (the gate, rmcp) sees a request before its whole body has arrived
    // within the body limit and deadline.
    app.layer(axum::middleware::from_fn_with_state(options.limits, read_body))
}

/// `/readyz`, and `/metrics` (Prometheus text format) when `with_metrics`.
pub fn operations_router(server: &McpServer, with_metrics: bool) -> axum::Router {
    let metrics_server = server.clone();
    let ready_server = server.clone();
    let router = axum::Router::new().route(
        "/readyz",
        axum::routing::get(move || {
            let server = ready_server.clone();
            async move { readiness(&server).await }
        }),
    );
    if !with_metrics {
        return router;
    }
    router.route(
        "/metrics",
        axum::routing::get(move || {
            let server = metrics_server.clone();
            async move {
                for circuit in server.registry().circuits() {
                    circuit.publish(&server.registry().metrics);
                }
                (
                    [(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
                    server.registry().metrics.render(),
                )
            }
        }),
    )
}

/// Ready when inbound tokens can be checked (the JWKS is loadable); open circuits are reported
/// but do not take the whole server out of rotation (other APIs still work).
async fn readiness(server: &McpServer) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    let registry = server.registry();
    let mut circuits = serde_json::Map::new();
    for circuit in registry.circuits() {
        circuits.insert(circuit.name.clone(), format!("{:?}", circuit.breaker.state()).to_lowercase().into());
    }
    let keys_ok = match &registry.inbound {
        Some(authenticator) => authenticator.signing_keys_available().await,
        None => true,
    };
    let status = if keys_ok { axum::http::StatusCode::OK } else { axum::http::StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({"ready": keys_ok, "environment": registry.environment, "circuits": circuits});
    (status, axum::Json(body))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
