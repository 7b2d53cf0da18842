//! Real ECS inputs from public repositories (`tests/real_inputs/`, each file's source, commit and
//! license in `SOURCES.md`; how they were chosen: docs/real-inputs.md). Every one is read: exit 0,
//! controls reported, no note that something was skipped. Where checkov makes the same check
//! (CKV_AWS_65 = ECS.12, CKV_AWS_97 = ECS.18, CKV_AWS_334/335/336 = ECS.4/3/5 on a Terraform plan
//! or `.tf` file, CKV_AWS_333 = ECS.2),
//! checkov itself is the oracle (PyPI `checkov`, which `.ci/run` installs in `target/tools/checkov`;
//! in CI a missing checkov fails the test, locally it skips with a note).
//!
//! Also the regression for what the sweep found: a YAML key given twice in one mapping (real AWS
//! samples have a duplicated `Description` or `Cpu`) made harden refuse the template, where
//! CloudFormation deploys it with the last value; PyYAML (checkov's parser) is the oracle for
//! which value that is.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::manifest_dir;

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

fn inputs() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/real_inputs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

/// `harden scan --task-def FILE -f json --fail-on never`: exit code, report (when JSON), stderr.
fn scan(file: &Path) -> (i32, Option<serde_json::Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--task-def"])
        .arg(file)
        .args(["-f", "json", "--fail-on", "never", "--no-progress"])
        .output()
        .expect("runs harden");
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).ok(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// (control id, resource name) → status; a CDK construct path after the logical id is dropped.
fn statuses(report: &serde_json::Value) -> BTreeMap<(String, String), String> {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["resource"]["name"].as_str().unwrap();
            let name = name.split(" (").next().unwrap().to_string();
            (
                (c["id"].as_str().unwrap().to_string(), name),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_real_input_is_read_without_skipping_anything() {
    let sources = std::fs::read_to_string(manifest_dir().join("tests/real_inputs/SOURCES.md"))
        .expect("SOURCES.md names every vendored file");
    let files = inputs();
    assert!(files.len() >= 6);
    for file in files {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(
            sources.contains(&format!("| {name} |")),
            "{name} is not in SOURCES.md"
        );
        let (code, report, stderr) = scan(&file);
        assert_eq!(code, 0, "{name}: {stderr}");
        let report = report.unwrap();
        assert!(
            !statuses(&report).is_empty(),
            "{name}: no control was evaluated"
        );
        for note in report["notes"].as_array().into_iter().flatten() {
            let note = note.as_str().unwrap();
            assert!(
                !note.contains("skipped") && !note.contains("not read"),
                "{name}: {note}"
            );
        }
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

/// checkov's verdicts on the checks it shares with harden, for one file: (control, resource) →
/// passed/failed.
fn checkov_verdicts(checkov: &Path, file: &Path) -> BTreeMap<(String, String), String> {
    let shared = [
        ("CKV_AWS_65", "ECS.12"),
        ("CKV_AWS_97", "ECS.18"),
        ("CKV_AWS_334", "ECS.4"),
        ("CKV_AWS_335", "ECS.3"),
        ("CKV_AWS_336", "ECS.5"),
        ("CKV_AWS_333", "ECS.2"),
    ];
    let framework = if file.extension().is_some_and(|e| e == "tf") {
        "terraform"
    } else if file.extension().is_some_and(|e| e == "json")
        && std::fs::read_to_string(file)
            .unwrap()
            .contains("\"format_version\"")
    {
        "terraform_plan"
    } else {
        "cloudformation"
    };
    let output = Command::new(checkov)
        .arg("-f")
        .arg(file)
        .args(["--framework", framework, "-o", "json", "--compact"])
        .output()
        .expect("runs checkov");
    let mut verdicts = BTreeMap::new();
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(&output.stdout) else {
        // checkov prints `[]`-less nothing for a file with no resource of its frameworks.
        return verdicts;
    };
    let reports = match report {
        serde_json::Value::Array(items) => items,
        one => vec![one],
    };
    for report in reports {
        for (kind, status) in [("passed_checks", "passed"), ("failed_checks", "failed")] {
            for check in report["results"][kind].as_array().into_iter().flatten() {
                let id = check["check_id"].as_str().unwrap_or_default();
                let Some((_, control)) = shared.iter().find(|(c, _)| *c == id) else {
                    continue;
                };
                // "AWS::ECS::Cluster.ECSCluster", "aws_ecs_task_definition.service".
                let resource = check["resource"].as_str().unwrap();
                let resource = match resource.strip_prefix("AWS::") {
                    Some(rest) => rest.split_once('.').unwrap().1,
                    None => resource,
                };
                verdicts.insert(
                    (control.to_string(), resource.to_string()),
                    status.to_string(),
                );
            }
        }
    }
    verdicts
}

/// On every vendored input, harden and checkov agree on the controls they share, except the one
/// difference docs/checks.md documents: a task definition without an EFS volume is ECS.18
/// NOT_APPLICABLE for harden (AWS Config's rule), PASSED for checkov.
#[test]
fn checkov_agrees_on_the_controls_it_shares() {
    let Some(checkov) = checkov() else { return };
    let mut compared = 0;
    for file in inputs() {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let (_, report, stderr) = scan(&file);
        let ours = statuses(&report.unwrap_or_else(|| panic!("{name}: {stderr}")));
        for (key, theirs) in checkov_verdicts(&checkov, &file) {
            let Some(our) = ours.get(&key) else {
                panic!("{name}: checkov judges {key:?}, harden does not")
            };
            compared += 1;
            if key.0 == "ECS.18" && our == "not_applicable" && theirs == "passed" {
                continue;
            }
            assert_eq!(our, &theirs, "{name}: {key:?}");
        }
    }
    assert!(compared >= 5, "only {compared} verdicts compared");
}

/// A Python with PyYAML (checkov's venv has it).
fn python_with_yaml() -> Option<PathBuf> {
    let venv = manifest_dir().join("target/tools/checkov/bin/python");
    for python in [venv, PathBuf::from("python3")] {
        if Command::new(&python)
            .args(["-c", "import yaml"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(python);
        }
    }
    assert!(
        !in_ci(),
        "CI=true but no python with PyYAML (.ci/run installs checkov, which has it)"
    );
    eprintln!("note: no python with PyYAML; skipping the duplicate-key oracle");
    None
}

/// The task definition of the consul-connect sample, cut down: `Privileged` is given twice in one
/// container, in both orders. CloudFormation deploys the last value; so must harden read it.
#[test]
fn a_key_given_twice_keeps_its_last_value_as_cloudformation_does() {
    let Some(python) = python_with_yaml() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (first, last) in [("true", "false"), ("false", "true")] {
        let text = format!(
            "Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      \
             Cpu: 256\n      Memory: 512\n      Cpu: 512\n      ContainerDefinitions:\n        \
             - Name: greeter\n          Image: nathanpeck/greeter\n          Privileged: {first}\n          \
             Essential: true\n          Privileged: {last}\n"
        );
        let file = dir.path().join(format!("greeter-{first}.yml"));
        std::fs::write(&file, &text).unwrap();
        let pyyaml = Command::new(&python)
            .args([
                "-c",
                "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); \
                 print(d['Resources']['TaskDefinition']['Properties']['ContainerDefinitions'][0]['Privileged'])",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let privileged = String::from_utf8_lossy(&pyyaml.stdout).trim() == "True";
        let (code, report, stderr) = scan(&file);
        assert_eq!(code, 0, "{stderr}");
        let report = report.unwrap();
        let ecs4 = &statuses(&report)[&("ECS.4".to_string(), "TaskDefinition".to_string())];
        assert_eq!(ecs4, if privileged { "failed" } else { "passed" });
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("2 mapping keys given twice (`Cpu`, `Privileged`)"),
            "{notes}"
        );
        if privileged {
            // The offender's line is the value read: the last `Privileged`.
            let control = report["controls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == "ECS.4")
                .unwrap();
            assert_eq!(control["offenders"][0]["line"], 13, "{control}");
        }
    }
}

/// The same in JSON, which serde_json and Python's json both read last-wins: the verdict follows
/// the last value, and the JSON template is read without a note (JSON parsers do not flag it).
#[test]
fn json_with_a_key_given_twice_reads_its_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.json");
    std::fs::write(
        &file,
        r#"{"Resources": {"TaskDefinition": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
  "ContainerDefinitions": [{"Name": "app", "Image": "nginx:1.27",
    "ReadonlyRootFilesystem": false,
    "ReadonlyRootFilesystem": true}]}}}}"#,
    )
    .unwrap();
    let (code, report, stderr) = scan(&file);
    assert_eq!(code, 0, "{stderr}");
    let ecs5 = &statuses(&report.unwrap())[&("ECS.5".to_string(), "TaskDefinition".to_string())];
    assert_eq!(ecs5, "passed");
}

/// `Fn::ForEach` (the `AWS::LanguageExtensions` transform) loops were skipped as resources without
/// a `Type`: a privileged container inside one was not reported. They are expanded as
/// CloudFormation's documentation of the transform says (`${Id}` in keys and strings, `&{Id}` as
/// the value's alphanumerics, `Ref: Id`, nested loops naming an outer identifier); a loop over a
/// parameter's list is read once, as written.
#[test]
fn for_each_loops_are_expanded_as_cloudformation_expands_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("loops.yaml");
    std::fs::write(
        &file,
        "Transform: AWS::LanguageExtensions\n\
         Parameters:\n  Names: {Type: CommaDelimitedList, Default: \"a,b\"}\n\
         Resources:\n\
         \x20 Fn::ForEach::Tasks:\n\
         \x20   - Name\n\
         \x20   - [Web, Api]\n\
         \x20   - ${Name}TaskDef:\n\
         \x20       Type: AWS::ECS::TaskDefinition\n\
         \x20       Properties:\n\
         \x20         ContainerDefinitions:\n\
         \x20           - Name: !Ref Name\n\
         \x20             Image: nginx:1.27\n\
         \x20             Privileged: true\n\
         \x20 Fn::ForEach::Envs:\n\
         \x20   - Env\n\
         \x20   - [prod-1, dev]\n\
         \x20   - Fn::ForEach::Services:\n\
         \x20       - Svc\n\
         \x20       - [web]\n\
         \x20       - '&{Env}${Svc}':\n\
         \x20           Type: AWS::ECS::Service\n\
         \x20           Properties:\n\
         \x20             NetworkConfiguration:\n\
         \x20               AwsvpcConfiguration: {AssignPublicIp: ENABLED}\n\
         \x20 Fn::ForEach::FromParameter:\n\
         \x20   - N\n\
         \x20   - !Ref Names\n\
         \x20   - ${N}Td:\n\
         \x20       Type: AWS::ECS::TaskDefinition\n\
         \x20       Properties:\n\
         \x20         ContainerDefinitions: [{Name: x, Image: y, Privileged: true}]\n",
    )
    .unwrap();
    let (code, report, stderr) = scan(&file);
    assert_eq!(code, 0, "{stderr}");
    let report = report.unwrap();
    let statuses = statuses(&report);
    for resource in ["WebTaskDef", "ApiTaskDef", "${N}Td"] {
        assert_eq!(
            statuses[&("ECS.4".to_string(), resource.to_string())],
            "failed",
            "{resource}"
        );
    }
    for resource in ["prod1web", "devweb"] {
        assert_eq!(
            statuses[&("ECS.2".to_string(), resource.to_string())],
            "failed",
            "{resource}"
        );
    }
    // The container's name came from `Ref: Name`.
    let ecs4 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "ECS.4")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(ecs4.iter().any(|m| m.contains("container Web")), "{ecs4:?}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("into WebTaskDef, ApiTaskDef"), "{notes}");
    assert!(
        notes.contains("FromParameter: its collection cannot be known offline"),
        "{notes}"
    );
}

/// Nested loops over long lists make at most 2,000 resources (CloudFormation allows 500); past
/// that the template is refused (exit 2), not read in part: 5 loops of 100 values would be 10^10
/// copies.
#[test]
fn nested_for_each_loops_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("loops.yaml");
    let values = (0..100)
        .map(|i| format!("v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = String::from("Resources:\n");
    let mut indent = String::from("  ");
    for depth in 0..5 {
        text.push_str(&format!(
            "{indent}Fn::ForEach::L{depth}:\n{indent}  - I{depth}\n{indent}  - [{values}]\n{indent}  -\n"
        ));
        indent.push_str("    ");
    }
    text.push_str(&format!(
        "{indent}'R${{I0}}${{I1}}${{I2}}${{I3}}${{I4}}':\n{indent}  Type: AWS::ECS::TaskDefinition\n\
         {indent}  Properties: {{ContainerDefinitions: [{{Name: a, Image: b}}]}}\n"
    ));
    std::fs::write(&file, text).unwrap();
    let (code, _, stderr) = scan(&file);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("loops.yaml")
            && stderr.contains("Fn::ForEach loops make more than 2000 resources")
            && stderr.contains("refuses"),
        "{stderr}"
    );
}
