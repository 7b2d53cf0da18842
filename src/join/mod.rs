//! The join stage, before the checks: pairs container definitions with the scanned image
//! ([`pairing`]) and the Dockerfile with the image by build history ([`dockerfile_match`]). The
//! checks read the result, [`Joined`]; nothing here reads or rewrites a finding.

pub mod dockerfile_match;
pub mod exposure;
pub mod pairing;

use crate::model::dockerfile::Dockerfile;
use crate::model::ecs::EcsInventory;
use crate::model::image::Image;
use dockerfile_match::DockerfileMatch;
use exposure::Exposure;
use pairing::{Pairing, PairingRecord};

/// Everything one scan read, and how the inputs relate, for the checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Joined<'a> {
    pub image: Option<&'a Image>,
    pub dockerfile: Option<&'a Dockerfile>,
    pub ecs: Option<&'a EcsInventory>,
    /// Container definitions paired with `image` (see [`pairing`]).
    pub pairs: &'a [Pairing<'a>],
    /// Whether the Dockerfile built the image, when both were given.
    pub dockerfile_match: Option<&'a DockerfileMatch>,
    /// Each ECS service linked to its stack, with its exposure traits (see [`exposure`]).
    pub exposures: &'a [Exposure<'a>],
}

/// What the join stage decided, owned; [`Join::joined`] lends it to the checks.
#[derive(Debug, Default)]
pub struct Join<'a> {
    pub image: Option<&'a Image>,
    pub dockerfile: Option<&'a Dockerfile>,
    pub ecs: Option<&'a EcsInventory>,
    pub pairs: Vec<Pairing<'a>>,
    pub dockerfile_match: Option<DockerfileMatch>,
    pub exposures: Vec<Exposure<'a>>,
    /// Which container was paired with the image and why, and which were not.
    pub records: Vec<PairingRecord>,
    /// One line per decision, for the report's notes: pairing first, then the Dockerfile match.
    pub notes: Vec<String>,
}

impl<'a> Join<'a> {
    pub fn joined(&'a self) -> Joined<'a> {
        Joined {
            image: self.image,
            dockerfile: self.dockerfile,
            ecs: self.ecs,
            pairs: &self.pairs,
            dockerfile_match: self.dockerfile_match.as_ref(),
            exposures: &self.exposures,
        }
    }
}

/// The join of one image among several scanned in one run ([`pairing::pair_by_reference`]), with
/// the task definitions and no Dockerfile (the Dockerfile is checked once, on its own).
pub fn join_one_of_many<'a>(image: &'a Image, ecs: Option<&'a EcsInventory>) -> Join<'a> {
    let pairing = pairing::pair_by_reference(image, ecs);
    let exposures = ecs
        .map(|ecs| exposure::expose(ecs, Some(image), &pairing.pairs, None))
        .unwrap_or_default();
    Join {
        image: Some(image),
        exposures,
        dockerfile: None,
        ecs,
        pairs: pairing.pairs,
        dockerfile_match: None,
        records: pairing.records,
        notes: pairing.notes,
    }
}

/// Runs the join: `container` is `--container NAME`.
pub fn join<'a>(
    image: Option<&'a Image>,
    dockerfile: Option<&'a Dockerfile>,
    ecs: Option<&'a EcsInventory>,
    container: Option<&str>,
) -> Join<'a> {
    let pairing = pairing::pair(image, ecs, container);
    let mut notes = pairing.notes;
    let dockerfile_match = match (dockerfile, image) {
        (Some(dockerfile), Some(image)) => {
            let matched = dockerfile_match::match_dockerfile(dockerfile, image);
            notes.push(matched.note(&dockerfile.path, &image.source));
            Some(matched)
        }
        _ => None,
    };
    // No vulnerability source yet: the vulnerability traits are "not assessed" until the
    // vulnerability hand-off (`--vulns`) passes one here.
    let exposures = ecs
        .map(|ecs| exposure::expose(ecs, image, &pairing.pairs, None))
        .unwrap_or_default();
    Join {
        image,
        exposures,
        dockerfile,
        ecs,
        pairs: pairing.pairs,
        dockerfile_match,
        records: pairing.records,
        notes,
    }
}
