//! TD007 environment-credentials: a container passes a credential in plain environment (beyond ECS.8's three names).

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::secrets;

crate::declare_check! {
    /// ## What it does
    /// Reports `environment` entries whose value is a known secret format (AWS key id, GitHub/Slack
    /// token, private key, JWT, URL with a password) or whose name says credential (`DB_PASSWORD`,
    /// `API_TOKEN`, `githubToken`) with a literal value, using harden's shared detector
    /// (`crate::secrets`). The three names ECS.8 matches exactly (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `ECS_ENGINE_AUTH_DATA`) are left to ECS.8. Values are always redacted.
    /// Not a Security Hub control; Security Hub's exposure findings report the same trait.
    ///
    /// ## Why is this bad?
    /// Plain environment values are readable by anyone who can describe the task definition and end up
    /// in logs and crash dumps.
    ///
    /// ## Example
    /// ```json
    /// {"environment": [{"name": "DB_PASSWORD", "value": "hunter2hunter2"}]}
    /// ```
    /// Fix: `"secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:..."}]`.
    EnvironmentCredentials {
        id: "TD007",
        name: "environment-credentials",
        severity: High,
        target: Td,
        references: {
            trivy: ["AWS-0036"],
            checkov: ["CKV_SECRET_* (generic)"],
            see_also: [
                "Security Hub exposure finding \"cleartext credentials in environment variables\"",
                "prowler `ecs_task_definitions_no_environment_secrets`",
                "not an AWS Security Hub control",
            ],
        },
        run: check,
    }
}

/// Left to ECS.8, which matches them exactly whatever the value.
const ECS8_KEYS: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "ECS_ENGINE_AUTH_DATA",
];

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        for container in td.containers.items() {
            for variable in container.environment.items() {
                let (Some(name), Some(value)) = (variable.name.as_str(), variable.value.as_str())
                else {
                    continue;
                };
                if ECS8_KEYS.contains(&name) {
                    continue;
                }
                let Some(secret) = secrets::check_named_value(name, value) else {
                    continue;
                };
                out.finding(
                    format!(
                        "container {}: environment variable {name} holds a credential ({})",
                        container.label(),
                        secret.reason
                    ),
                    location(td, &variable.value.origin),
                )
                .with_evidence("value", secret.redacted)
                .with_evidence("kind", secret.kind.description());
            }
        }
    }
}
