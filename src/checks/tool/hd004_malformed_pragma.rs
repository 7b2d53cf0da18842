//! HD004 malformed-pragma: a Dockerfile comment meant as a `# harden` ignore pragma does not parse,
//! so it suppresses nothing.

use crate::checks::Emitter;
use crate::model::policy::IgnoreOutcome;

crate::declare_check! {
    /// ## What it does
    /// Reports a Dockerfile comment that names harden and `ignore` but is not a valid pragma:
    /// `# harden: ignore=DF001` (a colon), `# harden ignore DF001` (no `=`), `# harden-ignore=DF001`,
    /// `# harden ignore=` (no ID).
    ///
    /// ## Why is this bad?
    /// The author believes the finding below is accepted, but the comment is an ordinary comment:
    /// it suppresses nothing, and nothing else says so. The finding keeps failing the build, or,
    /// worse, the pragma is copied around as a working example.
    ///
    /// ## Example
    /// ```dockerfile
    /// # harden: ignore=DF001 -- the build stage needs root
    /// USER root
    /// ```
    /// Fix: `# harden ignore=DF001 -- the build stage needs root` (IDs after `ignore=`,
    /// comma-separated; the reason after `--`).
    MalformedPragma {
        id: "HD004",
        name: "malformed-pragma",
        severity: Medium,
        target: Tool,
        references: {
            see_also: [
                "harden's own check (no CIS, AWS, hadolint, dockle, trivy or checkov equivalent).",
            ],
        },
        run: check,
    }
}

fn check(outcome: &IgnoreOutcome, out: &mut Emitter) {
    for notice in &outcome.malformed {
        let finding = out.finding(
            "this comment is meant as a harden pragma but does not parse, so it suppresses nothing: write `# harden ignore=ID[,ID] -- reason`".to_string(),
            notice.location.clone(),
        );
        finding.with_evidence("comment", notice.ignore.clone());
    }
}
