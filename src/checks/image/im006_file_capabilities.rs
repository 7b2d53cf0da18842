//! IM006 file-capabilities: a file carries Linux file capabilities (`security.capability` xattr),
//! decoded into capability names.

use crate::checks::Emitter;
use crate::checks::image::support::{file_location, octal_mode, owner};
use crate::findings::Severity;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Decodes the `security.capability` extended attribute of every file in the final filesystem
    /// (carried in layer tars as PAX `SCHILY.xattr.security.capability`) and reports one finding per
    /// file with the capability names it grants (`CAP_NET_RAW`...), whether they are effective at
    /// exec, and for namespaced (v3) capabilities the root uid they belong to. Layouts, from the
    /// kernel's `include/uapi/linux/capability.h` `struct vfs_cap_data` (little-endian):
    /// `magic_etc` (u32: revision in the top byte, bit 0 = effective), then permitted and inheritable
    /// u32 pairs; revision 1 (12 bytes, 32 bits), revision 2 (20 bytes, 64 bits), revision 3
    /// (24 bytes, revision 2 plus `rootid`). An attribute that does not decode is its own finding.
    ///
    /// ## Why is this bad?
    /// A file with capabilities gives them to whoever runs it, like a narrow setuid-root: `cap_setuid`
    /// or `cap_dac_override` on an interpreter is root in all but name, and no peer tool (or
    /// `find -perm`) shows them. Inside a container the grant is capped by the container's bounding
    /// set (Docker's default 14 include `CAP_SETUID`, `CAP_NET_RAW`, `CAP_DAC_OVERRIDE`), so dropping
    /// capabilities in the task definition is the other half of the fix. Severity: **high** when the
    /// set includes a capability that leads to root or the host (SETUID, SETGID, DAC_OVERRIDE,
    /// DAC_READ_SEARCH, FOWNER, CHOWN, SETPCAP, SETFCAP, SYS_ADMIN, SYS_PTRACE, SYS_MODULE,
    /// SYS_RAWIO, NET_ADMIN, BPF, MAC_ADMIN, MAC_OVERRIDE), **low** for `CAP_NET_BIND_SERVICE`
    /// alone (the usual, intended use), **medium** otherwise and for undecodable attributes.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN setcap cap_net_raw,cap_setuid+ep /usr/bin/python3.12
    /// ```
    /// Fix: remove the capability (`setcap -r FILE`) and bind to a port above 1024, or grant only
    /// `cap_net_bind_service` and add it in the task definition's `linuxParameters.capabilities`.
    FileCapabilities {
        id: "IM006",
        name: "file-capabilities",
        severity: Medium,
        target: Image,
        references: {
            cis: [
                "5.3 \"Ensure that Linux kernel capabilities are restricted within containers\" (v1.2.0 numbering)",
            ],
            see_also: ["Linux capabilities(7) \"File capabilities\""],
        },
        run: check,
    }
}

const XATTR: &str = "security.capability";

/// Capability names by bit number (`include/uapi/linux/capability.h`).
const CAPABILITY_NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Capabilities that lead to root or out of the container.
const DANGEROUS: &[&str] = &[
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_CHOWN",
    "CAP_SETPCAP",
    "CAP_SETFCAP",
    "CAP_SYS_ADMIN",
    "CAP_SYS_PTRACE",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_NET_ADMIN",
    "CAP_BPF",
    "CAP_MAC_ADMIN",
    "CAP_MAC_OVERRIDE",
];

const REVISION_MASK: u32 = 0xFF00_0000;
const REVISION_1: u32 = 0x0100_0000;
const REVISION_2: u32 = 0x0200_0000;
const REVISION_3: u32 = 0x0300_0000;
const FLAG_EFFECTIVE: u32 = 0x0000_0001;

/// A decoded `security.capability` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCapability {
    /// 1, 2 or 3.
    pub revision: u8,
    /// The permitted set is raised into the effective set at exec.
    pub effective: bool,
    pub permitted: u64,
    pub inheritable: u64,
    /// Revision 3: the uid that is root in the user namespace the capabilities apply to.
    pub root_id: Option<u32>,
}

