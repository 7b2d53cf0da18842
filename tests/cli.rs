//! End-to-end tests of the built `harden` binary: `rules`, `explain`, the generated rules reference,
//! usage errors and config errors (exit 2).

use std::path::Path;
use std::process::{Command, Output};

fn harden(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the harden binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn rules_lists_every_registered_check_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let table = harden(&["rules"], dir.path());
    assert_eq!(table.status.code(), Some(0));
    let table = stdout(&table);
    assert!(table.starts_with("ID "));
    let json = harden(&["rules", "--format", "json"], dir.path());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let markdown = stdout(&harden(&["rules", "--format", "markdown"], dir.path()));
    let all = harden::checks::all();
    assert_eq!(list.len(), all.len());
    for (check, entry) in all.iter().zip(&list) {
        assert_eq!(entry["id"], check.id);
        assert_eq!(entry["target"], check.target.as_str());
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(check.id) && l.contains(check.name))
        );
        assert!(markdown.contains(&format!("\n## {}\n", check.id)));
    }
    for id in ["HD001", "HD002", "HD003"] {
        assert!(list.iter().any(|e| e["id"] == id), "{id} is documented");
    }
}

#[test]
fn explain_prints_the_docs_by_id_or_name_and_rejects_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    for query in ["HD001", "hd001", "unused-ignore"] {
        let output = harden(&["explain", query], dir.path());
        assert_eq!(output.status.code(), Some(0), "{query}");
        let text = stdout(&output);
        assert!(text.starts_with("HD001 unused-ignore\nseverity: low · target: tool\n"));
        assert!(text.contains("## Why is this bad?"));
    }
    let output = harden(&["explain", "XX999"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no check has the ID or name \"XX999\""));
}

#[test]
fn docs_rules_md_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let generated = stdout(&harden(&["rules", "--format", "markdown"], dir.path()));
    let path = manifest_dir().join("docs/rules.md");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is stale (a check was added or its docs changed). Regenerate it with:\n\n    cargo run --quiet -- rules --format markdown > docs/rules.md\n",
        path.display()
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["scan", "--fail-on", "sometimes", "x.tar"],
        &["scan", "-f", "json", "-f", "sarif", "x.tar"],
        &["scan", "-o", "report.unknown", "x.tar"],
        &["scan", "--aws-account-id", "12", "x.tar"],
        &["scan", "--aws-region", "Mars", "x.tar"],
        &["frobnicate"],
    ];
    for args in cases {
        let output = harden(args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?} printed a report");
    }
    assert!(
        stderr(&harden(cases[2], dir.path())).contains("cannot tell the format of report.unknown")
    );
}

#[test]
fn a_bad_config_is_an_input_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("harden.toml"),
        "[[ignore]]\nid = \"IM012\"\n",
    )
    .unwrap();
    let output = harden(&["scan", "x.tar"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("harden.toml:1: [[ignore]] of IM012 needs a `reason`"),
        "{}",
        stderr(&output)
    );
    let missing = harden(&["scan", "--config", "nope.toml", "x.tar"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read the config file nope.toml"));
}

mod common;

use serde_json::Value;

/// A Dockerfile whose built stage runs as root (DF001, high) and has no HEALTHCHECK (DF014, low).
const ROOT_DOCKERFILE: &str =
    "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER root\nCMD [\"sh\"]\n";

fn project(dockerfile: &str, config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join("harden.toml"), config).unwrap();
    }
    dir
}

fn scan_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", "--dockerfile", "Dockerfile", "-f", "json"];
    args.extend_from_slice(extra);
    let output = harden(&args, dir);
    let code = output.status.code().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (code, report)
}

/// The exit code a report should give under a gate: 1 when an unsuppressed finding is at or
/// above it. Computed from the JSON report, so these tests hold as checks are added.
fn expected_exit(report: &Value, threshold: &str) -> i32 {
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    let threshold = rank(threshold).unwrap();
    let failing = report["findings"].as_array().unwrap().iter().any(|f| {
        f["suppressed"].is_null() && rank(f["severity"].as_str().unwrap()).unwrap() >= threshold
    });
    i32::from(failing)
}

