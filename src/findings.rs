//! What checks produce: findings (a problem, where it is, how bad) and control results (one
//! Security Hub-style status per resource and control). Rendering lives in `report/`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How bad a finding is. Ordered, so `--fail-on high` means "high or critical".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which input a location points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Image,
    Dockerfile,
    TaskDefinition,
    /// The tool itself (HD findings: unused ignores, inputs not evaluated).
    Tool,
}

/// An inclusive range of 1-based lines. Reports write it [`normalized`](LineSpan::normalized).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineSpan {
    pub start: u32,
    pub end: u32,
}

impl LineSpan {
    /// The span every report format writes: lines start at 1 and a span never ends before it
    /// starts (`0-0` is `1-1`, `9-2` is `9-9`), as the JSON schema and SARIF require.
    pub fn normalized(self) -> LineSpan {
        let start = self.start.max(1);
        LineSpan {
            start,
            end: self.end.max(start),
        }
    }
}

impl Serialize for LineSpan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let span = self.normalized();
        let mut out = serializer.serialize_struct("LineSpan", 2)?;
        out.serialize_field("start", &span.start)?;
        out.serialize_field("end", &span.end)?;
        out.end()
    }
}

/// Where a finding is. Only the fields that apply are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub source: Option<SourceKind>,
    /// The input as the user named it: an image reference or archive path, a Dockerfile path, a
    /// task-definition file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Absolute path inside the image's filesystem, for per-file findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Index (0-based, bottom first) of the layer that wrote the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The layer's digest (diff id) when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// Line span in a text input (Dockerfile, YAML template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<LineSpan>,
    /// JSON pointer (register/describe shape, `/containerDefinitions/0/user`) or template path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The resource inside the input: `family:revision`, a CloudFormation logical id, a Terraform
    /// address, a container name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What names the place independently of its line: a Dockerfile instruction's text (credential
    /// values redacted), filled in by the policy stage. Fingerprints use it instead of the line, so
    /// a line inserted above keeps a finding's identity. Not rendered.
    #[serde(skip)]
    pub anchor: Option<String>,
}

impl Location {
    pub fn image_file(image: &str, path: impl Into<String>, layer: Option<usize>) -> Location {
        Location {
            source: Some(SourceKind::Image),
            file: Some(image.to_string()),
            path: Some(path.into()),
            layer,
            ..Location::default()
        }
    }

    pub fn image(image: &str) -> Location {
        Location {
            source: Some(SourceKind::Image),
            file: Some(image.to_string()),
            ..Location::default()
        }
    }

    pub fn dockerfile(file: &str, lines: LineSpan) -> Location {
        Location {
            source: Some(SourceKind::Dockerfile),
            file: Some(file.to_string()),
            lines: Some(lines),
            ..Location::default()
        }
    }

    pub fn task_definition(file: &str, resource: &str, pointer: impl Into<String>) -> Location {
        Location {
            source: Some(SourceKind::TaskDefinition),
            file: Some(file.to_string()),
            resource: Some(resource.to_string()),
            pointer: Some(pointer.into()),
            ..Location::default()
        }
    }
}

/// Why a finding is suppressed (it stays in the report, marked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `config` (harden.toml), `inline` (a Dockerfile pragma).
    pub kind: String,
    pub reason: String,
    /// Where the ignore is written: `harden.toml:12`, `Dockerfile:3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The first day the ignore no longer applies (`2027-01-01`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One problem found by one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// Facts behind the finding (mode, owner, resolved uid, redacted value...), shown in every format.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
    /// Other places the same problem shows (a path also written by an earlier layer...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// The text edits that fix the problem, when harden can compute them (set by the fix stage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// Whether a fix may be applied without a person looking at it (ruff's words): `safe` keeps what
/// the container does, `review` changes behaviour a person should confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Review,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Review => "review",
        }
    }
}

/// One text edit: replace the bytes `start..end` of `file` with `replacement` (an insertion when
/// `start == end`, a deletion when `replacement` is empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Edit {
    pub file: String,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// A fix: what it does, whether it needs review, and its edits (never overlapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<Edit>,
}

impl Finding {
    pub fn with_evidence(&mut self, key: &str, value: impl Into<String>) -> &mut Finding {
        self.evidence.insert(key.to_string(), value.into());
        self
    }

    pub fn with_severity(&mut self, severity: Severity) -> &mut Finding {
        self.severity = severity;
        self
    }

    pub fn with_related(&mut self, location: Location) -> &mut Finding {
        self.related.push(location);
        self
    }
}

/// The status of one control on one resource, as Security Hub would report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Passed,
    Failed,
    NotApplicable,
    /// The value cannot be known offline (a CloudFormation `Ref`, a Terraform unknown): never PASS.
    Indeterminate,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Passed => "passed",
            ControlStatus::Failed => "failed",
            ControlStatus::NotApplicable => "not_applicable",
            ControlStatus::Indeterminate => "indeterminate",
        }
    }
}

/// A resource a control is evaluated on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceRef {
    /// The input file.
    pub file: String,
    /// `AwsEcsTaskDefinition`, `AwsEcsService`, `AwsEcsCluster`, `AwsEcsTaskSet`, `AwsEcsCapacityProvider`.
    pub kind: String,
    /// `family:revision`, a CloudFormation logical id, a Terraform address.
    pub name: String,
}

