//! Whole scans that join inputs: the Dockerfile's unknown base user resolved by the built image
//! (DF001), only when the image's history does not contradict the Dockerfile.

mod common;

use std::path::Path;

use harden::testkit::{Layout, parse_image};

const DOCKERFILE: &str =
    "FROM node:20\nENV NODE_ENV=production\nRUN npm ci\nCMD [\"node\", \"server.js\"]\n";

/// The image `DOCKERFILE` builds on a base whose user is `user` (history as BuildKit writes it).
fn built_image(user: &str, run: &str) -> String {
    format!(
        "config user={user}\n\
         history created_by=/bin/sh -c #(nop) ADD file:abc in /\n\
         history created_by=ENV NODE_ENV=production empty_layer\n\
         history created_by=RUN /bin/sh -c {run} # buildkit\n\
         layer\n\
         file /etc/passwd mode=0644 content=\"root:x:0:0::/root:/bin/sh\\nnode:x:1000:1000::/home/node:/bin/sh\\n\"\n\
         layer\n\
         file /app/server.js content=\"x\"\n"
    )
}

/// Scans the image (written as a docker archive) with the Dockerfile; returns the DF001 finding.
fn df001(image_text: &str, dir: &Path) -> serde_json::Value {
    let archive = dir.join("app.tar");
    parse_image(image_text)
        .unwrap()
        .write(Layout::DockerArchive, &archive)
        .unwrap();
    let dockerfile = dir.join("Dockerfile");
    std::fs::write(&dockerfile, DOCKERFILE).unwrap();
    let report = common::scan_json(&[
        archive.as_os_str(),
        "--dockerfile".as_ref(),
        dockerfile.as_os_str(),
    ]);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "DF001")
        .cloned()
        .expect("a DF001 finding")
}

#[test]
fn a_non_root_built_image_turns_the_unknown_base_user_into_info() {
    let dir = tempfile::tempdir().unwrap();
    let finding = df001(&built_image("node", "npm ci"), dir.path());
    assert_eq!(finding["severity"], "info", "{finding}");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("runs as non-root 1000:1000"),
        "{finding}"
    );
}

#[test]
fn a_root_built_image_confirms_it_as_high() {
    let dir = tempfile::tempdir().unwrap();
    let finding = df001(&built_image("", "npm ci"), dir.path());
    assert_eq!(finding["severity"], "high", "{finding}");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("confirms it: no USER runs as root 0:0"),
        "{finding}"
    );
}

#[test]
fn an_image_built_from_another_dockerfile_resolves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let finding = df001(&built_image("node", "yarn install"), dir.path());
    assert_eq!(finding["severity"], "medium", "{finding}");
    assert_eq!(finding["evidence"]["user"], "unknown (assumed root)");
}
