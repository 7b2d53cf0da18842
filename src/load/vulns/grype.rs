//! grype's JSON report (`grype -o json`), as its presenter's snapshots write it:
//! `matches[].vulnerability{id, severity, fix{versions, state}, cvss[]{version, vector},
//! epss[]{epss}, knownExploited[]}`, `matches[].relatedVulnerabilities[]` (the CVE behind a
//! distro or GitHub advisory, with its CVSS), `matches[].artifact{name, version, locations[]
//! {layerID}}` and `source.target{imageID, manifestDigest, repoDigests, tags}` (a string, not an
//! object, when grype scanned a directory or an SBOM).

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Items, digest, digest_of_reference};
use crate::model::vulns::{
    AttackVector, ReportedImage, Scanner, VulnSeverity, Vulnerability, VulnerabilityReport,
    image_path,
};

#[derive(Deserialize)]
struct Report {
    matches: Option<Items<Match>>,
    source: Option<Source>,
}

#[derive(Deserialize)]
struct Match {
    vulnerability: Vuln,
    #[serde(rename = "relatedVulnerabilities")]
    related: Option<Items<Related>>,
    artifact: Artifact,
}

#[derive(Deserialize)]
struct Vuln {
    id: String,
    severity: Option<String>,
    fix: Option<Fix>,
    cvss: Option<Items<Cvss>>,
    epss: Option<Items<Epss>>,
    #[serde(rename = "knownExploited")]
    known_exploited: Option<Items<de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Related {
    cvss: Option<Items<Cvss>>,
    epss: Option<Items<Epss>>,
    #[serde(rename = "knownExploited")]
    known_exploited: Option<Items<de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Fix {
    versions: Option<Items<String>>,
}

#[derive(Deserialize)]
struct Cvss {
    vector: Option<String>,
}

#[derive(Deserialize)]
struct Epss {
    epss: Option<f64>,
}

#[derive(Deserialize)]
struct Artifact {
    name: String,
    version: Option<String>,
    locations: Option<Items<Location>>,
}

#[derive(Deserialize)]
struct Location {
    path: Option<String>,
    #[serde(rename = "layerID")]
    layer_id: Option<String>,
}

#[derive(Deserialize)]
struct Source {
    target: Option<Target>,
}

/// `source.target`: an object for an image, a string (a path) otherwise.
struct Target(Option<ImageTarget>);

#[derive(Deserialize)]
struct ImageTarget {
    #[serde(rename = "userInput")]
    user_input: Option<String>,
    #[serde(rename = "imageID")]
    image_id: Option<String>,
    #[serde(rename = "manifestDigest")]
    manifest_digest: Option<String>,
    #[serde(rename = "repoDigests")]
    repo_digests: Option<Items<String>>,
    tags: Option<Items<String>>,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Target;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object or a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Target, E> {
                Ok(Target(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Target, E> {
                Ok(Target(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Target, A::Error> {
                ImageTarget::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| Target(Some(t)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn attack_vector(cvss: &[Cvss]) -> Option<AttackVector> {
    cvss.iter().find_map(|c| {
        c.vector
            .as_deref()
            .and_then(AttackVector::from_cvss3_vector)
    })
}

fn highest_epss(epss: &[Epss]) -> Option<f64> {
    epss.iter()
        .filter_map(|e| e.epss)
        .filter(|e| e.is_finite())
        .reduce(f64::max)
}

pub(super) fn parse(
    file: &str,
    bytes: &[u8],
) -> Result<Vec<VulnerabilityReport>, serde_json::Error> {
    let report: Report = serde_json::from_slice(bytes)?;
    let mut image = ReportedImage::default();
    if let Some(target) = report.source.and_then(|s| s.target).and_then(|t| t.0) {
        image.config_digest = target.image_id.as_deref().and_then(digest);
        image
            .manifest_digests
            .extend(target.manifest_digest.as_deref().and_then(digest));
        for reference in Items::into_vec(target.repo_digests) {
            image
                .manifest_digests
                .extend(digest_of_reference(&reference));
            image.names.push(reference);
        }
        image.names.extend(Items::into_vec(target.tags));
        image.names.extend(target.user_input);
    }
    image.manifest_digests.dedup();
    let mut vulnerabilities = Vec::new();
    for found in Items::into_vec(report.matches) {
        let vuln = found.vulnerability;
        let related = Items::into_vec(found.related);
        let own_cvss = Items::into_vec(vuln.cvss);
        // An advisory (GHSA, a distro's) often carries no CVSS of its own: its CVE does.
        let attack_vector = attack_vector(&own_cvss).or_else(|| {
            related
                .iter()
                .find_map(|r| r.cvss.as_ref().and_then(|c| attack_vector(&c.0)))
        });
        let epss = highest_epss(&Items::into_vec(vuln.epss)).or_else(|| {
            related
                .iter()
                .filter_map(|r| r.epss.as_ref().and_then(|e| highest_epss(&e.0)))
                .reduce(f64::max)
        });
        let known_exploited = vuln.known_exploited.is_some_and(|k| !k.0.is_empty())
            || related
                .iter()
                .any(|r| r.known_exploited.as_ref().is_some_and(|k| !k.0.is_empty()));
        let fixed: Vec<String> = vuln
            .fix
            .map(|f| Items::into_vec(f.versions))
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .collect();
        let locations = Items::into_vec(found.artifact.locations);
        let layer = locations
            .iter()
            .find_map(|l| l.layer_id.as_deref().and_then(digest));
        let path = locations
            .iter()
            .find_map(|l| l.path.as_deref().and_then(image_path));
        vulnerabilities.push(Vulnerability {
            id: vuln.id,
            severity: VulnSeverity::parse(vuln.severity.as_deref().unwrap_or_default()),
            package: found.artifact.name,
            installed_version: found.artifact.version.unwrap_or_default(),
            fixed_version: (!fixed.is_empty()).then(|| fixed.join(", ")),
            attack_vector,
            // grype lists CISA's Known Exploited Vulnerabilities; absence is not "no exploit".
            exploit_available: known_exploited.then_some(true),
            epss,
            layer_digest: layer,
            path,
            scanner: Scanner::Grype,
        });
    }
    Ok(vec![VulnerabilityReport {
        file: file.to_string(),
        scanner: Scanner::Grype,
        image,
        vulnerabilities,
    }])
}
