//! Slow-run budget for mutated inputs: `cargo bench --bench mutants` (release).
//!
//! Runs every seeded mutant of the mutation test (`tests/mutate.rs`, same seed, more mutants per
//! file) through load + generate, times each, and reports the slowest per fixture as a ratio to
//! the unmutated fixture's time measured in the same run (ratios compare across machines). Exits
//! non-zero when any mutant takes longer than the absolute budget: a hostile spec must not be
//! able to stall a CI job or a code-review bot that runs the generator. Timed assertions live
//! here, never in tests.

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/mutate.rs"]
// The test module is shared: the bench uses only part of it.
#[allow(dead_code)]
mod mutate;

/// Longest any single mutant may take (release build).
const BUDGET: Duration = Duration::from_secs(3);
const SEED: u64 = 0x6d63_7067_656e;
const PER_FILE: usize = 40;

fn run(dir: &Path) -> Duration {
    let started = Instant::now();
    if let Ok(inputs) = mcpgen::Inputs::from_dir(dir)
        && let Ok(input) = mcpgen::load(&inputs)
    {
        let _ = mcpgen::generate_locked(&input);
    }
    started.elapsed()
}

fn main() {
    let mut fixtures: Vec<_> = std::fs::read_dir("fixtures")
        .expect("run from the repository root")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("mcpgen.yaml").is_file())
        .collect();
    fixtures.sort();
    let scratch = tempfile::tempdir().unwrap();
    let mut rng = mutate::Rng::new(SEED);
    let (mut over, mut total, mut slowest_overall) = (Vec::new(), 0, Duration::ZERO);
    for fixture in &fixtures {
        let dir = scratch.path().join(fixture.file_name().unwrap());
        mutate::copy_fixture(fixture, &dir);
        let baseline = (0..5).map(|_| run(&dir)).min().unwrap_or_default();
        let manifest = std::fs::read_to_string(dir.join("mcpgen.yaml")).unwrap();
        let mut files = vec!["mcpgen.yaml".to_owned()];
        files.extend(
            manifest
                .split("spec:")
                .skip(1)
                .filter_map(|rest| rest.trim_start().split([',', '}', '\n', ' ']).next().map(str::to_owned)),
        );
        let mut slowest = (Duration::ZERO, String::new());
        for file in &files {
            let original = std::fs::read_to_string(dir.join(file)).unwrap();
            for n in 0..PER_FILE {
                std::fs::write(dir.join(file), mutate::mutate(&original, &mut rng)).unwrap();
                let took = run(&dir);
                total += 1;
                let case = format!("{file} mutant {n}");
                if took > BUDGET {
                    over.push(format!("{} {case}: {:.2} s", fixture.display(), took.as_secs_f64()));
                }
                if took > slowest.0 {
                    slowest = (took, case);
                }
            }
            std::fs::write(dir.join(file), &original).unwrap();
        }
        slowest_overall = slowest_overall.max(slowest.0);
        println!(
            "{:<24} baseline {:>8.2} ms  slowest mutant {:>8.2} ms ({:>5.1}x, {})",
            fixture.file_name().unwrap().to_string_lossy(),
            baseline.as_secs_f64() * 1e3,
            slowest.0.as_secs_f64() * 1e3,
            slowest.0.as_secs_f64() / baseline.as_secs_f64().max(1e-9),
            slowest.1
        );
    }
    println!(
        "{total} mutants (seed {SEED:#x}); slowest {:.2} ms; budget {} s each",
        slowest_overall.as_secs_f64() * 1e3,
        BUDGET.as_secs()
    );
    if !over.is_empty() {
        eprintln!("over budget:\n  {}", over.join("\n  "));
        std::process::exit(1);
    }
}
