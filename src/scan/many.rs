//! Several images in one run (`harden scan IMAGE... --task-def TD`, `--images-from`, `--all-tags`):
//! the Dockerfiles and task definitions are loaded and checked once; each image is loaded, joined
//! with the task definitions (each container definition pairs with the image its `image` names),
//! checked, put through the policy and reported on its own, at most `jobs` images at a time, and
//! handed to the caller as soon as it is done (`-f jsonl` streams them). An image that cannot be
//! loaded becomes an error section; the others are still reported.
//!
//! What each section holds: an image's section has that image's findings, the cross-source
//! findings of the containers paired with it, the findings of its `--vulns` reports (those naming
//! its digest) and of the Dockerfile that built it (the first `--dockerfile` whose RUN/ENV steps
//! its history has, in order: see [`Claims`]), grouped with the image's own; the last section
//! ("shared") has the Dockerfiles no image matched, the task definitions' findings and the ECS
//! controls, the containers paired with no image, and the HD checks on the policy as applied to
//! every section together (an ignore is unused only when no section used it). A finding is in one
//! section only.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use sha2::{Digest, Sha256};

use super::{ScanError, ScanRequest, Section, finish, load_image, load_shared, sort_findings};
use crate::checks;
use crate::findings::{Finding, Location};
use crate::join;
use crate::join::dockerfile_match::MatchStatus;
use crate::join::vulns::{ReportMatch, match_report};
use crate::load::image::memo::RunMemo;
use crate::model::dockerfile::Dockerfile;
use crate::model::policy::IgnoreOutcome;
use crate::model::vulns::VulnerabilityReport;
use crate::report::{ImageFailure, Report};

/// What to scan: the images (specs as `harden scan` takes them) and the rest of the request
/// (`base.image` is ignored).
#[derive(Debug, Clone, Default)]
pub struct ManyRequest {
    pub images: Vec<String>,
    pub base: ScanRequest,
    /// Images loaded at the same time (each holds its kept file contents in memory); at least 1.
    pub jobs: usize,
    /// Keep each section whole for the combined report (its `sections`, every image's package
    /// list and notes). Without, only what the gate, the baseline and the pairing notes need is
    /// kept once a section is handed to `on_section`: a registry-wide `-f jsonl` run holds
    /// findings, not reports.
    pub keep_sections: bool,
}

