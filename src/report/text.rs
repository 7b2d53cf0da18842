//! The human report: inputs first, then findings grouped by severity (most severe first) with
//! their place and evidence, then a summary line. Color only when asked (a TTY without NO_COLOR).

use std::borrow::Cow;
use std::fmt::Write as _;

use super::Report;
use crate::findings::{ControlResult, ControlStatus, Finding, LineSpan, Location, Severity};

struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &severity.as_str().to_uppercase())
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let palette = Palette { color };
    let mut out = String::new();
    for failure in &report.errors {
        let _ = writeln!(
            out,
            "{} {}\n  {}\n",
            palette.paint("1;31", "Image not scanned"),
            shown(&failure.image),
            shown(&failure.error)
        );
    }
    for image in report.inputs.image.iter().chain(&report.inputs.images) {
        let _ = writeln!(
            out,
            "{} {}",
            palette.paint("1", "Image"),
            shown(&image.source)
        );
        if let Some(reference) = &image.reference {
            let _ = writeln!(out, "  reference  {}", shown(reference));
        }
        let _ = writeln!(out, "  platform   {}", shown(&image.platform));
        if let Some(manifest) = &image.manifest_digest {
            let _ = writeln!(out, "  manifest   {}", shown(manifest));
        }
        let _ = writeln!(out, "  config     {}", shown(&image.config_digest));
        let _ = writeln!(
            out,
            "  contents   {} layers, {} paths, user {}",
            image.layers,
            image.files,
            if image.user.is_empty() {
                "(unset: root)".into()
            } else {
                shown(&image.user)
            }
        );
        let details = &image.details;
        if let Some(created) = &details.created {
            let _ = writeln!(out, "  created    {}", shown(created));
        }
        let _ = writeln!(
            out,
            "  size       {} compressed, {} uncompressed",
            crate::report::base_image::human_size(details.compressed_size),
            crate::report::base_image::human_size(details.uncompressed_size)
        );
        for (label, command) in [("entrypoint", &details.entrypoint), ("cmd", &details.cmd)] {
            if let Some(command) = command {
                let _ = writeln!(out, "  {label:<10} {}", shown(&format!("{command:?}")));
            }
        }
        if !details.exposed_ports.is_empty() {
            let _ = writeln!(
                out,
                "  ports      {}",
                shown(&details.exposed_ports.join(", "))
            );
        }
        for attestation in &details.attestations {
            let what = match &attestation.note {
                Some(note) => note.clone(),
                None if attestation.predicate_types.is_empty() => "no predicate type".into(),
                None => format!(
                    "{} ({})",
                    attestation.kinds().join(", "),
                    attestation.predicate_types.join(", ")
                ),
            };
            let _ = writeln!(
                out,
                "  attested   {}: {}",
                shown(&attestation.digest),
                shown(&what)
            );
        }
        if let Some(os) = &image.os {
            let _ = writeln!(out, "  os         {}", shown(&os.describe()));
        }
        if let Some(first) = image.packages.first() {
            let _ = writeln!(
                out,
                "  packages   {} ({} database {})",
                image.packages.len(),
                first.manager.as_str(),
                shown(&first.database)
            );
        }
        out.push('\n');
        if report.profile == crate::policy::profile::Profile::BaseImage {
            write_base_image_sections(&mut out, &palette, image);
        }
    }
    if let Some(dockerfile) = &report.inputs.dockerfile {
        let _ = writeln!(
            out,
            "{} {}",
            palette.paint("1", "Dockerfile"),
            shown(&dockerfile.path)
        );
        let _ = writeln!(out, "  target     {}", shown(&dockerfile.target));
        for stage in &dockerfile.stages {
            let _ = writeln!(
                out,
                "  stage      {} from {} (line {})",
                shown(&stage.name),
                shown(&stage.base),
                stage.line
            );
        }
        out.push('\n');
    }
    write_task_definition_inputs(&mut out, &palette, report);
    for note in &report.notes {
        let _ = writeln!(out, "note: {}", shown(note));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }

    write_controls(&mut out, &palette, report);

    // Exposures first (EX001, one per service, most severe first): what an attacker on the
    // internet could reach and what they would get; the severity groups follow without them.
    let is_exposure = |f: &Finding| f.id == "EX001" && f.suppressed.is_none();
    for severity in Severity::ALL.into_iter().rev() {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity && is_exposure(f))
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{} {} ({})",
            palette.paint("1", "Exposure"),
            palette.severity(severity),
            group.len()
        );
        for finding in group {
            write_finding(&mut out, &palette, finding);
        }
        out.push('\n');
    }

    for severity in Severity::ALL.into_iter().rev() {
        let group: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity && f.suppressed.is_none() && !is_exposure(f))
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} ({})", palette.severity(severity), group.len());
        for finding in group {
            write_finding(&mut out, &palette, finding);
        }
        out.push('\n');
    }

    // Suppressed findings stay visible, one line each with who accepted them and why.
    let accepted: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    if !accepted.is_empty() {
        let _ = writeln!(
            out,
            "{} ({})",
            palette.paint("2", "SUPPRESSED"),
            accepted.len()
        );
        for finding in &accepted {
            if let Some(suppression) = &finding.suppressed {
                let origin = suppression
                    .origin
                    .as_deref()
                    .map(|o| format!(" [{}]", shown(o)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {} {} at {}: {}{origin}",
                    palette.paint("2", finding.id),
                    finding.severity,
                    shown(&describe(&finding.location)),
                    shown(&suppression.reason)
                );
            }
        }
        out.push('\n');
    }
    let suppressed = accepted.len();
    let counts: Vec<String> = Severity::ALL
        .into_iter()
        .rev()
        .filter_map(|s| {
            let n = report
                .findings
                .iter()
                .filter(|f| f.severity == s && f.suppressed.is_none())
                .count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    if counts.is_empty() {
        let _ = write!(out, "No findings");
    } else {
        let total = report.findings.len() - suppressed;
        let _ = write!(out, "{total} findings: {}", counts.join(", "));
    }
    if suppressed > 0 {
        let _ = write!(out, " ({suppressed} suppressed)");
    }
    out.push('\n');
    out
}

fn write_finding(out: &mut String, palette: &Palette, finding: &Finding) {
    let _ = writeln!(
        out,
        "  {} {}  {}",
        palette.paint("1", finding.id),
        palette.paint("2", finding.name),
        shown(&finding.message)
    );
    let place = shown(&describe(&finding.location)).into_owned();
    if !place.is_empty() {
        let _ = writeln!(out, "      at {place}");
    }
    // The other places the same problem shows (a grouped finding's), a few of them.
    const SHOWN_RELATED: usize = 5;
    for related in finding.related.iter().take(SHOWN_RELATED) {
        let _ = writeln!(out, "      also at {}", shown(&describe(related)));
    }
    if finding.related.len() > SHOWN_RELATED {
        let more = finding.related.len() - SHOWN_RELATED;
        let _ = writeln!(out, "      also at {more} more places (JSON `related`)");
    }
    for (key, value) in &finding.evidence {
        let _ = writeln!(out, "      {}: {}", shown(key), shown(value));
    }
}

/// Text from the inputs as the terminal shows it: control characters (an escape sequence in a file
/// name inside the image, a line break in a message) and bidirectional overrides, which could
/// rewrite or reorder what the reader sees, are written as `\u{1b}` escapes.
pub fn shown(text: &str) -> Cow<'_, str> {
    let hidden = crate::excerpt::hidden;
    if !text.contains(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `Dockerfile:3-5`, `/usr/bin/passwd (layer 2)`, `td.json /containerDefinitions/0/user`.
pub fn describe(location: &Location) -> String {
    let mut parts = Vec::new();
    if let Some(path) = &location.path {
        parts.push(match location.layer {
            Some(layer) => format!("{path} (layer {layer})"),
            None => path.clone(),
        });
    } else if let Some(file) = &location.file {
        match location.lines.map(LineSpan::normalized) {
            Some(span) if span.start == span.end => parts.push(format!("{file}:{}", span.start)),
            Some(span) => parts.push(format!("{file}:{}-{}", span.start, span.end)),
            None => parts.push(file.clone()),
        }
    }
    if let Some(resource) = &location.resource {
        parts.push(resource.clone());
    }
    if let Some(pointer) = &location.pointer {
        parts.push(pointer.clone());
    }
    parts.join(" ")
}

/// `--profile base-image`: the operating system with its end of life, and every package with the
/// layer that installed it (what a reviewer adopting a base image reads).
fn write_base_image_sections(out: &mut String, palette: &Palette, image: &super::ImageSummary) {
    let _ = writeln!(out, "{}", palette.paint("1", "Operating system"));
    match &image.os {
        Some(os) => {
            let eol = &os.end_of_life;
            let _ = writeln!(out, "  release    {}", shown(&os.describe()));
            if let Some(cycle) = &os.release_cycle {
                let _ = writeln!(out, "  cycle      {}", shown(cycle));
            }
            if let Some(date) = &eol.date {
                let _ = writeln!(out, "  security   until {}", shown(date));
            }
            if let Some(date) = &eol.paid_extended_support_until {
                let _ = writeln!(out, "  extended   paid support until {}", shown(date));
            }
            let _ = writeln!(
                out,
                "  read from  {}; end-of-life table: {}, as of {}",
                shown(&os.source),
                eol.table_source,
                eol.table_as_of
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  not identified (no os-release or older release file)"
            );
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{} ({})",
        palette.paint("1", "Packages"),
        image.packages.len()
    );
    let width = |f: fn(&crate::model::packages::Package) -> usize| {
        image.packages.iter().map(f).max().unwrap_or(0).min(40)
    };
    let name_width = width(|p| p.name.chars().count());
    let version_width = width(|p| p.version.chars().count());
    for package in &image.packages {
        let _ = writeln!(
            out,
            "  {:<name_width$}  {:<version_width$}  {:<8}  layer {}  {}",
            shown(&package.name),
            shown(&package.version),
            shown(package.architecture.as_deref().unwrap_or("-")),
            package.layer,
            package.manager.as_str()
        );
    }
    if image.packages.is_empty() {
        let _ = writeln!(out, "  none found (no dpkg, apk or rpm database read)");
    }
    out.push('\n');
}

fn write_task_definition_inputs(out: &mut String, palette: &Palette, report: &Report) {
    for input in &report.inputs.task_definitions {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let _ = writeln!(
            out,
            "{} {} ({}, {}, {})",
            palette.paint("1", "Task definition input"),
            shown(&input.file),
            input.format.as_str(),
            plural(
                input.task_definitions,
                "task definition",
                "task definitions"
            ),
            plural(
                input.other_resources,
                "other ECS resource",
                "other ECS resources"
            )
        );
    }
    if !report.inputs.task_definitions.is_empty() {
        out.push('\n');
    }
}

/// One compact table per resource: control, status, and the first offender or note.
fn write_controls(out: &mut String, palette: &Palette, report: &Report) {
    // Grouped in first-seen order with an index, so thousands of resources stay linear.
    let mut groups: Vec<(&crate::findings::ResourceRef, Vec<&ControlResult>)> = Vec::new();
    let mut index: std::collections::HashMap<&crate::findings::ResourceRef, usize> =
        std::collections::HashMap::new();
    for control in &report.controls {
        let slot = *index.entry(&control.resource).or_insert_with(|| {
            groups.push((&control.resource, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(control);
    }
    // The IDs with a finding, once (each failed control searched every finding).
    let with_finding: std::collections::HashSet<&str> =
        report.findings.iter().map(|f| f.id).collect();
    for (resource, controls) in groups {
        let _ = writeln!(
            out,
            "{} {} ({}, {})",
            palette.paint("1", "Controls"),
            shown(&resource.name),
            shown(&resource.kind),
            shown(&resource.file)
        );
        for control in controls {
            // A failed control is said once: its finding, below, has the place and the fix.
            let has_finding =
                control.status == ControlStatus::Failed && with_finding.contains(control.id);
            write_control(out, palette, control, has_finding);
        }
        out.push('\n');
    }
}

fn write_control(out: &mut String, palette: &Palette, control: &ControlResult, has_finding: bool) {
    let status = match control.status {
        ControlStatus::Passed => palette.paint("32", "passed       "),
        ControlStatus::Failed => palette.paint("1;31", "FAILED       "),
        ControlStatus::NotApplicable => palette.paint("2", "n/a          "),
        ControlStatus::Indeterminate => palette.paint("33", "indeterminate"),
    };
    let detail = match control.offenders.first() {
        Some(_) if has_finding => "see the finding below".to_string(),
        Some(offender) => {
            let container = offender
                .container
                .as_ref()
                .map(|c| format!("{}: ", shown(c)))
                .unwrap_or_default();
            let more = match control.offenders.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            format!(
                "{container}{} at {}{more}",
                shown(&offender.message),
                shown(&offender.pointer)
            )
        }
        None => control
            .notes
            .first()
            .map(|note| shown(note).into_owned())
            .unwrap_or_default(),
    };
    let parity = if control.parity_unverified {
        " [parity-unverified]"
    } else {
        ""
    };
    let _ = writeln!(out, "  {:<7} {status} {detail}{parity}", control.id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_text_cannot_drive_the_terminal() {
        assert_eq!(shown("plain é 😀"), "plain é 😀");
        assert_eq!(shown("/tmp/\u{1b}[2Jx"), "/tmp/\\u{1b}[2Jx");
        assert_eq!(shown("a\nb\u{202e}c"), "a\\u{a}b\\u{202e}c");
    }
}
