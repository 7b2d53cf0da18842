//! Renders one [`Report`] in every format. Only the CLI writes the rendered text anywhere.

pub mod asff;
pub mod base_image;
pub mod cyclonedx;
pub mod json;
pub mod junit;
pub mod many;
pub mod markdown;
pub mod redaction;
pub mod sarif;
pub mod text;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::dates::{rfc3339_utc, unix_now};
use crate::findings::{ControlResult, Finding, Location, Severity};
pub use crate::findings::{FailOn, fingerprint, normalize_path, source_name};
use crate::model::image::Image;
pub use many::ImageFailure;

/// Version of the JSON report's shape; bumped on any incompatible change (documented in the README).
pub const SCHEMA_VERSION: &str = "1";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// AWS Security Finding Format, one `BatchImportFindings` input (≤ 100 findings) per line.
    Asff,
    /// JUnit XML, for CI test reports.
    Junit,
    /// Markdown sized for a pull-request comment or a GitHub job summary.
    Markdown,
    /// CycloneDX 1.6 JSON: the image's OS packages as an SBOM.
    Cyclonedx,
    /// JSON Lines: one complete JSON report per image (then one for the Dockerfiles and task
    /// definitions), each on one line.
    Jsonl,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Asff => "asff",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Cyclonedx => "cyclonedx",
            Format::Jsonl => "jsonl",
        }
    }

    /// The format an output file's name implies: `.sarif`/`.sarif.json` → sarif,
    /// `.asff`/`.asff.json` → asff, `.xml` → junit, `.json` → json, `.txt` → text.
    pub fn from_file_name(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let by_suffix = [
            (".cdx.json", Format::Cyclonedx),
            (".sarif.json", Format::Sarif),
            (".sarif", Format::Sarif),
            (".asff.json", Format::Asff),
            (".asff", Format::Asff),
            (".junit.xml", Format::Junit),
            (".xml", Format::Junit),
            (".json", Format::Json),
            (".jsonl", Format::Jsonl),
            (".txt", Format::Text),
            (".md", Format::Markdown),
        ];
        by_suffix
            .into_iter()
            .find(|(suffix, _)| name.ends_with(suffix))
            .map(|(_, format)| format)
    }
}

/// The AWS account and region ASFF findings are imported into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub account_id: String,
    pub region: String,
}

impl Default for AwsTarget {
    /// A placeholder account (`000000000000`) and `us-east-1`; the ASFF output says when these
    /// defaults were used, because Security Hub rejects findings for another account.
    fn default() -> AwsTarget {
        AwsTarget {
            account_id: DEFAULT_AWS_ACCOUNT_ID.to_string(),
            region: DEFAULT_AWS_REGION.to_string(),
        }
    }
}

pub const DEFAULT_AWS_ACCOUNT_ID: &str = "000000000000";
pub const DEFAULT_AWS_REGION: &str = "us-east-1";

/// Everything a renderer needs besides the report.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// ANSI colors in the text format.
    pub color: bool,
    /// The gate, for JUnit failures and the SARIF invocation.
    pub fail_on: FailOn,
    pub aws: AwsTarget,
    /// The directory input paths are made relative to in SARIF (the checkout root in CI).
    pub working_dir: Option<PathBuf>,
    /// When the report was made, RFC 3339 UTC (ASFF `CreatedAt`, JUnit `timestamp`).
    pub timestamp: String,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            color: false,
            fail_on: FailOn::default(),
            aws: AwsTarget::default(),
            working_dir: None,
            timestamp: rfc3339_utc(unix_now()),
        }
    }
}

/// What one scan read, for the report's header.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inputs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSummary>,
    /// Several images scanned in one run: each one's summary, in the order given (`image` is
    /// then absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileSummary>,
    /// The `--task-def` files read, with their detected format.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub task_definitions: Vec<crate::model::ecs::EcsInput>,
    /// Every container definition of the evaluated task definitions and whether it was paired
    /// with the scanned image, and why (present when both an image and task definitions were
    /// scanned).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pairings: Vec<crate::join::pairing::PairingRecord>,
    /// Whether the Dockerfile's target stage is found in the image's build history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_match: Option<crate::join::dockerfile_match::DockerfileMatch>,
}