/// Scans every image; `on_section` gets each finished section (an image's, a failed image's,
/// then the shared one) as soon as it is done, from whichever thread finished it. Returns the
/// combined report: its `sections` in input order (shared last), its findings all of theirs.
/// Fails (exit 2) only when an input every section needs (a Dockerfile, a task definition)
/// cannot be read; an image that cannot be read is an entry in `errors`.
pub fn scan_many(
    request: &ManyRequest,
    on_section: &(dyn Fn(&Report) + Sync),
) -> Result<Report, ScanError> {
    let base = &request.base;
    if request.images.is_empty() && base.dockerfile.is_none() && base.task_definitions.is_empty() {
        return Err(ScanError::NothingToScan);
    }
    let shared = load_shared(base)?;
    let reports = load_reports(request)?;
    let dockerfiles: Vec<&Dockerfile> = shared
        .dockerfile
        .iter()
        .chain(&shared.more_dockerfiles)
        .collect();
    // The task definitions' own findings, which no image section repeats.
    let ecs_join = join::join(None, None, shared.ecs.as_ref(), None);
    let (ecs_findings, _) = checks::run(&ecs_join.joined());
    let key = |f: &Finding| (f.id, f.location.clone(), f.message.clone());
    let already: HashSet<(&str, Location, String)> = ecs_findings.iter().map(key).collect();

    let done: Mutex<Vec<(usize, Report, Option<IgnoreOutcome>)>> = Mutex::new(Vec::new());
    let claims = Claims::new(request.images.len());
    let uses: Mutex<Vec<ReportUse>> = Mutex::new(vec![ReportUse::default(); reports.len()]);
    // With `--vulns`, a report that matches none of the images stops the run (exit 2) once every
    // image is read: the sections are held until then, so no output is written for a run that fails.
    let hold = !reports.is_empty();
    let held: Mutex<Vec<(usize, Report)>> = Mutex::new(Vec::new());
    // Images of one base apply the base once (`load::image::memo`).
    let memo = Arc::new(RunMemo::default());
    let scan_one = |index: usize, spec: &String| {
        let mut decision = Undecided {
            claims: &claims,
            index,
        };
        let (report, outcome) = match load_image(spec, base, Some(Arc::clone(&memo))) {
            Ok(image) => {
                let matches: Vec<bool> = dockerfiles
                    .iter()
                    .map(|d| {
                        join::dockerfile_match::match_dockerfile(d, &image).status
                            == MatchStatus::Matched
                    })
                    .collect();
                let (owned, taken) = decision.decide(matches);
                let dockerfile = owned.map(|k| dockerfiles[k]);
                let (mine, vulns_notes) =
                    reports_for(&image, &reports, request.images.len() == 1, &uses);
                let inventory = crate::load::packages::inventory(&image);
                let mut image_join = join::join_one_of_many(
                    &image,
                    dockerfile,
                    shared.ecs.as_ref(),
                    join::VulnerabilityInputs {
                        reports: &mine,
                        inventory: Some(&inventory),
                    },
                );
                image_join.notes.extend(vulns_notes);
                for (k, owner) in taken {
                    image_join.notes.push(format!(
                        "Dockerfile {} also matches the build history of this image; its findings are reported with {}, the first image it matches",
                        dockerfiles[k].path, request.images[owner]
                    ));
                }
                let (mut findings, _controls) = checks::run(&image_join.joined());
                // The task definitions' own findings are the shared section's; the image's
                // controls are the task definitions' (shared) too.
                findings.retain(|f| !already.contains(&key(f)));
                let (mut report, outcome) = finish(
                    base,
                    Section {
                        image: Some(&image),
                        inventory: Some(&inventory),
                        shared: &shared,
                        dockerfile,
                        more_dockerfiles: Vec::new(),
                        join: &image_join,
                        findings,
                        controls: Vec::new(),
                        with_shared_inputs: false,
                        tool_checks: false,
                    },
                );
                apply_baseline(base, &mut report);
                (report, Some(outcome))
            }
            Err(error) => {
                decision.decide(Vec::new());
                (failed(spec, &error.to_string()), None)
            }
        };
        if hold {
            if let Ok(mut held) = held.lock() {
                held.push((index, report.clone()));
            }
        } else {
            on_section(&report);
        }
        let report = if request.keep_sections {
            report
        } else {
            slim(report)
        };
        if let Ok(mut done) = done.lock() {
            done.push((index, report, outcome));
        }
    };
    // Threads of their own, not rayon's: an image may wait for another's prefix (see `memo`);
    // each image's layers still decode in parallel on rayon's pool.
    let jobs = request.jobs.max(1).min(request.images.len().max(1));
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(spec) = request.images.get(index) else {
                break;
            };
            scan_one(index, spec);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs {
            scope.spawn(work);
        }
        work();
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(index, _, _)| *index);
    let uses = uses.into_inner().unwrap_or_default();
    let mut shared_notes = unused_reports(&reports, &uses, &done)?;
    let mut held = held.into_inner().unwrap_or_default();
    held.sort_by_key(|(index, _)| *index);
    for (_, report) in &held {
        on_section(report);
    }

    // The shared section, last: it knows which containers no image paired with, which
    // Dockerfiles no image matched, and what the policy found over every section.
    let owners = claims.owners();
    let unmatched: Vec<&Dockerfile> = dockerfiles
        .iter()
        .zip(&owners)
        .filter(|(_, owner)| owner.is_none())
        .map(|(d, _)| *d)
        .collect();
    if !request.images.is_empty() {
        for dockerfile in &unmatched {
            shared_notes.push(format!(
                "Dockerfile {} matches the build history of none of the {} images: its findings are reported once, on their own, in the run's last section",
                dockerfile.path,
                request.images.len()
            ));
        }
    }
    let shared_join = join::join(None, unmatched.first().copied(), shared.ecs.as_ref(), None);
    let (shared_findings, shared_controls) = checks::run(&shared_join.joined());
    let (mut shared_report, shared_outcome) = finish(
        base,
        Section {
            image: None,
            inventory: None,
            shared: &shared,
            dockerfile: unmatched.first().copied(),
            more_dockerfiles: unmatched.iter().skip(1).copied().collect(),
            join: &shared_join,
            findings: shared_findings,
            controls: shared_controls,
            with_shared_inputs: true,
            tool_checks: false,
        },
    );
    shared_report.notes.extend(shared_notes);
    unpaired_containers(&shared, &done, &mut shared_report);
    let mut outcomes: Vec<IgnoreOutcome> = done.iter().filter_map(|(_, _, o)| o.clone()).collect();
    outcomes.push(shared_outcome);
    let merged = crate::policy::ignore::merge_outcomes(&outcomes);
    crate::policy::ignore::run_tool_checks(&mut shared_report.findings, &base.config, &merged);
    base.selection
        .apply(&mut shared_report.findings, &mut Vec::new());
    sort_findings(&mut shared_report.findings);
    apply_baseline(base, &mut shared_report);
    // Dockerfiles every one of which went with an image need no section of their own.
    let has_shared = !unmatched.is_empty()
        || shared.ecs.is_some()
        || !shared_report.findings.is_empty()
        || !shared_report.notes.is_empty();
    if has_shared {
        on_section(&shared_report);
    }

    let mut sections: Vec<Report> = done.into_iter().map(|(_, report, _)| report).collect();
    if has_shared {
        sections.push(shared_report);
    }
    let mut combined = combine(sections);
    if !request.keep_sections {
        combined.sections.clear();
    }
    if let Some((baseline, file)) = &base.baseline {
        // Marks nothing new (every section was matched already): counts over the whole run.
        let outcome = baseline.apply(&mut combined.findings, file);
        combined.notes.push(outcome.describe(file));
        combined.baseline = Some(outcome);
    }
    Ok(combined)
}

