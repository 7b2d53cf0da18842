//! EX003 admin-task-role: a task role or task execution role has administrative access.

use crate::checks::Emitter;
use crate::join::Joined;
use crate::model::stack::{Link, LinkAt};

crate::declare_check! {
    /// ## What it does
    /// Reports each IAM role that a task definition uses as its task role (`taskRoleArn`) or
    /// execution role (`executionRoleArn`) when the role has administrative access: AWS's
    /// `AdministratorAccess` managed policy attached, or a policy statement (inline, a separate
    /// `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy`, `aws_iam_role_policy`, `aws_iam_policy`
    /// attached with `aws_iam_role_policy_attachment`, or an `aws_iam_policy_document`) with
    /// `Effect: Allow`, `Action: *` and `Resource: *`. One finding per role, at the policy or
    /// statement that grants it, with the task definitions that use it as related places. A
    /// role whose policies cannot be read offline is not reported here; EX001 lists
    /// `admin-iam-role` as unknown for its services. Whether a container needs its task role at
    /// all cannot be decided from the stack and is not judged.
    ///
    /// ## Why is this bad?
    /// Any code running in the task (the application, a dependency, whoever exploits it)
    /// receives the task role's credentials from the container credentials endpoint, and the
    /// ECS agent holds the execution role's. With administrative access, one remote bug in the
    /// container is the whole AWS account.
    ///
    /// ## Example
    /// `TaskRole: {Type: AWS::IAM::Role, Properties: {ManagedPolicyArns:
    /// [arn:aws:iam::aws:policy/AdministratorAccess]}}` used as `TaskRoleArn: !GetAtt
    /// TaskRole.Arn`. Fix: attach a policy with only the actions and resources the application
    /// calls.
    AdminTaskRole {
        id: "EX003",
        name: "admin-task-role",
        severity: Critical,
        target: Exposure,
        reads: Joined,
        references: {
            security_hub: ["IAM.1"],
            nist: ["AC-6", "AC-6(2)"],
            checkov: ["CKV_AWS_274 (AdministratorAccess)", "CKV_AWS_62 (inline *:*)"],
            see_also: ["AWS Security Hub exposure findings: admin IAM role"],
        },
        run: check,
    }
}

fn check(joined: &Joined, out: &mut Emitter) {
    let Some(ecs) = joined.ecs else {
        return;
    };
    let stack = &ecs.stack;
    for role in &stack.roles {
        // Which task definitions use this role, and how.
        let mut uses: Vec<(String, &LinkAt, &str)> = Vec::new();
        for links in &stack.task_definitions {
            if links.file != role.at.resource.file {
                continue;
            }
            for (link, how) in [
                (&links.task_role, "task role"),
                (&links.execution_role, "execution role"),
            ] {
                if let Some(link) = link
                    && !matches!(link.link, Link::Unknown(_))
                    && role.at.is(&link.link)
                {
                    uses.push((links.id.clone(), link, how));
                }
            }
        }
        if uses.is_empty() {
            continue;
        }
        let Ok(Some(grant)) = stack.admin_grant(role) else {
            continue;
        };
        let used_as: Vec<String> = uses
            .iter()
            .map(|(td, _, how)| format!("{how} of {td}"))
            .collect();
        let finding = out
            .finding(
                format!(
                    "role {} has administrative access and is the {}",
                    role.at.id,
                    used_as.join(", ")
                ),
                grant.location(&role.at.resource),
            )
            .with_evidence("role", role.at.id.clone())
            .with_evidence("used_as", used_as.join("; "));
        for (td, link, _) in &uses {
            let resource = crate::findings::ResourceRef {
                file: role.at.resource.file.clone(),
                kind: "AwsEcsTaskDefinition".into(),
                name: td.clone(),
            };
            finding.with_related(link.origin.location(&resource));
        }
    }
}
