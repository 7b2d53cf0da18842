//! EX001 service-exposure: one finding per ECS service with the traits that make it
//! exploitable, ranked by their combination (AWS Security Hub's exposure findings, before deploy).

use crate::checks::Emitter;
use crate::findings::Severity;
use crate::join::Joined;
use crate::join::exposure::{Exposure, TRAITS};

crate::declare_check! {
    /// ## What it does
    /// For each ECS service in a CloudFormation template or Terraform plan, follows the links AWS
    /// follows (service → task definition → task role and execution role; service → security
    /// groups → ingress rules; service → target groups → listeners → load balancer) and reports
    /// one finding with the service's traits, under the names AWS Security Hub's exposure
    /// findings use: `public-ip`, `open-security-group`, `internet-facing-load-balancer`,
    /// `privileged-container`, `host-pid-namespace`, `host-network-mode`,
    /// `host-filesystem-access`, `cleartext-credentials`, `assumable-iam-role`, `admin-iam-role`,
    /// `network-exploitable-vulnerability`, `software-vulnerability`, and when the service's
    /// image was scanned `image-root-user`, `image-setuid-files`, `image-shell`. The JSON
    /// evidence has `service`, `traits` and `unknown_traits` (JSON arrays of these names),
    /// `open_ports`, and one `trait:NAME` / `unknown:NAME` entry per trait saying where it
    /// comes from or why it cannot be decided. A trait that cannot be decided (a security group
    /// given by a parameter without a default, no vulnerability input) is listed as unknown,
    /// never as absent. A service with no trait is not reported. The vulnerability traits come
    /// from `--vulns` reports: `network-exploitable-vulnerability` lists the likely-exploited
    /// vulnerabilities (known exploit, EPSS at least 0.1, or high/critical) with CVSS attack
    /// vector network, `software-vulnerability` the others.
    ///
    /// Severity comes from the combination; adding a trait never lowers it:
    ///
    /// | the service is | and has | severity |
    /// |---|---|---|
    /// | reachable from the internet (`public-ip`, `open-security-group` or `internet-facing-load-balancer`) | a way to the host or the account (`privileged-container`, `host-pid-namespace`, `host-network-mode`, `host-filesystem-access`, `admin-iam-role`) or a `network-exploitable-vulnerability` | critical |
    /// | not reachable | a way to the host or the account, or a network-exploitable vulnerability | high |
    /// | reachable | any other trait | high |
    /// | reachable | nothing else | medium |
    /// | not reachable | only other traits | low |
    ///
    /// Unknown traits do not raise the severity; they are listed so a reviewer can decide them.
    /// The exposure finding is independent of the ECS.n verdicts, which stay AWS's, per control.
    ///
    /// ## Why is this bad?
    /// Each trait alone is a weakness; together they are a path. A task with a public IP and an
    /// administrator task role hands the AWS account to anyone who finds one remote bug in the
    /// container. Security Hub computes this only after deployment; the fix ("create a new
    /// revision ... then update the service") is in the stack, so it belongs before deploy.
    ///
    /// ## Example
    /// A Fargate service with `AssignPublicIp: ENABLED`, a security group allowing `0.0.0.0/0` on
    /// port 22, and a task role with `ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]`
    /// is critical: `traits: ["public-ip", "open-security-group", "assumable-iam-role",
    /// "admin-iam-role"]`. Fix: `AssignPublicIp: DISABLED` behind a load balancer, restrict the
    /// ingress rule, and give the task role only the actions the application calls.
    ServiceExposure {
        id: "EX001",
        name: "service-exposure",
        severity: Medium,
        target: Exposure,
        reads: Joined,
        references: {
            security_hub: ["exposure findings (Amazon ECS services)"],
            nist: ["AC-4", "AC-6", "SC-7"],
            see_also: ["AWS Security Hub exposure findings remediation: Amazon ECS services"],
        },
        run: check,
    }
}

/// Traits that make a service reachable from the internet.
pub const REACHABLE: &[&str] = &[
    "public-ip",
    "open-security-group",
    "internet-facing-load-balancer",
];

/// Traits that give a way to the host or the account.
pub const ESCALATION: &[&str] = &[
    "privileged-container",
    "host-pid-namespace",
    "host-network-mode",
    "host-filesystem-access",
    "admin-iam-role",
];

/// The severity of a set of traits, as the table in the docs says; `None` with no trait.
pub fn severity(traits: &[&str]) -> Option<Severity> {
    if traits.is_empty() {
        return None;
    }
    let any = |set: &[&str]| traits.iter().any(|t| set.contains(t));
    let reachable = any(REACHABLE);
    let serious = any(ESCALATION) || traits.contains(&"network-exploitable-vulnerability");
    let other = traits
        .iter()
        .any(|t| !REACHABLE.contains(t) && !ESCALATION.contains(t));
    Some(match (reachable, serious, other) {
        (true, true, _) => Severity::Critical,
        (false, true, _) | (true, false, true) => Severity::High,
        (true, false, false) => Severity::Medium,
        (false, false, _) => Severity::Low,
    })
}

