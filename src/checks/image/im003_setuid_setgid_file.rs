//! IM003 setuid-setgid-file: a regular file in the final filesystem has the setuid or setgid bit.

use crate::checks::Emitter;
use crate::checks::image::support::{file_location, octal_mode, owner};
use crate::findings::Severity;
use crate::model::image::Image;

const SETUID: u32 = 0o4000;
const SETGID: u32 = 0o2000;

crate::declare_check! {
    /// ## What it does
    /// Reports every regular file in the final filesystem (after every layer, whiteout and opaque
    /// directory) with the setuid (`04000`) or setgid (`02000`) bit: one finding per path, with the
    /// mode in octal, the owner `uid:gid` and the layer that wrote it. Hardlinks share their inode's
    /// mode, so each name of a setuid inode is reported, as `find / -perm /6000 -type f` lists them.
    /// A setuid file removed by a later layer does not run and is not reported.
    ///
    /// ## Why is this bad?
    /// A setuid-root file runs as root whatever user starts it: in a container that was made
    /// non-root on purpose, every setuid-root binary (`su`, `passwd`, `mount`, `newgrp`...) is a path
    /// back to root through any bug it has. AWS's ECS guide asks to strip the bits
    /// (`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} \;`). dockle reports this at INFO;
    /// we rate a setuid file owned by root **high** because it is a direct privilege-escalation
    /// primitive, and setuid to another owner or setgid-only **medium** (it gains that user's or
    /// group's rights, such as `shadow` or `tty`, not root's).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// # /usr/bin/passwd, /usr/bin/su, /usr/bin/mount ... are setuid root
    /// ```
    /// Fix:
    /// ```dockerfile
    /// RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} \; || true
    /// ```
    SetuidSetgidFile {
        id: "IM003",
        name: "setuid-setgid-file",
        severity: High,
        target: Image,
        references: {
            cis: ["4.8"],
            dockle: ["CIS-DI-0008"],
            see_also: ["AWS ECS best practices \"remove setuid and setgid bits\""],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    for (path, entry) in image.filesystem.iter() {
        if !entry.is_file() || entry.mode & (SETUID | SETGID) == 0 {
            continue;
        }
        let setuid = entry.mode & SETUID != 0;
        let setgid = entry.mode & SETGID != 0;
        let bits = match (setuid, setgid) {
            (true, true) => "setuid and setgid",
            (true, false) => "setuid",
            _ => "setgid",
        };
        let severity = if setuid && entry.uid == 0 {
            Severity::High
        } else {
            Severity::Medium
        };
        let runs_as = match (setuid, setgid) {
            (true, true) => format!("uid {} and gid {}", entry.uid, entry.gid),
            (true, false) => format!("uid {}", entry.uid),
            _ => format!("gid {}", entry.gid),
        };
        let finding = out
            .finding(
                format!(
                    "{path} is {bits} (mode {}), so it runs as {runs_as}",
                    octal_mode(entry.mode)
                ),
                file_location(image, path, entry.layer),
            )
            .with_severity(severity)
            .with_evidence("mode", octal_mode(entry.mode))
            .with_evidence("owner", owner(entry))
            .with_evidence("bits", bits);
        if let Some(linked) = &entry.hardlink_to {
            finding.with_evidence("hardlink_to", linked.clone());
        }
    }
}