/// Reads every `--vulns` report. With several images, each must name a digest: which image a
/// report without one is about would be a guess.
fn load_reports(request: &ManyRequest) -> Result<Vec<VulnerabilityReport>, ScanError> {
    let mut reports = Vec::new();
    for path in &request.base.vulns {
        reports.extend(crate::load::vulns::load(path, &request.base.limits)?);
    }
    if request.images.len() > 1
        && let Some(report) = reports.iter().find(|r| !r.image.has_digest())
    {
        return Err(ScanError::VulnsUnverifiable {
            file: report.file.clone(),
            why: "it names no digest of the image it scanned".into(),
        });
    }
    Ok(reports)
}

/// Whether a `--vulns` report went with an image, and why one that could not be checked was not.
#[derive(Debug, Clone, Default)]
struct ReportUse {
    used: bool,
    unverified: Option<String>,
}

/// The reports that go with `image`: those naming its digest ([`match_report`], as a scan of one
/// image checks its report), and, when it is the only image, those that cannot be checked (used
/// with a note, as for one image). Records in `uses` which reports went with some image.
fn reports_for(
    image: &crate::model::image::Image,
    reports: &[VulnerabilityReport],
    only_image: bool,
    uses: &Mutex<Vec<ReportUse>>,
) -> (Vec<VulnerabilityReport>, Vec<String>) {
    let mut mine = Vec::new();
    let mut notes = Vec::new();
    let mut uses = uses
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (report, used) in reports.iter().zip(uses.iter_mut()) {
        let matched = match_report(image, &report.image);
        let take = match &matched {
            ReportMatch::Matched(_) => true,
            ReportMatch::Unverified(why) => {
                used.unverified = Some(why.clone());
                only_image
            }
            ReportMatch::Mismatch(_) => false,
        };
        if take {
            used.used = true;
            notes.push(super::vulns_note(report, &matched));
            mine.push(report.clone());
        }
    }
    (mine, notes)
}

