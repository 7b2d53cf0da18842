//! `--vulns FILE`: a vulnerability scanner's report on the image, read into
//! [`VulnerabilityReport`]. The format is told from the content, not the file name: trivy's JSON
//! (`trivy image -f json`, schema 2), grype's JSON (`grype -o json`) and the AWS CLI's
//! `aws ecr describe-image-scan-findings` output (basic `findings[]` and enhanced
//! `enhancedFindings[]`). Field names follow each tool's own output (fixtures/vulns/README.md
//! says where each shape comes from).
//!
//! Hostile reports are bounded: the file by `input-bytes`, the entries of all its arrays and maps
//! together by `vuln-entries` (counted while parsing, so memory never holds more), nesting by
//! serde_json's recursion limit. A value of the wrong type is an error naming the file, line and
//! column. Fields harden does not use are skipped without being kept.

mod ecr;
mod grype;
mod trivy;

use std::cell::Cell;
use std::marker::PhantomData;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::limits::{LimitExceeded, Limits};
use crate::model::vulns::{Scanner, VulnerabilityReport};

/// Why a `--vulns` file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VulnsLoadError {
    #[error("{file}: cannot read: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: {error}")]
    Limit { file: String, error: LimitExceeded },
    #[error("{file}:{line}:{column}: invalid {format} report: {message}")]
    Json {
        file: String,
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: invalid {format} report: {message}")]
    Format {
        file: String,
        format: &'static str,
        message: String,
    },
    #[error(
        "{file}: not a vulnerability report harden reads: expected trivy JSON (`trivy image -f json`), grype JSON (`grype -o json`) or `aws ecr describe-image-scan-findings` output{why}"
    )]
    Unknown { file: String, why: String },
}

thread_local! {
    /// Entries the report being parsed may still hold (`vuln-entries`), and whether it ran out.
    static BUDGET: Cell<u64> = const { Cell::new(u64::MAX) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

/// Takes one entry from the budget; an error (and the flag) when none is left.
fn spend<E: de::Error>() -> Result<(), E> {
    BUDGET.with(|budget| match budget.get() {
        0 => {
            EXCEEDED.with(|e| e.set(true));
            Err(E::custom("too many entries"))
        }
        left => {
            budget.set(left - 1);
            Ok(())
        }
    })
}

/// A JSON array whose elements count against `vuln-entries` as they are read.
#[derive(Debug, Default)]
pub(crate) struct Items<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Seq<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Seq<T> {
            type Value = Items<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<T>, A::Error> {
                let mut items = Vec::new();
                loop {
                    spend::<A::Error>()?;
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => return Ok(Items(items)),
                    }
                }
            }
        }
        deserializer.deserialize_seq(Seq(PhantomData))
    }
}

impl<T> Items<T> {
    pub(crate) fn into_vec(items: Option<Items<T>>) -> Vec<T> {
        items.map(|i| i.0).unwrap_or_default()
    }
}

/// A JSON object read entry by entry against `vuln-entries`, keeping the entries as pairs.
#[derive(Debug, Default)]
pub(crate) struct Entries<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Map<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Map<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut entries = Vec::new();
                loop {
                    spend::<A::Error>()?;
                    match map.next_entry()? {
                        Some(entry) => entries.push(entry),
                        None => return Ok(Entries(entries)),
                    }
                }
            }
        }
        deserializer.deserialize_map(Map(PhantomData))
    }
}

/// The top-level keys that tell the formats apart; every value is skipped unread.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "SchemaVersion")]
    schema_version: Option<de::IgnoredAny>,
    #[serde(rename = "Results")]
    results: Option<de::IgnoredAny>,
    #[serde(rename = "ArtifactName")]
    artifact_name: Option<de::IgnoredAny>,
    matches: Option<de::IgnoredAny>,
    source: Option<de::IgnoredAny>,
    descriptor: Option<de::IgnoredAny>,
    #[serde(rename = "imageScanFindings")]
    image_scan_findings: Option<de::IgnoredAny>,
}

/// Which format a document is, from its top-level keys.
fn sniff(bytes: &[u8]) -> Result<Option<&'static str>, serde_json::Error> {
    let probe: Probe = serde_json::from_slice(bytes)?;
    Ok(
        if probe.schema_version.is_some()
            && (probe.results.is_some() || probe.artifact_name.is_some())
        {
            Some("trivy")
        } else if probe.matches.is_some() && (probe.source.is_some() || probe.descriptor.is_some())
        {
            Some("grype")
        } else if probe.image_scan_findings.is_some() {
            Some("ecr")
        } else {
            None
        },
    )
}

/// A report's value harden cannot use, as a parse error without a place.
pub(crate) fn invalid(message: impl std::fmt::Display) -> serde_json::Error {
    <serde_json::Error as de::Error>::custom(message)
}

/// Reads one `--vulns` file.
pub fn load(path: &Path, limits: &Limits) -> Result<Vec<VulnerabilityReport>, VulnsLoadError> {
    let file = path.display().to_string();
    let bytes = super::read_bounded(path, limits).map_err(|error| match error {
        super::BoundedReadError::Io(error) => VulnsLoadError::Io {
            file: file.clone(),
            error,
        },
        super::BoundedReadError::Limit(error) => VulnsLoadError::Limit {
            file: file.clone(),
            error,
        },
    })?;
    parse(&file, &bytes, limits)
}

