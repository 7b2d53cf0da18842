//! The vulnerability hand-off (`--vulns`): each scanner report matched to the scanned image by
//! digest, its vulnerabilities grouped by package and joined to the package inventory (so each
//! vulnerable package points at the layer that installed it, and that layer's history step), and
//! the [`VulnerabilitySource`] the exposure join asks about each container.
//!
//! A report whose digests name another image is refused by the scan (see [`match_report`]); a
//! report that names no digest the image can be checked against is used, with a note saying so.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::join::exposure::{VulnerabilityAssessment, VulnerabilitySource};
use crate::join::pairing::Pairing;
use crate::model::image::Image;
use crate::model::packages::{Package, PackageInventory};
use crate::model::vulns::{
    AttackVector, ReportedImage, Scanner, VulnSeverity, Vulnerability, VulnerabilityReport,
};

/// How a report relates to the scanned image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportMatch {
    /// A digest the report names is the image's (`config digest sha256:…`).
    Matched(String),
    /// The report names no digest this image can be compared with; why.
    Unverified(String),
    /// The report's digests are another image's; what each side says.
    Mismatch(String),
}

fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

/// Compares the digests a report names with the image's: the config digest (trivy `ImageID`,
/// grype `imageID`) and the manifest digests (grype `manifestDigest`, repo digests, ECR
/// `imageDigest`) with the image's manifest and the indexes that led to it.
pub fn match_report(image: &Image, reported: &ReportedImage) -> ReportMatch {
    if reported.config_digest.as_deref() == Some(image.config_digest.as_str()) {
        return ReportMatch::Matched(format!("config digest {}", short(&image.config_digest)));
    }
    let image_manifests: Vec<&str> = image
        .manifest_digest
        .iter()
        .chain(&image.index_digests)
        .map(String::as_str)
        .collect();
    if let Some(found) = reported
        .manifest_digests
        .iter()
        .find(|d| image_manifests.contains(&d.as_str()))
    {
        return ReportMatch::Matched(format!("manifest digest {}", short(found)));
    }
    if let Some(config) = &reported.config_digest {
        return ReportMatch::Mismatch(format!(
            "the report is for the image with config digest {config}, the scanned image's is {}",
            image.config_digest
        ));
    }
    if let Some(reported_manifest) = reported.manifest_digests.first() {
        return match image_manifests.first() {
            Some(own) => ReportMatch::Mismatch(format!(
                "the report is for the image with manifest digest {reported_manifest}, the scanned image's is {own}"
            )),
            None => ReportMatch::Unverified(format!(
                "it names only the manifest digest {}, which this image input does not have (a docker-archive has none); scan the registry image, docker://REPOSITORY@{}, to have it checked",
                short(reported_manifest),
                reported_manifest
            )),
        };
    }
    ReportMatch::Unverified("it names no digest of the image it scanned".into())
}

/// One package with the vulnerabilities every report found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnerablePackage {
    pub name: String,
    /// The installed version, as the scanner writes it.
    pub version: String,
    /// The layer (0-based, bottom first) that installed it, when known.
    pub layer: Option<usize>,
    /// Where the layer came from: `package inventory` (the image's own package database) or
    /// `scanner` (the layer digest the report names).
    pub layer_from: Option<&'static str>,
    /// Where it is inside the image: the package database that lists it (from the inventory),
    /// else the file the scanner found it in (a jar, a lockfile).
    pub database: Option<String>,
    /// Its vulnerabilities, one per ID (merged across reports), most severe first.
    pub vulnerabilities: Vec<Vulnerability>,
    pub scanners: Vec<Scanner>,
}

impl VulnerablePackage {
    pub fn severity(&self) -> VulnSeverity {
        self.vulnerabilities
            .iter()
            .map(|v| v.severity)
            .max()
            .unwrap_or(VulnSeverity::Unknown)
    }
}

/// What the reports that apply to the scanned image say, by package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageVulnerabilities {
    /// The reports used: file and scanner.
    pub reports: Vec<(String, Scanner)>,
    /// Sorted by name and version.
    pub packages: Vec<VulnerablePackage>,
}

impl ImageVulnerabilities {
    /// Every vulnerability, each package's in turn.
    pub fn all(&self) -> impl Iterator<Item = &Vulnerability> {
        self.packages.iter().flat_map(|p| p.vulnerabilities.iter())
    }
}

/// Merges `from` into `into` (the same ID in the same package from another report): the higher
/// severity, any known exploit, the higher EPSS, the first known vector and fixed version.
fn merge(into: &mut Vulnerability, from: &Vulnerability) {
    into.severity = into.severity.max(from.severity);
    // None < Some(false) < Some(true): what one scanner knows wins over silence.
    into.exploit_available = into.exploit_available.max(from.exploit_available);
    into.epss = match (into.epss, from.epss) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if into.attack_vector.is_none() {
        into.attack_vector = from.attack_vector;
    }
    if into.fixed_version.is_none() {
        into.fixed_version.clone_from(&from.fixed_version);
    }
    if into.layer_digest.is_none() {
        into.layer_digest.clone_from(&from.layer_digest);
    }
    if into.path.is_none() {
        into.path.clone_from(&from.path);
    }
}

