//! ECS.12 container-insights-disabled: an ECS cluster does not enable Container Insights.

use super::support::Verdict;
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.12: a cluster passes when a `containerInsights` setting
    /// (`settings` / CloudFormation `ClusterSettings` / Terraform `setting`) has the value `enabled`.
    /// `enhanced` also passes, marked parity-unverified (it is a superset of `enabled`; AWS does not
    /// say). `disabled` or no setting fails; the account default (`PutAccountSetting`) cannot be seen
    /// offline, so a cluster relying on it fails with a note, as AWS Control Tower does.
    ///
    /// ## Why is this bad?
    /// Without Container Insights there are no per-task CPU, memory and network metrics to spot abuse
    /// such as crypto-mining.
    ///
    /// ## Example
    /// ```yaml
    /// Cluster:
    ///   Type: AWS::ECS::Cluster
    ///   Properties: {ClusterName: prod}
    /// ```
    /// Fix: `ClusterSettings: [{Name: containerInsights, Value: enabled}]`.
    ContainerInsights {
        id: "ECS.12",
        name: "container-insights-disabled",
        severity: Medium,
        target: Ecs,
        references: {
            security_hub: ["ECS.12"],
            trivy: ["AWS-0034"],
            checkov: ["CKV_AWS_65"],
            see_also: [
                "AWS Config `ecs-container-insights-enabled`",
                "AWS Control Tower CT.ECS.PR.2",
                "prowler `ecs_cluster_container_insights_enabled`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for cluster in &inventory.clusters {
        let mut verdict = Verdict::new();
        if verdict.undecidable(&cluster.settings, None) {
            verdict.emit(out, &cluster.resource);
            continue;
        }
        let mut passed = false;
        let mut undecided = Verdict::new();
        let mut any_undecided = false;
        let mut failures = Vec::new();
        for setting in cluster.settings.items() {
            if undecided.undecidable(&setting.name, None) {
                any_undecided = true;
                continue;
            }
            if setting.name.as_str() != Some("containerInsights") {
                continue;
            }
            if undecided.undecidable(&setting.value, None) {
                any_undecided = true;
                continue;
            }
            match setting.value.as_str() {
                Some("enabled") => passed = true,
                Some("enhanced") => {
                    passed = true;
                    verdict.parity_unverified();
                    verdict.note("containerInsights is enhanced, a superset of enabled; AWS does not document that ECS.12 passes it");
                }
                other => failures.push((
                    setting.value.origin.clone(),
                    format!("containerInsights is {}", other.unwrap_or("not set")),
                )),
            }
        }
        if passed {
            verdict.emit(out, &cluster.resource);
            continue;
        }
        if any_undecided {
            // An unknown entry may be the one that enables it.
            undecided.emit(out, &cluster.resource);
            continue;
        }
        if failures.is_empty() {
            verdict.fail(
                &cluster.settings.origin,
                None,
                "no containerInsights setting",
            );
            verdict.note("the account default (PutAccountSetting containerInsights) cannot be seen offline; set it on the cluster");
        }
        for (origin, message) in failures {
            verdict.fail(&origin, None, message);
        }
        verdict.emit(out, &cluster.resource);
    }
}
