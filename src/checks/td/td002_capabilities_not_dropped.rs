//! TD002 capabilities-not-dropped: a Linux container keeps Docker's default capabilities (no `drop: ["ALL"]`).

use super::support::{evaluated, location, normalize_capability};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::OsClass;

crate::declare_check! {
    /// ## What it does
    /// Reports each container of a Linux (or unset OS family) task definition whose
    /// `linuxParameters.capabilities.drop` does not contain `ALL`. Without it the process keeps Docker's
    /// 14 default capabilities (`NET_RAW`, `SETUID`, `DAC_OVERRIDE`...). Not a Security Hub control.
    ///
    /// ## Why is this bad?
    /// Most services need none of the default capabilities; `NET_RAW` alone allows ARP and DNS spoofing
    /// on bridge networks.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "image": "nginx:1.27"}
    /// ```
    /// Fix: `"linuxParameters": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}`.
    CapabilitiesNotDropped {
        id: "TD002",
        name: "capabilities-not-dropped",
        severity: Low,
        target: Td,
        references: {
            cis: ["5.3"],
            trivy: ["KSV003 (Kubernetes)"],
            checkov: ["CKV_K8S_37 (Kubernetes equivalent)"],
            see_also: ["not an AWS Security Hub control"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        if matches!(td.os_class(), OsClass::Windows) {
            continue;
        }
        for container in td.containers.items() {
            let drops_all = container.linux_parameters.known().is_some_and(|p| {
                p.capabilities_drop
                    .items()
                    .iter()
                    .any(|d| d.as_str().is_some_and(|d| normalize_capability(d) == "ALL"))
            });
            let unknown = container.linux_parameters.undecidable().is_some()
                || container
                    .linux_parameters
                    .known()
                    .is_some_and(|p| p.capabilities_drop.undecidable().is_some());
            if !drops_all && !unknown {
                out.finding(
                    format!(
                        "container {} does not drop ALL capabilities",
                        container.label()
                    ),
                    location(td, &container.origin),
                );
            }
        }
    }
}
