//! The glob-driven fixture test: every `fixtures/<target>/<ID>/{pass,fail}*` input is loaded
//! through the real loader, every check runs, and the test asserts that a `pass*` fixture yields
//! no finding with that ID and a `fail*` fixture at least one; then it snapshots that ID's
//! findings (insta, JSON). A new fixture needs no new test code, only its snapshot
//! (`INSTA_UPDATE=always cargo test --test fixtures`, then review the `.snap` files).
//!
//! Each target has one function: images here; Dockerfile and ECS fixtures add theirs beside it
//! (load the input, call [`run_all_checks`], then [`assert_fixture`]).

use std::path::Path;

use harden::checks;
use harden::findings::Finding;
use harden::load::image::{ImageOptions, load};
use harden::model::dockerfile::Dockerfile;
use harden::model::ecs::EcsInventory;
use harden::model::image::Image;
use harden::model::vulns::VulnerabilityReport;
use harden::testkit::{Layout, parse_image};

/// Runs every check on whichever inputs a fixture provides.
fn run_all_checks(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
) -> Vec<Finding> {
    run_all_checks_with_vulns(image, dockerfile, ecs, &[])
}

/// [`run_all_checks`] with `--vulns` reports, each checked against the image by digest as a
/// scan checks it (a fixture's report must name its image's config digest).
fn run_all_checks_with_vulns(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
    reports: &[VulnerabilityReport],
) -> Vec<Finding> {
    if let Some(image) = image {
        for report in reports {
            let matched = harden::join::vulns::match_report(image, &report.image);
            assert!(
                matches!(matched, harden::join::vulns::ReportMatch::Matched(_)),
                "{}: {matched:?}",
                report.file
            );
        }
    }
    let mut findings = Vec::new();
    let mut controls = Vec::new();
    harden::scan::run_checks_with_vulns(
        image,
        dockerfile,
        ecs,
        reports,
        &mut findings,
        &mut controls,
    );
    harden::scan::sort_findings(&mut findings);
    findings
}

/// The fixture's check ID (its directory name) and whether it should pass.
fn fixture_id_and_expectation(path: &Path) -> (String, bool) {
    let id = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .expect("fixtures live in fixtures/<target>/<ID>/")
        .to_string();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let passes = if name.starts_with("pass") {
        true
    } else if name.starts_with("fail") {
        false
    } else {
        panic!("{}: fixture names start with pass or fail", path.display())
    };
    assert!(
        checks::find(&id).is_some(),
        "{}: no check has the ID {id}",
        path.display()
    );
    (id, passes)
}

