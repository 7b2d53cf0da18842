//! IM015 vulnerable-package: a scanner report given with `--vulns` lists known vulnerabilities in
//! a package of the image; one finding per package, at the layer that installed it.

use crate::checks::Emitter;
use crate::checks::image::support::file_location;
use crate::findings::Location;
use crate::join::Joined;
use crate::join::vulns::VulnerablePackage;
use crate::model::image::Image;
use crate::model::vulns::upgrade_target;

crate::declare_check! {
    /// ## What it does
    /// Reads the vulnerability reports given with `--vulns` (trivy JSON, grype JSON, or
    /// `aws ecr describe-image-scan-findings` output from basic or enhanced scanning), checked
    /// against the scanned image by digest, and reports **one finding per vulnerable package**:
    /// its CVEs with their severity and fixed version, the finding's severity that of the most
    /// severe CVE (negligible and ungraded ones are info), and the fix: the version that fixes
    /// them all (the highest of the CVEs' fixed versions). The finding points at the layer that
    /// installed the package (from the image's own package database, else the layer the scanner
    /// named) and that layer's history step, so you know whether the base image or your own
    /// `RUN` brought it. Two reports on the same image are merged per package and CVE.
    ///
    /// Choose which severities are shown with `--severity` and which fail the run with
    /// `--fail-on`, as for every check; `[[ignore]] id = "IM015"` with `resource = "openssl*"`
    /// accepts a package.
    ///
    /// ## Why is this bad?
    /// A package with a known vulnerability is the most common way into a container. AWS's ECS
    /// image guidance asks to scan images (ECR basic or enhanced scanning) and to rebuild or drop
    /// images with HIGH or CRITICAL findings. Knowing the layer tells who fixes it: a vulnerable
    /// package of the base image's layers needs a newer base; one your `RUN apk add` installed
    /// needs a newer pin.
    ///
    /// ## Example
    /// ```sh
    /// trivy image -f json -o trivy.json app:1
    /// harden scan app.tar --vulns trivy.json
    /// ```
    /// `libcrypto1.1 1.1.1d-r2 has 2 known vulnerabilities (CVE-2021-23840 high, ...); upgrade to
    /// 1.1.1j-r0`. Fix: rebuild on a base image with the fixed package, or upgrade it:
    /// ```dockerfile
    /// RUN apk add --no-cache 'libcrypto1.1>=1.1.1j-r0'
    /// ```
    VulnerablePackageCheck {
        id: "IM015",
        name: "vulnerable-package",
        severity: High,
        target: Image,
        reads: Joined,
        references: {
            nist: ["800-53 RA-5 (vulnerability monitoring and scanning)", "800-190 4.1.1"],
            see_also: [
                "AWS ECS best practices: scan images (ECR basic and enhanced scanning)",
                "trivy, grype, Amazon Inspector",
            ],
        },
        run: check,
    }
}

/// How many CVEs the message names before "and N more" (the evidence lists them all).
const IN_MESSAGE: usize = 3;

fn check(joined: &Joined, out: &mut Emitter) {
    let (Some(image), Some(found)) = (joined.image, joined.vulnerabilities) else {
        return;
    };
    for package in &found.packages {
        report(image, package, out);
    }
}

fn report(image: &Image, package: &VulnerablePackage, out: &mut Emitter) {
    let vulns = &package.vulnerabilities;
    let Some(highest) = vulns.first() else {
        return;
    };
    let mut named: Vec<String> = vulns
        .iter()
        .take(IN_MESSAGE)
        .map(|v| format!("{} {}", v.id, v.severity.as_str()))
        .collect();
    if vulns.len() > IN_MESSAGE {
        named.push(format!("and {} more", vulns.len() - IN_MESSAGE));
    }
    let target = upgrade_target(
        &package.version,
        vulns.iter().filter_map(|v| v.fixed_version.as_deref()),
    );
    let unfixed = vulns.iter().filter(|v| v.fixed_version.is_none()).count();
    let fix = match (&target, unfixed) {
        (Some(version), 0) => format!("upgrade to {version}"),
        (Some(version), n) => format!("upgrade to {version} ({n} have no fix yet)"),
        (None, _) => "no fixed version yet".to_string(),
    };
    let count = if vulns.len() == 1 {
        "1 known vulnerability".to_string()
    } else {
        format!("{} known vulnerabilities", vulns.len())
    };
    let message = format!(
        "package {} {} has {count} ({}); {fix}",
        package.name,
        package.version,
        named.join(", ")
    );
    let mut location = match (package.layer, package.database.as_deref()) {
        (Some(layer), path) => {
            let mut location = file_location(image, path.unwrap_or_default(), layer);
            location.path = path.map(str::to_string);
            location
        }
        (None, Some(path)) => Location::image_file(&image.source, path, None),
        (None, None) => Location::image(&image.source),
    };
    location.resource = Some(package.name.clone());
    let listed: Vec<String> = vulns
        .iter()
        .map(|v| {
            let fixed = v.fixed_version.as_deref().unwrap_or("no fix");
            format!("{} ({}, fixed in {fixed})", v.id, v.severity.as_str())
        })
        .collect();
    let scanners: Vec<&str> = package.scanners.iter().map(|s| s.as_str()).collect();
    let finding = out
        .finding(message, location)
        .with_severity(highest.severity.finding_severity());
    finding
        .with_evidence("package", package.name.clone())
        .with_evidence("cves", cves(vulns))
        .with_evidence("installed_version", package.version.clone())
        .with_evidence("vulnerabilities", listed.join("; "))
        .with_evidence("highest_severity", highest.severity.as_str())
        .with_evidence("scanners", scanners.join(", "));
    if let Some(target) = target {
        finding.with_evidence("fixed_version", target);
    }
    if let Some(layer) = package.layer {
        if let Some(step) = image.layers.get(layer).and_then(|l| l.created_by.clone()) {
            finding.with_evidence("layer_created_by", step);
        }
        finding.with_evidence(
            "layer_from",
            package.layer_from.unwrap_or_default().to_string(),
        );
    }
}

/// The IDs, sorted: with the package and version, what identifies the finding across runs (the
/// other evidence is what scanners say about them today).
fn cves(vulns: &[crate::model::vulns::Vulnerability]) -> String {
    let mut ids: Vec<&str> = vulns.iter().map(|v| v.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.join(", ")
}
