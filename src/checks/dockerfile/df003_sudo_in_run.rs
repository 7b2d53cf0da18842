//! DF003 sudo-in-run: a RUN uses `sudo` or `su`.

use super::support::{location, run_commands, runs};
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

crate::declare_check! {
    /// ## What it does
    /// Reports RUN instructions (in any stage, heredoc scripts included) that call `sudo` or `su`.
    ///
    /// ## Why is this bad?
    /// The build already runs as the USER in effect; `sudo` needs the sudo package and a sudoers
    /// rule in the image, both of which let anything running in the container become root later.
    /// `su` has unpredictable TTY and signal behaviour. Switch with `USER root` / `USER app` around
    /// the step instead (or `gosu`/`su-exec` in an entrypoint when dropping privileges at start).
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get install -y curl
    /// ```
    /// Fix: `USER root`, `RUN apt-get install -y curl`, `USER app`.
    SudoInRun {
        id: "DF003",
        name: "sudo-in-run",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.2 (trusted minimal content)"],
            hadolint: ["DL3004"],
            trivy: ["DS010"],
            checkov: ["CKV2_DOCKER_1"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for stage in &dockerfile.stages {
        for run in runs(stage) {
            let used: Vec<String> = run_commands(run)
                .iter()
                .filter_map(|c| c.program().filter(|p| matches!(*p, "sudo" | "su")))
                .map(str::to_string)
                .collect();
            if let Some(program) = used.first() {
                out.finding(
                    format!("RUN in {} calls {program}", stage.label()),
                    location(dockerfile, run),
                )
                .with_evidence("program", program.clone());
            }
        }
    }
}
