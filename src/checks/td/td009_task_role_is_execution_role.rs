//! TD009 task-role-is-execution-role: the task role is the same IAM role as the execution role.

use super::support::{evaluated, location};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Reports a task definition whose `taskRoleArn` equals its `executionRoleArn`. Not a Security Hub
    /// control.
    ///
    /// ## Why is this bad?
    /// The execution role pulls images and reads every secret the task definition names; giving the
    /// application the same role hands it all of them, and ECR and CloudWatch Logs rights it does not
    /// need.
    ///
    /// ## Example
    /// ```json
    /// {"taskRoleArn": "arn:aws:iam::1:role/ecs", "executionRoleArn": "arn:aws:iam::1:role/ecs"}
    /// ```
    /// Fix: a separate, least-privilege task role.
    TaskRoleIsExecutionRole {
        id: "TD009",
        name: "task-role-is-execution-role",
        severity: Medium,
        target: Td,
        references: {
            checkov: ["CKV_AWS_249"],
            see_also: [
                "AWS ECS best practices (IAM roles for tasks)",
                "Security Hub exposure finding \"containers can assume an IAM role\"",
                "not an AWS Security Hub control",
            ],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for td in evaluated(inventory) {
        if let (Some(task), Some(execution)) =
            (td.task_role_arn.as_str(), td.execution_role_arn.as_str())
            && task == execution
        {
            out.finding(
                format!("taskRoleArn and executionRoleArn are the same role ({task})"),
                location(td, &td.task_role_arn.origin),
            );
        }
    }
}
