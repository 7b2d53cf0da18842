//! End-to-end `harden scan --dockerfile`: exit codes, the report's inputs, `--target`,
//! `--build-arg`, and errors that name the file and line. Runs the built binary on Dockerfiles
//! written to a temp dir.

use std::path::Path;
use std::process::{Command, Output};

fn harden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .output()
        .expect("the harden binary runs")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

const MULTI_STAGE: &str = "\
ARG APP_USER=app
FROM golang:1.23 AS build
USER builder
FROM debian:12-slim AS runtime
ARG APP_USER
USER ${APP_USER}
HEALTHCHECK CMD [\"/health\"]
FROM runtime AS debug
USER root
";

#[test]
fn scans_a_dockerfile_alone_with_target_and_build_args() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "Dockerfile", MULTI_STAGE);

    // Default target: the last stage, which switches back to root.
    let output = harden(&["scan", "--dockerfile", &path, "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a high finding fails by default"
    );
    let report = json(&output);
    assert_eq!(report["inputs"]["dockerfile"]["target"], "debug");
    assert_eq!(
        report["inputs"]["dockerfile"]["stages"][2]["base"],
        "stage runtime"
    );
    let root = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "DF001")
        .expect("DF001 on the debug stage");
    assert_eq!(root["location"]["lines"]["start"], 9);

    // --target runtime with the ARG default: non-root, so no DF001.
    let output = harden(&[
        "scan",
        "--dockerfile",
        &path,
        "--target",
        "runtime",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "DF001"),
        "{report:#}"
    );

    // --build-arg APP_USER=0 makes the runtime stage root again.
    let output = harden(&[
        "scan",
        "--dockerfile",
        &path,
        "--target",
        "runtime",
        "--build-arg",
        "APP_USER=0",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "DF001"),
        "{report:#}"
    );
    assert_eq!(report["inputs"]["dockerfile"]["build_args"][0], "APP_USER");
}

#[test]
fn bad_inputs_are_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "Dockerfile", MULTI_STAGE);
    let output = harden(&["scan", "--dockerfile", &path, "--target", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nope") && stderr.contains("runtime"),
        "{stderr}"
    );

    let broken = write(
        dir.path(),
        "Broken",
        "FROM alpine\nRUN <<EOF\necho never ends\n",
    );
    let output = harden(&["scan", "--dockerfile", &broken]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{broken}:2:")), "{stderr}");

    let output = harden(&[
        "scan",
        "--dockerfile",
        &dir.path().join("missing").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(2));

    let output = harden(&["scan"]);
    assert_eq!(output.status.code(), Some(2), "nothing to scan");
}

#[test]
fn text_report_names_the_dockerfile_and_fail_on_never_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "Dockerfile", "FROM alpine:3.20\nUSER 0:0\n");
    let output = harden(&["scan", "--dockerfile", &path, "--fail-on", "never"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Dockerfile") && text.contains("DF001"),
        "{text}"
    );
}

/// BuildKit's parser keeps an instruction it does not know (a line whose continuation was
/// forgotten, a template placeholder); only its build rejects it. The scan goes on without it and
/// says so in the notes, rather than refusing the file.
#[test]
fn unknown_instructions_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "Dockerfile",
        "FROM alpine:3.20\nRUN apk add \\\n    curl\n    jq\nONBUILD FETCH x\nUSER app\n",
    );
    let output = harden(&[
        "scan",
        "--dockerfile",
        &path,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = json(&output);
    let notes = report["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains(&format!("{path}:4: unknown instruction JQ"))),
        "{notes:?}"
    );
}
