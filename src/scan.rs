//! One scan: load every input, run every check that applies, and assemble the [`Report`].
//! Does no printing; the CLI renders the report.

use crate::checks;
use crate::dates::Date;
use crate::findings::{ControlResult, Finding};
use crate::join;
use crate::load::dockerfile::{self as dockerfile_loader, DockerfileError, DockerfileOptions};
use crate::load::ecs::{self as ecs_load, EcsLoadError};
use crate::load::image::{self, ImageError, ImageOptions};
use crate::model::dockerfile::Dockerfile;
use crate::model::ecs::{EcsInventory, EcsSettings};
use crate::model::image::Image;
use crate::model::vulns::VulnerabilityReport;
use crate::policy::{self, Config};
use crate::report::{DockerfileSummary, ImageSummary, Inputs, Report};

pub mod many;

/// What to scan. Every input is optional; any subset works.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// An image spec (`app.tar`, `oci:dir:tag`, `-`).
    pub image: Option<String>,
    pub platform: Option<String>,
    pub progress: bool,
    /// A Dockerfile to analyse (alone or beside the image).
    pub dockerfile: Option<std::path::PathBuf>,
    /// More Dockerfiles (`--dockerfile` repeated, as pre-commit passes every changed file): each is
    /// checked on its own; only `dockerfile` is paired with the image. With several images, each
    /// Dockerfile goes with the image whose build history matches it (`scan::many`).
    pub more_dockerfiles: Vec<std::path::PathBuf>,
    /// The Dockerfile stage that is built (`--target`; default the last).
    pub target: Option<String>,
    /// `--build-arg KEY=VALUE`, in order.
    pub build_args: Vec<(String, String)>,
    /// The build context directory (default: the Dockerfile's directory).
    pub context: Option<std::path::PathBuf>,
    /// How to reach registries for `docker://` images.
    pub registry: crate::load::image::registry::RegistrySettings,
    /// `--task-def`: task-definition files or directories (every ECS input format).
    pub task_definitions: Vec<std::path::PathBuf>,
    /// `--vulns`: vulnerability scanner reports on the image (trivy, grype, ECR scan findings).
    pub vulns: Vec<std::path::PathBuf>,
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
    /// Values fixes need that only the user can give (`harden fix --log-group`, `[fix]`).
    pub fix: crate::fix::FixOptions,
    /// `--only`/`--skip`: the checks reported.
    pub selection: policy::select::Selection,
    /// `--baseline`: findings recorded there are suppressed; the string names the file.
    pub baseline: Option<(policy::baseline::Baseline, String)>,
    /// The layer cache (`--cache-dir`, `--no-cache`); `None` reads every layer.
    pub layer_cache: Option<image::cache::LayerCache>,
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
    #[error(transparent)]
    Vulns(#[from] crate::load::vulns::VulnsLoadError),
    /// A `--vulns` report whose digests name another image: its findings would be about
    /// packages this image may not have, so the scan stops rather than report them.
    #[error("{file}: this vulnerability report is for another image: {why}")]
    VulnsForAnotherImage { file: String, why: String },
    /// With several images, a `--vulns` report whose digests name none of them.
    #[error(
        "{file}: this vulnerability report is for none of the scanned images: {reported}; the scanned images are {images}"
    )]
    VulnsForNoImage {
        file: String,
        reported: String,
        images: String,
    },
    /// With several images, a `--vulns` report that cannot be checked against them by digest:
    /// which image it is about would be a guess.
    #[error(
        "{file}: this vulnerability report cannot be checked against the scanned images by digest ({why}); a report without a digest is only accepted when exactly one image is scanned"
    )]
    VulnsUnverifiable { file: String, why: String },
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
        Some(spec) => Some(load_image(spec, request, None)?),
        None => None,
    };
    let shared = load_shared(request)?;
    // The package databases the loader kept, read once, as the image is loaded.
    let inventory = image.as_ref().map(crate::load::packages::inventory);
    let mut vulns_notes = Vec::new();
    let reports = load_vulnerability_reports(request, image.as_ref(), &mut vulns_notes)?;
    // join → checks → policy, each once.
    let mut join = join::join_with(
        image.as_ref(),
        shared.dockerfile.as_ref(),
        shared.ecs.as_ref(),
        request.container.as_deref(),
        join::VulnerabilityInputs {
            reports: &reports,
            inventory: inventory.as_ref(),
        },
    );
    join.notes.extend(vulns_notes);
    let (findings, controls) = checks::run(&join.joined());
    let (mut report, _) = finish(
        request,
        Section {
            image: image.as_ref(),
            inventory: inventory.as_ref(),
            shared: &shared,
            dockerfile: shared.dockerfile.as_ref(),
            more_dockerfiles: shared.more_dockerfiles.iter().collect(),
            join: &join,
            findings,
            controls,
            with_shared_inputs: true,
            tool_checks: true,
        },
    );
    // The baseline matches fingerprints of the findings as reported (redacted), as
    // `--write-baseline` records them.
    if let Some((baseline, file)) = &request.baseline {
        let outcome = baseline.apply(&mut report.findings, file);
        report.notes.push(outcome.describe(file));
        report.baseline = Some(outcome);
    }
    Ok(report)
}

