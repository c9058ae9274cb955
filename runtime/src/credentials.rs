//! Upstream credentials of the chosen environment: which ones a call uses and how they are sent.
//!
//! A credential is looked up by API, security scheme and tenant. When any tenant has its own
//! credential for a scheme, the scheme is per tenant: a call without a tenant, or for a tenant
//! without one, gets nothing — never another tenant's or a shared credential. The inbound MCP
//! token is never sent upstream; token exchange trades it at the token endpoint instead.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::definition::{AuthMethod, ClientTlsDefinition, EnvironmentDefinition, ParamLocation, SecretRef};
use super::oauth::{TokenCache, TokenKey};
use super::request::PreparedRequest;
use super::secrets::Secrets;

/// Builds an upstream HTTP client, optionally presenting a client certificate and trusting only
/// the given roots.
/// The factory takes the API id (for its connect timeout).
pub type ClientFactory = Arc<
    dyn Fn(&str, Option<reqwest::Identity>, Vec<reqwest::Certificate>) -> Result<reqwest::Client, String> + Send + Sync,
>;

/// One credential chosen for a call.
pub struct Chosen<'a> {
    /// Scheme name.
    pub scheme: &'a str,
    /// Tenant of the credential (`None`: shared).
    pub tenant: Option<&'a str>,
    /// How it is sent.
    pub method: &'a AuthMethod,
}

/// What applying credentials did, so the caller can redact and retry.
#[derive(Default)]
pub struct Applied {
    /// Secret values placed in the request (to redact from anything echoed back).
    pub secrets: Vec<SecretString>,
    /// OAuth tokens used (to drop from the cache when the upstream answers 401).
    pub tokens: Vec<TokenKey>,
}

type CredentialKey = (String, String, Option<String>);
type TlsKey = (String, Option<String>);

/// The credentials of one environment.
pub struct UpstreamAuth {
    environment: String,
    credentials: HashMap<CredentialKey, AuthMethod>,
    per_tenant: BTreeSet<(String, String)>,
    tls: HashMap<TlsKey, ClientTlsDefinition>,
    tls_per_tenant: BTreeSet<String>,
    tls_clients: Mutex<HashMap<TlsKey, ([u8; 32], reqwest::Client)>>,
    client_factory: ClientFactory,
    /// OAuth token cache.
    pub tokens: TokenCache,
    /// Secret resolution.
    pub secrets: Arc<Secrets>,
}

impl UpstreamAuth {
    /// The credentials of `environment`.
    pub fn new(
        environment: &EnvironmentDefinition,
        secrets: Arc<Secrets>,
        tokens: TokenCache,
        client_factory: ClientFactory,
    ) -> Self {
        let mut credentials = HashMap::new();
        let mut per_tenant = BTreeSet::new();
        let mut tls = HashMap::new();
        let mut tls_per_tenant = BTreeSet::new();
        for api in &environment.apis {
            for credential in &api.credentials {
                if credential.tenant.is_some() {
                    per_tenant.insert((api.id.clone(), credential.scheme.clone()));
                }
                credentials.insert(
                    (api.id.clone(), credential.scheme.clone(), credential.tenant.clone()),
                    credential.method.clone(),
                );
            }
            for client_tls in &api.client_tls {
                if client_tls.tenant.is_some() {
                    tls_per_tenant.insert(api.id.clone());
                }
                tls.insert((api.id.clone(), client_tls.tenant.clone()), client_tls.clone());
            }
        }
        Self {
            environment: environment.name.clone(),
            credentials,
            per_tenant,
            tls,
            tls_per_tenant,
            tls_clients: Mutex::new(HashMap::new()),
            client_factory,
            tokens,
            secrets,
        }
    }

