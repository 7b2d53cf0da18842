//! ECS.9 missing-log-configuration: a container definition has no logging configuration.

use super::support::{Outcome, each_task_definition};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.9: fails when any container definition of the latest ACTIVE revision has
    /// no `logConfiguration`, or one whose `logDriver` is absent, `null`, empty or blank. Any driver
    /// counts (`awslogs`, `awsfirelens`, `splunk`...); options are not checked. The FireLens log-router
    /// sidecar is a container too and needs its own `logConfiguration`.
    ///
    /// ## Why is this bad?
    /// Without logs, an incident leaves no trace of what the container did.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27"}
    /// ```
    /// Fix: `"logConfiguration": {"logDriver": "awslogs", "options": {...}}`.
    MissingLogConfiguration {
        id: "ECS.9",
        name: "missing-log-configuration",
        severity: High,
        target: Ecs,
        references: {
            security_hub: ["ECS.9"],
            see_also: [
                "AWS Config `ecs-task-definition-log-configuration`",
                "AWS Control Tower CT.ECS.PR.5",
                "prowler `ecs_task_definitions_logging_enabled`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |_, containers, verdict| {
        for container in containers {
            let log = &container.log_configuration;
            if verdict.undecidable(log, Some(container)) {
                continue;
            }
            let Some(log) = log.known() else {
                let message = if container.firelens_type.known().is_some() {
                    "the FireLens log router has no logConfiguration"
                } else {
                    "logConfiguration is not set"
                };
                verdict.fail(
                    &container.log_configuration.origin,
                    Some(container),
                    message,
                );
                continue;
            };
            if verdict.undecidable(&log.log_driver, Some(container)) {
                continue;
            }
            if log.log_driver.is_absent() {
                verdict.fail(
                    &log.log_driver.origin,
                    Some(container),
                    "logConfiguration.logDriver is not set",
                );
            }
        }
        Outcome::Evaluated
    });
}