/// One offending field behind a FAILED or INDETERMINATE status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offender {
    /// JSON pointer or template path of the field.
    pub pointer: String,
    /// The container it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub message: String,
    /// The same field in the source document (a template path, a Terraform attribute), when it
    /// differs from `pointer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// 1-based line of the field in the input file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One (resource, control) verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlResult {
    pub id: &'static str,
    pub resource: ResourceRef,
    pub status: ControlStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offenders: Vec<Offender>,
    /// Why the status is what it is, when it is not obvious (NOT_APPLICABLE, INDETERMINATE).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// AWS's behaviour for this case is not documented; harden chose the safer verdict.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub parity_unverified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_spans_are_written_normalized() {
        let span = |start, end| LineSpan { start, end };
        assert_eq!(span(0, 0).normalized(), span(1, 1));
        assert_eq!(span(9, 2).normalized(), span(9, 9));
        assert_eq!(span(0, 7).normalized(), span(1, 7));
        assert_eq!(span(3, 5).normalized(), span(3, 5));
        assert_eq!(
            serde_json::to_string(&span(0, 0)).unwrap(),
            r#"{"start":1,"end":1}"#
        );
    }
}

/// The gate: which findings make the run fail (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Never,
    AtLeast(Severity),
}

impl Default for FailOn {
    /// `high`: a high or critical finding fails the run.
    fn default() -> FailOn {
        FailOn::AtLeast(Severity::High)
    }
}

impl FailOn {
    /// `never` or a severity name.
    pub fn parse(text: &str) -> Result<FailOn, String> {
        if text.trim().eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        Severity::parse(text).map(FailOn::AtLeast).ok_or_else(|| {
            format!("expected info, low, medium, high, critical or never, not {text:?}")
        })
    }

    /// Whether this finding, on its own, fails the run: unsuppressed and at or above the threshold.
    pub fn fails(self, finding: &Finding) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::AtLeast(threshold) => {
                finding.suppressed.is_none() && finding.severity >= threshold
            }
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::Never => f.write_str("never"),
            FailOn::AtLeast(severity) => f.write_str(severity.as_str()),
        }
    }
}

/// Evidence keys that describe the run, not the problem; left out of fingerprints. The
/// vulnerability findings (IM015, XC009) are identified by package, version and CVE IDs (`cves`):
/// what a scanner says about them (severity, fixed version, EPSS), which scanners were given, and
/// the history step of the layer change from one advisory update or rebuild to the next.
const VOLATILE_EVIDENCE: &[&str] = &[
    "severity_override",
    "vulnerabilities",
    "scanners",
    "fixed_version",
    "highest_severity",
    "layer_created_by",
    "layer_from",
];

/// A finding's identity across runs: SHA-256 over the check ID, the location fields that name the
/// place, and the evidence. 32 hex digits. Left out because they change without the problem
/// changing: the message text; the image archive's path and layer digest (every rebuild); how an
/// input path was spelled (`./x`, `x`, `/abs/x` hash the same: see [`stable_file_key`]); and the line
/// numbers of a place that has an anchor (a Dockerfile instruction's text) or a JSON pointer, so a
/// line inserted above a finding keeps its fingerprint.
pub fn fingerprint(finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    let mut field = |name: &str, value: &str| {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    };
    field("id", finding.id);
    let location = &finding.location;
    if let Some(source) = location.source {
        field("source", source_name(source));
        // The image is named by its archive path or reference, which moves between runs.
        if source != SourceKind::Image {
            if let Some(file) = &location.file {
                field("file", &stable_file_key(file));
            }
        }
    }
    if let Some(path) = &location.path {
        field("path", path);
    }
    if let Some(anchor) = &location.anchor {
        field("anchor", anchor);
    } else if let (Some(lines), None) = (location.lines, &location.pointer) {
        field("lines", &format!("{}-{}", lines.start, lines.end));
    }
    if let Some(pointer) = &location.pointer {
        field("pointer", pointer);
    }
    if let Some(resource) = &location.resource {
        field("resource", resource);
    }
    for (key, value) in &finding.evidence {
        if !VOLATILE_EVIDENCE.contains(&key.as_str()) {
            field(key, value);
        }
    }
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}

/// One fingerprint per finding, in order: [`fingerprint`], with `:2`, `:3`... appended to repeats
/// so every finding's is unique within the list.
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    findings
        .iter()
        .map(|finding| {
            let base = fingerprint(finding);
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                base
            } else {
                format!("{base}:{count}")
            }
        })
        .collect()
}

/// The key an input file is fingerprinted by, the same however its path was spelled: for a file
/// that exists, its canonical path relative to the enclosing repository root (the nearest
/// directory holding `.git`), else relative to the current directory, else absolute; for a path
/// that does not exist (stdin, a test's made-up name), the path without `./` prefixes.
pub fn stable_file_key(file: &str) -> String {
    let spelled = normalize_path(file);
    let Ok(canonical) = std::fs::canonicalize(file) else {
        return spelled.to_string();
    };
    let repository_root = canonical
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .map(std::path::Path::to_path_buf);
    let base = repository_root.or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|dir| std::fs::canonicalize(dir).ok())
    });
    match base
        .as_deref()
        .and_then(|base| canonical.strip_prefix(base).ok())
    {
        Some(relative) => relative.to_string_lossy().into_owned(),
        None => canonical.to_string_lossy().into_owned(),
    }
}

pub fn source_name(source: SourceKind) -> &'static str {
    match source {
        SourceKind::Image => "image",
        SourceKind::Dockerfile => "dockerfile",
        SourceKind::TaskDefinition => "task_definition",
        SourceKind::Tool => "tool",
    }
}

/// `./a/b` → `a/b`: the same file named two ways hashes the same.
pub fn normalize_path(path: &str) -> &str {
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    path
}
