//! What a vulnerability scanner said about an image (`--vulns`): trivy, grype, or Amazon ECR's
//! image scan (basic and enhanced). One shape whatever the scanner; built by `load::vulns`.

use serde::Serialize;

use crate::findings::Severity;

/// Which scanner wrote a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scanner {
    /// `trivy image -f json`.
    Trivy,
    /// `grype -o json`.
    Grype,
    /// `aws ecr describe-image-scan-findings`, basic scanning (`findings[]`).
    EcrBasic,
    /// `aws ecr describe-image-scan-findings`, enhanced scanning by Amazon Inspector
    /// (`enhancedFindings[]`).
    EcrEnhanced,
}

impl Scanner {
    pub fn as_str(self) -> &'static str {
        match self {
            Scanner::Trivy => "trivy",
            Scanner::Grype => "grype",
            Scanner::EcrBasic => "ecr-basic",
            Scanner::EcrEnhanced => "ecr-enhanced",
        }
    }
}

/// A vulnerability's severity as the scanners grade it (their scales mapped onto one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VulnSeverity {
    /// trivy `UNKNOWN`, grype `Unknown`, ECR `UNDEFINED`/`UNTRIAGED`.
    Unknown,
    /// grype `Negligible`, ECR `INFORMATIONAL`.
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl VulnSeverity {
    /// Any scanner's spelling, case-insensitive; anything else is `Unknown`.
    pub fn parse(text: &str) -> VulnSeverity {
        match text.trim().to_ascii_lowercase().as_str() {
            "critical" => VulnSeverity::Critical,
            "high" => VulnSeverity::High,
            "medium" | "moderate" => VulnSeverity::Medium,
            "low" => VulnSeverity::Low,
            "negligible" | "informational" | "info" => VulnSeverity::Negligible,
            _ => VulnSeverity::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VulnSeverity::Unknown => "unknown",
            VulnSeverity::Negligible => "negligible",
            VulnSeverity::Low => "low",
            VulnSeverity::Medium => "medium",
            VulnSeverity::High => "high",
            VulnSeverity::Critical => "critical",
        }
    }

    /// The finding severity: negligible and ungraded vulnerabilities are `info`.
    pub fn finding_severity(self) -> Severity {
        match self {
            VulnSeverity::Unknown | VulnSeverity::Negligible => Severity::Info,
            VulnSeverity::Low => Severity::Low,
            VulnSeverity::Medium => Severity::Medium,
            VulnSeverity::High => Severity::High,
            VulnSeverity::Critical => Severity::Critical,
        }
    }
}

/// CVSS v3 attack vector (`AV:N`, `AV:A`, `AV:L`, `AV:P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackVector {
    Network,
    Adjacent,
    Local,
    Physical,
}

impl AttackVector {
    /// The `AV` metric of a CVSS v3 (or v4) vector (`CVSS:3.1/AV:N/AC:L/...`); `None` for a
    /// CVSS v2 vector (`AV:N/AC:L/Au:N/...`, whose `Au` metric v3 does not have) or no vector.
    pub fn from_cvss3_vector(vector: &str) -> Option<AttackVector> {
        let mut metrics = vector.trim().split('/');
        let version = metrics.next()?;
        if !version.starts_with("CVSS:3") && !version.starts_with("CVSS:4") {
            return None;
        }
        metrics.find_map(|metric| match metric {
            "AV:N" => Some(AttackVector::Network),
            "AV:A" => Some(AttackVector::Adjacent),
            "AV:L" => Some(AttackVector::Local),
            "AV:P" => Some(AttackVector::Physical),
            _ => None,
        })
    }
}

/// The EPSS score (probability of exploitation activity in the next 30 days) at or above which a
/// vulnerability counts as likely to be exploited: 0.1 is a one-in-ten chance, more than ten
/// times the score of a typical CVE (most score under 0.01), so it singles out the few percent of
/// CVEs the model expects attackers to use, not a long tail.
pub const EPSS_LIKELY: f64 = 0.1;

