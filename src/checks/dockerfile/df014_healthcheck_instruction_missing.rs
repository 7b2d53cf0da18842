//! DF014 healthcheck-instruction-missing: the target stage has no HEALTHCHECK (or disables it).

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

crate::declare_check! {
    /// ## What it does
    /// Reports a target stage with no HEALTHCHECK in it or its stage ancestry, or whose last one
    /// is `HEALTHCHECK NONE`. (An external base image may carry one; the image scan tells.)
    ///
    /// ## Why is this bad?
    /// Without a health check a hung process looks healthy to Docker and to orchestrators that
    /// honour the image's HEALTHCHECK. Amazon ECS ignores the image's HEALTHCHECK and runs only the
    /// container definition's `healthCheck`, hence low severity.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27
    /// ```
    /// Fix: `HEALTHCHECK --interval=30s CMD ["/healthcheck"]`, and `healthCheck` in the ECS
    /// container definition.
    HealthcheckInstructionMissing {
        id: "DF014",
        name: "healthcheck-instruction-missing",
        severity: Low,
        target: Dockerfile,
        references: {
            cis: ["4.6"],
            dockle: ["CIS-DI-0006"],
            trivy: ["DS026"],
            checkov: ["CKV_DOCKER_2"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let target = dockerfile.target_stage();
    match &target.effective.healthcheck {
        Some(setting) if setting.value => {
            let stage = &dockerfile.stages[setting.stage];
            let instruction = stage
                .instructions
                .iter()
                .find(|i| i.lines == setting.lines)
                .unwrap_or(&stage.from);
            out.finding(
                format!(
                    "the target {} disables its health check (HEALTHCHECK NONE)",
                    target.label()
                ),
                location(dockerfile, instruction),
            );
        }
        Some(_) => {}
        None => {
            out.finding(
                format!("the target {} declares no HEALTHCHECK", target.label()),
                location(dockerfile, &target.from),
            );
        }
    }
}