    /// Every secret reference of the environment that cannot be resolved now, described (never
    /// with a value), sorted and without repeats.
    pub fn missing_secrets(&self) -> Vec<String> {
        let mut references: BTreeSet<(&SecretRef, String)> = BTreeSet::new();
        for ((api, scheme, tenant), method) in &self.credentials {
            let owner = owner(api, scheme, tenant.as_deref());
            let refs: Vec<&SecretRef> = match method {
                AuthMethod::ApiKey { key, .. } => vec![key],
                AuthMethod::Bearer { token } => vec![token],
                AuthMethod::Basic { username, password } => vec![username, password],
                AuthMethod::ClientCredentials { client } | AuthMethod::TokenExchange { client } => {
                    vec![&client.client_id, &client.client_secret]
                }
                AuthMethod::MutualTls => vec![],
            };
            references.extend(refs.into_iter().map(|r| (r, owner.clone())));
        }
        for ((api, tenant), client_tls) in &self.tls {
            let owner = owner(api, "client_tls", tenant.as_deref());
            references.insert((&client_tls.cert, owner.clone()));
            if let Some(ca) = &client_tls.ca {
                references.insert((ca, owner.clone()));
            }
            references.insert((&client_tls.key, owner));
        }
        let mut missing: Vec<String> = references
            .into_iter()
            .filter_map(|(reference, owner)| {
                self.secrets.resolve(reference).err().map(|why| format!("{why} (for {owner})"))
            })
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }

    /// The credentials for a call of `api` needing `security` (alternatives of scheme lists) on
    /// behalf of `tenant`: the first alternative whose every scheme has a credential.
    pub fn choose<'a>(
        &'a self,
        api: &str,
        security: &'a [Vec<String>],
        tenant: Option<&'a str>,
    ) -> Result<Vec<Chosen<'a>>, String> {
        if security.is_empty() {
            return Ok(Vec::new());
        }
        for alternative in security {
            let chosen: Option<Vec<Chosen<'a>>> =
                alternative.iter().map(|scheme| self.find(api, scheme, tenant)).collect();
            if let Some(chosen) = chosen {
                return Ok(chosen);
            }
        }
        let wanted: Vec<String> = security.iter().map(|alt| alt.join(" + ")).collect();
        let whose = match tenant {
            Some(tenant) => format!(" for tenant `{tenant}`"),
            None => String::new(),
        };
        Err(format!(
            "no credentials are configured{whose} in environment `{}` for {} (needs {})",
            self.environment,
            api,
            wanted.join(" or ")
        ))
    }

    fn find<'a>(&'a self, api: &str, scheme: &'a str, tenant: Option<&'a str>) -> Option<Chosen<'a>> {
        let tenant = if self.per_tenant.contains(&(api.to_owned(), scheme.to_owned())) { Some(tenant?) } else { None };
        let method = self.credentials.get(&(api.to_owned(), scheme.to_owned(), tenant.map(str::to_owned)))?;
        if matches!(method, AuthMethod::MutualTls) && self.tls_key(api, tenant).is_none() {
            return None;
        }
        Some(Chosen { scheme, tenant, method })
    }

    fn tls_key(&self, api: &str, tenant: Option<&str>) -> Option<TlsKey> {
        let key = if self.tls_per_tenant.contains(api) {
            (api.to_owned(), Some(tenant?.to_owned()))
        } else {
            (api.to_owned(), None)
        };
        self.tls.contains_key(&key).then_some(key)
    }

    /// Adds the chosen credentials to `request`. `subject` is the inbound caller's token, used
    /// only as the subject of a token exchange.
    pub async fn apply(
        &self,
        api: &str,
        chosen: &[Chosen<'_>],
        subject: Option<&SecretString>,
        request: &mut PreparedRequest,
    ) -> Result<Applied, String> {
        let mut applied = Applied::default();
        for credential in chosen {
            let owner = owner(api, credential.scheme, credential.tenant);
            let resolve = |r: &SecretRef| self.secrets.resolve(r).map_err(|why| format!("{why} (for {owner})"));
            match credential.method {
                AuthMethod::ApiKey { location, name, key } => {
                    let key = resolve(key)?;
                    add_api_key(request, *location, name, key.expose_secret())?;
                    applied.secrets.push(key);
                }
                AuthMethod::Bearer { token } => {
                    let token = resolve(token)?;
                    request.headers.push(("authorization".into(), format!("Bearer {}", token.expose_secret())));
                    applied.secrets.push(token);
                }
                AuthMethod::Basic { username, password } => {
                    let (username, password) = (resolve(username)?, resolve(password)?);
                    let pair = format!("{}:{}", username.expose_secret(), password.expose_secret());
                    let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
                    request.headers.push(("authorization".into(), format!("Basic {encoded}")));
                    // The pair covers every spelling of the header the upstream might echo (base64 included).
                    applied.secrets.extend([password, SecretString::from(pair)]);
                }
                AuthMethod::ClientCredentials { client } | AuthMethod::TokenExchange { client } => {
                    let exchange = matches!(credential.method, AuthMethod::TokenExchange { .. });
                    let subject = match (exchange, subject) {
                        (false, _) => None,
                        (true, Some(subject)) => Some(subject),
                        (true, None) => {
                            return Err(format!(
                                "{owner} calls the API on behalf of the signed-in user (token exchange), but this call has no user token; connect over HTTP with an OAuth access token"
                            ));
                        }
                    };
                    let key = TokenKey {
                        api: api.to_owned(),
                        scheme: credential.scheme.to_owned(),
                        tenant: credential.tenant.map(str::to_owned),
                        subject: subject.map(TokenCache::subject_digest),
                    };
                    let token = self
                        .tokens
                        .token(&key, client, &self.secrets, subject)
                        .await
                        .map_err(|why| format!("{why} (for {owner})"))?;
                    request.headers.push(("authorization".into(), format!("Bearer {}", token.expose_secret())));
                    applied.secrets.push(token);
                    applied.tokens.push(key);
                }
                AuthMethod::MutualTls => {}
            }
        }
        Ok(applied)
    }

    /// The HTTP client for a call of `api` for `tenant`: one presenting the API's client
    /// certificate when it has one (rebuilt when the certificate or key files change), else `default`.
    pub fn client(
        &self,
        api: &str,
        tenant: Option<&str>,
        default: &reqwest::Client,
    ) -> Result<reqwest::Client, String> {
        let Some(key) = self.tls_key(api, tenant) else {
            if self.tls_per_tenant.contains(api) {
                return Err(format!("no client certificate is configured for {api} for this tenant"));
            }
            return Ok(default.clone());
        };
        let definition = &self.tls[&key];
        let owner = owner(api, "client_tls", key.1.as_deref());
        let read = |r: &SecretRef| self.secrets.resolve(r).map_err(|why| format!("{why} (for {owner})"));
        let (cert, private_key) = (read(&definition.cert)?, read(&definition.key)?);
        let ca = definition.ca.as_ref().map(read).transpose()?;
        let mut pem = cert.expose_secret().as_bytes().to_vec();
        pem.push(b'\n');
        pem.extend_from_slice(private_key.expose_secret().as_bytes());
        let mut hasher = Sha256::new();
        hasher.update(&pem);
        if let Some(ca) = &ca {
            hasher.update(ca.expose_secret().as_bytes());
        }
        let fingerprint: [u8; 32] = hasher.finalize().into();
        let mut clients = self.tls_clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((seen, client)) = clients.get(&key)
            && *seen == fingerprint
        {
            return Ok(client.clone());
        }
        let identity = reqwest::Identity::from_pem(&pem)
            .map_err(|_| format!("the client certificate or key for {owner} is not valid PEM"))?;
        let roots = match &ca {
            Some(ca) => reqwest::Certificate::from_pem_bundle(ca.expose_secret().as_bytes())
                .map_err(|_| format!("the CA bundle for {owner} is not valid PEM"))?,
            None => Vec::new(),
        };
        let client = (self.client_factory)(api, Some(identity), roots)?;
        clients.insert(key, (fingerprint, client.clone()));
        Ok(client)
    }
}

fn owner(api: &str, scheme: &str, tenant: Option<&str>) -> String {
    match tenant {
        Some(tenant) => format!("{api}/{scheme}, tenant {tenant}"),
        None => format!("{api}/{scheme}"),
    }
}

fn add_api_key(request: &mut PreparedRequest, location: ParamLocation, name: &str, key: &str) -> Result<(), String> {
    match location {
        ParamLocation::Header => request.headers.push((name.to_owned(), key.to_owned())),
        ParamLocation::Query => {
            let mut url = reqwest::Url::parse(&request.url).map_err(|err| format!("invalid request URL: {err}"))?;
            url.query_pairs_mut().append_pair(name, key);
            request.url = url.into();
        }
        ParamLocation::Cookie => {
            let pair = format!("{name}={key}");
            match request.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case("cookie")) {
                Some((_, value)) => *value = format!("{value}; {pair}"),
                None => request.headers.push(("cookie".into(), pair)),
            }
        }
        ParamLocation::Path => return Err("an API key cannot be a path parameter".into()),
    }
    Ok(())
}
