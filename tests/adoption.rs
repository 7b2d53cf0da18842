//! Adopting harden in CI: the gate line, `-o -`, `--severity`/`--skip`/`--only`, baselines that
//! survive a path respelled and a line inserted, config discovery and environment variables.

use std::path::Path;
use std::process::{Command, Output};

fn harden_with(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for key in [
        "HARDEN_FAIL_ON",
        "HARDEN_SEVERITY",
        "HARDEN_CONFIG",
        "HARDEN_ONLY",
        "HARDEN_SKIP",
        "HARDEN_BASELINE",
        "HARDEN_QUIET",
    ] {
        command.env_remove(key);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the harden binary runs")
}

fn harden(args: &[&str], dir: &Path) -> Output {
    harden_with(args, dir, &[])
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("a JSON report")
}

/// A Dockerfile with a credential in ENV and in an ARG default (high) and a root USER, among
/// lower-severity findings.
const DOCKERFILE: &str = "FROM alpine:3.20\nARG API_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nENV DB_PASSWORD=s3cr3t-Passw0rd!\nUSER root\nCMD [\"sh\"]\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // A repository root, so config discovery stops here.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), DOCKERFILE).unwrap();
    dir
}

fn unsuppressed(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_none())
        .collect()
}

#[test]
fn a_failing_run_says_why_on_stderr_whatever_the_outputs_and_quiet_silences_it() {
    let dir = project();
    let output = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "sarif",
            "-o",
            "a.sarif",
            "-f",
            "json",
            "-o",
            "a.json",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let report = json(&std::fs::read(dir.path().join("a.json")).unwrap());
    let failing: Vec<&str> = unsuppressed(&report)
        .into_iter()
        .filter_map(|f| f["severity"].as_str())
        .filter(|s| matches!(*s, "high" | "critical"))
        .collect();
    assert!(!failing.is_empty());
    let high = failing.iter().filter(|s| **s == "high").count();
    let critical = failing.len() - high;
    let mut counts = Vec::new();
    if critical > 0 {
        counts.push(format!("{critical} critical"));
    }
    if high > 0 {
        counts.push(format!("{high} high"));
    }
    let noun = if failing.len() == 1 {
        "finding"
    } else {
        "findings"
    };
    assert_eq!(
        stderr(&output),
        format!(
            "harden: {} {noun} at or above high ({}); failing\n",
            failing.len(),
            counts.join(", ")
        )
    );

    let quiet = harden(
        &["scan", "--dockerfile", "Dockerfile", "-q", "-o", "b.json"],
        dir.path(),
    );
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(stderr(&quiet), "");
    // The environment variable takes the values a CI system writes (1, yes, true; 0 is off).
    for (value, silent) in [("1", true), ("yes", true), ("true", true), ("0", false)] {
        let by_env = harden_with(
            &["scan", "--dockerfile", "Dockerfile", "-o", "c.json"],
            dir.path(),
            &[("HARDEN_QUIET", value)],
        );
        assert_eq!(by_env.status.code(), Some(1), "HARDEN_QUIET={value}");
        assert_eq!(
            stderr(&by_env).is_empty(),
            silent,
            "HARDEN_QUIET={value}: {}",
            stderr(&by_env)
        );
    }

    // A passing gate prints no gate line.
    let never = harden(
        &["scan", "--dockerfile", "Dockerfile", "--fail-on", "never"],
        dir.path(),
    );
    assert_eq!(never.status.code(), Some(0));
    assert!(!stderr(&never).contains("failing"));
}

