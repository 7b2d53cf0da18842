//! AWS Security Finding Format (ASFF) for Security Hub's `BatchImportFindings`: one finding per
//! harden finding, plus one per control result not already covered by a FAILED finding. Output is
//! one `{"Findings": [...]}` object per line, at most 100 findings each (the API's limit), so a
//! report of up to 100 findings is a single JSON document for `--cli-input-json`.

use serde_json::{Map, Value, json};

use super::{RenderOptions, Report, describe};
use crate::checks;
use crate::findings::{ControlResult, ControlStatus, Finding, Severity, SourceKind};

/// The ASFF version Security Hub accepts.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// `BatchImportFindings` takes at most this many findings per call.
pub const MAX_FINDINGS_PER_CALL: usize = 100;
/// The standard the ECS.n controls belong to.
const FSBP_STANDARD: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const FSBP_TYPE: &str = "Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices";
const CIS_DOCKER_TYPE: &str =
    "Software and Configuration Checks/Industry and Regulatory Standards/CIS Docker Benchmark";
const HARDENING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";

/// ASFF `Severity.Label`.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// ASFF `Compliance.Status` of a control result: NOT_APPLICABLE becomes NOT_AVAILABLE (AWS's
/// status when the evaluation was not applicable), INDETERMINATE becomes WARNING ("some information
/// is missing"), never PASSED.
pub fn compliance_status(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Passed => "PASSED",
        ControlStatus::Failed => "FAILED",
        ControlStatus::NotApplicable => "NOT_AVAILABLE",
        ControlStatus::Indeterminate => "WARNING",
    }
}

/// Every ASFF finding of the report.
pub fn findings(report: &Report, options: &RenderOptions) -> Vec<Value> {
    let context = Context { report, options };
    let fingerprints = report.fingerprints();
    let mut out: Vec<Value> = report
        .findings
        .iter()
        .zip(&fingerprints)
        .map(|(finding, fingerprint)| context.finding(finding, fingerprint))
        .collect();
    for control in &report.controls {
        // A FAILED control whose findings are already in the output is not repeated.
        let covered = control.status == ControlStatus::Failed
            && report.findings.iter().any(|f| is_finding_of(f, control));
        if !covered {
            out.push(context.control(control));
        }
    }
    out
}

/// Lines of `{"Findings": [...]}`, each within the API's 100-finding limit. Empty when there is
/// nothing to import (the API rejects an empty list).
pub fn render(report: &Report, options: &RenderOptions) -> String {
    let all = findings(report, options);
    let mut out = String::new();
    for batch in all.chunks(MAX_FINDINGS_PER_CALL) {
        out.push_str(&serde_json::to_string(&json!({ "Findings": batch })).expect("serializes"));
        out.push('\n');
    }
    out
}

fn is_finding_of(finding: &Finding, control: &ControlResult) -> bool {
    finding.id == control.id
        && finding.location.resource.as_deref() == Some(control.resource.name.as_str())
}

struct Context<'a> {
    report: &'a Report,
    options: &'a RenderOptions,
}

