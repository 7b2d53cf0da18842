//! The image summary's created date and attached attestations.
//!
//! - `created`: an image committed by buildah (a real producer) with a fixed `--timestamp`; the
//!   oracle is `skopeo inspect --config` of the same layout.
//! - Attestations: no tool here produces BuildKit attestations (no BuildKit, no Docker engine), so
//!   the test writes them as BuildKit's attestation-storage document describes
//!   (docs.docker.com/build/metadata/attestations/attestation-storage/): in the image index, an
//!   OCI manifest with platform `unknown/unknown` and the annotations
//!   `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest: <the
//!   platform manifest>`, whose layers are `application/vnd.in-toto+json` in-toto statements
//!   annotated `in-toto.io/predicate-type`. The layout then goes through `skopeo copy --all`, so
//!   harden reads what a real tool wrote from it.

mod common;

use std::path::Path;
use std::process::Command;

use harden::testkit::{ImageSpec, LayerSpec, Layout, write_oci_images};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const PROVENANCE: &str = "https://slsa.dev/provenance/v0.2";
const SPDX: &str = "https://spdx.dev/Document";

fn skopeo() -> Option<std::path::PathBuf> {
    common::on_path("skopeo", "apt-get install skopeo (.ci/run installs it)")
}

/// Adds `bytes` as a blob of the layout at `dir`; returns its descriptor.
fn add_blob(dir: &Path, media_type: &str, bytes: &[u8]) -> Value {
    let hex = hex::encode(Sha256::digest(bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), bytes).unwrap();
    json!({"mediaType": media_type, "digest": format!("sha256:{hex}"), "size": bytes.len()})
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn blob_path(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

/// An attestation manifest for `subject` (a manifest digest) with one in-toto statement per
/// predicate type, as BuildKit writes it; returns its index descriptor.
fn attestation(dir: &Path, subject: &str, predicate_types: &[&str]) -> Value {
    let layers: Vec<Value> = predicate_types
        .iter()
        .map(|predicate_type| {
            let statement = json!({
                "_type": "https://in-toto.io/Statement/v0.1",
                "predicateType": predicate_type,
                "subject": [{"name": "pkg:docker/app@1.0?platform=linux%2Famd64",
                             "digest": {"sha256": subject.trim_start_matches("sha256:")}}],
                "predicate": {},
            });
            let mut descriptor = add_blob(
                dir,
                "application/vnd.in-toto+json",
                &serde_json::to_vec(&statement).unwrap(),
            );
            descriptor["annotations"] = json!({"in-toto.io/predicate-type": predicate_type});
            descriptor
        })
        .collect();
    // "The image config descriptor will point to a valid image config ... only included for
    // compatibility purposes."
    let config = add_blob(
        dir,
        "application/vnd.oci.image.config.v1+json",
        br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": layers,
    });
    let mut descriptor = add_blob(dir, OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap());
    descriptor["platform"] = json!({"architecture": "unknown", "os": "unknown"});
    descriptor["annotations"] = json!({
        "vnd.docker.reference.digest": subject,
        "vnd.docker.reference.type": "attestation-manifest",
    });
    descriptor
}

/// A two-platform image whose index also lists `extra` descriptors, built from the index of
/// `subjects` (each platform manifest's digest) by `extra`.
fn multi_platform_with(dir: &Path, extra: impl FnOnce(&Path, &[String]) -> Vec<Value>) {
    let amd64 = ImageSpec::new()
        .layer(LayerSpec::gzip().file("/app", 0o755, "amd64"))
        .reference("app:1.0");
    let arm64 = ImageSpec::new()
        .platform("linux/arm64")
        .layer(LayerSpec::gzip().file("/app", 0o755, "arm64"));
    write_oci_images(&[amd64, arm64], true, Layout::OciDir, dir).unwrap();
    let mut top = read_json(&dir.join("index.json"));
    let nested_digest = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    let mut nested = read_json(&blob_path(dir, &nested_digest));
    let subjects: Vec<String> = nested["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect();
    let added = extra(dir, &subjects);
    nested["manifests"].as_array_mut().unwrap().extend(added);
    let descriptor = add_blob(dir, OCI_INDEX, &serde_json::to_vec(&nested).unwrap());
    top["manifests"][0]["digest"] = descriptor["digest"].clone();
    top["manifests"][0]["size"] = descriptor["size"].clone();
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
}

/// `harden scan ARGS -f json`: the image summary's details.
fn details(args: &[&str]) -> Value {
    let report = common::scan_json(args);
    report["inputs"]["image"]["details"].clone()
}

#[test]
fn buildkit_attestations_of_the_chosen_platform_are_listed_after_a_skopeo_copy() {
    let Some(skopeo) = skopeo() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("buildkit");
    let mut subjects = Vec::new();
    multi_platform_with(&source, |layout, platform_manifests| {
        subjects = platform_manifests.to_vec();
        vec![
            attestation(layout, &platform_manifests[0], &[PROVENANCE, SPDX]),
            attestation(layout, &platform_manifests[1], &[PROVENANCE]),
        ]
    });
    // The real tool's copy of every manifest (attestations are unknown/unknown images to it).
    let copied = dir.path().join("copied");
    let output = Command::new(skopeo)
        .args(["copy", "--all", "--quiet"])
        .arg(format!("oci:{}", source.display()))
        .arg(format!("oci:{}:app", copied.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo copy: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let spec = format!("oci:{}", copied.display());

    let amd64 = details(&[&spec]);
    let attestations = amd64["attestations"]
        .as_array()
        .expect("attestations listed");
    assert_eq!(attestations.len(), 1, "{amd64:#}");
    assert_eq!(
        attestations[0]["predicate_types"],
        json!([PROVENANCE, SPDX])
    );
    assert!(attestations[0]["note"].is_null());
    // Its digest is the attestation manifest skopeo's copy lists for the amd64 manifest.
    let copied_index = read_json(&copied.join("index.json"));
    let nested = read_json(&blob_path(
        &copied,
        copied_index["manifests"][0]["digest"].as_str().unwrap(),
    ));
    let listed: Vec<&Value> = nested["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.digest"] == json!(subjects[0]))
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(attestations[0]["digest"], listed[0]["digest"]);

    let arm64 = details(&[&spec, "--platform", "linux/arm64"]);
    assert_eq!(
        arm64["attestations"][0]["predicate_types"],
        json!([PROVENANCE])
    );

    // The text report says what is attached.
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", &spec, "--fail-on", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("attested") && text.contains("provenance, sbom"),
        "{text}"
    );
}

#[test]
fn an_attestation_whose_manifest_is_missing_is_listed_with_why_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    multi_platform_with(&layout, |layout, subjects| {
        let descriptor = attestation(layout, &subjects[0], &[PROVENANCE]);
        // A copy that kept the index but not every manifest it lists.
        std::fs::remove_file(blob_path(layout, descriptor["digest"].as_str().unwrap())).unwrap();
        vec![descriptor]
    });
    let details = details(&[&format!("oci:{}", layout.display())]);
    let attestation = &details["attestations"][0];
    assert!(attestation["predicate_types"].is_null(), "{details:#}");
    assert!(
        attestation["note"]
            .as_str()
            .unwrap()
            .starts_with("not read:"),
        "{details:#}"
    );
}

#[test]
fn created_is_the_configs_as_skopeo_reads_it() {
    if common::on_path("buildah", "apt-get install buildah (.ci/run installs it)").is_none() {
        return;
    }
    let Some(skopeo) = skopeo() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let container = common::buildah(root, &["from", "scratch"]);
    let layout = root.join("oci");
    // 2024-02-03T04:05:06Z.
    common::buildah(
        root,
        &[
            "commit",
            "--timestamp",
            "1706933106",
            &container,
            &format!("oci:{}:app", layout.display()),
        ],
    );
    let spec = format!("oci:{}", layout.display());
    let ours = details(&[&spec]);
    let config = Command::new(skopeo)
        .args(["inspect", "--config", &spec])
        .output()
        .unwrap();
    assert!(config.status.success());
    let theirs: Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(ours["created"], theirs["created"], "{ours:#}");
    assert!(
        ours["created"]
            .as_str()
            .unwrap()
            .starts_with("2024-02-03T04:05:06"),
        "{ours:#}"
    );
}

/// A classic `docker save` names no layer media type; the summary says what the blob's magic
/// bytes are. The oracle reads each layer file named by the archive's own `manifest.json` with
/// the `tar` crate and looks at its first bytes: gzip `1f 8b`, zstd `28 b5 2f fd`, else a tar.
/// (skopeo is no oracle here: its docker-archive source calls every layer gzip.)
#[test]
fn classic_docker_archive_layers_get_the_media_type_of_their_compression() {
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let mut checked = 0;
    for name in [
        "test-docker-image.tar",
        "test-kaniko-image.tar",
        "symbolic.tar",
    ] {
        let path = images.join(name);
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // Every member's first bytes, by path.
        let mut heads = std::collections::BTreeMap::new();
        let mut manifest = None;
        for entry in tar::Archive::new(file).entries().unwrap() {
            let mut entry = entry.unwrap();
            let member = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            if member == "manifest.json" {
                manifest = Some(serde_json::from_slice::<Value>(&bytes).unwrap());
            }
            bytes.truncate(4);
            heads.insert(member, bytes);
        }
        let Some(manifest) = manifest else {
            continue;
        };
        let expected: Vec<&str> = manifest[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|layer| match heads[layer.as_str().unwrap()].as_slice() {
                [0x1f, 0x8b, ..] => "application/vnd.docker.image.rootfs.diff.tar.gzip",
                [0x28, 0xb5, 0x2f, 0xfd] => "application/vnd.docker.image.rootfs.diff.tar.zstd",
                _ => "application/vnd.docker.image.rootfs.diff.tar",
            })
            .collect();
        let layers = details(&[path.to_str().unwrap()])["layers"].clone();
        let reported: Vec<&str> = layers
            .as_array()
            .unwrap()
            .iter()
            .map(|layer| layer["media_type"].as_str().unwrap())
            .collect();
        assert_eq!(reported, expected, "{name}");
        checked += 1;
    }
    assert!(
        checked > 0,
        "no classic docker-archive among the shared images"
    );
}
