//! TD010 root-user-alias: a container's `user` is root to Docker but not in AWS's root lists (`00`, ` root`).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::checks::ecs::support::is_guard_root;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports `user` values that run as UID 0 in Docker yet pass ECS.20 because AWS compares strings:
    /// a numeric UID that is zero but not `0` (`00`, `000:0`, `+0`), or `root`/`0` with surrounding
    /// spaces. Not a Security Hub control; it never changes ECS.20's verdict.
    ///
    /// ## Why is this bad?
    /// The container runs as root although Security Hub reports ECS.20 as passed.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27", "user": "00"}
    /// ```
    /// Fix: `"user": "10001"`.
    RootUserAlias {
        id: "TD010",
        name: "root-user-alias",
        severity: Medium,
        target: Td,
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.20 (gap)"],
            dockle: ["CIS-DI-0001"],
            see_also: ["not an AWS Security Hub control"],
        },
        run: check,
    }
}

fn runs_as_root_in_docker(user: &str) -> bool {
    let trimmed = user.trim();
    let uid = trimmed.split(':').next().unwrap_or_default();
    let numeric_zero = !uid.is_empty()
        && uid
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
        && uid
            .trim_start_matches('+')
            .trim_start_matches('0')
            .is_empty()
        && !uid.trim_start_matches('+').is_empty();
    numeric_zero || uid == "root"
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for container in td.containers.items() {
            let Some(user) = container.user.as_str() else {
                continue;
            };
            if runs_as_root_in_docker(user) && !is_guard_root(user) {
                out.finding(
                    format!("container {}: user {user:?} is UID 0 to Docker but not a root value AWS's ECS.20 recognises", container.label()),
                    location(td, &container.user.origin),
                );
            }
        }
    }
}