#[test]
fn dash_output_is_standard_output() {
    let dir = project();
    let output = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "json",
            "-o",
            "-",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !json(&output.stdout)["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!dir.path().join("-").exists());
}

#[test]
fn severity_filters_what_is_shown_not_the_gate_and_skip_only_select_checks() {
    let dir = project();
    let all = json(
        &harden(
            &["scan", "--dockerfile", "Dockerfile", "-f", "json"],
            dir.path(),
        )
        .stdout,
    );
    let all = all["findings"].as_array().unwrap().clone();
    assert!(
        all.iter()
            .any(|f| f["severity"] != "high" && f["severity"] != "critical")
    );

    let shown = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "json",
            "--severity",
            "high",
            "--fail-on",
            "info",
        ],
        dir.path(),
    );
    assert_eq!(shown.status.code(), Some(1));
    let shown = json(&shown.stdout);
    let shown = shown["findings"].as_array().unwrap();
    assert!(!shown.is_empty());
    assert!(
        shown
            .iter()
            .all(|f| f["severity"] == "high" || f["severity"] == "critical")
    );
    // The gate still counted every finding (fail-on info).
    assert!(
        stderr(&harden(
            &[
                "scan",
                "--dockerfile",
                "Dockerfile",
                "--severity",
                "critical",
                "--fail-on",
                "info"
            ],
            dir.path()
        ))
        .contains(&format!("harden: {} findings at or above info", all.len()))
    );

    // Environment variables stand for the flags.
    let from_env = harden_with(
        &["scan", "--dockerfile", "Dockerfile", "-f", "json"],
        dir.path(),
        &[("HARDEN_SEVERITY", "high"), ("HARDEN_FAIL_ON", "never")],
    );
    assert_eq!(from_env.status.code(), Some(0));
    assert_eq!(
        json(&from_env.stdout)["findings"].as_array().unwrap().len(),
        shown.len()
    );

    let skipped = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "json",
            "--skip",
            "DF",
        ],
        dir.path(),
    );
    assert_eq!(skipped.status.code(), Some(0), "{}", stderr(&skipped));
    let skipped = json(&skipped.stdout);
    assert!(
        skipped["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["id"].as_str().unwrap().starts_with("DF"))
    );
    let only = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "json",
            "--only",
            "DF004,root-user",
        ],
        dir.path(),
    );
    let only = json(&only.stdout);
    let ids: std::collections::BTreeSet<&str> = only["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains("DF004"), "{ids:?}");
    assert!(
        ids.iter().all(|id| *id == "DF004" || *id == "DF001"),
        "{ids:?}"
    );

    let unknown = harden(
        &["scan", "--dockerfile", "Dockerfile", "--skip", "ZZ"],
        dir.path(),
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("--skip \"ZZ\""));
}

