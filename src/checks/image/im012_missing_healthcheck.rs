//! IM012 missing-healthcheck: the image config declares no HEALTHCHECK.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::Image;

crate::declare_check! {
    /// ## What it does
    /// Reports an image whose config has no `Healthcheck`, or one disabled with `NONE`.
    ///
    /// ## Why is this bad?
    /// Without a health check a hung process looks healthy to Docker and to orchestrators that honour
    /// the image's HEALTHCHECK. On Amazon ECS this matters less: ECS ignores the image's HEALTHCHECK
    /// and runs only the container definition's `healthCheck`, so the finding is low, and the
    /// cross-source checks say whether the task definition carries one.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27
    /// # no HEALTHCHECK
    /// ```
    /// Fix:
    /// ```dockerfile
    /// HEALTHCHECK --interval=30s CMD ["/healthcheck"]
    /// ```
    /// and set `healthCheck` in the ECS container definition.
    MissingHealthcheck {
        id: "IM012",
        name: "missing-healthcheck",
        severity: Low,
        target: Image,
        references: {
            cis: ["4.6"],
            dockle: ["CIS-DI-0006"],
            trivy: ["DS026 (Dockerfile)"],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let disabled = image
        .config
        .healthcheck
        .as_ref()
        .is_some_and(|h| h.test.first().is_some_and(|t| t == "NONE"));
    match &image.config.healthcheck {
        Some(_) if !disabled => {}
        Some(_) => {
            out.finding(
                "the image disables its health check (HEALTHCHECK NONE)",
                Location::image(&image.source),
            );
        }
        None => {
            out.finding(
                "the image config has no HEALTHCHECK",
                Location::image(&image.source),
            );
        }
    }
}
