//! trivy's JSON report (`trivy image -f json`, `SchemaVersion` 2), as its integration tests'
//! golden files write it: `Metadata.ImageID` (the config digest), `Metadata.RepoDigests`,
//! `Results[].Vulnerabilities[]` with `VulnerabilityID`, `PkgName`, `InstalledVersion`,
//! `FixedVersion`, `Severity`, `CVSS.<source>.V3Vector` and `Layer.{Digest,DiffID}`.

use serde::Deserialize;

use super::{Entries, Items, digest, digest_of_reference, invalid};
use crate::model::vulns::{
    AttackVector, ReportedImage, Scanner, VulnSeverity, Vulnerability, VulnerabilityReport,
    image_path,
};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    schema_version: Option<u64>,
    artifact_name: Option<String>,
    metadata: Option<Metadata>,
    results: Option<Items<Result_>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    #[serde(rename = "ImageID")]
    image_id: Option<String>,
    repo_digests: Option<Items<String>>,
    repo_tags: Option<Items<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Result_ {
    vulnerabilities: Option<Items<Vuln>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Vuln {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: String,
    pkg_name: String,
    installed_version: Option<String>,
    fixed_version: Option<String>,
    pkg_path: Option<String>,
    severity: Option<String>,
    #[serde(rename = "CVSS")]
    cvss: Option<Entries<Cvss>>,
    layer: Option<Layer>,
}

#[derive(Deserialize)]
struct Cvss {
    #[serde(rename = "V3Vector")]
    v3_vector: Option<String>,
    #[serde(rename = "V40Vector")]
    v40_vector: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Layer {
    digest: Option<String>,
    #[serde(rename = "DiffID")]
    diff_id: Option<String>,
}

pub(super) fn parse(
    file: &str,
    bytes: &[u8],
) -> Result<Vec<VulnerabilityReport>, serde_json::Error> {
    let report: Report = serde_json::from_slice(bytes)?;
    if let Some(version) = report.schema_version.filter(|v| *v != 2) {
        return Err(invalid(format!(
            "SchemaVersion {version}: harden reads trivy's schema version 2 (trivy 0.20 and later)"
        )));
    }
    let metadata = report.metadata;
    let mut image = ReportedImage {
        config_digest: metadata
            .as_ref()
            .and_then(|m| m.image_id.as_deref())
            .and_then(digest),
        ..ReportedImage::default()
    };
    if let Some(metadata) = metadata {
        for reference in Items::into_vec(metadata.repo_digests) {
            if let Some(d) = digest_of_reference(&reference) {
                image.manifest_digests.push(d);
            }
            image.names.push(reference);
        }
        image.names.extend(Items::into_vec(metadata.repo_tags));
    }
    image.names.extend(report.artifact_name);
    let mut vulnerabilities = Vec::new();
    for result in Items::into_vec(report.results) {
        for vuln in Items::into_vec(result.vulnerabilities) {
            // The NVD's vector first (trivy's own preference), else any source's.
            let mut sources = vuln.cvss.map(|c| c.0).unwrap_or_default();
            sources.sort_by_key(|(source, _)| source != "nvd");
            let attack_vector = sources.iter().find_map(|(_, cvss)| {
                cvss.v3_vector
                    .as_deref()
                    .or(cvss.v40_vector.as_deref())
                    .and_then(AttackVector::from_cvss3_vector)
            });
            let layer = vuln.layer.and_then(|l| l.diff_id.or(l.digest));
            vulnerabilities.push(Vulnerability {
                id: vuln.vulnerability_id,
                severity: VulnSeverity::parse(vuln.severity.as_deref().unwrap_or_default()),
                package: vuln.pkg_name,
                installed_version: vuln.installed_version.unwrap_or_default(),
                fixed_version: vuln.fixed_version.filter(|v| !v.trim().is_empty()),
                attack_vector,
                // trivy's JSON says nothing of exploits or EPSS.
                exploit_available: None,
                epss: None,
                layer_digest: layer.as_deref().and_then(digest),
                path: vuln.pkg_path.as_deref().and_then(image_path),
                scanner: Scanner::Trivy,
            });
        }
    }
    Ok(vec![VulnerabilityReport {
        file: file.to_string(),
        scanner: Scanner::Trivy,
        image,
        vulnerabilities,
    }])
}
