//! Mutual TLS to the upstream: a real HTTPS server on 127.0.0.1 that demands a client certificate
//! from a throw-away CA (made here with rcgen), and certificate files rotated while serving.

use crate::common;

use std::sync::Arc;

use axum::routing::get;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio_rustls::TlsAcceptor;

/// A CA and a certificate it signed (PEM).
struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { ca_pem: issuer.pem(), ca_der: issuer.der().clone(), issuer }
    }

    /// (certificate PEM, key PEM, certificate DER, key DER) for `names`.
    fn leaf(&self, names: &[&str]) -> (String, String, CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.pem(), key.serialize_pem(), cert.der().clone(), key_der)
    }
}

/// Accepts TLS connections whose client certificate chains to `client_ca`.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else { continue };
            // A client without an acceptable certificate fails the handshake: skip it.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

async fn https_upstream(server_pki: &Pki, client_ca: &Pki) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (_, _, cert, key) = server_pki.leaf(&["127.0.0.1", "localhost"]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.ca_der.clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots)).build().unwrap();
    let config =
        rustls::ServerConfig::builder().with_client_cert_verifier(verifier).with_single_cert(vec![cert], key).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let listener = TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(config)) };
    let app = axum::Router::new().route("/ledger", get(|| async { axum::Json(json!({"balance": 42})) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("https://127.0.0.1:{}", addr.port())
}

fn definition(base: &str, dir: &std::path::Path) -> ServerDefinition {
    let file = |name: &str| json!({"file": dir.join(name).to_str().unwrap()});
    serde_json::from_value(json!({
        "@generated": "test", "name": "tls-mcp", "version": "1.0.0",
        "apis": [{"id": "bank", "baseUrlEnv": "BANK_BASE_URL"}],
        "tools": [{"tool": {"name": "ledger", "inputSchema": {"type": "object"}}, "api": "bank",
                   "http": {"method": "GET", "path": "/ledger"}, "security": [["clientCert"]]}],
        "environments": [{"name": "default", "apis": [{
            "id": "bank", "baseUrl": base,
            "credentials": [{"scheme": "clientCert", "method": {"type": "mutualTls"}}],
            "clientTls": [{"cert": file("client.crt"), "key": file("client.key"), "ca": file("ca.pem")}]
        }]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn the_client_certificate_is_presented_and_rotated_files_are_picked_up() {
    let server_pki = Pki::new();
    let client_pki = Pki::new();
    let stranger_pki = Pki::new();
    let base = https_upstream(&server_pki, &client_pki).await;
    let dir = std::env::temp_dir().join(format!("mcpgen-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), &server_pki.ca_pem).unwrap();
    // First a certificate from a CA the upstream does not trust: the handshake fails.
    let (cert, key, _, _) = stranger_pki.leaf(&["tls-mcp"]);
    std::fs::write(dir.join("client.crt"), &cert).unwrap();
    std::fs::write(dir.join("client.key"), &key).unwrap();
    let server = McpServer::new(common::registry(definition(&base, &dir), &[]).unwrap());
    let refused = server.call("ledger", json!({})).await;
    assert_eq!(refused.is_error, Some(true), "{}", common::text(&refused));
    assert!(common::text(&refused).contains("Could not reach the bank API"), "{}", common::text(&refused));
    // The operator rotates in a certificate from the right CA: the next call uses it.
    let (cert, key, _, _) = client_pki.leaf(&["tls-mcp"]);
    std::fs::write(dir.join("client.crt"), &cert).unwrap();
    std::fs::write(dir.join("client.key"), &key).unwrap();
    let accepted = server.call("ledger", json!({})).await;
    assert_eq!(accepted.is_error, Some(false), "{}", common::text(&accepted));
    assert!(common::text(&accepted).contains("42"));
    let _ = std::fs::remove_dir_all(&dir);
}
