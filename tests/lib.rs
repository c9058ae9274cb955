//! The integration tests: one binary (faster to build, shared helpers).
//!
//! `compile` and `e2e` build generated crates and are `#[ignore]`d for quick local runs; CI and
//! the README's test command run them with `--include-ignored`.

mod support;
mod upstream;

mod budget;
mod cli;
mod compile;
mod diagnostics;
mod diff;
mod e2e;
mod e2e_auth;
mod generate;
mod mutate;
mod profiles;
mod remote;
mod robustness;
mod search_terms;
mod shaping;
mod shaping_detect;
