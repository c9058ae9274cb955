//! JSON Schema validators compiled on first use.
//!
//! A large table has thousands of tools, most of which a server never calls; compiling every input
//! and output schema at start-up took most of the start time of a GitHub-sized server and held
//! ~100 MB of validators (issue 13, item 3). A validator is compiled by the first call that needs
//! it, once, and kept.

use std::sync::{Arc, OnceLock};

use rmcp::model::JsonObject;
use serde_json::Value;

/// A tool's schema and, once a call has needed it, its compiled validator.
pub struct LazyValidator {
    schema: Arc<JsonObject>,
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

impl LazyValidator {
    /// A validator of `schema` (JSON Schema 2020-12), not compiled yet.
    pub fn new(schema: Arc<JsonObject>) -> Self {
        Self { schema, compiled: OnceLock::new() }
    }

    /// The compiled validator, or why the schema does not compile (the tool table is faulty: the
    /// generator wrote a schema this runtime's validator cannot read).
    pub fn get(&self) -> Result<&jsonschema::Validator, &str> {
        self.compiled
            .get_or_init(|| {
                jsonschema::draft202012::new(&Value::Object((*self.schema).clone())).map_err(|err| err.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

impl std::fmt::Debug for LazyValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyValidator").field("compiled", &self.compiled.get().is_some()).finish()
    }
}
