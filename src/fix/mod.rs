//! The fix stage, after policy: for each unsuppressed finding it can fix, computes a [`Fix`] (text
//! edits with an applicability, as ruff's) from the model, the join and the inputs' text, and
//! says what is missing for the ones it cannot. Checks compute the right value; this stage only
//! writes it as edits. Applying edits and rendering diffs is [`apply`] and [`diff`]; writing files
//! is the CLI's.

pub mod dockerfile;
pub mod json_text;
pub mod task_definition;
pub mod yaml_text;

use std::collections::BTreeMap;

use crate::findings::{Applicability, Edit, Finding};
use crate::join::Joined;

/// Values only the user can give (`--log-group`, `--region`, `[fix]` in harden.toml).
pub use crate::policy::config::FixSettings as FixOptions;

/// The text of each input file a fix edits, by the name findings give it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub texts: BTreeMap<String, String>,
}

/// Computes the fixes of `findings` (setting `finding.fix`) and returns what could not be fixed
/// and why (values the user must supply, formats harden does not edit).
pub fn compute(
    joined: &Joined,
    findings: &mut [Finding],
    sources: &Sources,
    options: &FixOptions,
    max_depth: usize,
) -> Vec<String> {
    let mut unfixed = Vec::new();
    let mut said = std::collections::HashSet::new();
    let task_definitions = task_definition::TaskDefinitions::new(joined);
    let mut documents = task_definition::Documents::new(sources, max_depth);
    let mut dockerfile_cache = dockerfile::Cache::default();
    for finding in findings.iter_mut() {
        if finding.suppressed.is_some() {
            continue;
        }
        let outcome = match finding.location.source {
            Some(crate::findings::SourceKind::TaskDefinition) => {
                task_definition::fix(joined, &task_definitions, finding, &mut documents, options)
            }
            Some(crate::findings::SourceKind::Dockerfile)
            | Some(crate::findings::SourceKind::Image) => {
                dockerfile::fix(joined, finding, sources, &mut dockerfile_cache)
            }
            _ => Outcome::NotFixable,
        };
        match outcome {
            Outcome::Fixed(fix) => finding.fix = Some(fix),
            Outcome::Missing(why) => {
                let place = finding
                    .location
                    .file
                    .as_deref()
                    .map(|f| format!(" in {f}"))
                    .unwrap_or_default();
                let what = format!("{}{place} not fixed: {why}", finding.id);
                if said.insert(what.clone()) {
                    unfixed.push(what);
                }
            }
            Outcome::NotFixable => {}
        }
    }
    unfixed
}

/// What the fix of one finding came to.
#[derive(Clone)]
pub enum Outcome {
    Fixed(crate::findings::Fix),
    /// The finding could be fixed with something the user must supply or do; says what.
    Missing(String),
    NotFixable,
}

/// The edits of the fixes chosen (safe ones, and review ones with `unsafe_fixes`), by file,
/// without duplicates (several findings fixed by one edit) and without overlaps (a fix whose
/// edits overlap an earlier fix's is left for the next run, as ruff does). Each chosen fix is
/// returned with the finding it fixes.
pub fn select(findings: &[Finding], unsafe_fixes: bool) -> Selection<'_> {
    let mut selection = Selection::default();
    for finding in findings {
        let Some(fix) = &finding.fix else { continue };
        if finding.suppressed.is_some()
            || (fix.applicability == Applicability::Review && !unsafe_fixes)
        {
            if fix.applicability == Applicability::Review {
                selection.skipped_review += 1;
            }
            continue;
        }
        let fresh: Vec<&Edit> = fix
            .edits
            .iter()
            .filter(|edit| {
                !selection
                    .edits
                    .get(&edit.file)
                    .is_some_and(|edits| edits.contains(edit))
            })
            .collect();
        // Two deletions that overlap (neighbouring array items removed by two fixes) merge into
        // one; any other overlap defers the fix to the next run.
        let conflicts = |edit: &Edit, other: &Edit| {
            let overlap = edit.start < other.end && other.start < edit.end;
            let both_delete = edit.replacement.is_empty() && other.replacement.is_empty();
            let same_point = edit.start == edit.end
                && other.start == other.end
                && edit.start == other.start
                && !edit.replacement.starts_with(',')
                && !edit.replacement.starts_with('\n');
            (overlap && !both_delete) || same_point
        };
        let overlaps = fresh.iter().any(|edit| {
            selection
                .edits
                .get(&edit.file)
                .is_some_and(|edits| edits.iter().any(|other| conflicts(edit, other)))
        });
        if overlaps {
            selection.deferred += 1;
            continue;
        }
        for edit in fresh {
            let edits = selection.edits.entry(edit.file.clone()).or_default();
            let mut merged = edit.clone();
            edits.retain(|other| {
                let overlap = merged.start < other.end && other.start < merged.end;
                if overlap {
                    merged.start = merged.start.min(other.start);
                    merged.end = merged.end.max(other.end);
                }
                !overlap
            });
            edits.push(merged);
        }
        selection.applied.push(finding);
    }
    selection
}

