//! No input makes mcpgen panic (issue 2, item 3): every fixture's spec and manifest, with each line
//! deleted in turn and truncated at many points, either generates or fails with located diagnostics.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mcpgen::diagnostics::Problems;

use crate::support::fixtures;

/// The in-memory pipeline: manifest text + spec text → number of generated files, or problems.
fn pipeline(manifest: &str, spec: &str) -> Result<usize, Problems> {
    let input = mcpgen::load_texts(manifest, &[("openapi.yaml", spec)])?;
    mcpgen::generate(&input).map(|(tree, _)| tree.len())
}

fn mutations(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = (0..lines.len())
        .map(|skip| {
            lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
        })
        .collect();
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            out.push(text[..cut].to_owned());
        }
        cut += 41;
    }
    out
}

fn spec_text(dir: &std::path::Path) -> String {
    ["openapi.yaml", "openapi.json"].iter().find_map(|n| std::fs::read_to_string(dir.join(n)).ok()).unwrap()
}

#[test]
fn mutated_inputs_never_panic_and_errors_are_reported() {
    let mut runs = 0;
    let mut failures = 0;
    for fixture in fixtures() {
        let manifest = std::fs::read_to_string(fixture.join("mcpgen.yaml")).unwrap();
        let spec = spec_text(&fixture);
        let cases = mutations(&spec).into_iter().map(|s| (manifest.clone(), s));
        let cases = cases.chain(mutations(&manifest).into_iter().map(|m| (m, spec.clone())));
        for (manifest, spec) in cases {
            runs += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| pipeline(&manifest, &spec)));
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(problems)) => {
                    failures += 1;
                    assert!(problems.has_errors(), "failure without an error:\n{}", problems.render(Some(100), false));
                    let rendered = problems.render(Some(100), false);
                    assert!(!rendered.trim().is_empty());
                }
                Err(_) => {
                    panic!("mcpgen panicked on {}:\n--- manifest\n{manifest}\n--- spec\n{spec}", fixture.display())
                }
            }
        }
    }
    // The mutations must really exercise the error paths, not just harmless whitespace.
    assert!(runs > 300 && failures > runs / 4, "{failures} failures in {runs} runs");
}
