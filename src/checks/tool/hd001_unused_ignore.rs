//! HD001 unused-ignore: an ignore in harden.toml, or a `# harden ignore=` pragma, matched no finding.

use crate::checks::Emitter;
use crate::model::policy::IgnoreOutcome;

crate::declare_check! {
    /// ## What it does
    /// Reports an `[[ignore]]` table in `harden.toml`, or an ID in a `# harden ignore=` Dockerfile
    /// pragma, that suppressed no finding in this scan.
    ///
    /// ## Why is this bad?
    /// An ignore outlives the problem it was written for: the file was fixed, moved or renamed, or
    /// the matcher has a typo. A stale ignore silently suppresses the next, unrelated finding that
    /// happens to match it. Removing ignores as soon as they stop matching keeps every suppression
    /// deliberate. `# hadolint ignore=` pragmas are not reported: they may still serve hadolint.
    ///
    /// ## Example
    /// ```toml
    /// [[ignore]]
    /// id = "IM001"
    /// path = "/usr/bin/passwd"   # the image no longer ships this file
    /// reason = "passwd needs setuid"
    /// ```
    /// Fix: delete the table (or correct its matchers).
    UnusedIgnore {
        id: "HD001",
        name: "unused-ignore",
        severity: Low,
        target: Tool,
        references: {
            see_also: [
                "harden's own check (no CIS, AWS, hadolint, dockle, trivy or checkov equivalent); like ESLint's `--report-unused-disable-directives`.",
            ],
        },
        run: check,
    }
}

fn check(outcome: &IgnoreOutcome, out: &mut Emitter) {
    for notice in &outcome.unused {
        let finding = out.finding(
            format!(
                "{} matched no {} finding: remove it or fix its matchers",
                notice.ignore, notice.id
            ),
            notice.location.clone(),
        );
        finding.with_evidence("ignore", notice.ignore.clone());
        if let Some(reason) = &notice.reason {
            finding.with_evidence("reason", reason.clone());
        }
    }
}
