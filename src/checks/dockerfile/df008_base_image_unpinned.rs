//! DF008 base-image-unpinned: a FROM image has no tag, `latest`, or no digest.

use super::support::location;
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::model::dockerfile::{
    Base, Dockerfile, FromKind, ImageReference, Instruction, StageOrImage,
};

crate::declare_check! {
    /// ## What it does
    /// Reports a FROM image with no tag, `latest`, or no digest pin.
    ///
    /// Every stage whose FROM names an external image (after ARG expansion) that is not
    /// pinned by digest: no tag at all (implicitly `latest`) or `latest` (medium), or a tag without
    /// `@sha256:...` (low). The same for an image a `COPY --from=` or `RUN --mount=from=` reads
    /// (a name no stage has, as BuildKit resolves it; hadolint's DL3006/DL3007 look at
    /// FROM only). `scratch` and earlier stages are not images. A reference that still
    /// has an unset variable after expansion is reported with what it expanded to; one that
    /// expands to nothing (`FROM ${BASE_IMAGE}` with no `--build-arg`) is not pinned by the
    /// Dockerfile at all (low: the build argument decides).
    ///
    /// ## Why is this bad?
    /// A tag is a movable pointer: the same Dockerfile builds on different bases over time, a
    /// compromised or mistaken push changes the image silently, and `latest` jumps major
    /// versions. A digest pins the exact content (update it with a bot such as Renovate).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python
    /// ```
    /// Fix: `FROM python:3.12-slim@sha256:<digest>`.
    BaseImageUnpinned {
        id: "DF008",
        name: "base-image-unpinned",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.2 / 5.27"],
            hadolint: ["DL3006", "DL3007"],
            trivy: ["DS001"],
            checkov: ["CKV_DOCKER_7"],
            see_also: ["AWS ECS best practices (curated base images)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for stage in &dockerfile.stages {
        let Base::Image(image) = &stage.base else {
            continue;
        };
        report(
            dockerfile,
            out,
            image,
            &format!("{} builds FROM", stage.label()),
            &stage.from,
        );
    }
    // An image read by COPY --from or a mount's from= is as much an input of the build.
    for reference in dockerfile.stage_references() {
        let StageOrImage::Image(image) = &reference.resolved else {
            continue;
        };
        let flag = match reference.kind {
            FromKind::Copy => "copies --from",
            FromKind::Mount => "mounts from",
        };
        let stage = &dockerfile.stages[reference.stage];
        report(
            dockerfile,
            out,
            image,
            &format!("{} {flag}", stage.label()),
            reference.instruction,
        );
    }
}

fn report(
    dockerfile: &Dockerfile,
    out: &mut Emitter,
    image: &ImageReference,
    what: &str,
    instruction: &Instruction,
) {
    if image.digest.is_some() {
        return;
    }
    let shown = if image.written == image.resolved {
        image.resolved.clone()
    } else {
        format!("{} (written {})", image.resolved, image.written)
    };
    let unresolved = image.has_unset_variable && image.resolved == image.written;
    let (message, severity) = match image.tag.as_deref() {
        _ if unresolved => (
            format!(
                "{what} {shown}, which names no image without --build-arg: the Dockerfile does not pin its base"
            ),
            Severity::Low,
        ),
        None | Some("") => (
            format!("{what} {shown} with no tag: it means latest, whatever that is at build time"),
            Severity::Medium,
        ),
        Some("latest") => (
            format!("{what} {shown}: latest moves between builds"),
            Severity::Medium,
        ),
        Some(_) => (
            format!("{what} {shown}, a tag without a digest: the tag can be moved"),
            Severity::Low,
        ),
    };
    let finding = out
        .finding(message, location(dockerfile, instruction))
        .with_severity(severity)
        .with_evidence("image", image.resolved.clone());
    if image.has_unset_variable {
        finding.with_evidence("note", "the reference uses a variable with no value");
    }
}
