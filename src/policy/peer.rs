//! checkov and trivy skips written in the ECS inputs (read by the loader into
//! [`PeerSkip`]s, scoped as each tool scopes them) suppress the harden checks that name the
//! skipped rule as their equivalent in `references.checkov` / `references.trivy` (an AWS rule
//! ID leading the entry: `CKV_AWS_336`, `AWS-0035` or `AVD-AWS-0035`). A trivy ID matches as trivy
//! matches it: against the rule's ID, AVD ID and aliases (the table below, from
//! aquasecurity/trivy-checks' rule metadata), case-insensitively, with `*` wildcards. Like
//! hadolint pragmas, a peer's skip that suppresses nothing here is not reported: it serves the
//! peer tool.

use std::collections::HashMap;

use crate::checks::{self, reference_id};
use crate::dates::Date;
use crate::findings::{Finding, SourceKind, Suppression, normalize_path};
use crate::model::ecs::{PeerSkip, PeerTool, SkipScope};

/// trivy's names for the AWS rules harden references: `id`, `long_id` and `aliases` from
/// trivy-checks (checks/cloud/aws/ecs/*.rego, checks/cloud/aws/ec2/no_public_ingress_sgr.rego at
/// 80e53822, 2026-08-21).
const TRIVY_ALIASES: &[(&str, &[&str])] = &[
    (
        "AWS-0034",
        &[
            "AVD-AWS-0034",
            "aws-ecs-enable-container-insight",
            "enable-container-insight",
        ],
    ),
    (
        "AWS-0035",
        &[
            "AVD-AWS-0035",
            "aws-ecs-enable-in-transit-encryption",
            "enable-in-transit-encryption",
        ],
    ),
    (
        "AWS-0036",
        &[
            "AVD-AWS-0036",
            "aws-ecs-no-plaintext-secrets",
            "no-plaintext-secrets",
        ],
    ),
    (
        "AWS-0107",
        &[
            "AVD-AWS-0107",
            "aws-ec2-no-public-ingress-sgr",
            "no-public-ingress-sgr",
        ],
    ),
];