#[test]
fn a_baseline_survives_a_respelled_path_and_an_inserted_line_and_counts_what_is_gone() {
    let dir = project();
    let write = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "--write-baseline",
            "baseline.json",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(write.status.code(), Some(1));
    let recorded = json(&write.stdout)["findings"].as_array().unwrap().len();
    let baseline = json(&std::fs::read(dir.path().join("baseline.json")).unwrap());
    assert_eq!(baseline["findings"].as_array().unwrap().len(), recorded);

    // The same Dockerfile named three ways, with a line inserted above every finding.
    let text = DOCKERFILE.replacen(
        "FROM alpine:3.20\n",
        "# syntax note\n\nFROM alpine:3.20\n\n",
        1,
    );
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let absolute = dir.path().join("Dockerfile").display().to_string();
    for spelling in ["Dockerfile", "./Dockerfile", absolute.as_str()] {
        let output = harden(
            &[
                "scan",
                "--dockerfile",
                spelling,
                "--baseline",
                "baseline.json",
                "-f",
                "json",
            ],
            dir.path(),
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{spelling}: {}",
            stderr(&output)
        );
        assert!(unsuppressed(&json(&output.stdout)).is_empty(), "{spelling}");
        assert!(
            stderr(&output).contains(&format!("0 new findings; {recorded} in the baseline")),
            "{}",
            stderr(&output)
        );
    }

    // A new problem is reported and gates; a fixed one is counted gone.
    let text = DOCKERFILE
        .replace("ENV DB_PASSWORD=s3cr3t-Passw0rd!\n", "")
        .replace(
            "CMD",
            "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nCMD",
        );
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let output = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "--baseline",
            "baseline.json",
            "-f",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let new = unsuppressed(&json(&output.stdout)).len();
    assert!(new >= 1);
    assert!(
        stderr(&output).contains("1 baseline finding gone")
            || stderr(&output).contains("baseline findings gone"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains(" 0 baseline findings gone"));
}

#[test]
fn config_is_found_in_a_parent_directory_up_to_the_repository_root() {
    let dir = project();
    std::fs::write(dir.path().join(".harden.toml"), "fail-on = \"never\"\n").unwrap();
    let sub = dir.path().join("sub/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    let output = harden(&["scan", "--dockerfile", "../../Dockerfile"], &sub);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // HARDEN_CONFIG names another file.
    std::fs::write(dir.path().join("strict.toml"), "fail-on = \"info\"\n").unwrap();
    let output = harden_with(
        &["scan", "--dockerfile", "../../Dockerfile"],
        &sub,
        &[("HARDEN_CONFIG", "../../strict.toml")],
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn an_ignore_matching_evidence_suppresses_only_that_finding() {
    let dir = project();
    std::fs::write(
        dir.path().join("harden.toml"),
        "[[ignore]]\nid = \"DF004\"\nmatch = { name = \"DB_PASSWORD\" }\nreason = \"a test database\"\n",
    )
    .unwrap();
    let output = harden(
        &["scan", "--dockerfile", "Dockerfile", "-f", "json"],
        dir.path(),
    );
    let report = json(&output.stdout);
    let df004: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "DF004")
        .collect();
    assert!(df004.len() >= 2, "{df004:?}");
    for finding in df004 {
        let is_db = finding["evidence"]["name"] == "DB_PASSWORD";
        assert_eq!(finding.get("suppressed").is_some(), is_db, "{finding}");
        if is_db {
            assert_eq!(finding["suppressed"]["reason"], "a test database");
        }
    }
}

#[test]
fn an_input_given_to_the_wrong_flag_is_named_with_the_right_flag() {
    let dir = project();
    std::fs::write(
        dir.path().join("td.json"),
        "{\"family\": \"web\", \"containerDefinitions\": [{\"name\": \"a\", \"image\": \"x\"}]}",
    )
    .unwrap();
    let output = harden(&["scan", "Dockerfile"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("it is a Dockerfile; pass it with --dockerfile"),
        "{error}"
    );
    assert!(
        !error.contains("alpine"),
        "the file's text is not dumped: {error}"
    );

    let output = harden(&["scan", "td.json"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("pass it with --task-def"),
        "{}",
        stderr(&output)
    );

    // A tar given to --dockerfile.
    let mut tar = vec![0u8; 1024];
    tar[..4].copy_from_slice(b"file");
    tar[257..262].copy_from_slice(b"ustar");
    std::fs::write(dir.path().join("app.tar"), tar).unwrap();
    let output = harden(&["scan", "--dockerfile", "app.tar"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("not a Dockerfile: it is an image archive; pass it as the image"),
        "{error}"
    );
}

#[test]
fn a_dockerfile_is_read_from_standard_input() {
    use std::io::Write;
    let dir = project();
    let mut child = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--dockerfile", "-", "-f", "json"])
        .current_dir(dir.path())
        .env_remove("HARDEN_FAIL_ON")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(DOCKERFILE.as_bytes())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    let from_file = harden(
        &["scan", "--dockerfile", "Dockerfile", "-f", "json"],
        dir.path(),
    );
    assert_eq!(
        piped.status.code(),
        from_file.status.code(),
        "{}",
        stderr(&piped)
    );
    let ids = |output: &Output| -> Vec<String> {
        json(&output.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"], f["location"]["lines"]))
            .collect()
    };
    assert_eq!(ids(&piped), ids(&from_file));
    assert!(!ids(&piped).is_empty());
}

#[test]
fn the_rules_table_fits_in_100_columns_and_keeps_every_summary_word() {
    let dir = tempfile::tempdir().unwrap();
    let table = String::from_utf8(harden(&["rules"], dir.path()).stdout).unwrap();
    for line in table.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // Each row's summary, joined back from its wrapped lines, is the first sentence whole.
    let joined = table.split_whitespace().collect::<Vec<_>>().join(" ");
    for check in harden::checks::all() {
        let summary = check.summary();
        let first = match summary.find(". ") {
            Some(end) => &summary[..=end],
            None => summary.as_str(),
        };
        let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(joined.contains(&first), "{}: {first:?} missing", check.id);
    }
}

/// The demo bundle bakes API_TOKEN into the image (an ARG default and an ENV in the Dockerfile, the
/// image config, the build history) and the task definition passes it again in plain
/// `environment`: two fixes (stop baking it; pass it as a secret), so two findings.
#[test]
fn one_credential_in_every_source_is_one_finding_per_distinct_fix() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("images/demo");
    let dir = tempfile::tempdir().unwrap();
    let output = harden(
        &[
            "scan",
            demo.join("demo.tar").to_str().unwrap(),
            "--dockerfile",
            demo.join("Dockerfile").to_str().unwrap(),
            "--task-def",
            demo.join("taskdef.json").to_str().unwrap(),
            "-f",
            "json",
            "-o",
            "-",
            "-f",
            "sarif",
            "-o",
            "r.sarif",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output.stdout);
    let findings = report["findings"].as_array().unwrap();
    let baked: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| {
            ["DF004", "IM008", "IM009", "XC006"].contains(&f["id"].as_str().unwrap())
                && f["evidence"]["name"] == "API_TOKEN"
        })
        .collect();
    assert_eq!(baked.len(), 1, "{baked:#?}");
    let baked = baked[0];
    assert_eq!(
        baked["location"]["source"], "dockerfile",
        "placed where the fix is made"
    );
    let checks = baked["evidence"]["checks"].as_str().unwrap();
    for id in ["DF004", "IM008", "IM009"] {
        assert!(checks.contains(id), "{checks}");
    }
    let related = baked["related"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["source"] == "image"),
        "{related:?}"
    );
    // The other fix: the task definition passes it in plain environment.
    let passed = findings
        .iter()
        .filter(|f| f["id"] == "TD007" && f["message"].as_str().unwrap().contains("API_TOKEN"))
        .count();
    assert_eq!(passed, 1);
    // SARIF carries the other places as relatedLocations of the one result.
    let sarif = json(&std::fs::read(dir.path().join("r.sarif")).unwrap());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let grouped: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| {
            r["ruleId"] == "DF004" && r["message"]["text"].as_str().unwrap().contains("API_TOKEN")
        })
        .collect();
    assert_eq!(grouped.len(), 1);
    assert!(grouped[0]["relatedLocations"].as_array().unwrap().len() >= related.len());
    assert!(!results.iter().any(|r| r["ruleId"] == "IM008"));
}

/// pre-commit passes every changed file at once: each Dockerfile is reported on its own, exactly
/// as when scanned alone.
#[test]
fn several_dockerfiles_in_one_run_are_each_reported_on_their_own() {
    let dir = project();
    std::fs::create_dir(dir.path().join("web")).unwrap();
    std::fs::write(
        dir.path().join("web/Dockerfile"),
        "FROM nginx:latest\nUSER 0\nRUN curl -fsSL https://example.com/x.sh | sh\n",
    )
    .unwrap();
    let findings = |args: &[&str]| -> Vec<(String, String, String)> {
        let mut all = vec!["scan", "-f", "json", "--fail-on", "never"];
        all.extend_from_slice(args);
        let output = harden(&all, dir.path());
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let mut found: Vec<(String, String, String)> = json(&output.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].to_string(),
                    f["location"]["file"].to_string(),
                    f["location"]["lines"].to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let together = findings(&[
        "--dockerfile",
        "Dockerfile",
        "--dockerfile",
        "web/Dockerfile",
    ]);
    let mut apart = findings(&["--dockerfile", "Dockerfile"]);
    apart.extend(findings(&["--dockerfile", "web/Dockerfile"]));
    apart.sort();
    assert_eq!(together, apart);
    assert!(
        together
            .iter()
            .any(|(_, file, _)| file.contains("web/Dockerfile"))
    );
    assert!(together.iter().any(|(_, file, _)| file == "\"Dockerfile\""));
}
