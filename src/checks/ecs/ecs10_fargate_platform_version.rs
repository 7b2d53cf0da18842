//! ECS.10 fargate-platform-version: a Fargate service pins a platform version older than the latest.

use super::support::Verdict;
use crate::checks::Emitter;
use crate::model::ecs::EcsInventory;

crate::declare_check! {
    /// ## What it does
    /// Security Hub control ECS.10, on services whose `launchType` is `FARGATE` (others are
    /// NOT_APPLICABLE): passes when `platformVersion` is absent (the default is `LATEST`), `LATEST`, or
    /// the version Security Hub names as latest: `1.4.0` for Linux, `1.0.0` for Windows (exact string
    /// compare; the family is the service's `platformFamily`, else the linked task definition's
    /// `operatingSystemFamily`, else Linux). A service without `launchType` (created with a capacity
    /// provider strategy) is not documented: a pinned version is INDETERMINATE, an unpinned one
    /// NOT_APPLICABLE, both parity-unverified.
    ///
    /// ## Why is this bad?
    /// Older platform versions miss security patches and features (Fargate 1.3.0 lacks the 1.4.0
    /// network and storage changes).
    ///
    /// ## Example
    /// ```json
    /// {"serviceName": "web", "launchType": "FARGATE", "platformVersion": "1.3.0"}
    /// ```
    /// Fix: remove `platformVersion`, or set `LATEST`.
    FargatePlatformVersion {
        id: "ECS.10",
        name: "fargate-platform-version",
        severity: Medium,
        target: Ecs,
        references: {
            security_hub: ["ECS.10"],
            checkov: ["CKV_AWS_332 (stricter)"],
            see_also: [
                "AWS Config `ecs-fargate-latest-platform-version`",
                "AWS Control Tower CT.ECS.PR.1 (stricter: fails 1.4.0)",
                "prowler `ecs_service_fargate_latest_platform_version`",
            ],
        },
        run: check,
    }
}

/// `latestLinuxVersion` and `latestWindowsVersion` as Security Hub sets them (reference §1.1).
const LATEST_LINUX: &str = "1.4.0";
const LATEST_WINDOWS: &str = "1.0.0";

fn check(inventory: &EcsInventory, out: &mut Emitter) {
    for service in &inventory.services {
        let mut verdict = Verdict::new();
        let version = &service.platform_version;
        if verdict.undecidable(&service.launch_type, None) {
            verdict.emit(out, &service.resource);
            continue;
        }
        let pinned = !matches!(version.as_str(), None | Some("LATEST"));
        match service.launch_type.as_str() {
            Some("FARGATE") => {}
            Some(other) => {
                verdict.note(format!("launchType is {other}, not FARGATE"));
                verdict.emit_not_applicable(out, &service.resource);
                continue;
            }
            None => {
                // Reference §1.3 ECS.10: services created with a capacity provider strategy have
                // no launchType; whether the Config rule evaluates them is undocumented (V8).
                verdict.parity_unverified();
                verdict.note("the service has no launchType (capacity provider strategy or cluster default): whether Security Hub evaluates it is undocumented");
                if pinned && verdict.undecidable(version, None) {
                    verdict.emit(out, &service.resource);
                } else if pinned {
                    verdict.undecided(
                        &version.origin,
                        None,
                        format!(
                            "platformVersion {} would fail if the tasks run on Fargate",
                            version.as_str().unwrap_or_default()
                        ),
                    );
                    verdict.emit(out, &service.resource);
                } else {
                    verdict.emit_not_applicable(out, &service.resource);
                }
                continue;
            }
        }
        if verdict.undecidable(version, None) || !pinned {
            verdict.emit(out, &service.resource);
            continue;
        }
        let version_text = version.as_str().unwrap_or_default();
        let linked = service
            .task_definition_index
            .and_then(|i| inventory.task_definitions.get(i));
        let family = if service.platform_family.known().is_some()
            || service.platform_family.undecidable().is_some()
        {
            service.platform_family.clone()
        } else if let Some(td) = linked {
            td.operating_system_family.clone()
        } else {
            service.platform_family.clone()
        };
        if verdict.undecidable(&family, None) {
            verdict.emit(out, &service.resource);
            continue;
        }
        let windows = family
            .as_str()
            .is_some_and(|f| f.to_ascii_uppercase().starts_with("WINDOWS"));
        let latest = if windows {
            LATEST_WINDOWS
        } else {
            LATEST_LINUX
        };
        if version_text != latest {
            verdict.fail(
                &version.origin,
                None,
                format!(
                    "platformVersion {version_text} is not LATEST or {latest} ({} platform)",
                    if windows { "Windows" } else { "Linux" }
                ),
            );
        }
        verdict.emit(out, &service.resource);
    }
}
