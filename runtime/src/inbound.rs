//! Who is calling: bearer JWTs validated against the issuer's JWKS (OAuth 2.1 resource server),
//! opaque tokens checked by introspection (`introspection.rs`), or static client API keys stored as
//! SHA-256 digests.
//!
//! Token checks follow OAuth 2.1 §5.2 and the MCP authorization spec: signature by a key of the
//! configured JWKS (RS256, ES256 or EdDSA only — never `none` or a shared secret), `iss`, `aud` =
//! this server's resource URI (RFC 8707), `exp`/`nbf` with a small leeway. Keys are cached and the
//! JWKS is fetched again when a token names an unknown `kid` (key rotation), at most every few
//! seconds so that made-up `kid`s cannot turn the server into a load generator.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::SecretString;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::definition::{InboundAuthDefinition, JwtDefinition};
use super::introspection::Introspector;
use super::secrets::Secrets;

/// Shortest time between two JWKS fetches caused by unknown key ids.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Keys are fetched again after this long even when every `kid` is known.
const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);

/// An authenticated MCP client.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `sub` of the token, or the API key's id.
    pub subject: String,
    /// OAuth client (`client_id` or `azp` claim), when known.
    pub client: Option<String>,
    /// Granted scopes.
    pub scopes: BTreeSet<String>,
    /// Tenant (from the tenancy claim or the API key).
    pub tenant: Option<String>,
    /// Roles (from the roles claim or the API key).
    pub roles: BTreeSet<String>,
    /// The bearer JWT, kept only as the subject of upstream token exchanges; never sent upstream.
    pub token: Option<SecretString>,
}

impl Principal {
    /// Whether every scope in `required` was granted.
    pub fn has_scopes(&self, required: &[String]) -> bool {
        required.iter().all(|scope| self.scopes.contains(scope))
    }
}

/// Why a bearer token was refused (safe to show to the client: no token contents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

/// Validates inbound credentials for one environment.
pub struct Authenticator {
    definition: InboundAuthDefinition,
    tenant_claim: Option<String>,
    roles_claim: Option<String>,
    http: reqwest::Client,
    jwks: tokio::sync::Mutex<JwksState>,
    introspector: Option<Introspector>,
}

#[derive(Default)]
struct JwksState {
    keys: Option<JwkSet>,
    fetched: Option<Instant>,
}

impl Authenticator {
    /// An authenticator for `definition`; the claims name the caller's tenant and roles, and
    /// `secrets` holds the introspection client's credentials.
    pub fn new(
        definition: InboundAuthDefinition,
        tenant_claim: Option<String>,
        roles_claim: Option<String>,
        http: reqwest::Client,
        secrets: Arc<Secrets>,
    ) -> Self {
        let introspector =
            definition.introspection.clone().map(|config| Introspector::new(config, secrets, http.clone()));
        Self {
            definition,
            tenant_claim,
            roles_claim,
            http,
            jwks: tokio::sync::Mutex::new(JwksState::default()),
            introspector,
        }
    }

    /// The settings.
    pub fn definition(&self) -> &InboundAuthDefinition {
        &self.definition
    }

