//! The report's one redaction path (see [`crate::secrets::SecretValues`]): the secret values the
//! detectors find anywhere in the inputs are collected once from the model, then replaced in every
//! string of the report before any format renders it. Formats never see a secret, so a new format
//! or a check that echoes an input needs nothing more.

use std::borrow::Cow;

use crate::findings::{Finding, Location};
use crate::model::dockerfile::{Dockerfile, Instruction};
use crate::model::ecs::{EcsInventory, Value};
use crate::model::image::Image;
use crate::secrets::{Redactor, SecretValues, secret_file_kind};

use super::Report;

/// Every secret value the detectors find in the inputs.
pub fn secret_values(
    image: Option<&Image>,
    dockerfile: Option<&Dockerfile>,
    ecs: Option<&EcsInventory>,
) -> SecretValues {
    let mut values = SecretValues::default();
    if let Some(image) = image {
        let config = &image.config;
        for entry in &config.env {
            match entry.split_once('=') {
                Some((name, value)) => values.add_named(name, value),
                None => values.add_text(entry),
            }
        }
        for (name, value) in &config.labels {
            values.add_named(name, value);
        }
        let commands = [
            config.entrypoint.as_ref(),
            config.cmd.as_ref(),
            config.healthcheck.as_ref().map(|h| &h.test),
        ];
        for command in commands.into_iter().flatten() {
            values.add_text(&command.join(" "));
        }
        for entry in &image.history {
            values.add_text(&entry.created_by);
            if let Some(comment) = &entry.comment {
                values.add_text(comment);
            }
        }
        // Only files the loader kept contents of (the checks' requests) and a scanner knows.
        for (path, _) in image.filesystem.iter() {
            if secret_file_kind(path).is_some()
                && let Some(content) = image.filesystem.content(path)
            {
                values.add_file(path, content);
            }
        }
    }
    if let Some(dockerfile) = dockerfile {
        let mut add = |instruction: &Instruction| {
            values.add_text(&instruction.text);
            for heredoc in &instruction.heredocs {
                values.add_text(&heredoc.content);
            }
        };
        for instruction in &dockerfile.global_args {
            add(instruction);
        }
        for stage in &dockerfile.stages {
            add(&stage.from);
            for instruction in &stage.instructions {
                add(instruction);
                if let Some(inner) = &instruction.onbuild {
                    add(inner);
                }
            }
        }
        for (name, value) in &dockerfile.build_args {
            values.add_named(name, value);
        }
    }
    if let Some(ecs) = ecs {
        for task in &ecs.task_definitions {
            let Value::Known(containers) = &task.containers.value else {
                continue;
            };
            for container in containers {
                if let Value::Known(environment) = &container.environment.value {
                    for entry in environment {
                        if let (Value::Known(name), Value::Known(value)) =
                            (&entry.name.value, &entry.value.value)
                        {
                            values.add_named(name, value);
                        }
                    }
                }
                if let Value::Known(image) = &container.image.value {
                    values.add_text(image);
                }
                if let Value::Known(health) = &container.health_check.value
                    && let Value::Known(command) = &health.command.value
                {
                    let words: Vec<&str> = command
                        .iter()
                        .filter_map(|word| match &word.value {
                            Value::Known(word) => Some(word.as_str()),
                            _ => None,
                        })
                        .collect();
                    values.add_text(&words.join(" "));
                }
            }
        }
    }
    values
}

/// Replaces every collected secret value in every string the report prints.
pub fn redact_report(report: &mut Report, redactor: &Redactor) {
    for (index, finding) in report.findings.iter_mut().enumerate() {
        redact_finding(finding, redactor);
        // A fix whose edits would write a secret value of the input (XC003 carrying an image
        // HEALTHCHECK with a password into the task definition) is not offered in the reports,
        // where its replacement text would print it; `harden fix` still applies it.
        if let Some(fix) = &mut finding.fix {
            let hides = fix
                .edits
                .iter()
                .any(|edit| matches!(redactor.redact(&edit.replacement), Cow::Owned(_)));
            if hides {
                report.unredacted_fixes.push((index, fix.clone()));
                finding.fix = None;
            } else {
                redactor.apply(&mut fix.description);
            }
        }
    }
    for why in &mut report.unfixed {
        redactor.apply(why);
    }
    for control in &mut report.controls {
        for note in &mut control.notes {
            redactor.apply(note);
        }
        for offender in &mut control.offenders {
            redact_offender(offender, redactor);
        }
    }
    for note in &mut report.notes {
        redactor.apply(note);
    }
    if let Some(image) = &mut report.inputs.image {
        redact_image_details(&mut image.details, redactor);
    }
}

/// The image summary repeats the config's labels, commands and history steps verbatim.
fn redact_image_details(details: &mut super::base_image::ImageDetails, redactor: &Redactor) {
    for value in details.labels.values_mut() {
        redactor.apply(value);
    }
    for word in [&mut details.entrypoint, &mut details.cmd]
        .into_iter()
        .flatten()
        .flatten()
    {
        redactor.apply(word);
    }
    for layer in &mut details.layers {
        if let Some(created_by) = &mut layer.created_by {
            redactor.apply(created_by);
        }
    }
    if let Some(created) = &mut details.created {
        redactor.apply(created);
    }
    for attestation in &mut details.attestations {
        for text in attestation
            .predicate_types
            .iter_mut()
            .chain(attestation.note.as_mut())
        {
            redactor.apply(text);
        }
    }
}

fn redact_finding(finding: &mut Finding, redactor: &Redactor) {
    redactor.apply(&mut finding.message);
    for value in finding.evidence.values_mut() {
        redactor.apply(value);
    }
    redact_location(&mut finding.location, redactor);
    for location in &mut finding.related {
        redact_location(location, redactor);
    }
}

fn redact_location(location: &mut Location, redactor: &Redactor) {
    for text in [
        &mut location.file,
        &mut location.path,
        &mut location.pointer,
        &mut location.resource,
    ]
    .into_iter()
    .flatten()
    {
        redactor.apply(text);
    }
}

fn redact_offender(offender: &mut crate::findings::Offender, redactor: &Redactor) {
    redactor.apply(&mut offender.message);
    redactor.apply(&mut offender.pointer);
    for text in [&mut offender.container, &mut offender.source_path]
        .into_iter()
        .flatten()
    {
        redactor.apply(text);
    }
}
