//! The runtime's integration tests, linked into one binary: each module would otherwise link
//! axum, reqwest, rmcp and rustls into its own executable, which costs CI minutes and gigabytes.
//! `otel.rs` stays a separate target because it needs the `otel` feature.

mod chaos;
mod common;

mod answers;
mod audit;
mod bodies;
mod cli;
mod discovery;
mod echo;
mod governance;
mod hostile;
mod http_limits;
mod inbound_auth;
mod introspection;
mod mutual_tls;
mod observability;
mod pages;
mod paging;
mod profiles;
mod registry;
mod request;
mod resilience;
mod response;
mod toolsets;
mod upstream_auth;
