//! SARIF 2.1.0 for GitHub code scanning: every check as a rule (help from its docs,
//! `security-severity`), every finding as a result with a physical location (Dockerfile line, task
//! definition file, path inside the image under the `IMAGEROOT` base), a stable
//! `partialFingerprints` entry, and suppressions for ignored findings.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::{RenderOptions, Report, normalize_path, source_name};
use crate::checks::{self, Check};
use crate::findings::{Finding, Location, Severity, SourceKind};

/// The SARIF schema the output follows.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base id paths inside the image are relative to.
pub const IMAGE_ROOT: &str = "IMAGEROOT";
/// The base id paths of files in the working directory (the repository) are relative to.
pub const SOURCE_ROOT: &str = "%SRCROOT%";
/// The key of harden's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "harden/v1";

/// SARIF `level`: error for critical and high, warning for medium, note below.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (a number 0.0–10.0 as a string; > 9.0 critical, 7.0–8.9
/// high, 4.0–6.9 medium, 0.1–3.9 low). `None` for info: GitHub then shows the level alone.
pub fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report, options)).expect("serializes");
    text.push('\n');
    text
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, options: &RenderOptions) -> Value {
    let rules: Vec<&'static Check> = checks::all();
    let fingerprints = report.fingerprints();
    let working_dir = options
        .working_dir
        .clone()
        .or_else(|| std::env::current_dir().ok());
    let working_dir = working_dir.as_deref();

    // One base id per image: `IMAGEROOT`, and with several images `IMAGEROOT`, `IMAGEROOT-2`...
    let images: Vec<&super::ImageSummary> = report
        .inputs
        .image
        .iter()
        .chain(&report.inputs.images)
        .collect();
    let roots: Vec<(String, String)> = images
        .iter()
        .enumerate()
        .map(|(index, image)| (image.source.clone(), image_root(index)))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(&fingerprints)
        .map(|(finding, fingerprint)| result(finding, fingerprint, &rules, working_dir, &roots))
        .collect();

    let mut original_uri_base_ids = Map::new();
    if let Some(dir) = working_dir {
        original_uri_base_ids.insert(
            SOURCE_ROOT.to_string(),
            json!({
                "uri": directory_uri(dir),
                "description": {"text": "The directory harden ran in; input files are relative to it."}
            }),
        );
    }
    for (index, image) in images.iter().enumerate() {
        let description = format!(
            "The root of the merged filesystem of the image {} (config {}).",
            image.reference.as_deref().unwrap_or(&image.source),
            image.config_digest
        );
        original_uri_base_ids.insert(
            image_root(index),
            json!({"description": {"text": description}}),
        );
    }
    if images.is_empty() {
        original_uri_base_ids.insert(
            IMAGE_ROOT.to_string(),
            json!({"description": {"text": "The root of the scanned image's merged filesystem."}}),
        );
    }

    let exit_code = report.exit_code(options.fail_on);
    let mut invocation = json!({
        "executionSuccessful": true,
        "exitCode": exit_code,
        "exitCodeDescription": if exit_code == 0 {
            format!("no unsuppressed finding at or above --fail-on {}", options.fail_on)
        } else {
            format!("findings at or above --fail-on {}", options.fail_on)
        },
    });
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|failure| json!({"level": "error", "message": {"text": failure.describe()}}))
        .chain(
            report
                .notes
                .iter()
                .map(|note| json!({"level": "note", "message": {"text": note}})),
        )
        .collect();
    if !report.errors.is_empty() {
        // Some images could not be scanned: the run is incomplete (exit 2).
        invocation["executionSuccessful"] = json!(false);
        invocation["exitCode"] = json!(2);
        invocation["exitCodeDescription"] = json!("some images could not be scanned");
    }
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }

    let mut value = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules.iter().map(|check| rule(check)).collect::<Vec<_>>(),
            }},
            "automationDetails": {"id": "harden/"},
            "originalUriBaseIds": original_uri_base_ids,
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    // Several images: one artifact per image, its description naming it and its digests.
    if !report.inputs.images.is_empty() {
        value["runs"][0]["artifacts"] = images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                json!({
                    "location": {"uri": "", "uriBaseId": image_root(index)},
                    "roles": ["analysisTarget"],
                    "description": {"text": format!(
                        "image {}{}, platform {}, config {}",
                        image.source,
                        image.reference.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
                        image.platform,
                        image.config_digest
                    )},
                })
            })
            .collect();
    }
    value
}

/// The SARIF base id of the `index`th image: `IMAGEROOT`, then `IMAGEROOT-2`, `IMAGEROOT-3`...
fn image_root(index: usize) -> String {
    if index == 0 {
        IMAGE_ROOT.to_string()
    } else {
        format!("{IMAGE_ROOT}-{}", index + 1)
    }
}