/// Loads one image with what the checks want from it.
/// Reads one image; `memo` is the run's shared prefixes when it scans several
/// ([`image::memo`]).
pub(crate) fn load_image(
    spec: &str,
    request: &ScanRequest,
    memo: Option<std::sync::Arc<image::memo::RunMemo>>,
) -> Result<Image, ImageError> {
    let options = ImageOptions {
        platform: request.platform.clone(),
        // The checks' files, the OS release files and the package databases.
        wants: checks::content_requests()
            .into_iter()
            .chain(crate::model::os::OS_FILES.iter().cloned())
            .chain(crate::load::packages::DATABASE_FILES.iter().cloned())
            .collect(),
        progress: request.progress,
        registry: request.registry.clone(),
        limits: request.limits,
        cache: request.layer_cache.clone(),
        memo,
    };
    image::load(spec, &options)
}

/// The inputs besides the image, loaded once: Dockerfiles and task definitions, with the
/// loaders' notes.
pub(crate) struct Shared {
    pub(crate) dockerfile: Option<Dockerfile>,
    pub(crate) more_dockerfiles: Vec<Dockerfile>,
    pub(crate) ecs: Option<EcsInventory>,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn load_shared(request: &ScanRequest) -> Result<Shared, ScanError> {
    let dockerfile_options = DockerfileOptions {
        target: request.target.clone(),
        build_args: request.build_args.clone(),
        context: request.context.clone(),
        limits: request.limits,
    };
    let dockerfile: Option<Dockerfile> = match &request.dockerfile {
        Some(path) => Some(dockerfile_loader::load(path, &dockerfile_options)?),
        None => None,
    };
    let more_dockerfiles: Vec<Dockerfile> = request
        .more_dockerfiles
        .iter()
        .map(|path| dockerfile_loader::load(path, &dockerfile_options))
        .collect::<Result<_, _>>()?;
    // The Dockerfile loader's notes (skipped instructions) come first.
    let mut notes: Vec<String> = dockerfile
        .iter()
        .chain(&more_dockerfiles)
        .flat_map(|d| d.notes.clone())
        .collect();
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
    Ok(Shared {
        dockerfile,
        more_dockerfiles,
        ecs,
        notes,
    })
}

/// One report's worth of a scan after the checks ran: an image (or none) and, when
/// `with_shared_inputs`, the Dockerfiles and task definitions as reported inputs.
pub(crate) struct Section<'a> {
    pub(crate) image: Option<&'a Image>,
    /// The image's package inventory, read once by the caller (the join uses it too).
    pub(crate) inventory: Option<&'a crate::model::packages::PackageInventory>,
    pub(crate) shared: &'a Shared,
    /// The Dockerfile reported with this section (matched with its image, or the one the run
    /// pairs with the image), and further Dockerfiles whose own checks this section runs; both
    /// count for inline ignores, anchors, fixes and redaction.
    pub(crate) dockerfile: Option<&'a Dockerfile>,
    pub(crate) more_dockerfiles: Vec<&'a Dockerfile>,
    pub(crate) join: &'a join::Join<'a>,
    pub(crate) findings: Vec<Finding>,
    pub(crate) controls: Vec<ControlResult>,
    /// The section reports the task definitions (their summaries and the loaders' notes).
    pub(crate) with_shared_inputs: bool,
    /// Run the HD checks on what the policy found (a run of several images runs them once, on
    /// every section's outcome together); also, a run of one image, whose first `--dockerfile`
    /// alone is paired with the image (the run of several says which image each went with).
    pub(crate) tool_checks: bool,
}