/// One vulnerability of one package, as a scanner reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    /// `CVE-2023-4911`, `GHSA-…`, `ALAS2-…`.
    pub id: String,
    pub severity: VulnSeverity,
    /// The package as the scanner names it (the binary package for OS packages).
    pub package: String,
    /// The installed version as the scanner writes it.
    pub installed_version: String,
    /// The version that fixes it, when one exists (`1.1.1d-r2`); several are joined by `, `.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// From the CVSS v3 vector, when the scanner gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack_vector: Option<AttackVector>,
    /// Whether a public exploit exists (ECR enhanced `exploitAvailable`, grype's CISA KEV
    /// `knownExploited`); `None` when the scanner does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exploit_available: Option<bool>,
    /// EPSS probability, 0 to 1, when the scanner gives one (grype, Inspector).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<f64>,
    /// The layer the scanner found the package in (diff ID or blob digest), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// The file the scanner found the package in, absolute inside the image (trivy `PkgPath`,
    /// grype `locations[].path`, ECR `filePath`), when it says: a jar, a lockfile, a binary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub scanner: Scanner,
}

impl Vulnerability {
    /// Why this vulnerability is likely to be exploited, when it is: a known exploit, an EPSS
    /// score at or above [`EPSS_LIKELY`], or (when the scanner gives neither) a high or critical
    /// vulnerability exploitable over the network.
    pub fn likely_exploited(&self) -> Option<String> {
        if self.exploit_available == Some(true) {
            return Some("a public exploit is known".into());
        }
        if let Some(epss) = self.epss.filter(|e| *e >= EPSS_LIKELY) {
            return Some(format!("EPSS {epss:.2} (at least {EPSS_LIKELY})"));
        }
        // The scanner's own likelihood (an exploit flag, an EPSS score) decides when it gives one.
        if self.exploit_available.is_none()
            && self.epss.is_none()
            && self.attack_vector == Some(AttackVector::Network)
            && self.severity >= VulnSeverity::High
        {
            return Some(format!(
                "{} and exploitable over the network (CVSS AV:N)",
                self.severity.as_str()
            ));
        }
        None
    }
}

/// How a report names the image it scanned. Digests are `sha256:<hex>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportedImage {
    /// The image config digest (trivy `Metadata.ImageID`, grype `source.target.imageID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// Manifest digests (grype `manifestDigest`, ECR `imageId.imageDigest`, and the digest part
    /// of every repo digest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifest_digests: Vec<String>,
    /// Names the report gives the image (`repo@sha256:…`, `repo:tag`, trivy `ArtifactName`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl ReportedImage {
    /// Whether the report names any digest at all (else it cannot be checked against an image).
    pub fn has_digest(&self) -> bool {
        self.config_digest.is_some() || !self.manifest_digests.is_empty()
    }
}

/// One scanner report, read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VulnerabilityReport {
    /// The file as given to `--vulns`.
    pub file: String,
    pub scanner: Scanner,
    pub image: ReportedImage,
    pub vulnerabilities: Vec<Vulnerability>,
}

/// An image path as scanners write it (`app/app.jar`, `/app/app.jar`), made absolute.
pub fn image_path(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(if text.starts_with('/') {
        text.to_string()
    } else {
        format!("/{text}")
    })
}

