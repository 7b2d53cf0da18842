//! ECS.21 windows-admin-user: a Windows container definition runs as ContainerAdministrator or sets no user.

use super::support::{Outcome, each_task_definition};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::OsClass;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.21: for task definitions whose `operatingSystemFamily` is a
    /// `WINDOWS_SERVER` family **or not configured**, fails when any container definition has `user`
    /// absent (or `null`/`""`) or set to `containeradministrator`. The comparison ignores case and a
    /// `DOMAIN\` or `.\` prefix (Windows account names are case-insensitive; AWS does not say):
    /// anything but the exact lower-case `containeradministrator` is marked parity-unverified. `LINUX`
    /// task definitions are NOT_APPLICABLE. An unset OS family means a plain Linux task definition
    /// without `user` fails both ECS.20 and ECS.21.
    ///
    /// ## Why is this bad?
    /// ContainerAdministrator is the administrator account of a Windows container.
    ///
    /// ## Example
    /// ```json
    /// {"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
    ///  "containerDefinitions": [{"name": "app", "image": "mcr.microsoft.com/windows/servercore:ltsc2022"}]}
    /// ```
    /// Fix: `"user": "ContainerUser"`.
    WindowsAdminUser {
        id: "ECS.21",
        name: "windows-admin-user",
        severity: Medium,
        target: Ecs,
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.21"],
            see_also: ["AWS Config `ecs-task-definition-windows-user-non-admin`"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |td, containers, verdict| {
        let os = td.os_class();
        if os == OsClass::Linux {
            verdict.note("runtimePlatform.operatingSystemFamily is LINUX");
            return Outcome::NotApplicable;
        }
        let mut failing = Vec::new();
        for container in containers {
            if verdict.undecidable(&container.user, Some(container)) {
                continue;
            }
            match container.user.as_str() {
                None => failing.push((container, "user is not set".to_string())),
                Some(user) => {
                    let account = user.rsplit('\\').next().unwrap_or(user);
                    if account.eq_ignore_ascii_case("containeradministrator") {
                        if user != "containeradministrator" {
                            // Case and domain forms: AWS's comparison is undocumented (V5).
                            verdict.parity_unverified();
                        }
                        failing.push((
                            container,
                            format!("user {user:?} is the container administrator"),
                        ));
                    }
                }
            }
        }
        if let OsClass::Unknown(reason) = &os
            && !failing.is_empty()
        {
            verdict.undecided(&td.operating_system_family.origin, None, reason.clone());
            return Outcome::Evaluated;
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
