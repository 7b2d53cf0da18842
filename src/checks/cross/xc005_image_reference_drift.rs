//! XC005 image-reference-drift: the task definition runs the image by a mutable tag while the
//! scanned image has a digest, or pins a digest that is not the scanned image's.

use super::support::{container_location, for_each_pair};
use crate::checks::Emitter;
use crate::findings::{Location, Severity};
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::image::Image;
use crate::model::reference::Reference;

crate::declare_check! {
    /// ## What it does
    /// Reports a container that runs the scanned image by a mutable tag while the image has a
    /// digest, or that pins another digest than the scanned one.
    ///
    /// For each container definition paired with the scanned image, reads its `image`:
    /// - pinned to a digest that is neither the scanned manifest's nor one of the indexes that
    ///   lead to it (a multi-platform tag's digest): what runs is not what was scanned (medium);
    /// - a tag only (`app:1.0`, or no tag at all, which means `latest`), while the scanned image
    ///   has a manifest digest: the tag can move after the scan (low). The finding gives the
    ///   reference to use, `repository@sha256:...`.
    ///
    /// A scanned image without a manifest digest (a `docker save` archive of the classic layout)
    /// gives nothing to pin to, so a tag is not reported then.
    ///
    /// ## Why is this bad?
    /// The report vouches for one image. A tag is a pointer anyone with push rights can move: ECS
    /// resolves it to a digest when a deployment starts (and `RunTask` on each call), so the
    /// next deployment or scale-out may run an image nobody scanned. A pinned digest that
    /// differs from the scanned one means this report describes another build.
    ///
    /// ## Example
    /// Scanned `registry.example.com/app:1.0` with manifest digest `sha256:4f...`, container
    /// `{"image": "registry.example.com/app:1.0"}`. Fix: `"image":
    /// "registry.example.com/app@sha256:4f..."` (or `app:1.0@sha256:4f...`, where the tag is
    /// only a label).
    ImageReferenceDrift {
        id: "XC005",
        name: "image-reference-drift",
        severity: Medium,
        target: Cross,
        references: {
            cis: ["4.2 (trusted base images)"],
            see_also: [
                "AWS ECS best practices, \"Use immutable tags / image digests\"",
                "ECR image tag immutability",
                "hadolint DL3007 (`latest`, Dockerfile side)",
            ],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    for_each_pair(joined, out, check_pair);
}

fn check_pair(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    let Some(written) = container.image.as_str() else {
        return;
    };
    let Ok(wanted) = Reference::parse(written) else {
        return;
    };
    let Some(manifest) = &image.manifest_digest else {
        return;
    };
    let location = container_location(pair, &container.image.origin);
    let repository = format!("{}/{}", wanted.domain, wanted.path);
    match &wanted.digest {
        Some(digest) if digest != manifest && !image.index_digests.contains(digest) => {
            out.finding(
                format!(
                    "container {} runs {written}, but the scanned image is {manifest}: this report describes another build than the one that runs",
                    container.label()
                ),
                location,
            )
            .with_evidence("task_definition_digest", digest.clone())
            .with_evidence("scanned_digest", manifest.clone())
            .with_evidence("pairing", pair.reason.clone())
            .with_related(Location::image(&image.source));
        }
        Some(_) => {}
        None => {
            let tag = wanted.tag.as_deref().unwrap_or("latest");
            let how = if written.ends_with(&format!(":{tag}")) {
                format!("by the mutable tag {tag}")
            } else {
                "without a tag, so by the mutable tag latest".to_string()
            };
            let pinned = pinned_reference(written, manifest);
            out.finding(
                format!(
                    "container {} runs {written} {how}: the tag can move after this scan; pin the scanned digest: \"image\": \"{pinned}\"",
                    container.label()
                ),
                location,
            )
            .with_severity(Severity::Low)
            .with_evidence("tag", tag.to_string())
            .with_evidence("repository", repository)
            .with_evidence("scanned_digest", manifest.clone())
            .with_evidence("pinned_reference", pinned)
            .with_evidence("pairing", pair.reason.clone())
            .with_related(Location::image(&image.source));
        }
    }
}

/// `written` with its tag replaced by `@digest`, as the user wrote the repository (`app:1.0` →
/// `app@sha256:...`; a registry port stays).
fn pinned_reference(written: &str, digest: &str) -> String {
    let last_slash = written.rfind('/').map_or(0, |i| i + 1);
    let name = match written[last_slash..].rfind(':') {
        Some(colon) => &written[..last_slash + colon],
        None => written,
    };
    format!("{name}@{digest}")
}

#[cfg(test)]
mod tests {
    use super::pinned_reference;

    #[test]
    fn the_tag_is_replaced_and_a_registry_port_kept() {
        let d = "sha256:abc";
        assert_eq!(pinned_reference("app:1.0", d), "app@sha256:abc");
        assert_eq!(pinned_reference("nginx", d), "nginx@sha256:abc");
        assert_eq!(
            pinned_reference("localhost:5000/team/app:2", d),
            "localhost:5000/team/app@sha256:abc"
        );
        assert_eq!(
            pinned_reference("localhost:5000/team/app", d),
            "localhost:5000/team/app@sha256:abc"
        );
    }
}
