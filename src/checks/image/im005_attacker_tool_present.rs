//! IM005 attacker-tool-present: network, debugging, privilege or package-management tools are
//! reachable in the image's bin directories.

use crate::checks::Emitter;
use crate::checks::image::support::{
    Via, busybox_binaries, executables, file_location, octal_mode,
};
use crate::findings::Severity;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Looks in the same bin directories as IM004 (FHS bin directories, symlinked ones searched
    /// once, plus the config's `PATH`) for tools an attacker uses after getting code execution, and
    /// reports one finding per name found, with what it resolves to through symlinks and hardlinks
    /// (busybox applets included: alpine's `wget` and `nc` are busybox). Categories and severity:
    /// - network tools (`curl`, `wget`, `nc`, `ncat`, `netcat`, `socat`, `telnet`, `ssh`, `scp`,
    ///   `sftp`, `ftp`, `nmap`, `tcpdump`): **medium**, they fetch the next stage and exfiltrate data;
    /// - debuggers (`gdb`, `strace`, `ltrace`): **medium**, they read other processes' memory and
    ///   secrets (with `CAP_SYS_PTRACE`);
    /// - privilege tools (`sudo`, `su`, `doas`): **medium**, **high** when the file that runs is
    ///   setuid root (a working way back to root from a non-root container user);
    /// - package managers (`apt`, `apt-get`, `dpkg`, `apk`, `yum`, `dnf`, `microdnf`, `rpm`, `pip`,
    ///   `pip3`, `pip3.N`): **low**, they install any other tool, but need root or a writable
    ///   prefix to do it.
    ///
    /// ## Why is this bad?
    /// Every one of these tools is dead weight for the application and a gift to an intruder; AWS's
    /// ECS guide names `nc` and `curl` explicitly. Keeping them out of the runtime image (a
    /// multi-stage build, a distroless base) makes post-exploitation much harder.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// RUN apt-get update && apt-get install -y curl netcat-openbsd
    /// ```
    /// Fix: download in a build stage and copy only the application into a minimal base.
    AttackerToolPresent {
        id: "IM005",
        name: "attacker-tool-present",
        severity: Medium,
        target: Image,
        references: {
            cis: ["4.3 (do not install unnecessary packages)"],
            nist: ["800-190 4.1"],
            see_also: [
                "AWS ECS best practices \"remove shells and tools an attacker would use\"",
                "hadolint DL4001 (wget and curl both used)",
            ],
        },
        run: check,
    }
}

/// A tool's category, which sets the severity.
fn category(name: &str) -> Option<&'static str> {
    match name {
        "curl" | "wget" | "nc" | "ncat" | "netcat" | "socat" | "telnet" | "ssh" | "scp"
        | "sftp" | "ftp" | "nmap" | "tcpdump" => Some("network"),
        "gdb" | "strace" | "ltrace" => Some("debugger"),
        "sudo" | "su" | "doas" => Some("privilege"),
        "apt" | "apt-get" | "dpkg" | "apk" | "yum" | "dnf" | "microdnf" | "rpm" | "pip"
        | "pip3" => Some("package-manager"),
        _ if is_versioned_pip(name) => Some("package-manager"),
        _ => None,
    }
}

/// `pip3.12`.
fn is_versioned_pip(name: &str) -> bool {
    name.strip_prefix("pip3.")
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
}

fn check(image: &Image, out: &mut Emitter) {
    let found = executables(image);
    let busybox = busybox_binaries(&found);
    for executable in &found {
        let Some(category) = category(&executable.name) else {
            continue;
        };
        let setuid_root = executable.target.mode & 0o4000 != 0 && executable.target.uid == 0;
        let severity = match category {
            "privilege" if setuid_root => Severity::High,
            "package-manager" => Severity::Low,
            _ => Severity::Medium,
        };
        let resolves = if executable.via == Via::Itself {
            String::new()
        } else if busybox.contains(executable.resolves_to.as_str()) {
            format!(" (busybox applet, resolves to {})", executable.resolves_to)
        } else {
            format!(" (resolves to {})", executable.resolves_to)
        };
        let finding = out
            .finding(
                format!(
                    "{category} tool {} is present{resolves}{}",
                    executable.path,
                    if setuid_root { ", setuid root" } else { "" }
                ),
                file_location(image, &executable.path, executable.entry.layer),
            )
            .with_severity(severity)
            .with_evidence("tool", executable.name.clone())
            .with_evidence("category", category)
            .with_evidence("resolves_to", executable.resolves_to.clone());
        if setuid_root {
            finding.with_evidence("mode", octal_mode(executable.target.mode));
        }
    }
}
