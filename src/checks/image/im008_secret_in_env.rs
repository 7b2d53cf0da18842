//! IM008 secret-in-env: an `Env` entry of the image config holds a credential.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::Image;
use crate::secrets;

crate::declare_check! {
    /// ## What it does
    /// Reports each `Env` entry of the image config whose value is a known secret format (AWS access
    /// key id, GitHub or Slack token, JWT, private key, URL with a password) or whose name looks like
    /// a credential (`DB_PASSWORD`, `API_KEY`, `githubToken`; not `PASSWORD_FILE`, `TOKENIZER_*`,
    /// `GPG_KEY`) with a literal value (not empty, not `$VAR`, not a path, not an ARN). Detection is
    /// shared with the Dockerfile and ECS checks (`crate::secrets`, whose module docs list every
    /// rule). Values are always redacted: first four characters and the length at most.
    ///
    /// ## Why is this bad?
    /// `ENV` values are stored in the image config: anyone who can pull the image reads them with
    /// `docker inspect`, and every container and child process inherits them. A known token format
    /// is almost certainly a live credential: **critical**. A credential-named variable with a
    /// literal value is **high**. Pass secrets at run time instead: ECS `secrets` with
    /// `valueFrom` (Secrets Manager or SSM Parameter Store), or BuildKit `--mount=type=secret` for
    /// build-time use.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV DB_PASSWORD=hunter2
    /// ```
    /// Fix: remove it from the image and use the task definition's `secrets` (`valueFrom`).
    SecretInEnv {
        id: "IM008",
        name: "secret-in-env",
        severity: High,
        target: Image,
        references: {
            cis: ["4.10 (do not store secrets in Dockerfiles)"],
            security_hub: ["ECS.8 (same idea, task definitions)"],
            dockle: ["CIS-DI-0010"],
            trivy: ["secret scanning"],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    for (index, entry) in image.config.env.iter().enumerate() {
        let Some((name, secret)) = secrets::check_env_entry(entry) else {
            continue;
        };
        let mut location = Location::image(&image.source);
        location.pointer = Some(format!("/config/Env/{index}"));
        let severity = secret.kind.severity();
        out.finding(
            format!(
                "ENV {name} holds a credential ({}): {}",
                secret.kind, secret.reason
            ),
            location,
        )
        .with_severity(severity)
        .with_evidence("name", name.to_string())
        .with_evidence("value", secret.redacted)
        .with_evidence("kind", secret.kind.description());
    }
}
