//! Serves any tool table as a generated server would, without building a crate for it.
//!
//! A generated server is `mcpgen_runtime::main(DEFINITION_JSON)` with `src/tools.json` embedded;
//! this runner reads the table from the file named by `MCPGEN_TOOLS_JSON` instead, so one build
//! serves every spec of the corpus request-correctness stage (`scripts/corpus.sh`,
//! `scripts/requests.py`). Command line, environment (base URLs, secrets) and exit codes are the
//! generated server's.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::var_os("MCPGEN_TOOLS_JSON") else {
        eprintln!("error: set MCPGEN_TOOLS_JSON to the tool table (a generated crate's src/tools.json)");
        return ExitCode::from(1);
    };
    match std::fs::read_to_string(&path) {
        Ok(json) => mcpgen_runtime::main(&json),
        Err(err) => {
            eprintln!("error: cannot read {}: {err}", std::path::Path::new(&path).display());
            ExitCode::from(1)
        }
    }
}
