//! Every report format rendered from a report built in code, checked by the real validators:
//! SARIF by Microsoft's SARIF multitool (SARIF and GitHub ingestion rules), ASFF by botocore's
//! BatchImportFindings model, JSON by its JSON Schema, JUnit by junitparser. Plus the properties
//! the validators cannot see (stable fingerprints, suppressions, gating).

mod common;

use std::process::Command;

use common::{manifest_dir, python_with, sample_report, sarif_errors, sarif_multitool};
use harden::report::{FailOn, Format, RenderOptions};
use serde_json::Value;

fn options(dir: &std::path::Path) -> RenderOptions {
    RenderOptions {
        working_dir: Some(dir.to_path_buf()),
        fail_on: FailOn::default(),
        ..RenderOptions::default()
    }
}

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let sarif_path = dir.path().join("report.sarif");
    std::fs::write(
        &sarif_path,
        report.render_with(Format::Sarif, &options(dir.path())),
    )
    .unwrap();
    let Some(multitool) = sarif_multitool() else {
        return;
    };
    let errors = sarif_errors(&multitool, &sarif_path, dir.path());
    assert!(
        errors.is_empty(),
        "the multitool found errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_results_carry_locations_suppressions_and_stable_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let sarif: Value =
        serde_json::from_str(&report.render_with(Format::Sarif, &options(dir.path()))).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for (result, finding) in results.iter().zip(&report.findings) {
        assert_eq!(result["ruleId"], finding.id);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], finding.id,
            "ruleIndex points at the rule"
        );
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.is_empty() && !uri.starts_with('/'));
        assert_eq!(
            result["suppressions"].is_array(),
            finding.suppressed.is_some(),
            "{}",
            finding.message
        );
    }
    // The Dockerfile finding: relative to the working dir, with its lines.
    let dockerfile = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("runs as root")
        })
        .unwrap();
    let physical = &dockerfile["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "Dockerfile");
    assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(physical["region"]["startLine"], 3);
    assert_eq!(dockerfile["suppressions"][0]["kind"], "inSource");
    // The image file: under IMAGEROOT, named logically too.
    let passwd = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("/usr/bin/passwd")
        })
        .unwrap();
    assert_eq!(
        passwd["locations"][0]["physicalLocation"]["artifactLocation"],
        serde_json::json!({"uri": "usr/bin/passwd", "uriBaseId": "IMAGEROOT"})
    );
    assert_eq!(passwd["suppressions"][0]["kind"], "external");
    assert_eq!(
        passwd["suppressions"][0]["justification"],
        "passwd needs setuid; no login shell"
    );
    // The task definition finding without lines: file plus the pointer as a logical location.
    let pointer = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("container app")
        })
        .unwrap();
    assert_eq!(
        pointer["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "web:3/containerDefinitions/0/healthCheck"
    );
    assert_eq!(
        pointer["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "td.json"
    );
    // Rules carry GitHub's security-severity and the docs as help.
    let im012 = rules.iter().find(|r| r["id"] == "IM012").unwrap();
    assert_eq!(im012["properties"]["security-severity"], "3.0");
    assert!(
        im012["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?")
    );
    assert_eq!(
        run["invocations"][0]["exitCode"],
        report.exit_code(FailOn::default())
    );
}

#[test]
fn fingerprints_ignore_message_text_and_image_archive_but_not_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let first = report.fingerprints();
    let mut reworded = report.clone();
    for finding in &mut reworded.findings {
        finding.message = format!("reworded: {}", finding.message);
        if finding.location.source == Some(harden::findings::SourceKind::Image) {
            finding.location.file = Some("/tmp/elsewhere/demo.tar".into());
            finding.location.layer_digest = Some("sha256:changed".into());
        }
    }
    assert_eq!(reworded.fingerprints(), first);
    let unique: std::collections::HashSet<&String> = first.iter().collect();
    assert_eq!(
        unique.len(),
        first.len(),
        "fingerprints are unique in a report"
    );
    let mut moved = report.clone();
    moved.findings[0].location.pointer = Some("/somewhere/else".into());
    assert_ne!(moved.fingerprints()[0], first[0]);
}

#[test]
fn json_validates_against_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let json_path = dir.path().join("report.json");
    std::fs::write(&json_path, report.render(Format::Json, false)).unwrap();
    let Some(python) = python_with(&["jsonschema"]) else {
        return;
    };
    let schema = manifest_dir().join("schema/report.schema.json");
    let output = Command::new(python)
        .arg("-c")
        .arg("import json, sys, jsonschema\nschema = json.load(open(sys.argv[1]))\njsonschema.Draft202012Validator.check_schema(schema)\nerrors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\nfor e in errors: print(list(e.absolute_path), e.message)\nsys.exit(1 if errors else 0)")
        .arg(&schema)
        .arg(&json_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the JSON report does not validate against {}:\n{}{}",
        schema.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes the sample report in every format to `$HARDEN_DUMP_DIR`, for looking at by hand.
#[test]
fn dump_samples_when_asked() {
    let Some(out) = std::env::var_os("HARDEN_DUMP_DIR") else {
        return;
    };
    let out = std::path::PathBuf::from(out);
    let report = sample_report(&out);
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Asff,
        Format::Junit,
    ] {
        let text = report.render_with(format, &options(&out));
        std::fs::write(out.join(format!("sample.{}", format.as_str())), text).unwrap();
    }
}