impl Context<'_> {
    fn product_arn(&self) -> String {
        let aws = &self.options.aws;
        format!(
            "arn:aws:securityhub:{}:{}:product/{}/default",
            aws.region, aws.account_id, aws.account_id
        )
    }

    fn base(&self, id: String, check_id: &str, title: String, description: String) -> Value {
        let aws = &self.options.aws;
        json!({
            "SchemaVersion": SCHEMA_VERSION,
            "Id": id,
            "ProductArn": self.product_arn(),
            "ProductName": "harden",
            "CompanyName": "harden",
            "Region": aws.region,
            "GeneratorId": format!("harden/{check_id}"),
            "AwsAccountId": aws.account_id,
            "Types": [finding_type(check_id)],
            "CreatedAt": self.options.timestamp,
            "UpdatedAt": self.options.timestamp,
            "Title": text(&title, 256),
            "Description": text(&description, 1024),
            "RecordState": "ACTIVE",
        })
    }

    fn finding(&self, finding: &Finding, fingerprint: &str) -> Value {
        let place = describe(&finding.location);
        let mut description = finding.message.clone();
        if !place.is_empty() {
            description.push_str(&format!(" (at {place})"));
        }
        for (key, value) in &finding.evidence {
            description.push_str(&format!("; {key}: {value}"));
        }
        let mut value = self.base(
            format!("harden/{fingerprint}"),
            finding.id,
            format!("{} {}: {}", finding.id, finding.name, finding.message),
            description,
        );
        value["Severity"] = json!({
            "Label": severity_label(finding.severity),
            "Original": finding.severity.as_str(),
        });
        // A cross-source finding is about the task definition and the image it runs: both are
        // resources (the image as a `Container`), as Security Hub groups findings by resource.
        let mut resources = vec![self.resource_of_finding(finding)];
        if finding.location.source != Some(SourceKind::Image)
            && let Some(image) = finding
                .related
                .iter()
                .find(|r| r.source == Some(SourceKind::Image))
        {
            resources.push(self.resource_of_finding(&Finding {
                location: image.clone(),
                ..finding.clone()
            }));
        }
        value["Resources"] = json!(resources);
        if let Some(recommendation) = recommendation(finding.id) {
            value["Remediation"] = recommendation;
        }
        let mut fields = Map::new();
        fields.insert("harden/CheckId".into(), json!(finding.id));
        fields.insert("harden/CheckName".into(), json!(finding.name));
        if !is_blank(&place) {
            fields.insert("harden/Location".into(), json!(text(&place, 2048)));
        }
        // ProductFields holds at most 50 pairs; evidence beyond that is in the Description.
        for (key, evidence) in finding.evidence.iter().take(45) {
            fields.insert(
                text(&format!("harden/evidence/{key}"), 128),
                json!(text(evidence, 2048)),
            );
        }
        value["ProductFields"] = Value::Object(fields);
        if finding.id.starts_with("ECS.") {
            value["Compliance"] = json!({
                "Status": "FAILED",
                "SecurityControlId": finding.id,
                "AssociatedStandards": [{"StandardsId": FSBP_STANDARD}],
            });
        }
        match &finding.suppressed {
            Some(suppression) => {
                value["Workflow"] = json!({"Status": "SUPPRESSED"});
                let mut text = format!("Suppressed ({}): {}", suppression.kind, suppression.reason);
                if let Some(origin) = &suppression.origin {
                    text.push_str(&format!(" [{origin}]"));
                }
                value["Note"] = json!({
                    "Text": self::text(&text, 512),
                    "UpdatedBy": "harden",
                    "UpdatedAt": self.options.timestamp,
                });
            }
            None => value["Workflow"] = json!({"Status": "NEW"}),
        }
        value
    }

    fn control(&self, control: &ControlResult) -> Value {
        let status = compliance_status(control.status);
        let summary = checks::find(control.id)
            .map(|c| c.summary())
            .unwrap_or_default();
        let mut description = format!(
            "{} on {} ({}): {}.",
            control.id, control.resource.name, control.resource.file, status
        );
        if !summary.is_empty() {
            description.push_str(&format!(" {summary}"));
        }
        for offender in &control.offenders {
            description.push_str(&format!(" {}: {}.", offender.pointer, offender.message));
        }
        for note in &control.notes {
            description.push_str(&format!(" {note}"));
        }
        let id = format!(
            "harden/control/{}/{}",
            control.id,
            stable_hash(&[&control.resource.file, &control.resource.name])
        );
        let mut value = self.base(
            id,
            control.id,
            format!("{} {}: {status}", control.id, control.resource.name),
            description,
        );
        // Security Hub rates a control finding by its status: a pass is informational.
        let severity = match control.status {
            ControlStatus::Failed => checks::find(control.id)
                .map(|c| c.severity)
                .unwrap_or(Severity::Medium),
            _ => Severity::Info,
        };
        value["Severity"] = json!({"Label": severity_label(severity)});
        value["Resources"] =
            json!([self.task_definition_resource(&control.resource.name, &control.resource.kind)]);
        value["Compliance"] = json!({
            "Status": status,
            "SecurityControlId": control.id,
            "AssociatedStandards": [{"StandardsId": FSBP_STANDARD}],
        });
        value["Workflow"] = json!({
            "Status": if control.status == ControlStatus::Failed { "NEW" } else { "RESOLVED" }
        });
        value
    }

    fn resource_of_finding(&self, finding: &Finding) -> Value {
        let location = &finding.location;
        match location.source {
            // The EX checks are about a stack resource (the service of an exposure finding,
            // whose traits are in ProductFields; a security group; a role), named in their
            // evidence.
            Some(SourceKind::TaskDefinition) if stack_resource(finding).is_some() => {
                let (kind, name) = stack_resource(finding).unwrap_or_default();
                json!({
                    "Type": kind,
                    "Id": text(name, 512),
                    "Partition": "aws",
                    "Region": self.options.aws.region,
                })
            }
            Some(SourceKind::TaskDefinition) => {
                let name = location
                    .resource
                    .clone()
                    .or_else(|| location.file.clone())
                    .unwrap_or_else(|| "task-definition".into());
                self.task_definition_resource(&name, "AwsEcsTaskDefinition")
            }
            Some(SourceKind::Image) => {
                // The finding's own image (several may be scanned in one run).
                let image = self
                    .report
                    .inputs
                    .image
                    .iter()
                    .chain(&self.report.inputs.images)
                    .find(|i| Some(&i.source) == location.file.as_ref())
                    .or(self.report.inputs.image.as_ref());
                let name = image
                    .and_then(|i| i.reference.clone())
                    .or_else(|| location.file.clone())
                    .unwrap_or_else(|| "image".into());
                let mut container = Map::new();
                container.insert("ImageName".into(), json!(text(&name, 1024)));
                if let Some(image) = image.filter(|i| !is_blank(&i.config_digest)) {
                    container.insert("ImageId".into(), json!(text(&image.config_digest, 1024)));
                }
                json!({
                    "Type": "Container",
                    "Id": text(&name, 512),
                    "Partition": "aws",
                    "Region": self.options.aws.region,
                    "Details": {"Container": container},
                })
            }
            _ => {
                let id = location
                    .file
                    .clone()
                    .or_else(|| location.resource.clone())
                    .unwrap_or_else(|| "harden".into());
                let mut other = Map::new();
                if let Some(source) = location.source {
                    other.insert("Source".into(), json!(super::source_name(source)));
                }
                if let Some(lines) = location.lines.map(|l| l.normalized()) {
                    other.insert(
                        "Lines".into(),
                        json!(format!("{}-{}", lines.start, lines.end)),
                    );
                }
                json!({
                    "Type": "Other",
                    "Id": text(&id, 512),
                    "Partition": "aws",
                    "Region": self.options.aws.region,
                    "Details": {"Other": other},
                })
            }
        }
    }

    /// A task definition as a resource: its ARN when the name is `family:revision`.
    fn task_definition_resource(&self, name: &str, kind: &str) -> Value {
        let aws = &self.options.aws;
        let is_task_definition = kind == "AwsEcsTaskDefinition";
        let family = name.split_once(':').map_or(name, |(family, _)| family);
        let id = if is_task_definition && !family.is_empty() {
            format!(
                "arn:aws:ecs:{}:{}:task-definition/{}",
                aws.region, aws.account_id, name
            )
        } else {
            name.to_string()
        };
        let mut value = json!({
            "Type": if is_task_definition { "AwsEcsTaskDefinition" } else { "Other" },
            "Id": text(&id, 512),
            "Partition": "aws",
            "Region": aws.region,
        });
        if is_task_definition && !is_blank(family) {
            value["Details"] = json!({"AwsEcsTaskDefinition": {"Family": text(family, 1024)}});
        } else if !is_blank(kind) {
            // Other's keys and values are under 128 and 1,024 characters.
            value["Details"] = json!({"Other": {"Kind": text(kind, 1023)}});
        }
        value
    }
}

