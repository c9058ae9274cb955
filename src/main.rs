//! The `mcpgen` command; all logic lives in the library (`mcpgen::cli`).

fn main() -> std::process::ExitCode {
    mcpgen::cli::run(std::env::args_os())
}
