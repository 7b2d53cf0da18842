//! The AWS CLI's `aws ecr describe-image-scan-findings` output (the API's
//! `DescribeImageScanFindingsResponse`, botocore's `ecr/2015-09-21/service-2.json`): `imageId
//! {imageDigest, imageTag}`, `repositoryName`, and `imageScanFindings` with basic scanning's
//! `findings[]{name, severity, attributes[]{key, value}}` (keys `package_name`,
//! `package_version`, `CVSS3_VECTOR`...) and enhanced scanning's `enhancedFindings[]{severity,
//! exploitAvailable, fixAvailable, packageVulnerabilityDetails{vulnerabilityId, cvss[]
//! {scoringVector, version}, vulnerablePackages[]{name, epoch, version, release,
//! fixedInVersion, sourceLayerHash}}}`. The ECR API has no EPSS field; Amazon Inspector's own
//! findings carry `epss.score`, which is read when present.

use serde::Deserialize;

use super::{Items, digest};
use crate::model::vulns::{
    AttackVector, ReportedImage, Scanner, VulnSeverity, Vulnerability, VulnerabilityReport,
    image_path,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    repository_name: Option<String>,
    image_id: Option<ImageId>,
    image_scan_findings: Option<Findings>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageId {
    image_digest: Option<String>,
    image_tag: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Findings {
    findings: Option<Items<Basic>>,
    enhanced_findings: Option<Items<Enhanced>>,
}

#[derive(Deserialize)]
struct Basic {
    name: Option<String>,
    severity: Option<String>,
    attributes: Option<Items<Attribute>>,
}

#[derive(Deserialize)]
struct Attribute {
    key: String,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Enhanced {
    severity: Option<String>,
    exploit_available: Option<String>,
    package_vulnerability_details: Option<Details>,
    epss: Option<Epss>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Details {
    vulnerability_id: Option<String>,
    cvss: Option<Items<Cvss>>,
    vulnerable_packages: Option<Items<Package>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cvss {
    scoring_vector: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    name: Option<String>,
    epoch: Option<i64>,
    version: Option<String>,
    release: Option<String>,
    fixed_in_version: Option<String>,
    source_layer_hash: Option<String>,
    file_path: Option<String>,
}

#[derive(Deserialize)]
struct Epss {
    score: Option<f64>,
}

/// `[epoch:]version[-release]`, as dpkg and rpm write a version (and apk `1.1.1d-r2`).
fn full_version(package: &Package) -> String {
    let mut text = String::new();
    if let Some(epoch) = package.epoch.filter(|e| *e > 0) {
        text.push_str(&format!("{epoch}:"));
    }
    text.push_str(package.version.as_deref().unwrap_or_default());
    if let Some(release) = package.release.as_deref().filter(|r| !r.is_empty()) {
        text.push('-');
        text.push_str(release);
    }
    text
}

pub(super) fn parse(
    file: &str,
    bytes: &[u8],
) -> Result<Vec<VulnerabilityReport>, serde_json::Error> {
    let response: Response = serde_json::from_slice(bytes)?;
    let mut image = ReportedImage::default();
    if let Some(id) = &response.image_id {
        if let Some(d) = id.image_digest.as_deref().and_then(digest) {
            image.manifest_digests.push(d.clone());
            if let Some(repository) = &response.repository_name {
                image.names.push(format!("{repository}@{d}"));
            }
        }
        if let (Some(repository), Some(tag)) = (&response.repository_name, &id.image_tag) {
            image.names.push(format!("{repository}:{tag}"));
        }
    }
    let findings = response.image_scan_findings;
    let (basic, enhanced) = findings
        .map(|f| {
            (
                Items::into_vec(f.findings),
                Items::into_vec(f.enhanced_findings),
            )
        })
        .unwrap_or_default();
    let mut reports = Vec::new();
    if !basic.is_empty() || enhanced.is_empty() {
        let vulnerabilities = basic
            .into_iter()
            .map(|finding| {
                let attributes = Items::into_vec(finding.attributes);
                let attribute = |key: &str| {
                    attributes
                        .iter()
                        .find(|a| a.key == key)
                        .and_then(|a| a.value.clone())
                };
                Vulnerability {
                    id: finding.name.unwrap_or_default(),
                    severity: VulnSeverity::parse(finding.severity.as_deref().unwrap_or_default()),
                    package: attribute("package_name").unwrap_or_default(),
                    installed_version: attribute("package_version").unwrap_or_default(),
                    // Basic scanning names no fixed version.
                    fixed_version: None,
                    attack_vector: attribute("CVSS3_VECTOR")
                        .as_deref()
                        .and_then(AttackVector::from_cvss3_vector),
                    exploit_available: None,
                    epss: None,
                    layer_digest: None,
                    path: None,
                    scanner: Scanner::EcrBasic,
                }
            })
            .collect();
        reports.push(VulnerabilityReport {
            file: file.to_string(),
            scanner: Scanner::EcrBasic,
            image: image.clone(),
            vulnerabilities,
        });
    }
    if !enhanced.is_empty() {
        let mut vulnerabilities = Vec::new();
        for finding in enhanced {
            let Some(details) = finding.package_vulnerability_details else {
                continue;
            };
            let cvss = Items::into_vec(details.cvss);
            // Version 3.x first: a v2 vector has no comparable attack vector.
            let attack_vector = cvss
                .iter()
                .filter(|c| c.version.as_deref().is_none_or(|v| !v.starts_with('2')))
                .find_map(|c| {
                    c.scoring_vector
                        .as_deref()
                        .and_then(AttackVector::from_cvss3_vector)
                });
            let exploit = finding
                .exploit_available
                .as_deref()
                .map(|e| e.eq_ignore_ascii_case("YES"));
            let id = details.vulnerability_id.unwrap_or_default();
            let severity = VulnSeverity::parse(finding.severity.as_deref().unwrap_or_default());
            let epss = finding.epss.and_then(|e| e.score).filter(|e| e.is_finite());
            for package in Items::into_vec(details.vulnerable_packages) {
                vulnerabilities.push(Vulnerability {
                    id: id.clone(),
                    severity,
                    package: package.name.clone().unwrap_or_default(),
                    installed_version: full_version(&package),
                    fixed_version: package
                        .fixed_in_version
                        .clone()
                        .filter(|v| !v.trim().is_empty() && v != "NotAvailable"),
                    attack_vector,
                    exploit_available: exploit,
                    epss,
                    layer_digest: package.source_layer_hash.as_deref().and_then(digest),
                    path: package.file_path.as_deref().and_then(image_path),
                    scanner: Scanner::EcrEnhanced,
                });
            }
        }
        reports.push(VulnerabilityReport {
            file: file.to_string(),
            scanner: Scanner::EcrEnhanced,
            image,
            vulnerabilities,
        });
    }
    Ok(reports)
}
