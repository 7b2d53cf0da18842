//! TD005 host-ipc-mode: a task definition shares the host's IPC namespace (`ipcMode: host`).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports `ipcMode: host`. No Security Hub control reads `ipcMode` (reference §1.4).
    ///
    /// ## Why is this bad?
    /// Containers in the host IPC namespace can read and write the host's shared memory segments and
    /// semaphores.
    ///
    /// ## Example
    /// ```json
    /// {"family": "web", "ipcMode": "host"}
    /// ```
    /// Fix: remove `ipcMode` (or use `task`/`none`).
    HostIpcMode {
        id: "TD005",
        name: "host-ipc-mode",
        severity: High,
        target: Td,
        references: {
            cis: ["5.16"],
            trivy: ["KSV008 (Kubernetes)"],
            checkov: ["CKV_K8S_19 (Kubernetes hostIPC)"],
            see_also: ["not an AWS Security Hub control"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        if td.ipc_mode.as_str() == Some("host") {
            out.finding(
                "ipcMode is host: the task shares the host's IPC namespace",
                location(td, &td.ipc_mode.origin),
            );
        }
    }
}
