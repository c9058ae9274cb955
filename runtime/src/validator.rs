//! JSON Schema validators compiled on first use.
//!
//! A large table has thousands of tools, most of which a server never calls; compiling every input
//! and output schema at start-up took most of the start time of a GitHub-sized server and held
//! ~100 MB of validators (issue 13, item 3). A validator is compiled by the first call that needs
//! it, once, and kept. It holds no schema of its own: the caller passes the tool's schema, which
//! the registry also materialises only on first use (see `registry::ToolEntry::tool`).

use std::sync::OnceLock;

use serde_json::Value;

/// A tool's compiled validator, once a call has needed it.
#[derive(Default)]
pub struct LazyValidator {
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

impl LazyValidator {
    /// A validator not compiled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The validator of `schema` (JSON Schema 2020-12; always the same schema for one
    /// validator), or why it does not compile (the tool table is faulty: the generator wrote a
    /// schema this runtime's validator cannot read).
    pub fn get(&self, schema: impl FnOnce() -> Value) -> Result<&jsonschema::Validator, &str> {
        self.compiled
            .get_or_init(|| jsonschema::draft202012::new(&schema()).map_err(|err| err.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}

impl std::fmt::Debug for LazyValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyValidator").field("compiled", &self.compiled.get().is_some()).finish()
    }
}