fn findings_of<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

#[test]
fn fail_on_sets_the_exit_code_and_the_flag_beats_the_config() {
    let dir = project(ROOT_DOCKERFILE, None);
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(findings_of(&report, "DF001").len(), 1);
    assert_eq!(code, 1, "DF001 is high and the default gate is high");
    assert_eq!(scan_json(dir.path(), &["--fail-on", "never"]).0, 0);
    let (code, report) = scan_json(dir.path(), &["--fail-on", "critical"]);
    assert_eq!(code, expected_exit(&report, "critical"));
    assert_eq!(scan_json(dir.path(), &["--fail-on", "low"]).0, 1);

    std::fs::write(dir.path().join("harden.toml"), "fail-on = \"critical\"\n").unwrap();
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(
        code,
        expected_exit(&report, "critical"),
        "the config's fail-on"
    );
    assert_eq!(
        scan_json(dir.path(), &["--fail-on", "high"]).0,
        1,
        "the flag wins"
    );

    std::fs::write(
        dir.path().join("harden.toml"),
        "[severity]\nDF001 = \"low\"\n",
    )
    .unwrap();
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(findings_of(&report, "DF001")[0]["severity"], "low");
    assert_eq!(
        findings_of(&report, "DF001")[0]["evidence"]["severity_override"],
        "high → low (harden.toml)"
    );
    assert_eq!(
        code,
        expected_exit(&report, "high"),
        "DF001 no longer gates"
    );
}

#[test]
fn inline_pragmas_suppress_without_deleting() {
    for pragma in [
        "# harden ignore=DF001 -- the final image drops root",
        "# hadolint ignore=DL3002",
    ] {
        let dockerfile = ROOT_DOCKERFILE.replace("USER root", &format!("{pragma}\nUSER root"));
        let dir = project(&dockerfile, None);
        let (code, report) = scan_json(dir.path(), &[]);
        let root = findings_of(&report, "DF001");
        assert_eq!(root.len(), 1, "{pragma}: the finding stays in the report");
        assert_eq!(root[0]["suppressed"]["kind"], "inline", "{pragma}");
        assert_eq!(root[0]["suppressed"]["origin"], "Dockerfile:3", "{pragma}");
        assert_eq!(
            code,
            expected_exit(&report, "high"),
            "{pragma}: a suppressed finding does not gate"
        );
        assert!(findings_of(&report, "HD001").is_empty(), "{pragma}");
    }
    // A harden pragma above an instruction with no such finding is itself reported.
    let dockerfile = ROOT_DOCKERFILE.replace("RUN apk", "# harden ignore=DF001\nRUN apk");
    let dir = project(&dockerfile, None);
    let (code, report) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let unused = findings_of(&report, "HD001");
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["location"]["lines"]["start"], 2);
}

#[test]
fn config_ignores_apply_expire_and_report_unused_ones() {
    let config = "[[ignore]]\nid = \"DF001\"\nfile = \"Dockerfile\"\nreason = \"build image, never deployed\"\nexpires = \"2999-01-01\"\n\n[[ignore]]\nid = \"DF014\"\nfile = \"other/Dockerfile\"\nreason = \"not this one\"\n";
    let dir = project(ROOT_DOCKERFILE, Some(config));
    let (code, report) = scan_json(dir.path(), &[]);
    let root = findings_of(&report, "DF001");
    assert_eq!(root[0]["suppressed"]["kind"], "config");
    assert_eq!(
        root[0]["suppressed"]["reason"],
        "build image, never deployed"
    );
    assert_eq!(root[0]["suppressed"]["origin"], "harden.toml:1");
    assert_eq!(code, expected_exit(&report, "high"));
    let unused = findings_of(&report, "HD001");
    assert_eq!(unused.len(), 1, "the DF014 ignore names another file");
    assert_eq!(unused[0]["location"]["file"], "harden.toml");
    assert_eq!(unused[0]["location"]["lines"]["start"], 7);

    let expired = config.replace("2999-01-01", "2001-01-01");
    std::fs::write(dir.path().join("harden.toml"), expired).unwrap();
    let (code, report) = scan_json(dir.path(), &[]);
    assert!(findings_of(&report, "DF001")[0]["suppressed"].is_null());
    assert_eq!(code, 1, "an expired ignore no longer protects the gate");
    assert_eq!(findings_of(&report, "HD002").len(), 1);
    assert_eq!(
        findings_of(&report, "HD002")[0]["evidence"]["expires"],
        "2001-01-01"
    );

    std::fs::write(
        dir.path().join("elsewhere.toml"),
        "[severity]\nDF999 = \"low\"\n",
    )
    .unwrap();
    let (_, report) = scan_json(dir.path(), &["--config", "elsewhere.toml"]);
    assert_eq!(
        findings_of(&report, "HD003").len(),
        1,
        "--config replaces ./harden.toml"
    );
    assert!(findings_of(&report, "HD002").is_empty());
}

