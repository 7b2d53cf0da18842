//! XC003 healthcheck-not-carried: the image declares a HEALTHCHECK, but the paired container
//! definition has no `healthCheck`, and ECS does not act on the image's.

use super::support::{container_location, image_config_location};
use crate::checks::Emitter;
use crate::join::Joined;

crate::declare_check! {
    /// ## What it does
    /// For each container definition paired with the scanned image, reports a missing
    /// `healthCheck` when the image config declares a `HEALTHCHECK` (`CMD` or `CMD-SHELL`; an
    /// image that disables it with `HEALTHCHECK NONE` is not reported). The finding carries the
    /// `healthCheck` to add, taken from the image. A `healthCheck` that cannot be known offline (a
    /// CloudFormation parameter) is not reported.
    ///
    /// ## Why is this bad?
    /// The Amazon ECS container agent monitors and reports only the health checks in the
    /// container definition: it does not monitor a Docker health check embedded in the image.
    /// The image author wrote a health check, yet the container's health stays `UNKNOWN`, so a
    /// hung process is never replaced by the service scheduler and dependent containers
    /// (`dependsOn` with `HEALTHY`) cannot start. The team believes the check runs; it does not.
    ///
    /// ## Example
    /// Image `HEALTHCHECK CMD ["/app/server", "--health"]`, container definition
    /// `{"name": "app", "image": "app:1.0"}`. Fix: `"healthCheck": {"command": ["CMD",
    /// "/app/server", "--health"]}` (ECS takes the same form as the image config).
    HealthcheckNotCarried {
        id: "XC003",
        name: "healthcheck-not-carried",
        severity: Low,
        target: Cross,
        references: {
            cis: ["4.6"],
            dockle: ["CIS-DI-0006 (image side only)"],
            checkov: ["CKV_DOCKER_2 (Dockerfile side only)"],
            see_also: [
                "Amazon ECS Developer Guide, \"HealthCheck\" (container definition parameters)",
            ],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(image) = joined.image else {
        return;
    };
    let Some(healthcheck) = &image.config.healthcheck else {
        return;
    };
    let test = &healthcheck.test;
    if !matches!(test.first().map(String::as_str), Some("CMD" | "CMD-SHELL")) || test.len() < 2 {
        return;
    }
    let command = serde_json::to_string(test).unwrap_or_default();
    for pair in joined.pairs {
        let container = pair.container;
        if !container.health_check.is_absent() {
            continue;
        }
        out.finding(
            format!(
                "container {} has no healthCheck, so ECS ignores the image's HEALTHCHECK {command}: the container's health stays UNKNOWN and a hung task is never replaced; add \"healthCheck\": {{\"command\": {command}}}",
                container.label()
            ),
            container_location(pair, &container.health_check.origin),
        )
        .with_evidence("image_healthcheck", command.clone())
        .with_evidence("pairing", pair.reason.clone())
        .with_related(image_config_location(image, "/config/Healthcheck"));
    }
}
