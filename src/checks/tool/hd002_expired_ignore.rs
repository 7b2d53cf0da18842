//! HD002 expired-ignore: an ignore in harden.toml is past its `expires` date and no longer applies.

use crate::checks::Emitter;
use crate::model::policy::IgnoreOutcome;

crate::declare_check! {
    /// ## What it does
    /// Reports an `[[ignore]]` table in `harden.toml` whose `expires` date has come (the ignore
    /// applies up to the day before, UTC). The ignore no longer suppresses anything: the findings
    /// it covered are reported and gate the run again.
    ///
    /// ## Why is this bad?
    /// An expiry is a promise to revisit an accepted risk. When it passes, the findings come back
    /// and this finding says why, so the team either fixes the problem or renews the exception
    /// with a new reason and date, on purpose.
    ///
    /// ## Example
    /// ```toml
    /// [[ignore]]
    /// id = "IM012"
    /// reason = "health check added in the next release"
    /// expires = "2026-01-01"
    /// ```
    /// Fix: fix the finding and delete the table, or set a new `expires` with a new `reason`.
    ExpiredIgnore {
        id: "HD002",
        name: "expired-ignore",
        severity: Low,
        target: Tool,
        references: {
            see_also: [
                "harden's own check (no CIS, AWS, hadolint, dockle, trivy or checkov equivalent); like trivy's `.trivyignore.yaml` `expired_at` and checkov's suppression expiry.",
            ],
        },
        run: check,
    }
}

fn check(outcome: &IgnoreOutcome, out: &mut Emitter) {
    for notice in &outcome.expired {
        let expires = notice.expires.map(|d| d.to_string()).unwrap_or_default();
        let finding = out.finding(
            format!(
                "{} expired on {expires}: it no longer suppresses {} findings",
                notice.ignore, notice.id
            ),
            notice.location.clone(),
        );
        finding.with_evidence("ignore", notice.ignore.clone());
        finding.with_evidence("expires", expires);
        if let Some(reason) = &notice.reason {
            finding.with_evidence("reason", reason.clone());
        }
    }
}