/// The ASFF resource type and name of an EX finding's resource, from its evidence.
fn stack_resource(finding: &Finding) -> Option<(&'static str, &str)> {
    if !finding.id.starts_with("EX") {
        return None;
    }
    [
        ("service", "AwsEcsService"),
        ("security_group", "AwsEc2SecurityGroup"),
        ("role", "AwsIamRole"),
    ]
    .into_iter()
    .find_map(|(key, kind)| finding.evidence.get(key).map(|name| (kind, name.as_str())))
}

/// `Types`: the standard the check belongs to, in ASFF's namespace/category/classifier form.
fn finding_type(check_id: &str) -> &'static str {
    if check_id.starts_with("ECS.") {
        return FSBP_TYPE;
    }
    let cis = checks::find(check_id)
        .and_then(|c| c.section("References"))
        .is_some_and(|r| r.contains("CIS Docker"));
    if cis { CIS_DOCKER_TYPE } else { HARDENING_TYPE }
}

/// The check's one-line summary as the remediation text (≤ 512 characters).
fn recommendation(check_id: &str) -> Option<Value> {
    let check = checks::find(check_id)?;
    let text = format!(
        "{} Run `harden explain {}` for the fix.",
        check.summary(),
        check.id
    );
    Some(json!({"Recommendation": {"Text": self::text(&text, 512)}}))
}

