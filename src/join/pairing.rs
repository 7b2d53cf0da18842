//! Pairs each evaluated ECS container definition with the scanned image: by `--container NAME`, by
//! normalized image reference (repository and tag, or digest), or as the only image and the only
//! container. Unpaired containers become notes so nothing is silently skipped (issue 5, "Pairing").

use crate::model::ecs::{Container, EcsInventory, TaskDefinition};
use crate::model::image::Image;
use crate::model::reference::Reference;

/// One container definition run from the scanned image, and why harden thinks so.
#[derive(Debug, Clone)]
pub struct Pairing<'a> {
    pub task_definition: &'a TaskDefinition,
    pub container: &'a Container,
    /// `--container app`, `reference docker.io/library/nginx:1.27`, `the only container ...`.
    pub reason: String,
}

/// The pairs, one note per pairing decision (paired or not), and the same decisions as data for
/// the report's `inputs.pairings`.
#[derive(Debug, Clone, Default)]
pub struct PairingOutcome<'a> {
    pub pairs: Vec<Pairing<'a>>,
    pub notes: Vec<String>,
    pub records: Vec<PairingRecord>,
}

/// One container definition of an evaluated task definition and whether it runs the scanned
/// image (`inputs.pairings` in the JSON report).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PairingRecord {
    /// The task-definition file and resource (`family:revision`, logical id, address).
    pub file: String,
    pub task_definition: String,
    /// The container's name (or `#N` when it has none) and its `image` as written.
    pub container: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_image: Option<String>,
    /// The scanned image (as the user named it).
    pub image: String,
    pub paired: bool,
    /// Why it was paired, or why not.
    pub reason: String,
}

/// Pairs the evaluated task definitions' containers with `image`. `container_name` is the
/// `--container` flag: when given, only that name pairs (by reference or not).
pub fn pair<'a>(
    image: Option<&Image>,
    ecs: Option<&'a EcsInventory>,
    container_name: Option<&str>,
) -> PairingOutcome<'a> {
    let mut outcome = PairingOutcome::default();
    let (Some(image), Some(ecs)) = (image, ecs) else {
        return outcome;
    };
    let containers: Vec<(&TaskDefinition, &Container)> = ecs
        .evaluated_task_definitions()
        .flat_map(|td| td.container_definitions().iter().map(move |c| (td, c)))
        .collect();
    let scanned = image
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok());
    let mut unpaired = Vec::new();
    for &(td, container) in &containers {
        let reason = match container_name {
            Some(name) => {
                (container.name.as_str() == Some(name)).then(|| format!("--container {name}"))
            }
            None => reference_match(image, scanned.as_ref(), container).map(|(reason, _)| reason),
        };
        match reason {
            Some(reason) => outcome.pairs.push(Pairing {
                task_definition: td,
                container,
                reason,
            }),
            None => unpaired.push((td, container)),
        }
    }
    if outcome.pairs.is_empty() && container_name.is_none() && containers.len() == 1 {
        let (td, container) = containers[0];
        outcome.pairs.push(Pairing {
            task_definition: td,
            container,
            reason: "the only container definition and the only image scanned (references differ or are unknown)".into(),
        });
        unpaired.clear();
    }
    if let Some(name) = container_name
        && outcome.pairs.is_empty()
    {
        outcome.notes.push(format!(
            "--container {name}: no evaluated container definition has that name"
        ));
    }
    let record =
        |td: &TaskDefinition, container: &Container, paired: bool, reason: String| PairingRecord {
            file: td.resource.file.clone(),
            task_definition: td.resource.name.clone(),
            container: container.label(),
            container_image: container.image.as_str().map(str::to_string),
            image: image.source.clone(),
            paired,
            reason,
        };
    for pair in &outcome.pairs {
        outcome.records.push(record(
            pair.task_definition,
            pair.container,
            true,
            pair.reason.clone(),
        ));
        outcome.notes.push(format!(
            "paired container {} of {} with image {}: {}",
            pair.container.label(),
            pair.task_definition.resource.name,
            image.source,
            pair.reason
        ));
    }
    for (td, container) in unpaired {
        let why = match container_name {
            Some(name) => format!("--container {name} names another container"),
            None => "its image reference names another image than the scanned one".to_string(),
        };
        outcome.records.push(record(td, container, false, why));
        outcome.notes.push(format!(
            "container {} of {} (image {}) is not paired with image {}: cross-source checks skip it (use --container NAME to pair it)",
            container.label(),
            td.resource.name,
            container.image.as_str().unwrap_or("unknown"),
            image.source
        ));
    }
    outcome
}

