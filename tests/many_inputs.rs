//! Several images in one run with `--vulns` reports and `--dockerfile`s: each report goes with
//! the image whose digest it names, each Dockerfile with the image whose build history matches
//! it. The oracle for what each image's section holds is harden's own one-image scan of that
//! image with its report or Dockerfile (which checks the digest, and matches the Dockerfile, as
//! the run of several must); the SARIF multitool, junitparser and the JSON schema validate the
//! outputs.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use harden::testkit::{ImageSpec, LayerSpec, Layout};
use serde_json::Value;

fn harden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("HARDEN_SHARD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run harden")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn jsonl(output: &Output) -> Vec<Value> {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The config digest harden reads for an image (the digest trivy writes as `ImageID`).
fn config_digest(spec: &str) -> String {
    harden::load::image::load(spec, &Default::default())
        .unwrap()
        .config_digest
}

/// An Alpine-like image whose package database lists `package`, tagged `reference`.
fn package_image(dir: &Path, name: &str, package: &str) -> String {
    let path = dir.join(format!("{name}.tar"));
    ImageSpec::new()
        .reference(&format!("registry.example.com/shop/{name}:1"))
        .user("1000")
        .history("ADD rootfs.tar /", false)
        .layer(
            LayerSpec::gzip()
                .dir("/etc", 0o755)
                .file(
                    "/etc/os-release",
                    0o644,
                    "ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
                )
                .file(
                    "/lib/apk/db/installed",
                    0o644,
                    format!("C:Q1\nP:{package}\nV:1.0-r0\nA:x86_64\n\n"),
                )
                .file(&format!("/srv/{name}"), 0o644, name),
        )
        .write(Layout::DockerArchive, &path)
        .unwrap();
    path.display().to_string()
}

/// A trivy report (its documented JSON shape) on the image with this config digest: one CVE in
/// `package`.
fn trivy(dir: &Path, file: &str, config: &str, package: &str, cve: &str) -> String {
    let text = serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": "app.tar",
        "ArtifactType": "container_image",
        "Metadata": {"ImageID": config},
        "Results": [{"Target": "app", "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": [{
            "VulnerabilityID": cve, "PkgName": package, "InstalledVersion": "1.0-r0",
            "FixedVersion": "1.1-r0", "Severity": "HIGH"
        }]}]
    });
    let path = dir.join(file);
    std::fs::write(&path, text.to_string()).unwrap();
    path.display().to_string()
}

/// The CVE IDs of a report's IM015 findings.
fn cves(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "IM015")
        .flat_map(|f| {
            let listed = f["evidence"]["vulnerabilities"]
                .as_str()
                .unwrap_or_default();
            listed
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|word| word.starts_with("CVE-"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// (id, location, message) of a report's findings whose ID starts with one of `prefixes`.
fn findings(report: &Value, prefixes: &[&str]) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            prefixes.iter().any(|p| id.starts_with(p))
        })
        .map(|f| format!("{} {} {}", f["id"], f["location"], f["message"]))
        .collect()
}

fn section_of<'a>(lines: &'a [Value], image: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["inputs"]["image"]["source"] == image)
        .unwrap_or_else(|| panic!("no section for {image}"))
}