fn json_array(items: &[impl AsRef<str>]) -> String {
    serde_json::to_string(&items.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).unwrap_or_default()
}

fn check(joined: &Joined, out: &mut Emitter) {
    for exposure in joined.exposures {
        report(exposure, out);
    }
}

fn report(exposure: &Exposure, out: &mut Emitter) {
    // In the documented order, each once.
    let traits: Vec<&str> = TRAITS
        .iter()
        .copied()
        .filter(|name| exposure.has(name))
        .collect();
    let Some(severity) = severity(&traits) else {
        return;
    };
    let unknown: Vec<&str> = TRAITS
        .iter()
        .copied()
        .filter(|name| exposure.unknown_names().contains(name))
        .collect();
    let mut open_ports: Vec<String> = exposure
        .traits
        .iter()
        .filter(|t| t.name == "open-security-group")
        .filter_map(|t| {
            t.detail
                .split(" allows port ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .map(str::to_string)
        })
        .collect();
    open_ports.sort();
    open_ports.dedup();
    let named: Vec<String> = traits
        .iter()
        .map(|t| {
            if *t == "open-security-group" && !open_ports.is_empty() {
                format!("{t} (ports {})", open_ports.join(", "))
            } else {
                t.to_string()
            }
        })
        .collect();
    let unknown_text = if unknown.is_empty() {
        String::new()
    } else {
        format!("; not decided: {}", unknown.join(", "))
    };
    let service = exposure.service;
    let mut location = service.origin.location(&service.resource);
    // The service object itself: no pointer inside it (SARIF names it by the resource).
    if location.pointer.as_deref() == Some("") {
        location.pointer = None;
    }
    let finding = out
        .finding(
            format!(
                "service {} is exposed: {}{unknown_text}",
                exposure.service_id,
                named.join(", ")
            ),
            location,
        )
        .with_severity(severity)
        .with_evidence("service", exposure.service_id.clone())
        .with_evidence("traits", json_array(&traits))
        .with_evidence("unknown_traits", json_array(&unknown));
    if !open_ports.is_empty() {
        finding.with_evidence("open_ports", json_array(&open_ports));
    }
    for name in &traits {
        let details: Vec<&str> = exposure
            .traits
            .iter()
            .filter(|t| t.name == *name)
            .map(|t| t.detail.as_str())
            .collect();
        finding.with_evidence(&format!("trait:{name}"), details.join("; "));
    }
    for name in &unknown {
        let mut reasons: Vec<&str> = exposure
            .unknown
            .iter()
            .filter(|t| t.name == *name)
            .map(|t| t.why.as_str())
            .collect();
        reasons.dedup();
        finding.with_evidence(&format!("unknown:{name}"), reasons.join("; "));
    }
    let mut related = Vec::new();
    for t in &exposure.traits {
        if !related.contains(&t.location) {
            related.push(t.location.clone());
        }
    }
    for location in related {
        finding.with_related(location);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_a_trait_never_lowers_the_severity() {
        // Every subset of a representative set, and every one-trait extension of it.
        let names = [
            "public-ip",
            "open-security-group",
            "admin-iam-role",
            "privileged-container",
            "network-exploitable-vulnerability",
            "software-vulnerability",
            "image-shell",
        ];
        for mask in 0u32..(1 << names.len()) {
            let set: Vec<&str> = (0..names.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| names[i])
                .collect();
            for extra in names {
                let mut bigger = set.clone();
                if !bigger.contains(&extra) {
                    bigger.push(extra);
                }
                assert!(
                    severity(&bigger) >= severity(&set),
                    "{bigger:?} ranks below {set:?}"
                );
            }
        }
    }

    #[test]
    fn reachable_with_a_way_to_the_account_is_critical() {
        assert_eq!(
            severity(&["public-ip", "admin-iam-role"]),
            Some(Severity::Critical)
        );
        assert_eq!(
            severity(&[
                "internet-facing-load-balancer",
                "network-exploitable-vulnerability"
            ]),
            Some(Severity::Critical)
        );
        assert_eq!(severity(&["public-ip"]), Some(Severity::Medium));
        assert_eq!(severity(&["admin-iam-role"]), Some(Severity::High));
        assert_eq!(severity(&["assumable-iam-role"]), Some(Severity::Low));
        assert_eq!(severity(&[]), None);
    }
}