/// The checkov rules a check names as equivalent (`CKV_AWS_336`).
pub fn checkov_equivalents(check: &checks::Check) -> Vec<&'static str> {
    check
        .references
        .checkov
        .iter()
        .map(|entry| reference_id(entry))
        .filter(|id| {
            id.strip_prefix("CKV_AWS_")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

/// Every name trivy matches for the rules a check names as equivalent (`AWS-0035`,
/// `AVD-AWS-0035`, `aws-ecs-enable-in-transit-encryption`...).
pub fn trivy_names(check: &checks::Check) -> Vec<String> {
    let mut names = Vec::new();
    for entry in check.references.trivy {
        let id = reference_id(entry);
        let id = id.strip_prefix("AVD-").unwrap_or(id);
        let Some(number) = id.strip_prefix("AWS-") else {
            continue;
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        names.push(id.to_string());
        match TRIVY_ALIASES.iter().find(|(rule, _)| *rule == id) {
            Some((_, aliases)) => names.extend(aliases.iter().map(|a| a.to_string())),
            None => names.push(format!("AVD-{id}")),
        }
    }
    names
}

/// trivy's `MatchPattern`: case-insensitive, `*` matches any run of characters.
fn trivy_matches(name: &str, pattern: &str) -> bool {
    fn matches(pattern: &[u8], text: &[u8]) -> bool {
        // Iterative wildcard match: linear in practice, no recursion on attacker sizes.
        let (mut p, mut t) = (0, 0);
        let (mut star, mut mark) = (None, 0);
        while t < text.len() {
            if p < pattern.len() && pattern[p] != b'*' && pattern[p] == text[t] {
                p += 1;
                t += 1;
            } else if p < pattern.len() && pattern[p] == b'*' {
                star = Some(p);
                mark = t;
                p += 1;
            } else if let Some(s) = star {
                p = s + 1;
                mark += 1;
                t = mark;
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(|&b| b == b'*')
    }
    matches(
        pattern.to_ascii_lowercase().as_bytes(),
        name.to_ascii_lowercase().as_bytes(),
    )
}

/// Longer trivy IDs are not read: no rule name is this long, and a pattern's matching cost grows
/// with its length.
const LONGEST_TRIVY_ID: usize = 200;

/// The skips that name one check, indexed by where they apply: lookups in logarithmic time, so
/// a file with many skips and many findings costs no product of the two.
#[derive(Default)]
struct Covered {
    files: HashMap<String, usize>,
    resources: HashMap<(String, String), usize>,
    /// Per file: line spans sorted by start, each with the largest end (and its skip) among it
    /// and the spans before it.
    lines: HashMap<String, Vec<(u32, u32, usize)>>,
}

impl Covered {
    fn finish(&mut self) {
        for spans in self.lines.values_mut() {
            spans.sort_unstable();
            let mut widest: Option<(u32, usize)> = None;
            for span in spans.iter_mut() {
                if widest.is_none_or(|(end, _)| span.1 > end) {
                    widest = Some((span.1, span.2));
                }
                let (end, skip) = widest.expect("set above");
                span.1 = end;
                span.2 = skip;
            }
        }
    }

    fn find(&self, file: &str, resource: Option<&str>, line: Option<u32>) -> Option<usize> {
        if let Some(&skip) = self.files.get(file) {
            return Some(skip);
        }
        if let Some(resource) = resource
            && let Some(&skip) = self
                .resources
                .get(&(file.to_string(), resource.to_string()))
        {
            return Some(skip);
        }
        let line = line?;
        let spans = self.lines.get(file)?;
        let before = spans.partition_point(|&(start, _, _)| start <= line);
        let &(_, end, skip) = spans.get(before.checked_sub(1)?)?;
        (end >= line).then_some(skip)
    }
}

/// Marks the findings the skips cover as suppressed.
pub fn apply_peer_skips(findings: &mut [Finding], skips: &[PeerSkip], today: Date) {
    if skips.is_empty() {
        return;
    }
    // Each check with an AWS equivalent, and the skips that name it.
    let mut covered: HashMap<&'static str, Covered> = HashMap::new();
    let checks: Vec<(&'static str, Vec<&'static str>, Vec<String>)> = checks::all()
        .into_iter()
        .map(|check| (check.id, checkov_equivalents(check), trivy_names(check)))
        .filter(|(_, checkov, trivy)| !checkov.is_empty() || !trivy.is_empty())
        .collect();
    for (index, skip) in skips.iter().enumerate() {
        let current = match skip.expires {
            None => true,
            Some(Some(day)) => today < day,
            Some(None) => false,
        };
        if !current || skip.id.len() > LONGEST_TRIVY_ID {
            continue;
        }
        for (id, checkov, trivy) in &checks {
            let names_it = match skip.tool {
                PeerTool::Checkov => checkov.contains(&skip.id.as_str()),
                PeerTool::Trivy => trivy.iter().any(|n| trivy_matches(n, &skip.id)),
            };
            if !names_it {
                continue;
            }
            let entry = covered.entry(*id).or_default();
            let file = normalize_path(&skip.file).to_string();
            match &skip.scope {
                SkipScope::File => {
                    entry.files.entry(file).or_insert(index);
                }
                SkipScope::Resource(name) => {
                    entry.resources.entry((file, name.clone())).or_insert(index);
                }
                SkipScope::Lines(spans) => {
                    let list = entry.lines.entry(file).or_default();
                    list.extend(spans.iter().map(|s| (s.start, s.end, index)));
                }
            }
        }
    }
    for entry in covered.values_mut() {
        entry.finish();
    }
    for finding in findings.iter_mut() {
        if finding.suppressed.is_some()
            || finding.location.source != Some(SourceKind::TaskDefinition)
        {
            continue;
        }
        let Some(entry) = covered.get(finding.id) else {
            continue;
        };
        let Some(file) = finding.location.file.as_deref().map(normalize_path) else {
            continue;
        };
        let Some(index) = entry.find(
            file,
            finding.location.resource.as_deref(),
            finding.location.lines.map(|l| l.start),
        ) else {
            continue;
        };
        let skip = &skips[index];
        let written = match skip.tool {
            PeerTool::Checkov => format!("checkov:skip={}", skip.id),
            PeerTool::Trivy => format!("trivy:ignore:{}", skip.id),
        };
        finding.suppressed = Some(Suppression {
            kind: "inline".to_string(),
            reason: skip
                .reason
                .clone()
                .unwrap_or_else(|| format!("{written} in {}", skip.file)),
            origin: Some(match skip.line {
                Some(line) => format!("{}:{line}", skip.file),
                None => skip.file.clone(),
            }),
            expires: skip.expires.flatten().map(|d| d.to_string()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_spans_are_found_by_the_widest_before_the_line() {
        let mut covered = Covered::default();
        covered
            .lines
            .insert("f".into(), vec![(10, 30, 0), (12, 14, 1), (40, 41, 2)]);
        covered.finish();
        assert_eq!(covered.find("f", None, Some(20)), Some(0));
        assert_eq!(covered.find("f", None, Some(13)), Some(0));
        assert_eq!(covered.find("f", None, Some(35)), None);
        assert_eq!(covered.find("f", None, Some(41)), Some(2));
        assert_eq!(covered.find("f", None, Some(9)), None);
        assert_eq!(covered.find("g", None, Some(20)), None);
    }

    #[test]
    fn trivy_patterns_match_as_trivy_does() {
        // trivy's own cases (rule_test.go): `rule-*` matches, `rule-1-*d` does not.
        assert!(trivy_matches("rule-1", "rule-*"));
        assert!(!trivy_matches("rule-1-abc", "rule-1-*d"));
        assert!(trivy_matches("AVD-AWS-0035", "avd-aws-0035"));
        assert!(trivy_matches(
            "aws-ecs-enable-in-transit-encryption",
            "aws-ecs-*"
        ));
        assert!(!trivy_matches("AWS-0035", "AWS-003"));
    }

    /// Every AWS rule ID a check names resolves, and each names a real rule: checkov's by the
    /// ID format, trivy's through the alias table (an AWS trivy ID missing from the table is a
    /// reference the table was not updated for).
    #[test]
    fn every_aws_reference_is_in_the_tables() {
        for check in checks::all() {
            for entry in check.references.trivy {
                let id = reference_id(entry);
                let id = id.strip_prefix("AVD-").unwrap_or(id);
                if id.starts_with("AWS-") {
                    assert!(
                        TRIVY_ALIASES.iter().any(|(rule, _)| *rule == id),
                        "{}: trivy {id} is not in TRIVY_ALIASES",
                        check.id
                    );
                }
            }
        }
        let ecs5 = checks::find("ECS.5").unwrap();
        assert_eq!(checkov_equivalents(ecs5), ["CKV_AWS_336"]);
        let ecs18 = checks::find("ECS.18").unwrap();
        assert!(trivy_names(ecs18).contains(&"aws-ecs-enable-in-transit-encryption".to_string()));
    }
}
