//! `--profile base-image`: the checks that only matter for the final application image are capped
//! at info (recorded in the evidence, overridable by `[severity]`), the gate follows, and the text
//! report adds the OS/end-of-life and package sections.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use harden::testkit::{ImageSpec, LayerSpec, Layout};
use serde_json::Value;

/// A Debian 12 base image as root with no HEALTHCHECK, two dpkg packages and a setuid file (IM003,
/// which matters for a base image too).
fn base_image(dir: &Path) -> String {
    let status = "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n";
    let spec = ImageSpec::new().layer(
        LayerSpec::gzip()
            .file(
                "/etc/os-release",
                0o644,
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
            )
            .file("/etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\n")
            .file("/var/lib/dpkg/status", 0o644, status)
            .file("/usr/bin/passwd", 0o4755, "binary"),
    );
    let layout = dir.join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    format!("oci:{}", layout.display())
}

fn harden(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .current_dir(dir)
        .env_remove("HARDEN_PROFILE")
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&output.stderr));
    })
}

fn severity_of(report: &Value, id: &str) -> (String, Option<String>) {
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} finding"));
    (
        finding["severity"].as_str().unwrap().to_string(),
        finding["evidence"]["severity_override"]
            .as_str()
            .map(str::to_string),
    )
}

#[test]
fn base_image_profile_caps_app_only_checks_and_the_gate_follows() {
    let dir = tempfile::tempdir().unwrap();
    let image = base_image(dir.path());

    // Root (IM001) and the setuid file (IM003) are both high for an application image.
    let app = harden(dir.path(), &["scan", &image, "-f", "json"]);
    assert_eq!(app.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&app.stderr).contains("2 findings at or above high"),
        "{}",
        String::from_utf8_lossy(&app.stderr)
    );
    let app = json(&app);
    assert_eq!(severity_of(&app, "IM001"), ("high".into(), None));
    assert_eq!(severity_of(&app, "IM012").0, "low");
    assert!(app.get("profile").is_none());

    let base = harden(
        dir.path(),
        &["scan", &image, "-f", "json", "--profile", "base-image"],
    );
    // Only the setuid file gates a base image.
    assert_eq!(base.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&base.stderr).contains("1 finding at or above high"),
        "{}",
        String::from_utf8_lossy(&base.stderr)
    );
    let base = json(&base);
    assert_eq!(base["profile"], "base-image");
    assert_eq!(
        severity_of(&base, "IM001"),
        (
            "info".into(),
            Some("high → info (profile base-image)".into())
        )
    );
    assert_eq!(severity_of(&base, "IM012").0, "info");
    // A setuid file matters for a base image too: untouched.
    assert_eq!(severity_of(&base, "IM003"), severity_of(&app, "IM003"));
}

#[test]
fn the_config_chooses_the_profile_and_its_severity_entries_win() {
    let dir = tempfile::tempdir().unwrap();
    let image = base_image(dir.path());
    std::fs::write(
        dir.path().join("harden.toml"),
        "profile = \"base-image\"\n\n[severity]\nIM001 = \"medium\"\n",
    )
    .unwrap();
    let report = json(&harden(dir.path(), &["scan", &image, "-f", "json"]));
    assert_eq!(report["profile"], "base-image");
    assert_eq!(severity_of(&report, "IM001").0, "medium");
    assert_eq!(severity_of(&report, "IM012").0, "info");
    // The flag wins over the config.
    let report = json(&harden(
        dir.path(),
        &["scan", &image, "-f", "json", "--profile", "app"],
    ));
    assert!(report.get("profile").is_none());
    assert_eq!(severity_of(&report, "IM012").0, "low");

    std::fs::write(dir.path().join("harden.toml"), "profile = \"base\"\n").unwrap();
    let output = harden(dir.path(), &["scan", &image]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("harden.toml:1") && stderr.contains("base-image"),
        "{stderr}"
    );
}

#[test]
fn base_image_text_report_lists_the_os_and_every_package() {
    let dir = tempfile::tempdir().unwrap();
    let image = base_image(dir.path());
    let text =
        |args: &[&str]| String::from_utf8_lossy(&harden(dir.path(), args).stdout).to_string();
    let app = text(&["scan", &image, "--fail-on", "never"]);
    assert!(!app.contains("Packages ("), "{app}");
    let base = text(&["scan", &image, "--profile", "base-image"]);
    assert!(base.contains("Operating system"), "{base}");
    assert!(base.contains("Debian GNU/Linux 12 (bookworm)"), "{base}");
    assert!(base.contains("end-of-life table: endoflife.date"), "{base}");
    assert!(base.contains("Packages (2)"), "{base}");
    let lines: Vec<&str> = base
        .lines()
        .filter(|l| l.contains("layer 0") && l.contains("dpkg"))
        .collect();
    assert_eq!(lines.len(), 2, "{base}");
    assert!(
        lines[1].contains("libc6") && lines[1].contains("2.36-9+deb12u4"),
        "{base}"
    );
}
