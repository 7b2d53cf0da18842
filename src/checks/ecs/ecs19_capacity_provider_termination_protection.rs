//! ECS.19 capacity-provider-termination-protection: an Auto Scaling group capacity provider does not enable managed termination protection.

use super::support::Verdict;
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.19: a capacity provider with an `autoScalingGroupProvider` fails unless
    /// `managedTerminationProtection` is `ENABLED` (absent means the default, off). Capacity providers
    /// without an Auto Scaling group (FARGATE, FARGATE_SPOT, managed instances) are NOT_APPLICABLE.
    /// Managed scaling is not checked, though AWS requires it for termination protection.
    ///
    /// ## Why is this bad?
    /// Without managed termination protection, scale-in can terminate instances that still run tasks.
    ///
    /// ## Example
    /// ```yaml
    /// CapacityProvider:
    ///   Type: AWS::ECS::CapacityProvider
    ///   Properties:
    ///     AutoScalingGroupProvider: {AutoScalingGroupArn: !Ref Asg, ManagedTerminationProtection: DISABLED}
    /// ```
    /// Fix: `ManagedTerminationProtection: ENABLED` (with `ManagedScaling` enabled).
    CapacityProviderTerminationProtection {
        id: "ECS.19",
        name: "capacity-provider-termination-protection",
        severity: Medium,
        target: Ecs,
        references: {
            security_hub: ["ECS.19"],
            see_also: ["AWS Config `ecs-capacity-provider-termination-check`"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for provider in &inventory.capacity_providers {
        let mut verdict = Verdict::new();
        let asg = &provider.auto_scaling_group_provider;
        if verdict.undecidable(asg, None) {
            verdict.emit(out, &provider.resource);
            continue;
        }
        let Some(asg) = asg.known() else {
            verdict.note("no autoScalingGroupProvider (Fargate or managed instances)");
            verdict.emit_not_applicable(out, &provider.resource);
            continue;
        };
        let protection = &asg.managed_termination_protection;
        if !verdict.undecidable(protection, None) {
            match protection.as_str() {
                Some("ENABLED") => {}
                Some(other) => verdict.fail(
                    &protection.origin,
                    None,
                    format!("managedTerminationProtection is {other}"),
                ),
                None => verdict.fail(
                    &protection.origin,
                    None,
                    "managedTerminationProtection is not set (default off)",
                ),
            }
        }
        verdict.emit(out, &provider.resource);
    }
}
