//! The `mcpgen` command; all logic lives in the library (`mcpgen::cli`).

/// Generation allocates and frees many small schema nodes; with glibc's allocator a third of the
/// time of a large spec went to malloc and free (perf, Autotask). Measured in docs/corpus.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Parts of generation run on rayon's workers (path items, emitting): they recurse through the
    // spec's nesting as the main thread does, so they get its stack size rather than rayon's 2 MiB.
    // Should the pool exist already, its workers are used as they are.
    let _ = rayon::ThreadPoolBuilder::new().stack_size(8 << 20).build_global();
    mcpgen::cli::run(std::env::args_os())
}
