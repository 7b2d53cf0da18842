//! IM013 healthcheck-cannot-run: the image's HEALTHCHECK runs a program (or, for `CMD-SHELL`, a
//! shell) the image does not have, so it fails every time.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Reports an image whose `HEALTHCHECK` cannot start inside it:
    /// - `HEALTHCHECK CMD ["program", ...]` where `program` is not in the image (an absolute path
    ///   resolved through the image's symlinks, or a name searched in the config's `PATH`, else
    ///   Docker's default);
    /// - `HEALTHCHECK CMD command` (shell form, `CMD-SHELL` in the config) where the shell it runs
    ///   with is not in the image: the config's `Shell` (the Dockerfile `SHELL` instruction), else
    ///   `/bin/sh`.
    ///
    /// ## Why is this bad?
    /// Docker runs the check in the container; when its program is missing, every run fails with
    /// "executable file not found", the container turns `unhealthy`, and whatever acts on health
    /// (Swarm, Compose `depends_on: service_healthy`, an autoheal sidecar) restarts or blocks it.
    /// It is the usual result of copying `HEALTHCHECK CMD curl -f ...` into a distroless or
    /// `scratch` image, or of `SHELL ["/bin/bash", ...]` on Alpine. (On ECS the image's check does
    /// not run at all: XC003 and XC007 cover the task definition.)
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static
    /// COPY server /server
    /// HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1
    /// ```
    /// Fix: a health mode in the program itself, `HEALTHCHECK CMD ["/server", "--health"]`.
    HealthcheckCannotRun {
        id: "IM013",
        name: "healthcheck-cannot-run",
        severity: Medium,
        target: Image,
        references: {
            cis: ["4.6"],
            see_also: ["Dockerfile reference, HEALTHCHECK and SHELL", "moby `daemon/health.go`"],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let Some(healthcheck) = &image.config.healthcheck else {
        return;
    };
    let test = &healthcheck.test;
    let (needed, why) = match test.first().map(String::as_str) {
        Some("CMD") => {
            let Some(program) = test.get(1) else {
                return;
            };
            (program.clone(), format!("it runs {program}"))
        }
        Some("CMD-SHELL") => {
            let shell = image.runtime_shell();
            let why = match &image.config.shell {
                Some(_) => format!(
                    "its shell form runs with the image's SHELL {}",
                    shell.join(" ")
                ),
                None => "its shell form runs with /bin/sh -c".to_string(),
            };
            (shell[0].clone(), why)
        }
        _ => return,
    };
    if needed.is_empty() || image.find_program(&needed, image.path_env()).is_some() {
        return;
    }
    let mut location = Location::image(&image.source);
    location.pointer = Some("/config/Healthcheck/Test".to_string());
    out.finding(
        format!(
            "the image's HEALTHCHECK cannot start: {why}, and the image has no {needed}; the check fails every time and the container turns unhealthy"
        ),
        location,
    )
    .with_evidence("missing", needed)
    .with_evidence("healthcheck", serde_json::to_string(test).unwrap_or_default());
}
