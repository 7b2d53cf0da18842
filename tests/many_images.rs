//! Several images in one run (`harden scan IMAGE... --task-def TD`, `--images-from`, `--shard`,
//! `-f jsonl`). The oracle for what each image's section holds is harden's own one-image scan
//! of that image, paired by `--container` (so a pairing mistake in the run of several shows as a
//! difference); skopeo gives the manifest digest a container pins; the JSON schema, the SARIF
//! multitool and junitparser validate the outputs.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harden::testkit::{ImageSpec, LayerSpec, Layout};

fn harden(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("HARDEN_SHARD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run harden");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A small docker-archive image tagged `reference`, with `user` as its config's User.
fn image(dir: &Path, name: &str, reference: &str, user: Option<&str>) -> String {
    let mut spec = ImageSpec::new().reference(reference).layer(
        LayerSpec::gzip()
            .dir("/etc", 0o755)
            .file(
                "/etc/passwd",
                0o644,
                "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
            )
            .dir("/usr/bin", 0o755)
            .file("/usr/bin/passwd", 0o4755, "#!/bin/true\n")
            .file(&format!("/srv/{name}"), 0o644, name),
    );
    if let Some(user) = user {
        spec = spec.user(user);
    }
    let path = dir.join(format!("{name}.tar"));
    spec.write(Layout::DockerArchive, &path).unwrap();
    path.display().to_string()
}

/// Three images and a task definition with one container for each, named by reference.
struct Three {
    _dir: tempfile::TempDir,
    images: Vec<String>,
    task_definition: String,
}

fn three() -> Three {
    let dir = tempfile::tempdir().unwrap();
    let images = vec![
        // Runs as a user: no effective-root finding.
        image(
            dir.path(),
            "web",
            "registry.example.com/shop/web:1",
            Some("1000"),
        ),
        // No USER, and its container sets none: runs as root (XC001).
        image(
            dir.path(),
            "proxy",
            "registry.example.com/shop/proxy:2",
            None,
        ),
        // No USER, but its container sets one.
        image(dir.path(), "logs", "registry.example.com/shop/logs:3", None),
    ];
    let task_definition = dir.path().join("td.json");
    std::fs::write(
        &task_definition,
        r#"{"family": "shop", "containerDefinitions": [
            {"name": "web", "image": "registry.example.com/shop/web:1", "essential": true},
            {"name": "proxy", "image": "registry.example.com/shop/proxy:2"},
            {"name": "logs", "image": "registry.example.com/shop/logs:3", "user": "1000"},
            {"name": "elsewhere", "image": "docker.io/library/redis:7"}
        ]}"#,
    )
    .unwrap();
    Three {
        images,
        task_definition: task_definition.display().to_string(),
        _dir: dir,
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(output)))
}

/// (id, location, message) of the findings in an image or cross-source check.
fn image_and_cross_findings(report: &serde_json::Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            id.starts_with("IM") || id.starts_with("XC")
        })
        .map(|f| format!("{} {} {}", f["id"], f["location"], f["message"]))
        .collect()
}