/// Asserts the pass/fail expectation for the fixture's ID and snapshots that ID's findings.
fn assert_fixture(path: &Path, findings: &[Finding]) {
    let (id, passes) = fixture_id_and_expectation(path);
    let own: Vec<&Finding> = findings.iter().filter(|f| f.id == id).collect();
    if passes {
        assert!(
            own.is_empty(),
            "{}: expected no {id} finding, got {own:#?}",
            path.display()
        );
    } else {
        assert!(
            !own.is_empty(),
            "{}: expected at least one {id} finding",
            path.display()
        );
    }
    // Named by target, ID and file, so adding fixtures elsewhere never renames a snapshot.
    let target = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(format!("{target}-{id}-{stem}"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_json_snapshot!("fixture", own));
}

/// The fixture's path relative to the crate, used as the image source so snapshots are stable.
fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A `.image` fixture written as an OCI layout and loaded as a scan loads it, named by its
/// path relative to the crate (so snapshots are stable).
fn load_fixture_image(path: &Path) -> Image {
    let text = std::fs::read_to_string(path).unwrap();
    let spec = parse_image(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = tempfile::tempdir().unwrap();
    let layout_dir = dir.path().join("oci");
    spec.write(Layout::OciDir, &layout_dir).unwrap();
    // What a scan asks the loader to keep: the checks' files, the OS release files and the
    // package databases (IM015 joins reports to the inventory).
    let options = ImageOptions {
        wants: checks::content_requests()
            .into_iter()
            .chain(harden::model::os::OS_FILES.iter().cloned())
            .chain(harden::load::packages::DATABASE_FILES.iter().cloned())
            .collect(),
        ..ImageOptions::default()
    };
    let mut image = load(&format!("oci:{}", layout_dir.display()), &options)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    image.source = relative(path);
    image
}

/// The `--vulns` reports of a fixture: `<fixture>.vulns.json` beside an image fixture, or
/// `vulns.json` in a cross fixture's directory, read as `--vulns` reads them.
fn fixture_vulns(path: &Path) -> Vec<VulnerabilityReport> {
    if !path.is_file() {
        return Vec::new();
    }
    let mut reports = harden::load::vulns::load(path, &harden::limits::Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for report in &mut reports {
        report.file = relative(path);
    }
    reports
}

#[test]
fn image_fixtures() {
    insta::glob!("../fixtures/image", "*/*.image", |path| {
        let image = load_fixture_image(path);
        let vulns = fixture_vulns(&path.with_extension("vulns.json"));
        let findings = run_all_checks_with_vulns(Some(&image), None, None, &vulns);
        assert_fixture(path, &findings);
    });
}

/// Dockerfile fixtures: `# harden-test: build-arg K=V` and `# harden-test: target STAGE` comment
/// lines give the scan's `--build-arg`s and `--target`. The build context is the fixture's
/// directory, which has no `.dockerignore`; a fixture that needs one ships
/// `<fixture>.Dockerfile.dockerignore` beside it (BuildKit reads that first).
#[test]
fn dockerfile_fixtures() {
    use harden::load::dockerfile::{DockerfileOptions, load as load_dockerfile};
    insta::glob!("../fixtures/dockerfile", "*/*.Dockerfile", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let mut options = DockerfileOptions::default();
        for line in text.lines() {
            let Some(pragma) = line.trim().strip_prefix("# harden-test:") else {
                continue;
            };
            match pragma.trim().split_once(' ') {
                Some(("build-arg", arg)) => {
                    let (key, value) = arg.split_once('=').expect("build-arg K=V");
                    options.build_args.push((key.into(), value.into()));
                }
                Some(("target", stage)) => options.target = Some(stage.trim().into()),
                _ => panic!("{}: unknown harden-test pragma {pragma:?}", path.display()),
            }
        }
        let mut dockerfile =
            load_dockerfile(path, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        dockerfile.path = relative(path);
        dockerfile.context.directory = relative(Path::new(&dockerfile.context.directory));
        dockerfile.context.ignore_file = dockerfile
            .context
            .ignore_file
            .as_deref()
            .map(|f| relative(Path::new(f)));
        let findings = run_all_checks(None, Some(&dockerfile), None);
        assert_fixture(path, &findings);
    });
}

/// ECS fixtures (`ECS.n` and `TD` checks): every input format the `--task-def` loader reads, by
/// extension `.json`, `.yaml`, `.yml`. Control statuses are asserted by `tests/ecs_fixtures.rs`.
#[test]
fn ecs_fixtures() {
    insta::glob!("../fixtures/ecs", "*/*.{json,yaml,yml}", check_ecs_fixture);
    insta::glob!("../fixtures/td", "*/*.{json,yaml,yml}", check_ecs_fixture);
}

/// Exposure fixtures (EX checks): stacks (CloudFormation templates, Terraform plans) loaded as
/// `--task-def` loads them, every check run.
#[test]
fn exposure_fixtures() {
    insta::glob!(
        "../fixtures/exposure",
        "*/*.{json,yaml,yml}",
        check_ecs_fixture
    );
}

/// One ECS or TD fixture: loaded as `--task-def` loads it, every check run.
fn check_ecs_fixture(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let inventory = harden::load::ecs::load_text_inventory(&relative(path), &text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let findings = run_all_checks(None, None, Some(&inventory));
    assert_fixture(path, &findings);
}

/// Cross-source fixtures: `fixtures/cross/<ID>/<pass|fail>-<what>/` holds `image.image` (testkit
/// text form), `taskdef.json` (any `--task-def` format) and optionally a `Dockerfile`. The
/// containers are paired with the image as a scan pairs them (by reference, or the only one).
#[test]
fn cross_fixtures() {
    use harden::load::dockerfile::{DockerfileOptions, load as load_dockerfile};
    insta::glob!("../fixtures/cross", "*/*/image.image", |path| {
        let fixture = path
            .parent()
            .expect("fixtures/cross/<ID>/<fixture>/image.image");
        let image = load_fixture_image(path);
        let task_definition = fixture.join("taskdef.json");
        let task_text = std::fs::read_to_string(&task_definition)
            .unwrap_or_else(|e| panic!("{}: {e}", task_definition.display()));
        let inventory =
            harden::load::ecs::load_text_inventory(&relative(&task_definition), &task_text)
                .unwrap_or_else(|e| panic!("{}: {e}", task_definition.display()));
        let dockerfile_path = fixture.join("Dockerfile");
        let dockerfile = dockerfile_path.is_file().then(|| {
            let mut dockerfile = load_dockerfile(&dockerfile_path, &DockerfileOptions::default())
                .unwrap_or_else(|e| panic!("{}: {e}", dockerfile_path.display()));
            dockerfile.path = relative(&dockerfile_path);
            dockerfile.context.directory = relative(Path::new(&dockerfile.context.directory));
            dockerfile
        });
        let vulns = fixture_vulns(&fixture.join("vulns.json"));
        let findings =
            run_all_checks_with_vulns(Some(&image), dockerfile.as_ref(), Some(&inventory), &vulns);
        assert_fixture(fixture, &findings);
    });
}
