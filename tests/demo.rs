//! The demo bundle in images/demo/ (image, Dockerfile, task definition): the committed archive is
//! what the generator writes, and the bundle scans into every format, each validated by the real
//! validators, with findings from every input. The text report is snapshotted.

mod common;

use std::path::Path;
use std::process::Command;

use common::manifest_dir;
use harden::testkit::{Layout, parse_image};

fn demo_dir() -> std::path::PathBuf {
    manifest_dir().join("images/demo")
}

#[test]
fn committed_demo_archive_is_what_the_generator_writes() {
    let text = std::fs::read_to_string(demo_dir().join("demo.image")).unwrap();
    let expected = parse_image(&text)
        .unwrap()
        .files(Layout::DockerOciArchive)
        .unwrap()
        .tar_bytes()
        .unwrap();
    let committed = std::fs::read(demo_dir().join("demo.tar")).unwrap();
    assert!(
        committed == expected,
        "images/demo/demo.tar is stale: run `cargo run --example make_demo` and commit it"
    );
}

fn scan_demo(extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .current_dir(manifest_dir())
        .args([
            "scan",
            "images/demo/demo.tar",
            "--dockerfile",
            "images/demo/Dockerfile",
            "--task-def",
            "images/demo/taskdef.json",
        ])
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("the harden binary runs")
}

#[test]
fn demo_bundle_scans_into_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (json, sarif, asff, junit, text) = (
        out("demo.json"),
        out("demo.sarif"),
        out("demo.asff"),
        out("demo.xml"),
        out("demo.txt"),
    );
    let output = scan_demo(&[
        "-f", "json", "-o", &json, "-f", "sarif", "-o", &sarif, "-f", "asff", "-o", &asff, "-f",
        "junit", "-o", &junit, "-f", "text", "-o", &text,
    ]);
    // Critical findings exist, so the default gate (high) fails the run.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // A finding standing for several checks (one problem, one finding) lists them in `checks`.
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let grouped = f["evidence"]["checks"].as_str().unwrap_or_default();
            std::iter::once(f["id"].as_str().unwrap()).chain(grouped.split(", "))
        })
        .collect();
    // One deliberate problem of each input reaches the combined report, and every cross-source
    // check fires on the joined inputs (issue 5: "the demo bundle shows every cross-source
    // finding").
    for id in [
        "IM003", "IM006", "IM008", "IM010", "DF004", "DF010", "ECS.4", "ECS.20", "TD001", "XC001",
        "XC002", "XC003", "XC004", "XC005", "XC006", "XC007",
    ] {
        assert!(
            ids.contains(&id),
            "{id} missing from the demo report: {ids:?}"
        );
    }
    // Both containers run the scanned repository (one at another digest: XC005), and the
    // Dockerfile's final stage is the image's build history.
    let pairings = report["inputs"]["pairings"].as_array().unwrap();
    let paired: Vec<(&str, bool)> = pairings
        .iter()
        .map(|p| {
            (
                p["container"].as_str().unwrap(),
                p["paired"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(paired, [("app", true), ("worker", true)]);
    assert_eq!(report["inputs"]["dockerfile_match"]["status"], "matched");
    assert!(
        report["inputs"]["image"]["manifest_digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    // The setuid bit the Dockerfile's `chmod u+s /usr/bin/passwd` adds is one finding on that
    // line (DF010), with the image file (IM003) as a related place.
    let setuid = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"]["checks"] == "DF010, IM003")
        .unwrap();
    assert_eq!(setuid["id"], "DF010");
    assert_eq!(setuid["location"]["source"], "dockerfile");
    assert!(
        setuid["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == "/usr/bin/passwd"),
        "{setuid}"
    );

    // In ASFF, a cross-source finding names both resources: the task definition and the image.
    let asff_findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&asff).unwrap()).unwrap();
    let asff_findings = asff_findings
        .as_array()
        .or_else(|| asff_findings["Findings"].as_array())
        .unwrap();
    let xc002 = asff_findings
        .iter()
        .find(|f| f["GeneratorId"] == "harden/XC002")
        .unwrap();
    let types: Vec<&str> = xc002["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["AwsEcsTaskDefinition", "Container"]);

    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, Path::new(&sarif), dir.path());
        assert!(errors.is_empty(), "{errors:?}");
    }
    if let Some(python) = common::python_with(&["botocore", "junitparser", "jsonschema"]) {
        let problems = common::asff_problems(&python, Path::new(&asff), &[]);
        assert!(problems.is_none(), "{}", problems.unwrap_or_default());
        let others = Command::new(&python)
            .arg("-c")
            .arg("import sys, json, jsonschema\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\nassert sum(1 for s in xml for c in s) >= 10\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))")
            .arg(&junit)
            .arg(&json)
            .arg(manifest_dir().join("schema/report.schema.json"))
            .output()
            .unwrap();
        assert!(
            others.status.success(),
            "{}",
            String::from_utf8_lossy(&others.stderr)
        );
    }

    insta::assert_snapshot!("demo_text_report", std::fs::read_to_string(&text).unwrap());
}
