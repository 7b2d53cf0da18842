//! DF009 full-distro-base: the built image's root base is a full Linux distribution.

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

/// Repositories that are general-purpose distributions (shell, package manager, many tools).
const DISTRIBUTIONS: &[&str] = &[
    "debian",
    "ubuntu",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "oraclelinux",
    "ubi",
    "ubi8",
    "ubi9",
    "archlinux",
    "opensuse",
    "leap",
    "tumbleweed",
    "buildpack-deps",
    "kalilinux",
];

crate::declare_check! {
    /// ## What it does
    /// Reports, as information, a target stage whose chain starts from a general-purpose
    /// distribution (debian, ubuntu, centos, fedora, rockylinux, almalinux, amazonlinux, ubi...),
    /// where a distroless image or `scratch` with a binary built in an earlier stage would often
    /// serve. Builder stages are not reported: only the built image ships.
    ///
    /// ## Why is this bad?
    /// Every shell, package manager and tool in the image is attack surface and CVE noise. AWS's
    /// ECS guidance: prefer distroless or `FROM scratch` with a static binary, and multi-stage
    /// builds that keep build tools out of the final image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM ubuntu:24.04
    /// COPY app /app
    /// ```
    /// Fix: build in one stage, then `FROM gcr.io/distroless/static-debian12` and copy the binary.
    FullDistroBase {
        id: "DF009",
        name: "full-distro-base",
        severity: Info,
        target: Dockerfile,
        references: {
            cis: ["4.3"],
            see_also: ["AWS ECS best practices (minimal images)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let target = dockerfile.target_stage();
    let Some(base) = &target.effective.base_image else {
        return;
    };
    if !DISTRIBUTIONS.contains(&base.short_name()) {
        return;
    }
    let root = &dockerfile.stages[target.effective.chain[0]];
    out.finding(
        format!(
            "the built image starts from the full distribution {}; a distroless or scratch base would carry no shell or package manager",
            base.resolved
        ),
        location(dockerfile, &root.from),
    )
    .with_evidence("image", base.resolved.clone());
}
