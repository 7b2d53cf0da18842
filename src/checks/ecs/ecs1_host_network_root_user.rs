//! ECS.1 host-network-root-user: (retired by AWS in March 2026) a task definition in host network mode runs a container that is neither privileged nor non-root.

use super::support::{Outcome, each_task_definition, is_guard_root};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.1, **retired by AWS in March 2026** and reported for reference: a task
    /// definition whose `networkMode` is `host` fails when any container has `privileged` not `true`
    /// **and** `user` absent or root. Root follows AWS's Guard rule for the backing Config rule
    /// `ecs-task-definition-user-for-host-mode-check`: `root`, `0`, `0:<group>`, `root:<group>`
    /// (`0:*`/`root:*` are marked parity-unverified). Only the latest ACTIVE revision is evaluated
    /// (`SkipInactiveTaskDefinitions: true`). Other network modes pass.
    ///
    /// ## Why is this bad?
    /// A root process in the host's network namespace can reconfigure the host's interfaces and bind
    /// privileged ports on the host itself.
    ///
    /// ## Example
    /// ```json
    /// {"family": "web", "networkMode": "host",
    ///  "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]}
    /// ```
    /// Fix: set `"user": "1000"` (or use `awsvpc` networking).
    HostNetworkRootUser {
        id: "ECS.1",
        name: "host-network-root-user",
        severity: High,
        target: Ecs,
        references: {
            cis: ["5.9"],
            security_hub: ["ECS.1 (retired)"],
            see_also: [
                "AWS Config `ecs-task-definition-user-for-host-mode-check`",
                "AWS Control Tower CT.ECS.PR.8",
                "aws-guard-rules-registry `ecs_task_definition_user_for_host_mode_check`",
                "prowler `ecs_task_definitions_host_networking_mode_users`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |td, containers, verdict| {
        verdict.note("ECS.1 was retired by AWS in March 2026; reported for reference");
        if verdict.undecidable(&td.network_mode, None) || td.network_mode.as_str() != Some("host") {
            return Outcome::Evaluated;
        }
        for container in containers {
            let privileged_ok = container.privileged.known() == Some(&true);
            let user_ok = container.user.as_str().is_some_and(|u| !is_guard_root(u));
            if privileged_ok || user_ok {
                continue;
            }
            if container.privileged.undecidable().is_some()
                || container.user.undecidable().is_some()
            {
                verdict.undecidable(&container.privileged, Some(container));
                verdict.undecidable(&container.user, Some(container));
                continue;
            }
            let user = match container.user.as_str() {
                Some(user) => {
                    if user != "root" {
                        // The Config rule page names only "root"; "0", "0:*" and "root:*" come
                        // from AWS's Guard rule (reference §1.2).
                        verdict.parity_unverified();
                    }
                    format!("user {user:?} is root")
                }
                None => "user is not set (root)".to_string(),
            };
            verdict.fail(
                &container.user.origin,
                Some(container),
                format!("host network mode, privileged is not true and {user}"),
            );
        }
        Outcome::Evaluated
    });
}