/// A check as a SARIF `reportingDescriptor`.
fn rule(check: &Check) -> Value {
    let what = check
        .section("What it does")
        .unwrap_or_else(|| check.summary());
    let why = check.section("Why is this bad?").unwrap_or_default();
    let full = if why.is_empty() {
        what
    } else {
        format!("{what}\n\n{why}")
    };
    let markdown = check.documentation();
    let mut tags = vec![
        "security".to_string(),
        target_tag(check).to_string(),
        family(check.id).to_string(),
    ];
    if check.id.starts_with("ECS.") {
        tags.push("aws-security-hub".to_string());
    }
    let mut properties = json!({
        "tags": tags,
        "precision": "high",
        "problem.severity": level(check.severity),
        "harden/severity": check.severity.as_str(),
    });
    if let Some(score) = security_severity(check.severity) {
        properties["security-severity"] = json!(score);
    }
    json!({
        "id": check.id,
        "name": pascal_case(check.name),
        "shortDescription": {"text": check.summary()},
        "fullDescription": {"text": plain(&full)},
        "help": {"text": plain(&markdown), "markdown": markdown},
        "defaultConfiguration": {"level": level(check.severity)},
        "properties": properties,
    })
}

fn target_tag(check: &Check) -> &'static str {
    match check.target {
        checks::Target::Image => "image",
        checks::Target::Dockerfile => "dockerfile",
        checks::Target::Ecs => "ecs",
        checks::Target::Td => "ecs",
        checks::Target::Cross => "cross-source",
        checks::Target::Exposure => "exposure",
        checks::Target::Tool => "harden",
    }
}

/// `IM012` → `IM`, `ECS.5` → `ECS`.
fn family(id: &str) -> &str {
    let end = id
        .find(|c: char| c.is_ascii_digit() || c == '.')
        .unwrap_or(id.len());
    &id[..end]
}