/// Every report must have gone with an image: one that did not is exit 2 naming the file and the
/// images' digests. When an image could not be read, the report may be that image's: a note.
fn unused_reports(
    reports: &[VulnerabilityReport],
    uses: &[ReportUse],
    done: &[(usize, Report, Option<IgnoreOutcome>)],
) -> Result<Vec<String>, ScanError> {
    let failed = done.iter().filter(|(_, r, _)| !r.errors.is_empty()).count();
    let mut notes = Vec::new();
    for (report, used) in reports.iter().zip(uses) {
        if used.used {
            continue;
        }
        if failed > 0 {
            notes.push(format!(
                "{}: vulnerability report not used: it names none of the images read, and {failed} could not be read",
                report.file
            ));
            continue;
        }
        if let Some(why) = &used.unverified {
            return Err(ScanError::VulnsUnverifiable {
                file: report.file.clone(),
                why: why.clone(),
            });
        }
        let reported: Vec<String> = report
            .image
            .config_digest
            .iter()
            .map(|d| format!("config digest {d}"))
            .chain(
                report
                    .image
                    .manifest_digests
                    .iter()
                    .map(|d| format!("manifest digest {d}")),
            )
            .collect();
        let images: Vec<String> = done
            .iter()
            .filter_map(|(_, r, _)| r.inputs.image.as_ref())
            .map(|image| {
                let manifest = image
                    .manifest_digest
                    .as_deref()
                    .map(|d| format!(", manifest digest {d}"))
                    .unwrap_or_default();
                format!(
                    "{} (config digest {}{manifest})",
                    image.source, image.config_digest
                )
            })
            .collect();
        return Err(ScanError::VulnsForNoImage {
            file: report.file.clone(),
            reported: reported.join(", "),
            images: images.join("; "),
        });
    }
    Ok(notes)
}

/// Which image each Dockerfile goes with: the first image, in the order given, whose build
/// history matches it ([`join::dockerfile_match`]), taking at most one Dockerfile per image (the
/// first it matches that no earlier image took). Images are read in parallel; an image whose
/// history matches a Dockerfile waits until every earlier image is decided, so the choice is the
/// same whatever order they finish in. Earlier images never wait on later ones.
struct Claims {
    /// Per image, once read: which Dockerfiles its history matches (empty when it failed).
    decided: Mutex<Vec<Option<Vec<bool>>>>,
    changed: Condvar,
}

impl Claims {
    fn new(images: usize) -> Claims {
        Claims {
            decided: Mutex::new(vec![None; images]),
            changed: Condvar::new(),
        }
    }

    /// Per Dockerfile, the index of the image it goes with.
    fn owners_of(decided: &[Option<Vec<bool>>]) -> Vec<Option<usize>> {
        let mut owners: Vec<Option<usize>> = Vec::new();
        for (index, matches) in decided.iter().enumerate() {
            let Some(matches) = matches else {
                continue;
            };
            if owners.len() < matches.len() {
                owners.resize(matches.len(), None);
            }
            if let Some(k) = (0..matches.len()).find(|&k| matches[k] && owners[k].is_none()) {
                owners[k] = Some(index);
            }
        }
        owners
    }

    fn owners(&self) -> Vec<Option<usize>> {
        let decided = self
            .decided
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::owners_of(&decided)
    }
}

/// The Dockerfile an image goes with, and the (Dockerfile, image) it matches that went with an
/// earlier image.
type Decision = (Option<usize>, Vec<(usize, usize)>);

