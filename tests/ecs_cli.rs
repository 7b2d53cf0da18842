//! End-to-end `harden scan --task-def`: exit codes, the JSON report's `controls` and `inputs`, the
//! text report's control table, and input errors naming the file.

use std::process::Command;

fn harden(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs harden");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_failing_task_definition_alone_exits_1_with_controls_in_json() {
    let (code, stdout, stderr) = harden(&[
        "scan",
        "--task-def",
        "fixtures/ecs/ECS.5/fail-absent.json",
        "-f",
        "json",
        "--no-progress",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ecs5 = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ECS.5")
        .expect("ECS.5 result");
    assert_eq!(ecs5["status"], "failed");
    assert_eq!(ecs5["resource"]["name"], "web");
    assert_eq!(
        ecs5["offenders"][0]["pointer"],
        "/containerDefinitions/0/readonlyRootFilesystem"
    );
    assert_eq!(ecs5["offenders"][0]["container"], "app");
    assert_eq!(
        report["inputs"]["task_definitions"][0]["format"],
        "register_input"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "ECS.5")
    );
}

#[test]
fn a_hardened_task_definition_exits_0_and_the_text_report_has_a_control_table() {
    let (code, stdout, stderr) = harden(&["scan", "--task-def", "fixtures/ecs/ECS.5/pass.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("Controls web (AwsEcsTaskDefinition"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("ECS.5") && l.contains("passed")),
        "{stdout}"
    );
}

#[test]
fn required_tags_flag_reaches_ecs_15() {
    let (_, stdout, _) = harden(&[
        "scan",
        "--task-def",
        "fixtures/ecs/ECS.15/pass.json",
        "--required-tags",
        "team,cost-center",
        "-f",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ecs15 = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ECS.15")
        .unwrap();
    assert_eq!(ecs15["status"], "failed");
    assert!(
        ecs15["offenders"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cost-center")
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"containerDefinitions\": [").unwrap();
    let (code, _, stderr) = harden(&["scan", "--task-def", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("broken.json:1:") && stderr.contains("invalid JSON"),
        "{stderr}"
    );
    let (code, _, stderr) = harden(&["scan"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nothing to scan"), "{stderr}");
    // The I/O error is said once, not once more as its cause.
    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = harden(&["scan", "--task-def", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.json: cannot read: "), "{stderr}");
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
}

#[test]
fn loader_notes_reach_the_report() {
    // A directory with a file that is not an ECS input: skipped, and the report says so.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("td.json"),
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1", "user": "1000", "readonlyRootFilesystem": true}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"name": "web", "version": "1.0.0"}"#,
    )
    .unwrap();
    let (_, stdout, stderr) = harden(&[
        "scan",
        "--task-def",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("package.json") && n.contains("skipped")),
        "{notes:?}"
    );
}

/// The ECS deploy GitHub Action reads task-definition.json with a YAML parser, so JSON with `#`
/// comments or trailing commas registers; harden reads it as YAML too and says so.
#[test]
fn json_only_a_yaml_parser_accepts_is_read_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("task-definition.json");
    std::fs::write(
        &path,
        "{\n  \"family\": \"web\", # the service\n  \"containerDefinitions\": [\n    {\"name\": \"app\", \"image\": \"app:1\", \"user\": \"1000\",},\n  ],\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = harden(&[
        "scan",
        "--task-def",
        path.to_str().unwrap(),
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let note = report["notes"][0].as_str().unwrap();
    assert!(
        note.contains("task-definition.json: not valid JSON (2:") && note.contains("read as YAML"),
        "{note}"
    );
    let control = |id: &str| {
        report["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(control("ECS.20")["status"], "passed");
    let ecs5 = control("ECS.5");
    assert_eq!(ecs5["status"], "failed");
    assert_eq!(ecs5["offenders"][0]["line"], 4);
}
