//! Anchors for fingerprints: names each Dockerfile place by the instruction written there rather
//! than by its line, so a baseline still matches after lines are inserted above a finding. Reads
//! the Dockerfile model only; sets `Location::anchor`, which no format renders.

use crate::findings::{Finding, Location, SourceKind};
use crate::model::dockerfile::{Dockerfile, Instruction, Keyword};

/// Sets the anchor of every Dockerfile location (the finding's and its related places) that falls
/// on an instruction of one of `dockerfiles`.
pub fn set_anchors(findings: &mut [Finding], dockerfiles: &[&Dockerfile]) {
    if dockerfiles.is_empty() {
        return;
    }
    // Each Dockerfile's instructions by first line (they do not overlap): a binary search per
    // location, not a scan of the file, so many findings in a long file cost no product.
    let indexes: Vec<(&str, Vec<&Instruction>)> = dockerfiles
        .iter()
        .map(|dockerfile| {
            let mut instructions: Vec<&Instruction> = dockerfile
                .stages
                .iter()
                .flat_map(|stage| std::iter::once(&stage.from).chain(&stage.instructions))
                .collect();
            instructions.sort_by_key(|i| i.lines.start);
            (dockerfile.path.as_str(), instructions)
        })
        .collect();
    for finding in findings {
        anchor(&mut finding.location, &indexes);
        for related in &mut finding.related {
            anchor(related, &indexes);
        }
    }
}

fn anchor(location: &mut Location, indexes: &[(&str, Vec<&Instruction>)]) {
    if location.source != Some(SourceKind::Dockerfile) || location.anchor.is_some() {
        return;
    }
    let (Some(file), Some(lines)) = (&location.file, location.lines) else {
        return;
    };
    let Some((_, instructions)) = indexes.iter().find(|(path, _)| path == file) else {
        return;
    };
    let before = instructions.partition_point(|i| i.lines.start <= lines.start);
    let instruction = before
        .checked_sub(1)
        .map(|at| instructions[at])
        .filter(|i| lines.start <= i.lines.end);
    if let Some(instruction) = instruction {
        location.anchor = Some(instruction_anchor(instruction));
    }
}

/// The instruction's keyword and text with whitespace collapsed. A fingerprint is a hash anyone
/// holding the report sees, so no credential value goes into it: ENV, ARG and LABEL are anchored
/// by their names only, every other instruction by its text with known secrets redacted.
pub fn instruction_anchor(instruction: &Instruction) -> String {
    let keyword = format!("{:?}", instruction.keyword);
    let body = match instruction.keyword {
        Keyword::Env | Keyword::Label => instruction
            .arguments
            .iter()
            .step_by(2)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        Keyword::Arg => instruction
            .arguments
            .iter()
            .map(|word| word.split('=').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        _ => crate::secrets::redact_text(&instruction.text),
    };
    let body: Vec<&str> = body.split_whitespace().collect();
    format!("{keyword} {}", body.join(" "))
}
