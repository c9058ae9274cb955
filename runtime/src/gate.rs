//! The HTTP front door when inbound auth is on: bearer challenge (401), tenant check, per-tool
//! scope check on `tools/call` (403 `insufficient_scope`, so clients can step up), and the RFC 9728
//! protected resource metadata.
//!
//! The scope check reads the JSON-RPC body before rmcp does because the step-up challenge is an
//! HTTP status; the MCP handler checks again (and hides tools from `tools/list`), so a request
//! that reaches it some other way is still refused.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::inbound::{Authenticator, metadata_url};

/// What the gate needs to decide.
pub struct Gate {
    /// Token validation.
    pub authenticator: Arc<Authenticator>,
    /// Scopes each tool requires, by tool name.
    pub tool_scopes: HashMap<String, Vec<String>>,
    /// Roles that may use each tool, by tool name, when RBAC is on.
    pub tool_roles: Option<HashMap<String, Vec<String>>>,
    /// Known tenants when tenancy is on.
    pub tenants: Option<Vec<String>>,
    /// Where refusals are counted.
    pub metrics: Arc<super::metrics::Metrics>,
    /// Where refusals are recorded.
    pub audit: Option<Arc<super::audit::AuditLog>>,
    /// Whether the discovery surface is served: a `call_tool` meta-call is then checked as a
    /// direct call of its inner tool, with the same 403.
    pub discovery: bool,
}

impl Gate {
    /// Counts and records a refused request.
    fn refused(&self, reason: &str, principal: Option<&str>, tool: Option<&str>) {
        self.metrics.auth_failure(reason);
        if let Some(audit) = &self.audit {
            let request_id = super::trace::random_hex(8);
            audit.record(&super::audit::Event {
                request_id: &request_id,
                trace_id: "-",
                principal: principal.unwrap_or("-"),
                tool,
                decision: "denied",
                outcome: reason,
                ..Default::default()
            });
        }
    }
}

impl Gate {
    fn challenge(&self, error: Option<(&str, &str)>) -> Response {
        let definition = self.authenticator.definition();
        let mut value = format!(r#"Bearer resource_metadata="{}""#, metadata_url(&definition.resource));
        if !definition.scopes_supported.is_empty() {
            value.push_str(&format!(r#", scope="{}""#, definition.scopes_supported.join(" ")));
        }
        if let Some((code, description)) = error {
            value.push_str(&format!(r#", error="{code}", error_description="{}""#, description.replace('"', "'")));
        }
        let mut response = (StatusCode::UNAUTHORIZED, "authentication required\n").into_response();
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }

    fn insufficient_scope(&self, tool: &str, needed: &[String]) -> Response {
        let definition = self.authenticator.definition();
        let value = format!(
            r#"Bearer error="insufficient_scope", scope="{}", resource_metadata="{}", error_description="tool {tool} needs more scopes""#,
            needed.join(" "),
            metadata_url(&definition.resource)
        );
        let mut response =
            (StatusCode::FORBIDDEN, format!("tool `{tool}` requires scopes: {}\n", needed.join(" "))).into_response();
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// axum middleware in front of `/mcp`.
pub async fn guard(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let Some(bearer) = bearer else {
        tracing::info!(reason = "no bearer token", "request refused (401)");
        gate.refused("missing_token", None, None);
        return gate.challenge(None);
    };
    let principal = match gate.authenticator.authenticate(&bearer).await {
        Ok(principal) => principal,
        Err(rejection) => {
            tracing::warn!(reason = %rejection.0, "request refused (401)");
            gate.refused("invalid_token", None, None);
            return gate.challenge(Some(("invalid_token", &rejection.0)));
        }
    };
    if let Some(tenants) = &gate.tenants {
        match &principal.tenant {
            Some(tenant) if tenants.contains(tenant) => {}
            other => {
                let why = match other {
                    Some(tenant) => format!("tenant `{tenant}` is not served here"),
                    None => "the token names no tenant".to_owned(),
                };
                tracing::warn!(subject = %principal.subject, reason = %why, "request refused (403)");
                gate.refused("unknown_tenant", Some(&principal.subject), None);
                return (StatusCode::FORBIDDEN, format!("{why}\n")).into_response();
            }
        }
    }
    let (mut parts, body) = request.into_parts();
    // The router's outermost layer (`limits::read_body`) has already read the body, within
    // `--max-body-bytes` and the body timeout; a second, different cap here would only disagree.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response(),
    };
    if let Some(tool) = called_tool(&bytes, gate.discovery)
        && let Some(needed) = gate.tool_scopes.get(&tool)
        && !principal.has_scopes(needed)
    {
        tracing::warn!(subject = %principal.subject, tool = %tool, "tool call refused: insufficient scope (403)");
        gate.refused("insufficient_scope", Some(&principal.subject), Some(&tool));
        return gate.insufficient_scope(&tool, needed);
    }
    if let (Some(tool), Some(roles)) = (called_tool(&bytes, gate.discovery), &gate.tool_roles)
        && let Some(allowed) = roles.get(&tool)
        && !allowed.iter().any(|r| principal.roles.contains(r))
    {
        tracing::warn!(subject = %principal.subject, tool = %tool, "tool call refused: no role grants it (403)");
        gate.refused("missing_role", Some(&principal.subject), Some(&tool));
        return (StatusCode::FORBIDDEN, format!("tool `{tool}` requires one of the roles: {}\n", allowed.join(", ")))
            .into_response();
    }
    parts.extensions.insert(principal);
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The tool a JSON-RPC `tools/call` request body runs: its `name`, or with `discovery` the
/// inner tool of a `call_tool` meta-call (search and describe run none: they only ever show
/// what the caller may call).
fn called_tool(body: &[u8], discovery: bool) -> Option<String> {
    let message: Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let params = message.get("params")?;
    let name = params.get("name")?.as_str()?;
    if discovery && super::discovery::Meta::named(name).is_some() {
        return params.get("arguments")?.get("name")?.as_str().map(str::to_owned);
    }
    Some(name.to_owned())
}
