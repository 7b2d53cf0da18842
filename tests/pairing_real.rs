//! Pairing by digest against images written by real tools, with skopeo as the oracle for the
//! manifest digest: a task definition pinned to the digest skopeo reports pairs with the image and
//! passes XC005; one pinned to another digest is reported. In CI (CI=true) a missing skopeo fails
//! the test; locally it skips with a note.

mod common;

use std::path::Path;
use std::process::Command;

use harden::testkit::{Layout, parse_image};

fn skopeo() -> bool {
    let found = Command::new("skopeo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    common::tool_or_skip(
        "skopeo",
        found.then(|| "skopeo".into()),
        "apt-get install -y skopeo",
    )
    .is_some()
}

/// The manifest digest skopeo reports for `reference` (`oci:DIR:TAG`, `oci-archive:FILE`).
fn skopeo_digest(reference: &str) -> String {
    let output = Command::new("skopeo")
        .args(["inspect", "--format", "{{.Digest}}", reference])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Scans `image` with a task definition whose one container runs `container_image`.
fn scan_with(image: &str, container_image: &str, dir: &Path) -> serde_json::Value {
    let task_definition = dir.join("td.json");
    std::fs::write(
        &task_definition,
        format!(
            r#"{{"family": "web", "containerDefinitions": [{{"name": "app", "image": "{container_image}", "user": "1000"}}]}}"#
        ),
    )
    .unwrap();
    common::scan_json(&[
        image.as_ref(),
        "--task-def".as_ref(),
        task_definition.as_os_str(),
    ])
}

fn xc005(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "XC005")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Pinned to skopeo's digest: paired by digest, no XC005. Pinned elsewhere: XC005 names both.
fn assert_digest_pairing(image: &str, oracle_digest: &str, dir: &Path) {
    let pinned = scan_with(
        image,
        &format!("registry.example.com/team/app@{oracle_digest}"),
        dir,
    );
    assert_eq!(
        pinned["inputs"]["image"]["manifest_digest"], oracle_digest,
        "{image}"
    );
    let pairing = &pinned["inputs"]["pairings"][0];
    assert_eq!(pairing["paired"], true, "{image}: {pairing}");
    assert!(
        pairing["reason"]
            .as_str()
            .unwrap()
            .contains("scanned manifest digest"),
        "{image}: {pairing}"
    );
    assert!(xc005(&pinned).is_empty(), "{image}: {:?}", xc005(&pinned));

    let other = format!("sha256:{}", "0".repeat(64));
    let elsewhere = scan_with(
        image,
        &format!("registry.example.com/team/app@{other}"),
        dir,
    );
    let messages = xc005(&elsewhere);
    assert_eq!(messages.len(), 1, "{image}: {messages:?}");
    assert!(
        messages[0].contains(oracle_digest) && messages[0].contains(&other),
        "{messages:?}"
    );
}

#[test]
fn skopeo_written_layout_pairs_by_the_digest_skopeo_reports() {
    if !skopeo() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = parse_image(
        "tag example/app:1.0\nconfig user=1000\nlayer\nfile /app mode=0755 content=\"ELF\"\n",
    )
    .unwrap();
    let archive = dir.path().join("app.tar");
    image.write(Layout::DockerArchive, &archive).unwrap();
    let layout = dir.path().join("oci");
    let copied = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("oci:{}:1.0", layout.display()))
        .output()
        .unwrap();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    let reference = format!("oci:{}:1.0", layout.display());
    assert_digest_pairing(&reference, &skopeo_digest(&reference), dir.path());
}

#[test]
fn shared_oci_archives_pair_by_the_digest_skopeo_reports() {
    let Some(shared) = common::shared_images_dir() else {
        println!("note: the shared images are absent; skipping");
        return;
    };
    if !skopeo() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(&shared).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("test-oci") && name.ends_with(".tar")) {
            continue;
        }
        let reference = format!("oci-archive:{}", path.display());
        assert_digest_pairing(&reference, &skopeo_digest(&reference), dir.path());
        checked += 1;
    }
    assert!(checked > 0, "no OCI archive in {}", shared.display());
}
