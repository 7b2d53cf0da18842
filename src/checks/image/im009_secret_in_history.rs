//! IM009 secret-in-history: a history step's `created_by` line leaks a credential.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::Image;
use crate::secrets;

crate::declare_check! {
    /// ## What it does
    /// Scans the `created_by` line of every history step (what `docker history --no-trunc` shows) for
    /// credentials: `ENV`/`ARG` values, build arguments that a RUN step used (Docker records them
    /// as a `|N NAME=value ... /bin/sh -c` prefix, BuildKit as `RUN |N NAME=value`), `--password`
    /// options, URLs with passwords, `curl -u user:password`, `Authorization:` headers, and known
    /// token formats anywhere in the line. One finding per secret, value redacted, with the line
    /// shown with every secret redacted.
    ///
    /// ## Why is this bad?
    /// The history ships inside the image config: a secret passed with `--build-arg` and "only used
    /// during the build" is readable by anyone who can pull the image, forever. Known token formats
    /// are **critical**, credential-named values **high**. Use BuildKit secrets
    /// (`RUN --mount=type=secret,id=npm ...`), which leave no trace in the history or layers.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc && npm ci
    /// ```
    /// built with `--build-arg NPM_TOKEN=...` records `|1 NPM_TOKEN=... /bin/sh -c ...`. Fix:
    /// ```dockerfile
    /// RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    /// ```
    SecretInHistory {
        id: "IM009",
        name: "secret-in-history",
        severity: High,
        target: Image,
        references: {
            cis: ["4.10 (do not store secrets in Dockerfiles)"],
            dockle: ["CIS-DI-0010"],
            trivy: ["secret scanning (config)"],
            see_also: ["Docker docs \"build secrets\""],
        },
        run: check,
    }
}

/// Longest redacted history line shown as evidence.
const MAX_LINE: usize = 300;

fn check(image: &Image, out: &mut Emitter) {
    let mut layer = 0usize;
    for (index, step) in image.history.iter().enumerate() {
        let step_layer = (!step.empty_layer).then_some(layer);
        if !step.empty_layer {
            layer += 1;
        }
        let found = secrets::find_secrets_in_text(&step.created_by);
        if found.is_empty() {
            continue;
        }
        let mut shown = secrets::redact_text(&step.created_by);
        if shown.chars().count() > MAX_LINE {
            shown = shown.chars().take(MAX_LINE).collect::<String>() + "…";
        }
        for secret in found {
            let mut location = Location::image(&image.source);
            location.pointer = Some(format!("/history/{index}/created_by"));
            location.layer = step_layer.filter(|l| *l < image.layers.len());
            let severity = secret.kind.severity();
            let finding = out
                .finding(
                    format!(
                        "history step {index} leaks a credential ({}): {}",
                        secret.kind, secret.reason
                    ),
                    location,
                )
                .with_severity(severity)
                .with_evidence("value", secret.redacted)
                .with_evidence("created_by", shown.clone());
            if let Some(name) = secret.name {
                finding.with_evidence("name", name);
            }
        }
    }
}
