//! XC008 image-user-not-in-task-definition: a paired container runs as the image's non-root user,
//! but its task definition sets no `user`, so ECS.20 fails for a container that is not root.

use super::support::{container_location, effective_user_spec, for_each_pair};
use crate::checks::Emitter;
use crate::findings::Location;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::image::{ContentRequest, Image};

crate::declare_check! {
    /// ## What it does
    /// For each container definition paired with the scanned image that sets no `user`, resolves
    /// the image config's `User` through the image's `/etc/passwd` and `/etc/group`. When that
    /// user is not root, reports the numeric uid (and gid) to put in the task definition.
    ///
    /// ## Why is this bad?
    /// AWS Security Hub ECS.20 reads only the task definition: without `user` it fails, even though
    /// the container runs as non-root. Setting `user` to the image's own uid makes the control pass
    /// and pins the non-root user in the task definition, so a later image that drops its `USER`
    /// still runs as non-root.
    ///
    /// ## Example
    /// Image `USER app` (uid 10001 in its `/etc/passwd`), container definition
    /// `{"name": "app", "image": "app:1.0"}`. Fix: `"user": "10001"` in the container definition.
    ImageUserNotInTaskDefinition {
        id: "XC008",
        name: "image-user-not-in-task-definition",
        severity: Info,
        target: Cross,
        wants: [ContentRequest::Path("/etc/passwd"), ContentRequest::Path("/etc/group")],
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.20"],
            see_also: ["harden XC001 (the container really runs as root)"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    for_each_pair(joined, out, check_pair);
}

fn check_pair(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    if !container.user.is_absent() {
        return;
    }
    let Some((spec, source)) = effective_user_spec(image, container) else {
        return;
    };
    let Ok(resolved) = image.resolve_user(&spec) else {
        return;
    };
    if resolved.is_root() {
        return;
    }
    out.finding(
        format!(
            "container {} runs as non-root {} from the image USER {spec:?}, but the task definition sets no `user`, so ECS.20 fails: set \"user\": \"{}\"",
            container.label(),
            resolved.uid_gid(),
            resolved.uid
        ),
        container_location(pair, &container.origin),
    )
    .with_evidence("effective_user", resolved.uid_gid())
    .with_evidence("source", source)
    .with_evidence("resolution", resolved.explanation())
    .with_evidence("pairing", pair.reason.clone())
    .with_evidence("fix", format!("\"user\": \"{}\"", resolved.uid))
    .with_related(Location::image(&image.source));
}
