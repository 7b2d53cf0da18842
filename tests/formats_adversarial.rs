//! Every report format, for hostile reports: control characters, bidi overrides, emoji, 10,000-
//! character messages, markup, odd paths and pointers, huge and inverted line spans, hundreds of
//! findings of one rule, zero findings, only suppressed findings. The reports are drawn by a
//! fixed-seed generator and go through the real policy stage (severity overrides, config ignores,
//! HD findings) and ordering; every format is then checked by the same validators as
//! tests/formats.rs (skipped locally when one is missing, required in CI).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{manifest_dir, python_with, sarif_errors, sarif_multitool};
use harden::checks;
use harden::findings::{
    ControlResult, ControlStatus, Finding, LineSpan, Location, Offender, ResourceRef, Severity,
    SourceKind,
};
use harden::policy::config::{Config, Date, IgnoreRule, SeverityOverride};
use harden::policy::ignore::apply_policy;
use harden::report::{FailOn, Format, ImageSummary, Inputs, RenderOptions, Report};

/// SplitMix64: small, deterministic, good enough to pick from pools.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, pool: &[T]) -> T {
        pool[self.below(pool.len())].clone()
    }

    /// One or two pool entries joined, sometimes with plain text around them.
    fn text(&mut self, pool: &[String]) -> String {
        let mut out = self.pick(pool);
        if self.chance(40) {
            out.push_str(&self.pick(pool));
        }
        if self.chance(30) {
            out = format!("plain {out} tail");
        }
        out
    }
}