/// Orders two package versions as the package managers roughly do: an `N:` epoch first, then
/// runs of digits compared as numbers and other runs as text, `~` before anything (dpkg's
/// pre-release), a longer version after its prefix. Exact for the versions scanners print
/// (`1.1.1d-r2` < `1.1.1g-r0`, `2.36-9+deb12u3` < `2.36-9+deb12u4`, `1:1.0` > `2.0`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    fn split_epoch(v: &str) -> (u64, &str) {
        match v.split_once(':') {
            Some((epoch, rest))
                if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (epoch.parse().unwrap_or(u64::MAX), rest)
            }
            _ => (0, v),
        }
    }
    let (epoch_a, mut a) = split_epoch(a.trim());
    let (epoch_b, mut b) = split_epoch(b.trim());
    if epoch_a != epoch_b {
        return epoch_a.cmp(&epoch_b);
    }
    loop {
        match (a.starts_with('~'), b.starts_with('~')) {
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (true, true) => {
                a = &a[1..];
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let (da, db) = (digits(a), digits(b));
        if da > 0 && db > 0 {
            let (na, nb) = (
                a[..da].trim_start_matches('0'),
                b[..db].trim_start_matches('0'),
            );
            let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if order != Ordering::Equal {
                return order;
            }
            a = &a[da..];
            b = &b[db..];
            continue;
        }
        let text = |s: &str| {
            s.bytes()
                .take_while(|c| !c.is_ascii_digit() && *c != b'~')
                .count()
        };
        let (ta, tb) = (text(a).max(1), text(b).max(1));
        let order = a[..ta.min(a.len())].cmp(&b[..tb.min(b.len())]);
        if order != Ordering::Equal {
            return order;
        }
        a = &a[ta.min(a.len())..];
        b = &b[tb.min(b.len())..];
    }
}

/// The version that fixes every one of `fixed` (each a scanner's "fixed in", possibly several
/// alternatives `1.2.1, 2.1.3` for different release lines): for each, the lowest alternative
/// above `installed`, then the highest of those. `None` when none has a fix.
pub fn upgrade_target<'a>(installed: &str, fixed: impl Iterator<Item = &'a str>) -> Option<String> {
    use std::cmp::Ordering;
    fixed
        .filter_map(|alternatives| {
            let options: Vec<&str> = alternatives
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            options
                .iter()
                .copied()
                .filter(|v| compare_versions(v, installed) == Ordering::Greater)
                .min_by(|x, y| compare_versions(x, y))
                .or_else(|| {
                    options
                        .iter()
                        .copied()
                        .max_by(|x, y| compare_versions(x, y))
                })
        })
        .max_by(|x, y| compare_versions(x, y))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_package_managers_do() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("1.1.1d-r2", "1.1.1g-r0"), Less);
        assert_eq!(compare_versions("1.30.1-r5", "1.30.1-r3"), Greater);
        assert_eq!(compare_versions("2.36-9+deb12u3", "2.36-9+deb12u4"), Less);
        assert_eq!(compare_versions("1:1.0", "2.0"), Greater);
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Less);
        assert_eq!(compare_versions("1.10", "1.9"), Greater);
        assert_eq!(compare_versions("1.0", "1.0.1"), Less);
        assert_eq!(compare_versions("1.0", "1.0"), Equal);
        assert_eq!(compare_versions("007", "7"), Equal);
        assert_eq!(
            upgrade_target(
                "1.1.1d-r2",
                ["1.1.1g-r0", "1.1.1j-r0", "1.1.1d-r0"].into_iter()
            ),
            Some("1.1.1j-r0".into())
        );
        assert_eq!(
            upgrade_target("2.1.0", ["1.2.1, 2.1.3, 3.4.0"].into_iter()),
            Some("2.1.3".into())
        );
        assert_eq!(upgrade_target("1", std::iter::empty()), None);
    }

    #[test]
    fn attack_vector_only_from_cvss3_and_later() {
        assert_eq!(
            AttackVector::from_cvss3_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"),
            Some(AttackVector::Network)
        );
        assert_eq!(
            AttackVector::from_cvss3_vector("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"),
            Some(AttackVector::Local)
        );
        assert_eq!(
            AttackVector::from_cvss3_vector("AV:N/AC:L/Au:N/C:P/I:N/A:N"),
            None
        );
        assert_eq!(AttackVector::from_cvss3_vector(""), None);
    }

    #[test]
    fn likely_exploited_reasons() {
        let base = Vulnerability {
            id: "CVE-1".into(),
            severity: VulnSeverity::Medium,
            package: "p".into(),
            installed_version: "1".into(),
            fixed_version: None,
            attack_vector: Some(AttackVector::Network),
            exploit_available: None,
            epss: None,
            layer_digest: None,
            path: None,
            scanner: Scanner::Trivy,
        };
        assert_eq!(base.likely_exploited(), None);
        let high = Vulnerability {
            severity: VulnSeverity::High,
            ..base.clone()
        };
        assert!(high.likely_exploited().unwrap().contains("AV:N"));
        // A scanner that says "no known exploit" and gives a low EPSS is believed.
        let said_no = Vulnerability {
            exploit_available: Some(false),
            ..high.clone()
        };
        assert_eq!(said_no.likely_exploited(), None);
        let low_epss = Vulnerability {
            epss: Some(0.01),
            ..high.clone()
        };
        assert_eq!(low_epss.likely_exploited(), None);
        let local_high = Vulnerability {
            attack_vector: Some(AttackVector::Local),
            ..high.clone()
        };
        assert_eq!(local_high.likely_exploited(), None);
        let epss = Vulnerability {
            epss: Some(0.1),
            ..base.clone()
        };
        assert!(epss.likely_exploited().unwrap().starts_with("EPSS 0.10"));
        let below = Vulnerability {
            epss: Some(0.09),
            ..base.clone()
        };
        assert_eq!(below.likely_exploited(), None);
        let exploit = Vulnerability {
            exploit_available: Some(true),
            attack_vector: None,
            ..base
        };
        assert!(exploit.likely_exploited().is_some());
    }
}