/// The scanned image, as the report names it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageSummary {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The platform chosen (`linux/amd64`).
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Digests of the image indexes that lead to the manifest (a multi-platform tag's digest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub index_digests: Vec<String>,
    pub config_digest: String,
    pub layers: usize,
    pub files: usize,
    /// The config's `User` as written (empty: root).
    pub user: String,
    /// The operating system its files name, with its end of life (set by the scan, which knows
    /// the date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<base_image::OsSummary>,
    /// The OS packages of the final filesystem (dpkg, apk), sorted by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<crate::model::packages::Package>,
    /// Sizes, layers, labels, entrypoint/cmd and ports.
    pub details: base_image::ImageDetails,
}

impl ImageSummary {
    pub fn of(image: &Image) -> ImageSummary {
        ImageSummary {
            source: image.source.clone(),
            reference: image.reference.clone(),
            platform: image.platform.to_string(),
            manifest_digest: image.manifest_digest.clone(),
            index_digests: image.index_digests.clone(),
            config_digest: image.config_digest.clone(),
            layers: image.layers.len(),
            files: image.filesystem.entries.len(),
            user: image.config.user.clone().unwrap_or_default(),
            os: None,
            packages: Vec::new(),
            details: base_image::ImageDetails::of(image),
        }
    }
}

/// The analysed Dockerfile, as the report names it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DockerfileSummary {
    pub path: String,
    /// The built stage: its name, or `#index` when unnamed.
    pub target: String,
    /// Every stage: name (or `#index`) and base (`image ref`, `scratch`, `stage NAME`).
    pub stages: Vec<DockerfileStageSummary>,
    /// `--build-arg` names given (values are not repeated: they may be secrets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub build_args: Vec<String>,
}

/// One stage in [`DockerfileSummary`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct DockerfileStageSummary {
    pub name: String,
    pub base: String,
    pub line: u32,
}

impl DockerfileSummary {
    pub fn of(dockerfile: &crate::model::dockerfile::Dockerfile) -> DockerfileSummary {
        use crate::model::dockerfile::Base;
        let name = |index: usize| {
            let stage = &dockerfile.stages[index];
            stage.name.clone().unwrap_or_else(|| format!("#{index}"))
        };
        DockerfileSummary {
            path: dockerfile.path.clone(),
            target: name(dockerfile.target),
            stages: dockerfile
                .stages
                .iter()
                .map(|stage| DockerfileStageSummary {
                    name: name(stage.index),
                    base: match &stage.base {
                        Base::Scratch => "scratch".to_string(),
                        Base::Image(reference) => reference.resolved.clone(),
                        Base::Stage(index) => format!("stage {}", name(*index)),
                    },
                    line: stage.from.lines.start,
                })
                .collect(),
            build_args: dockerfile.build_args.keys().cloned().collect(),
        }
    }
}

/// The tool that wrote the report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Tool {
        Tool {
            name: "harden",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// One combined report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    /// What the scan was for (`--profile`); absent for the default, `app`.
    #[serde(skip_serializing_if = "is_app")]
    pub profile: crate::policy::profile::Profile,
    pub inputs: Inputs,
    pub findings: Vec<Finding>,
    pub controls: Vec<ControlResult>,
    /// Things the reader should know that are not findings (inputs not evaluated, choices made).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Findings `harden fix` could fix with a value only the user can give, and what it is.
    #[serde(skip)]
    pub unfixed: Vec<String>,
    /// What `--baseline` found (new, known, gone), when one was given.
    #[serde(skip)]
    pub baseline: Option<crate::policy::baseline::BaselineOutcome>,
    /// Images of a run of several that could not be scanned: the report is then incomplete
    /// (exit 2), and says so.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ImageFailure>,
    /// A run of several images: each image's own report, in order, then the Dockerfiles' and
    /// task definitions' (`-f jsonl` writes one per line). Empty for a run of one image.
    #[serde(skip)]
    pub sections: Vec<Report>,
    /// What replaced the inputs' secret values in this report; `harden fix` passes its diff
    /// through it too.
    #[serde(skip)]
    pub redactor: crate::secrets::Redactor,
    /// The fixes taken out of `findings` because their edits would print a secret value (by
    /// index into `findings`): `harden fix` puts them back before it applies fixes.
    #[serde(skip)]
    pub unredacted_fixes: Vec<(usize, crate::findings::Fix)>,
}

