//! ECS.14 untagged-cluster: an ECS cluster has no tags (or lacks a `--required-tags` key).

use super::support::{Verdict, evaluate_tags};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::SourceFormat;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.14: an ECS cluster fails when it has no tag key, or, with
    /// `--required-tags k1,k2` (Security Hub's `requiredTagKeys`), when any required key is missing
    /// (case-sensitive). System tags (keys starting with `aws:`) are ignored. Terraform input reads
    /// `tags_all` (provider `default_tags` included). CloudFormation stack-level tags are not visible
    /// in a template: a resource with none fails, with a note.
    ///
    /// ## Why is this bad?
    /// Untagged resources cannot be attributed to an owner or governed by tag-based access control.
    ///
    /// ## Example
    /// ```yaml
    /// Tags: []
    /// ```
    /// Fix: `Tags: [{Key: team, Value: payments}]`.
    UntaggedCluster {
        id: "ECS.14",
        name: "untagged-cluster",
        severity: Low,
        target: Ecs,
        references: {
            security_hub: ["ECS.14"],
            see_also: ["AWS Config (custom Security Hub rule)"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    let required = &inventory.settings.required_tag_keys;
    for resource in &inventory.clusters {
        let mut verdict = Verdict::new();
        evaluate_tags(&resource.tags, required, &mut verdict);
        if resource.format == SourceFormat::CloudFormation && verdict.has_failures() {
            verdict.note("CloudFormation stack-level tags are not visible in the template");
        }
        verdict.emit(out, &resource.resource);
    }
}