/// Groups the reports' vulnerabilities by package and finds the layer of each package: the
/// inventory's (name and version, else name alone when the inventory lists it once), else the
/// layer whose diff ID or blob digest the scanner named.
pub fn join_vulnerabilities(
    image: Option<&Image>,
    inventory: Option<&PackageInventory>,
    reports: &[&VulnerabilityReport],
) -> ImageVulnerabilities {
    let mut by_package: BTreeMap<(String, String), VulnerablePackage> = BTreeMap::new();
    // ID → index in the package's list, so merging stays linear in the number of entries.
    let mut index: HashMap<(String, String, String), usize> = HashMap::new();
    for report in reports {
        for vuln in &report.vulnerabilities {
            let key = (vuln.package.clone(), vuln.installed_version.clone());
            let package = by_package
                .entry(key.clone())
                .or_insert_with(|| VulnerablePackage {
                    name: vuln.package.clone(),
                    version: vuln.installed_version.clone(),
                    layer: None,
                    layer_from: None,
                    database: None,
                    vulnerabilities: Vec::new(),
                    scanners: Vec::new(),
                });
            if !package.scanners.contains(&report.scanner) {
                package.scanners.push(report.scanner);
            }
            let id_key = (key.0, key.1, vuln.id.clone());
            match index.get(&id_key) {
                Some(&at) => merge(&mut package.vulnerabilities[at], vuln),
                None => {
                    index.insert(id_key, package.vulnerabilities.len());
                    package.vulnerabilities.push(vuln.clone());
                }
            }
        }
    }
    // Indexes, so the join stays linear in the report's and the inventory's sizes.
    let mut by_name: HashMap<&str, Vec<&Package>> = HashMap::new();
    for listed in inventory.map(|i| i.packages.as_slice()).unwrap_or_default() {
        by_name
            .entry(listed.name.as_str())
            .or_default()
            .push(listed);
    }
    let mut layer_of: HashMap<&str, usize> = HashMap::new();
    for (index, layer) in image
        .map(|i| i.layers.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        layer_of.entry(layer.diff_id.as_str()).or_insert(index);
        layer_of.entry(layer.digest.as_str()).or_insert(index);
    }
    let mut packages: Vec<VulnerablePackage> = by_package.into_values().collect();
    for package in &mut packages {
        package
            .vulnerabilities
            .sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        let same_name = by_name
            .get(package.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let listed = same_name
            .iter()
            .find(|p| p.version == package.version)
            .or_else(|| (same_name.len() == 1).then(|| &same_name[0]));
        if let Some(listed) = listed {
            package.layer = Some(listed.layer);
            package.layer_from = Some("package inventory");
            package.database = Some(listed.database.clone());
            continue;
        }
        let layer = package
            .vulnerabilities
            .iter()
            .filter_map(|v| v.layer_digest.as_deref())
            .find_map(|digest| layer_of.get(digest).copied());
        if let Some(layer) = layer {
            package.layer = Some(layer);
            package.layer_from = Some("scanner");
        }
        package.database = package.vulnerabilities.iter().find_map(|v| v.path.clone());
    }
    ImageVulnerabilities {
        reports: reports
            .iter()
            .map(|r| (r.file.clone(), r.scanner))
            .collect(),
        packages,
    }
}

/// How many vulnerability IDs an exposure trait names before "and N more".
const LISTED: usize = 10;

/// The assessment of a set of vulnerabilities for the exposure traits: network-exploitable ones
/// (CVSS `AV:N` and likely exploited: [`Vulnerability::likely_exploited`]) apart from the rest.
pub fn assess<'a>(vulns: impl Iterator<Item = &'a Vulnerability>) -> VulnerabilityAssessment {
    let mut network: Vec<&Vulnerability> = Vec::new();
    let mut other: Vec<&Vulnerability> = Vec::new();
    for vuln in vulns {
        if vuln.attack_vector == Some(AttackVector::Network) && vuln.likely_exploited().is_some() {
            network.push(vuln);
        } else {
            other.push(vuln);
        }
    }
    let list = |mut vulns: Vec<&Vulnerability>| -> Vec<String> {
        vulns.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        let mut seen: HashSet<&str> = HashSet::new();
        let mut ids: Vec<String> = Vec::new();
        for vuln in vulns {
            if seen.insert(vuln.id.as_str()) {
                ids.push(vuln.id.clone());
            }
        }
        if ids.len() > LISTED {
            let more = ids.len() - LISTED;
            ids.truncate(LISTED);
            ids.push(format!("and {more} more"));
        }
        ids
    };
    VulnerabilityAssessment {
        network_exploitable: list(network),
        other: list(other),
    }
}

