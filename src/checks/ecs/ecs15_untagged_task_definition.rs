//! ECS.15 untagged-task-definition: an ECS task definition has no tags (or lacks a `--required-tags` key).

use super::support::{Verdict, evaluate_tags};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;
use crate::model::ecs::{Evaluation, SourceFormat};

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.15: an ECS task definition fails when it has no tag key, or, with
    /// `--required-tags k1,k2` (Security Hub's `requiredTagKeys`), when any required key is missing
    /// (case-sensitive). System tags (keys starting with `aws:`) are ignored. Terraform input reads
    /// `tags_all` (provider `default_tags` included). CloudFormation stack-level tags are not visible
    /// in a template: a resource with none fails, with a note. describe-task-definition output lists tags only with `--include TAGS`: without `tags` the result is INDETERMINATE. ECS.15 does not say it evaluates only the latest ACTIVE revision, so every revision given is evaluated; older ones are marked parity-unverified.
    ///
    /// ## Why is this bad?
    /// Untagged resources cannot be attributed to an owner or governed by tag-based access control.
    ///
    /// ## Example
    /// ```yaml
    /// Tags: []
    /// ```
    /// Fix: `Tags: [{Key: team, Value: payments}]`.
    UntaggedTaskDefinition {
        id: "ECS.15",
        name: "untagged-task-definition",
        severity: Low,
        target: Ecs,
        references: {
            security_hub: ["ECS.15"],
            see_also: ["AWS Config (custom Security Hub rule)"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    let required = &inventory.settings.required_tag_keys;
    for td in &inventory.task_definitions {
        let mut verdict = Verdict::new();
        if let Evaluation::NotEvaluated(reason) = &td.evaluation {
            // ECS.15, unlike the other task-definition controls, does not say "latest ACTIVE
            // revision only" (reference §1.2): evaluate it anyway, marked.
            verdict.note(format!(
                "{reason}; ECS.15 may evaluate every revision, so it is evaluated here"
            ));
            verdict.parity_unverified();
        }
        if !td.problems.is_empty() {
            // As for the other task-definition controls: ECS would not register it, so there is
            // no task definition for Security Hub to judge.
            for problem in &td.problems {
                verdict.undecided(&td.origin, None, problem.clone());
            }
            verdict.note("ECS would reject this task definition as written");
            verdict.emit(out, &td.resource);
            continue;
        }
        evaluate_tags(&td.tags, required, &mut verdict);
        if td.format == SourceFormat::CloudFormation && verdict.has_failures() {
            verdict.note("CloudFormation stack-level tags are not visible in the template; CloudFormation's aws:cloudformation:* tags are ignored");
        }
        verdict.emit(out, &td.resource);
    }
}
