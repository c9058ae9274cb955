//! Diagnostics as users see them, for every `fixtures/invalid/*` case (issue 2, item 3).

use std::path::Path;

use crate::support::root;

fn render(case: &str) -> (String, usize) {
    // Relative paths: file names in diagnostics must not depend on the checkout location.
    let dir = Path::new("fixtures/invalid").join(case);
    let problems = match mcpgen::Inputs::from_dir(&dir).map_err(|p| mcpgen::diagnostics::Problems(vec![p])) {
        Ok(inputs) => match mcpgen::load(&inputs) {
            Ok(input) => mcpgen::generate(&input).expect_err("the case must fail"),
            Err(problems) => problems,
        },
        Err(problems) => problems,
    };
    (problems.render(Some(80), false), problems.error_count())
}

#[test]
fn invalid_inputs_render_as_snapshotted_diagnostics() {
    let mut cases: Vec<_> = std::fs::read_dir(root().join("fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    for case in cases {
        let (rendered, errors) = render(&case);
        assert!(errors > 0, "{case} produced no error");
        insta::with_settings!({
            snapshot_path => root().join("tests/snapshots/diagnostics"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(case.clone(), rendered);
        });
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let (rendered, errors) = render("many-problems");
    for expected in [
        "reference `#/components/schemas/ThingId` points at nothing",
        "cannot read fixtures/invalid/many-problems/owners.yaml",
        "no operation has the tag `thing`",
        "no operation `deleteThing` in the spec",
        "no operation `GET /thing/{id}` in the spec",
    ] {
        assert!(rendered.contains(expected), "missing {expected:?} in:\n{rendered}");
    }
    assert_eq!(errors, 5);
    // Every problem says where it is.
    assert_eq!(rendered.matches("╭─[fixtures/invalid/many-problems/").count(), 5, "{rendered}");
}

#[test]
fn a_secret_pasted_into_the_manifest_is_located_but_never_echoed() {
    let (rendered, errors) = render("auth-bindings");
    assert!(errors >= 10, "{rendered}");
    assert!(rendered.contains("literal secret") && rendered.contains("{key: ************************}"), "{rendered}");
    for pasted in ["sk_live_0123456789abcdef", "s3cr3t-introspection-pw"] {
        assert!(!rendered.contains(pasted), "{pasted} echoed in:\n{rendered}");
    }
}

#[test]
fn every_hostile_path_key_is_reported_at_its_key() {
    // Issue 5: each of these keys used to validate silently (or drop its operation).
    let (rendered, errors) = render("path-keys");
    // `/a?x=1` and `/a#frag` are warnings: a fixed query and a fragment that is never sent.
    assert_eq!(errors, 9, "{rendered}");
    let spec = std::fs::read_to_string(root().join("fixtures/invalid/path-keys/openapi.yaml")).unwrap();
    // Every operation but `fine` is named by one diagnostic framed at its own line, column 3 (the key).
    for (index, line) in spec.lines().enumerate() {
        if line.contains("operationId") && !line.contains("operationId: fine") {
            let frame = format!("╭─[fixtures/invalid/path-keys/openapi.yaml:{}:3]", index + 1);
            assert_eq!(rendered.matches(&frame).count(), 1, "{frame} in:\n{rendered}");
        }
    }
}

#[test]
fn credentials_in_base_urls_are_refused_and_never_echoed() {
    let (rendered, errors) = render("url-credentials");
    assert_eq!(errors, 3, "{rendered}");
    for pasted in ["hunter2", "admin:", "ops:", "svc:"] {
        assert!(!rendered.contains(pasted), "{pasted} echoed in:\n{rendered}");
    }
}

#[test]
fn references_outside_the_spec_directory_are_refused() {
    let (rendered, errors) = render("external-ref");
    assert_eq!(errors, 1, "{rendered}");
    assert!(rendered.contains("mcpgen::spec::external_ref") && rendered.contains("allow_external_refs"), "{rendered}");
}
