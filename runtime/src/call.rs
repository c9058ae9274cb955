//! One tool call from arguments to result: access and tenant checks, the client's rate limit,
//! argument validation, the request, upstream credentials, the resilient send, and the mapping of
//! the response — returning, besides the result, what the logs and metrics need to know.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

use super::credentials::Applied;
use super::inbound::Principal;
use super::outcome::{ErrorClass, Failure, error_meta};
use super::progress::Progress;
use super::registry::{Registry, ToolEntry};
use super::request::{self, PreparedRequest};
use super::response::{self, UpstreamResponse};
use super::secrets::Redactor;
use super::shaping;
use super::shaping_plan::ShapingDefinition;
use super::trace::TraceContext;
use super::upstream::{SendOptions, Sent};

/// What happened in a call, for logs and metrics.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Tenant the call ran for.
    pub tenant: Option<String>,
    /// Last upstream status, when a response arrived.
    pub status: Option<u16>,
    /// Upstream requests made.
    pub attempts: u32,
    /// Error class; `None` for success.
    pub class: Option<ErrorClass>,
}

/// Everything a call needs besides the tool and its arguments.
pub struct CallContext<'a> {
    /// The authenticated caller (`None`: the local operator, as on stdio, or an anonymous HTTP client).
    pub caller: Option<&'a Principal>,
    /// The network address of an HTTP client (`None` on stdio and in process).
    pub peer: Option<IpAddr>,
    /// The call's trace.
    pub trace: &'a TraceContext,
    /// The call's id (results' `_meta`, logs).
    pub request_id: &'a str,
    /// Where waits and retries are reported to the caller.
    pub progress: &'a Progress,
}

/// Runs `entry` with `arguments`.
pub async fn run(
    registry: &Registry,
    entry: &ToolEntry,
    arguments: serde_json::Map<String, Value>,
    context: &CallContext<'_>,
) -> (CallToolResult, Report) {
    let mut report = Report::default();
    let fail = |report: &mut Report, failure: Failure| {
        report.class = Some(failure.class);
        failure.into_result(context.request_id)
    };
    let name = &entry.name;
    let today = super::registry::today();
    if entry.is_retired(today) {
        let deprecation = entry.deprecation.clone();
        let instead = deprecation
            .as_ref()
            .and_then(|d| d.replaced_by.clone())
            .map_or_else(String::new, |r| format!(" Use `{r}` instead."));
        let when = deprecation.and_then(|d| d.sunset).unwrap_or_default();
        return (
            fail(&mut report, Failure::new(ErrorClass::Forbidden, format!("`{name}` was retired on {when}.{instead}"))),
            report,
        );
    }
    if !registry.allows(entry, context.caller, today) {
        let mut needs = Vec::new();
        if !entry.scopes.is_empty() {
            needs.push(format!("the scopes {}", entry.scopes.join(" ")));
        }
        if registry.rbac {
            needs.push(format!("one of the roles {}", entry.roles.join(", ")));
        }
        let failure = Failure::new(
            ErrorClass::Forbidden,
            format!("Access denied: `{name}` requires {}. Ask for access.", needs.join(" and ")),
        );
        return (fail(&mut report, failure), report);
    }
    if let Some(deprecation) = &entry.deprecation {
        tracing::warn!(
            sunset = deprecation.sunset.as_deref().unwrap_or("-"),
            replaced_by = deprecation.replaced_by.as_deref().unwrap_or("-"),
            "deprecated tool called"
        );
    }
    let tenant = match tenant_of(registry, context.caller) {
        Ok(tenant) => tenant,
        Err(why) => return (fail(&mut report, Failure::new(ErrorClass::Forbidden, why)), report),
    };
    report.tenant = tenant.map(str::to_owned);
    if let Err(wait) = registry.check_client_rate(client_key(context.caller, context.peer, tenant)) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let failure = Failure::new(
            ErrorClass::RateLimited,
            format!("Too many calls from this client: the server allows a limited rate per client. Retry in {seconds} s, and space out calls."),
        )
        .retry_after(seconds);
        return (fail(&mut report, failure), report);
    }
    let input = match entry.input_validator() {
        Ok(validator) => validator,
        Err(why) => return (fail(&mut report, faulty_schema(name, "input", why)), report),
    };
    // Shaping arguments first: a continuation handle stands for the arguments it holds, which
    // are then validated like any caller's, and `fields` is checked against the response's
    // fields before anything is sent.
    let (arguments, shaping) = match entry.shaping.as_ref() {
        None => (arguments, None),
        Some(plan) => match shaping::take_arguments(name, plan, arguments) {
            Ok((arguments, taken)) => (arguments, Some((plan, taken))),
            Err(why) => return (fail(&mut report, Failure::new(ErrorClass::InvalidArguments, why)), report),
        },
    };
    let instance = Value::Object(arguments);
    let problems = violations(input, &instance);
    if !problems.is_empty() {
        return (fail(&mut report, invalid_arguments(name, &problems)), report);
    }
    let Value::Object(arguments) = instance else { unreachable!("constructed as an object above") };
    let mut prepared = match request::build(&entry.http, &entry.base_url, &arguments) {
        Ok(prepared) => prepared,
        Err(problems) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
            return (fail(&mut report, invalid_arguments(name, &lines)), report);
        }
    };
    prepared.headers.push(("traceparent".into(), context.trace.traceparent()));
    if let Some(header) = &entry.idempotency_key {
        // One key for the whole call: every retry is recognisably the same request.
        let key = super::trace::random_hex(16);
        prepared.headers.push((header.clone(), key));
    }
    let deadline = Instant::now() + Duration::from_millis(entry.resilience.deadline_ms);
    let (sent, applied) = match send_authenticated(registry, entry, tenant, context, &prepared, deadline).await {
        Ok(sent) => sent,
        Err(why) => {
            tracing::warn!(error = %why, "upstream credentials unavailable");
            let failure = Failure::new(
                ErrorClass::Unauthenticated,
                format!(
                    "The server could not authenticate to the upstream API for {} {}: {why}. This is a server configuration problem; retrying will not help until an operator fixes it.",
                    entry.http.method, entry.http.path
                ),
            );
            return (fail(&mut report, failure), report);
        }
    };
    report.attempts = sent.attempts;
    let mut upstream = match sent.response {
        Ok(upstream) => upstream,
        Err(failure) => return (fail(&mut report, failure), report),
    };
    report.status = Some(upstream.status);
    // Many APIs echo what they were sent (errors quoting the request, debug endpoints, tokens
    // introspected back): whatever the status, credentials never reach the client.
    // Without credentials the redactor is empty: its lists are empty `Vec`s, so building it
    // allocates nothing.
    let redactor = Redactor::new(&applied.secrets);
    if !redactor.is_empty() {
        upstream.body = redactor.body(&upstream.body);
    }
    if let Some((plan, taken)) = &shaping
        && !sent.truncated
        && let Some(result) =
            shaped(entry, plan, taken, &arguments, &upstream, &redactor, context.request_id, &mut report)
    {
        return (result, report);
    }
    let result = map_response(entry, &upstream, sent.truncated, sent.retry_after, context.request_id, &mut report);
    (result, report)
}