    /// The principal for a bearer `token`.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, Rejection> {
        let looks_like_jwt = token.split('.').count() == 3;
        if let (Some(jwt), true) = (&self.definition.jwt, looks_like_jwt) {
            return self.validate_jwt(jwt, token).await;
        }
        // Static keys are checked locally first; anything else is the authorization server's call.
        match (self.api_key(token), &self.introspector) {
            (Ok(principal), _) => Ok(principal),
            (Err(_), Some(introspector)) => {
                let claims = introspector.claims(token, &self.definition.resource).await?;
                Ok(self.principal(&claims, token))
            }
            (Err(rejection), None) => Err(rejection),
        }
    }

    fn api_key(&self, token: &str) -> Result<Principal, Rejection> {
        let digest = hex(&Sha256::digest(token.as_bytes()));
        let key = self
            .definition
            .api_keys
            .iter()
            .find(|key| key.sha256.eq_ignore_ascii_case(&digest))
            .ok_or_else(|| Rejection("the token is neither a valid JWT nor a known token or API key".into()))?;
        Ok(Principal {
            subject: key.id.clone(),
            client: Some(key.id.clone()),
            scopes: key.scopes.iter().cloned().collect(),
            tenant: key.tenant.clone(),
            roles: key.roles.iter().cloned().collect(),
            token: None,
        })
    }

    async fn validate_jwt(&self, jwt: &JwtDefinition, token: &str) -> Result<Principal, Rejection> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|err| Rejection(format!("malformed token header ({err})")))?;
        let allowed = algorithms(jwt);
        if !allowed.contains(&header.alg) {
            return Err(Rejection(format!("signing algorithm {:?} is not accepted", header.alg)));
        }
        let key = self.key(jwt, header.kid.as_deref(), header.alg).await?;
        // One algorithm (already checked against the allowed list): jsonwebtoken requires every
        // listed algorithm to match the key's family.
        let mut validation = Validation::new(header.alg);
        validation.leeway = jwt.leeway_seconds;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.definition.resource]);
        validation.set_issuer(&[&jwt.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|err| {
            use jsonwebtoken::errors::ErrorKind;
            Rejection(
                match err.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                    ErrorKind::InvalidAudience => "the token was not issued for this server (aud)",
                    ErrorKind::InvalidIssuer => "the token was issued by an untrusted issuer (iss)",
                    ErrorKind::InvalidSignature => "the token signature is invalid",
                    ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss or aud)",
                    ErrorKind::InvalidAlgorithm => "the token's algorithm does not match its key",
                    _ => "the token is invalid",
                }
                .to_owned(),
            )
        })?;
        Ok(self.principal(&data.claims, token))
    }

    /// The caller described by validated token `claims` (of a JWT or an introspection answer).
    fn principal(&self, claims: &Map<String, Value>, token: &str) -> Principal {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let words = |claim: &str| -> BTreeSet<String> {
            match claims.get(claim) {
                Some(Value::String(list)) => list.split_whitespace().map(str::to_owned).collect(),
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                _ => BTreeSet::new(),
            }
        };
        let mut scopes = words("scope");
        scopes.extend(words("scp"));
        let roles = self.roles_claim.as_deref().map(words).unwrap_or_default();
        let tenant = self.tenant_claim.as_deref().and_then(|claim| match claims.get(claim) {
            Some(Value::String(tenant)) => Some(tenant.clone()),
            Some(Value::Number(tenant)) => Some(tenant.to_string()),
            _ => None,
        });
        Principal {
            subject: text("sub").unwrap_or_default(),
            client: text("client_id").or_else(|| text("azp")),
            scopes,
            tenant,
            roles,
            token: Some(SecretString::from(token.to_owned())),
        }
    }

    /// Whether tokens can be checked now: no JWT validation, or signing keys cached or fetchable.
    pub async fn signing_keys_available(&self) -> bool {
        let Some(jwt) = &self.definition.jwt else { return true };
        let mut state = self.jwks.lock().await;
        if state.keys.is_some() {
            return true;
        }
        match self.fetch(jwt).await {
            Ok(keys) => {
                state.keys = Some(keys);
                state.fetched = Some(Instant::now());
                true
            }
            Err(err) => {
                tracing::warn!(jwks_url = %jwt.jwks_url, error = %err, "not ready: cannot fetch the JWKS");
                false
            }
        }
    }

    /// The verification key named `kid`, fetching the JWKS when it is unknown or old.
    async fn key(&self, jwt: &JwtDefinition, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, Rejection> {
        let mut state = self.jwks.lock().await;
        let stale = state.fetched.is_none_or(|at| at.elapsed() > JWKS_MAX_AGE);
        let known = state.keys.as_ref().and_then(|keys| pick(keys, kid, alg)).is_some();
        let may_refetch = state.fetched.is_none_or(|at| at.elapsed() >= JWKS_REFETCH_INTERVAL);
        if stale || (!known && may_refetch) {
            match self.fetch(jwt).await {
                Ok(keys) => {
                    state.keys = Some(keys);
                    state.fetched = Some(Instant::now());
                }
                Err(err) => {
                    tracing::warn!(jwks_url = %jwt.jwks_url, error = %err, "cannot fetch the JWKS");
                    if state.keys.is_none() {
                        return Err(Rejection("the token cannot be checked now: signing keys are unavailable".into()));
                    }
                }
            }
        }
        let keys = state.keys.as_ref().ok_or_else(|| Rejection("no signing keys are available".into()))?;
        let jwk =
            pick(keys, kid, alg).ok_or_else(|| Rejection("the token was signed with an unknown key (kid)".into()))?;
        DecodingKey::from_jwk(jwk).map_err(|_| Rejection("the signing key in the JWKS is unusable".into()))
    }

    async fn fetch(&self, jwt: &JwtDefinition) -> Result<JwkSet, String> {
        let response = self.http.get(&jwt.jwks_url).send().await.map_err(|err| err.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status().as_u16()));
        }
        response.json::<JwkSet>().await.map_err(|err| format!("not a JWKS document ({err})"))
    }
}

/// The key for `kid` (or, when the token names none, the only key usable with `alg`).
fn pick<'a>(keys: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a jsonwebtoken::jwk::Jwk> {
    match kid {
        Some(kid) => keys.find(kid),
        None => {
            let mut usable = keys.keys.iter().filter(|jwk| jwk.is_supported() && key_fits(jwk, alg));
            let first = usable.next()?;
            usable.next().is_none().then_some(first)
        }
    }
}

fn key_fits(jwk: &jsonwebtoken::jwk::Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    matches!(
        (&jwk.algorithm, alg),
        (P::RSA(_), Algorithm::RS256)
            | (P::EllipticCurve(_), Algorithm::ES256)
            | (P::OctetKeyPair(_), Algorithm::EdDSA)
    )
}

/// The configured algorithms; only asymmetric ones are ever accepted.
fn algorithms(jwt: &JwtDefinition) -> Vec<Algorithm> {
    jwt.algorithms
        .iter()
        .filter_map(|name| match name.as_str() {
            "RS256" => Some(Algorithm::RS256),
            "ES256" => Some(Algorithm::ES256),
            "EdDSA" => Some(Algorithm::EdDSA),
            _ => None,
        })
        .collect()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// URL of the protected resource metadata for `resource` (RFC 9728 §3.1: the well-known path is
/// inserted between the host and the resource's path).
pub fn metadata_url(resource: &str) -> String {
    match reqwest::Url::parse(resource) {
        Ok(url) => {
            let path = url.path().trim_end_matches('/');
            format!("{}/.well-known/oauth-protected-resource{path}", url.origin().ascii_serialization())
        }
        Err(_) => format!("{}/.well-known/oauth-protected-resource", resource.trim_end_matches('/')),
    }
}

/// The RFC 9728 metadata document.
pub fn metadata(definition: &InboundAuthDefinition) -> Value {
    let mut document = Map::new();
    document.insert("resource".into(), Value::String(definition.resource.clone()));
    document.insert("authorization_servers".into(), definition.authorization_servers.clone().into());
    document.insert("bearer_methods_supported".into(), vec!["header"].into());
    if !definition.scopes_supported.is_empty() {
        document.insert("scopes_supported".into(), definition.scopes_supported.clone().into());
    }
    Value::Object(document)
}
