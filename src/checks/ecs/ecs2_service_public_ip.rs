//! ECS.2 service-public-ip: an ECS service assigns public IP addresses to its tasks automatically.

use super::support::{Verdict, evaluate_public_ip};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.2: fails when a service's
    /// `networkConfiguration.awsvpcConfiguration.assignPublicIp` is `ENABLED` (Terraform
    /// `assign_public_ip = true`). Absent passes (the API default is `DISABLED`); launch type makes no
    /// difference.
    ///
    /// ## Why is this bad?
    /// Tasks with public IP addresses are reachable from the internet whenever a security group allows
    /// it; put a load balancer in a public subnet in front of private tasks instead.
    ///
    /// ## Example
    /// ```yaml
    /// Service:
    ///   Type: AWS::ECS::Service
    ///   Properties:
    ///     NetworkConfiguration: {AwsvpcConfiguration: {AssignPublicIp: ENABLED, Subnets: [subnet-1]}}
    /// ```
    /// Fix: `AssignPublicIp: DISABLED`.
    ServicePublicIp {
        id: "ECS.2",
        name: "service-public-ip",
        severity: High,
        target: Ecs,
        references: {
            security_hub: ["ECS.2"],
            checkov: ["CKV_AWS_333"],
            see_also: [
                "AWS Config `ecs-service-assign-public-ip-disabled`",
                "AWS Control Tower CT.ECS.PR.9",
                "prowler `ecs_service_no_assign_public_ip`",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for service in &inventory.services {
        let mut verdict = Verdict::new();
        evaluate_public_ip(&service.assign_public_ip, &mut verdict);
        verdict.emit(out, &service.resource);
    }
}
