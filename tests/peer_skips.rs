//! checkov and trivy skips in ECS inputs (tests/peer_skips/): which findings they suppress, with
//! checkov itself as the oracle for checkov's scoping (PyPI `checkov`, which `.ci/run` installs in
//! `target/tools/checkov`; in CI a missing checkov fails the test, locally it skips with a note).
//! trivy's line rules are checked in `load::ecs::skips` against trivy's own test table; here they
//! run end to end. The inputs are real-shaped: cfn-lint accepts the templates and botocore's
//! RegisterTaskDefinition model the task definition, where those tools are installed.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::manifest_dir;

fn input(name: &str) -> PathBuf {
    manifest_dir().join("tests/peer_skips").join(name)
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `harden scan --task-def FILE -f json`: (check, resource, suppression reason) of each finding.
fn scan(file: &Path) -> Vec<(String, String, Option<String>)> {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args([
            "scan",
            "--no-progress",
            "--fail-on",
            "never",
            "-f",
            "json",
            "--task-def",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["location"]["resource"].as_str().unwrap_or("").to_string(),
                f["suppressed"]["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn cfn_lint_accepts(file: &Path) {
    match Command::new("cfn-lint").arg(file).output() {
        Ok(output) => assert!(output.status.success(), "cfn-lint: {output:?}"),
        Err(_) => eprintln!("note: cfn-lint not installed; template shape not checked"),
    }
}

fn checkov() -> Option<PathBuf> {
    let venv = manifest_dir().join("target/tools/checkov/bin/checkov");
    if venv.is_file() {
        return Some(venv);
    }
    if Command::new("checkov").arg("--version").output().is_ok() {
        return Some(PathBuf::from("checkov"));
    }
    assert!(
        !in_ci(),
        "CI=true but checkov is not installed (.ci/run installs it in target/tools/checkov)"
    );
    eprintln!("note: checkov not installed; skipping the comparison with checkov");
    None
}

/// The resources where checkov and harden skip CKV_AWS_97 / ECS.18 (EFS transit encryption, a
/// check checkov makes on CloudFormation) are the same: a comment inside the resource or on its
/// key line and a `Metadata` skip count, a comment above the key line and a comma list do not.
#[test]
fn checkov_and_harden_skip_the_same_resources() {
    let file = input("checkov-scoping.yaml");
    cfn_lint_accepts(&file);
    let ours: BTreeSet<String> = scan(&file)
        .into_iter()
        .filter(|(id, _, suppressed)| id == "ECS.18" && suppressed.is_some())
        .map(|(_, resource, _)| resource)
        .collect();
    let reported: BTreeSet<String> = scan(&file)
        .into_iter()
        .filter(|(id, _, _)| id == "ECS.18")
        .map(|(_, resource, _)| resource)
        .collect();
    assert_eq!(
        reported.len(),
        6,
        "every resource fails ECS.18: {reported:?}"
    );
    let Some(checkov) = checkov() else {
        return;
    };
    let output = Command::new(checkov)
        .args([
            "--framework",
            "cloudformation",
            "--check",
            "CKV_AWS_97",
            "-o",
            "json",
            "-f",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("checkov printed no JSON ({e}): {output:?}"));
    let resources = |key: &str| -> BTreeSet<String> {
        report["results"][key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["check_id"] == "CKV_AWS_97")
            .map(|c| {
                let resource = c["resource"].as_str().unwrap();
                resource.rsplit('.').next().unwrap().to_string()
            })
            .collect()
    };
    let theirs = resources("skipped_checks");
    assert!(
        !theirs.is_empty() && !resources("failed_checks").is_empty(),
        "checkov skipped {theirs:?}"
    );
    assert_eq!(ours, theirs, "harden and checkov skip different resources");
}

/// A CloudFormation template with a checkov comment, a checkov `Metadata` skip and trivy ignores in
/// one task definition, and an expired trivy ignore and a comma list in the other: only the first
/// resource's findings are suppressed, each with its reason.
#[test]
fn a_template_s_skips_suppress_their_resource_only() {
    let file = input("cloudformation.yaml");
    cfn_lint_accepts(&file);
    let findings = scan(&file);
    let suppressed = |id: &str, resource: &str| {
        findings
            .iter()
            .find(|(i, r, _)| i == id && r == resource)
            .unwrap_or_else(|| panic!("no {id} on {resource}: {findings:?}"))
            .2
            .clone()
    };
    assert_eq!(
        suppressed("ECS.5", "Skipped").as_deref(),
        Some("the app writes its cache under /var/cache"),
        "checkov:skip=CKV_AWS_336 with its reason verbatim"
    );
    assert_eq!(
        suppressed("ECS.18", "Skipped").as_deref(),
        Some("the EFS file system is private to this VPC"),
        "a Metadata skip with its comment"
    );
    assert!(
        suppressed("TD007", "Skipped").is_some_and(|r| r.contains("trivy:ignore:AVD-AWS-0036")),
        "the trivy ignore above the container"
    );
    // Not equivalent: ECS.4 (privileged) is CKV_AWS_334, not skipped by anything here.
    assert_eq!(suppressed("ECS.4", "Skipped"), None);
    for id in ["ECS.4", "ECS.5", "ECS.18", "TD007"] {
        assert_eq!(
            suppressed(id, "NotSkipped"),
            None,
            "{id}: an expired trivy ignore and a checkov ID list skip nothing"
        );
    }
}

/// In a task-definition file (no resource blocks) a checkov skip covers the file; a trivy ignore
/// the block under it (one container's environment entry), named by trivy's long ID.
#[test]
fn a_task_definition_file_s_skips() {
    let file = input("task-definition.yaml");
    if let Some(python) = common::python_with(&["botocore"]) {
        let value: serde_json::Value =
            serde_norway::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("task-definition.json");
        std::fs::write(&json, serde_json::to_string(&value).unwrap()).unwrap();
        let output = Command::new(python)
            .arg("-c")
            .arg("import sys, json, botocore.session\nfrom botocore.validate import ParamValidator\nshape = botocore.session.get_session().get_service_model('ecs').operation_model('RegisterTaskDefinition').input_shape\nreport = ParamValidator().validate(json.load(open(sys.argv[1])), shape)\nif report.has_errors():\n    print(report.generate_report())\n    sys.exit(1)")
            .arg(&json)
            .output()
            .unwrap();
        assert!(output.status.success(), "botocore: {output:?}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args([
            "scan",
            "--no-progress",
            "--fail-on",
            "never",
            "-f",
            "json",
            "--task-def",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let td007: Vec<(&str, bool)> = findings
        .iter()
        .filter(|f| f["id"] == "TD007")
        .map(|f| (f["message"].as_str().unwrap(), f["suppressed"].is_object()))
        .collect();
    assert_eq!(td007.len(), 2, "{td007:?}");
    for (message, suppressed) in &td007 {
        assert_eq!(
            *suppressed,
            message.contains("SESSION_SECRET"),
            "only the ignored entry is suppressed: {td007:?}"
        );
    }
    let ecs5 = findings.iter().find(|f| f["id"] == "ECS.5").unwrap();
    assert_eq!(
        ecs5["suppressed"]["reason"],
        "the app writes its cache to the root filesystem"
    );
}
