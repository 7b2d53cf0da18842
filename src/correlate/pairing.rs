//! Pairs each evaluated ECS container definition with the scanned image: by `--container NAME`, by
//! normalized image reference (repository and tag, or digest), or as the only image and the only
//! container. Unpaired containers become notes so nothing is silently skipped (issue 5, "Pairing").

use crate::load::registry::reference::Reference;
use crate::model::ecs::{Container, EcsInventory, TaskDefinition};
use crate::model::image::Image;

/// One container definition run from the scanned image, and why harden thinks so.
#[derive(Debug, Clone)]
pub struct Pairing<'a> {
    pub task_definition: &'a TaskDefinition,
    pub container: &'a Container,
    /// `--container app`, `reference docker.io/library/nginx:1.27`, `the only container ...`.
    pub reason: String,
}

/// The pairs and one note per pairing decision (paired or not), for the report.
#[derive(Debug, Clone, Default)]
pub struct PairingOutcome<'a> {
    pub pairs: Vec<Pairing<'a>>,
    pub notes: Vec<String>,
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
            None => reference_match(image, scanned.as_ref(), container),
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
    for pair in &outcome.pairs {
        outcome.notes.push(format!(
            "paired container {} of {} with image {}: {}",
            pair.container.label(),
            pair.task_definition.resource.name,
            image.source,
            pair.reason
        ));
    }
    for (td, container) in unpaired {
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

/// The reason a container's `image` names the scanned image, if it does.
fn reference_match(
    image: &Image,
    scanned: Option<&Reference>,
    container: &Container,
) -> Option<String> {
    let written = container.image.as_str()?;
    let wanted = Reference::parse(written).ok()?;
    let same_repository = scanned
        .is_some_and(|scanned| wanted.domain == scanned.domain && wanted.path == scanned.path);
    if let (Some(digest), Some(manifest)) = (&wanted.digest, &image.manifest_digest) {
        if digest == manifest {
            return Some(format!("digest {digest} is the scanned manifest digest"));
        }
        if image.index_digests.contains(digest) {
            return Some(format!(
                "digest {digest} is the scanned image's index, whose {} manifest was scanned",
                image.platform
            ));
        }
        // The same repository at another digest: still the closest image there is, paired so
        // that XC005 reports that what runs is not what was scanned.
        return same_repository.then(|| {
            format!(
                "repository {}/{} is the scanned image's, but digest {digest} is not the scanned one (see XC005)",
                wanted.domain, wanted.path
            )
        });
    }
    (same_repository && wanted.tag.is_some() && wanted.tag == scanned?.tag).then(|| {
        format!(
            "reference {written} names {}",
            image.reference.as_deref().unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_short_names_normalize() {
        let a = Reference::parse("nginx").unwrap();
        let b = Reference::parse("docker.io/library/nginx:latest").unwrap();
        assert_eq!((a.domain, a.path, a.tag), (b.domain, b.path, b.tag));
    }
}
