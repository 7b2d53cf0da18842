//! Shared by the `TD` checks (task-definition hardening beyond Security Hub): which task
//! definitions they read and where their findings point. TD checks never emit control results, so
//! they cannot change an `ECS.n` verdict.

use crate::findings::Location;
use crate::model::ecs::{EcsInventory, Evaluation, Origin, TaskDefinition};

/// The task definitions Security Hub would evaluate (latest ACTIVE revision of each family, or
/// every one with `--evaluate-inactive`); the others are not reported again by the extras.
pub fn evaluated(inventory: &EcsInventory) -> impl Iterator<Item = &TaskDefinition> {
    inventory
        .task_definitions
        .iter()
        .filter(|td| td.evaluation == Evaluation::Evaluated)
}

/// The finding location of one field.
pub fn location(td: &TaskDefinition, origin: &Origin) -> Location {
    origin.location(&td.resource)
}

/// A Linux capability name as ECS compares it: upper-case, without the `CAP_` prefix.
pub fn normalize_capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

/// The values `linuxParameters.capabilities.add`/`drop` accept (botocore `KernelCapabilities`,
/// reference §4).
pub const ECS_CAPABILITIES: &[&str] = &[
    "ALL",
    "AUDIT_CONTROL",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "SYSLOG",
    "WAKE_ALARM",
];
