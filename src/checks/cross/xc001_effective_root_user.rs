//! XC001 effective-root-user: the user a paired container really runs as (task definition `user`
//! over the image's USER, resolved through the image's /etc/passwd) is root.

use super::support::{container_location, effective_user_spec, for_each_pair};
use crate::checks::Emitter;
use crate::findings::Location;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::image::{ContentRequest, Image};

crate::declare_check! {
    /// ## What it does
    /// For each container definition paired with the scanned image, computes the effective user:
    /// the task definition's `user` when set (it overrides the image's `USER`), else the image
    /// config's `User` (empty means root). Names are resolved through the image's `/etc/passwd` and
    /// `/etc/group` as the runtime does. Reports the effective uid:gid and where it came from when
    /// the uid is 0. A container that runs as non-root is never reported here (XC008 says when the
    /// task definition should repeat the image's non-root user so ECS.20 passes).
    ///
    /// ## Why is this bad?
    /// ECS.20 and the image checks each see half the picture: `"user": "app"` can map to uid 0 in
    /// the image, and an image with `USER 10001` still fails ECS.20. Only the join says whether the
    /// process really runs as root, one kernel bug away from root on the host.
    ///
    /// ## Example
    /// Image `USER app` with `/etc/passwd` line `app:x:0:0::/app:/bin/sh`, container definition
    /// `{"name": "app", "image": "app:1.0"}` → runs as 0:0. Fix: a non-root passwd entry and
    /// `"user": "10001"`.
    EffectiveRootUser {
        id: "XC001",
        name: "effective-root-user",
        severity: High,
        target: Cross,
        wants: [ContentRequest::Path("/etc/passwd"), ContentRequest::Path("/etc/group")],
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.20"],
            dockle: ["CIS-DI-0001"],
            trivy: ["DS002"],
            checkov: ["CKV_DOCKER_3"],
            see_also: ["hadolint DL3002"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    for_each_pair(joined, out, check_pair);
}

fn check_pair(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    // Unknown offline (a parameter, an intrinsic): the join cannot decide.
    let Some((spec, source)) = effective_user_spec(image, container) else {
        return;
    };
    // An unresolvable user stops the container from starting: not a root finding.
    let Ok(resolved) = image.resolve_user(&spec) else {
        return;
    };
    let origin = if container.user.is_absent() {
        &container.origin
    } else {
        &container.user.origin
    };
    let location = container_location(pair, origin);
    if resolved.is_root() {
        out.finding(
            format!(
                "container {} runs as root ({}) from the {source}{}",
                container.label(),
                resolved.uid_gid(),
                if spec.is_empty() {
                    String::new()
                } else {
                    format!(" {spec:?}")
                }
            ),
            location,
        )
        .with_evidence("effective_user", resolved.uid_gid())
        .with_evidence("user_spec", spec.clone())
        .with_evidence("source", source)
        .with_evidence("resolution", resolved.explanation())
        .with_evidence("pairing", pair.reason.clone())
        .with_related(Location::image(&image.source));
    }
}