#[test]
fn asff_is_valid_batch_import_findings_input() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let mut options = options(dir.path());
    options.aws.account_id = "123456789012".into();
    options.aws.region = "eu-west-3".into();
    let asff = report.render_with(Format::Asff, &options);
    let path = dir.path().join("report.asff");
    std::fs::write(&path, &asff).unwrap();

    let request: Value = serde_json::from_str(asff.lines().next().unwrap()).unwrap();
    let findings = request["Findings"].as_array().unwrap();
    // Every finding, plus the controls not covered by a FAILED finding (all four here).
    assert_eq!(
        findings.len(),
        report.findings.len() + report.controls.len()
    );
    let failed = findings
        .iter()
        .find(|f| f["Compliance"]["SecurityControlId"] == "ECS.20")
        .unwrap();
    assert_eq!(failed["Compliance"]["Status"], "FAILED");
    assert_eq!(failed["Resources"][0]["Type"], "AwsEcsTaskDefinition");
    assert_eq!(
        failed["Resources"][0]["Id"],
        "arn:aws:ecs:eu-west-3:123456789012:task-definition/web:3"
    );
    let statuses: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["Compliance"]["Status"].as_str())
        .collect();
    for status in ["PASSED", "FAILED", "NOT_AVAILABLE", "WARNING"] {
        assert!(
            statuses.contains(&status),
            "no {status} control: {statuses:?}"
        );
    }
    let suppressed = findings
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .count();
    assert_eq!(
        suppressed,
        report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    );
    assert!(
        findings
            .iter()
            .any(|f| f["Resources"][0]["Type"] == "Container")
    );

    let Some(python) = python_with(&["botocore"]) else {
        return;
    };
    let problems = common::asff_problems(
        &python,
        &path,
        &["--account", "123456789012", "--region", "eu-west-3"],
    );
    assert!(problems.is_none(), "{}", problems.unwrap_or_default());
}

#[test]
fn asff_splits_into_requests_of_at_most_100_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = sample_report(dir.path());
    let template = report.findings[0].clone();
    for n in 0..230 {
        let mut finding = template.clone();
        finding.location.path = Some(format!("/usr/lib/file{n}"));
        report.findings.push(finding);
    }
    let asff = report.render_with(Format::Asff, &options(dir.path()));
    let sizes: Vec<usize> = asff
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["Findings"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert!(sizes.iter().all(|&n| (1..=100).contains(&n)), "{sizes:?}");
    assert_eq!(
        sizes.iter().sum::<usize>(),
        report.findings.len() + report.controls.len()
    );
    let path = dir.path().join("big.asff");
    std::fs::write(&path, &asff).unwrap();
    let Some(python) = python_with(&["botocore"]) else {
        return;
    };
    let problems = common::asff_problems(&python, &path, &[]);
    assert!(problems.is_none(), "{}", problems.unwrap_or_default());
}

#[test]
fn junit_reads_back_with_junitparser_and_follows_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let report = sample_report(dir.path());
    let Some(python) = python_with(&["junitparser"]) else {
        return;
    };
    // Counts as a JUnit consumer reads them: (tests, failures, skipped) over all suites.
    let counts = |fail_on: FailOn| -> (u64, u64, u64) {
        let path = dir.path().join(format!("report-{fail_on}.xml"));
        let mut options = options(dir.path());
        options.fail_on = fail_on;
        std::fs::write(&path, report.render_with(Format::Junit, &options)).unwrap();
        let script = "import sys\nfrom junitparser import JUnitXml, Failure, Skipped\nxml = JUnitXml.fromfile(sys.argv[1])\nt = f = s = 0\nfor suite in xml:\n    for case in suite:\n        t += 1\n        f += any(isinstance(r, Failure) for r in case.result)\n        s += any(isinstance(r, Skipped) for r in case.result)\n    assert suite.tests == len(list(suite)), suite.name\nprint(t, f, s)";
        let output = Command::new(&python)
            .args(["-c", script])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "junitparser cannot read the report: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let numbers: Vec<u64> = text
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        (numbers[0], numbers[1], numbers[2])
    };
    let (tests, failures_high, skipped) = counts(FailOn::default());
    // The sample's unsuppressed findings are medium (overridden) or low (HD): only the FAILED
    // control fails at the default gate; at `low` every testcase with an unsuppressed finding does.
    assert_eq!(failures_high, 1);
    assert_eq!(skipped, 3, "suppressed, not applicable, indeterminate");
    let (tests_low, failures_low, _) = counts(FailOn::AtLeast(harden::findings::Severity::Low));
    assert_eq!(tests_low, tests);
    assert!(
        failures_low > failures_high,
        "{failures_low} > {failures_high}"
    );
    let (_, failures_never, _) = counts(FailOn::Never);
    assert_eq!(
        failures_never, 1,
        "a FAILED control fails whatever the gate"
    );
}
