//! Opaque bearer tokens checked at the authorization server's introspection endpoint (RFC 7662).
//!
//! The answer must say the token is `active`, meant for this server (`aud` names its resource URI,
//! as the MCP authorization spec requires of every access token), issued by the configured issuer
//! when the answer names one, and within `exp`/`nbf`. An active answer is reused until the token
//! expires or `cache_seconds` pass, whichever comes first: a busy client costs one request per
//! interval, and a revoked token stops working within it. Refusals are not cached, so a token the
//! authorization server has just issued works at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::definition::IntrospectionDefinition;
use super::inbound::Rejection;
use super::oauth::client_form_post;
use super::secrets::Secrets;

/// Answers kept at most; past it, expired ones are dropped, then all (a flood of distinct tokens
/// must not grow memory without bound).
const MAX_CACHED: usize = 10_000;
/// Longest wait for the endpoint.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An active answer and until when it may be reused.
struct Cached {
    claims: Map<String, Value>,
    until: Instant,
}

/// Asks the authorization server about tokens, and remembers active answers for a while.
pub struct Introspector {
    definition: IntrospectionDefinition,
    secrets: Arc<Secrets>,
    http: reqwest::Client,
    /// By SHA-256 of the token: the plain token is never kept longer than the request.
    cache: Mutex<HashMap<[u8; 32], Cached>>,
}

impl Introspector {
    /// An introspector for `definition`, resolving its client secret through `secrets`.
    pub fn new(definition: IntrospectionDefinition, secrets: Arc<Secrets>, http: reqwest::Client) -> Self {
        Self { definition, secrets, http, cache: Mutex::new(HashMap::new()) }
    }

    /// The settings.
    pub fn definition(&self) -> &IntrospectionDefinition {
        &self.definition
    }

    /// The claims of `token`, when the authorization server vouches for it as an access token
    /// for `resource`.
    pub async fn claims(&self, token: &str, resource: &str) -> Result<Map<String, Value>, Rejection> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.cached(&key) {
            return Ok(claims);
        }
        let answer = self.ask(token).await?;
        let now = unix_now();
        check(&answer, &self.definition, resource, now)?;
        let mut reuse = Duration::from_secs(self.definition.cache_seconds);
        if let Some(exp) = answer.get("exp").and_then(Value::as_u64) {
            reuse = reuse.min(Duration::from_secs(exp.saturating_sub(now)));
        }
        if !reuse.is_zero() {
            let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.len() >= MAX_CACHED {
                let now = Instant::now();
                cache.retain(|_, cached| cached.until > now);
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
            }
            cache.insert(key, Cached { claims: answer.clone(), until: Instant::now() + reuse });
        }
        Ok(answer)
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Map<String, Value>> {
        let cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(key).filter(|cached| cached.until > Instant::now()).map(|cached| cached.claims.clone())
    }

    async fn ask(&self, token: &str) -> Result<Map<String, Value>, Rejection> {
        let unavailable = |why: String| {
            tracing::warn!(url = %self.definition.url, error = %why, "token introspection failed");
            Rejection(
                "the token cannot be checked now: the authorization server's introspection endpoint is unavailable"
                    .into(),
            )
        };
        let client_id = self.secrets.resolve(&self.definition.client_id).map_err(unavailable)?;
        let client_secret = self.secrets.resolve(&self.definition.client_secret).map_err(unavailable)?;
        let form = vec![("token", token.to_owned()), ("token_type_hint", "access_token".to_owned())];
        let request = client_form_post(
            self.http.post(&self.definition.url).timeout(TIMEOUT),
            form,
            self.definition.client_auth,
            client_id.expose_secret(),
            client_secret.expose_secret(),
        );
        let response = request.send().await.map_err(|err| unavailable(err.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(format!("HTTP {}", status.as_u16())));
        }
        let bytes = response.bytes().await.map_err(|err| unavailable(err.to_string()))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(answer)) => Ok(answer),
            _ => Err(unavailable("the answer is not a JSON object".into())),
        }
    }
}

/// Whether an introspection `answer` accepts the token for `resource` at `now` (seconds).
fn check(
    answer: &Map<String, Value>,
    definition: &IntrospectionDefinition,
    resource: &str,
    now: u64,
) -> Result<(), Rejection> {
    let reject = |why: &str| Err(Rejection(why.to_owned()));
    if answer.get("active") != Some(&Value::Bool(true)) {
        return reject("the token is not active (expired, revoked or unknown to the authorization server)");
    }
    let leeway = definition.leeway_seconds;
    if answer.get("exp").and_then(Value::as_u64).is_some_and(|exp| exp.saturating_add(leeway) < now) {
        return reject("the token has expired");
    }
    if answer.get("nbf").and_then(Value::as_u64).is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return reject("the token is not valid yet (nbf)");
    }
    let for_us = match answer.get("aud") {
        Some(Value::String(aud)) => aud == resource,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(resource)),
        _ => false,
    };
    if !for_us {
        return reject("the token was not issued for this server (aud)");
    }
    if let (Some(expected), Some(iss)) = (&definition.issuer, answer.get("iss").and_then(Value::as_str))
        && iss != expected
    {
        return reject("the token was issued by an untrusted issuer (iss)");
    }
    Ok(())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
