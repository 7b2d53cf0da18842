//! ECS.18 efs-transit-encryption: an EFS volume of a task definition is mounted without in-transit encryption.

use super::support::{Outcome, each_task_definition_level};
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.18: fails when any volume with an `efsVolumeConfiguration` has
    /// `transitEncryption` other than `ENABLED` (absent is the API default `DISABLED`, and fails). Host,
    /// Docker, FSx and S3 Files volumes are ignored. A task definition with no EFS volume is
    /// NOT_APPLICABLE, marked parity-unverified: AWS does not say whether it reports PASSED or nothing.
    ///
    /// ## Why is this bad?
    /// Without TLS, file contents cross the network to EFS in clear text.
    ///
    /// ## Example
    /// ```json
    /// {"volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-0123"}}]}
    /// ```
    /// Fix: `"transitEncryption": "ENABLED"`.
    EfsTransitEncryption {
        id: "ECS.18",
        name: "efs-transit-encryption",
        severity: Medium,
        target: Ecs,
        references: {
            security_hub: ["ECS.18"],
            trivy: ["AWS-0035"],
            checkov: ["CKV_AWS_97 (stops at the first EFS volume)"],
            see_also: ["AWS Config `ecs-task-definition-efs-encryption-enabled`", "prowler (none)"],
        },
        run: check,
    }
}

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    each_task_definition_level(inventory, out, |td, _, verdict| {
        if verdict.undecidable(&td.volumes, None) {
            return Outcome::Evaluated;
        }
        let mut efs_volumes = 0;
        for volume in td.volumes.items() {
            if verdict.undecidable(&volume.efs, None) {
                continue;
            }
            let Some(efs) = volume.efs.known() else {
                continue;
            };
            efs_volumes += 1;
            let encryption = &efs.transit_encryption;
            if verdict.undecidable(encryption, None) {
                continue;
            }
            let name = volume.name.as_str().unwrap_or("(unnamed)");
            match encryption.as_str() {
                Some("ENABLED") => {}
                Some(other) => verdict.fail(
                    &encryption.origin,
                    None,
                    format!("EFS volume {name}: transitEncryption is {other}"),
                ),
                None => verdict.fail(
                    &encryption.origin,
                    None,
                    format!("EFS volume {name}: transitEncryption is not set (default DISABLED)"),
                ),
            }
        }
        if efs_volumes == 0
            && !td
                .volumes
                .items()
                .iter()
                .any(|v| v.efs.undecidable().is_some())
        {
            verdict.note("the task definition has no EFS volume");
            // AWS does not say whether it reports PASSED or no finding here (reference §1.5 V9).
            verdict.parity_unverified();
            return Outcome::NotApplicable;
        }
        Outcome::Evaluated
    });
}