#[test]
fn a_task_definition_with_three_containers_pairs_each_with_its_image() {
    let three = three();
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(three.images.iter().map(String::as_str));
    args.extend(["--task-def", &three.task_definition]);
    args.extend(["-f", "json", "--fail-on", "never"]);
    let output = harden(&args, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = json(&output);
    assert!(report["inputs"].get("image").is_none());
    let sources: Vec<&str> = report["inputs"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, three.images);

    // Each container with its own image; the fourth with none, and said so.
    let pairings = report["inputs"]["pairings"].as_array().unwrap();
    for (container, image) in ["web", "proxy", "logs"].iter().zip(&three.images) {
        let record = pairings
            .iter()
            .find(|p| p["container"] == *container)
            .unwrap_or_else(|| panic!("no pairing record for {container}: {pairings:?}"));
        assert_eq!(record["paired"], true, "{record}");
        assert_eq!(record["image"], image.as_str(), "{record}");
    }
    let elsewhere = pairings
        .iter()
        .find(|p| p["container"] == "elsewhere")
        .unwrap();
    assert_eq!(elsewhere["paired"], false);
    assert_eq!(pairings.len(), 4, "one record per container: {pairings:?}");

    // The oracle: each image scanned alone, paired by --container. The run of three holds
    // exactly the union of their image and cross-source findings.
    let mut expected = BTreeSet::new();
    for (container, image) in ["web", "proxy", "logs"].iter().zip(&three.images) {
        let alone = common::scan_json(&[
            image.as_str(),
            "--task-def",
            &three.task_definition,
            "--container",
            container,
        ]);
        expected.extend(image_and_cross_findings(&alone));
    }
    assert_eq!(image_and_cross_findings(&report), expected);
    // Effective root only where the image sets no user and the container none either.
    let xc001: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "XC001")
        .collect();
    assert_eq!(xc001.len(), 1, "{xc001:?}");
    assert_eq!(
        xc001[0]["location"]["pointer"], "/containerDefinitions/1",
        "{xc001:?}"
    );
    assert!(
        xc001[0]["message"].as_str().unwrap().contains("proxy"),
        "{xc001:?}"
    );
    // The task definition's own findings once, not once per image.
    let task_definition_only = common::scan_json(&["--task-def", &three.task_definition]);
    let count = |report: &serde_json::Value, prefix: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"].as_str().unwrap().starts_with(prefix))
            .count()
    };
    for family in ["ECS", "TD"] {
        assert_eq!(
            count(&report, family),
            count(&task_definition_only, family),
            "{family}"
        );
    }
    assert_eq!(
        report["controls"].as_array().unwrap().len(),
        task_definition_only["controls"].as_array().unwrap().len()
    );
    validate_schema(&report, None);
}

