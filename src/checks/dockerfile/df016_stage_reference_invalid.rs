//! DF016 stage-reference-invalid: a `COPY --from` or `RUN --mount=from=` names the stage it is
//! in, a later stage, a stage index that does not exist, or holds a variable.

use super::support::location;
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::model::dockerfile::{Dockerfile, FromKind, InvalidReference, StageOrImage};

crate::declare_check! {
    /// ## What it does
    /// Reports a `COPY --from=...` or `RUN --mount=...,from=...` that BuildKit refuses, resolved
    /// as its dockerfile2llb does (`Dockerfile::resolve_from` cites the source): one that names
    /// the stage it is in (a circular dependency), a stage defined later in the file (a stage
    /// reads only earlier ones), a `COPY --from=N` index no stage has, or a reference with a
    /// variable, quote or escape (`--from` is never expanded). Stage names match
    /// case-insensitively; `COPY --from` also takes a stage's index, a mount's `from=` does not
    /// (`from=0` there is the image `0`). A name no stage has is an image and is not reported
    /// here (DF008 says whether it is pinned).
    ///
    /// ## Why is this bad?
    /// BuildKit 0.13 and later fail the build. Older builders did not: copying from a stage
    /// defined later copied from whatever that stage had not yet built, or from its base image,
    /// often without an error, so the image shipped other files than the Dockerfile says.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20 AS app
    /// COPY --from=build /out/app /usr/local/bin/app
    /// FROM golang:1.23 AS build
    /// ```
    /// Fix: move the `build` stage above the stage that copies from it.
    StageReferenceInvalid {
        id: "DF016",
        name: "stage-reference-invalid",
        severity: Medium,
        target: Dockerfile,
        references: {
            hadolint: ["DL3022", "DL3023"],
            see_also: ["BuildKit dockerfile2llb (convert.go toCommand, validateCircularDependency)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for reference in dockerfile.stage_references() {
        let StageOrImage::Invalid(why) = reference.resolved else {
            continue;
        };
        let stage = &dockerfile.stages[reference.stage];
        let flag = match reference.kind {
            FromKind::Copy => "COPY --from",
            FromKind::Mount => "RUN --mount from",
        };
        let severity = match why {
            // Unlike the rest, a variable fails every build, old or new: it is a typo, not a
            // silent change of content.
            InvalidReference::Variable => Severity::Low,
            _ => Severity::Medium,
        };
        out.finding(
            format!(
                "{flag}={} in {} cannot be built: {}",
                reference.written,
                stage.label(),
                why.describe()
            ),
            location(dockerfile, reference.instruction),
        )
        .with_severity(severity)
        .with_evidence("from", reference.written.clone());
    }
}