/// One of several images scanned in one run: the container definitions whose `image` names this
/// image (by digest, index digest or tag, or another digest of the same repository, for XC005).
/// Only the paired ones are recorded: whether a container paired with *no* image is known once
/// every image is done (the scan says so). Each image is paired on its own, so images can be
/// scanned and reported one at a time.
pub fn pair_by_reference<'a>(image: &Image, ecs: Option<&'a EcsInventory>) -> PairingOutcome<'a> {
    let mut outcome = PairingOutcome::default();
    let Some(ecs) = ecs else {
        return outcome;
    };
    let scanned = image
        .reference
        .as_deref()
        .and_then(|r| Reference::parse(r).ok());
    for td in ecs.evaluated_task_definitions() {
        for container in td.container_definitions() {
            let Some((reason, _)) = reference_match(image, scanned.as_ref(), container) else {
                continue;
            };
            outcome.notes.push(format!(
                "paired container {} of {} with image {}: {reason}",
                container.label(),
                td.resource.name,
                image.source
            ));
            outcome.records.push(PairingRecord {
                file: td.resource.file.clone(),
                task_definition: td.resource.name.clone(),
                container: container.label(),
                container_image: container.image.as_str().map(str::to_string),
                image: image.source.clone(),
                paired: true,
                reason: reason.clone(),
            });
            outcome.pairs.push(Pairing {
                task_definition: td,
                container,
                reason,
            });
        }
    }
    outcome
}

