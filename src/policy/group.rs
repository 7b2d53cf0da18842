//! One problem, one finding: merges the findings that report the same problem with the same fix
//! into one, placed where the fix is made, with every other place in `related` and the check IDs
//! it stands for in the evidence (`checks`), so each ID stays findable.
//!
//! The rules ([`RULES`]), each a set of checks that see one problem from different inputs, in the
//! order of preference for where the merged finding goes (where the fix is made first), and the
//! evidence that says two of their findings are the same problem:
//! - a credential *baked* into the image (fix: take it out of the build, pass it at run time as a
//!   secret): DF004 (ENV/ARG), IM008 (config Env), IM009 (history), the image half of XC006, by
//!   variable name. A credential *passed* in plain task-definition `environment` (TD007: fix the
//!   task definition) stays its own finding;
//! - the SSH port exposed: DF013 (EXPOSE) and IM011 (config ExposedPorts), by port;
//! - a tool the build installs: DF011 (the package installed) and IM005 (the program in the
//!   image), by name;
//! - a setuid/setgid bit the build adds: DF010 (`chmod u+s PATH`) and IM003 (the file), by path.
//!
//! Only unsuppressed findings are merged: a suppressed one keeps its own place and reason. A
//! group needs two different checks: two IM009 steps of one variable with no other check stay two.

use std::collections::BTreeMap;

use crate::findings::Finding;

/// One problem seen by several checks.
struct Rule {
    /// The checks, where the fix is made first.
    checks: &'static [&'static str],
    /// What says two findings of these checks are the same problem.
    keys: fn(&Finding) -> Vec<String>,
}

const RULES: &[Rule] = &[
    Rule {
        checks: &["DF004", "IM008", "IM009", "XC006"],
        keys: |finding| evidence(finding, "name").into_iter().collect(),
    },
    Rule {
        checks: &["DF013", "IM011"],
        keys: |finding| {
            evidence(finding, "port")
                .map(|port| port.strip_suffix("/tcp").unwrap_or(&port).to_string())
                .into_iter()
                .collect()
        },
    },
    Rule {
        checks: &["DF011", "IM005"],
        keys: |finding| {
            evidence(finding, "package")
                .or_else(|| evidence(finding, "tool"))
                .into_iter()
                .collect()
        },
    },
    Rule {
        checks: &["DF010", "IM003"],
        keys: |finding| match evidence(finding, "command") {
            // The absolute paths `chmod` names (relative ones depend on WORKDIR: not matched).
            Some(command) => command
                .split_whitespace()
                .filter(|word| word.starts_with('/'))
                .map(str::to_string)
                .collect(),
            None => finding.location.path.iter().cloned().collect(),
        },
    },
];

fn evidence(finding: &Finding, key: &str) -> Option<String> {
    finding.evidence.get(key).cloned()
}

/// The rule a check belongs to, and its place in the rule's order of preference.
fn rule_of(id: &str) -> Option<(usize, usize)> {
    RULES.iter().enumerate().find_map(|(rule, r)| {
        r.checks
            .iter()
            .position(|check| *check == id)
            .map(|order| (rule, order))
    })
}

/// Merges each group of findings about one problem into its preferred finding.
pub fn group(findings: &mut Vec<Finding>) {
    // Union-find over finding indices: a finding with several keys (a chmod of two files) joins
    // the groups of each.
    let mut parent: Vec<usize> = (0..findings.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with_key: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for (index, finding) in findings.iter().enumerate() {
        if finding.suppressed.is_some() {
            continue;
        }
        let Some((rule, _)) = rule_of(finding.id) else {
            continue;
        };
        for key in (RULES[rule].keys)(finding) {
            match first_with_key.entry((rule, key)) {
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(index);
                }
                std::collections::btree_map::Entry::Occupied(entry) => {
                    let (a, b) = (root(&mut parent, *entry.get()), root(&mut parent, index));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut grouped = vec![false; findings.len()];
    for &index in first_with_key.values() {
        grouped[index] = true;
    }
    // Every finding that shares a key with one before it has a different root than itself.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, &has_first_key) in grouped.iter().enumerate() {
        let r = root(&mut parent, index);
        if has_first_key || r != index {
            groups.entry(r).or_default().push(index);
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
            let order = rule_of(finding.id).map_or(usize::MAX, |(_, order)| order);
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

    fn with(id: &'static str, key: &str, value: &str, location: Location) -> Finding {
        let mut finding = finding(id, "-", location);
        finding.evidence.clear();
        finding.with_evidence(key, value);
        finding
    }

    #[test]
    fn the_ssh_port_exposed_by_expose_is_one_finding_on_the_expose_line() {
        let expose = Location::dockerfile("Dockerfile", LineSpan { start: 9, end: 9 });
        let mut findings = vec![
            with("IM011", "port", "22/tcp", Location::image("app.tar")),
            with("DF013", "port", "22", expose.clone()),
            // A UDP port is another port.
            with("IM011", "port", "22/udp", Location::image("app.tar")),
        ];
        group(&mut findings);
        let ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["DF013", "IM011"]);
        assert_eq!(findings[0].location, expose);
        assert_eq!(findings[0].evidence["checks"], "DF013, IM011");
    }

    #[test]
    fn a_tool_the_build_installs_is_one_finding_but_a_busybox_applet_stays() {
        let run = Location::dockerfile("Dockerfile", LineSpan { start: 4, end: 4 });
        let mut curl = Location::image("app.tar");
        curl.path = Some("/usr/bin/curl".into());
        let mut findings = vec![
            with("IM005", "tool", "curl", curl.clone()),
            with("IM005", "tool", "nc", Location::image("app.tar")),
            with("DF011", "package", "curl", run.clone()),
        ];
        group(&mut findings);
        let ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["IM005", "DF011"]);
        assert_eq!(findings[1].related, [curl]);
    }

    #[test]
    fn one_chmod_of_two_files_gathers_both_setuid_files() {
        let run = Location::dockerfile("Dockerfile", LineSpan { start: 6, end: 6 });
        let at = |path: &str| {
            let mut location = Location::image("app.tar");
            location.path = Some(path.into());
            location
        };
        let mut findings = vec![
            with("IM003", "bits", "setuid", at("/usr/bin/passwd")),
            with("IM003", "bits", "setuid", at("/bin/su")),
            with("IM003", "bits", "setuid", at("/usr/bin/mount")),
            with(
                "DF010",
                "command",
                "chmod u+s /usr/bin/passwd /bin/su",
                run.clone(),
            ),
        ];
        group(&mut findings);
        let ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
        assert_eq!(ids, ["IM003", "DF010"], "the mount file was not chmodded");
        assert_eq!(findings[1].related, [at("/usr/bin/passwd"), at("/bin/su")]);
        assert_eq!(findings[1].evidence["checks"], "DF010, IM003");
    }
}
