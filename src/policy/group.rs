//! One problem, one finding: merges the findings that report the same problem with the same fix
//! into one, placed where the fix is made, with every other place in `related` and the check IDs
//! it stands for in the evidence (`checks`), so each ID stays findable.
//!
//! The rule, today for credentials: a credential *baked* into the image (fix: take it out of the
//! build, pass it at run time as a secret) is one finding per variable name, whichever checks saw
//! it: the Dockerfile's ENV/ARG (DF004), the image config's Env (IM008), the build history
//! (IM009), the image half of XC006. It is placed on the Dockerfile line when a Dockerfile was
//! given, else the image config, else the history. A credential *passed* in plain task-definition
//! `environment` (TD007: fix the task definition) stays its own finding. Only unsuppressed findings
//! are merged: a suppressed one keeps its own place and reason.

use std::collections::BTreeMap;

use crate::findings::Finding;

/// The checks that report a credential baked into the image, in the order of preference for
/// where the merged finding is placed (where the fix is made first).
const BAKED_CREDENTIAL: &[&str] = &["DF004", "IM008", "IM009", "XC006"];

/// Merges each group of findings about one baked credential into its preferred finding.
pub fn group(findings: &mut Vec<Finding>) {
    // Variable name → indices of the unsuppressed findings reporting it.
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, finding) in findings.iter().enumerate() {
        if finding.suppressed.is_some() || !BAKED_CREDENTIAL.contains(&finding.id) {
            continue;
        }
        if let Some(name) = finding.evidence.get("name") {
            groups.entry(name.as_str()).or_default().push(index);
        }
    }
    let mut merged_into: Vec<(usize, Vec<usize>)> = Vec::new();
    for members in groups.into_values() {
        let distinct_checks = {
            let mut ids: Vec<&str> = members.iter().map(|&i| findings[i].id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids.len()
        };
        if members.len() < 2 || distinct_checks < 2 {
            continue;
        }
        let rank = |index: &usize| {
            let finding = &findings[*index];
            let order = BAKED_CREDENTIAL
                .iter()
                .position(|id| *id == finding.id)
                .unwrap_or(usize::MAX);
            (order, finding.location.clone())
        };
        let primary = *members.iter().min_by_key(|i| rank(i)).expect("two members");
        let others = members.into_iter().filter(|&i| i != primary).collect();
        merged_into.push((primary, others));
    }
    if merged_into.is_empty() {
        return;
    }
    let mut remove = vec![false; findings.len()];
    for (primary, others) in merged_into {
        let mut ids: Vec<&'static str> = vec![findings[primary].id];
        let mut related = Vec::new();
        let mut severity = findings[primary].severity;
        for &other in &others {
            let finding = &findings[other];
            ids.push(finding.id);
            severity = severity.max(finding.severity);
            related.push(finding.location.clone());
            related.extend(finding.related.iter().cloned());
            remove[other] = true;
        }
        ids.sort_unstable();
        ids.dedup();
        let finding = &mut findings[primary];
        finding.severity = severity;
        for location in related {
            if location != finding.location && !finding.related.contains(&location) {
                finding.related.push(location);
            }
        }
        finding.with_evidence("checks", ids.join(", "));
    }
    let mut index = 0;
    findings.retain(|_| {
        let keep = !remove[index];
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{LineSpan, Location, Severity, Suppression};

    fn finding(id: &'static str, name: &str, location: Location) -> Finding {
        let mut finding = Finding {
            id,
            name: "x",
            severity: Severity::High,
            message: format!("{id} {name}"),
            location,
            evidence: Default::default(),
            related: Vec::new(),
            suppressed: None,
            fix: None,
        };
        finding.with_evidence("name", name);
        finding
    }

    #[test]
    fn one_baked_credential_is_one_finding_on_the_dockerfile_line() {
        let dockerfile = Location::dockerfile("Dockerfile", LineSpan { start: 3, end: 3 });
        let mut findings = vec![
            finding("IM008", "DB_PASSWORD", Location::image("app.tar")),
            finding("IM009", "DB_PASSWORD", Location::image("app.tar")),
            finding("IM009", "DB_PASSWORD", Location::image("app.tar")),
            finding("DF004", "DB_PASSWORD", dockerfile.clone()),
            finding("DF004", "API_TOKEN", dockerfile.clone()),
            finding("TD007", "DB_PASSWORD", Location::default()),
        ];
        group(&mut findings);
        let ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["DF004", "DF004", "TD007"]);
        let merged = &findings[0];
        assert_eq!(merged.location, dockerfile);
        assert_eq!(merged.evidence["checks"], "DF004, IM008, IM009");
        assert_eq!(merged.related, [Location::image("app.tar")]);
        assert!(!findings[1].evidence.contains_key("checks"));
    }

    #[test]
    fn suppressed_findings_and_lone_checks_are_not_merged() {
        let mut suppressed = finding("IM008", "TOKEN", Location::image("a"));
        suppressed.suppressed = Some(Suppression {
            kind: "config".into(),
            reason: "r".into(),
            origin: None,
            expires: None,
        });
        let mut findings = vec![
            suppressed,
            finding("IM009", "TOKEN", Location::image("a")),
            finding("IM009", "SECRET", Location::image("a")),
            finding("IM009", "SECRET", Location::image("b")),
        ];
        group(&mut findings);
        assert_eq!(findings.len(), 4);
    }
}
