//! XC007 command-not-in-image: the task definition's health check or ECS Exec needs a shell or
//! program the paired image does not have.

use super::support::{container_location, find_program};
use crate::checks::Emitter;
use crate::findings::{Location, Severity};
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::ecs::{EcsInventory, Value};
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Reports a health check or ECS Exec session that needs a shell or program the image does
    /// not have.
    ///
    /// For each container definition paired with the scanned image:
    /// - a `healthCheck` of the form `["CMD-SHELL", "..."]` when the shell it runs with is not
    ///   in the image (Docker runs `CMD-SHELL` with the image's `SHELL`, `/bin/sh -c` by
    ///   default; symlinks are followed inside the image);
    /// - a `healthCheck` of the form `["CMD", "program", ...]` when `program` is not in the
    ///   image (an absolute path, or a name searched in the container's `PATH`: the task's
    ///   `environment`, else the image's, else Docker's default);
    /// - ECS Exec enabled (`enableExecuteCommand` on a service given as input that runs the task
    ///   definition) when the image has no shell at all (`sh`, `bash`, `ash`, `dash`, `zsh`,
    ///   `ksh` or busybox in the `PATH`), reported as low: only the image's own programs can be
    ///   run.
    ///
    /// ## Why is this bad?
    /// A health check whose command cannot start fails every time: the container is marked
    /// `UNHEALTHY` and, when essential, ECS stops the task and starts another, which fails the
    /// same way. Distroless and `scratch` images have no shell; the `CMD-SHELL` form and the
    /// `curl` health check copied from another service are the usual cause. ECS Exec on an image
    /// without a shell gives no interactive session (`execute-command --interactive --command
    /// /bin/sh` fails), which surprises whoever needs it during an incident.
    ///
    /// ## Example
    /// Distroless image, `"healthCheck": {"command": ["CMD-SHELL", "curl -f localhost/ ||
    /// exit 1"]}`. Fix: `["CMD", "/app/server", "--health"]` with a health mode in the app, or a
    /// static health-check binary in the image.
    CommandNotInImage {
        id: "XC007",
        name: "command-not-in-image",
        severity: Medium,
        target: Cross,
        references: {
            see_also: [
                "Amazon ECS Developer Guide, \"HealthCheck\" and \"Monitor Amazon ECS containers with ECS Exec\" (prerequisites)",
                "moby `daemon/health.go` (`CMD-SHELL` and `Shell`)",
            ],
        },
        run: check,
    }
}

/// Programs that give ECS Exec an interactive session.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(image) = joined.image else {
        return;
    };
    for pair in joined.pairs {
        check_health_check(image, pair, out);
        if let Some(ecs) = joined.ecs {
            check_exec(image, ecs, pair, out);
        }
    }
}

fn check_health_check(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    let Value::Known(health_check) = &container.health_check.value else {
        return;
    };
    let Value::Known(command) = &health_check.command.value else {
        return;
    };
    let Some(kind) = command.first() else {
        return;
    };
    let (needed, why, origin) = match kind.as_str() {
        Some("CMD-SHELL") => {
            let shell = image.runtime_shell();
            let why = match &image.config.shell {
                Some(_) => format!("CMD-SHELL runs with the image's SHELL {}", shell.join(" ")),
                None => "CMD-SHELL runs with /bin/sh -c".to_string(),
            };
            (shell[0].clone(), why, &kind.origin)
        }
        Some("CMD") => {
            let Some(program) = command.get(1) else {
                return;
            };
            let Some(name) = program.as_str() else {
                return;
            };
            (
                name.to_string(),
                format!("CMD runs {name}"),
                &program.origin,
            )
        }
        _ => return,
    };
    if find_program(image, container, &needed).is_some() {
        return;
    }
    out.finding(
        format!(
            "container {} has a healthCheck that cannot start: {why}, and the image has no {needed}; the check always fails and ECS replaces the task again and again",
            container.label()
        ),
        container_location(pair, origin),
    )
    .with_evidence("missing", needed)
    .with_evidence("pairing", pair.reason.clone())
    .with_related(Location::image(&image.source));
}

fn check_exec(image: &Image, ecs: &EcsInventory, pair: &Pairing, out: &mut Emitter) {
    if ecs.enable_execute_command(pair.task_definition) != Some(true) {
        return;
    }
    let container = pair.container;
    if SHELLS
        .iter()
        .any(|shell| find_program(image, container, shell).is_some())
    {
        return;
    }
    let service = ecs
        .services_running(pair.task_definition)
        .find(|s| matches!(s.enable_execute_command.value, Value::Known(true)));
    let Some(service) = service else {
        return;
    };
    out.finding(
        format!(
            "service {} enables ECS Exec for container {}, but the image has no shell: an interactive session (execute-command --command /bin/sh) fails; only the image's own programs can be run",
            service.resource.name,
            container.label()
        ),
        service
            .enable_execute_command
            .origin
            .location(&service.resource),
    )
    .with_severity(Severity::Low)
    .with_evidence("service", service.resource.name.clone())
    .with_evidence("pairing", pair.reason.clone())
    .with_related(Location::image(&image.source));
}
