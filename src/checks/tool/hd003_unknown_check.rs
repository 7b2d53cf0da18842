//! HD003 unknown-check: harden.toml or a `# harden` pragma names a check ID that does not exist.

use crate::checks::Emitter;
use crate::model::policy::IgnoreOutcome;

crate::declare_check! {
    /// ## What it does
    /// Reports an `[[ignore]]` table, a `[severity]` entry or a `# harden ignore=` Dockerfile
    /// pragma that names a check ID (or name) no harden check has.
    ///
    /// ## Why is this bad?
    /// A mistyped ID (`IM01`, `DF-001`) ignores or re-rates nothing, while its author believes a
    /// finding is handled. The config may also have been written for a newer harden: the entry
    /// does nothing in this version. `harden rules` lists every ID.
    ///
    /// ## Example
    /// ```toml
    /// [severity]
    /// IM12 = "info"      # meant IM012
    /// ```
    /// Fix: use an ID from `harden rules`.
    UnknownCheck {
        id: "HD003",
        name: "unknown-check",
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
    for notice in &outcome.unknown {
        let finding = out.finding(
            format!(
                "{} names {:?}, which is no harden check's ID or name (`harden rules` lists them)",
                notice.ignore, notice.id
            ),
            notice.location.clone(),
        );
        finding.with_evidence("ignore", notice.ignore.clone());
    }
}