/// Parses a report already read; `file` names it in errors and in the model. An ECR document
/// with both basic and enhanced findings gives two reports.
pub fn parse(
    file: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<VulnerabilityReport>, VulnsLoadError> {
    limits
        .check("input-bytes", bytes.len() as u64, || {
            format!("the file ({} bytes)", bytes.len())
        })
        .map_err(|error| VulnsLoadError::Limit {
            file: file.into(),
            error,
        })?;
    let json_error = |format: &'static str, error: serde_json::Error| {
        let message = crate::excerpt::excerpt(&error.to_string(), 300);
        if error.line() == 0 {
            // A value harden cannot use (not a syntax or type error): no place to name.
            VulnsLoadError::Format {
                file: file.into(),
                format,
                message,
            }
        } else {
            VulnsLoadError::Json {
                file: file.into(),
                format,
                line: error.line(),
                column: error.column(),
                message,
            }
        }
    };
    let format = match sniff(bytes) {
        Ok(Some(format)) => format,
        Ok(None) => {
            return Err(VulnsLoadError::Unknown {
                file: file.into(),
                why: wrong_flag(bytes).unwrap_or_default(),
            });
        }
        Err(_) if wrong_flag(bytes).is_some() => {
            return Err(VulnsLoadError::Unknown {
                file: file.into(),
                why: wrong_flag(bytes).unwrap_or_default(),
            });
        }
        Err(error) if error.is_syntax() || error.is_eof() => {
            return Err(VulnsLoadError::Unknown {
                file: file.into(),
                why: format!(
                    " (line {} column {}: {})",
                    error.line(),
                    error.column(),
                    crate::excerpt::excerpt(&error.to_string(), 200)
                ),
            });
        }
        Err(error) => {
            return Err(VulnsLoadError::Unknown {
                file: file.into(),
                why: format!(" ({})", crate::excerpt::excerpt(&error.to_string(), 200)),
            });
        }
    };
    BUDGET.with(|b| b.set(limits.vuln_entries));
    EXCEEDED.with(|e| e.set(false));
    let parsed = match format {
        "trivy" => trivy::parse(file, bytes).map_err(|e| json_error("trivy", e)),
        "grype" => grype::parse(file, bytes).map_err(|e| json_error("grype", e)),
        _ => ecr::parse(file, bytes).map_err(|e| json_error("ECR scan findings", e)),
    };
    let exceeded = EXCEEDED.with(|e| e.replace(false));
    BUDGET.with(|b| b.set(u64::MAX));
    if exceeded {
        let max = limits.vuln_entries;
        let error = limits
            .check("vuln-entries", max.saturating_add(1), || {
                format!("its arrays and objects (more than {max} entries)")
            })
            .expect_err("one past the limit");
        return Err(VulnsLoadError::Limit {
            file: file.into(),
            error,
        });
    }
    parsed
}

/// `; it is a Dockerfile: pass it with --dockerfile` when the bytes are another kind of input.
fn wrong_flag(bytes: &[u8]) -> Option<String> {
    use crate::load::sniff::{InputKind, classify};
    match classify(&bytes[..bytes.len().min(8192)]) {
        kind @ (InputKind::Dockerfile | InputKind::ImageArchive | InputKind::TaskDefinition) => {
            Some(format!(
                "; it is {}: pass it {}",
                kind.describe(),
                kind.how_to_pass()
            ))
        }
        _ => None,
    }
}

/// `sha256:<hex>` when `text` is a digest (lowercased), else `None`.
pub(crate) fn digest(text: &str) -> Option<String> {
    let text = text.trim();
    let (algorithm, hex) = text.split_once(':')?;
    (algorithm == "sha256" && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// The digest of a `repo@sha256:…` reference.
pub(crate) fn digest_of_reference(reference: &str) -> Option<String> {
    digest(reference.rsplit_once('@')?.1)
}

/// The report's scanner, for messages.
pub fn describe(scanner: Scanner) -> &'static str {
    match scanner {
        Scanner::Trivy => "trivy",
        Scanner::Grype => "grype",
        Scanner::EcrBasic => "ECR basic scanning",
        Scanner::EcrEnhanced => "ECR enhanced scanning (Amazon Inspector)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_and_normalized() {
        let hex = "AB".repeat(32);
        assert_eq!(
            digest(&format!("sha256:{hex}")),
            Some(format!("sha256:{}", "ab".repeat(32)))
        );
        assert_eq!(digest("sha256:abc"), None);
        assert_eq!(digest("md5:00"), None);
        assert_eq!(
            digest_of_reference(&format!("alpine@sha256:{}", "0".repeat(64))),
            Some(format!("sha256:{}", "0".repeat(64)))
        );
        assert_eq!(digest_of_reference("alpine:3.10"), None);
    }

    #[test]
    fn unknown_json_and_non_json_are_named() {
        let limits = Limits::default();
        let error = parse("r.json", br#"{"bomFormat": "CycloneDX"}"#, &limits).unwrap_err();
        assert!(matches!(error, VulnsLoadError::Unknown { .. }), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("r.json: not a vulnerability report")
        );
        let error = parse("r.txt", b"CVE-2020-1 HIGH", &limits).unwrap_err();
        assert!(error.to_string().contains("r.txt"), "{error}");
        let error = parse("Dockerfile", b"FROM alpine\nUSER app\n", &limits).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("; it is a Dockerfile: pass it with --dockerfile"),
            "{error}"
        );
    }
}
