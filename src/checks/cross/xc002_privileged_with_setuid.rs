//! XC002 privileged-with-setuid: a paired container is privileged or adds powerful capabilities
//! while its image ships setuid/setgid files or files with capabilities.

use super::support::container_location;
use crate::checks::Emitter;
use crate::findings::Location;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::ecs::Value;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// For each container definition paired with the scanned image, reports `privileged: true`, or
    /// added Linux capabilities that give root power over the host (`ALL`, `SYS_ADMIN`,
    /// `SYS_MODULE`, `SYS_PTRACE`, `SYS_RAWIO`, `DAC_READ_SEARCH`, `NET_ADMIN`, `BPF`, `SYS_BOOT`,
    /// `MKNOD` and the privilege-changing `SETUID`, `SETGID`, `SETFCAP`), when the image has
    /// setuid or setgid files or files with a `security.capability` attribute. A container whose
    /// `dockerSecurityOptions` set `no-new-privileges` is not reported: the kernel then ignores
    /// setuid bits and file capabilities.
    ///
    /// ## Why is this bad?
    /// Each half alone is a finding of its own (ECS.4 / TD001, IM003 / IM011). Together they are
    /// worse: any non-root process in the container (a compromised app, an `ECS Exec` session)
    /// runs the setuid-root binary to become root, and root in a privileged container, or with
    /// these capabilities in its bounding set, controls the host.
    ///
    /// ## Example
    /// Image with `-rwsr-xr-x root /usr/bin/passwd`, container definition
    /// `{"name": "app", "privileged": true}`. Fix: drop `privileged` and added capabilities, remove
    /// the setuid bits (`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`), or set
    /// `"dockerSecurityOptions": ["no-new-privileges"]`.
    PrivilegedWithSetuid {
        id: "XC002",
        name: "privileged-with-setuid",
        severity: Critical,
        target: Cross,
        references: {
            cis: ["5.4, 5.3, 5.25, 4.8"],
            security_hub: ["ECS.4"],
            dockle: ["CIS-DI-0008"],
            trivy: ["AVD-DS (none for the join)"],
            see_also: ["checkov CKV_AWS_334 (privileged alone, without the image)"],
        },
        run: check,
    }
}

/// Added capabilities that make a root process in the container powerful over the host, or that
/// let it change identity (names without `CAP_`, as `added_capabilities` normalizes them).
const POWERFUL: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "BPF",
    "SYS_BOOT",
    "MKNOD",
    "SETUID",
    "SETGID",
    "SETFCAP",
];

const SETUID_OR_SETGID: u32 = 0o6000;
const FILE_CAPABILITY_XATTR: &str = "security.capability";

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(image) = joined.image else {
        return;
    };
    let elevating = elevating_files(image);
    if elevating.is_empty() {
        return;
    }
    for pair in joined.pairs {
        check_pair(image, &elevating, pair, out);
    }
}

/// Paths of regular files with setuid/setgid bits or file capabilities, sorted.
fn elevating_files(image: &Image) -> Vec<String> {
    let mut paths: Vec<String> = image
        .filesystem
        .iter()
        .filter(|(_, entry)| {
            entry.is_file()
                && (entry.mode & SETUID_OR_SETGID != 0
                    || entry.xattrs.contains_key(FILE_CAPABILITY_XATTR))
        })
        .map(|(path, _)| path.to_string())
        .collect();
    paths.sort();
    paths
}

fn check_pair(image: &Image, elevating: &[String], pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    let no_new_privileges = container.docker_security_options.items().iter().any(|o| {
        o.as_str()
            .is_some_and(|o| o == "no-new-privileges" || o == "no-new-privileges:true")
    });
    if no_new_privileges {
        return;
    }
    let privileged = matches!(container.privileged.value, Value::Known(true));
    let powerful: Vec<String> = container
        .added_capabilities()
        .into_iter()
        .filter(|c| POWERFUL.contains(&c.as_str()))
        .collect();
    if !privileged && powerful.is_empty() {
        return;
    }
    let (what, origin) = if privileged {
        ("is privileged".to_string(), &container.privileged.origin)
    } else {
        (
            format!("adds {}", powerful.join(", ")),
            &container.linux_parameters.origin,
        )
    };
    let shown: Vec<&str> = elevating.iter().take(5).map(String::as_str).collect();
    let finding = out
        .finding(
            format!(
                "container {} {what} and its image has {} setuid/setgid or file-capability file(s) ({}{}): any process can become root with host-level power",
                container.label(),
                elevating.len(),
                shown.join(", "),
                if elevating.len() > shown.len() { ", ..." } else { "" }
            ),
            container_location(pair, origin),
        )
        .with_evidence("privileged", privileged.to_string())
        .with_evidence("elevating_files", elevating.join(" "))
        .with_evidence("pairing", pair.reason.clone());
    if !powerful.is_empty() {
        finding.with_evidence("added_capabilities", powerful.join(" "));
    }
    finding.with_related(Location::image_file(
        &image.source,
        elevating[0].clone(),
        None,
    ));
}
