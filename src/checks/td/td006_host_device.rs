//! TD006 host-device: a container maps a host device (`linuxParameters.devices`).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::{EcsInventory, Value};

crate::declare_check! {
    /// ## What it does
    /// Reports each `linuxParameters.devices` entry: the host device path and where it appears in the
    /// container. An entry without `hostPath` (a skeleton's `""`) maps nothing and is not reported.
    /// Not a Security Hub control.
    ///
    /// ## Why is this bad?
    /// Direct device access (disks, `/dev/mem`, GPUs) bypasses the container's isolation of the host's
    /// hardware.
    ///
    /// ## Example
    /// ```json
    /// {"linuxParameters": {"devices": [{"hostPath": "/dev/sda", "containerPath": "/dev/xvda"}]}}
    /// ```
    /// Fix: remove the device, or use the narrowest device with `permissions: ["read"]`.
    HostDevice {
        id: "TD006",
        name: "host-device",
        severity: Medium,
        target: Td,
        references: {
            cis: ["5.18"],
            see_also: ["not an AWS Security Hub control"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for container in td.containers.items() {
            let Some(parameters) = container.linux_parameters.known() else {
                continue;
            };
            for device in parameters.devices.items() {
                let host_path = match &device.host_path.value {
                    Value::Known(path) => path.clone(),
                    // A skeleton's `"hostPath": ""`: nothing is mapped (ECS requires hostPath).
                    Value::Absent => continue,
                    Value::Unknown(why) => format!("(not known offline: {why})"),
                    Value::Invalid(why) => format!("(invalid: {why})"),
                };
                out.finding(
                    format!(
                        "container {} maps the host device {host_path}",
                        container.label()
                    ),
                    location(td, &device.host_path.origin),
                );
            }
        }
    }
}
