//! The Markdown report (`-f markdown`): a verdict line, counts, and one table row per unsuppressed
//! finding, sized for a pull-request comment or a GitHub job summary (`$GITHUB_STEP_SUMMARY`).
//! Every text from an input is escaped, so a message cannot open HTML, a link or a new row.

use std::fmt::Write as _;

use super::{RenderOptions, Report, describe};
use crate::findings::{Finding, Severity};

/// GitHub refuses comments over 65,536 characters; the rows stop in time to stay under it with
/// the closing lines.
pub const MAX_CHARS: usize = 60_000;

pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut out = String::new();
    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let suppressed = report.findings.len() - open.len();
    let verdict = match report.gate_line(options.fail_on) {
        Some(line) => format!(":x: {}", escape(line.trim_start_matches("harden: "))),
        None => format!(":white_check_mark: passed (fail-on {})", options.fail_on),
    };
    let _ = writeln!(out, "## harden\n\n{verdict}\n");

    let mut inputs = Vec::new();
    for image in report.inputs.image.iter().chain(&report.inputs.images) {
        inputs.push(format!("image `{}`", code(&image.source)));
    }
    for failure in &report.errors {
        inputs.push(format!(
            "image `{}` (**not scanned**: {})",
            code(&failure.image),
            code(&failure.error)
        ));
    }
    if let Some(dockerfile) = &report.inputs.dockerfile {
        inputs.push(format!("Dockerfile `{}`", code(&dockerfile.path)));
    }
    let task_definitions = report.inputs.task_definitions.len();
    if task_definitions > 0 {
        inputs.push(format!(
            "{task_definitions} task-definition input{}",
            if task_definitions == 1 { "" } else { "s" }
        ));
    }
    if !inputs.is_empty() {
        let _ = writeln!(out, "Scanned: {}.\n", inputs.join(", "));
    }

    let counts: Vec<String> = Severity::ALL
        .into_iter()
        .rev()
        .filter_map(|s| {
            let n = open.iter().filter(|f| f.severity == s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    if counts.is_empty() {
        let _ = writeln!(out, "No findings.");
    } else {
        let _ = writeln!(
            out,
            "{} finding{}: {}.",
            open.len(),
            if open.len() == 1 { "" } else { "s" },
            counts.join(", ")
        );
    }
    if suppressed > 0 {
        let _ = writeln!(
            out,
            "{suppressed} suppressed (ignores, pragmas or the baseline)."
        );
    }

    if !open.is_empty() {
        out.push_str("\n| Severity | Check | Where | Problem |\n|---|---|---|---|\n");
        for (index, finding) in open.iter().enumerate() {
            let row = format!(
                "| {} | {} `{}` | `{}` | {} |\n",
                finding.severity,
                finding.id,
                finding.name,
                code(&describe(&finding.location)),
                escape(&finding.message)
            );
            if out.len() + row.len() > MAX_CHARS {
                let _ = writeln!(
                    out,
                    "\n… and {} more: see the JSON or SARIF report.",
                    open.len() - index
                );
                break;
            }
            out.push_str(&row);
        }
    }
    for note in &report.notes {
        let line = format!("\n> {}\n", escape(note));
        if out.len() + line.len() > MAX_CHARS {
            break;
        }
        out.push_str(&line);
    }
    out
}

/// Text for a table cell: no raw control character, no new row or column, no HTML or link
/// markup, no emphasis.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            // A bidirectional override would reorder the rendered row (Trojan Source).
            c if crate::excerpt::hidden(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backticks and pipes cannot close the span or the cell.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '`' => out.push('\''),
            '|' => out.push('¦'),
            c if c.is_control() => out.push(' '),
            c if crate::excerpt::hidden(c) => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Location, Severity};

    fn finding(message: &str) -> Finding {
        Finding {
            id: "DF004",
            name: "secret-in-env-or-arg",
            severity: Severity::High,
            message: message.to_string(),
            location: Location::dockerfile(
                "a|b`Dockerfile",
                crate::findings::LineSpan { start: 3, end: 3 },
            ),
            evidence: Default::default(),
            related: Vec::new(),
            suppressed: None,
            fix: None,
        }
    }

    #[test]
    fn a_message_cannot_break_the_table_or_inject_markup() {
        let report = Report {
            findings: vec![finding("x | y\n| z <img src=x> [a](http://e) `c`")],
            ..Report::default()
        };
        let out = render(&report, &RenderOptions::default());
        assert!(out.starts_with("## harden\n\n:x: 1 finding at or above high (1 high); failing"));
        let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("| high")).collect();
        assert_eq!(rows.len(), 1, "{out}");
        // Four cells: five unescaped pipes.
        let unescaped = rows[0]
            .char_indices()
            .filter(|(i, c)| *c == '|' && (*i == 0 || rows[0].as_bytes()[i - 1] != b'\\'))
            .count();
        assert_eq!(unescaped, 5, "{}", rows[0]);
        assert!(!out.contains("<img"));
        // The link's brackets are escaped: it renders as text.
        assert!(out.contains("\\[a\\](http://e)"), "{out}");
    }

    /// A bidirectional override in an input (Trojan Source) would reorder the rendered row, and
    /// U+2028 breaks a line for some renderers: both are written as escapes, in cells and in
    /// code spans.
    #[test]
    fn bidirectional_overrides_and_line_separators_are_escaped() {
        let mut hostile = finding("privileged \u{202e}eslaf\u{202c} \u{2028}x");
        hostile.location.file = Some("td\u{2067}.json".into());
        let report = Report {
            findings: vec![hostile],
            ..Report::default()
        };
        let out = render(&report, &RenderOptions::default());
        assert!(
            !out.contains(|c: char| crate::excerpt::hidden(c) && c != '\n'),
            "{out:?}"
        );
        assert!(out.contains("\\u{202e}"), "{out}");
    }

    #[test]
    fn a_long_report_stays_under_the_comment_limit_and_says_what_is_left_out() {
        let report = Report {
            findings: (0..5000)
                .map(|n| finding(&format!("finding {n} {}", "x".repeat(50))))
                .collect(),
            ..Report::default()
        };
        let out = render(&report, &RenderOptions::default());
        assert!(out.len() <= MAX_CHARS + 200, "{}", out.len());
        assert!(out.contains("more: see the JSON or SARIF report"));
    }
}
