//! ECS.16 task-set-public-ip: an ECS task set assigns public IP addresses to its tasks automatically.

use super::support::{Verdict, evaluate_public_ip};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.16: fails when a task set's
    /// `networkConfiguration.awsvpcConfiguration.assignPublicIp` is `ENABLED`. In CloudFormation the key
    /// is `AwsVpcConfiguration` (capital V) on `AWS::ECS::TaskSet`; both spellings are read. Absent passes.
    ///
    /// ## Why is this bad?
    /// Tasks with public IP addresses are reachable from the internet whenever a security group allows it.
    ///
    /// ## Example
    /// ```yaml
    /// TaskSet:
    ///   Type: AWS::ECS::TaskSet
    ///   Properties:
    ///     NetworkConfiguration: {AwsVpcConfiguration: {AssignPublicIp: ENABLED, Subnets: [subnet-1]}}
    /// ```
    /// Fix: `AssignPublicIp: DISABLED`.
    TaskSetPublicIp {
        id: "ECS.16",
        name: "task-set-public-ip",
        severity: High,
        target: Ecs,
        references: {
            security_hub: ["ECS.16"],
            see_also: [
                "AWS Config `ecs-taskset-assign-public-ip-disabled`",
                "prowler `ecs_task_set_no_assign_public_ip`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for task_set in &inventory.task_sets {
        let mut verdict = Verdict::new();
        evaluate_public_ip(&task_set.assign_public_ip, &mut verdict);
        verdict.emit(out, &task_set.resource);
    }
}
