//! One scan: load every input, run every check that applies, and assemble the [`Report`].
//! Does no printing; the CLI renders the report.

use crate::checks::{self, Emitter, Run};
use crate::config::{Config, Date};
use crate::correlate::Joined;
use crate::correlate::dockerfile_match;
use crate::correlate::ignore::{self as ignores, DockerfileText};
use crate::correlate::pairing::PairingRecord;
use crate::findings::{ControlResult, Finding};
use crate::load::dockerfile::{self as dockerfile_loader, DockerfileError, DockerfileOptions};
use crate::load::ecs::{self as ecs_load, EcsLoadError};
use crate::load::image::{self, ImageError, ImageOptions};
use crate::model::dockerfile::Dockerfile;
use crate::model::ecs::{EcsInventory, EcsSettings};
use crate::model::image::Image;
use crate::report::{DockerfileSummary, ImageSummary, Inputs, Report};

/// What to scan. Every input is optional; any subset works.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// An image spec (`app.tar`, `oci:dir:tag`, `-`).
    pub image: Option<String>,
    pub platform: Option<String>,
    pub progress: bool,
    /// A Dockerfile to analyse (alone or beside the image).
    pub dockerfile: Option<std::path::PathBuf>,
    /// The Dockerfile stage that is built (`--target`; default the last).
    pub target: Option<String>,
    /// `--build-arg KEY=VALUE`, in order.
    pub build_args: Vec<(String, String)>,
    /// The build context directory (default: the Dockerfile's directory).
    pub context: Option<std::path::PathBuf>,
    /// How to reach registries for `docker://` images.
    pub registry: crate::load::registry::RegistrySettings,
    /// `--task-def`: task-definition files or directories (every ECS input format).
    pub task_definitions: Vec<std::path::PathBuf>,
    /// `--required-tags`: ECS.13-15 `requiredTagKeys`.
    pub required_tags: Vec<String>,
    /// `--evaluate-inactive`: evaluate every revision given, not only the latest ACTIVE one.
    pub evaluate_inactive: bool,
    /// The policy (`harden.toml`): severity overrides and ignores.
    pub config: Config,
    /// `--container NAME`: the container definition run from the scanned image.
    pub container: Option<String>,
    /// Bounds on every untrusted size, count and depth (`--limit`, `[limits]`).
    pub limits: crate::limits::Limits,
}

