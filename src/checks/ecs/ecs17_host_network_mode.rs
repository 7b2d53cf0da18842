//! ECS.17 host-network-mode: a task definition uses host network mode.

use super::support::{Outcome, each_task_definition_level};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.17: fails when the latest ACTIVE revision has `networkMode` `host`.
    /// Absent (bridge on Linux, `<default>` on Windows), `bridge`, `awsvpc` and `none` pass.
    ///
    /// ## Why is this bad?
    /// Host networking removes network isolation: the container binds the host's interfaces and reaches
    /// every local service, including the instance metadata endpoint.
    ///
    /// ## Example
    /// ```json
    /// {"family": "web", "networkMode": "host", "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}
    /// ```
    /// Fix: `"networkMode": "awsvpc"`.
    HostNetworkMode {
        id: "ECS.17",
        name: "host-network-mode",
        severity: Medium,
        target: Ecs,
        references: {
            cis: ["5.9"],
            security_hub: ["ECS.17"],
            see_also: ["AWS Config `ecs-task-definition-network-mode-not-host`"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition_level(inventory, out, |td, _, verdict| {
        if !verdict.undecidable(&td.network_mode, None) && td.network_mode.as_str() == Some("host")
        {
            verdict.fail(&td.network_mode.origin, None, "networkMode is host");
        }
        Outcome::Evaluated
    });
}
