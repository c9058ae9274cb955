//! The `mcpgen` command; all logic lives in the library (`mcpgen::cli`).

/// Generation allocates and frees many small schema nodes; with glibc's allocator a third of the
/// time of a large spec went to malloc and free (perf, Autotask). Measured in docs/corpus.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mcpgen::cli::run(std::env::args_os())
}