/// An image's place in [`Claims`]: decided once; if never (a panic), decided as matching nothing
/// so later images do not wait for it.
struct Undecided<'a> {
    claims: &'a Claims,
    index: usize,
}

impl Undecided<'_> {
    /// Records which Dockerfiles this image matches; returns the one it goes with, and the ones
    /// it matches that went with an earlier image (Dockerfile, image).
    fn decide(&mut self, matches: Vec<bool>) -> Decision {
        let claims = self.claims;
        let mut decided = claims
            .decided
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let any = matches.iter().any(|m| *m);
        decided[self.index] = Some(matches);
        claims.changed.notify_all();
        if !any {
            return (None, Vec::new());
        }
        while decided[..self.index].iter().any(Option::is_none) {
            decided = claims
                .changed
                .wait(decided)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let owners = Claims::owners_of(&decided[..=self.index]);
        let mine = decided[self.index].clone().unwrap_or_default();
        let mut owned = None;
        let mut taken = Vec::new();
        for (k, owner) in owners.iter().enumerate() {
            match owner {
                Some(i) if *i == self.index => owned = Some(k),
                Some(i) if mine.get(k) == Some(&true) => taken.push((k, *i)),
                _ => {}
            }
        }
        (owned, taken)
    }
}

impl Drop for Undecided<'_> {
    fn drop(&mut self) {
        let mut decided = self
            .claims
            .decided
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if decided[self.index].is_none() {
            decided[self.index] = Some(Vec::new());
            self.claims.changed.notify_all();
        }
    }
}

/// What is kept of a section already written when sections are not kept: its findings, pairings,
/// errors and image summary without the package list, details or notes.
fn slim(mut report: Report) -> Report {
    if let Some(image) = &mut report.inputs.image {
        image.packages = Vec::new();
        image.details = Default::default();
    }
    report.notes = Vec::new();
    report.unfixed = Vec::new();
    for finding in &mut report.findings {
        finding.fix = None;
    }
    report
}

/// The section of an image that could not be scanned: no findings, one error.
fn failed(spec: &str, error: &str) -> Report {
    Report {
        errors: vec![ImageFailure {
            image: spec.to_string(),
            error: error.to_string(),
        }],
        ..Report::default()
    }
}

fn apply_baseline(request: &ScanRequest, report: &mut Report) {
    if let Some((baseline, file)) = &request.baseline {
        let outcome = baseline.apply(&mut report.findings, file);
        report.baseline = Some(outcome);
    }
}

/// Records and notes, in the shared section, for the container definitions no image paired with.
fn unpaired_containers(
    shared: &super::Shared,
    done: &[(usize, Report, Option<IgnoreOutcome>)],
    report: &mut Report,
) {
    let Some(ecs) = &shared.ecs else {
        return;
    };
    let paired: HashSet<(&str, &str, &str)> = done
        .iter()
        .flat_map(|(_, r, _)| &r.inputs.pairings)
        .map(|r| {
            (
                r.file.as_str(),
                r.task_definition.as_str(),
                r.container.as_str(),
            )
        })
        .collect();
    let scanned = done.iter().filter(|(_, r, _)| r.errors.is_empty()).count();
    for td in ecs.evaluated_task_definitions() {
        for container in td.container_definitions() {
            let label = container.label();
            if paired.contains(&(
                td.resource.file.as_str(),
                td.resource.name.as_str(),
                label.as_str(),
            )) {
                continue;
            }
            report.notes.push(format!(
                "container {label} of {} (image {}) is not paired with any of the {scanned} scanned images: cross-source checks skip it",
                td.resource.name,
                container.image.as_str().unwrap_or("unknown"),
            ));
            report.inputs.pairings.push(join::pairing::PairingRecord {
                file: td.resource.file.clone(),
                task_definition: td.resource.name.clone(),
                container: label,
                container_image: container.image.as_str().map(str::to_string),
                image: String::new(),
                paired: false,
                reason: "its image reference names none of the scanned images".to_string(),
            });
        }
    }
}