/// The failed checks of `instance` against `input`, one line each. `is_valid` stops at the first
/// failure and builds no error values; the errors, with their paths, are collected only for
/// arguments that fail.
fn violations(input: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    if input.is_valid(instance) {
        return Vec::new();
    }
    input
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() { format!("- {e}") } else { format!("- `{at}`: {e}") }
        })
        .collect()
}

/// The shaped result of a successful JSON response that matches the output schema; `None`
/// for anything else (errors, other media, a schema mismatch), which `map_response` words.
#[allow(clippy::too_many_arguments)]
fn shaped(
    entry: &ToolEntry,
    plan: &ShapingDefinition,
    taken: &shaping::Taken,
    arguments: &serde_json::Map<String, Value>,
    upstream: &UpstreamResponse,
    redactor: &Redactor,
    request_id: &str,
    report: &mut Report,
) -> Option<CallToolResult> {
    let value = response::json_value(upstream)?;
    let output = entry.output_validator().transpose().ok()?;
    if output.is_some_and(|v| !v.is_valid(&value)) {
        return None;
    }
    // The declared schema of a shaped tool requires nothing; the spec's `required` still hold
    // for what the upstream sends.
    let missing = shaping::missing_required(&value, &plan.required);
    if !missing.is_empty() {
        report.class = Some(ErrorClass::InvalidResponse);
        let mut result = response::schema_mismatch(upstream, &entry.http.method, &entry.http.path, &missing);
        result.meta = Some(error_meta(ErrorClass::InvalidResponse, None, request_id));
        return Some(result);
    }
    let properties = entry.input_schema().get("properties").and_then(Value::as_object);
    // The body was redacted already, so an echoed credential in a body link reads `[redacted]`.
    let is_secret =
        |text: &str| text.contains(super::secrets::REDACTED) || (!redactor.is_empty() && redactor.text(text) != text);
    let call = shaping::Call {
        tool: &entry.name,
        plan,
        arguments,
        skip: taken.skip,
        arguments_resumed: taken.resumed,
        fields: taken.fields.as_ref(),
        params: &entry.http.params,
        properties,
        base_url: &entry.base_url,
        link: upstream.link.as_deref(),
        is_secret: &is_secret,
    };
    match shaping::shape(&call, value) {
        Ok((value, note)) => {
            if let Some(validator) = output
                && !validator.is_valid(&value)
            {
                // The generator declares shaped tools' schemas so that this cannot happen.
                let failure = Failure::new(
                    ErrorClass::ServerFault,
                    format!(
                        "Tool `{}` cut its result so that it no longer matches its declared output schema. This is a fault of the generated server; call again without `fields`, and report it.",
                        entry.name
                    ),
                );
                report.class = Some(failure.class);
                return Some(failure.into_result(request_id));
            }
            Some(shaping::to_result(value, note, output.is_some()))
        }
        Err(why) => {
            report.class = Some(ErrorClass::ResponseTooLarge);
            Some(Failure::new(ErrorClass::ResponseTooLarge, why).into_result(request_id))
        }
    }
}

