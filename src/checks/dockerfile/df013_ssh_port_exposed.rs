//! DF013 ssh-port-exposed: the built image EXPOSEs port 22.

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

crate::declare_check! {
    /// ## What it does
    /// Reports `EXPOSE 22` (or `22/tcp`, or a range containing 22, after ARG expansion) in the
    /// target stage or its stage ancestry.
    ///
    /// ## Why is this bad?
    /// An SSH server in a container is a second way in that bypasses the orchestrator's access
    /// control and audit; containers are reached with `docker exec` or ECS Exec instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 22 8080
    /// ```
    /// Fix: remove the SSH server and `EXPOSE 22`; use ECS Exec for interactive access.
    SshPortExposed {
        id: "DF013",
        name: "ssh-port-exposed",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["5.6 (no sshd in containers)"],
            trivy: ["DS004"],
            checkov: ["CKV_DOCKER_1"],
        },
        run: check,
    }
}

/// `22`, `22/tcp`, or a range `20-25/tcp` containing 22.
fn includes_ssh(port: &str) -> bool {
    let number = port.split('/').next().unwrap_or(port);
    match number.split_once('-') {
        Some((low, high)) => matches!(
            (low.parse::<u32>(), high.parse::<u32>()),
            (Ok(low), Ok(high)) if low <= 22 && 22 <= high
        ),
        None => number.parse::<u32>() == Ok(22),
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let target = dockerfile.target_stage();
    for port in target
        .effective
        .expose
        .iter()
        .filter(|p| includes_ssh(&p.value))
    {
        let stage = &dockerfile.stages[port.stage];
        let Some(expose) = stage.instructions.iter().find(|i| i.lines == port.lines) else {
            continue;
        };
        out.finding(
            format!("{} exposes the SSH port {}", stage.label(), port.value),
            location(dockerfile, expose),
        )
        .with_evidence("port", port.value.clone());
    }
}