/// `missing-healthcheck` → `MissingHealthcheck` (SARIF rule names are identifiers).
fn pascal_case(slug: &str) -> String {
    slug.split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Markdown to readable plain text: headings lose their `#`, code fences their backticks.
fn plain(markdown: &str) -> String {
    markdown
        .lines()
        .filter(|line| !line.trim_start().starts_with("```"))
        .map(|line| line.trim_start_matches('#').trim_start())
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

fn result(
    finding: &Finding,
    fingerprint: &str,
    rules: &[&'static Check],
    working_dir: Option<&Path>,
    roots: &[(String, String)],
) -> Value {
    let mut value = json!({
        "ruleId": finding.id,
        "level": level(finding.severity),
        "kind": "fail",
        "message": {"text": message(finding)},
        "locations": [location(&finding.location, working_dir, 0, roots)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    });
    if let Some(index) = rules.iter().position(|c| c.id == finding.id) {
        value["ruleIndex"] = json!(index);
    }
    if !finding.related.is_empty() {
        value["relatedLocations"] = finding
            .related
            .iter()
            .enumerate()
            .map(|(index, related)| location(related, working_dir, index + 1, roots))
            .collect();
    }
    let mut properties = json!({"severity": finding.severity.as_str()});
    if let Some(score) = security_severity(finding.severity) {
        properties["security-severity"] = json!(score);
    }
    if !finding.evidence.is_empty() {
        properties["evidence"] = json!(finding.evidence);
    }
    value["properties"] = properties;
    if let Some(suppression) = &finding.suppressed {
        let kind = if suppression.kind == "inline" {
            "inSource"
        } else {
            "external"
        };
        let mut entry = json!({
            "kind": kind,
            "status": "accepted",
            "justification": suppression.reason,
        });
        if let Some(origin) = &suppression.origin {
            entry["properties"] = json!({"origin": origin});
            if let Some(expires) = &suppression.expires {
                entry["properties"]["expires"] = json!(expires);
            }
        }
        value["suppressions"] = json!([entry]);
    }
    if let Some(fix) = &finding.fix {
        value["fixes"] = json!([fix_object(fix, working_dir)]);
    }
    value
}

/// A fix as SARIF's `fix` (§3.55): one `artifactChange` per file, each edit a `replacement` whose
/// region is in bytes (SARIF's `byteOffset`/`byteLength`, exact for any encoding).
fn fix_object(fix: &crate::findings::Fix, working_dir: Option<&Path>) -> Value {
    let mut files: Vec<&str> = fix.edits.iter().map(|e| e.file.as_str()).collect();
    files.dedup();
    let changes: Vec<Value> = files
        .iter()
        .map(|file| {
            let replacements: Vec<Value> = fix
                .edits
                .iter()
                .filter(|e| e.file == *file)
                .map(|edit| {
                    json!({
                        "deletedRegion": {
                            "byteOffset": edit.start,
                            "byteLength": edit.end - edit.start,
                        },
                        "insertedContent": {"text": edit.replacement},
                    })
                })
                .collect();
            json!({"artifactLocation": artifact(file, working_dir), "replacements": replacements})
        })
        .collect();
    json!({
        "description": {"text": format!("{} ({})", fix.description, fix.applicability.as_str())},
        "artifactChanges": changes,
        "properties": {"applicability": fix.applicability.as_str()},
    })
}

/// The message, with the evidence appended so GitHub's alert view shows the facts too.
fn message(finding: &Finding) -> String {
    let mut text = finding.message.trim().to_string();
    if !text.ends_with('.') {
        text.push('.');
    }
    let facts: Vec<String> = finding
        .evidence
        .iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect();
    if !facts.is_empty() {
        text.push_str(&format!(" ({})", facts.join("; ")));
    }
    text
}

/// A SARIF `location`: always a physical location (GitHub needs `artifactLocation.uri`), plus a
/// logical one naming the resource, pointer or image path.
fn location(
    location: &Location,
    working_dir: Option<&Path>,
    id: usize,
    roots: &[(String, String)],
) -> Value {
    let mut physical = Map::new();
    let mut logical: Vec<Value> = Vec::new();
    match (location.source, &location.path) {
        (Some(SourceKind::Image), Some(path)) => {
            let root = roots
                .iter()
                .find(|(source, _)| Some(source.as_str()) == location.file.as_deref())
                .map_or(IMAGE_ROOT, |(_, root)| root.as_str());
            physical.insert(
                "artifactLocation".into(),
                json!({"uri": encode_path(path.trim_start_matches('/')), "uriBaseId": root}),
            );
            let image = location.file.as_deref().unwrap_or("image");
            let mut name = format!("{image}:{path}");
            if let Some(layer) = location.layer {
                name.push_str(&format!(" (layer {layer})"));
            }
            logical.push(json!({"name": path, "fullyQualifiedName": name, "kind": "resource"}));
        }
        _ => {
            let file = location.file.as_deref().unwrap_or("");
            physical.insert("artifactLocation".into(), artifact(file, working_dir));
            if location.source == Some(SourceKind::Image) {
                logical.push(json!({"name": file, "kind": "resource"}));
            }
        }
    }
    // GitHub code scanning places an alert only where `region.startLine` says (the multitool's
    // SARIF2017 / former GH1003); a finding about a whole artifact (an image, a file in it, a task
    // definition without a line) starts at its beginning.
    let region = match location.lines {
        Some(lines) => {
            let lines = lines.normalized();
            json!({"startLine": lines.start, "endLine": lines.end})
        }
        None => json!({"startLine": 1}),
    };
    physical.insert("region".into(), region);
    match (&location.resource, &location.pointer) {
        (Some(resource), Some(pointer)) => logical.push(json!({
            "name": pointer,
            "fullyQualifiedName": format!("{resource}{pointer}"),
            "kind": "member",
        })),
        (Some(resource), None) => logical.push(json!({"name": resource, "kind": "resource"})),
        (None, Some(pointer)) => logical.push(json!({"name": pointer, "kind": "member"})),
        (None, None) => {}
    }
    let mut value = json!({"id": id, "physicalLocation": physical});
    if !logical.is_empty() {
        value["logicalLocations"] = json!(logical);
    }
    if let Some(source) = location.source {
        value["properties"] = json!({"source": source_name(source)});
    }
    value
}

/// An input file as an `artifactLocation`: relative to the working directory (base `%SRCROOT%`)
/// when it is inside it, else an absolute `file:` URI.
fn artifact(file: &str, working_dir: Option<&Path>) -> Value {
    let path = Path::new(file);
    if path.is_absolute() {
        if let Some(relative) = working_dir.and_then(|dir| path.strip_prefix(dir).ok()) {
            let relative = relative.to_string_lossy();
            return json!({"uri": encode_path(&relative), "uriBaseId": SOURCE_ROOT});
        }
        return json!({"uri": format!("file://{}", encode_path(file))});
    }
    let relative = normalize_path(file);
    if relative.is_empty() {
        return json!({"uri": ".", "uriBaseId": SOURCE_ROOT});
    }
    json!({"uri": encode_path(relative), "uriBaseId": SOURCE_ROOT})
}

/// `file:///work/repo/` for a directory (a base URI ends with `/`).
fn directory_uri(dir: &Path) -> String {
    let mut text = encode_path(&dir.to_string_lossy());
    if !text.ends_with('/') {
        text.push('/');
    }
    if text.starts_with('/') {
        format!("file://{text}")
    } else {
        format!("file:///{text}")
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_and_relativize() {
        assert_eq!(encode_path("usr/bin/a b:c"), "usr/bin/a%20b%3Ac");
        let dir = Path::new("/work/repo");
        assert_eq!(
            artifact("/work/repo/app/Dockerfile", Some(dir)),
            json!({"uri": "app/Dockerfile", "uriBaseId": SOURCE_ROOT})
        );
        assert_eq!(
            artifact("./Dockerfile", Some(dir)),
            json!({"uri": "Dockerfile", "uriBaseId": SOURCE_ROOT})
        );
        assert_eq!(
            artifact("/elsewhere/td.json", Some(dir)),
            json!({"uri": "file:///elsewhere/td.json"})
        );
        assert_eq!(directory_uri(dir), "file:///work/repo/");
    }

    #[test]
    fn names_and_levels() {
        assert_eq!(pascal_case("missing-healthcheck"), "MissingHealthcheck");
        assert_eq!(family("ECS.5"), "ECS");
        assert_eq!(family("IM012"), "IM");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
    }
}