fn stable_hash(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// A string field's value: every ASFF string must hold a non-whitespace character (the model's
/// `.*\S.*`), so a blank one becomes `(empty)`; and at most `max` characters, ending with `…`
/// when cut, on a character boundary.
fn text(value: &str, max: usize) -> String {
    if is_blank(value) {
        return "(empty)".to_string();
    }
    truncate(value, max)
}

/// No character a `\S` could match: only whitespace (Unicode's or ASCII's separators) and controls.
fn is_blank(value: &str) -> bool {
    value.chars().all(|c| c.is_whitespace() || c.is_control())
}

/// At most `max` characters, ending with `…` when cut. Counted in UTF-16 code units, the
/// stricter of the two ways a limit may be counted (a Java `String` length; an emoji is two), so
/// the text fits whichever the service uses.
fn truncate(text: &str, max: usize) -> String {
    if text.encode_utf16().count() <= max {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut units = 0;
    for c in text.chars() {
        // One unit is kept for the ellipsis.
        if units + c.len_utf16() > max - 1 {
            break;
        }
        units += c.len_utf16();
        cut.push(c);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4).chars().count(), 4);
        // An emoji is two UTF-16 units: never cut in half, never over the limit in either count.
        let cut = truncate(&"😀".repeat(10), 6);
        assert_eq!(cut, "😀😀…");
        assert!(cut.encode_utf16().count() <= 6);
    }

    #[test]
    fn blank_strings_are_named() {
        assert_eq!(text("", 10), "(empty)");
        assert_eq!(text(" \t\u{2028}\u{1}", 10), "(empty)");
        assert_eq!(text("\0x", 10), "\0x");
        assert_eq!(text("abc", 10), "abc");
    }

    #[test]
    fn statuses_map_to_asff() {
        assert_eq!(
            compliance_status(ControlStatus::NotApplicable),
            "NOT_AVAILABLE"
        );
        assert_eq!(compliance_status(ControlStatus::Indeterminate), "WARNING");
        assert_eq!(severity_label(Severity::Info), "INFORMATIONAL");
    }
}