/// The tenant a call runs for: the caller's (inbound token or API key), else the one configured at
/// start. With tenancy on, a call without a known tenant is refused.
fn tenant_of<'a>(registry: &'a Registry, caller: Option<&'a Principal>) -> Result<Option<&'a str>, String> {
    let Some(tenancy) = &registry.tenancy else { return Ok(None) };
    let tenant = match (caller, &registry.inbound) {
        (Some(principal), Some(_)) => principal.tenant.as_deref(),
        _ => registry.tenant.as_deref(),
    };
    match tenant {
        Some(tenant) if tenancy.tenants.iter().any(|t| t == tenant) => Ok(Some(tenant)),
        Some(tenant) => Err(format!("Access denied: tenant `{tenant}` is not served by this server.")),
        None => Err(format!(
            "No tenant: this server serves several tenants ({}); the operator must start it with --tenant, or callers must present a token with a `{}` claim.",
            tenancy.tenants.join(", "),
            tenancy.claim
        )),
    }
}

/// Whose rate limit a call counts against: the tenant, else the authenticated client, else the
/// network address of an anonymous HTTP client (IPv6 by its /64, which one host usually owns
/// whole), else the local operator.
fn client_key(caller: Option<&Principal>, peer: Option<IpAddr>, tenant: Option<&str>) -> String {
    match (tenant, caller, peer.map(|ip| ip.to_canonical())) {
        (Some(tenant), _, _) => format!("tenant:{tenant}"),
        (None, Some(principal), _) => format!("client:{}", principal.client.as_deref().unwrap_or(&principal.subject)),
        (None, None, Some(IpAddr::V4(ip))) => format!("ip:{ip}"),
        (None, None, Some(IpAddr::V6(ip))) => {
            let prefix = u128::from(ip) & !((1u128 << 64) - 1);
            format!("ip:{}/64", std::net::Ipv6Addr::from(prefix))
        }
        (None, None, None) => "local".to_owned(),
    }
}

/// Adds the credentials the tool needs and sends; after a 401 with an OAuth token, drops the
/// token, gets a new one and tries once more. `Err`: credentials could not be obtained.
async fn send_authenticated(
    registry: &Registry,
    entry: &ToolEntry,
    tenant: Option<&str>,
    context: &CallContext<'_>,
    prepared: &PreparedRequest,
    deadline: Instant,
) -> Result<(Sent, Applied), String> {
    let (caller, progress) = (context.caller, context.progress);
    let upstream = &registry.upstream;
    let chosen = upstream.choose(&entry.api, &entry.security, tenant)?;
    let client = upstream.client(&entry.api, tenant, registry.client(&entry.api))?;
    let guard = registry.guard(&entry.api);
    let subject = caller.and_then(|p| p.token.as_ref());
    let mut request = prepared.clone();
    let applied = upstream.apply(&entry.api, &chosen, subject, &mut request).await?;
    let how = SendOptions {
        policy: &entry.resilience,
        may_retry: entry.may_retry,
        deadline,
        metrics: &registry.metrics,
        progress,
        circuit: entry.circuit.as_ref(),
    };
    let sent = guard.send(&client, &request, &how).await;
    let unauthorized = matches!(&sent.response, Ok(r) if r.status == 401);
    if !unauthorized || applied.tokens.is_empty() {
        return Ok((sent, applied));
    }
    tracing::info!("upstream answered 401; renewing the OAuth token and retrying once");
    progress.report(|| {
        format!("The {} API refused the access token (HTTP 401); renewing it and retrying once.", entry.api)
    });
    for key in &applied.tokens {
        upstream.tokens.invalidate(key).await;
    }
    let mut request = prepared.clone();
    let applied = upstream.apply(&entry.api, &chosen, subject, &mut request).await?;
    let mut again = guard.send(&client, &request, &how).await;
    again.attempts += sent.attempts;
    Ok((again, applied))
}

