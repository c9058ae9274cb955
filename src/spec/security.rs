//! Security schemes (`components.securitySchemes`) and requirements (`security`) of a spec, read
//! from the document itself so every OpenAPI version and scheme type (3.1 `mutualTLS` included) is
//! seen, with pointers for diagnostics.

use indexmap::IndexMap;
use serde_json::Value;

use super::Spec;
use crate::definition::ParamLocation;
use crate::source_map::escape_token;

/// What kind of credential a scheme takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `apiKey` in a header, query parameter or cookie.
    ApiKey {
        /// Where the key goes.
        location: ParamLocation,
        /// Header, parameter or cookie name.
        name: String,
    },
    /// `http` with scheme `bearer`.
    Bearer,
    /// `http` with scheme `basic`.
    Basic,
    /// `oauth2`.
    OAuth2 {
        /// The token endpoint of the scheme's flows (client credentials preferred), when given.
        token_url: Option<String>,
    },
    /// `openIdConnect`.
    OpenIdConnect,
    /// `mutualTLS` (3.1).
    MutualTls,
    /// Anything else (another HTTP scheme, a malformed entry): described for the message.
    Unsupported(String),
}

impl SchemeKind {
    /// Human name for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::ApiKey { location, name } => format!("an API key ({name} in the {})", location_name(*location)),
            Self::Bearer => "HTTP bearer".into(),
            Self::Basic => "HTTP basic".into(),
            Self::OAuth2 { .. } => "OAuth 2".into(),
            Self::OpenIdConnect => "OpenID Connect".into(),
            Self::MutualTls => "mutual TLS".into(),
            Self::Unsupported(what) => what.clone(),
        }
    }
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Header => "header",
        ParamLocation::Query => "query",
        ParamLocation::Cookie => "cookie",
        ParamLocation::Path => "path",
    }
}

/// One alternative of a security requirement: scheme name → scopes, all applied together.
pub type Requirement = Vec<(String, Vec<String>)>;

/// The spec's security schemes by name, in document order.
pub fn schemes(spec: &Spec) -> IndexMap<String, SchemeKind> {
    let Some(Value::Object(map)) = spec.doc.get("/components/securitySchemes") else { return IndexMap::new() };
    map.iter()
        .map(|(name, scheme)| {
            let scheme = resolve(spec, scheme);
            (name.clone(), kind(scheme))
        })
        .collect()
}

fn resolve<'a>(spec: &'a Spec, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => spec.doc.get(pointer).unwrap_or(value),
        None => value,
    }
}

fn kind(scheme: &Value) -> SchemeKind {
    let text = |key: &str| scheme.get(key).and_then(Value::as_str);
    match text("type") {
        Some("apiKey") => {
            let location = match text("in") {
                Some("header") => ParamLocation::Header,
                Some("query") => ParamLocation::Query,
                Some("cookie") => ParamLocation::Cookie,
                other => return SchemeKind::Unsupported(format!("an API key in `{}`", other.unwrap_or("?"))),
            };
            match text("name") {
                Some(name) if !name.is_empty() => SchemeKind::ApiKey { location, name: name.to_owned() },
                _ => SchemeKind::Unsupported("an API key without a name".into()),
            }
        }
        Some("http") => match text("scheme").map(str::to_ascii_lowercase).as_deref() {
            Some("bearer") => SchemeKind::Bearer,
            Some("basic") => SchemeKind::Basic,
            other => SchemeKind::Unsupported(format!("HTTP `{}` authentication", other.unwrap_or("?"))),
        },
        // Every flow's token endpoint is the authorization server's; client credentials first.
        Some("oauth2") => SchemeKind::OAuth2 {
            token_url: ["clientCredentials", "authorizationCode", "password"]
                .iter()
                .find_map(|flow| scheme.pointer(&format!("/flows/{flow}/tokenUrl")).and_then(Value::as_str))
                .map(str::to_owned),
        },
        Some("openIdConnect") => SchemeKind::OpenIdConnect,
        Some("mutualTLS") => SchemeKind::MutualTls,
        other => SchemeKind::Unsupported(format!("a `{}` scheme", other.unwrap_or("?"))),
    }
}

/// The requirement alternatives of the operation at `pointer` (its own `security`, else the
/// document's). Empty: no credentials needed.
pub fn requirements(spec: &Spec, pointer: &str) -> Vec<Requirement> {
    let own = spec.doc.get(&format!("{pointer}/security"));
    let Some(Value::Array(alternatives)) = own.or_else(|| spec.doc.get("/security")) else { return Vec::new() };
    alternatives
        .iter()
        .filter_map(Value::as_object)
        .map(|alternative| {
            alternative
                .iter()
                .map(|(scheme, scopes)| {
                    let scopes = scopes.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned);
                    (scheme.clone(), scopes.collect())
                })
                .collect()
        })
        .collect()
}

/// Pointer of a scheme, for diagnostics.
pub fn scheme_pointer(name: &str) -> String {
    format!("/components/securitySchemes/{}", escape_token(name))
}
