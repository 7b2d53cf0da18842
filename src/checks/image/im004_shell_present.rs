//! IM004 shell-present: a shell (or busybox, which is one) is reachable in the image's bin directories.

use crate::checks::Emitter;
use crate::checks::image::support::{
    Executable, Via, busybox_binaries, executables, file_location,
};
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Looks in the image's bin directories (`/usr/local/sbin`, `/usr/local/bin`, `/usr/sbin`,
    /// `/usr/bin`, `/sbin`, `/bin`, and the config's `PATH`; a directory that is a symlink, like
    /// `/bin` → `usr/bin`, is searched once, where it points) for shells: `sh`, `bash`, `rbash`,
    /// `ash`, `dash`, `zsh`, `ksh`, `mksh`, `pdksh`, `csh`, `tcsh`, `fish`, and `busybox`. Every name
    /// is followed through symlinks and hardlinks inside the image to the file that runs (evidence
    /// `resolves_to`); dangling links are not shells.
    ///
    /// Grouping: one finding per shell name that resolves to a real shell (`/usr/bin/sh` →
    /// `/usr/bin/dash` is one finding, `/usr/bin/bash` another). busybox is reported once per
    /// busybox binary, however many applet links point to it (alpine has about 400): the finding
    /// lists the shell applets (`sh`, `ash`), the total number of applet links in the bin
    /// directories and some examples; its shell applets are not reported again one by one.
    ///
    /// ## Why is this bad?
    /// Most exploits of a containerized service end with `sh -c`: command injection, deserialization
    /// gadgets and RCE payloads all need a shell to download and run the next stage. An image
    /// without a shell (distroless, `FROM scratch` with a static binary) turns many of them into
    /// dead ends, and keeps interactive use (`docker exec`/ECS Exec) deliberate. AWS's ECS guide
    /// asks to remove shells and tools an attacker would use. Severity medium: a shell is not a
    /// vulnerability by itself but multiplies every other one.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY app /app
    /// ```
    /// Fix: a multi-stage build onto a distroless or scratch base:
    /// ```dockerfile
    /// FROM gcr.io/distroless/python3-debian12
    /// COPY --from=build /app /app
    /// ```
    ShellPresent {
        id: "IM004",
        name: "shell-present",
        severity: Medium,
        target: Image,
        references: {
            cis: ["4.3 (do not install unnecessary packages)"],
            nist: ["800-190 4.1"],
            see_also: ["AWS ECS best practices \"remove shells and tools an attacker would use\""],
        },
        run: check,
    }
}

const SHELLS: &[&str] = &[
    "sh", "bash", "rbash", "ash", "dash", "zsh", "ksh", "mksh", "pdksh", "csh", "tcsh", "fish",
];

/// How many applet names a busybox finding lists as examples.
const EXAMPLES: usize = 8;

fn check(image: &Image, out: &mut Emitter) {
    let found = executables(image);
    let busybox = busybox_binaries(&found);
    for executable in &found {
        if !SHELLS.contains(&executable.name.as_str())
            || busybox.contains(executable.resolves_to.as_str())
        {
            continue;
        }
        let finding = out
            .finding(
                if executable.via == Via::Itself {
                    format!("shell {} is present", executable.path)
                } else {
                    format!(
                        "shell {} is present (resolves to {})",
                        executable.path, executable.resolves_to
                    )
                },
                file_location(image, &executable.path, executable.entry.layer),
            )
            .with_evidence("shell", executable.name.clone())
            .with_evidence("resolves_to", executable.resolves_to.clone());
        if executable.via == Via::Hardlink {
            finding.with_evidence("link", "hardlink");
        }
    }
    for binary in busybox {
        let names: Vec<&Executable> = found.iter().filter(|e| e.resolves_to == binary).collect();
        // Where to point: the name `busybox` when there is one, else the file itself.
        let shown = names
            .iter()
            .find(|e| e.name == "busybox")
            .or_else(|| names.iter().find(|e| e.name.starts_with("busybox")))
            .map(|e| (e.path.as_str(), e.entry.layer))
            .unwrap_or((binary, names[0].entry.layer));
        let applets: Vec<&&Executable> = names
            .iter()
            .filter(|e| !e.name.starts_with("busybox"))
            .collect();
        let shells: Vec<&str> = applets
            .iter()
            .filter(|e| SHELLS.contains(&e.name.as_str()))
            .map(|e| e.path.as_str())
            .collect();
        let mut examples: Vec<&str> = applets.iter().map(|e| e.name.as_str()).collect();
        examples.sort_unstable();
        examples.dedup();
        examples.truncate(EXAMPLES);
        let message = if shells.is_empty() {
            format!(
                "busybox {} is present ({} applet links), a shell in one binary",
                shown.0,
                applets.len()
            )
        } else {
            format!(
                "busybox {} is present with shell applets {} ({} applet links in all)",
                shown.0,
                shells.join(", "),
                applets.len()
            )
        };
        out.finding(message, file_location(image, shown.0, shown.1))
            .with_evidence("shell", "busybox")
            .with_evidence("resolves_to", binary.to_string())
            .with_evidence("shell_applets", shells.join(","))
            .with_evidence("applet_links", applets.len().to_string())
            .with_evidence("examples", examples.join(","));
    }
}