/// One report of every section: `inputs.images` lists the images, `errors` the images that
/// failed, the findings are all of the sections' (each names its image in its location), the
/// notes of an image's section are prefixed with the image.
pub fn combine(sections: Vec<Report>) -> Report {
    let mut combined = Report::default();
    for section in &sections {
        if let Some(image) = &section.inputs.image {
            combined.inputs.images.push(image.clone());
            combined.notes.extend(
                section
                    .notes
                    .iter()
                    .map(|note| format!("{}: {note}", image.source)),
            );
        } else {
            combined.inputs.dockerfile = section.inputs.dockerfile.clone();
            combined
                .inputs
                .task_definitions
                .extend(section.inputs.task_definitions.iter().cloned());
            combined.inputs.dockerfile_match = section.inputs.dockerfile_match.clone();
            combined.notes.extend(section.notes.iter().cloned());
        }
        combined
            .inputs
            .pairings
            .extend(section.inputs.pairings.iter().cloned());
        combined.findings.extend(section.findings.iter().cloned());
        combined.controls.extend(section.controls.iter().cloned());
        combined.unfixed.extend(section.unfixed.iter().cloned());
        combined.errors.extend(section.errors.iter().cloned());
    }
    // Every Dockerfile went with an image: the first image's stands for the run's.
    if combined.inputs.dockerfile.is_none() {
        combined.inputs.dockerfile = sections
            .iter()
            .find_map(|section| section.inputs.dockerfile.clone());
    }
    sort_findings(&mut combined.findings);
    combined.sections = sections;
    combined
}

/// Reads an image list (`--images-from`): one image per line as `harden scan` takes it; blank
/// lines and lines starting with `#` are skipped, surrounding spaces trimmed. JSON (as `aws ecr
/// list-images` prints) is refused with the command that makes a list: its entries carry no
/// repository name.
pub fn parse_image_list(text: &str, origin: &str) -> Result<Vec<String>, String> {
    if text.trim_start().starts_with(['{', '[']) {
        return Err(format!(
            "{origin}: looks like JSON; --images-from takes one image per line (for `aws ecr list-images`, whose entries carry no repository name, see docs/scale.md)"
        ));
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// The normalized form of an image spec, which shards hash: `docker://` references fully
/// qualified (`docker://nginx` and `docker://docker.io/library/nginx:latest` are one image),
/// anything else as written.
pub fn normalized_spec(spec: &str) -> String {
    let spec = spec.trim();
    match spec.strip_prefix(crate::load::image::registry::TRANSPORT_PREFIX) {
        Some(rest) => match crate::model::reference::Reference::parse(rest) {
            Ok(reference) => format!(
                "{}{reference}",
                crate::load::image::registry::TRANSPORT_PREFIX
            ),
            Err(_) => spec.to_string(),
        },
        None => spec.to_string(),
    }
}

/// Which shard (0-based, of `count`) an image belongs to: the SHA-256 of its normalized spec,
/// as a big-endian number, modulo `count`. Depends on the image alone, never on its position,
/// so workers given the same list in any order split it the same way.
pub fn shard_of(spec: &str, count: u64) -> u64 {
    let digest = Sha256::digest(normalized_spec(spec).as_bytes());
    // u128 of the first 16 bytes: the modulo bias is nil for any count a user gives.
    let mut head = [0u8; 16];
    head.copy_from_slice(&digest[..16]);
    (u128::from_be_bytes(head) % u128::from(count.max(1))) as u64
}

/// `--shard I/N`: index and count, `0 <= I < N` (`JOB_COMPLETION_INDEX` is 0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("expected I/N with 0 <= I < N (as JOB_COMPLETION_INDEX, 0-based), not {text:?}")
        };
        let (index, count) = text.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The images of this shard, in their order; duplicates (by normalized spec) dropped.
    pub fn select(&self, specs: Vec<String>) -> Vec<String> {
        dedupe(specs)
            .into_iter()
            .filter(|spec| shard_of(spec, self.count) == self.index)
            .collect()
    }
}

