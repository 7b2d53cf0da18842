//! TD004 sensitive-host-mount: a task definition mounts a sensitive host path (the Docker socket, `/`, `/proc`, `/etc`...).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports each volume whose `host.sourcePath` (Terraform `host_path`) is `/`, or is or lies under
    /// `/var/run/docker.sock`, `/run/docker.sock`, `/run/containerd`, `/var/lib/docker`, `/proc`, `/sys`,
    /// `/dev`, `/etc`, `/root`, `/boot`, `/lib/modules`, `/var/run`, `/run`, `/home`, `/var/log`, with the
    /// containers that mount it and whether read-only. The Docker or containerd socket is critical.
    /// Not a Security Hub control (Security Hub's exposure findings name host-path access as a trait).
    ///
    /// ## Why is this bad?
    /// The Docker socket is root on the host; `/`, `/etc`, `/root`, `/proc` and `/sys` let a container
    /// read secrets or change the host.
    ///
    /// ## Example
    /// ```json
    /// {"volumes": [{"name": "docker", "host": {"sourcePath": "/var/run/docker.sock"}}]}
    /// ```
    /// Fix: remove the host volume, or mount a narrow, non-sensitive path read-only.
    SensitiveHostMount {
        id: "TD004",
        name: "sensitive-host-mount",
        severity: High,
        target: Td,
        references: {
            cis: ["5.5 and 5.31"],
            trivy: ["KSV006 (Kubernetes)"],
            checkov: ["CKV_K8S_27 (docker.sock, Kubernetes)"],
            see_also: [
                "Security Hub exposure finding trait \"host filesystem access\"",
                "not an AWS Security Hub control",
            ],
        },
        run: check,
    }
}

/// Host paths whose mount exposes the host (reference §1.4, CIS Docker 5.5).
const SENSITIVE: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd",
    "/var/lib/docker",
    "/proc",
    "/sys",
    "/dev",
    "/etc",
    "/root",
    "/boot",
    "/lib/modules",
    "/var/run",
    "/run",
    "/home",
    "/var/log",
];

fn is_sensitive(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.is_empty()
        || SENSITIVE.iter().any(|s| {
            path == *s
                || path
                    .strip_prefix(s)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for volume in td.volumes.items() {
            let Some(path) = volume.host_source_path.as_str() else {
                continue;
            };
            if !is_sensitive(path) {
                continue;
            }
            let name = volume.name.as_str().unwrap_or_default();
            let mounts: Vec<String> = td
                .containers
                .items()
                .iter()
                .flat_map(|c| {
                    c.mount_points
                        .items()
                        .iter()
                        .filter(|m| m.source_volume.as_str() == Some(name))
                        .map(move |m| {
                            let mode = if m.read_only.known() == Some(&true) {
                                "read-only"
                            } else {
                                "read-write"
                            };
                            format!(
                                "{} at {} ({mode})",
                                c.label(),
                                m.container_path.as_str().unwrap_or("?")
                            )
                        })
                })
                .collect();
            let finding = out.finding(
                format!("volume {name} mounts the host path {path}"),
                location(td, &volume.host_source_path.origin),
            );
            if path.contains("docker.sock") || path.contains("containerd") {
                finding.with_severity(Severity::Critical);
            }
            if !mounts.is_empty() {
                finding.with_evidence("mounted_by", mounts.join(", "));
            }
        }
    }
}