fn le32(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

/// Decodes a `security.capability` value, or says why it cannot be decoded.
pub fn decode(bytes: &[u8]) -> Result<FileCapability, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "{} bytes, shorter than the 4-byte header",
            bytes.len()
        ));
    }
    let magic = le32(bytes, 0);
    let (revision, expected) = match magic & REVISION_MASK {
        REVISION_1 => (1, 12),
        REVISION_2 => (2, 20),
        REVISION_3 => (3, 24),
        other => return Err(format!("unknown revision 0x{:08x}", other)),
    };
    if bytes.len() != expected {
        return Err(format!(
            "revision {revision} needs {expected} bytes, the attribute has {}",
            bytes.len()
        ));
    }
    let mut permitted = u64::from(le32(bytes, 4));
    let mut inheritable = u64::from(le32(bytes, 8));
    if revision >= 2 {
        permitted |= u64::from(le32(bytes, 12)) << 32;
        inheritable |= u64::from(le32(bytes, 16)) << 32;
    }
    Ok(FileCapability {
        revision,
        effective: magic & FLAG_EFFECTIVE != 0,
        permitted,
        inheritable,
        root_id: (revision == 3).then(|| le32(bytes, 20)),
    })
}

/// The names of the bits set in a capability mask (`CAP_41` for bits newer than this table).
pub fn capability_names(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| {
            CAPABILITY_NAMES
                .get(bit)
                .map(|name| name.to_string())
                .unwrap_or_else(|| format!("CAP_{bit}"))
        })
        .collect()
}

fn check(image: &Image, out: &mut Emitter) {
    for (path, entry) in image.filesystem.iter() {
        let Some(value) = entry.xattrs.get(XATTR) else {
            continue;
        };
        if !entry.is_file() {
            continue;
        }
        let location = file_location(image, path, entry.layer);
        let capability = match decode(value) {
            Ok(capability) => capability,
            Err(why) => {
                out.finding(
                    format!("{path} has a malformed {XATTR} attribute: {why}"),
                    location,
                )
                .with_evidence("xattr_hex", hex::encode(value));
                continue;
            }
        };
        let permitted = capability_names(capability.permitted);
        let inheritable = capability_names(capability.inheritable);
        let all: Vec<&String> = permitted.iter().chain(&inheritable).collect();
        let severity = if all.iter().any(|c| DANGEROUS.contains(&c.as_str())) {
            Severity::High
        } else if !all.is_empty() && all.iter().all(|c| *c == "CAP_NET_BIND_SERVICE") {
            Severity::Low
        } else {
            Severity::Medium
        };
        let shown = if permitted.is_empty() {
            "no permitted capabilities".to_string()
        } else {
            permitted.join(", ")
        };
        let finding = out
            .finding(
                format!(
                    "{path} has file capabilities {shown}{}",
                    if capability.effective {
                        " (+ep)"
                    } else {
                        " (+p)"
                    }
                ),
                location,
            )
            .with_severity(severity)
            .with_evidence("permitted", permitted.join(","))
            .with_evidence("effective", capability.effective.to_string())
            .with_evidence("revision", capability.revision.to_string())
            .with_evidence("mode", octal_mode(entry.mode))
            .with_evidence("owner", owner(entry));
        if !inheritable.is_empty() {
            finding.with_evidence("inheritable", inheritable.join(","));
        }
        if let Some(root_id) = capability.root_id {
            finding.with_evidence("rootid", root_id.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_revisions_two_and_three() {
        // setcap cap_net_raw+ep: revision 2, effective, permitted bit 13.
        let v2 = hex::decode("0100000200200000000000000000000000000000").unwrap();
        let decoded = decode(&v2).unwrap();
        assert_eq!(decoded.revision, 2);
        assert!(decoded.effective);
        assert_eq!(capability_names(decoded.permitted), ["CAP_NET_RAW"]);
        assert_eq!(decoded.root_id, None);
        // Revision 3, permitted cap_setuid (7) and cap_bpf (39, high word bit 7), rootid 1000.
        let v3 = hex::decode("0000000380000000000000008000000000000000e8030000").unwrap();
        let decoded = decode(&v3).unwrap();
        assert_eq!((decoded.revision, decoded.effective), (3, false));
        assert_eq!(
            capability_names(decoded.permitted),
            ["CAP_SETUID", "CAP_BPF"]
        );
        assert_eq!(decoded.root_id, Some(1000));
        let v1 = hex::decode("010000010004000000000000").unwrap();
        assert_eq!(
            capability_names(decode(&v1).unwrap().permitted),
            ["CAP_NET_BIND_SERVICE"]
        );
    }

    #[test]
    fn malformed_values_are_errors_not_panics() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[1, 0, 0]).is_err());
        assert!(decode(&hex::decode("01000002002000").unwrap()).is_err());
        assert!(decode(&hex::decode("0100000900200000000000000000000000000000").unwrap()).is_err());
        assert_eq!(capability_names(1 << 50), ["CAP_50"]);
    }
}