#[test]
fn a_container_pinned_by_digest_pairs_with_that_image_among_several() {
    if common::tool_or_skip(
        "skopeo",
        Command::new("skopeo")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
            .then(|| "skopeo".into()),
        "apt-get install -y skopeo",
    )
    .is_none()
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = |name: &str| {
        let path = dir.path().join(format!("{name}.oci.tar"));
        ImageSpec::new()
            .layer(LayerSpec::gzip().file(&format!("/srv/{name}"), 0o644, name))
            .write(Layout::OciArchive, &path)
            .unwrap();
        path
    };
    let (a, b) = (archive("a"), archive("b"));
    let digest = |path: &PathBuf| {
        let output = Command::new("skopeo")
            .args(["inspect", "--format", "{{.Digest}}"])
            .arg(format!("oci-archive:{}", path.display()))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    let td = dir.path().join("td.json");
    std::fs::write(
        &td,
        format!(
            r#"{{"family": "f", "containerDefinitions": [{{"name": "second", "image": "r.example/app@{}"}}, {{"name": "first", "image": "r.example/app@{}"}}]}}"#,
            digest(&b),
            digest(&a)
        ),
    )
    .unwrap();
    let (a, b) = (
        format!("oci-archive:{}", a.display()),
        format!("oci-archive:{}", b.display()),
    );
    let report = common::scan_json(&[a.as_str(), b.as_str(), "--task-def", td.to_str().unwrap()]);
    let pairings = report["inputs"]["pairings"].as_array().unwrap();
    let image_of = |container: &str| {
        pairings
            .iter()
            .find(|p| p["container"] == container)
            .map(|p| p["image"].as_str().unwrap().to_string())
    };
    assert_eq!(image_of("first").as_deref(), Some(a.as_str()));
    assert_eq!(image_of("second").as_deref(), Some(b.as_str()));
}

#[test]
fn an_image_that_cannot_be_read_is_an_error_entry_and_the_others_are_reported() {
    let three = three();
    let missing = three.images[0].replace("web.tar", "missing.tar");
    let output = harden(
        &[
            "scan",
            &three.images[0],
            &missing,
            &three.images[1],
            "-f",
            "json",
            "--fail-on",
            "never",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("missing.tar"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("incomplete"),
        "{}",
        stderr(&output)
    );
    let report = json(&output);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["image"], missing.as_str());
    assert_eq!(report["inputs"]["images"].as_array().unwrap().len(), 2);
    validate_schema(&report, None);

    // SARIF says the run did not succeed; JUnit has an errored suite for it.
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    let junit = dir.path().join("r.xml");
    let output = harden(
        &[
            "scan",
            &three.images[0],
            &missing,
            "-o",
            sarif.to_str().unwrap(),
            "-o",
            junit.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(
        value["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("errors=\"1\""), "{xml}");
}

#[test]
fn every_format_carries_every_image_and_validates() {
    let three = three();
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    let junit = dir.path().join("r.xml");
    let asff = dir.path().join("r.asff.json");
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(three.images.iter().map(String::as_str));
    args.extend(["--task-def", &three.task_definition, "--fail-on", "never"]);
    args.extend(["-o", sarif.to_str().unwrap(), "-o", junit.to_str().unwrap()]);
    args.extend(["-o", asff.to_str().unwrap(), "-f", "text"]);
    let output = harden(&args, None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for image in &three.images {
        assert!(text.contains(image.as_str()), "{image} missing in text");
    }

    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let run = &value["runs"][0];
    assert_eq!(run["artifacts"].as_array().unwrap().len(), 3);
    // A path inside each image is under that image's own base id.
    let bases: BTreeSet<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "IM003")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(bases.len(), 3, "{bases:?}");
    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, &sarif, dir.path());
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    for image in &three.images {
        assert!(xml.contains(&format!("image: {image}")), "{xml}");
    }
    if let Some(python) = common::python_with(&["junitparser"]) {
        let status = Command::new(python)
            .arg("-c")
            .arg("import sys\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\nnames = [s.name for s in xml]\nassert sum(1 for n in names if n.startswith('image: ')) == 3, names")
            .arg(&junit)
            .status()
            .unwrap();
        assert!(status.success());
    }
    let asff_text = std::fs::read_to_string(&asff).unwrap();
    for image in ["shop/web:1", "shop/proxy:2", "shop/logs:3"] {
        assert!(asff_text.contains(image), "{image} missing in ASFF");
    }
}

/// Validates a report (or each line of JSON Lines) against schema/report.schema.json, when
/// python's jsonschema is installed.
fn validate_schema(report: &serde_json::Value, lines: Option<&str>) {
    let Some(python) = common::python_with(&["jsonschema"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.jsonl");
    match lines {
        Some(lines) => std::fs::write(&file, lines).unwrap(),
        None => std::fs::write(&file, serde_json::to_string(report).unwrap() + "\n").unwrap(),
    }
    let output = Command::new(python)
        .arg("-c")
        .arg("import sys, json, jsonschema\nschema = json.load(open(sys.argv[2]))\nfor line in open(sys.argv[1]):\n    jsonschema.validate(json.loads(line), schema)")
        .arg(&file)
        .arg(common::manifest_dir().join("schema/report.schema.json"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn jsonl_is_one_valid_report_per_image_then_the_task_definitions() {
    let three = three();
    let list = format!(
        "# the shop's images\n\n{}\n  {}  \n{}\n",
        three.images[0], three.images[1], three.images[2]
    );
    let output = harden(
        &[
            "scan",
            "--images-from",
            "-",
            "--task-def",
            &three.task_definition,
            "-f",
            "jsonl",
            "--fail-on",
            "never",
        ],
        Some(&list),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    let mut sources: Vec<&str> = lines[..3]
        .iter()
        .map(|l| l["inputs"]["image"]["source"].as_str().unwrap())
        .collect();
    sources.sort();
    let mut expected: Vec<&str> = three.images.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(sources, expected);
    // The shared section comes last, with the task definitions and their controls.
    assert!(lines[3]["inputs"].get("image").is_none());
    assert!(
        !lines[3]["inputs"]["task_definitions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!lines[3]["controls"].as_array().unwrap().is_empty());
    // Each line is the same image's findings as the JSON report of the same run.
    let mut args: Vec<&str> = Vec::new();
    args.extend(three.images.iter().map(String::as_str));
    args.extend(["--task-def", &three.task_definition]);
    let combined = common::scan_json(&args);
    let all: usize = lines
        .iter()
        .map(|l| l["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(all, combined["findings"].as_array().unwrap().len());
    validate_schema(&serde_json::Value::Null, Some(&text));

    // A run writing only JSON Lines keeps findings, not reports, and gates the same.
    let gate = |format: &str| {
        let mut args: Vec<&str> = vec!["scan"];
        args.extend(three.images.iter().map(String::as_str));
        args.extend(["--task-def", &three.task_definition, "-f", format]);
        let output = harden(&args, None);
        (output.status.code(), stderr(&output))
    };
    let (json_code, json_stderr) = gate("json");
    assert_eq!(json_code, Some(1), "XC001 is high: {json_stderr}");
    assert_eq!(gate("jsonl"), (json_code, json_stderr));
}

/// `-f jsonl` lines as a set of canonical JSON texts.
fn jsonl_set(output: &Output) -> BTreeSet<String> {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(line).unwrap())
                .unwrap()
        })
        .collect()
}

#[test]
fn shards_union_to_the_unsharded_run_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut images = Vec::new();
    for i in 0..9 {
        images.push(image(
            dir.path(),
            &format!("img{i}"),
            &format!("registry.example.com/fleet/img{i}:1"),
            (i % 2 == 0).then_some("1000"),
        ));
    }
    let list = dir.path().join("images.txt");
    std::fs::write(&list, images.join("\n")).unwrap();
    let reversed = dir.path().join("reversed.txt");
    let mut backwards = images.clone();
    backwards.reverse();
    std::fs::write(&reversed, backwards.join("\n")).unwrap();
    let run = |list: &Path, shard: Option<&str>| {
        let mut args = vec!["scan", "--images-from", list.to_str().unwrap()];
        args.extend(["-f", "jsonl", "--fail-on", "never", "-q"]);
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        jsonl_set(&harden(&args, None))
    };
    let whole = run(&list, None);
    assert_eq!(whole.len(), images.len());
    let mut union = BTreeSet::new();
    let mut sizes = Vec::new();
    for index in 0..3 {
        let shard = format!("{index}/3");
        let part = run(&list, Some(&shard));
        // Stable under reordering of the list.
        assert_eq!(part, run(&reversed, Some(&shard)), "shard {shard}");
        sizes.push(part.len());
        for line in part {
            assert!(union.insert(line), "an image in two shards");
        }
    }
    assert_eq!(union, whole);
    assert_eq!(sizes.iter().sum::<usize>(), images.len());

    let bad = harden(
        &[
            "scan",
            "--images-from",
            list.to_str().unwrap(),
            "--shard",
            "3/3",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_ignore_used_by_one_image_of_several_is_not_unused() {
    let three = three();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("harden.toml");
    std::fs::write(
        &config,
        "[[ignore]]\nid = \"IM003\"\nfile = \"*/web.tar\"\nreason = \"passwd needs setuid\"\n\n[[ignore]]\nid = \"IM003\"\nfile = \"*/gone.tar\"\nreason = \"stale\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let unused = |report: &serde_json::Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "HD001")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    // The oracle: scanned alone, proxy does not use the web ignore, so both are unused there.
    let alone = common::scan_json(&[three.images[1].as_str(), "--config", config]);
    assert_eq!(unused(&alone).len(), 2, "{:?}", unused(&alone));
    // Together, the web ignore is used (by web) and only the stale one is unused, once.
    let mut args: Vec<&str> = three.images.iter().map(String::as_str).collect();
    args.extend(["--task-def", &three.task_definition, "--config", config]);
    let report = common::scan_json(&args);
    let hd001 = unused(&report);
    assert_eq!(hd001.len(), 1, "{hd001:?}");
    assert!(hd001[0].contains("gone.tar"), "{hd001:?}");
    let im003: Vec<(&str, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "IM003")
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap(),
                f.get("suppressed").is_some(),
            )
        })
        .collect();
    assert_eq!(im003.len(), 3, "{im003:?}");
    for (file, suppressed) in im003 {
        assert_eq!(suppressed, file.ends_with("/web.tar"), "{file}");
    }
}

#[test]
fn hostile_image_lists_are_bounded_and_never_echo_control_characters() {
    let three = three();
    // More images than the `images` limit: an error naming it, before any is scanned.
    let list = three.images.join("\n");
    let output = harden(
        &["scan", "--images-from", "-", "--limit", "images=2"],
        Some(&list),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("limit `images`"),
        "{}",
        stderr(&output)
    );
    // A line with terminal escapes: the error names it with the escapes made visible.
    let output = harden(
        &[
            "scan",
            "--images-from",
            "-",
            "-f",
            "json",
            "--fail-on",
            "never",
        ],
        Some(&format!(
            "{}\n/tmp/\u{1b}]0;owned\u{7}x.tar\n",
            three.images[0]
        )),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("x.tar"), "{err}");
    // The JSON report escapes it (serde), and still reports the readable image.
    let report = json(&output);
    assert_eq!(report["inputs"]["images"].as_array().unwrap().len(), 1);
    assert_eq!(report["errors"].as_array().unwrap().len(), 1);
}