/// Why a scan could not produce a complete report.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("nothing to scan: give an image, --dockerfile or --task-def")]
    NothingToScan,
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Dockerfile(#[from] DockerfileError),
    #[error(transparent)]
    Ecs(#[from] EcsLoadError),
}

/// Runs the whole scan.
pub fn scan(request: &ScanRequest) -> Result<Report, ScanError> {
    if request.image.is_none()
        && request.dockerfile.is_none()
        && request.task_definitions.is_empty()
    {
        return Err(ScanError::NothingToScan);
    }
    let image = match &request.image {
        Some(spec) => {
            let options = ImageOptions {
                platform: request.platform.clone(),
                wants: checks::content_requests(),
                progress: request.progress,
                registry: request.registry.clone(),
            };
            Some(image::load(spec, &options)?)
        }
        None => None,
    };
    let dockerfile: Option<Dockerfile> = match &request.dockerfile {
        Some(path) => Some(dockerfile_loader::load(
            path,
            &DockerfileOptions {
                target: request.target.clone(),
                build_args: request.build_args.clone(),
                context: request.context.clone(),
                limits: request.limits,
            },
        )?),
        None => None,
    };
    // The Dockerfile loader's notes (skipped instructions) come first.
    let mut notes: Vec<String> = dockerfile.iter().flat_map(|d| d.notes.clone()).collect();
    let ecs: Option<EcsInventory> = if request.task_definitions.is_empty() {
        None
    } else {
        let settings = EcsSettings {
            required_tag_keys: request.required_tags.clone(),
            evaluate_inactive: request.evaluate_inactive,
        };
        Some(ecs_load::load(
            &request.task_definitions,
            &settings,
            &request.limits,
            &mut notes,
        )?)
    };

    let mut findings = Vec::new();
    let mut controls = Vec::new();
    let (pairing_notes, pairings) = run_checks_paired(
        image.as_ref(),
        dockerfile.as_ref(),
        ecs.as_ref(),
        request.container.as_deref(),
        &mut findings,
        &mut controls,
    );
    // The ECS loader's notes (skipped revisions, unknown values) come next, then pairing.
    notes.extend(pairing_notes);
    let dockerfile_match = match (&dockerfile, &image) {
        (Some(dockerfile), Some(image)) => {
            let matched = dockerfile_match::match_dockerfile(dockerfile, image);
            notes.push(matched.note(&dockerfile.path, &image.source));
            dockerfile_match::resolve_unknown_base_user(&mut findings, image, &matched);
            Some(matched)
        }
        _ => None,
    };
    // The scanned Dockerfile's pragmas apply even where no finding points (unused ones are HD001).
    let scanned: Vec<String> = dockerfile
        .iter()
        .map(|d| d.path.clone())
        .filter(|path| path != "-")
        .collect();
    apply_policy(&mut findings, &request.config, &scanned, &mut notes);
    sort_findings(&mut findings);

    let mut report = Report {
        inputs: Inputs {
            image: image.as_ref().map(ImageSummary::of),
            dockerfile: dockerfile.as_ref().map(DockerfileSummary::of),
            task_definitions: ecs.as_ref().map(|e| e.inputs.clone()).unwrap_or_default(),
            pairings,
            dockerfile_match,
        },
        findings,
        controls,
        notes,
        ..Report::default()
    };
    // Last, so no stage after it can add an unredacted string.
    let redactor =
        crate::report::redaction::secret_values(image.as_ref(), dockerfile.as_ref(), ecs.as_ref())
            .redactor();
    crate::report::redaction::redact_report(&mut report, &redactor);
    Ok(report)
}

/// Applies the policy (`correlate::ignore`): reads the raw text of every Dockerfile a finding
/// points into, plus `dockerfiles` (the scanned ones, so their unused pragmas are reported too),
/// for inline pragmas. A Dockerfile that cannot be read is a note, not an error: its pragmas are
/// then not applied.
pub fn apply_policy(
    findings: &mut Vec<Finding>,
    config: &Config,
    dockerfiles: &[String],
    notes: &mut Vec<String>,
) {
    let mut paths: Vec<String> = dockerfiles.to_vec();
    for finding in findings.iter() {
        if finding.location.source == Some(crate::findings::SourceKind::Dockerfile) {
            if let Some(file) = &finding.location.file {
                if !paths.contains(file) {
                    paths.push(file.clone());
                }
            }
        }
    }
    let mut texts = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => texts.push(DockerfileText { path, text }),
            Err(error) => notes.push(format!(
                "inline ignore pragmas in {path} were not applied: cannot read it ({error})"
            )),
        }
    }
    ignores::apply_policy(findings, config, &texts, Date::today());
}

/// Runs every check whose input is present, pairing containers with the image by reference.
pub fn run_checks(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
    findings: &mut Vec<Finding>,
    controls: &mut Vec<ControlResult>,
) {
    run_checks_paired(image, dockerfile, ecs, None, findings, controls);
}

/// Runs every check whose input is present; `container` is `--container NAME`. Returns the
/// pairing notes (which container was paired with the image and why, and which were not) and the
/// same decisions as records for the report.
pub fn run_checks_paired(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
    container: Option<&str>,
    findings: &mut Vec<Finding>,
    controls: &mut Vec<ControlResult>,
) -> (Vec<String>, Vec<PairingRecord>) {
    let pairing = crate::correlate::pairing::pair(image, ecs, container);
    let joined = Joined {
        image,
        dockerfile,
        ecs,
        pairs: &pairing.pairs,
    };
    for check in checks::all() {
        let mut emitter = Emitter::new(check, findings, controls);
        match check.run {
            Run::Image(run) => image.into_iter().for_each(|i| run(i, &mut emitter)),
            Run::Dockerfile(run) => dockerfile.into_iter().for_each(|d| run(d, &mut emitter)),
            Run::Ecs(run) => ecs.into_iter().for_each(|e| run(e, &mut emitter)),
            Run::Cross(run) => run(&joined, &mut emitter),
            // HD checks read what the ignore stage found; they run in `apply_policy`.
            Run::Tool(_) => {}
        }
    }
    (pairing.notes, pairing.records)
}

/// Most severe first, then by check and place, so every format is deterministic.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(b.id))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.message.cmp(&b.message))
    });
}
