//! OAuth 2 tokens for upstream calls: client credentials (RFC 6749 §4.4) and token exchange
//! (RFC 8693), cached until shortly before they expire.
//!
//! Both grants are one form POST to the token endpoint; the `oauth2` crate would bring a second
//! HTTP stack (it is built on reqwest 0.12) and neither caching nor token exchange, so the request
//! is made here with the server's own client. Each cache slot has its own async lock: concurrent
//! calls that need the same token wait for one request instead of each sending their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::definition::{ClientAuthMethod, OAuthClientDefinition};
use super::secrets::{Redactor, Secrets};

/// RFC 8693 grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 token type of the inbound access token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Lifetime assumed when the token endpoint does not say (`expires_in` is only RECOMMENDED).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// A token is renewed when less than this much of its life is left (or half of it, if shorter).
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// What a token is for: one per API scheme and tenant, plus the inbound subject for exchanges.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    /// API id.
    pub api: String,
    /// Security scheme name.
    pub scheme: String,
    /// Tenant, when credentials are per tenant.
    pub tenant: Option<String>,
    /// SHA-256 of the exchanged subject token (token exchange only).
    pub subject: Option<[u8; 32]>,
}

struct CachedToken {
    value: SecretString,
    renew_at: Instant,
    expires_at: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// The token cache, shared by every tool call.
pub struct TokenCache {
    http: reqwest::Client,
    slots: Mutex<HashMap<TokenKey, Slot>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenCache {
    /// A cache that requests tokens with `http`.
    pub fn new(http: reqwest::Client) -> Self {
        Self { http, slots: Mutex::new(HashMap::new()) }
    }

    /// The key of an exchanged token for `subject`.
    pub fn subject_digest(subject: &SecretString) -> [u8; 32] {
        Sha256::digest(subject.expose_secret().as_bytes()).into()
    }

    /// A valid access token for `key`: the cached one, or a new one from the token endpoint.
    /// `subject` is the inbound token to exchange (token exchange only).
    pub async fn token(
        &self,
        key: &TokenKey,
        client: &OAuthClientDefinition,
        secrets: &Secrets,
        subject: Option<&SecretString>,
    ) -> Result<SecretString, String> {
        let slot = self.slot(key);
        let mut cached = slot.lock().await;
        let now = Instant::now();
        if let Some(token) = cached.as_ref()
            && now < token.renew_at
        {
            return Ok(token.value.clone());
        }
        match self.request(client, secrets, subject).await {
            Ok((value, lifetime)) => {
                let margin = RENEW_MARGIN.min(lifetime / 2);
                *cached = Some(CachedToken {
                    value: value.clone(),
                    renew_at: now + lifetime - margin,
                    expires_at: now + lifetime,
                });
                Ok(value)
            }
            // While the endpoint is failing, a token that has not expired yet is still good.
            Err(err) => match cached.as_ref() {
                Some(token) if now < token.expires_at => {
                    tracing::warn!(api = %key.api, scheme = %key.scheme, error = %err, "token renewal failed; using the current token until it expires");
                    Ok(token.value.clone())
                }
                _ => Err(err),
            },
        }
    }

    /// Forgets the token for `key` (after the upstream rejected it with 401).
    pub async fn invalidate(&self, key: &TokenKey) {
        let slot = self.slot(key);
        *slot.lock().await = None;
    }

    fn slot(&self, key: &TokenKey) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if key.subject.is_some() && slots.len() > 10_000 {
            // Exchanged tokens are per user: drop the idle per-user slots before the map grows
            // without bound (they are re-requested when needed).
            slots.retain(|k, slot| k.subject.is_none() || Arc::strong_count(slot) > 1);
        }
        slots.entry(key.clone()).or_default().clone()
    }

    async fn request(
        &self,
        client: &OAuthClientDefinition,
        secrets: &Secrets,
        subject: Option<&SecretString>,
    ) -> Result<(SecretString, Duration), String> {
        let client_id = secrets.resolve(&client.client_id)?;
        let client_secret = secrets.resolve(&client.client_secret)?;
        let mut form: Vec<(&str, String)> = Vec::new();
        match subject {
            None => form.push(("grant_type", "client_credentials".to_owned())),
            Some(subject) => {
                form.push(("grant_type", TOKEN_EXCHANGE_GRANT.to_owned()));
                form.push(("subject_token", subject.expose_secret().to_owned()));
                form.push(("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()));
                form.push(("requested_token_type", ACCESS_TOKEN_TYPE.to_owned()));
            }
        }
        if !client.scopes.is_empty() {
            form.push(("scope", client.scopes.join(" ")));
        }
        if let Some(audience) = &client.audience {
            form.push(("audience", audience.clone()));
        }
        if let Some(resource) = &client.resource {
            form.push(("resource", resource.clone()));
        }
        let request = client_form_post(
            self.http.post(&client.token_url),
            form,
            client.client_auth,
            client_id.expose_secret(),
            client_secret.expose_secret(),
        );
        let response = request.send().await.map_err(|err| {
            format!("token endpoint {} could not be reached ({})", client.token_url, root_cause(&err))
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|err| format!("token endpoint response unreadable ({err})"))?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<TokenError>(&body)
                .map(|e| match e.error_description {
                    Some(description) => format!("{}: {description}", e.error),
                    None => e.error,
                })
                .unwrap_or_else(|_| "no OAuth error in the response".to_owned());
            // The message reaches logs and the agent: an endpoint quoting the request must not leak it.
            let sent: Vec<SecretString> = [Some(client_secret), subject.cloned()].into_iter().flatten().collect();
            let detail = Redactor::new(&sent).text(&detail);
            return Err(format!(
                "token endpoint {} refused the request (HTTP {}; {detail})",
                client.token_url,
                status.as_u16()
            ));
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| format!("token endpoint {} answered without an access_token", client.token_url))?;
        let lifetime = token.expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs).max(Duration::from_secs(1));
        Ok((SecretString::from(token.access_token), lifetime))
    }
}

/// The form POST of an OAuth client to a token or introspection endpoint (`request`, not sent):
/// `form` as the body, a JSON answer asked for, and the client authenticated with HTTP Basic or
/// by fields of the body (RFC 6749 §2.3.1), never both.
pub fn client_form_post(
    request: reqwest::RequestBuilder,
    mut form: Vec<(&str, String)>,
    method: ClientAuthMethod,
    client_id: &str,
    client_secret: &str,
) -> reqwest::RequestBuilder {
    let request = match method {
        ClientAuthMethod::ClientSecretBasic => {
            // The id and secret are form-encoded before Basic encoding.
            let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request.basic_auth(encode(client_id), Some(encode(client_secret)))
        }
        ClientAuthMethod::ClientSecretPost => {
            form.push(("client_id", client_id.to_owned()));
            form.push(("client_secret", client_secret.to_owned()));
            request
        }
    };
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&form).finish();
    request
        .header(reqwest::header::ACCEPT, "application/json")
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
