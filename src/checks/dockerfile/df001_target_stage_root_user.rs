//! DF001 target-stage-root-user: the target stage runs as root (a root USER, or no USER in it or
//! its stage ancestry).

use super::support::location;
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::join::Joined;

crate::declare_check! {
    /// ## What it does
    /// Reports a Dockerfile whose built (target) stage runs as root.
    ///
    /// Root means: the last USER of the target
    /// stage and its `FROM earlier-stage` ancestry is `root`, `0`, `0:<group>`, `root:<group>` or
    /// empty after ARG/ENV substitution (`USER ${APP_USER}` is resolved from the ARG default and
    /// `--build-arg`), or no stage of that chain sets USER at all. USERs of other stages (a
    /// builder) do not count: only the chain that produces the image does. Without any USER, a
    /// `FROM scratch` chain runs as root; a chain on an external image inherits that image's user,
    /// which the Dockerfile does not say: it is reported as "unknown, assumed root" (medium), and
    /// is resolved when the built image is scanned too (and its build history does not contradict
    /// the Dockerfile): the image's `User`, resolved through its /etc/passwd, is the base's, so
    /// root makes the finding high and a non-root user makes it info.
    ///
    /// ## Why is this bad?
    /// A process running as root in the container is root on the host's kernel; a container escape
    /// or a writable host mount then gives root on the host. AWS's ECS guidance: run as a non-root
    /// user, and have CI check the Dockerfile for USER and fail the build when it is missing.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// USER builder            # a builder's USER does not make the final image non-root
    /// FROM debian:12-slim
    /// COPY --from=build /app /app
    /// ```
    /// Fix: `USER 10001:10001` (or a named user created in the image) in the final stage.
    TargetStageRootUser {
        id: "DF001",
        name: "target-stage-root-user",
        severity: High,
        target: Dockerfile,
        reads: Joined,
        references: {
            cis: ["4.1"],
            hadolint: [
                "DL3002 (flags only an explicit last `USER root`, and takes any stage's USER)",
            ],
            dockle: ["CIS-DI-0001"],
            trivy: ["DS002 (takes the last USER of any stage)"],
            checkov: ["CKV_DOCKER_3 / CKV_DOCKER_8"],
            see_also: ["AWS ECS best practices (run as non-root)"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(dockerfile) = joined.dockerfile else {
        return;
    };
    let target = dockerfile.target_stage();
    let effective = &target.effective;
    match &effective.user {
        Some(user) if user.value.is_root() => {
            let stage = &dockerfile.stages[user.stage];
            let instruction = stage
                .instructions
                .iter()
                .find(|i| i.lines == user.lines)
                .unwrap_or(&stage.from);
            let resolved = if user.value.resolved.is_empty() {
                "an empty user (root)".to_string()
            } else {
                format!("{:?}", user.value.resolved)
            };
            out.finding(
                format!(
                    "the target {} runs as root: its last USER is {resolved}",
                    target.label()
                ),
                location(dockerfile, instruction),
            )
            .with_evidence("user", user.value.resolved.clone())
            .with_evidence("written", user.value.written.clone());
        }
        Some(_) => {}
        None => match &effective.base_image {
            None => {
                out.finding(
                    format!(
                        "the target {} has no USER in it or its stage ancestry, and its chain starts FROM scratch: it runs as root",
                        target.label()
                    ),
                    location(dockerfile, &target.from),
                )
                .with_evidence("user", "root (no USER)");
            }
            Some(base) => {
                let stem = format!(
                    "the target {} has no USER in it or its stage ancestry",
                    target.label()
                );
                // The built image says what the Dockerfile cannot: with no USER in the chain, its
                // config `User` is the base image's. Only when its history does not contradict
                // this Dockerfile.
                let built = joined
                    .image
                    .filter(|_| joined.dockerfile_match.is_some_and(|m| m.describes_image()));
                let resolved = built.and_then(|image| {
                    let spec = image.config_user();
                    image
                        .resolve_user(spec)
                        .ok()
                        .map(|user| (image, spec, user))
                });
                let Some((image, spec, user)) = resolved else {
                    out.finding(
                        format!(
                            "{stem}: it runs as {}'s user, unknown here and assumed root (scan the built image too to resolve it)",
                            base.resolved
                        ),
                        location(dockerfile, &target.from),
                    )
                    .with_severity(Severity::Medium)
                    .with_evidence("user", "unknown (assumed root)")
                    .with_evidence("base_image", base.resolved.clone());
                    return;
                };
                let shown = if spec.is_empty() {
                    "no USER".to_string()
                } else {
                    format!("USER {spec:?}")
                };
                let (severity, verdict, kind) = if user.is_root() {
                    (Severity::High, "confirms it:", "root")
                } else {
                    (Severity::Info, "resolves it:", "non-root")
                };
                out.finding(
                    format!(
                        "{stem}; the scanned image {} {verdict} {shown} runs as {kind} {}",
                        image.source,
                        user.uid_gid()
                    ),
                    location(dockerfile, &target.from),
                )
                .with_severity(severity)
                .with_evidence("user", format!("{} from the built image", user.uid_gid()))
                .with_evidence("base_image", base.resolved.clone())
                .with_evidence("resolution", user.explanation());
            }
        },
    }
}
