//! ECS.3 host-pid-mode: a task definition shares the host's process namespace (`pidMode: host`).

use super::support::{Outcome, each_task_definition_level};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.3: fails when the latest ACTIVE revision has `pidMode` set to `host`.
    /// Absent and `task` pass. An empty string (`PidMode: ""` in a template, which the API rejects) is
    /// INDETERMINATE, never PASS.
    ///
    /// ## Why is this bad?
    /// Containers that share the host's PID namespace see every process on the host and, with
    /// `SYS_PTRACE`, can read or inject into them.
    ///
    /// ## Example
    /// ```json
    /// {"family": "web", "pidMode": "host", "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}
    /// ```
    /// Fix: remove `pidMode` (or use `task`).
    HostPidMode {
        id: "ECS.3",
        name: "host-pid-mode",
        severity: High,
        target: Ecs,
        references: {
            cis: ["5.16"],
            security_hub: ["ECS.3"],
            checkov: ["CKV_AWS_335 (looks inside containers: misses it)"],
            see_also: [
                "AWS Config `ecs-task-definition-pid-mode-check`",
                "AWS Control Tower CT.ECS.PR.10",
                "prowler `ecs_task_definitions_host_namespace_not_shared`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition_level(inventory, out, |td, _, verdict| {
        if !verdict.undecidable(&td.pid_mode, None) && td.pid_mode.as_str() == Some("host") {
            verdict.fail(
                &td.pid_mode.origin,
                None,
                "pidMode is host: the task shares the host's process namespace",
            );
        }
        Outcome::Evaluated
    });
}
