//! The runtime of mcpgen-generated MCP servers.
//!
//! A generated server is data: a tool table ([`definition::ServerDefinition`], embedded as JSON)
//! plus a two-line `main` that calls [`main`]. Everything that behaves — argument validation,
//! building the upstream request, mapping the response to an MCP result, the transports — lives
//! here, once, and is tested in this crate. The sources are copied verbatim into every generated
//! crate as its `runtime` module, so modules refer to each other with `super::` only.

pub mod assembly;
pub mod audit;
pub mod audit_chain;
pub mod breaker;
pub mod call;
pub mod cli;
pub mod coalesce;
pub mod connections;
pub mod continuation;
pub mod credentials;
pub mod definition;
pub mod discovery;
pub mod echo;
pub mod gate;
pub mod inbound;
pub mod introspection;
pub mod lexicon;
pub mod limits;
pub mod meta_tools;
pub mod metrics;
pub mod oauth;
pub mod otel;
pub mod outcome;
pub mod pages;
pub mod paging;
pub mod profile;
pub mod progress;
pub mod registry;
pub mod request;
pub mod response;
pub mod search;
pub mod search_terms;
pub mod secrets;
pub mod server;
pub mod shaping;
pub mod shaping_plan;
pub mod stdio;
pub mod trace;
pub mod transport;
pub mod upstream;
pub mod validator;

use std::process::ExitCode;

pub use registry::Registry;
pub use server::McpServer;

/// Runs a generated server: parses the definition and the command line, then serves MCP until the
/// client disconnects (stdio) or the process is asked to stop (HTTP).
///
/// Exit codes: `0` clean shutdown, `1` bad configuration (arguments, environment), `2` a broken
/// tool table (a generator bug) or a failure while serving.
pub fn main(definition_json: &str) -> ExitCode {
    // Each tool stays raw text until `Registry::from_table` reads it: the table is never one tree.
    type Table = definition::ServerDefinition<Box<serde_json::value::RawValue>>;
    let definition: Table = match serde_json::from_str(definition_json) {
        Ok(definition) => definition,
        Err(err) => {
            eprintln!("error: the embedded tool table is invalid ({err}); regenerate the server with mcpgen");
            return ExitCode::from(2);
        }
    };
    let options = match cli::parse(&definition, std::env::args_os()) {
        Ok(options) => options,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let _telemetry = transport::init_logging(&options, &definition.name, runtime.handle());
    if options.transport == cli::Transport::Stdio
        && definition.audit.as_ref().is_some_and(|a| a.stdout && a.file.is_none())
        && options.audit_file.is_none()
    {
        eprintln!("error: the audit trail goes to stdout, which is the MCP channel on stdio; pass --audit-file FILE");
        return ExitCode::from(1);
    }
    let selection = registry::Selection {
        environment: options.environment.clone(),
        tenant: options.tenant.clone(),
        audit_file: options.audit_file.clone(),
        toolsets: options.toolsets.clone(),
        profile: options.profile.clone(),
    };
    let secrets = std::sync::Arc::new(secrets::Secrets::from_process());
    let registry = match Registry::from_table(definition, &selection, secrets) {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(transport::serve(registry, &options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("server stopped: {err:#}");
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