/// The images in their order, each once: `docker://nginx` and `docker://docker.io/library/nginx`
/// are one image.
pub fn dedupe(specs: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    specs
        .into_iter()
        .filter(|spec| seen.insert(normalized_spec(spec)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dockerfile_goes_with_the_first_image_it_matches_whatever_order_images_finish_in() {
        // Image 0 matches Dockerfile 1, image 1 Dockerfile 0, image 2 both: each Dockerfile goes
        // with the first image matching it, and image 2 is told which images took them.
        let matches = [vec![false, true], vec![true, false], vec![true, true]];
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
            let claims = Claims::new(3);
            let results: Mutex<Vec<(usize, Decision)>> = Mutex::new(Vec::new());
            std::thread::scope(|scope| {
                for index in order {
                    let (claims, results, matches) = (&claims, &results, &matches);
                    scope.spawn(move || {
                        let mut decision = Undecided { claims, index };
                        let decided = decision.decide(matches[index].clone());
                        results.lock().unwrap().push((index, decided));
                    });
                }
            });
            let mut results = results.into_inner().unwrap();
            results.sort();
            assert_eq!(
                results,
                [
                    (0, (Some(1), vec![])),
                    (1, (Some(0), vec![])),
                    (2, (None, vec![(0, 1), (1, 0)])),
                ],
                "{order:?}"
            );
            assert_eq!(claims.owners(), [Some(1), Some(0)]);
        }
    }

    #[test]
    fn an_image_that_never_decides_does_not_hold_up_the_later_ones() {
        let claims = Claims::new(2);
        std::thread::scope(|scope| {
            let claims = &claims;
            let later = scope.spawn(move || {
                let mut decision = Undecided { claims, index: 1 };
                decision.decide(vec![true])
            });
            // Image 0 fails before deciding (its guard is dropped): it matched nothing.
            drop(Undecided { claims, index: 0 });
            assert_eq!(later.join().unwrap(), (Some(0), Vec::new()));
        });
    }

    #[test]
    fn shards_partition_the_list_whatever_its_order() {
        let specs: Vec<String> = (0..200)
            .map(|i| format!("docker://r.example/app:{i}"))
            .collect();
        let mut reversed = specs.clone();
        reversed.reverse();
        let mut union = Vec::new();
        for index in 0..7 {
            let shard = Shard { index, count: 7 };
            let mut forward = shard.select(specs.clone());
            let mut backward = shard.select(reversed.clone());
            forward.sort();
            backward.sort();
            assert_eq!(forward, backward);
            assert!(!forward.is_empty());
            union.extend(forward);
        }
        union.sort();
        let mut all = specs;
        all.sort();
        assert_eq!(union, all);
    }

    #[test]
    fn the_same_image_spelled_two_ways_is_one_image_in_one_shard() {
        assert_eq!(
            normalized_spec("docker://nginx"),
            normalized_spec("docker://docker.io/library/nginx:latest")
        );
        let shard = Shard { index: 0, count: 1 };
        assert_eq!(
            shard
                .select(vec![
                    "docker://nginx".into(),
                    "docker://docker.io/library/nginx".into()
                ])
                .len(),
            1
        );
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("0/3"), Ok(Shard { index: 0, count: 3 }));
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("-1/2").is_err());
        assert!(Shard::parse("1").is_err());
    }

    #[test]
    fn image_lists_skip_comments_and_blank_lines_and_refuse_json() {
        let list =
            parse_image_list("# registry review\n\n  a.tar \ndocker://x/y:1\n", "f").unwrap();
        assert_eq!(list, ["a.tar", "docker://x/y:1"]);
        assert!(parse_image_list(r#"{"imageIds": []}"#, "f").is_err());
    }
}
