//! The join stage, before the checks: pairs container definitions with the scanned image
//! ([`pairing`]) and the Dockerfile with the image by build history ([`dockerfile_match`]). The
//! checks read the result, [`Joined`]; nothing here reads or rewrites a finding.

pub mod dockerfile_match;
pub mod exposure;
pub mod pairing;
pub mod vulns;

use crate::model::dockerfile::Dockerfile;
use crate::model::ecs::EcsInventory;
use crate::model::image::Image;
use crate::model::packages::PackageInventory;
use crate::model::vulns::VulnerabilityReport;
use dockerfile_match::DockerfileMatch;
use exposure::Exposure;
use pairing::{Pairing, PairingRecord};
use vulns::ImageVulnerabilities;

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
    /// The scanned image's vulnerable packages, from the `--vulns` reports that apply to it.
    pub vulnerabilities: Option<&'a ImageVulnerabilities>,
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
    pub vulnerabilities: Option<ImageVulnerabilities>,
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
            vulnerabilities: self.vulnerabilities.as_ref(),
        }
    }
}

/// The join of one image among several scanned in one run: containers pair with the image
/// their `image` names ([`pairing::pair_by_reference`]); `dockerfile` is the Dockerfile whose
/// build history the image matched (the run decides which, see `scan::many`), if any; `vulns`
/// the `--vulns` reports matched to this image by digest.
pub fn join_one_of_many<'a>(
    image: &'a Image,
    dockerfile: Option<&'a Dockerfile>,
    ecs: Option<&'a EcsInventory>,
    vulns: VulnerabilityInputs<'a>,
) -> Join<'a> {
    let pairing = pairing::pair_by_reference(image, ecs);
    join_paired(Some(image), dockerfile, ecs, pairing, vulns)
}

/// The scanner reports (`--vulns`) and the image's package inventory, for the join.
#[derive(Debug, Clone, Copy, Default)]
pub struct VulnerabilityInputs<'a> {
    /// Reports the scan accepted: matched to the image by digest, or unverifiable (never one
    /// naming another image). Without an image, they apply to the containers naming them.
    pub reports: &'a [VulnerabilityReport],
    pub inventory: Option<&'a PackageInventory>,
}

/// Runs the join: `container` is `--container NAME`.
pub fn join<'a>(
    image: Option<&'a Image>,
    dockerfile: Option<&'a Dockerfile>,
    ecs: Option<&'a EcsInventory>,
    container: Option<&str>,
) -> Join<'a> {
    join_with(
        image,
        dockerfile,
        ecs,
        container,
        VulnerabilityInputs::default(),
    )
}

/// [`join`] with the vulnerability hand-off.
pub fn join_with<'a>(
    image: Option<&'a Image>,
    dockerfile: Option<&'a Dockerfile>,
    ecs: Option<&'a EcsInventory>,
    container: Option<&str>,
    vulns: VulnerabilityInputs<'a>,
) -> Join<'a> {
    let pairing = pairing::pair(image, ecs, container);
    join_paired(image, dockerfile, ecs, pairing, vulns)
}

/// The join once the containers are paired with the image.
fn join_paired<'a>(
    image: Option<&'a Image>,
    dockerfile: Option<&'a Dockerfile>,
    ecs: Option<&'a EcsInventory>,
    pairing: pairing::PairingOutcome<'a>,
    vulns: VulnerabilityInputs<'a>,
) -> Join<'a> {
    let mut notes = pairing.notes;
    let dockerfile_match = match (dockerfile, image) {
        (Some(dockerfile), Some(image)) => {
            let matched = dockerfile_match::match_dockerfile(dockerfile, image);
            notes.push(matched.note(&dockerfile.path, &image.source));
            Some(matched)
        }
        _ => None,
    };
    // With an image, every report given applies to it (the scan refused any naming another).
    let vulnerabilities = (image.is_some() && !vulns.reports.is_empty()).then(|| {
        let reports: Vec<&VulnerabilityReport> = vulns.reports.iter().collect();
        vulns::join_vulnerabilities(image, vulns.inventory, &reports)
    });
    // Without `--vulns`, the vulnerability traits stay "not assessed".
    let exposures = ecs
        .map(|ecs| {
            let source =
                vulns::Source::new(&pairing.pairs, vulnerabilities.as_ref(), vulns.reports);
            let source = (!vulns.reports.is_empty())
                .then_some(&source as &dyn exposure::VulnerabilitySource);
            exposure::expose(ecs, image, &pairing.pairs, source)
        })
        .unwrap_or_default();
    Join {
        image,
        exposures,
        dockerfile,
        ecs,
        pairs: pairing.pairs,
        dockerfile_match,
        vulnerabilities,
        records: pairing.records,
        notes,
    }
}