/// The fixes `select` chose.
#[derive(Debug, Default)]
pub struct Selection<'a> {
    pub edits: BTreeMap<String, Vec<Edit>>,
    pub applied: Vec<&'a Finding>,
    /// Review fixes left out (no `--unsafe-fixes`).
    pub skipped_review: usize,
    /// Fixes whose edits overlapped another's: a second run applies them.
    pub deferred: usize,
}

/// Applies edits to a text.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    json_text::apply(text, edits)
}

/// A unified diff of `old` → `new` for `file`, each hunk's header naming the fixes whose edits
/// fall in it (`@@ -3,7 +3,6 @@ ECS.4 (safe): remove "privileged"`), so `git apply` reads it.
///
/// The diff is printed, so it shows the secret values of the inputs as the report does: through
/// `redactor` (the scan's [`crate::report::Report::redactor`]), on both sides, keeping line
/// numbers. A hunk whose lines hold a secret then no longer applies with `git apply`; the
/// second value says whether any did. `--write` and `--output-dir` write the real text.
pub fn diff(
    file: &str,
    old: &str,
    new: &str,
    fixes: &[&Finding],
    redactor: &crate::secrets::Redactor,
) -> (String, bool) {
    let old_shown = redactor.redact_keeping_lines(old);
    let new_shown = redactor.redact_keeping_lines(new);
    let text_diff = similar::TextDiff::from_lines(old_shown.as_ref(), new_shown.as_ref());
    // The same number of lines on each side, so a range indexes both.
    let lines = |text: &str| {
        text.split_inclusive('\n')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (old_lines_real, old_lines_shown) = (lines(old), lines(&old_shown));
    let (new_lines_real, new_lines_shown) = (lines(new), lines(&new_shown));
    let differs = |real: &[String], shown: &[String], range: std::ops::Range<usize>| {
        range
            .into_iter()
            .any(|i| real.get(i).is_some_and(|r| Some(r) != shown.get(i)))
    };
    let mut hidden = false;
    let mut out = format!("--- a/{file}\n+++ b/{file}\n");
    // Byte offset of each old line start, to map edits to lines.
    let mut line_starts = vec![0usize];
    for (index, byte) in old.bytes().enumerate() {
        if byte == b'\n' {
            line_starts.push(index + 1);
        }
    }
    let line_of = |offset: usize| match line_starts.binary_search(&offset) {
        Ok(line) => line,
        Err(line) => line - 1,
    };
    // Each fix's edits by the old lines they start and end on, and its label once (each hunk
    // formatted and redacted every fix's label: quadratic in a file with thousands of fixes).
    let mut touched: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (index, finding) in fixes.iter().enumerate() {
        let Some(fix) = &finding.fix else { continue };
        for edit in fix.edits.iter().filter(|edit| edit.file == file) {
            for line in [line_of(edit.start), line_of(edit.end)] {
                touched.entry(line).or_default().push(index);
            }
        }
    }
    let labels_of: Vec<std::cell::OnceCell<String>> = vec![Default::default(); fixes.len()];
    let mut unified = text_diff.unified_diff();
    unified.context_radius(3);
    for hunk in unified.iter_hunks() {
        let ops = hunk.ops();
        let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
            continue;
        };
        let old_lines =
            first.old_range().start..last.old_range().end.max(first.old_range().start + 1);
        hidden |= ops.iter().any(|op| {
            differs(&old_lines_real, &old_lines_shown, op.old_range())
                || differs(&new_lines_real, &new_lines_shown, op.new_range())
        });
        // The fixes with an edit starting or ending on one of the hunk's old lines, in order.
        let mut touching: Vec<usize> = touched
            .range(old_lines.clone())
            .flat_map(|(_, indices)| indices.iter().copied())
            .collect();
        touching.sort_unstable();
        touching.dedup();
        let mut labels: Vec<&str> = Vec::new();
        for index in touching {
            let label = labels_of[index].get_or_init(|| {
                let fix = fixes[index].fix.as_ref().expect("only fixes are indexed");
                let label = format!(
                    "{} ({}): {}",
                    fixes[index].id,
                    fix.applicability.as_str(),
                    fix.description
                );
                redactor.redact(&label).into_owned()
            });
            if !labels.contains(&label.as_str()) {
                labels.push(label);
            }
        }
        let text = hunk.to_string();
        let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
        out.push_str(header);
        if !labels.is_empty() {
            out.push(' ');
            out.push_str(&one_line(&labels.join("; ")));
        }
        out.push('\n');
        out.push_str(body);
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    (out, hidden)
}

/// Text for one diff header line: control characters (a newline from an input value) shown
/// escaped, never raw.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
