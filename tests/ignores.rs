//! The HD checks on their fixtures (fixtures/tool/, described in its README), and the policy stage
//! end to end through the library: overrides, config ignores, pragmas, HD findings.

use std::path::Path;

use harden::checks::{self, Target};
use harden::findings::{Finding, LineSpan, Location, Severity};
use harden::policy::config::{Config, Date};
use harden::policy::ignore::apply_policy;

fn im012(location: Location) -> Finding {
    let check = checks::find("IM012").expect("IM012 is registered");
    Finding {
        id: check.id,
        name: check.name,
        severity: check.severity,
        message: "the image config has no HEALTHCHECK".into(),
        location,
        evidence: Default::default(),
        related: Vec::new(),
        suppressed: None,
    }
}

/// Runs the policy stage on one fixture and returns every finding afterwards.
fn run_fixture(path: &Path) -> Vec<Finding> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    if name.ends_with(".toml") {
        let config = Config::parse(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut findings = vec![im012(Location::image("fixture.tar"))];
        apply_policy(&mut findings, &config, &[], Date::today());
        findings
    } else {
        let user_line = text
            .lines()
            .position(|l| l.trim_start().to_ascii_uppercase().starts_with("USER"))
            .expect("the fixture has a USER instruction") as u32
            + 1;
        let file = path.display().to_string();
        let mut findings = vec![im012(Location::dockerfile(
            &file,
            LineSpan {
                start: user_line,
                end: user_line,
            },
        ))];
        let dockerfile =
            harden::load::dockerfile::from_text(&text, &file, &Default::default()).unwrap();
        apply_policy(
            &mut findings,
            &Config::default(),
            &[&dockerfile],
            Date::today(),
        );
        findings
    }
}

#[test]
fn every_hd_check_fires_on_its_fail_fixtures_and_not_on_its_pass_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tool");
    let mut ran = 0;
    for check in checks::all()
        .into_iter()
        .filter(|c| c.target == Target::Tool)
    {
        let dir = root.join(check.id);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let findings = run_fixture(&path);
            let hits = findings.iter().filter(|f| f.id == check.id).count();
            if name.starts_with("fail") {
                assert!(
                    hits > 0,
                    "{} did not report on {}",
                    check.id,
                    path.display()
                );
            } else if name.starts_with("pass") {
                assert_eq!(hits, 0, "{} reported on {}", check.id, path.display());
            }
            ran += 1;
        }
    }
    assert!(ran >= 6, "only {ran} HD fixtures ran");
}

#[test]
fn policy_overrides_suppresses_and_reports_in_one_pass() {
    let config = Config::parse(
        "[severity]\nIM012 = \"critical\"\nHD001 = \"high\"\n\n[[ignore]]\nid = \"IM012\"\nfile = \"a.tar\"\nreason = \"accepted\"\n\n[[ignore]]\nid = \"IM012\"\nfile = \"gone.tar\"\nreason = \"stale\"\n",
        "harden.toml",
    )
    .unwrap();
    let mut findings = vec![
        im012(Location::image("a.tar")),
        im012(Location::image("b.tar")),
    ];
    let outcome = apply_policy(&mut findings, &config, &[], Date::today());
    assert_eq!(outcome.suppressed, 1);
    assert!(
        findings
            .iter()
            .all(|f| f.id != "IM012" || f.severity == Severity::Critical)
    );
    assert_eq!(
        findings[0]
            .evidence
            .get("severity_override")
            .map(String::as_str),
        Some("low → critical (harden.toml)")
    );
    assert!(findings[0].suppressed.is_some(), "a.tar is ignored");
    assert!(findings[1].suppressed.is_none(), "b.tar is not");
    let unused: Vec<&Finding> = findings.iter().filter(|f| f.id == "HD001").collect();
    assert_eq!(unused.len(), 1);
    assert_eq!(
        unused[0].severity,
        Severity::High,
        "overrides apply to HD findings"
    );
    assert_eq!(unused[0].location.file.as_deref(), Some("harden.toml"));
    assert_eq!(
        unused[0].location.lines,
        Some(LineSpan { start: 10, end: 10 })
    );
}

/// Scans a Dockerfile given as text, as `harden scan --dockerfile` does.
fn scan_dockerfile(text: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Dockerfile");
    std::fs::write(&path, text).unwrap();
    let request = harden::scan::ScanRequest {
        dockerfile: Some(path),
        ..Default::default()
    };
    harden::scan::scan(&request).unwrap().findings
}

#[test]
fn a_related_hadolint_rule_does_not_suppress_a_harden_check() {
    // DL4006 asks for `pipefail`; DF007 is about running a download. The common pragma for the
    // first must not hide the second.
    let findings = scan_dockerfile(
        "FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000\n# hadolint ignore=DL4006\nRUN curl -fsSL https://example.com/install.sh | sh\nUSER 10001\n",
    );
    let df007: Vec<&Finding> = findings.iter().filter(|f| f.id == "DF007").collect();
    assert_eq!(df007.len(), 1, "{findings:#?}");
    assert!(df007[0].suppressed.is_none(), "{:#?}", df007[0]);
}

#[test]
fn an_equivalent_hadolint_rule_suppresses_and_keeps_the_reason_verbatim() {
    let findings = scan_dockerfile(
        "FROM alpine:3.20\n# hadolint ignore=DL3002 -- the entrypoint drops privileges, then execs\nUSER root\n",
    );
    let df002: Vec<&Finding> = findings.iter().filter(|f| f.id == "DF001").collect();
    assert!(!df002.is_empty(), "{findings:#?}");
    let suppression = df002[0]
        .suppressed
        .as_ref()
        .expect("DL3002 is DF001's equivalent");
    assert_eq!(
        suppression.reason,
        "the entrypoint drops privileges, then execs"
    );
}
