//! TD011 unconfined-security-option: a container turns off AppArmor, seccomp or SELinux labelling (`dockerSecurityOptions`).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports `dockerSecurityOptions` entries that remove a confinement layer: `apparmor:unconfined`,
    /// `seccomp:unconfined`, `label:disable`, `systempaths=unconfined` (either `:` or `=`, any case). Not a
    /// Security Hub control.
    ///
    /// ## Why is this bad?
    /// AppArmor, seccomp and SELinux stop many container-escape techniques; turning them off widens the
    /// kernel attack surface.
    ///
    /// ## Example
    /// ```json
    /// {"dockerSecurityOptions": ["apparmor:unconfined"]}
    /// ```
    /// Fix: remove it; add `no-new-privileges` instead.
    UnconfinedSecurityOption {
        id: "TD011",
        name: "unconfined-security-option",
        severity: Medium,
        target: Td,
        references: {
            cis: ["5.1, 5.2 and 5.21"],
            checkov: ["CKV_K8S_31/32 (Kubernetes)"],
            see_also: ["not an AWS Security Hub control"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for container in td.containers.items() {
            for option in container.docker_security_options.items() {
                let Some(text) = option.as_str() else {
                    continue;
                };
                let normalized = text.trim().to_ascii_lowercase().replace('=', ":");
                if [
                    "apparmor:unconfined",
                    "seccomp:unconfined",
                    "label:disable",
                    "systempaths:unconfined",
                ]
                .contains(&normalized.as_str())
                {
                    out.finding(
                        format!("container {}: dockerSecurityOptions {text:?} removes a confinement layer", container.label()),
                        location(td, &option.origin),
                    );
                }
            }
        }
    }
}