fn is_app(profile: &crate::policy::profile::Profile) -> bool {
    *profile == crate::policy::profile::Profile::App
}

impl Default for Report {
    fn default() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            profile: crate::policy::profile::Profile::App,
            inputs: Inputs::default(),
            findings: Vec::new(),
            controls: Vec::new(),
            notes: Vec::new(),
            unfixed: Vec::new(),
            baseline: None,
            errors: Vec::new(),
            sections: Vec::new(),
            redactor: crate::secrets::Redactor::default(),
            unredacted_fixes: Vec::new(),
        }
    }
}

impl Report {
    /// The most severe unsuppressed finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| f.severity)
            .max()
    }

    /// The exit code this report gives under a gate: 1 when an unsuppressed finding is at or
    /// above it, else 0.
    pub fn exit_code(&self, fail_on: FailOn) -> i32 {
        i32::from(self.findings.iter().any(|f| fail_on.fails(f)))
    }

    /// Why the run fails, in one line, when it does under this gate:
    /// `harden: 6 findings at or above high (2 critical, 4 high); failing`.
    pub fn gate_line(&self, fail_on: FailOn) -> Option<String> {
        let FailOn::AtLeast(threshold) = fail_on else {
            return None;
        };
        let failing: Vec<&Finding> = self.findings.iter().filter(|f| fail_on.fails(f)).collect();
        if failing.is_empty() {
            return None;
        }
        let counts: Vec<String> = Severity::ALL
            .into_iter()
            .rev()
            .filter_map(|severity| {
                let n = failing.iter().filter(|f| f.severity == severity).count();
                (n > 0).then(|| format!("{n} {severity}"))
            })
            .collect();
        let noun = if failing.len() == 1 {
            "finding"
        } else {
            "findings"
        };
        Some(format!(
            "harden: {} {noun} at or above {threshold} ({}); failing",
            failing.len(),
            counts.join(", ")
        ))
    }

    /// Keeps only the findings at or above `severity` (`--severity`, what is shown; the gate is
    /// decided before), and says in a note how many were left out.
    pub fn show_at_or_above(&mut self, severity: Severity) {
        for section in &mut self.sections {
            section.show_at_or_above(severity);
        }
        let before = self.findings.len();
        self.findings.retain(|f| f.severity >= severity);
        let hidden = before - self.findings.len();
        if hidden > 0 {
            self.notes.push(format!(
                "{hidden} finding{} below {severity} not shown (--severity {severity})",
                if hidden == 1 { "" } else { "s" }
            ));
        }
    }

    /// Renders the report in one format with default options (no color, `--fail-on high`).
    pub fn render(&self, format: Format, color: bool) -> String {
        self.render_with(
            format,
            &RenderOptions {
                color,
                ..RenderOptions::default()
            },
        )
    }

    /// Renders the report in one format.
    pub fn render_with(&self, format: Format, options: &RenderOptions) -> String {
        match format {
            Format::Text => text::render(self, options.color),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self, options),
            Format::Asff => asff::render(self, options),
            Format::Junit => junit::render(self, options),
            Format::Markdown => markdown::render(self, options),
            Format::Cyclonedx => cyclonedx::render(self),
            Format::Jsonl => many::render_jsonl(self),
        }
    }

    /// One stable fingerprint per finding, in order: [`fingerprint`], with `:2`, `:3`... appended
    /// to repeats so every finding's is unique within the report.
    pub fn fingerprints(&self) -> Vec<String> {
        crate::findings::fingerprints(&self.findings)
    }
}

/// A location on one line, for formats that show one string.
pub fn describe(location: &Location) -> String {
    text::describe(location)
}
