//! TD008 no-resource-limits: an EC2 task sets no memory or CPU limit.

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::Value;

crate::declare_check! {
    /// ## What it does
    /// For task definitions that do not require Fargate (EC2, EXTERNAL), reports each container with no
    /// memory limit (no task-level `memory`, no container `memory` or `memoryReservation`) or no CPU limit
    /// (no task-level `cpu` and container `cpu` absent or 0). Fargate requires task-level limits. Not a
    /// Security Hub control (AWS Config `ecs-task-definition-memory-hard-limit` has no control).
    ///
    /// ## Why is this bad?
    /// Without limits one task can starve the others on a shared instance; ECS reserves only 4 MiB and
    /// 2 CPU units for a container with none.
    ///
    /// ## Example
    /// ```json
    /// {"requiresCompatibilities": ["EC2"], "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}
    /// ```
    /// Fix: `"memory": 512, "cpu": 256` on the container, or task-level `cpu`/`memory`.
    NoResourceLimits {
        id: "TD008",
        name: "no-resource-limits",
        severity: Medium,
        target: Td,
        references: {
            cis: ["5.10 and 5.11"],
            checkov: ["CKV_K8S_11/13 (Kubernetes)"],
            see_also: [
                "AWS Config `ecs-task-definition-memory-hard-limit`",
                "AWS Control Tower CT.ECS.PR.7",
                "not an AWS Security Hub control",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        if td.requires_fargate() == Some(true) {
            continue;
        }
        for container in td.containers.items() {
            let mut missing = Vec::new();
            if td.memory.is_absent()
                && container.memory.is_absent()
                && container.memory_reservation.is_absent()
            {
                missing.push("memory");
            }
            if td.cpu.is_absent() && matches!(container.cpu.value, Value::Absent | Value::Known(0))
            {
                missing.push("CPU");
            }
            if !missing.is_empty() {
                out.finding(
                    format!(
                        "container {} has no {} limit on EC2",
                        container.label(),
                        missing.join(" or ")
                    ),
                    location(td, &container.origin),
                );
            }
        }
    }
}
