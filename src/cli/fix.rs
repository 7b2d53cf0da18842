//! `harden fix`: runs the scan (same inputs and pairing), selects the fixes (safe ones, review
//! ones with `--unsafe-fixes`), and prints a unified diff, or writes the fixed files in place
//! (`--write`) or under `--output-dir`. Never touches an input without `--write`.

use std::io::IsTerminal;
use std::path::{Component, Path, PathBuf};

use harden::scan;

use super::args::FixArgs;
use super::{EXIT_CLEAN, print_stdout};

pub(crate) fn fix_command(mut args: FixArgs) -> anyhow::Result<i32> {
    if args.scan.images.len() > 1 {
        anyhow::bail!(
            "harden fix takes one image (it edits that image's task definition and Dockerfile)"
        );
    }
    let (mut request, _) = super::scan::build_request(&mut args.scan)?;
    if args.log_group.is_some() {
        request.fix.log_group = args.log_group;
    }
    if args.region.is_some() {
        request.fix.region = args.region;
    }
    let mut report = scan::scan(&request)?;
    // The report left out the fixes that would print a secret; applying them is what fix is for.
    for (index, fix) in std::mem::take(&mut report.unredacted_fixes) {
        if let Some(finding) = report.findings.get_mut(index) {
            finding.fix = Some(fix);
        }
    }
    let selection = harden::fix::select(&report.findings, args.unsafe_fixes);

    let mut diffs = String::new();
    let mut changed = 0usize;
    let mut hides_secrets = false;
    for (file, edits) in &selection.edits {
        let old = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read {file} again to fix it: {e}"))?;
        let new = harden::fix::apply(&old, edits);
        if new == old {
            continue;
        }
        changed += 1;
        let fixes: Vec<&harden::findings::Finding> = selection
            .applied
            .iter()
            .copied()
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|fix| fix.edits.iter().any(|e| &e.file == file))
            })
            .collect();
        if args.write {
            std::fs::write(file, &new).map_err(|e| anyhow::anyhow!("cannot write {file}: {e}"))?;
        } else if let Some(dir) = &args.output_dir {
            let target = dir.join(inside(Path::new(file)));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&target, &new)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", target.display()))?;
        } else {
            let (diff, hidden) = harden::fix::diff(file, &old, &new, &fixes, &report.redactor);
            diffs.push_str(&diff);
            hides_secrets |= hidden;
        }
    }
    if !diffs.is_empty() {
        // A patch is byte for byte; on a terminal, an escape sequence or carriage return from an
        // input line is shown, not obeyed.
        if std::io::stdout().is_terminal() {
            print_stdout(&harden::excerpt::escaped(&diffs, true))?;
        } else {
            print_stdout(&diffs)?;
        }
    }

    // The summary goes to standard error, so the diff on standard output stays a clean patch.
    let applied = selection.applied.len();
    let verb = if args.write || args.output_dir.is_some() {
        "fixed"
    } else {
        "would fix"
    };
    eprintln!("harden fix: {verb} {applied} finding(s) in {changed} file(s)");
    if selection.skipped_review > 0 {
        eprintln!(
            "harden fix: {} more fix(es) need review; pass --unsafe-fixes to apply them",
            selection.skipped_review
        );
    }
    if selection.deferred > 0 {
        eprintln!(
            "harden fix: {} fix(es) overlap another's edits; run harden fix again on the result",
            selection.deferred
        );
    }
    if hides_secrets {
        eprintln!(
            "harden fix: the diff hides secret values of the input, so git apply refuses the hunks that show them; --write or --output-dir writes the real text"
        );
    }
    for why in &report.unfixed {
        eprintln!("harden fix: {}", one_line(why));
    }
    Ok(EXIT_CLEAN)
}

/// A relative path that stays inside `--output-dir`: root, prefix and `..` components dropped.
fn inside(path: &Path) -> PathBuf {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect()
}

/// No raw control or bidirectional character from an input value reaches the terminal.
fn one_line(text: &str) -> String {
    harden::excerpt::escaped(text, false).into_owned()
}
