//! ECS.20 linux-root-user: a Linux container definition runs as root or sets no user.

use super::support::{Outcome, each_task_definition, is_documented_root, is_guard_root};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::OsClass;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.20: for task definitions whose `operatingSystemFamily` is `LINUX` **or
    /// not configured**, fails when any container definition has `user` absent (or `null`/`""`) or set
    /// to a root user: `root` or `0` [AWS doc]. `0:<group>` and `root:<group>` (AWS's Guard rules) also
    /// fail, marked parity-unverified. `1000:0`, `app:root`, `ROOT`, ` root` and `00` pass (TD checks
    /// report the last two). Windows task definitions are NOT_APPLICABLE. The image's `USER` does not
    /// count: only the task definition's `user` is read.
    ///
    /// ## Why is this bad?
    /// A root process in a container is one kernel bug away from root on the host, and can rewrite
    /// everything in the container.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27", "user": "root"}
    /// ```
    /// Fix: `"user": "10001"` (a UID the image can run as).
    LinuxRootUser {
        id: "ECS.20",
        name: "linux-root-user",
        severity: Medium,
        target: Ecs,
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.20"],
            dockle: ["CIS-DI-0001"],
            see_also: [
                "AWS Config `ecs-task-definition-linux-user-non-root`",
                "AWS Control Tower CT.ECS.PR.3",
                "HashiCorp FSBP Sentinel policy",
                "hadolint DL3002",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |td, containers, verdict| {
        let os = td.os_class();
        if os == OsClass::Windows {
            verdict.note("runtimePlatform.operatingSystemFamily is a WINDOWS_SERVER family");
            return Outcome::NotApplicable;
        }
        let mut failing = Vec::new();
        let mut unverified = false;
        for container in containers {
            if verdict.undecidable(&container.user, Some(container)) {
                continue;
            }
            match container.user.as_str() {
                None => failing.push((
                    container,
                    "user is not set (the container runs as the image's user, root by default)"
                        .to_string(),
                )),
                Some(user) if is_documented_root(user) => {
                    failing.push((container, format!("user {user:?} is root")))
                }
                Some(user) if is_guard_root(user) => {
                    // AWS documents only "root" and "0"; its Guard rules also fail 0:* and
                    // root:* (reference §1.2, verification matrix V1/V2).
                    unverified = true;
                    failing.push((
                        container,
                        format!("user {user:?} runs as root (UID or name root)"),
                    ));
                }
                Some(_) => {}
            }
        }
        if let OsClass::Unknown(reason) = &os
            && !failing.is_empty()
        {
            verdict.undecided(&td.operating_system_family.origin, None, reason.clone());
            return Outcome::Evaluated;
        }
        if unverified {
            verdict.parity_unverified();
        }
        if os == OsClass::Unset && !failing.is_empty() {
            verdict.note("operatingSystemFamily is not set: ECS.20 and ECS.21 both evaluate this task definition");
        }
        for (container, message) in failing {
            verdict.fail(&container.user.origin, Some(container), message);
        }
        Outcome::Evaluated
    });
}