/// The reason a container's `image` names the scanned image, if it does, and whether it names it
/// exactly (by digest or tag) rather than as another digest of the same repository.
fn reference_match(
    image: &Image,
    scanned: Option<&Reference>,
    container: &Container,
) -> Option<(String, bool)> {
    let written = container.image.as_str()?;
    let wanted = Reference::parse(written).ok()?;
    let same_repository = scanned
        .is_some_and(|scanned| wanted.domain == scanned.domain && wanted.path == scanned.path);
    if let (Some(digest), Some(manifest)) = (&wanted.digest, &image.manifest_digest) {
        if digest == manifest {
            return Some((
                format!("digest {digest} is the scanned manifest digest"),
                true,
            ));
        }
        if image.index_digests.contains(digest) {
            return Some((
                format!(
                    "digest {digest} is the scanned image's index, whose {} manifest was scanned",
                    image.platform
                ),
                true,
            ));
        }
        // The same repository at another digest: still the closest image there is, paired so
        // that XC005 reports that what runs is not what was scanned.
        return same_repository.then(|| {
            (
                format!(
                    "repository {}/{} is the scanned image's, but digest {digest} is not the scanned one (see XC005)",
                    wanted.domain, wanted.path
                ),
                false,
            )
        });
    }
    (same_repository && wanted.tag.is_some() && wanted.tag == scanned?.tag).then(|| {
        (
            format!(
                "reference {written} names {}",
                image.reference.as_deref().unwrap_or_default()
            ),
            true,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const INDEX: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    const OTHER: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

    fn scanned() -> Image {
        Image {
            source: "app.tar".into(),
            reference: Some("registry.example.com/team/app:1.0".into()),
            manifest_digest: Some(DIGEST.into()),
            index_digests: vec![INDEX.into()],
            ..Image::default()
        }
    }

    fn inventory(images: &[(&str, &str)]) -> EcsInventory {
        let containers: Vec<String> = images
            .iter()
            .map(|(name, image)| format!(r#"{{"name": "{name}", "image": "{image}"}}"#))
            .collect();
        let text = format!(
            r#"{{"family": "web", "containerDefinitions": [{}]}}"#,
            containers.join(", ")
        );
        crate::load::ecs::load_text_inventory("td.json", &text).unwrap()
    }

    /// (container, paired) for every record.
    fn decisions(outcome: &PairingOutcome) -> Vec<(String, bool)> {
        outcome
            .records
            .iter()
            .map(|r| (r.container.clone(), r.paired))
            .collect()
    }

    #[test]
    fn pairs_by_reference_manifest_digest_and_index_digest_only() {
        let ecs = inventory(&[
            ("by-tag", "registry.example.com/team/app:1.0"),
            ("other-tag", "registry.example.com/team/app:2.0"),
            (
                "by-digest",
                &format!("registry.example.com/team/app@{DIGEST}"),
            ),
            (
                "by-index",
                &format!("registry.example.com/team/app@{INDEX}"),
            ),
            ("elsewhere", "docker.io/library/nginx:1.27"),
        ]);
        let image = scanned();
        let outcome = pair(Some(&image), Some(&ecs), None);
        assert_eq!(
            decisions(&outcome),
            [
                ("by-tag".to_string(), true),
                ("by-digest".to_string(), true),
                ("by-index".to_string(), true),
                ("other-tag".to_string(), false),
                ("elsewhere".to_string(), false),
            ]
        );
        let reasons: Vec<&str> = outcome.records.iter().map(|r| r.reason.as_str()).collect();
        assert!(
            reasons[1].contains("scanned manifest digest"),
            "{reasons:?}"
        );
        assert!(reasons[2].contains("index"), "{reasons:?}");
        // Unpaired containers are reported, never silently skipped.
        assert!(
            outcome
                .notes
                .iter()
                .any(|n| n.contains("elsewhere") && n.contains("not paired"))
        );
    }

    #[test]
    fn another_digest_of_the_same_repository_pairs_for_xc005() {
        let ecs = inventory(&[
            ("app", &format!("registry.example.com/team/app@{OTHER}")),
            ("sidecar", &format!("docker.io/library/nginx@{OTHER}")),
        ]);
        let image = scanned();
        let outcome = pair(Some(&image), Some(&ecs), None);
        assert_eq!(
            decisions(&outcome),
            [("app".to_string(), true), ("sidecar".to_string(), false)]
        );
        assert!(outcome.records[0].reason.contains("XC005"));
    }

    #[test]
    fn container_flag_pairs_that_name_only() {
        let ecs = inventory(&[
            ("app", "registry.example.com/team/app:1.0"),
            (
                "worker",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:7",
            ),
        ]);
        let image = scanned();
        let outcome = pair(Some(&image), Some(&ecs), Some("worker"));
        assert_eq!(
            decisions(&outcome),
            [("worker".to_string(), true), ("app".to_string(), false)]
        );
        assert_eq!(outcome.records[0].reason, "--container worker");
        let missing = pair(Some(&image), Some(&ecs), Some("db"));
        assert!(missing.pairs.is_empty());
        assert!(missing.notes[0].contains("no evaluated container definition"));
    }

    #[test]
    fn the_only_container_pairs_whatever_its_reference() {
        let ecs = inventory(&[("app", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:7")]);
        let image = scanned();
        let outcome = pair(Some(&image), Some(&ecs), None);
        assert_eq!(decisions(&outcome), [("app".to_string(), true)]);
        assert!(outcome.records[0].reason.contains("the only container"));
    }

    #[test]
    fn docker_hub_short_names_normalize() {
        let a = Reference::parse("nginx").unwrap();
        let b = Reference::parse("docker.io/library/nginx:latest").unwrap();
        assert_eq!((a.domain, a.path, a.tag), (b.domain, b.path, b.tag));
    }
}
