//! ECS.5 writable-root-filesystem: a container definition does not limit itself to a read-only root filesystem.

use super::support::{Outcome, each_task_definition};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::OsClass;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.5: fails when any container definition of the latest ACTIVE revision has
    /// `readonlyRootFilesystem` set to `false` **or absent** (the current Security Hub wording; the Config
    /// rule page still says only `false`). Task definitions whose `runtimePlatform.operatingSystemFamily`
    /// starts with `WINDOWS_SERVER` are NOT_APPLICABLE. A Windows task definition without
    /// `runtimePlatform` is still evaluated, and fails.
    ///
    /// ## Why is this bad?
    /// A writable root filesystem lets an intruder drop tools and persist changes in the container; a
    /// read-only one makes every writable path explicit (volumes, tmpfs).
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27"}
    /// ```
    /// Fix: `"readonlyRootFilesystem": true`, with a volume or `linuxParameters.tmpfs` for paths that
    /// need writes. ECS Exec does not work with a read-only root filesystem.
    WritableRootFilesystem {
        id: "ECS.5",
        name: "writable-root-filesystem",
        severity: High,
        target: Ecs,
        references: {
            cis: ["5.12"],
            security_hub: ["ECS.5"],
            checkov: ["CKV_AWS_336"],
            see_also: [
                "AWS Config `ecs-containers-readonly-access`",
                "AWS Control Tower CT.ECS.PR.6",
                "prowler `ecs_task_definitions_containers_readonly_access`",
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
        for container in containers {
            let field = &container.readonly_root_filesystem;
            if verdict.undecidable(field, Some(container)) {
                continue;
            }
            match field.known() {
                Some(true) => {}
                Some(false) => failing.push((container, "readonlyRootFilesystem is false")),
                None => failing.push((
                    container,
                    "readonlyRootFilesystem is not set (absent fails)",
                )),
            }
        }
        if let OsClass::Unknown(reason) = &os
            && !failing.is_empty()
        {
            // Windows would be NOT_APPLICABLE, Linux FAILED: undecidable offline.
            verdict.undecided(&td.operating_system_family.origin, None, reason.clone());
            return Outcome::Evaluated;
        }
        let windows_image = containers.iter().any(|c| {
            c.image.as_str().is_some_and(|i| {
                let i = i.to_ascii_lowercase();
                i.contains("windows") || i.contains("servercore") || i.contains("nanoserver")
            })
        });
        if os == OsClass::Unset && windows_image && !failing.is_empty() {
            // Reference §1.3 ECS.5: a Windows task definition without runtimePlatform is still
            // evaluated and cannot pass (readonlyRootFilesystem is unsupported on Windows).
            verdict.note("this looks like a Windows task definition: set runtimePlatform.operatingSystemFamily to a WINDOWS_SERVER family, which makes ECS.5 not applicable");
        }
        for (container, message) in failing {
            verdict.fail(
                &container.readonly_root_filesystem.origin,
                Some(container),
                message,
            );
        }
        Outcome::Evaluated
    });
}
