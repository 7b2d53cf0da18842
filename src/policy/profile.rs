//! Profiles: what a scan is for. `app` (the default) reviews an image that will run; `base-image`
//! reviews an image others build on. A base image is rightly left as root and without a
//! HEALTHCHECK (the application image sets its own `USER` and `HEALTHCHECK`, and a base image's
//! would be inherited wrongly), so under `base-image` the checks that only matter for the final
//! application image are capped at info, the way a `[severity]` override is applied: the finding
//! stays, its evidence records the change (`severity_override`), and a `[severity]` entry in
//! harden.toml still wins. The text report adds the OS/end-of-life and package sections.
//!
//! Chosen with `--profile` (or `HARDEN_PROFILE`), else `profile = "..."` in harden.toml.

use serde::Serialize;

use crate::findings::{Finding, Severity};

/// What the scanned image is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// An application image that will run (every check at its own severity).
    #[default]
    App,
    /// A base image under review before adoption: app-only checks at most info; the text report
    /// lists the OS with its end of life and every package.
    BaseImage,
}

/// The checks that only matter for the final application image, capped at info under
/// `base-image`, with why.
pub const APP_ONLY_CHECKS: &[(&str, &str)] = &[
    (
        "IM001",
        "root user: the application image sets its own USER",
    ),
    (
        "IM012",
        "missing HEALTHCHECK: the application image knows what healthy means",
    ),
    (
        "DF001",
        "target stage runs as root: the same, for a base image's own Dockerfile",
    ),
    (
        "DF014",
        "no HEALTHCHECK instruction: the same, for a base image's own Dockerfile",
    ),
];

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::App => "app",
            Profile::BaseImage => "base-image",
        }
    }

    /// `app` or `base-image`, as harden.toml writes it.
    pub fn parse(text: &str) -> Option<Profile> {
        match text {
            "app" => Some(Profile::App),
            "base-image" => Some(Profile::BaseImage),
            _ => None,
        }
    }

    /// The severity a check's findings are capped at under this profile.
    pub fn cap(self, id: &str) -> Option<Severity> {
        match self {
            Profile::App => None,
            Profile::BaseImage => APP_ONLY_CHECKS
                .iter()
                .any(|(check, _)| *check == id)
                .then_some(Severity::Info),
        }
    }

    /// Caps the findings this profile caps, recording the default in the evidence.
    pub fn apply(self, findings: &mut [Finding]) {
        for finding in findings {
            let Some(cap) = self.cap(finding.id) else {
                continue;
            };
            if finding.severity > cap {
                let from = finding.severity;
                finding.with_evidence(
                    "severity_override",
                    format!("{from} → {cap} (profile {})", self.as_str()),
                );
                finding.severity = cap;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_app_only_check_exists() {
        for (id, _) in APP_ONLY_CHECKS {
            assert!(crate::checks::find(id).is_some(), "{id}");
        }
    }
}
