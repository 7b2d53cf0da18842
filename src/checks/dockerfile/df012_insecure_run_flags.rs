//! DF012 insecure-run-flags: a RUN uses `--security=insecure` or `--network=host`.

use super::support::{location, runs};
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::model::dockerfile::Dockerfile;

crate::declare_check! {
    /// ## What it does
    /// Reports RUN instructions (any stage) with `--security=insecure` (high: the step runs
    /// without the sandbox, like a privileged container) or `--network=host` (medium: the step
    /// shares the build host's network namespace).
    ///
    /// ## Why is this bad?
    /// `--security=insecure` gives the build step every capability and no seccomp/AppArmor
    /// profile: code fetched during the build can take over the builder. `--network=host` lets the
    /// step reach services bound to the builder's loopback (metadata endpoints, local daemons).
    /// Both need builder entitlements (`security.insecure`, `network.host`) that CI should not grant.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN --security=insecure --network=host ./integration-tests.sh
    /// ```
    /// Fix: drop the flags; run such tests outside the image build.
    InsecureRunFlags {
        id: "DF012",
        name: "insecure-run-flags",
        severity: High,
        target: Dockerfile,
        references: {
            cis: ["5.4 (privileged) / 5.9 (host network)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for stage in &dockerfile.stages {
        for run in runs(stage) {
            if run.flag("security").and_then(|f| f.value.as_deref()) == Some("insecure") {
                out.finding(
                    format!(
                        "RUN in {} runs with --security=insecure (no sandbox)",
                        stage.label()
                    ),
                    location(dockerfile, run),
                )
                .with_evidence("flag", "--security=insecure");
            }
            if run.flag("network").and_then(|f| f.value.as_deref()) == Some("host") {
                out.finding(
                    format!("RUN in {} runs with --network=host", stage.label()),
                    location(dockerfile, run),
                )
                .with_severity(Severity::Medium)
                .with_evidence("flag", "--network=host");
            }
        }
    }
}
