//! TD001 dangerous-capability: a container adds a dangerous Linux capability (or one ECS does not know).

use super::support::{ECS_CAPABILITIES, evaluated, location, normalize_capability};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports each `linuxParameters.capabilities.add` entry that grants near-root power: `ALL`,
    /// `SYS_ADMIN`, `SYS_MODULE`, `SYS_PTRACE`, `DAC_READ_SEARCH`, `NET_ADMIN`, `SYS_RAWIO`, `SYS_BOOT`,
    /// `SYS_TIME`, `MAC_ADMIN`, `MAC_OVERRIDE`, `LINUX_IMMUTABLE`, `SYSLOG`, `AUDIT_CONTROL` (names are
    /// upper-cased and a `CAP_` prefix is stripped, as ECS does). A name ECS does not accept (`BPF`,
    /// `PERFMON`, typos) is reported at low severity. Not a Security Hub control: never changes an ECS.n
    /// verdict.
    ///
    /// ## Why is this bad?
    /// `SYS_ADMIN` is close to root (mount, namespaces), `SYS_MODULE` loads kernel modules,
    /// `DAC_READ_SEARCH` enables the "shocker" host-file read, `SYS_PTRACE` reads other processes,
    /// `ALL` equals privileged for capabilities.
    ///
    /// ## Example
    /// ```json
    /// {"linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"]}}}
    /// ```
    /// Fix: drop `ALL` and add back only what the process needs (often nothing, or `NET_BIND_SERVICE`).
    DangerousCapability {
        id: "TD001",
        name: "dangerous-capability",
        severity: High,
        target: Td,
        references: {
            cis: ["5.3"],
            trivy: ["KSV005 (Kubernetes SYS_ADMIN)"],
            checkov: ["CKV_K8S_39 (Kubernetes equivalent)"],
            see_also: ["AWS ECS best practices (capabilities)", "not an AWS Security Hub control"],
        },
        run: check,
    }
}

/// Capabilities that grant host-level power (reference §4).
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "every capability: equivalent to privileged"),
    (
        "SYS_ADMIN",
        "mount, namespaces, BPF: near-root and the classic escape vector",
    ),
    ("SYS_MODULE", "load kernel modules: host compromise"),
    ("SYS_PTRACE", "read or inject into other processes"),
    (
        "DAC_READ_SEARCH",
        "open_by_handle_at: the shocker host-file-read escape",
    ),
    ("NET_ADMIN", "reconfigure interfaces, iptables and routes"),
    ("SYS_RAWIO", "raw I/O ports and devices"),
    ("SYS_BOOT", "reboot the host"),
    ("SYS_TIME", "set the host clock"),
    ("MAC_ADMIN", "change AppArmor/SELinux policy"),
    ("MAC_OVERRIDE", "bypass AppArmor/SELinux"),
    ("LINUX_IMMUTABLE", "set or clear immutable file flags"),
    ("SYSLOG", "read and clear the kernel log"),
    ("AUDIT_CONTROL", "change the audit system"),
];

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for container in td.containers.items() {
            let Some(parameters) = container.linux_parameters.known() else {
                continue;
            };
            for added in parameters.capabilities_add.items() {
                let Some(name) = added.as_str() else {
                    continue;
                };
                let normalized = normalize_capability(name);
                if let Some((_, why)) = DANGEROUS.iter().find(|(cap, _)| *cap == normalized) {
                    out.finding(
                        format!("container {} adds {normalized}: {why}", container.label()),
                        location(td, &added.origin),
                    )
                    .with_evidence("capability", name);
                } else if !ECS_CAPABILITIES.contains(&normalized.as_str()) {
                    out.finding(
                        format!(
                            "container {} adds {name:?}, which is not a capability ECS accepts",
                            container.label()
                        ),
                        location(td, &added.origin),
                    )
                    .with_severity(crate::findings::Severity::Low);
                }
            }
        }
    }
}
