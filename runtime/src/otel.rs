//! OpenTelemetry trace export (cargo feature `otel`, off by default): when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, every tool call's
//! span is exported over OTLP/HTTP as JSON, as a child of the caller's trace. Without the feature
//! the functions here do nothing, and a configured endpoint gets a warning saying how to enable it.

use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

use super::trace::TraceContext;

/// Environment variables that turn export on (the OpenTelemetry standard names).
pub const ENDPOINT_VARIABLES: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];

/// The OTLP/HTTP traces URL from the standard variables: the traces endpoint as given, else the
/// base endpoint plus `/v1/traces`.
pub fn endpoint_from_env() -> Option<String> {
    let read = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    read(ENDPOINT_VARIABLES[0])
        .or_else(|| read(ENDPOINT_VARIABLES[1]).map(|base| format!("{}/v1/traces", base.trim_end_matches('/'))))
}

/// Flushes pending spans when dropped (at exit).
pub struct Guard {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("warning: exporting the last traces failed: {err}");
        }
    }
}

/// The layer exporting spans of `service` to the OTLP/HTTP traces URL `endpoint` (none: no
/// export), and the guard that flushes it. `runtime` runs the exporter's HTTP requests.
#[cfg(feature = "otel")]
pub fn layer<S>(
    service: &str,
    endpoint: Option<String>,
    runtime: &tokio::runtime::Handle,
) -> (Option<Box<dyn Layer<S> + Send + Sync>>, Guard)
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{Protocol, WithExportConfig as _, WithHttpConfig as _};

    let Some(endpoint) = endpoint else { return (None, Guard { provider: None }) };
    let client = ExportClient { http: reqwest::Client::new(), runtime: runtime.clone() };
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(endpoint)
        .with_http_client(client)
        .build()
    {
        Ok(exporter) => exporter,
        Err(err) => {
            eprintln!("warning: OpenTelemetry export is off: {err}");
            return (None, Guard { provider: None });
        }
    };
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service.to_owned()).build();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer(service.to_owned());
    let layer = tracing_opentelemetry::layer().with_tracer(tracer).boxed();
    (Some(layer), Guard { provider: Some(provider) })
}

/// Without the `otel` feature: nothing to export (a configured endpoint gets a warning).
#[cfg(not(feature = "otel"))]
pub fn layer<S>(
    _service: &str,
    endpoint: Option<String>,
    _runtime: &tokio::runtime::Handle,
) -> (Option<Box<dyn Layer<S> + Send + Sync>>, Guard)
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    if endpoint.is_some() {
        eprintln!(
            "warning: OTEL_EXPORTER_OTLP_ENDPOINT is set, but this server was built without OpenTelemetry; rebuild with `cargo build --features otel`"
        );
    }
    (None, Guard {})
}

/// Makes `span` (a tool call's) a child of the caller's trace in `trace`, and `trace` carry the
/// exported span's ids, so the upstream request, the logs and the exported span line up.
#[cfg(feature = "otel")]
pub fn adopt(span: &tracing::Span, trace: &mut TraceContext) {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    if let Some(parent) = &trace.parent_id
        && let (Ok(trace_id), Ok(span_id)) = (TraceId::from_hex(&trace.trace_id), SpanId::from_hex(parent))
    {
        let flags = if trace.sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        let remote = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
    let context = span.context();
    let exported = context.span().span_context().clone();
    if exported.is_valid() {
        trace.trace_id = exported.trace_id().to_string();
        trace.span_id = exported.span_id().to_string();
    }
}

/// Without the `otel` feature: the trace is already complete.
#[cfg(not(feature = "otel"))]
pub fn adopt(_span: &tracing::Span, _trace: &mut TraceContext) {}

/// The exporter's HTTP client: the server's reqwest, run on the server's tokio runtime (the batch
/// exporter calls it from its own thread).
#[cfg(feature = "otel")]
#[derive(Debug)]
struct ExportClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[cfg(feature = "otel")]
#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let http = self.http.clone();
        let task = self.runtime.spawn(async move {
            let (parts, body) = request.into_parts();
            let response = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .timeout(std::time::Duration::from_secs(10))
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            let mut out = http::Response::new(body);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok::<_, reqwest::Error>(out)
        });
        match task.await {
            Ok(result) => result.map_err(|err| Box::new(err) as opentelemetry_http::HttpError),
            Err(err) => Err(Box::new(err)),
        }
    }
}
