//! No input makes mcpgen panic (issue 2, item 3): every fixture's spec and manifest, with each line
//! deleted in turn and truncated at many points, either generates or fails with located diagnostics.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mcpgen::diagnostics::Problems;

use crate::support::fixtures;

/// The in-memory pipeline: manifest text + spec texts by name → number of generated files, or problems.
fn pipeline(manifest: &str, specs: &[(String, String)]) -> Result<usize, Problems> {
    let specs: Vec<(&str, &str)> = specs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let input = mcpgen::load_texts(manifest, &specs)?;
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

/// The specs the manifest names (`spec: FILE`), with their texts.
fn spec_texts(dir: &std::path::Path, manifest: &str) -> Vec<(String, String)> {
    manifest
        .split("spec:")
        .skip(1)
        .map(|rest| {
            let name = rest.trim_start().split([',', '}', '\n', ' ']).next().unwrap().to_owned();
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            (name, text)
        })
        .collect()
}

#[test]
fn mutated_inputs_never_panic_and_errors_are_reported() {
    let mut runs = 0;
    let mut failures = 0;
    for fixture in fixtures() {
        let manifest = std::fs::read_to_string(fixture.join("mcpgen.yaml")).unwrap();
        let specs = spec_texts(&fixture, &manifest);
        let mut cases: Vec<(String, Vec<(String, String)>)> =
            mutations(&manifest).into_iter().map(|m| (m, specs.clone())).collect();
        for (i, (_, text)) in specs.iter().enumerate() {
            for mutated in mutations(text) {
                let mut specs = specs.clone();
                specs[i].1 = mutated;
                cases.push((manifest.clone(), specs));
            }
        }
        for (manifest, specs) in cases {
            runs += 1;
            let outcome = catch_unwind(AssertUnwindSafe(|| pipeline(&manifest, &specs)));
            match outcome {
                Ok(Ok(_)) => {}
                Ok(Err(problems)) => {
                    failures += 1;
                    assert!(
                        problems.has_errors(),
                        "failure without an error in {}:\n{}\n--- manifest\n{manifest}\n--- specs\n{specs:?}",
                        fixture.display(),
                        problems.render(Some(100), false)
                    );
                    let rendered = problems.render(Some(100), false);
                    assert!(!rendered.trim().is_empty());
                }
                Err(_) => {
                    panic!("mcpgen panicked on {}:\n--- manifest\n{manifest}\n--- specs\n{specs:?}", fixture.display())
                }
            }
        }
    }
    // The mutations must really exercise the error paths, not just harmless whitespace.
    assert!(runs > 300 && failures > runs / 4, "{failures} failures in {runs} runs");
}
