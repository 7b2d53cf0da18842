//! TD003 fargate-incompatible: a Fargate task definition uses a setting Fargate rejects.

use super::support::{evaluated, location, normalize_capability};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// For task definitions whose `requiresCompatibilities` includes `FARGATE`, reports what Fargate
    /// rejects at registration or launch (botocore docs): adding any capability but `SYS_PTRACE`,
    /// `privileged`, `linuxParameters.devices`, host (`sourcePath`) volumes, `ipcMode`, and `pidMode:
    /// host`. Not a Security Hub control.
    ///
    /// ## Why is this bad?
    /// The deployment fails, or a later change to Fargate silently drops the hardening the author
    /// thought they had.
    ///
    /// ## Example
    /// ```json
    /// {"requiresCompatibilities": ["FARGATE"],
    ///  "containerDefinitions": [{"name": "app", "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}}}]}
    /// ```
    /// Fix: remove the setting, or run on EC2.
    FargateIncompatible {
        id: "TD003",
        name: "fargate-incompatible",
        severity: Medium,
        target: Td,
        references: {
            see_also: [
                "AWS ECS API reference (KernelCapabilities, ContainerDefinition.privileged, LinuxParameters.devices, HostVolumeProperties, TaskDefinition.ipcMode/pidMode)",
                "not an AWS Security Hub control",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        if td.requires_fargate() != Some(true) {
            continue;
        }
        let mut report = |message: String, origin: &crate::model::ecs::Origin| {
            out.finding(format!("Fargate rejects {message}"), location(td, origin));
        };
        if td.ipc_mode.known().is_some() {
            report(
                format!("ipcMode {}", td.ipc_mode.as_str().unwrap_or_default()),
                &td.ipc_mode.origin,
            );
        }
        if td.pid_mode.as_str() == Some("host") {
            report("pidMode host".into(), &td.pid_mode.origin);
        }
        for volume in td.volumes.items() {
            if let Some(path) = volume.host_source_path.as_str() {
                report(
                    format!("the host volume {path}"),
                    &volume.host_source_path.origin,
                );
            }
        }
        for container in td.containers.items() {
            if container.privileged.known() == Some(&true) {
                report(
                    format!("privileged (container {})", container.label()),
                    &container.privileged.origin,
                );
            }
            let Some(parameters) = container.linux_parameters.known() else {
                continue;
            };
            for added in parameters.capabilities_add.items() {
                if let Some(name) = added.as_str()
                    && normalize_capability(name) != "SYS_PTRACE"
                {
                    report(
                        format!(
                            "adding {name} (container {}; only SYS_PTRACE may be added)",
                            container.label()
                        ),
                        &added.origin,
                    );
                }
            }
            if !parameters.devices.items().is_empty() {
                report(
                    format!("devices (container {})", container.label()),
                    &parameters.devices.origin,
                );
            }
        }
    }
}