#[test]
fn three_images_and_three_reports_pair_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["web", "proxy", "logs"];
    let packages = ["libweb", "libproxy", "liblogs"];
    let images: Vec<String> = names
        .iter()
        .zip(packages)
        .map(|(name, package)| package_image(dir.path(), name, package))
        .collect();
    // The reports in another order than the images: pairing is by digest, not position. The
    // web image has two reports (two scanners' runs): both are used.
    let mut reports = Vec::new();
    for (i, image) in images.iter().enumerate().rev() {
        let cve = format!("CVE-2024-{}000", i + 1);
        let file = format!("trivy-{}.json", names[i]);
        reports.push((
            i,
            trivy(dir.path(), &file, &config_digest(image), packages[i], &cve),
        ));
    }
    reports.push((
        0,
        trivy(
            dir.path(),
            "trivy-web-again.json",
            &config_digest(&images[0]),
            packages[0],
            "CVE-2024-1001",
        ),
    ));
    let mut args: Vec<&str> = vec!["scan"];
    args.extend(images.iter().map(String::as_str));
    for (_, report) in &reports {
        args.extend(["--vulns", report.as_str()]);
    }
    args.extend(["-f", "jsonl", "--fail-on", "never"]);
    let lines = jsonl(&harden(&args));

    for (i, image) in images.iter().enumerate() {
        let section = section_of(&lines, image);
        // The oracle: the image scanned alone with its own reports (digest-checked there too).
        let mut alone: Vec<&str> = vec![image.as_str()];
        for (_, report) in reports.iter().filter(|(owner, _)| *owner == i) {
            alone.extend(["--vulns", report.as_str()]);
        }
        let alone = common::scan_json(&alone);
        assert_eq!(cves(section), cves(&alone), "{image}");
        assert_eq!(findings(section, &["IM015"]), findings(&alone, &["IM015"]));
        let expected: BTreeSet<String> = if i == 0 {
            ["CVE-2024-1000", "CVE-2024-1001"].map(String::from).into()
        } else {
            [format!("CVE-2024-{}000", i + 1)].into()
        };
        assert_eq!(cves(section), expected, "{image}: only its own reports");
        let notes = section["notes"].to_string();
        assert!(
            notes.contains(&format!("trivy-{}.json", names[i]))
                && notes.contains("matched to the image by config digest"),
            "{notes}"
        );
    }
    // Two reports on one package: one IM015 finding for it, each CVE once.
    let web = section_of(&lines, &images[0]);
    let im015: Vec<&Value> = web["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "IM015")
        .collect();
    assert_eq!(im015.len(), 1, "{im015:#?}");

    // A report on a fourth image, not scanned: exit 2 naming the report and the images' digests.
    let fourth = package_image(dir.path(), "billing", "libbilling");
    let stray = trivy(
        dir.path(),
        "trivy-billing.json",
        &config_digest(&fourth),
        "libbilling",
        "CVE-2024-9000",
    );
    args.truncate(args.len() - 4);
    args.extend(["--vulns", stray.as_str(), "-f", "jsonl"]);
    let output = harden(&args);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains(
            "trivy-billing.json: this vulnerability report is for none of the scanned images"
        ),
        "{message}"
    );
    for image in &images {
        assert!(message.contains(&config_digest(image)), "{message}");
    }
    assert!(message.contains(&config_digest(&fourth)), "{message}");
    // Nothing written for a run that stops.
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_report_without_a_digest_is_refused_with_several_images_and_used_with_one() {
    let dir = tempfile::tempdir().unwrap();
    let web = package_image(dir.path(), "web", "libweb");
    let proxy = package_image(dir.path(), "proxy", "libproxy");
    // A trivy report without `Metadata.ImageID` (as on a filesystem scan) names no digest.
    let report = dir.path().join("no-digest.json");
    let template = trivy(
        dir.path(),
        "tmp.json",
        "sha256:00",
        "libweb",
        "CVE-2024-1000",
    );
    let mut text: Value =
        serde_json::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    text["Metadata"].as_object_mut().unwrap().remove("ImageID");
    std::fs::write(&report, text.to_string()).unwrap();
    let report = report.display().to_string();
    let output = harden(&["scan", &web, &proxy, "--vulns", &report, "-f", "json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no-digest.json")
            && stderr(&output).contains("only accepted when exactly one image is scanned"),
        "{}",
        stderr(&output)
    );
    // One image (through the list of images, the run of several's path): used, with a note.
    let list = dir.path().join("list");
    std::fs::write(&list, format!("{web}\n")).unwrap();
    let output = harden(&[
        "scan",
        "--images-from",
        list.to_str().unwrap(),
        "--vulns",
        &report,
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cves(&value), ["CVE-2024-1000".to_string()].into());
    assert!(
        value["notes"]
            .to_string()
            .contains("used without a digest check"),
        "{}",
        value["notes"]
    );
}

/// A Dockerfile baking a credential into `variable` and installing `package`, and an image whose
/// history is what BuildKit records for it (as `join::dockerfile_match`'s tests write it).
fn built(dir: &Path, name: &str, variable: &str, package: &str) -> (String, String) {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let dockerfile = folder.join("Dockerfile");
    let value = format!("{name}-Sup3rS3cretValue-0123456789");
    std::fs::write(
        &dockerfile,
        format!(
            "FROM alpine:3.20\nENV {variable}={value}\nRUN apk add --no-cache {package}\nUSER 1000\n"
        ),
    )
    .unwrap();
    let image = dir.join(format!("{name}.tar"));
    ImageSpec::new()
        .reference(&format!("registry.example.com/shop/{name}:1"))
        .user("1000")
        .env(&format!("{variable}={value}"))
        .history("/bin/sh -c #(nop) ADD file:abc in /", false)
        .history(&format!("ENV {variable}={value}"), true)
        .history(
            &format!("RUN /bin/sh -c apk add --no-cache {package} # buildkit"),
            false,
        )
        .history("USER 1000", true)
        .layer(LayerSpec::gzip().dir("/etc", 0o755).file(
            "/etc/passwd",
            0o644,
            "root:x:0:0:root:/root:/bin/sh\n",
        ))
        .layer(
            LayerSpec::gzip()
                .dir("/srv", 0o755)
                .file(&format!("/srv/{name}"), 0o644, name),
        )
        .write(Layout::DockerArchive, &image)
        .unwrap();
    (
        dockerfile.display().to_string(),
        image.display().to_string(),
    )
}

/// The findings of Dockerfile checks located in `file`, across sections: each text once per line.
fn dockerfile_findings(lines: &[Value], file: &str) -> Vec<(usize, String)> {
    lines
        .iter()
        .enumerate()
        .flat_map(|(n, line)| {
            line["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["location"]["file"] == file)
                .map(move |f| (n, format!("{} {}", f["id"], f["location"])))
        })
        .collect()
}

#[test]
fn each_dockerfile_goes_with_the_image_it_built_and_one_matching_none_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let (web_dockerfile, web) = built(dir.path(), "web", "API_TOKEN", "curl");
    let (proxy_dockerfile, proxy) = built(dir.path(), "proxy", "DB_PASSWORD", "wget");
    let (stray_dockerfile, _) = built(dir.path(), "stray", "SECRET_KEY", "socat");
    // The Dockerfiles in another order than the images.
    let args = [
        "scan",
        &web,
        &proxy,
        "--dockerfile",
        &stray_dockerfile,
        "--dockerfile",
        &proxy_dockerfile,
        "--dockerfile",
        &web_dockerfile,
        "--fail-on",
        "never",
    ];
    let mut with_format: Vec<&str> = args.to_vec();
    with_format.extend(["-f", "jsonl"]);
    let lines = jsonl(&harden(&with_format));
    assert_eq!(lines.len(), 3, "two images, then the unmatched Dockerfile");

    for (image, dockerfile, variable) in [
        (&web, &web_dockerfile, "API_TOKEN"),
        (&proxy, &proxy_dockerfile, "DB_PASSWORD"),
    ] {
        let section = section_of(&lines, image);
        // The oracle: the image scanned alone with its Dockerfile.
        let alone = common::scan_json(&[image.as_str(), "--dockerfile", dockerfile.as_str()]);
        assert_eq!(alone["inputs"]["dockerfile_match"]["status"], "matched");
        assert_eq!(
            findings(section, &["DF", "IM", "XC"]),
            findings(&alone, &["DF", "IM", "XC"]),
            "{image}"
        );
        assert_eq!(section["inputs"]["dockerfile"]["path"], dockerfile.as_str());
        assert_eq!(section["inputs"]["dockerfile_match"]["status"], "matched");
        // The baked credential: one finding, on the Dockerfile line, standing for the image's too.
        let baked: Vec<&Value> = section["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["evidence"]["name"] == variable)
            .collect();
        assert_eq!(baked.len(), 1, "{baked:#?}");
        assert_eq!(baked[0]["id"], "DF004");
        let checks = baked[0]["evidence"]["checks"].as_str().unwrap_or_default();
        assert!(checks.contains("IM008"), "{checks}");
    }
    // Each Dockerfile's findings in one section only; the stray one's in the last, with a note.
    for (dockerfile, expected) in [
        (&web_dockerfile, 0),
        (&proxy_dockerfile, 1),
        (&stray_dockerfile, 2),
    ] {
        let found = dockerfile_findings(&lines, dockerfile);
        assert!(!found.is_empty(), "{dockerfile}");
        let in_sections: BTreeSet<usize> = found.iter().map(|(n, _)| *n).collect();
        let section = if expected < 2 {
            lines
                .iter()
                .position(|l| {
                    l["inputs"]["image"]["source"] == [web.as_str(), proxy.as_str()][expected]
                })
                .unwrap()
        } else {
            2
        };
        assert_eq!(in_sections, [section].into(), "{dockerfile}: {found:?}");
        let texts: BTreeSet<&String> = found.iter().map(|(_, t)| t).collect();
        assert_eq!(
            texts.len(),
            found.len(),
            "{dockerfile} duplicated: {found:?}"
        );
    }
    let alone = common::scan_json(&["--dockerfile", stray_dockerfile.as_str()]);
    assert_eq!(
        findings(&lines[2], &["DF"]),
        findings(&alone, &["DF"]),
        "the unmatched Dockerfile as when checked alone"
    );
    let notes = lines[2]["notes"].to_string();
    assert!(
        notes.contains("matches the build history of none of the 2 images"),
        "{notes}"
    );
    // No credential value is printed, in any section.
    let text: String = lines.iter().map(Value::to_string).collect();
    assert!(!text.contains("Sup3rS3cretValue"), "{text}");

    // Every format stays valid.
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("r.sarif");
    let junit = out.path().join("r.xml");
    let json = out.path().join("r.json");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-o", sarif.to_str().unwrap(), "-o", junit.to_str().unwrap()]);
    all.extend(["-o", json.to_str().unwrap(), "-f", "text"]);
    let output = harden(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let combined: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(combined["inputs"]["images"].as_array().unwrap().len(), 2);
    let from_lines: usize = lines
        .iter()
        .map(|l| l["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(combined["findings"].as_array().unwrap().len(), from_lines);
    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, &sarif, out.path());
        assert!(errors.is_empty(), "{errors:#?}");
    }
    if let Some(python) = common::python_with(&["junitparser"]) {
        let status = Command::new(python)
            .arg("-c")
            .arg("import sys\nfrom junitparser import JUnitXml\nxml = JUnitXml.fromfile(sys.argv[1])\nnames = [s.name for s in xml]\nassert sum(1 for n in names if n.startswith('image: ')) == 2, names")
            .arg(&junit)
            .status()
            .unwrap();
        assert!(status.success());
    }
    if let Some(python) = common::python_with(&["jsonschema"]) {
        let status = Command::new(python)
            .arg("-c")
            .arg("import sys, json, jsonschema\nschema = json.load(open(sys.argv[2]))\njsonschema.validate(json.load(open(sys.argv[1])), schema)\nfor line in sys.argv[3].splitlines():\n    jsonschema.validate(json.loads(line), schema)")
            .arg(&json)
            .arg(common::manifest_dir().join("schema/report.schema.json"))
            .arg(lines.iter().map(|l| l.to_string() + "\n").collect::<String>())
            .status()
            .unwrap();
        assert!(status.success());
    }
}
