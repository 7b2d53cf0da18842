//! The image checks on the real images in ../shared/images (written by docker, kaniko, podman
//! and others; see their README). CI has `../shared` beside the checkout; without it the test
//! prints a note and checks nothing (it is reference data, not something CI installs).

mod common;

use harden::findings::Finding;
use harden::scan::{ScanRequest, scan};

/// Scans one shared image, or `None` when the shared directory is absent.
fn findings(name: &str) -> Option<Vec<Finding>> {
    let Some(shared) = common::shared_images_dir() else {
        eprintln!(
            "note: the shared images (../shared/images) are absent; skipping the shared-image checks"
        );
        return None;
    };
    let path = shared.join(name);
    let request = ScanRequest {
        image: Some(path.display().to_string()),
        ..ScanRequest::default()
    };
    let report = scan(&request).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some(report.findings)
}

fn with_id<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.id == id).collect()
}

fn paths(findings: &[&Finding]) -> Vec<String> {
    findings
        .iter()
        .filter_map(|f| f.location.path.clone())
        .collect()
}

#[test]
fn alpine_runs_as_root_with_busybox_and_apk() {
    let Some(found) = findings("alpine-310.tar.gz") else {
        return;
    };
    let root = with_id(&found, "IM001");
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].evidence["resolved"], "0:0");
    let shells = with_id(&found, "IM004");
    assert_eq!(
        shells.len(),
        1,
        "busybox is one summary finding: {shells:#?}"
    );
    assert_eq!(shells[0].location.path.as_deref(), Some("/bin/busybox"));
    assert!(shells[0].evidence["shell_applets"].contains("/bin/sh"));
    let applets: usize = shells[0].evidence["applet_links"].parse().unwrap();
    assert!(
        applets > 100,
        "alpine links hundreds of applets, got {applets}"
    );
    let tools = paths(&with_id(&found, "IM005"));
    for tool in ["/sbin/apk", "/usr/bin/wget", "/usr/bin/nc"] {
        assert!(
            tools.iter().any(|p| p == tool),
            "{tool} missing from {tools:?}"
        );
    }
    // alpine 3.10's base has no setuid files, no world-writable non-sticky directories and no secrets.
    for id in [
        "IM002", "IM003", "IM006", "IM007", "IM008", "IM009", "IM010", "IM011",
    ] {
        assert!(
            with_id(&found, id).is_empty(),
            "{id}: {:#?}",
            with_id(&found, id)
        );
    }
}

#[test]
fn scratch_user_without_passwd_cannot_start() {
    let Some(found) = findings("scratch.tar") else {
        return;
    };
    let unknown = with_id(&found, "IM002");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].evidence["user"], "scratch");
    assert!(unknown[0].message.contains("no /etc/passwd"));
    assert!(with_id(&found, "IM001").is_empty());
    assert!(
        with_id(&found, "IM004").is_empty(),
        "a scratch image has no shell"
    );
}

#[test]
fn setuid_and_setgid_files_of_dockles_fixture() {
    let Some(found) = findings("symbolic.tar") else {
        return;
    };
    let setuid = with_id(&found, "IM003");
    assert_eq!(paths(&setuid), ["/app/suid.txt", "/app/gid.txt"]);
    assert_eq!(setuid[0].evidence["mode"], "4644");
    assert_eq!(setuid[1].evidence["bits"], "setgid");
}

#[test]
fn busybox_stored_as_hardlinks_to_bracket_is_recognized() {
    // The busybox image stores the binary as /bin/[ and every applet as a hardlink to it.
    let Some(found) = findings("test-docker-image.tar") else {
        return;
    };
    let shells = with_id(&found, "IM004");
    assert_eq!(shells.len(), 1, "{shells:#?}");
    assert_eq!(shells[0].evidence["resolves_to"], "/bin/[");
    assert_eq!(shells[0].location.path.as_deref(), Some("/bin/busybox"));
    let wget = with_id(&found, "IM005")
        .into_iter()
        .find(|f| f.location.path.as_deref() == Some("/bin/wget"))
        .expect("wget applet");
    assert!(wget.message.contains("busybox applet"));
}

/// The issue-13 example: dockle's Alpine 3.10 image is named as Alpine 3.10 from its own
/// os-release, and its release is past its end of life (2021-05-01).
#[test]
fn alpine_310_is_identified_and_past_its_end_of_life() {
    let Some(shared) = common::shared_images_dir() else {
        return;
    };
    let request = ScanRequest {
        image: Some(shared.join("alpine-310.tar.gz").display().to_string()),
        ..ScanRequest::default()
    };
    let report = scan(&request).unwrap();
    let os = report.inputs.image.as_ref().unwrap().os.as_ref().unwrap();
    assert_eq!(os.id, "alpine");
    assert_eq!(os.release_cycle.as_deref(), Some("3.10"));
    assert_eq!(os.end_of_life.date.as_deref(), Some("2021-05-01"));
    let eol = with_id(&report.findings, "IM014");
    assert_eq!(eol.len(), 1, "{eol:#?}");
    assert_eq!(eol[0].severity, harden::findings::Severity::High);
    assert_eq!(eol[0].location.path.as_deref(), Some("/etc/os-release"));
}
