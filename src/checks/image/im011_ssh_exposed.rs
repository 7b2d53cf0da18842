//! IM011 ssh-exposed: an SSH server is installed in the image, or the config exposes port 22.

use crate::checks::Emitter;
use crate::checks::image::support::{executables, file_location};
use crate::findings::Location;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Reports an SSH server binary (`sshd`, `dropbear`) reachable in the image's bin directories
    /// (the same search as IM004, symlinks followed), and, separately, a config that exposes port
    /// 22 (`EXPOSE 22`, `22/tcp`).
    ///
    /// ## Why is this bad?
    /// A container should run one application; an SSH daemon adds a second network service with its
    /// own keys, passwords and vulnerabilities, and a way in that bypasses the orchestrator's access
    /// control and audit (use `docker exec` or ECS Exec instead). CIS Docker Benchmark 5.6 asks that
    /// sshd not run in containers. Severity medium: exposure needs the daemon to be started and the
    /// port published, but either half in an image is a strong sign of both.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install -y openssh-server
    /// EXPOSE 22
    /// CMD ["/usr/sbin/sshd", "-D"]
    /// ```
    /// Fix: remove `openssh-server` and `EXPOSE 22`; use ECS Exec for interactive access.
    SshExposed {
        id: "IM011",
        name: "ssh-exposed",
        severity: Medium,
        target: Image,
        references: {
            cis: ["5.6 \"Ensure sshd is not run within containers\" (v1.2.0 numbering)"],
            trivy: ["DS004 (port 22 exposed, Dockerfile)"],
            see_also: ["harden DF013 (Dockerfile `EXPOSE 22`)"],
        },
        run: check,
    }
}

const SSH_SERVERS: &[&str] = &["sshd", "dropbear"];

fn check(image: &Image, out: &mut Emitter) {
    for executable in executables(image) {
        if SSH_SERVERS.contains(&executable.name.as_str()) {
            out.finding(
                format!("SSH server {} is installed", executable.path),
                file_location(image, &executable.path, executable.entry.layer),
            )
            .with_evidence("server", executable.name.clone())
            .with_evidence("resolves_to", executable.resolves_to.clone());
        }
    }
    for port in &image.config.exposed_ports {
        let (number, protocol) = port.split_once('/').unwrap_or((port.as_str(), "tcp"));
        if number.trim() == "22" && protocol.eq_ignore_ascii_case("tcp") {
            let mut location = Location::image(&image.source);
            location.pointer = Some("/config/ExposedPorts".to_string());
            out.finding(
                format!("the image config exposes the SSH port ({port})"),
                location,
            )
            .with_evidence("port", port.clone());
        }
    }
}
