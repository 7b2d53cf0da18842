//! ECS.8 environment-secret-keys: a container passes one of AWS's three credential variable names in plain environment.

use super::support::{Outcome, each_task_definition};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.8: fails when any container definition of the latest ACTIVE revision has
    /// an `environment` entry whose name is exactly `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` or
    /// `ECS_ENGINE_AUTH_DATA` (the `secretKeys` Security Hub sets; case-sensitive, the value is ignored,
    /// even `""`). `environmentFiles`, `secrets` and values are not read; the TD checks cover other
    /// credentials.
    ///
    /// ## Why is this bad?
    /// Plain environment variables are visible to anyone who can describe the task definition, and in
    /// logs and crash dumps. Use a task role for AWS credentials and `secrets[].valueFrom` for the rest.
    ///
    /// ## Example
    /// ```json
    /// {"name": "app", "environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "..."}]}
    /// ```
    /// Fix: give the task a `taskRoleArn`, or move the value to `secrets`.
    EnvironmentSecretKeys {
        id: "ECS.8",
        name: "environment-secret-keys",
        severity: High,
        target: Ecs,
        references: {
            security_hub: ["ECS.8"],
            trivy: ["AWS-0036 (broader, misses ECS_ENGINE_AUTH_DATA)"],
            checkov: ["(generic secrets)"],
            see_also: [
                "AWS Config `ecs-no-environment-secrets`",
                "AWS Control Tower CT.ECS.PR.12",
                "prowler `ecs_task_definitions_no_environment_secrets` (value scan)",
            ],
        },
        run: check,
    }
}

/// `secretKeys` as Security Hub sets it (reference §1.1).
const SECRET_KEYS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "ECS_ENGINE_AUTH_DATA",
];

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition(inventory, out, |_, containers, verdict| {
        for container in containers {
            if verdict.undecidable(&container.environment, Some(container)) {
                continue;
            }
            for variable in container.environment.items() {
                if verdict.undecidable(&variable.name, Some(container)) {
                    continue;
                }
                if let Some(name) = variable.name.as_str()
                    && SECRET_KEYS.contains(&name)
                {
                    verdict.fail(
                        &variable.name.origin,
                        Some(container),
                        format!("environment variable {name} is passed in plain text"),
                    );
                }
            }
        }
        Outcome::Evaluated
    });
}
