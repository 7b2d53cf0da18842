//! Renders one [`Report`] in every format. Only the CLI writes the rendered text anywhere.

pub mod json;
pub mod text;

use serde::Serialize;

use crate::findings::{ControlResult, Finding, Severity};
use crate::model::image::Image;

/// Version of the JSON report's shape; bumped on any incompatible change (documented in the README).
pub const SCHEMA_VERSION: &str = "1";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What one scan read, for the report's header.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inputs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<DockerfileSummary>,
    /// The `--task-def` files read, with their detected format.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub task_definitions: Vec<crate::model::ecs::EcsInput>,
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
    pub config_digest: String,
    pub layers: usize,
    pub files: usize,
    /// The config's `User` as written (empty: root).
    pub user: String,
}

impl ImageSummary {
    pub fn of(image: &Image) -> ImageSummary {
        ImageSummary {
            source: image.source.clone(),
            reference: image.reference.clone(),
            platform: image.platform.to_string(),
            manifest_digest: image.manifest_digest.clone(),
            config_digest: image.config_digest.clone(),
            layers: image.layers.len(),
            files: image.filesystem.entries.len(),
            user: image.config.user.clone().unwrap_or_default(),
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
    pub inputs: Inputs,
    pub findings: Vec<Finding>,
    pub controls: Vec<ControlResult>,
    /// Things the reader should know that are not findings (inputs not evaluated, choices made).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Default for Report {
    fn default() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            inputs: Inputs::default(),
            findings: Vec::new(),
            controls: Vec::new(),
            notes: Vec::new(),
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

    /// Renders the report in one format.
    pub fn render(&self, format: Format, color: bool) -> String {
        match format {
            Format::Text => text::render(self, color),
            Format::Json => json::render(self),
        }
    }
}