fn map_response(
    entry: &ToolEntry,
    upstream: &UpstreamResponse,
    truncated: bool,
    retry_after: Option<Duration>,
    request_id: &str,
    report: &mut Report,
) -> CallToolResult {
    let cap = entry.resilience.max_response_bytes;
    // A cut error body still makes a useful excerpt; a cut success cannot match an output schema.
    if truncated && upstream.status < 400 && entry.has_output_schema() {
        report.class = Some(ErrorClass::ResponseTooLarge);
        return Failure::new(ErrorClass::ResponseTooLarge, format!(
            "The upstream response to {} {} is larger than this server's {cap}-byte limit, so it cannot be returned whole. Narrow the request (filters, smaller pages) and call again.",
            entry.http.method, entry.http.path
        ))
        .into_result(request_id);
    }
    let output = match entry.output_validator().transpose() {
        Ok(output) => output,
        Err(why) => {
            let failure = faulty_schema(&entry.name, "output", why);
            report.class = Some(failure.class);
            return failure.into_result(request_id);
        }
    };
    let mut result = response::to_result(upstream, &entry.http.method, &entry.http.path, output);
    if upstream.status >= 400 {
        let class = ErrorClass::of_status(upstream.status);
        report.class = Some(class);
        let seconds = retry_after.map(|d| d.as_secs_f64().ceil() as u64);
        if let Some(seconds) = seconds {
            result.content.push(ContentBlock::text(format!("The upstream asks to retry after {seconds} s.")));
        }
        result.meta = Some(error_meta(class, seconds, request_id));
    } else if result.is_error == Some(true) {
        // A success status whose body broke the contract (invalid JSON, schema mismatch).
        report.class = Some(ErrorClass::InvalidResponse);
        result.meta = Some(error_meta(ErrorClass::InvalidResponse, None, request_id));
    } else if truncated {
        result.content.push(ContentBlock::text(format!(
            "[truncated: the response exceeded {cap} bytes; only the first {cap} bytes are shown. Narrow the request to see the rest.]"
        )));
    }
    result
}

fn invalid_arguments(tool: &str, lines: &[String]) -> Failure {
    // Problems quote the offending values, which the caller controls: bounded, like every echo.
    Failure::new(
        ErrorClass::InvalidArguments,
        format!(
            "Invalid arguments for `{tool}`:\n{}\nFix these arguments to match the tool's input schema and call again.",
            super::echo::problems(lines).join("\n")
        ),
    )
}

/// The failure of a tool whose `which` schema does not compile: the table is at fault, not the
/// caller, and no retry helps.
fn faulty_schema(name: &str, which: &str, why: &str) -> Failure {
    Failure::new(
        ErrorClass::ServerFault,
        format!(
            "Tool `{name}` cannot run: its {which} schema in this server's tool table does not compile ({}). This is a fault of the generated server, not of the arguments; report it so the server is regenerated.",
            super::echo::clip(why, super::echo::PROBLEM_CHARS)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_http_clients_are_limited_by_address_and_ipv6_by_its_64_prefix() {
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        assert_eq!(client_key(None, ip("192.0.2.7"), None), "ip:192.0.2.7");
        assert_eq!(client_key(None, ip("::ffff:192.0.2.7"), None), "ip:192.0.2.7");
        assert_eq!(client_key(None, ip("2001:db8:1:2:aaaa::1"), None), "ip:2001:db8:1:2::/64");
        assert_eq!(client_key(None, ip("2001:db8:1:2:bbbb::9"), None), client_key(None, ip("2001:db8:1:2::5"), None));
        assert_eq!(client_key(None, None, None), "local");
        assert_eq!(client_key(None, ip("192.0.2.7"), Some("acme")), "tenant:acme");
    }
}