/// Policy, fix, summaries and redaction: the stages after the checks, for one section. Returns
/// the report (without the baseline, which the caller applies) and what the policy found.
pub(crate) fn finish(
    request: &ScanRequest,
    section: Section<'_>,
) -> (Report, crate::model::policy::IgnoreOutcome) {
    let Section {
        image,
        inventory,
        shared,
        dockerfile,
        more_dockerfiles,
        join,
        mut findings,
        mut controls,
        with_shared_inputs,
        tool_checks,
    } = section;
    let ecs = shared.ecs.as_ref();
    let mut notes: Vec<String> = if with_shared_inputs {
        shared.notes.clone()
    } else {
        Vec::new()
    };
    // The ECS loader's notes (skipped revisions, unknown values) come first, then the join's.
    notes.extend(join.notes.iter().cloned());
    // Each further Dockerfile on its own: its checks, with nothing to pair it with.
    for more in &more_dockerfiles {
        let (found, _) = checks::run(&join::join(None, Some(more), None, None).joined());
        findings.extend(found);
    }
    // A run of several images says which image each Dockerfile went with itself.
    if !more_dockerfiles.is_empty() && tool_checks {
        let paths: Vec<&str> = more_dockerfiles.iter().map(|d| d.path.as_str()).collect();
        notes.push(format!(
            "also analysed, each on its own: {} (only the first --dockerfile is matched with the image)",
            paths.join(", ")
        ));
    }
    let dockerfiles: Vec<&Dockerfile> = dockerfile
        .into_iter()
        .chain(more_dockerfiles.iter().copied())
        .collect();
    if let Some(ecs) = ecs {
        policy::peer::apply_peer_skips(&mut findings, &ecs.peer_skips, Date::today());
    }
    let ignore_outcome = if tool_checks {
        policy::ignore::apply_policy(&mut findings, &request.config, &dockerfiles, Date::today())
    } else {
        policy::ignore::apply_ignores(&mut findings, &request.config, &dockerfiles, Date::today())
    };
    request.selection.apply(&mut findings, &mut controls);
    policy::group::group(&mut findings);
    policy::anchor::set_anchors(&mut findings, &dockerfiles);
    sort_findings(&mut findings);
    // fix: the edits for what can be fixed, from the inputs' own text.
    let mut sources = crate::fix::Sources::default();
    let files = dockerfile.iter().map(|d| d.path.clone()).chain(
        ecs.iter()
            .flat_map(|e| e.inputs.iter().map(|i| i.file.clone())),
    );
    for file in files {
        if let Some(text) = crate::load::text::read(std::path::Path::new(&file), &request.limits) {
            sources.texts.insert(file, text);
        }
    }
    let unfixed = crate::fix::compute(
        &join.joined(),
        &mut findings,
        &sources,
        &request.fix,
        request.limits.nesting_depth as usize,
    );
    let image_summary = image.map(|image| {
        let mut summary = ImageSummary::of(image);
        let today = Date::today();
        summary.os = image
            .operating_system()
            .map(|os| crate::report::base_image::OsSummary::of(&os, today));
        if summary.os.is_some() {
            notes.extend(crate::report::base_image::stale_table_note(today));
        }
        if let Some(inventory) = inventory {
            notes.extend(inventory.notes.iter().cloned());
            summary.packages = inventory.packages.clone();
        }
        summary
    });

    let mut report = Report {
        inputs: Inputs {
            image: image_summary,
            dockerfile: dockerfile.map(DockerfileSummary::of),
            task_definitions: if with_shared_inputs {
                ecs.map(|e| e.inputs.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            pairings: join.records.clone(),
            dockerfile_match: join.dockerfile_match.clone(),
            ..Inputs::default()
        },
        findings,
        controls,
        notes,
        unfixed,
        profile: request.config.profile.unwrap_or_default(),
        ..Report::default()
    };
    // Last, so no stage after it can add an unredacted string.
    let mut values = crate::report::redaction::secret_values(image, dockerfile, ecs);
    for more in &more_dockerfiles {
        values.extend(crate::report::redaction::secret_values(
            None,
            Some(more),
            None,
        ));
    }
    let redactor = values.redactor();
    crate::report::redaction::redact_report(&mut report, &redactor);
    report.redactor = redactor;
    (report, ignore_outcome)
}

/// Reads every `--vulns` report and checks each against the scanned image by digest: a report
/// naming another image stops the scan (exit 2); one that cannot be checked is used, with a note.
pub(crate) fn load_vulnerability_reports(
    request: &ScanRequest,
    image: Option<&Image>,
    notes: &mut Vec<String>,
) -> Result<Vec<VulnerabilityReport>, ScanError> {
    use crate::join::vulns::{ReportMatch, match_report};
    let mut reports = Vec::new();
    for path in &request.vulns {
        reports.extend(crate::load::vulns::load(path, &request.limits)?);
    }
    for report in &reports {
        match image.map(|image| match_report(image, &report.image)) {
            Some(ReportMatch::Mismatch(why)) => {
                return Err(ScanError::VulnsForAnotherImage {
                    file: report.file.clone(),
                    why,
                });
            }
            Some(matched) => notes.push(vulns_note(report, &matched)),
            None => notes.push(format!(
                "{}: {} report: no image scanned, so it applies only to the containers whose image reference it names",
                report.file,
                crate::load::vulns::describe(report.scanner)
            )),
        }
    }
    Ok(reports)
}

/// The note for a report used for an image: matched by digest, or used unchecked.
pub(crate) fn vulns_note(
    report: &VulnerabilityReport,
    matched: &crate::join::vulns::ReportMatch,
) -> String {
    use crate::join::vulns::ReportMatch;
    let scanner = crate::load::vulns::describe(report.scanner);
    let count = report.vulnerabilities.len();
    match matched {
        ReportMatch::Matched(by) => format!(
            "{}: {scanner} report matched to the image by {by}: {count} vulnerabilit{}",
            report.file,
            if count == 1 { "y" } else { "ies" }
        ),
        ReportMatch::Unverified(why) => format!(
            "{}: {scanner} report used without a digest check, make sure it is this image's: {why}",
            report.file
        ),
        ReportMatch::Mismatch(why) => format!("{}: {scanner} report not used: {why}", report.file),
    }
}

/// Runs every check whose input is present, pairing containers with the image by reference
/// (the join and check stages of a scan, without the policy). For tests and embedders.
pub fn run_checks(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
    findings: &mut Vec<Finding>,
    controls: &mut Vec<ControlResult>,
) {
    run_checks_with_vulns(image, dockerfile, ecs, &[], findings, controls);
}

/// [`run_checks`] with `--vulns` reports (already checked against the image) and the image's
/// package inventory read as a scan reads it.
pub fn run_checks_with_vulns(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
    reports: &[VulnerabilityReport],
    findings: &mut Vec<Finding>,
    controls: &mut Vec<ControlResult>,
) {
    let inventory = image.map(crate::load::packages::inventory);
    let join = join::join_with(
        image,
        dockerfile,
        ecs,
        None,
        join::VulnerabilityInputs {
            reports,
            inventory: inventory.as_ref(),
        },
    );
    let (found, statuses) = checks::run(&join.joined());
    findings.extend(found);
    controls.extend(statuses);
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