/// Whether a container's image reference names the image a report scanned: the digest after
/// `@` is one of the report's manifest digests, or the reference is (or ends with `/` and) one
/// of the names the report gives (`repo:tag`).
pub fn reference_names(reference: &str, reported: &ReportedImage) -> bool {
    if let Some((_, digest)) = reference.rsplit_once('@')
        && reported.manifest_digests.iter().any(|d| d == digest)
    {
        return true;
    }
    reported.names.iter().any(|name| {
        !name.is_empty()
            && (reference == name
                || reference
                    .strip_suffix(name.as_str())
                    .is_some_and(|head| head.ends_with('/')))
    })
}

/// The exposure join's view of the reports: a container paired with the scanned image gets the
/// image's vulnerabilities; any other container, those of the reports naming its image. Each
/// assessment is computed once (per set of reports), whatever the number of containers.
pub struct Source<'a> {
    paired_images: HashSet<&'a str>,
    image: Option<VulnerabilityAssessment>,
    reports: &'a [VulnerabilityReport],
    by_reports: std::cell::RefCell<HashMap<Vec<usize>, VulnerabilityAssessment>>,
}

impl<'a> Source<'a> {
    pub fn new(
        pairs: &[Pairing<'a>],
        image: Option<&ImageVulnerabilities>,
        reports: &'a [VulnerabilityReport],
    ) -> Source<'a> {
        Source {
            paired_images: pairs
                .iter()
                .filter_map(|p| p.container.image.as_str())
                .collect(),
            image: image.map(|found| assess(found.all())),
            reports,
            by_reports: Default::default(),
        }
    }
}

impl VulnerabilitySource for Source<'_> {
    fn assess(&self, image: &str) -> Option<VulnerabilityAssessment> {
        if let Some(found) = &self.image
            && self.paired_images.contains(image)
        {
            return Some(found.clone());
        }
        let naming: Vec<usize> = self
            .reports
            .iter()
            .enumerate()
            .filter(|(_, r)| reference_names(image, &r.image))
            .map(|(i, _)| i)
            .collect();
        if naming.is_empty() {
            return None;
        }
        let mut cache = self.by_reports.borrow_mut();
        let found = cache.entry(naming).or_insert_with_key(|naming| {
            assess(
                naming
                    .iter()
                    .flat_map(|&i| self.reports[i].vulnerabilities.iter()),
            )
        });
        Some(found.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Image {
        Image {
            config_digest: format!("sha256:{}", "c".repeat(64)),
            manifest_digest: Some(format!("sha256:{}", "d".repeat(64))),
            ..Image::default()
        }
    }

    #[test]
    fn digests_decide_the_match() {
        let image = image();
        let same_config = ReportedImage {
            config_digest: Some(image.config_digest.clone()),
            ..ReportedImage::default()
        };
        assert!(matches!(
            match_report(&image, &same_config),
            ReportMatch::Matched(_)
        ));
        let same_manifest = ReportedImage {
            manifest_digests: vec![image.manifest_digest.clone().unwrap()],
            ..ReportedImage::default()
        };
        assert!(matches!(
            match_report(&image, &same_manifest),
            ReportMatch::Matched(_)
        ));
        let other = ReportedImage {
            config_digest: Some(format!("sha256:{}", "e".repeat(64))),
            ..ReportedImage::default()
        };
        assert!(matches!(
            match_report(&image, &other),
            ReportMatch::Mismatch(_)
        ));
        let other_manifest = ReportedImage {
            manifest_digests: vec![format!("sha256:{}", "e".repeat(64))],
            ..ReportedImage::default()
        };
        assert!(matches!(
            match_report(&image, &other_manifest),
            ReportMatch::Mismatch(_)
        ));
        // A docker-archive has no manifest digest: a manifest-only report cannot be checked.
        let archive = Image {
            manifest_digest: None,
            ..image.clone()
        };
        assert!(matches!(
            match_report(&archive, &other_manifest),
            ReportMatch::Unverified(_)
        ));
        assert!(matches!(
            match_report(&image, &ReportedImage::default()),
            ReportMatch::Unverified(_)
        ));
    }

    #[test]
    fn references_name_reports_by_digest_or_name() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let reported = ReportedImage {
            manifest_digests: vec![digest.clone()],
            names: vec!["web:1.2".into()],
            ..ReportedImage::default()
        };
        assert!(reference_names(&format!("x/web@{digest}"), &reported));
        assert!(reference_names(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.2",
            &reported
        ));
        assert!(reference_names("web:1.2", &reported));
        assert!(!reference_names("myweb:1.2", &reported));
        assert!(!reference_names("web:1.3", &reported));
    }
}
