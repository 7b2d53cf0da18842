//! JUnit XML for CI test reports. One `<testsuite>` per input (the image, each Dockerfile, each
//! task-definition file, and `harden` for findings about the policy itself); one `<testcase>` per
//! (check or control, resource). A testcase fails when an unsuppressed finding is at or above
//! `--fail-on`, or when its control is FAILED; it is skipped when all its findings are suppressed,
//! or when its control is NOT_APPLICABLE or INDETERMINATE; otherwise it passes, with findings
//! below the gate listed in `<system-out>`. Checks that found nothing in an input are passing
//! testcases, so the report shows what was checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{FailOn, RenderOptions, Report, describe, source_name};
use crate::checks::{self, Target};
use crate::findings::{ControlResult, ControlStatus, Finding, SourceKind};

/// One testcase being assembled.
#[derive(Default)]
struct Case<'a> {
    findings: Vec<&'a Finding>,
    control: Option<&'a ControlResult>,
}

/// One testsuite: an input.
struct Suite<'a> {
    name: String,
    kind: Option<SourceKind>,
    /// (check ID, resource) → case, in check order.
    cases: BTreeMap<(CheckOrder, String), Case<'a>>,
}

/// Sorts check IDs naturally (`ECS.2` before `ECS.10`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CheckOrder(String, u32, String);

impl CheckOrder {
    fn of(id: &str) -> CheckOrder {
        let split = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
        let (family, rest) = id.split_at(split);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        CheckOrder(
            family.to_string(),
            digits.parse().unwrap_or(0),
            id.to_string(),
        )
    }

    fn id(&self) -> &str {
        &self.2
    }
}

pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut suites: Vec<Suite> = Vec::new();
    let suite_index = |suites: &mut Vec<Suite>, name: &str, kind: Option<SourceKind>| match suites
        .iter()
        .position(|s| s.name == name && s.kind == kind)
    {
        Some(index) => index,
        None => {
            suites.push(Suite {
                name: name.to_string(),
                kind,
                cases: BTreeMap::new(),
            });
            suites.len() - 1
        }
    };

    // Every check of the image's target is a testcase of the image suite, found or not.
    for image in report.inputs.image.iter().chain(&report.inputs.images) {
        let index = suite_index(&mut suites, &image.source, Some(SourceKind::Image));
        for check in checks::all()
            .into_iter()
            .filter(|c| c.target == Target::Image)
        {
            suites[index]
                .cases
                .entry((CheckOrder::of(check.id), image.source.clone()))
                .or_default();
        }
    }
    for control in &report.controls {
        let index = suite_index(
            &mut suites,
            &control.resource.file,
            Some(SourceKind::TaskDefinition),
        );
        suites[index]
            .cases
            .entry((CheckOrder::of(control.id), control.resource.name.clone()))
            .or_default()
            .control = Some(control);
    }
    for finding in &report.findings {
        let location = &finding.location;
        let kind = location.source;
        let suite_name = match kind {
            Some(SourceKind::Tool) => "harden".to_string(),
            _ => location
                .file
                .clone()
                .unwrap_or_else(|| "harden".to_string()),
        };
        let index = suite_index(&mut suites, &suite_name, kind);
        let resource = location
            .resource
            .clone()
            .or_else(|| location.file.clone())
            .unwrap_or_else(|| suite_name.clone());
        // A finding of a control joins the control's testcase for the same resource.
        suites[index]
            .cases
            .entry((CheckOrder::of(finding.id), resource))
            .or_default()
            .findings
            .push(finding);
    }

    let mut body = String::new();
    let (mut total_tests, mut total_failures, mut total_skipped) = (0, 0, 0);
    for suite in &suites {
        let mut cases = String::new();
        let (mut failures, mut skipped) = (0, 0);
        for ((order, resource), case) in &suite.cases {
            let verdict = verdict(case, options.fail_on);
            match verdict {
                Verdict::Failed(_) => failures += 1,
                Verdict::Skipped(_) => skipped += 1,
                Verdict::Passed => {}
            }
            write_case(&mut cases, suite, order.id(), resource, case, &verdict);
        }
        let tests = suite.cases.len();
        total_tests += tests;
        total_failures += failures;
        total_skipped += skipped;
        let kind = suite.kind.map(source_name).unwrap_or("input");
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
            escape(&format!("{kind}: {}", suite.name)),
            escape(options.timestamp.trim_end_matches('Z')),
        );
        let _ = writeln!(
            body,
            "    <properties>\n      <property name=\"fail-on\" value=\"{}\"/>\n    </properties>",
            options.fail_on
        );
        body.push_str(&cases);
        body.push_str("  </testsuite>\n");
    }

    // An image of several that could not be scanned: a suite with one errored testcase.
    for failure in &report.errors {
        total_tests += 1;
        let _ = writeln!(
            body,
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" timestamp=\"{}\">",
            escape(&format!("image: {}", failure.image)),
            escape(options.timestamp.trim_end_matches('Z')),
        );
        let _ = writeln!(
            body,
            "    <testcase name=\"load\" classname=\"{}\">\n      <error message=\"{}\" type=\"ImageError\">{}</error>\n    </testcase>\n  </testsuite>",
            escape(&failure.image),
            escape(&failure.error),
            escape(&failure.error),
        );
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"harden {}\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{}\" skipped=\"{total_skipped}\">",
        escape(report.tool.version),
        report.errors.len()
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

enum Verdict {
    Passed,
    Failed(String),
    Skipped(String),
}

fn verdict(case: &Case, fail_on: FailOn) -> Verdict {
    let unsuppressed: Vec<&&Finding> = case
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let all_suppressed = !case.findings.is_empty() && unsuppressed.is_empty();
    if let Some(control) = case.control {
        return match control.status {
            ControlStatus::Failed if all_suppressed => Verdict::Skipped("suppressed".into()),
            ControlStatus::Failed => Verdict::Failed(format!("{} FAILED", control.id)),
            ControlStatus::NotApplicable => Verdict::Skipped("not applicable".into()),
            ControlStatus::Indeterminate => {
                Verdict::Skipped("indeterminate: a value cannot be known offline".into())
            }
            ControlStatus::Passed => Verdict::Passed,
        };
    }
    if all_suppressed {
        return Verdict::Skipped("suppressed".into());
    }
    let failing: Vec<&&Finding> = unsuppressed
        .into_iter()
        .filter(|f| fail_on.fails(f))
        .collect();
    match failing.first() {
        Some(first) if failing.len() == 1 => Verdict::Failed(first.message.clone()),
        Some(first) => Verdict::Failed(format!(
            "{} (and {} more)",
            first.message,
            failing.len() - 1
        )),
        None => Verdict::Passed,
    }
}

fn write_case(
    out: &mut String,
    suite: &Suite,
    id: &str,
    resource: &str,
    case: &Case,
    verdict: &Verdict,
) {
    let title = match checks::find(id) {
        Some(check) => format!("{id} {} [{resource}]", check.name),
        None => format!("{id} [{resource}]"),
    };
    let classname = format!(
        "harden.{}.{}",
        suite.kind.map(source_name).unwrap_or("input"),
        id
    );
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
        escape(&classname),
        escape(&title)
    );
    let details = details(case);
    if matches!(verdict, Verdict::Passed) && details.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    match verdict {
        Verdict::Failed(message) => {
            let kind = case
                .findings
                .iter()
                .map(|f| f.severity)
                .max()
                .map(|s| s.as_str())
                .unwrap_or("failed");
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{kind}\">{}</failure>",
                escape(message),
                escape(&details)
            );
        }
        Verdict::Skipped(message) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", escape(message));
            if !details.is_empty() {
                let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&details));
            }
        }
        Verdict::Passed => {
            let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&details));
        }
    }
    out.push_str("    </testcase>\n");
}

/// One line per finding (and control offender): severity, message, place, evidence, suppression.
fn details(case: &Case) -> String {
    let mut lines = Vec::new();
    if let Some(control) = case.control {
        for offender in &control.offenders {
            lines.push(format!("{}: {}", offender.pointer, offender.message));
        }
        for note in &control.notes {
            lines.push(format!("note: {note}"));
        }
    }
    for finding in &case.findings {
        let mut line = format!("[{}] {}", finding.severity, finding.message);
        let place = describe(&finding.location);
        if !place.is_empty() {
            line.push_str(&format!(" at {place}"));
        }
        for (key, value) in &finding.evidence {
            line.push_str(&format!("; {key}: {value}"));
        }
        if let Some(suppression) = &finding.suppressed {
            line.push_str(&format!(
                " (suppressed, {}: {})",
                suppression.kind, suppression.reason
            ));
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// Escapes text for XML attributes and content, and drops the characters XML 1.0 cannot carry.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push('\u{FFFD}');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_invalid_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}"
        );
    }
}
