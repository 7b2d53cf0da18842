//! Baselines: `--write-baseline FILE` records the fingerprint of every finding of a run;
//! `--baseline FILE` marks the findings already recorded there suppressed (kind `baseline`), so
//! only new ones are reported and gate, and counts the recorded ones that are gone.
//!
//! The file is JSON: `{"version": 1, "tool": "harden", "findings": [{"fingerprint", "id",
//! "message"}...]}`; `id` and `message` are for the reader, only `fingerprint` is matched.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Suppression, fingerprints};

/// The version of the baseline file's shape.
pub const BASELINE_VERSION: u32 = 1;

/// Why a baseline file cannot be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {file}: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("cannot write the baseline {file}: {error}")]
    Write { file: String, error: std::io::Error },
    #[error(
        "{file}: not a harden baseline ({message}); write one with `harden scan ... --write-baseline {file}`"
    )]
    Syntax { file: String, message: String },
}

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub message: String,
}

/// A baseline file's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    #[serde(default)]
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

/// What applying a baseline found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineOutcome {
    /// Findings of this run that were in the baseline (now suppressed).
    pub known: usize,
    /// Findings of this run not in the baseline.
    pub new: usize,
    /// Baseline entries no finding of this run matched: fixed, or their check skipped.
    pub gone: usize,
}

impl BaselineOutcome {
    /// `baseline b.json: 2 new findings; 5 in the baseline (suppressed); 1 baseline finding gone`.
    pub fn describe(&self, file: &str) -> String {
        format!(
            "baseline {file}: {}; {} in the baseline (suppressed); {} gone",
            plural(self.new, "new finding"),
            self.known,
            plural(self.gone, "baseline finding")
        )
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

impl Baseline {
    /// Records every finding, suppressed or not, so changing an ignore later does not surface
    /// baseline findings as new. Messages are the findings' own, which never hold a secret whole.
    pub fn of(findings: &[Finding]) -> Baseline {
        Baseline {
            version: BASELINE_VERSION,
            tool: format!("harden {}", env!("CARGO_PKG_VERSION")),
            findings: findings
                .iter()
                .zip(fingerprints(findings))
                .map(|(finding, fingerprint)| BaselineEntry {
                    fingerprint,
                    id: finding.id.to_string(),
                    message: finding.message.clone(),
                })
                .collect(),
        }
    }

    /// Reads a baseline, bounded by `input-bytes` as any input file is.
    pub fn load(path: &Path, limits: &crate::limits::Limits) -> Result<Baseline, BaselineError> {
        let file = path.display().to_string();
        let read = |error| BaselineError::Read {
            file: file.clone(),
            error,
        };
        let text = crate::load::read_bounded(path, limits).map_err(|error| match error {
            crate::load::BoundedReadError::Io(error) => read(error),
            crate::load::BoundedReadError::Limit(error) => read(std::io::Error::other(error)),
        })?;
        Baseline::parse(&text, &file)
    }

    pub fn parse(text: &[u8], file: &str) -> Result<Baseline, BaselineError> {
        let syntax = |message: String| BaselineError::Syntax {
            file: file.to_string(),
            message,
        };
        let baseline: Baseline = serde_json::from_slice(text).map_err(|e| syntax(e.to_string()))?;
        if baseline.version != BASELINE_VERSION {
            return Err(syntax(format!(
                "version {} is not {BASELINE_VERSION}",
                baseline.version
            )));
        }
        Ok(baseline)
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serializes");
        text.push('\n');
        std::fs::write(path, text).map_err(|error| BaselineError::Write {
            file: path.display().to_string(),
            error,
        })
    }

    /// Marks the findings recorded in the baseline suppressed (unless already suppressed) and
    /// counts new, known and gone. `findings` must be in report order, as when it was written.
    pub fn apply(&self, findings: &mut [Finding], origin: &str) -> BaselineOutcome {
        let recorded: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let mut outcome = BaselineOutcome::default();
        let mut matched: BTreeSet<String> = BTreeSet::new();
        let prints = fingerprints(findings);
        for (finding, fingerprint) in findings.iter_mut().zip(prints) {
            if recorded.contains(fingerprint.as_str()) {
                outcome.known += 1;
                if finding.suppressed.is_none() {
                    finding.suppressed = Some(Suppression {
                        kind: "baseline".to_string(),
                        reason: "in the baseline".to_string(),
                        origin: Some(origin.to_string()),
                        expires: None,
                    });
                }
                matched.insert(fingerprint);
            } else {
                outcome.new += 1;
            }
        }
        outcome.gone = recorded.len() - matched.len();
        outcome
    }
}
