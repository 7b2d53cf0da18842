//! DF004 secret-in-env-or-arg: a credential in ENV or an ARG default, or a credential-named build
//! argument that BuildKit records in the image history of the RUNs after it.

use super::support::location;
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::model::dockerfile::{Dockerfile, Keyword, Resolved};
use crate::secrets;

crate::declare_check! {
    /// ## What it does
    /// Reports credentials in ENV or ARG, and credential-named build arguments that end up in
    /// the image history.
    ///
    /// It uses harden's shared credential detection (`secrets`: credential-like names such
    /// as PASSWORD, SECRET, TOKEN, API_KEY, AWS_SECRET_ACCESS_KEY, and values of known formats
    /// such as AWS keys, GitHub tokens, private keys, JWTs):
    /// - `ENV` whose name or (ARG-expanded) value is a credential: it is in the image config;
    /// - `ENV TOKEN=${TOKEN}` that copies a credential-named build argument into the config;
    /// - `ARG` with a credential default: it is in the Dockerfile and the history;
    /// - a credential-named `ARG` (given by `--build-arg` or not) followed by a `RUN` in a stage
    ///   that ships: BuildKit writes every build argument in scope into each later RUN's history
    ///   entry (`RUN |1 TOKEN=... /bin/sh -c ...`), readable by anyone who can pull the image.
    ///
    /// Stages that do not ship (builders outside the target's ancestry) are reported at medium.
    /// Values are never printed, only redacted.
    ///
    /// ## Why is this bad?
    /// Image configs and histories are not secret: registries, `docker history` and every scanner
    /// show them. A leaked credential must be rotated.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    /// ```
    /// Fix: `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci` and
    /// `docker build --secret id=npmrc,src=$HOME/.npmrc`; at run time, ECS `secrets` with
    /// `valueFrom` (Secrets Manager / SSM) instead of ENV.
    SecretInEnvOrArg {
        id: "DF004",
        name: "secret-in-env-or-arg",
        severity: High,
        target: Dockerfile,
        references: {
            cis: ["4.10"],
            security_hub: ["ECS.8 (secrets in environment variables)"],
            trivy: ["DS031 (secrets passed via build-args or envs)"],
            see_also: ["BuildKit lint `SecretsUsedInArgOrEnv`"],
        },
        run: check,
    }
}

/// `$X` or `${X...}`: the value is taken from a variable.
fn references_variable(written: &str) -> bool {
    written.contains('$')
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for arg in &dockerfile.global_args {
        let Resolved::Args(bindings) = &arg.resolved else {
            continue;
        };
        for binding in bindings {
            if let Some(value) = binding.value.as_deref().filter(|_| !binding.from_build_arg)
                && let Some(secret) = secrets::check_named_value(&binding.name, value)
            {
                out.finding(
                    format!(
                        "global ARG {} has a credential default ({}); use RUN --mount=type=secret",
                        binding.name, secret.reason
                    ),
                    location(dockerfile, arg),
                )
                .with_evidence("name", binding.name.clone())
                .with_evidence("value", secret.redacted);
            }
        }
    }
    for stage in &dockerfile.stages {
        let ships = dockerfile.ships(stage.index);
        let severity = |known: bool| match (ships, known) {
            (false, _) => Severity::Medium,
            (true, true) => Severity::Critical,
            (true, false) => Severity::High,
        };
        for (position, instruction) in stage.instructions.iter().enumerate() {
            match (&instruction.keyword, &instruction.resolved) {
                (Keyword::Env, Resolved::Pairs(pairs)) => {
                    for (index, (name, value)) in pairs.iter().enumerate() {
                        let written = instruction
                            .arguments
                            .get(index * 2 + 1)
                            .map_or("", String::as_str);
                        if let Some(secret) = secrets::check_named_value(name, value) {
                            out.finding(
                                format!(
                                    "ENV {name} in {} puts a credential in the image config ({}); use RUN --mount=type=secret at build time and ECS secrets at run time",
                                    stage.label(),
                                    secret.reason
                                ),
                                location(dockerfile, instruction),
                            )
                            .with_severity(severity(secret.kind.is_known_format()))
                            .with_evidence("name", name.clone())
                            .with_evidence("value", secret.redacted);
                        } else if references_variable(written)
                            && let Some(marker) = secrets::credential_name(name)
                        {
                            out.finding(
                                format!(
                                    "ENV {name} in {} copies {written} into the image config (the name contains {marker}): whatever is passed at build time ships in the image",
                                    stage.label()
                                ),
                                location(dockerfile, instruction),
                            )
                            .with_severity(severity(false))
                            .with_evidence("name", name.clone());
                        }
                    }
                }
                (Keyword::Arg, Resolved::Args(bindings)) => {
                    let later_run = stage.instructions[position + 1..]
                        .iter()
                        .find(|i| i.keyword == Keyword::Run);
                    for binding in bindings {
                        let default_secret = binding
                            .default
                            .as_ref()
                            .and(binding.value.as_deref())
                            .filter(|_| !binding.from_build_arg)
                            .and_then(|value| secrets::check_named_value(&binding.name, value));
                        if let Some(secret) = default_secret {
                            out.finding(
                                format!(
                                    "ARG {} in {} has a credential default ({}); use RUN --mount=type=secret",
                                    binding.name,
                                    stage.label(),
                                    secret.reason
                                ),
                                location(dockerfile, instruction),
                            )
                            .with_severity(severity(secret.kind.is_known_format()))
                            .with_evidence("name", binding.name.clone())
                            .with_evidence("value", secret.redacted);
                            continue;
                        }
                        let Some(marker) = secrets::credential_name(&binding.name) else {
                            continue;
                        };
                        let Some(run) = later_run else {
                            continue;
                        };
                        let finding = out
                            .finding(
                                format!(
                                    "build argument {} in {} (the name contains {marker}) is written into the image history of the RUN at line {} and every RUN after it; use RUN --mount=type=secret",
                                    binding.name,
                                    stage.label(),
                                    run.lines.start
                                ),
                                location(dockerfile, instruction),
                            )
                            .with_severity(severity(false))
                            .with_evidence("name", binding.name.clone());
                        if let Some(value) = &binding.value {
                            finding.with_evidence("value", secrets::redact(value));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
