//! ECS.4 privileged-container: a container definition runs privileged.

use super::support::{Outcome, each_task_definition};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.4: fails when any container definition of the latest ACTIVE revision has
    /// `privileged` equal to `true`. Absent, `null` and `false` pass. A wrong type (`"privileged": "yes"`)
    /// or an unknown value is INDETERMINATE.
    ///
    /// ## Why is this bad?
    /// A privileged container gets every capability and every host device: root in it is root on the
    /// host.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27", "privileged": true}
    /// ```
    /// Fix: remove `privileged`, and add only the capabilities the process needs.
    PrivilegedContainer {
        id: "ECS.4",
        name: "privileged-container",
        severity: High,
        target: Ecs,
        references: {
            cis: ["5.4"],
            security_hub: ["ECS.4"],
            checkov: ["CKV_AWS_334 (reads a misspelt key)"],
            see_also: [
                "AWS Config `ecs-containers-nonprivileged`",
                "AWS Control Tower CT.ECS.PR.11",
                "prowler `ecs_task_definitions_no_privileged_containers`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |_, containers, verdict| {
        for container in containers {
            if verdict.undecidable(&container.privileged, Some(container)) {
                continue;
            }
            if container.privileged.known() == Some(&true) {
                verdict.fail(
                    &container.privileged.origin,
                    Some(container),
                    "privileged is true",
                );
            }
        }
        Outcome::Evaluated
    });
}