fn texts() -> Vec<String> {
    let mut pool: Vec<String> = [
        "",
        " ",
        "\t",
        "\0",
        "nul\0inside",
        "\u{1}\u{7}\u{8}\u{b}\u{c}\u{1f}",
        "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7}",
        "\u{7f}\u{80}\u{85}\u{9f}",
        "line\nbreak\r\nCRLF\rCR",
        "\u{2028}\u{2029}",
        "\u{202e}evil\u{202c} \u{2066}isolate\u{2069}",
        "\u{FFFD}\u{FEFF}\u{FFFE}\u{FFFF}",
        "\u{10FFFF}\u{E000}\u{D7FF}",
        "😀👩\u{200d}👩\u{200d}👧🏳️\u{200d}🌈",
        "漢字テスト한국어",
        "e\u{301}\u{301}\u{301} combining",
        "<script>alert(1)</script>",
        "]]> <![CDATA[x]]>",
        "&amp; & < > \" ' &#0; &#x1;",
        "{\"json\": [1, 2], \"k\": null}",
        "\\\"\\u0000\\n",
        "**bold** [link](javascript:alert(1)) `code` # heading\n- item",
        "<b>html</b> <img src=x onerror=alert(1)>",
        "{0} {1} {{}} %s %n %x",
        "${{ github.token }} $(id) `id`",
        "trailing space ",
        ".",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    pool.push("A".repeat(10_000));
    pool.push("é".repeat(1_500));
    pool.push("😀".repeat(700));
    pool.push("<&>".repeat(900));
    pool
}

fn files(dir: &Path) -> Vec<String> {
    let inside = |name: &str| dir.join(name).display().to_string();
    vec![
        inside("Dockerfile"),
        inside("my dir/Docker file"),
        inside("100%/td.json"),
        inside("a#b/c?d=e.json"),
        inside("ünïcödé/Dockerfile"),
        inside("sub/../td.json"),
        "Dockerfile".into(),
        "./././deploy/td.json".into(),
        "with space.json".into(),
        "50% off#frag?q.json".into(),
        "C:\\Users\\me\\Dockerfile".into(),
        "..\\..\\evil\\td.json".into(),
        "../outside/td.json".into(),
        "/etc/../etc/passwd".into(),
        "/elsewhere/très loin/td.json".into(),
        "//server/share/td.json".into(),
        "file:///already/a/uri".into(),
        "https://example.com/td.json?x=1#y".into(),
        "".into(),
        "-".into(),
        " ".into(),
        "new\nline.json".into(),
        "\u{202e}nosj.dt".into(),
        format!("{}/td.json", "d".repeat(3000)),
    ]
}

fn image_paths() -> Vec<String> {
    vec![
        "/usr/bin/pass wd".into(),
        "/tmp/\u{1}ctl\u{1b}[2J".into(),
        "/weird/%41%zz".into(),
        "/a#b?c".into(),
        "/".into(),
        "".into(),
        "//double//slash/".into(),
        "/ü/€/😀".into(),
        format!("/x/{}", "y".repeat(5000)),
        "/back\\slash".into(),
        "relative/no/root".into(),
        "/new\nline".into(),
        "/ ".into(),
        "/\u{FFFD}".into(),
    ]
}

fn resources() -> Vec<String> {
    vec![
        "web:3".into(),
        format!("{}:1", "f".repeat(3000)),
        ":5".into(),
        "fam:".into(),
        "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1".into(),
        "".into(),
        " ".into(),
        "💥:1".into(),
        "module.x[\"a b\"].aws_ecs_task_definition.this".into(),
        "a/b:c/d".into(),
        "\u{1b}[31m:1".into(),
    ]
}

fn pointers() -> Vec<String> {
    vec![
        "/containerDefinitions/0/environment/a~1b~0c".into(),
        "/tags/key~1with~1slash".into(),
        "".into(),
        "/".into(),
        "/~".into(),
        "/a~2b".into(),
        "no-leading-slash".into(),
        "/with space/and%25/#frag".into(),
        "Resources.Task.Properties.ContainerDefinitions[0].User".into(),
        format!("/{}", "p/".repeat(2000)),
    ]
}

fn spans() -> Vec<LineSpan> {
    let span = |start, end| LineSpan { start, end };
    vec![
        span(1, 1),
        span(3, 9),
        span(0, 0),
        span(0, 7),
        span(9, 2),
        span(u32::MAX, u32::MAX),
        span(1, u32::MAX),
        span(u32::MAX, 0),
    ]
}

struct Pools {
    texts: Vec<String>,
    files: Vec<String>,
    image_paths: Vec<String>,
    resources: Vec<String>,
    pointers: Vec<String>,
    spans: Vec<LineSpan>,
    checks: Vec<&'static checks::Check>,
    controls: Vec<&'static str>,
}

impl Pools {
    fn new(dir: &Path) -> Pools {
        let checks: Vec<&'static checks::Check> = checks::all();
        let controls = checks
            .iter()
            .map(|c| c.id)
            .filter(|id| id.starts_with("ECS."))
            .collect();
        Pools {
            texts: texts(),
            files: files(dir),
            image_paths: image_paths(),
            resources: resources(),
            pointers: pointers(),
            spans: spans(),
            checks,
            controls,
        }
    }

    fn location(&self, rng: &mut Rng) -> Location {
        let mut location = match rng.below(5) {
            0 => Location::image_file(
                &rng.pick(&self.files),
                rng.pick(&self.image_paths),
                rng.chance(50).then(|| rng.below(200)),
            ),
            1 => Location::image(&rng.pick(&self.files)),
            2 => Location::dockerfile(&rng.pick(&self.files), rng.pick(&self.spans)),
            3 => Location::task_definition(
                &rng.pick(&self.files),
                &rng.pick(&self.resources),
                rng.pick(&self.pointers),
            ),
            _ => Location {
                source: rng.chance(50).then_some(SourceKind::Tool),
                file: rng.chance(50).then(|| rng.pick(&self.files)),
                ..Location::default()
            },
        };
        if rng.chance(20) {
            location.lines = Some(rng.pick(&self.spans));
        }
        if rng.chance(20) {
            location.layer_digest = Some(rng.text(&self.texts));
        }
        if rng.chance(10) {
            location.resource = Some(rng.pick(&self.resources));
        }
        location
    }

    fn finding(&self, rng: &mut Rng, check: &'static checks::Check) -> Finding {
        let mut finding = Finding {
            id: check.id,
            name: check.name,
            severity: check.severity,
            message: rng.text(&self.texts),
            location: self.location(rng),
            evidence: Default::default(),
            related: Vec::new(),
            suppressed: None,
            fix: None,
        };
        let evidence = match rng.below(10) {
            0 => 60,
            1..=4 => rng.below(4),
            _ => 0,
        };
        for n in 0..evidence {
            let key = match rng.below(4) {
                0 => format!("k{n}"),
                1 => format!("{}{n}", rng.pick(&self.texts)),
                2 => format!("{n}{}", "k".repeat(300)),
                _ => format!("ключ {n}"),
            };
            finding.with_evidence(&key, rng.text(&self.texts));
        }
        for _ in 0..rng.below(3) {
            finding.with_related(self.location(rng));
        }
        if rng.chance(15) {
            finding.with_severity(rng.pick(&Severity::ALL));
        }
        finding
    }

    fn control(&self, rng: &mut Rng, status: ControlStatus) -> ControlResult {
        let odd_kind = rng.pick(&self.texts);
        let mut control = ControlResult {
            id: rng.pick(&self.controls),
            resource: ResourceRef {
                file: rng.pick(&self.files),
                kind: rng.pick(&[
                    "AwsEcsTaskDefinition".to_string(),
                    "AwsEcsService".to_string(),
                    odd_kind,
                ]),
                name: rng.pick(&self.resources),
            },
            status,
            offenders: Vec::new(),
            notes: Vec::new(),
            parity_unverified: rng.chance(20),
        };
        for _ in 0..rng.below(4) {
            control.offenders.push(Offender {
                pointer: rng.pick(&self.pointers),
                container: rng.chance(50).then(|| rng.text(&self.texts)),
                message: rng.text(&self.texts),
                source_path: rng.chance(30).then(|| rng.pick(&self.pointers)),
                line: rng.chance(50).then(|| rng.next() as u32),
            });
        }
        for _ in 0..rng.below(3) {
            control.notes.push(rng.text(&self.texts));
        }
        control
    }

    /// A policy with hostile names and reasons: an override, ignores that match, one that matches
    /// nothing (HD finding) and an expired one (HD finding).
    fn config(&self, rng: &mut Rng, ignore_everything: bool) -> Config {
        let mut ignores = Vec::new();
        let rule = |id: &str, reason: String, line: u32| IgnoreRule {
            id: id.to_string(),
            path: None,
            resource: None,
            file: None,
            evidence: Default::default(),
            reason,
            expires: None,
            line,
        };
        if ignore_everything {
            for (n, check) in self.checks.iter().enumerate() {
                ignores.push(rule(check.id, rng.text(&self.texts), n as u32 + 1));
            }
        } else {
            let mut by_path = rule("IM012", rng.text(&self.texts), 3);
            by_path.path = Some("/usr/**".into());
            ignores.push(by_path);
            let mut by_file = rule(rng.pick(&self.checks).id, rng.text(&self.texts), 7);
            by_file.file = Some("*.json".into());
            ignores.push(by_file);
            let mut unused = rule("DF004", rng.text(&self.texts), 11);
            unused.resource = Some("no such resource".into());
            ignores.push(unused);
            let mut expired = rule("IM003", rng.text(&self.texts), 15);
            expired.expires = Some(Date::parse("2001-01-01").unwrap());
            ignores.push(expired);
        }
        Config {
            file: Some(rng.pick(&self.files)),
            fail_on: None,
            severity: vec![SeverityOverride {
                id: "IM012".into(),
                severity: Severity::Critical,
                line: 1,
            }],
            ignores,
            ..Config::default()
        }
    }

    fn image(&self, rng: &mut Rng) -> Option<ImageSummary> {
        rng.chance(70).then(|| ImageSummary {
            source: rng.pick(&self.files),
            reference: rng.chance(50).then(|| rng.text(&self.texts)),
            platform: rng.text(&self.texts),
            manifest_digest: rng.chance(50).then(|| rng.text(&self.texts)),
            index_digests: vec![rng.text(&self.texts)],
            config_digest: rng.text(&self.texts),
            layers: rng.below(200),
            files: rng.below(100_000),
            user: rng.text(&self.texts),
            // The OS names come from files inside the image: hostile text too.
            os: rng
                .chance(50)
                .then(|| harden::report::base_image::OsSummary {
                    id: rng.text(&self.texts),
                    name: rng.text(&self.texts),
                    version_id: rng.chance(50).then(|| rng.text(&self.texts)),
                    pretty_name: rng.chance(50).then(|| rng.text(&self.texts)),
                    release_cycle: rng.chance(50).then(|| rng.text(&self.texts)),
                    distroless: rng.chance(50),
                    source: rng.text(&self.texts),
                    end_of_life: Default::default(),
                }),
            packages: (0..rng.below(3))
                .map(|_| harden::model::packages::Package {
                    name: rng.text(&self.texts),
                    version: rng.text(&self.texts),
                    architecture: rng.chance(50).then(|| rng.text(&self.texts)),
                    source_name: rng.chance(50).then(|| rng.text(&self.texts)),
                    source_version: None,
                    manager: harden::model::packages::PackageManager::Apk,
                    database: rng.text(&self.texts),
                    layer: rng.below(5),
                })
                .collect(),
            details: harden::report::base_image::ImageDetails {
                created: rng.chance(50).then(|| rng.text(&self.texts)),
                compressed_size: rng.below(1 << 30) as u64,
                uncompressed_size: rng.below(1 << 30) as u64,
                layers: (0..rng.below(3))
                    .map(|_| harden::report::base_image::LayerSummary {
                        digest: rng.text(&self.texts),
                        media_type: rng.text(&self.texts),
                        compression: "gzip".into(),
                        compressed_size: 1,
                        uncompressed_size: 2,
                        created_by: rng.chance(50).then(|| rng.text(&self.texts)),
                    })
                    .collect(),
                labels: [(rng.text(&self.texts), rng.text(&self.texts))].into(),
                entrypoint: rng.chance(50).then(|| vec![rng.text(&self.texts)]),
                cmd: rng.chance(50).then(|| vec![rng.text(&self.texts)]),
                exposed_ports: vec![rng.text(&self.texts)],
                // Predicate types and notes come from the image's index: hostile text too.
                attestations: (0..rng.below(2))
                    .map(|_| harden::model::image::Attestation {
                        digest: rng.text(&self.texts),
                        predicate_types: vec![rng.text(&self.texts)],
                        note: rng.chance(50).then(|| rng.text(&self.texts)),
                    })
                    .collect(),
            },
        })
    }

    /// A report through the policy stage and the scan's ordering.
    fn report(
        &self,
        rng: &mut Rng,
        mut findings: Vec<Finding>,
        controls: Vec<ControlResult>,
        config: &Config,
    ) -> Report {
        apply_policy(&mut findings, config, &[], Date::today());
        harden::scan::sort_findings(&mut findings);
        Report {
            inputs: Inputs {
                image: self.image(rng),
                ..Inputs::default()
            },
            findings,
            controls,
            notes: (0..rng.below(3)).map(|_| rng.text(&self.texts)).collect(),
            ..Report::default()
        }
    }
}

const STATUSES: [ControlStatus; 4] = [
    ControlStatus::Passed,
    ControlStatus::Failed,
    ControlStatus::NotApplicable,
    ControlStatus::Indeterminate,
];

/// The reports: random mixes, then the shapes a generator rarely draws.
fn reports(dir: &Path) -> Vec<(String, Report)> {
    let pools = Pools::new(dir);
    let mut rng = Rng(0x6861_7264_656e);
    let mut out = Vec::new();
    for seed in 0..6 {
        let findings = (0..40)
            .map(|_| {
                let check = rng.pick(&pools.checks);
                pools.finding(&mut rng, check)
            })
            .collect();
        let controls = (0..12)
            .map(|n| pools.control(&mut rng, STATUSES[n % 4]))
            .collect();
        let config = pools.config(&mut rng, false);
        out.push((
            format!("mix{seed}"),
            pools.report(&mut rng, findings, controls, &config),
        ));
    }
    let im012 = checks::find("IM012").unwrap();
    let many = (0..300).map(|_| pools.finding(&mut rng, im012)).collect();
    out.push((
        "one-rule".into(),
        pools.report(&mut rng, many, Vec::new(), &Config::default()),
    ));
    out.push((
        "empty".into(),
        pools.report(&mut rng, Vec::new(), Vec::new(), &Config::default()),
    ));
    let controls = STATUSES
        .iter()
        .map(|&status| pools.control(&mut rng, status))
        .collect();
    out.push((
        "controls-only".into(),
        pools.report(&mut rng, Vec::new(), controls, &Config::default()),
    ));
    let findings = (0..30)
        .map(|_| {
            let check = rng.pick(&pools.checks);
            pools.finding(&mut rng, check)
        })
        .collect();
    let config = pools.config(&mut rng, true);
    let mut suppressed = pools.report(&mut rng, findings, Vec::new(), &config);
    suppressed.findings.retain(|f| f.suppressed.is_some());
    out.push(("only-suppressed".into(), suppressed));
    out
}

fn options(dir: &Path, fail_on: FailOn) -> RenderOptions {
    RenderOptions {
        working_dir: Some(dir.to_path_buf()),
        fail_on,
        timestamp: "2026-11-23T12:00:00Z".into(),
        ..RenderOptions::default()
    }
}

const FORMATS: [Format; 5] = [
    Format::Text,
    Format::Json,
    Format::Sarif,
    Format::Asff,
    Format::Junit,
];

/// Renders every report in every format into `out`; returns the files by format.
fn render_all(dir: &Path, out: &Path) -> Vec<(Format, PathBuf)> {
    let mut written = Vec::new();
    for (n, (name, report)) in reports(dir).iter().enumerate() {
        let fail_on = [
            FailOn::Never,
            FailOn::default(),
            FailOn::AtLeast(Severity::Info),
        ][n % 3];
        for format in FORMATS {
            let text = report.render_with(format, &options(dir, fail_on));
            let again = report.render_with(format, &options(dir, fail_on));
            assert_eq!(text, again, "{name} renders the same twice in {format:?}");
            let path = out.join(format!("{name}.{}", format.as_str()));
            std::fs::write(&path, text).unwrap();
            written.push((format, path));
        }
        let fingerprints = report.fingerprints();
        let unique: std::collections::HashSet<&String> = fingerprints.iter().collect();
        assert_eq!(
            unique.len(),
            fingerprints.len(),
            "{name}: fingerprints are unique"
        );
    }
    written
}

fn of(written: &[(Format, PathBuf)], format: Format) -> Vec<&PathBuf> {
    written
        .iter()
        .filter(|(f, _)| *f == format)
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn hostile_reports_render_valid_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let written = render_all(dir.path(), dir.path());
    let Some(multitool) = sarif_multitool() else {
        return;
    };
    let mut problems = Vec::new();
    for path in of(&written, Format::Sarif) {
        for error in sarif_errors(&multitool, path, dir.path()) {
            problems.push(format!("{}: {error}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn hostile_reports_render_valid_asff() {
    let dir = tempfile::tempdir().unwrap();
    let written = render_all(dir.path(), dir.path());
    let Some(python) = python_with(&["botocore"]) else {
        return;
    };
    let mut problems = Vec::new();
    for path in of(&written, Format::Asff) {
        if let Some(rejected) = common::asff_problems(&python, path, &[]) {
            problems.push(format!("{}:\n{rejected}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn hostile_reports_render_valid_json_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let written = render_all(dir.path(), dir.path());
    let Some(python) = python_with(&["jsonschema", "junitparser"]) else {
        return;
    };
    // JSON against the schema; JUnit through a strict XML parser and junitparser, with the
    // counts the suites declare.
    let script = r#"
import json, sys, xml.etree.ElementTree as ET
import jsonschema
from junitparser import JUnitXml
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
problems = []
for path in sys.argv[2:]:
    if path.endswith(".json"):
        for e in validator.iter_errors(json.load(open(path, encoding="utf-8"))):
            problems.append(f"{path}: {list(e.absolute_path)} {e.message[:200]}")
    else:
        try:
            ET.parse(path)
            xml = JUnitXml.fromfile(path)
            for suite in xml:
                if suite.tests != len(list(suite)):
                    problems.append(f"{path}: suite {suite.name!r} declares {suite.tests} tests")
        except Exception as e:
            problems.append(f"{path}: {e}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
"#;
    let output = Command::new(python)
        .args(["-c", script])
        .arg(manifest_dir().join("schema/report.schema.json"))
        .args(of(&written, Format::Json))
        .args(of(&written, Format::Junit))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn hostile_text_reports_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    for (name, report) in reports(dir.path()) {
        for color in [false, true] {
            let text = report.render(Format::Text, color);
            for (number, line) in text.lines().enumerate() {
                // Color, when asked, is harden's own SGR sequences; nothing else is a control.
                let stripped = line
                    .split('\u{1b}')
                    .enumerate()
                    .map(|(n, part)| {
                        if n == 0 {
                            part
                        } else {
                            let sgr = part.strip_prefix('[').and_then(|rest| {
                                let end = rest.find('m')?;
                                rest[..end]
                                    .chars()
                                    .all(|c| c.is_ascii_digit() || c == ';')
                                    .then(|| &rest[end + 1..])
                            });
                            sgr.unwrap_or_else(|| {
                                panic!("{name}:{}: a raw escape: {line:?}", number + 1)
                            })
                        }
                    })
                    .collect::<String>();
                assert!(
                    !stripped.chars().any(|c| c.is_control() || bidi(c)),
                    "{name}:{}: a control or bidi character: {line:?}",
                    number + 1
                );
            }
        }
    }
}

/// The real scan, through the CLI, of the demo bundle copied under hostile directory names (a
/// space, `%`, `#`, `?`, non-ASCII) with hostile text in the Dockerfile and the task definition
/// (markup, `]]>`, a bidi override, an escape sequence, `~` and `/` in label keys): every format
/// is valid and the text report carries no raw control character.
#[test]
fn the_demo_under_hostile_paths_scans_into_valid_formats() {
    let root = tempfile::tempdir().unwrap();
    let inputs = Path::new("my dir/100% #1?/ünï");
    let dir = root.path().join(inputs);
    std::fs::create_dir_all(&dir).unwrap();
    let demo = manifest_dir().join("images/demo");
    std::fs::copy(demo.join("demo.tar"), dir.join("demo image.tar")).unwrap();
    let mut dockerfile = std::fs::read_to_string(demo.join("Dockerfile")).unwrap();
    dockerfile = dockerfile.replace(
        "USER app",
        "LABEL note=\"<&>]]> \u{202e}evil \u{1b}[2J 😀 漢字\"\nRUN echo '<script>' \"]]>\" && chmod 777 /tmp\nUSER app",
    );
    std::fs::write(dir.join("Docker file"), dockerfile).unwrap();
    let mut taskdef: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("taskdef.json")).unwrap()).unwrap();
    taskdef["containerDefinitions"][0]["dockerLabels"] =
        serde_json::json!({"a/b~c": "]]> <&> \u{1b}[31m", "😀": "\u{202e}x"});
    taskdef["containerDefinitions"][0]["environment"][0]["name"] = "TOKEN <&> ~/ 😀".into();
    std::fs::write(
        dir.join("task def #1.json"),
        serde_json::to_string_pretty(&taskdef).unwrap(),
    )
    .unwrap();

    let out = root.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let path = |name: &str| out.join(name).to_string_lossy().into_owned();
    let input = |name: &str| inputs.join(name).to_string_lossy().into_owned();
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .current_dir(root.path())
        .args(["scan", &input("demo image.tar"), "--dockerfile"])
        .arg(input("Docker file"))
        .arg("--task-def")
        .arg(input("task def #1.json"))
        .args(["--no-progress", "-f", "text", "-o", &path("r.txt")])
        .args(["-f", "json", "-o", &path("r.json")])
        .args(["-f", "sarif", "-o", &path("r.sarif")])
        .args(["-f", "asff", "-o", &path("r.asff")])
        .args(["-f", "junit", "-o", &path("r.xml")])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(path("r.txt")).unwrap();
    assert!(
        !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{text}"
    );
    assert!(text.contains("Docker file"), "{text}");

    if let Some(multitool) = sarif_multitool() {
        let errors = sarif_errors(&multitool, Path::new(&path("r.sarif")), &out);
        assert!(errors.is_empty(), "{errors:?}");
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path("r.sarif")).unwrap()).unwrap();
        let uris: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
            })
            .collect();
        assert!(
            uris.contains(&"my%20dir/100%25%20%231%3F/%C3%BCn%C3%AF/Docker%20file"),
            "{uris:?}"
        );
    }
    if let Some(python) = python_with(&["botocore", "jsonschema", "junitparser"]) {
        let problems = common::asff_problems(&python, Path::new(&path("r.asff")), &[]);
        assert!(problems.is_none(), "{}", problems.unwrap_or_default());
        let others = Command::new(&python)
            .arg("-c")
            .arg("import sys, json, jsonschema, xml.etree.ElementTree as ET\nfrom junitparser import JUnitXml\nET.parse(sys.argv[1]); JUnitXml.fromfile(sys.argv[1])\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))")
            .arg(path("r.xml"))
            .arg(path("r.json"))
            .arg(manifest_dir().join("schema/report.schema.json"))
            .output()
            .unwrap();
        assert!(
            others.status.success(),
            "{}",
            String::from_utf8_lossy(&others.stderr)
        );
    }
}