#[test]
fn one_run_writes_every_format_and_each_validates() {
    let dockerfile = ROOT_DOCKERFILE.replace("USER root", "# hadolint ignore=DL3002\nUSER root");
    let dir = project(
        &dockerfile,
        Some("[[ignore]]\nid = \"DF014\"\nreason = \"ECS runs the health check\"\n"),
    );
    let output = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "sarif",
            "-o",
            "out.sarif",
            "-o",
            "out.json",
            "-o",
            "out.xml",
            "-f",
            "asff",
            "-o",
            "out.asff",
            "--aws-account-id",
            "123456789012",
            "--fail-on",
            "low",
            "-f",
            "text",
        ],
        dir.path(),
    );
    let code = output.status.code().unwrap();
    let text = stdout(&output);
    assert!(text.contains("(2 suppressed)"), "text on stdout: {text}");
    assert!(text.contains("SUPPRESSED (2)"), "{text}");
    assert!(
        text.contains("ECS runs the health check [harden.toml:1]"),
        "{text}"
    );

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap())
            .unwrap();
    assert_eq!(json["schema_version"], "1");
    assert_eq!(code, expected_exit(&json, "low"), "{}", stderr(&output));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    assert_eq!(sarif["runs"][0]["invocations"][0]["exitCode"], code);
    for id in ["DF001", "DF014"] {
        let result = results.iter().find(|r| r["ruleId"] == id).unwrap();
        assert!(result["suppressions"].is_array(), "{id} is suppressed");
    }
    let root = results.iter().find(|r| r["ruleId"] == "DF001").unwrap();
    assert_eq!(
        root["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "Dockerfile"
    );
    assert_eq!(
        root["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
    let xml = std::fs::read_to_string(dir.path().join("out.xml")).unwrap();
    assert!(xml.starts_with("<?xml"));
    let asff = std::fs::read_to_string(dir.path().join("out.asff")).unwrap();
    assert_eq!(asff.lines().count(), 1);

    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, &dir.path().join("out.sarif"), dir.path());
        assert!(errors.is_empty(), "{errors:?}");
    }
    if let Some(python) = common::python_with(&["botocore"]) {
        let problems = common::asff_problems(
            &python,
            &dir.path().join("out.asff"),
            &["--account", "123456789012"],
        );
        assert!(problems.is_none(), "{}", problems.unwrap_or_default());
    }
    if let Some(python) = common::python_with(&["junitparser", "jsonschema"]) {
        let output = Command::new(python)
            .arg("-c")
            .arg("import sys, json, jsonschema\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\nassert sum(1 for s in xml for c in s) >= 2\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))")
            .arg(dir.path().join("out.xml"))
            .arg(dir.path().join("out.json"))
            .arg(manifest_dir().join("schema/report.schema.json"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn asff_with_the_default_account_says_so() {
    let dir = project(ROOT_DOCKERFILE, None);
    let output = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-o",
            "r.asff",
            "-f",
            "json",
        ],
        dir.path(),
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let notes = report["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("000000000000"))
    );
    let asff = std::fs::read_to_string(dir.path().join("r.asff")).unwrap();
    assert!(asff.contains("\"AwsAccountId\":\"000000000000\""));
}

/// A real scan of all three inputs: an image built by `harden::testkit` (root user, a setuid
/// file, no health check), a Dockerfile and a failing task definition, written in every format at
/// once and checked by every validator.
#[test]
fn a_real_three_input_scan_validates_in_every_format() {
    use harden::testkit::{ImageSpec, LayerSpec, Layout};
    let dir = project(
        ROOT_DOCKERFILE,
        Some(
            "[[ignore]]\nid = \"IM003\"\npath = \"/usr/bin/passwd\"\nreason = \"passwd needs setuid; no user has a login shell\"\n",
        ),
    );
    ImageSpec::new()
        .user("root")
        .reference("example.com/web:1.2.3")
        .layer(
            LayerSpec::gzip()
                .dir("/usr", 0o755)
                .dir("/usr/bin", 0o755)
                .file("/usr/bin/passwd", 0o4755, b"not a real binary")
                .file("/usr/bin/app", 0o755, b"app"),
        )
        .write(Layout::DockerArchive, &dir.path().join("app.tar"))
        .unwrap();
    std::fs::copy(
        manifest_dir().join("fixtures/ecs/ECS.20/fail-root.json"),
        dir.path().join("td.json"),
    )
    .unwrap();
    let output = harden(
        &[
            "scan",
            "app.tar",
            "--dockerfile",
            "Dockerfile",
            "--task-def",
            "td.json",
            "-o",
            "r.sarif",
            "-o",
            "r.json",
            "-o",
            "r.xml",
            "-o",
            "r.asff",
            "--aws-account-id",
            "123456789012",
            "--aws-region",
            "eu-west-1",
        ],
        dir.path(),
    );
    let code = output.status.code().unwrap();
    assert!(code == 0 || code == 1, "{}", stderr(&output));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(code, expected_exit(&json, "high"));
    let sources: std::collections::BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["source"].as_str())
        .collect();
    for source in ["image", "dockerfile", "task_definition"] {
        assert!(sources.contains(source), "no {source} finding: {sources:?}");
    }
    let passwd = findings_of(&json, "IM003");
    assert_eq!(passwd.len(), 1);
    assert_eq!(passwd[0]["suppressed"]["kind"], "config");
    assert!(
        json["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "ECS.20" && c["status"] == "failed")
    );

    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, &dir.path().join("r.sarif"), dir.path());
        assert!(errors.is_empty(), "{errors:?}");
    }
    let asff = std::fs::read_to_string(dir.path().join("r.asff")).unwrap();
    assert!(asff.contains("\"SecurityControlId\":\"ECS.20\""));
    assert!(asff.contains("\"Type\":\"AwsEcsTaskDefinition\""));
    assert!(asff.contains("\"Type\":\"Container\""));
    if let Some(python) = common::python_with(&["botocore", "junitparser", "jsonschema"]) {
        let problems = common::asff_problems(
            &python,
            &dir.path().join("r.asff"),
            &["--account", "123456789012", "--region", "eu-west-1"],
        );
        assert!(problems.is_none(), "{}", problems.unwrap_or_default());
        let output = Command::new(&python)
            .arg("-c")
            .arg("import sys, json, jsonschema\nfrom junitparser import JUnitXml, Failure\nxml = JUnitXml.fromfile(sys.argv[1])\nnames = [s.name for s in xml]\nassert len(names) >= 3, names\nassert any(isinstance(r, Failure) for s in xml for c in s for r in c.result)\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))")
            .arg(dir.path().join("r.xml"))
            .arg(dir.path().join("r.json"))
            .arg(manifest_dir().join("schema/report.schema.json"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn an_input_error_says_its_cause_once() {
    for args in [
        &["scan", "--dockerfile", "/nonexistent/Dockerfile"][..],
        &[
            "scan",
            "--config",
            "/nonexistent/harden.toml",
            "--dockerfile",
            "images/demo/Dockerfile",
        ][..],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_harden"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.matches("No such file or directory").count(),
            1,
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("/nonexistent/"), "{stderr}");
    }
}
