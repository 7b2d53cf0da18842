//! The harden container image (`Dockerfile`: a static binary on `scratch`, non-root): CI has no
//! network for the base images, so this builds the same final image from the locally compiled
//! binary with buildah (`from scratch`, `copy`, `config --user 65532`, `commit`) and scans it with
//! harden itself, which must find nothing at or above the default gate.

mod common;

use common::buildah;
use std::path::Path;
use std::process::Command;

fn buildah_available() -> bool {
    let found = Command::new("buildah")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "buildah is required in CI (.ci/run installs it)"
        );
    }
    found
}

/// The final stage of `Dockerfile`, as the test builds it: every line it copies is checked here so
/// the two cannot drift apart.
#[test]
fn the_dockerfile_final_stage_is_what_the_test_builds() {
    let dockerfile =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    let final_stage = dockerfile.rsplit("FROM ").next().unwrap();
    assert!(final_stage.starts_with("scratch"));
    for line in [
        "COPY --from=build /src/target/release/harden /harden",
        "USER 65532:65532",
        "ENTRYPOINT [\"/harden\"]",
    ] {
        assert!(final_stage.contains(line), "the final stage lacks {line}");
    }
}

#[test]
fn the_harden_image_built_with_buildah_scans_clean() {
    if !buildah_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let container = buildah(root, &["from", "scratch"]);
    buildah(
        root,
        &[
            "copy",
            "--chmod",
            "0755",
            &container,
            env!("CARGO_BIN_EXE_harden"),
            "/harden",
        ],
    );
    buildah(
        root,
        &[
            "config",
            "--user",
            "65532:65532",
            "--entrypoint",
            "[\"/harden\"]",
            "--cmd",
            "--help",
            &container,
        ],
    );
    let archive = root.join("harden.oci.tar");
    let destination = format!("oci-archive:{}:harden:test", archive.display());
    buildah(root, &["commit", "--rm", &container, &destination]);

    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--no-progress", "-f", "json"])
        .arg(format!("oci-archive:{}", archive.display()))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(report["inputs"]["image"]["user"], "65532:65532");
    let failing: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high" || f["severity"] == "critical")
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
