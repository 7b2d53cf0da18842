//! XC006 secret-baked-and-passed: a credential both baked into the image's ENV and given by the
//! task definition, or moved to `secrets` in the task while the image still carries it.

use super::support::{container_location, for_each_pair, image_config_location};
use crate::checks::Emitter;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::image::Image;
use crate::secrets;

crate::declare_check! {
    /// ## What it does
    /// Reports a credential baked into the image's ENV that the task definition also passes:
    /// moved to `secrets` but still in the image, or repeated in plain `environment`.
    ///
    /// For each container definition paired with the scanned image, compares the image config's
    /// `Env` with the task definition:
    /// - a `secrets` entry (`valueFrom` Secrets Manager or SSM) whose name the image's ENV also
    ///   sets to a literal value (not empty, not a `${VAR}` reference or placeholder): the secret
    ///   was moved to a secret store, but the old value still ships in the image;
    /// - an `environment` entry whose value is the same credential as an image ENV entry (by
    ///   value; the name or the value must look like a credential, as IM008 and ECS.8 judge):
    ///   the credential is in two places, neither of them secret.
    ///
    /// Values are never printed, only redacted (`ghp_… (40 chars)`).
    ///
    /// ## Why is this bad?
    /// Overriding a variable at run time does not remove it from the image: anyone who can pull
    /// the image (every environment it is promoted to, every cache, every registry mirror) reads
    /// the value with `docker inspect`. Teams that move a credential to `secrets` believe it is
    /// handled; it must also be rotated and removed from the image. A credential repeated in the
    /// task definition's plain `environment` is visible to anyone with `ecs:DescribeTaskDefinition`.
    ///
    /// ## Example
    /// Image `ENV DB_PASSWORD=s3cr3t-value`, container `"secrets": [{"name": "DB_PASSWORD",
    /// "valueFrom": "arn:aws:secretsmanager:...:secret:db"}]`. Fix: remove the `ENV` (pass build
    /// secrets with `RUN --mount=type=secret`), rebuild, and rotate the credential: it has shipped.
    SecretBakedAndPassed {
        id: "XC006",
        name: "secret-baked-and-passed",
        severity: High,
        target: Cross,
        references: {
            cis: ["4.10"],
            security_hub: ["ECS.8"],
            dockle: ["CIS-DI-0010"],
            trivy: ["secret scanning"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    for_each_pair(joined, out, check_pair);
}

fn check_pair(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    let baked: Vec<(usize, &str, &str)> = image
        .config
        .env
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let (name, value) = entry.split_once('=')?;
            (!secrets::is_placeholder(value)).then_some((index, name, value))
        })
        .collect();
    for secret in container.secrets.items() {
        let Some(name) = secret.name.as_str() else {
            continue;
        };
        let Some(&(index, _, value)) = baked.iter().find(|(_, baked_name, _)| *baked_name == name)
        else {
            continue;
        };
        out.finding(
            format!(
                "container {} takes {name} from secrets ({}), but the image still bakes a value for it in ENV ({}): anyone who can pull the image reads it; remove the ENV, rebuild and rotate the credential",
                container.label(),
                secret.value.as_str().unwrap_or("valueFrom"),
                secrets::redact(value.trim())
            ),
            container_location(pair, &secret.name.origin),
        )
        .with_evidence("name", name.to_string())
        .with_evidence("image_value", secrets::redact(value.trim()))
        .with_evidence("pairing", pair.reason.clone())
        .with_related(image_config_location(image, format!("/config/Env/{index}")));
    }
    for variable in container.environment.items() {
        let (Some(name), Some(value)) = (variable.name.as_str(), variable.value.as_str()) else {
            continue;
        };
        let value = value.trim();
        if secrets::is_placeholder(value) {
            continue;
        }
        for &(index, image_name, image_value) in &baked {
            if image_value.trim() != value {
                continue;
            }
            let Some(secret) = secrets::check_named_value(image_name, value)
                .or_else(|| secrets::check_named_value(name, value))
            else {
                continue;
            };
            let severity = secret.kind.severity();
            out.finding(
                format!(
                    "container {} passes {name} in plain-text environment with the same credential the image bakes into ENV {image_name} ({}; {}): move it to secrets, remove the ENV, rebuild and rotate it",
                    container.label(),
                    secret.redacted,
                    secret.kind.description()
                ),
                container_location(pair, &variable.value.origin),
            )
            .with_severity(severity)
            .with_evidence("name", name.to_string())
            .with_evidence("image_name", image_name.to_string())
            .with_evidence("value", secret.redacted.clone())
            .with_evidence("kind", secret.kind.description())
            .with_evidence("pairing", pair.reason.clone())
            .with_related(image_config_location(image, format!("/config/Env/{index}")));
        }
    }
}
