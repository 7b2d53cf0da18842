//! The Security Hub truth table (reference §1.2-§1.3): every edge case is written once, as a task
//! definition in the API's camelCase shape, and rendered into each input format (register input
//! JSON, describe output, CloudFormation JSON, CloudFormation YAML with short-form tags, Terraform
//! plan JSON); each rendering must give exactly the expected status for every control named.

use harden::findings::{ControlResult, ControlStatus};
use harden::load::ecs::load_text_inventory;
use harden::model::ecs::{EcsInventory, EcsSettings};
use harden::scan::run_checks;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Register,
    /// The deploy GitHub Action's task-definition file in YAML (`--cli-input-yaml`).
    RegisterYaml,
    Describe,
    CfnJson,
    CfnYaml,
    Terraform,
}

const ALL: &[Format] = &[
    Format::Register,
    Format::RegisterYaml,
    Format::Describe,
    Format::CfnJson,
    Format::CfnYaml,
    Format::Terraform,
];
/// Formats that can hold CloudFormation intrinsics.
const CFN: &[Format] = &[Format::CfnJson, Format::CfnYaml];
/// Formats whose values go to the API unconverted (no string booleans, no integer user).
const API: &[Format] = &[
    Format::Register,
    Format::RegisterYaml,
    Format::Describe,
    Format::Terraform,
];

use ControlStatus::{Failed as F, Indeterminate as I, NotApplicable as NA, Passed as P};

struct Case {
    name: &'static str,
    formats: &'static [Format],
    task_definition: Value,
    expect: Vec<(&'static str, ControlStatus)>,
}

fn container(overrides: Value) -> Value {
    let mut c = json!({
        "name": "app",
        "image": "nginx:1.27",
        "user": "1000",
        "readonlyRootFilesystem": true,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}}
    });
    merge(&mut c, overrides);
    c
}

fn task_definition(overrides: Value) -> Value {
    let mut td = json!({
        "family": "web",
        "networkMode": "awsvpc",
        "containerDefinitions": [container(json!({}))],
        "tags": [{"key": "team", "value": "payments"}]
    });
    merge(&mut td, overrides);
    td
}

/// Shallow merge; a `"$absent"` value removes the key.
fn merge(target: &mut Value, overrides: Value) {
    if let (Some(target), Value::Object(overrides)) = (target.as_object_mut(), overrides) {
        for (k, v) in overrides {
            if v == json!("$absent") {
                target.remove(&k);
            } else {
                target.insert(k, v);
            }
        }
    }
}

fn with_container(overrides: Value) -> Value {
    task_definition(json!({"containerDefinitions": [container(overrides)]}))
}

fn cases() -> Vec<Case> {
    let linux = json!({"operatingSystemFamily": "LINUX"});
    let windows = json!({"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"});
    let mut cases = vec![
        // ECS.20 / ECS.21 and the OS family (§0.4, §1.3)
        Case {
            name: "no user, OS unset fails ECS.20 and ECS.21",
            formats: ALL,
            task_definition: with_container(json!({"user": "$absent"})),
            expect: vec![("ECS.20", F), ("ECS.21", F)],
        },
        Case {
            name: "user 1000, OS unset passes both",
            formats: ALL,
            task_definition: with_container(json!({"user": "1000"})),
            expect: vec![("ECS.20", P), ("ECS.21", P)],
        },
        Case {
            name: "user root fails ECS.20, passes ECS.21",
            formats: ALL,
            task_definition: with_container(json!({"user": "root"})),
            expect: vec![("ECS.20", F), ("ECS.21", P)],
        },
        Case {
            name: "user 0 fails ECS.20",
            formats: ALL,
            task_definition: with_container(json!({"user": "0"})),
            expect: vec![("ECS.20", F)],
        },
        Case {
            name: "user 0:0 fails ECS.20 (Guard set)",
            formats: ALL,
            task_definition: with_container(json!({"user": "0:0"})),
            expect: vec![("ECS.20", F)],
        },
        Case {
            name: "user root:root fails ECS.20",
            formats: ALL,
            task_definition: with_container(json!({"user": "root:root"})),
            expect: vec![("ECS.20", F)],
        },
        Case {
            name: "user 1000:0 passes ECS.20 (UID decides)",
            formats: ALL,
            task_definition: with_container(json!({"user": "1000:0"})),
            expect: vec![("ECS.20", P)],
        },
        Case {
            name: "user 00 passes ECS.20 (not in AWS's sets)",
            formats: ALL,
            task_definition: with_container(json!({"user": "00"})),
            expect: vec![("ECS.20", P)],
        },
        Case {
            name: "user ROOT passes ECS.20 (case-sensitive)",
            formats: ALL,
            task_definition: with_container(json!({"user": "ROOT"})),
            expect: vec![("ECS.20", P)],
        },
        Case {
            name: "user app:root passes ECS.20",
            formats: ALL,
            task_definition: with_container(json!({"user": "app:root"})),
            expect: vec![("ECS.20", P)],
        },
        Case {
            name: "user empty string is absent",
            formats: ALL,
            task_definition: with_container(json!({"user": ""})),
            expect: vec![("ECS.20", F), ("ECS.21", F)],
        },
        Case {
            name: "user null is absent",
            formats: ALL,
            task_definition: with_container(json!({"user": null})),
            expect: vec![("ECS.20", F), ("ECS.21", F)],
        },
        Case {
            name: "LINUX without user: ECS.20 fails, ECS.21 not applicable",
            formats: ALL,
            task_definition: task_definition(json!({"runtimePlatform": linux,
                "containerDefinitions": [container(json!({"user": "$absent"}))]})),
            expect: vec![("ECS.20", F), ("ECS.21", NA)],
        },
        Case {
            name: "Windows without user: ECS.21 fails, ECS.20 and ECS.5 not applicable",
            formats: ALL,
            task_definition: task_definition(json!({"runtimePlatform": windows,
                "containerDefinitions": [container(json!({"user": "$absent", "readonlyRootFilesystem": "$absent"}))]})),
            expect: vec![("ECS.20", NA), ("ECS.21", F), ("ECS.5", NA)],
        },
        Case {
            name: "Windows ContainerAdministrator fails ECS.21",
            formats: ALL,
            task_definition: task_definition(json!({"runtimePlatform": windows,
                "containerDefinitions": [container(json!({"user": "ContainerAdministrator"}))]})),
            expect: vec![("ECS.21", F)],
        },
        Case {
            name: "Windows containeradministrator fails ECS.21",
            formats: ALL,
            task_definition: task_definition(json!({"runtimePlatform": windows,
                "containerDefinitions": [container(json!({"user": "containeradministrator"}))]})),
            expect: vec![("ECS.21", F)],
        },
        Case {
            name: "Windows ContainerUser passes ECS.21",
            formats: ALL,
            task_definition: task_definition(json!({"runtimePlatform": windows,
                "containerDefinitions": [container(json!({"user": "ContainerUser"}))]})),
            expect: vec![("ECS.21", P), ("ECS.20", NA)],
        },
        // ECS.5
        Case {
            name: "readonlyRootFilesystem absent fails ECS.5",
            formats: ALL,
            task_definition: with_container(json!({"readonlyRootFilesystem": "$absent"})),
            expect: vec![("ECS.5", F)],
        },
        Case {
            name: "readonlyRootFilesystem false fails ECS.5",
            formats: ALL,
            task_definition: with_container(json!({"readonlyRootFilesystem": false})),
            expect: vec![("ECS.5", F)],
        },
        Case {
            name: "readonlyRootFilesystem null fails ECS.5",
            formats: ALL,
            task_definition: with_container(json!({"readonlyRootFilesystem": null})),
            expect: vec![("ECS.5", F)],
        },
        Case {
            name: "readonlyRootFilesystem true passes ECS.5",
            formats: ALL,
            task_definition: with_container(json!({"readonlyRootFilesystem": true})),
            expect: vec![("ECS.5", P)],
        },
        // ECS.4
        Case {
            name: "privileged true fails ECS.4",
            formats: ALL,
            task_definition: with_container(json!({"privileged": true})),
            expect: vec![("ECS.4", F)],
        },
        Case {
            name: "privileged false passes ECS.4",
            formats: ALL,
            task_definition: with_container(json!({"privileged": false})),
            expect: vec![("ECS.4", P)],
        },
        Case {
            name: "privileged null passes ECS.4",
            formats: ALL,
            task_definition: with_container(json!({"privileged": null})),
            expect: vec![("ECS.4", P)],
        },
        Case {
            name: "privileged \"yes\" is indeterminate",
            formats: ALL,
            task_definition: with_container(json!({"privileged": "yes"})),
            expect: vec![("ECS.4", I)],
        },
        // ECS.1 / ECS.17
        Case {
            name: "host mode, no user, not privileged fails ECS.1 and ECS.17",
            formats: ALL,
            task_definition: task_definition(json!({"networkMode": "host",
                "containerDefinitions": [container(json!({"user": "$absent"}))]})),
            expect: vec![("ECS.1", F), ("ECS.17", F)],
        },
        Case {
            name: "host mode, privileged passes ECS.1, fails ECS.4",
            formats: ALL,
            task_definition: task_definition(json!({"networkMode": "host",
                "containerDefinitions": [container(json!({"user": "$absent", "privileged": true}))]})),
            expect: vec![("ECS.1", P), ("ECS.4", F)],
        },
        Case {
            name: "host mode, user 0:0 fails ECS.1",
            formats: ALL,
            task_definition: task_definition(json!({"networkMode": "host",
                "containerDefinitions": [container(json!({"user": "0:0"}))]})),
            expect: vec![("ECS.1", F)],
        },
        Case {
            name: "host mode, user 1000 passes ECS.1",
            formats: ALL,
            task_definition: task_definition(json!({"networkMode": "host"})),
            expect: vec![("ECS.1", P), ("ECS.17", F)],
        },
        Case {
            name: "no networkMode (bridge) passes ECS.1 and ECS.17",
            formats: ALL,
            task_definition: task_definition(json!({"networkMode": "$absent",
                "containerDefinitions": [container(json!({"user": "$absent"}))]})),
            expect: vec![("ECS.1", P), ("ECS.17", P)],
        },
        // ECS.3
        Case {
            name: "pidMode host fails ECS.3",
            formats: ALL,
            task_definition: task_definition(json!({"pidMode": "host"})),
            expect: vec![("ECS.3", F)],
        },
        Case {
            name: "pidMode task passes ECS.3",
            formats: ALL,
            task_definition: task_definition(json!({"pidMode": "task"})),
            expect: vec![("ECS.3", P)],
        },
        Case {
            name: "pidMode \"\" in a template is indeterminate",
            formats: CFN,
            task_definition: task_definition(json!({"pidMode": ""})),
            expect: vec![("ECS.3", I)],
        },
        Case {
            name: "pidMode \"\" is stripped by the deploy Action",
            formats: &[Format::Register],
            task_definition: task_definition(json!({"pidMode": ""})),
            expect: vec![("ECS.3", P)],
        },
        // ECS.8
        Case {
            name: "AWS_ACCESS_KEY_ID with an empty value fails ECS.8",
            formats: ALL,
            task_definition: with_container(
                json!({"environment": [{"name": "AWS_ACCESS_KEY_ID", "value": ""}]}),
            ),
            expect: vec![("ECS.8", F)],
        },
        Case {
            name: "ECS_ENGINE_AUTH_DATA fails ECS.8",
            formats: ALL,
            task_definition: with_container(
                json!({"environment": [{"name": "ECS_ENGINE_AUTH_DATA", "value": "{}"}]}),
            ),
            expect: vec![("ECS.8", F)],
        },
        Case {
            name: "lower-case aws_access_key_id passes ECS.8",
            formats: ALL,
            task_definition: with_container(
                json!({"environment": [{"name": "aws_access_key_id", "value": "x"}]}),
            ),
            expect: vec![("ECS.8", P)],
        },
        Case {
            name: "secrets[] pass ECS.8",
            formats: ALL,
            task_definition: with_container(
                json!({"secrets": [{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/k"}]}),
            ),
            expect: vec![("ECS.8", P)],
        },
        // ECS.9
        Case {
            name: "no logConfiguration fails ECS.9",
            formats: ALL,
            task_definition: with_container(json!({"logConfiguration": "$absent"})),
            expect: vec![("ECS.9", F)],
        },
        Case {
            name: "empty logConfiguration fails ECS.9",
            formats: ALL,
            task_definition: with_container(json!({"logConfiguration": {}})),
            expect: vec![("ECS.9", F)],
        },
        Case {
            name: "blank logDriver fails ECS.9",
            formats: ALL,
            task_definition: with_container(json!({"logConfiguration": {"logDriver": " "}})),
            expect: vec![("ECS.9", F)],
        },
        Case {
            name: "FireLens router without logConfiguration fails ECS.9",
            formats: ALL,
            task_definition: task_definition(json!({"containerDefinitions": [
                container(json!({"logConfiguration": {"logDriver": "awsfirelens"}})),
                container(json!({"name": "log_router", "firelensConfiguration": {"type": "fluentbit"}, "logConfiguration": "$absent"}))]})),
            expect: vec![("ECS.9", F)],
        },
        Case {
            name: "FireLens router with its own logConfiguration passes ECS.9",
            formats: ALL,
            task_definition: task_definition(json!({"containerDefinitions": [
                container(json!({"logConfiguration": {"logDriver": "awsfirelens"}})),
                container(json!({"name": "log_router", "firelensConfiguration": {"type": "fluentbit"}}))]})),
            expect: vec![("ECS.9", P)],
        },
        // multi-container
        Case {
            name: "one bad container of two fails",
            formats: ALL,
            task_definition: task_definition(json!({"containerDefinitions": [
                container(json!({})), container(json!({"name": "side", "user": "$absent", "readonlyRootFilesystem": false}))]})),
            expect: vec![("ECS.5", F), ("ECS.20", F), ("ECS.4", P)],
        },
        // ECS.18
        Case {
            name: "EFS without transitEncryption fails ECS.18",
            formats: ALL,
            task_definition: task_definition(
                json!({"volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]}),
            ),
            expect: vec![("ECS.18", F)],
        },
        Case {
            name: "second EFS volume unencrypted fails ECS.18",
            formats: ALL,
            task_definition: task_definition(json!({"volumes": [
                {"name": "a", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}},
                {"name": "b", "efsVolumeConfiguration": {"fileSystemId": "fs-2", "transitEncryption": "DISABLED"}}]})),
            expect: vec![("ECS.18", F)],
        },
        Case {
            name: "EFS with transitEncryption passes ECS.18",
            formats: ALL,
            task_definition: task_definition(
                json!({"volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}]}),
            ),
            expect: vec![("ECS.18", P)],
        },
        Case {
            name: "host volume only: ECS.18 not applicable",
            formats: ALL,
            task_definition: task_definition(
                json!({"volumes": [{"name": "d", "host": {"sourcePath": "/data"}}]}),
            ),
            expect: vec![("ECS.18", NA)],
        },
        // ECS.15
        Case {
            name: "no tags fails ECS.15",
            formats: ALL,
            task_definition: task_definition(json!({"tags": "$absent"})),
            expect: vec![("ECS.15", F)],
        },
        Case {
            name: "aws: tags only fail ECS.15",
            formats: ALL,
            task_definition: task_definition(
                json!({"tags": [{"key": "aws:cloudformation:stack-name", "value": "s"}]}),
            ),
            expect: vec![("ECS.15", F)],
        },
        Case {
            name: "a user tag passes ECS.15",
            formats: ALL,
            task_definition: task_definition(json!({})),
            expect: vec![("ECS.15", P)],
        },
        // No containers (IaC): not applicable, as CT.ECS.PR.* do
        Case {
            name: "no container definitions: not applicable",
            formats: CFN,
            task_definition: task_definition(json!({"containerDefinitions": "$absent"})),
            expect: vec![("ECS.5", NA), ("ECS.20", NA)],
        },
        // CloudFormation coercions and intrinsics
        Case {
            name: "string boolean true passes ECS.5 in a template",
            formats: CFN,
            task_definition: with_container(json!({"readonlyRootFilesystem": "true"})),
            expect: vec![("ECS.5", P)],
        },
        Case {
            name: "string boolean is invalid for the API",
            formats: API,
            task_definition: with_container(json!({"readonlyRootFilesystem": "true"})),
            expect: vec![("ECS.5", I)],
        },
        Case {
            name: "integer user 0 fails ECS.20 in a template",
            formats: CFN,
            task_definition: with_container(json!({"user": 0})),
            expect: vec![("ECS.20", F)],
        },
        Case {
            name: "integer user is invalid for the API",
            formats: API,
            task_definition: with_container(json!({"user": 0})),
            expect: vec![("ECS.20", I)],
        },
        Case {
            name: "Ref user is indeterminate",
            formats: CFN,
            task_definition: with_container(json!({"user": {"$ref": "UserParameter"}})),
            expect: vec![("ECS.20", I), ("ECS.21", I)],
        },
        Case {
            name: "Sub user is indeterminate",
            formats: CFN,
            task_definition: with_container(json!({"user": {"$sub": "${Uid}"}})),
            expect: vec![("ECS.20", I)],
        },
        Case {
            name: "Ref readonlyRootFilesystem is indeterminate",
            formats: CFN,
            task_definition: with_container(
                json!({"readonlyRootFilesystem": {"$ref": "ReadOnly"}}),
            ),
            expect: vec![("ECS.5", I)],
        },
        Case {
            name: "Ref AWS::NoValue removes readonlyRootFilesystem",
            formats: CFN,
            task_definition: with_container(
                json!({"readonlyRootFilesystem": {"$ref": "AWS::NoValue"}}),
            ),
            expect: vec![("ECS.5", F)],
        },
        Case {
            name: "a known failure stands beside an unknown",
            formats: CFN,
            task_definition: task_definition(json!({"containerDefinitions": [
                container(json!({"privileged": {"$ref": "Priv"}})), container(json!({"name": "b", "privileged": true}))]})),
            expect: vec![("ECS.4", F)],
        },
        Case {
            name: "unknown OS family with no user is indeterminate",
            formats: CFN,
            task_definition: task_definition(
                json!({"runtimePlatform": {"operatingSystemFamily": {"$ref": "Os"}},
                "containerDefinitions": [container(json!({"user": "$absent"}))]}),
            ),
            expect: vec![("ECS.20", I), ("ECS.21", I)],
        },
        Case {
            name: "unknown OS family with user 1000 passes",
            formats: CFN,
            task_definition: task_definition(
                json!({"runtimePlatform": {"operatingSystemFamily": {"$ref": "Os"}}}),
            ),
            expect: vec![("ECS.20", P), ("ECS.21", P)],
        },
        Case {
            name: "unknown container list is indeterminate",
            formats: CFN,
            task_definition: task_definition(
                json!({"containerDefinitions": {"$ref": "Containers"}, "pidMode": "host"}),
            ),
            expect: vec![("ECS.4", I), ("ECS.5", I), ("ECS.9", I), ("ECS.3", F)],
        },
    ];
    // The whole control set of one good task definition, so no control passes by accident.
    cases.push(Case {
        name: "a hardened task definition passes everything",
        formats: ALL,
        task_definition: task_definition(json!({"runtimePlatform": linux,
            "volumes": [{"name": "d", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}]})),
        expect: vec![("ECS.1", P), ("ECS.3", P), ("ECS.4", P), ("ECS.5", P), ("ECS.8", P), ("ECS.9", P),
            ("ECS.15", P), ("ECS.17", P), ("ECS.18", P), ("ECS.20", P), ("ECS.21", NA)],
    });
    cases
}

// ---- rendering one case into each format ----

fn has_markers(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            map.contains_key("$ref") || map.contains_key("$sub") || map.values().any(has_markers)
        }
        Value::Array(items) => items.iter().any(has_markers),
        _ => false,
    }
}

/// `{"$ref": x}` → `{"Ref": x}`, `{"$sub": s}` → `{"Fn::Sub": s}`.
fn long_form(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$ref") => json!({"Ref": map["$ref"]}),
        Value::Object(map) if map.contains_key("$sub") => json!({"Fn::Sub": map["$sub"]}),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), long_form(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(long_form).collect()),
        other => other.clone(),
    }
}

/// API camelCase → CloudFormation PascalCase (reference §3.3); map keys under `options` stay.
fn pascal(value: &Value, verbatim: bool) -> Value {
    match value {
        Value::Object(map) if map.contains_key("$ref") || map.contains_key("$sub") => value.clone(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = if verbatim {
                        k.clone()
                    } else {
                        match k.as_str() {
                            "efsVolumeConfiguration" => "EFSVolumeConfiguration".to_string(),
                            "fileSystemId" => "FilesystemId".to_string(),
                            _ => {
                                let mut c = k.chars();
                                c.next()
                                    .map(|f| f.to_uppercase().chain(c).collect())
                                    .unwrap_or_default()
                            }
                        }
                    };
                    (key, pascal(v, k == "options" || k == "dockerLabels"))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| pascal(v, false)).collect()),
        other => other.clone(),
    }
}

/// Block YAML with short-form tags for the markers.
fn yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if map.contains_key("$ref") => {
            out.push_str(&format!(" !Ref {}\n", map["$ref"].as_str().unwrap()))
        }
        Value::Object(map) if map.contains_key("$sub") => {
            out.push_str(&format!(" !Sub {}\n", map["$sub"]))
        }
        Value::Object(map) if map.is_empty() => out.push_str(" {}\n"),
        Value::Array(items) if items.is_empty() => out.push_str(" []\n"),
        Value::Object(map) => {
            out.push('\n');
            for (k, v) in map {
                out.push_str(&format!("{pad}{k}:"));
                yaml(v, indent + 2, out);
            }
        }
        Value::Array(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("{pad}-"));
                yaml(item, indent + 2, out);
            }
        }
        scalar => out.push_str(&format!(" {scalar}\n")),
    }
}

fn render(td: &Value, format: Format) -> String {
    match format {
        Format::Register => serde_json::to_string_pretty(td).unwrap(),
        Format::RegisterYaml => {
            let mut out = String::from("# task-definition.yaml");
            yaml(td, 0, &mut out);
            out
        }
        Format::Describe => {
            let mut inner = td.clone();
            let tags = inner.as_object_mut().unwrap().remove("tags").unwrap_or(json!([]));
            merge(&mut inner, json!({"revision": 3, "status": "ACTIVE",
                "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3"}));
            serde_json::to_string_pretty(&json!({"taskDefinition": inner, "tags": tags})).unwrap()
        }
        Format::CfnJson => serde_json::to_string_pretty(&json!({"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"TaskDef": {"Type": "AWS::ECS::TaskDefinition", "Properties": long_form(&pascal(td, false))}}}))
        .unwrap(),
        Format::CfnYaml => {
            let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n    Properties:");
            yaml(&pascal(td, false), 6, &mut out);
            out
        }
        Format::Terraform => {
            let mut after = serde_json::Map::new();
            for (api, tf) in [("family", "family"), ("networkMode", "network_mode"), ("pidMode", "pid_mode")] {
                if let Some(v) = td.get(api) {
                    after.insert(tf.into(), v.clone());
                }
            }
            if let Some(containers) = td.get("containerDefinitions") {
                after.insert("container_definitions".into(), json!(containers.to_string()));
            }
            if let Some(os) = td.pointer("/runtimePlatform/operatingSystemFamily") {
                after.insert("runtime_platform".into(), json!([{"operating_system_family": os}]));
            }
            if let Some(volumes) = td.get("volumes").and_then(Value::as_array) {
                let blocks: Vec<Value> = volumes.iter().map(|v| {
                    let efs: Vec<Value> = v.get("efsVolumeConfiguration").map(|e| vec![json!({
                        "file_system_id": e["fileSystemId"],
                        "transit_encryption": e.get("transitEncryption").cloned().unwrap_or(Value::Null)})]).unwrap_or_default();
                    json!({"name": v["name"], "host_path": v.pointer("/host/sourcePath").cloned().unwrap_or(json!("")),
                        "efs_volume_configuration": efs})
                }).collect();
                after.insert("volume".into(), json!(blocks));
            }
            let tags: serde_json::Map<String, Value> = td.get("tags").and_then(Value::as_array).map(|t| t.iter()
                .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].clone())).collect()).unwrap_or_default();
            after.insert("tags_all".into(), Value::Object(tags));
            serde_json::to_string_pretty(&json!({"format_version": "1.2", "resource_changes": [{
                "address": "aws_ecs_task_definition.web", "mode": "managed", "type": "aws_ecs_task_definition",
                "change": {"actions": ["create"], "after": after, "after_unknown": {"arn": true}}}]})).unwrap()
        }
    }
}

fn evaluate(inventory: &EcsInventory) -> Vec<ControlResult> {
    let (mut findings, mut controls) = (Vec::new(), Vec::new());
    run_checks(None, None, Some(inventory), &mut findings, &mut controls);
    // Every FAILED control is also a finding with the same id, and nothing else is.
    for control in &controls {
        let has_finding = findings.iter().any(|f| {
            f.id == control.id && f.location.resource.as_deref() == Some(&control.resource.name)
        });
        assert_eq!(
            control.status == ControlStatus::Failed,
            has_finding,
            "{control:?} vs findings"
        );
    }
    controls
}

#[test]
fn every_edge_case_gives_the_security_hub_status_in_every_format() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        for &format in case.formats {
            if has_markers(&case.task_definition) && !CFN.contains(&format) {
                continue;
            }
            let text = render(&case.task_definition, format);
            let file = format!(
                "{:?}.{}",
                format,
                if matches!(format, Format::CfnYaml | Format::RegisterYaml) {
                    "yaml"
                } else {
                    "json"
                }
            );
            let inventory = match load_text_inventory(&file, &text) {
                Ok(inventory) => inventory,
                Err(e) => {
                    failures.push(format!(
                        "{} [{format:?}]: load error {e}\n{text}",
                        case.name
                    ));
                    continue;
                }
            };
            let controls = evaluate(&inventory);
            for (id, expected) in &case.expect {
                let got: Vec<ControlStatus> = controls
                    .iter()
                    .filter(|c| c.id == *id)
                    .map(|c| c.status)
                    .collect();
                checked += 1;
                if got != [*expected] {
                    failures.push(format!(
                        "{} [{format:?}]: {id} expected {expected:?}, got {got:?}\n{text}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} expectations failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{checked} expectations checked");
    assert!(checked > 200, "only {checked} expectations checked");
}

fn describe(family: &str, revision: i64, status: &str, user: Option<&str>) -> String {
    let mut c = container(json!({}));
    match user {
        Some(u) => merge(&mut c, json!({"user": u})),
        None => merge(&mut c, json!({"user": "$absent"})),
    }
    json!({"taskDefinition": {"family": family, "revision": revision, "status": status,
        "containerDefinitions": [c]}, "tags": [{"key": "team", "value": "x"}]})
    .to_string()
}

fn statuses(controls: &[ControlResult], id: &str) -> Vec<(String, ControlStatus)> {
    let mut s: Vec<(String, ControlStatus)> = controls
        .iter()
        .filter(|c| c.id == id)
        .map(|c| (c.resource.name.clone(), c.status))
        .collect();
    s.sort_by(|a, b| a.0.cmp(&b.0));
    s
}

#[test]
fn only_the_latest_active_revision_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("web-5.json"),
        describe("web", 5, "ACTIVE", None),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("web-6.json"),
        describe("web", 6, "ACTIVE", Some("1000")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("web-7.json"),
        describe("web", 7, "INACTIVE", None),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("api-2.json"),
        describe("api", 2, "DELETE_IN_PROGRESS", None),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an input").unwrap();
    let mut notes = Vec::new();
    let inventory = harden::load::ecs::load(
        &[dir.path().to_path_buf()],
        &EcsSettings::default(),
        &Default::default(),
        &mut notes,
    )
    .unwrap();
    let controls = evaluate(&inventory);
    assert_eq!(
        statuses(&controls, "ECS.20"),
        vec![
            ("api:2".into(), NA),
            ("web:5".into(), NA),
            ("web:6".into(), P),
            ("web:7".into(), NA)
        ]
    );
    let web5 = controls
        .iter()
        .find(|c| c.id == "ECS.20" && c.resource.name == "web:5")
        .unwrap();
    assert!(
        web5.notes.iter().any(|n| n.contains("not evaluated")),
        "{web5:?}"
    );
    // ECS.15 does not say "latest ACTIVE only": every revision is evaluated, marked.
    let web7 = controls
        .iter()
        .find(|c| c.id == "ECS.15" && c.resource.name == "web:7")
        .unwrap();
    assert_eq!((web7.status, web7.parity_unverified), (P, true));
    assert_eq!(
        notes.iter().filter(|n| n.contains("not evaluated")).count(),
        3,
        "{notes:?}"
    );

    let settings = EcsSettings {
        evaluate_inactive: true,
        ..EcsSettings::default()
    };
    let inventory = harden::load::ecs::load(
        &[dir.path().to_path_buf()],
        &settings,
        &Default::default(),
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(
        statuses(&evaluate(&inventory), "ECS.20"),
        vec![
            ("api:2".into(), F),
            ("web:5".into(), F),
            ("web:6".into(), P),
            ("web:7".into(), F)
        ]
    );
}

#[test]
fn describe_output_without_tags_is_indeterminate_for_ecs_15() {
    let text = json!({"taskDefinition": {"family": "web", "revision": 1, "status": "ACTIVE",
        "containerDefinitions": [container(json!({}))]}})
    .to_string();
    let controls = evaluate(&load_text_inventory("d.json", &text).unwrap());
    assert_eq!(statuses(&controls, "ECS.15"), vec![("web:1".into(), I)]);
}

#[test]
fn required_tags_are_all_needed() {
    let text = serde_json::to_string(&task_definition(
        json!({"tags": [{"key": "team", "value": "a"}, {"key": "aws:x", "value": "b"}]}),
    ))
    .unwrap();
    let mut inventory = load_text_inventory("r.json", &text).unwrap();
    inventory.settings.required_tag_keys = vec!["team".into()];
    assert_eq!(
        statuses(&evaluate(&inventory), "ECS.15"),
        vec![("web".into(), P)]
    );
    inventory.settings.required_tag_keys = vec!["team".into(), "env".into()];
    assert_eq!(
        statuses(&evaluate(&inventory), "ECS.15"),
        vec![("web".into(), F)]
    );
    inventory.settings.required_tag_keys = vec!["Team".into()];
    assert_eq!(
        statuses(&evaluate(&inventory), "ECS.15"),
        vec![("web".into(), F)]
    );
}

/// Service, task set, cluster and capacity provider controls in CloudFormation YAML, JSON and
/// Terraform.
#[test]
fn service_level_controls() {
    let template = r#"
Resources:
  Fargate:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      PlatformVersion: 1.3.0
      TaskDefinition: !Ref WinTask
      NetworkConfiguration: {AwsvpcConfiguration: {AssignPublicIp: ENABLED}}
  WinService:
    Type: AWS::ECS::Service
    Properties:
      LaunchType: FARGATE
      PlatformVersion: 1.0.0
      TaskDefinition: !Ref WinTask
      Tags: [{Key: team, Value: a}]
  Strategy:
    Type: AWS::ECS::Service
    Properties:
      CapacityProviderStrategy: [{CapacityProvider: FARGATE_SPOT, Weight: 1}]
      PlatformVersion: 1.3.0
      NetworkConfiguration: {AwsvpcConfiguration: {AssignPublicIp: !If [Public, ENABLED, DISABLED]}}
  Ec2:
    Type: AWS::ECS::Service
    Properties: {LaunchType: EC2, PlatformVersion: 1.3.0}
  WinTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RuntimePlatform: {OperatingSystemFamily: WINDOWS_SERVER_2019_CORE}
      ContainerDefinitions: [{Name: app, Image: x, User: ContainerUser}]
  Set:
    Type: AWS::ECS::TaskSet
    Properties:
      NetworkConfiguration: {AwsVpcConfiguration: {AssignPublicIp: ENABLED}}
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterSettings: [{Name: containerInsights, Value: !Ref Insights}]
  Fargate2:
    Type: AWS::ECS::CapacityProvider
    Properties: {}
"#;
    let controls = evaluate(&load_text_inventory("t.yaml", template).unwrap());
    assert_eq!(
        statuses(&controls, "ECS.2"),
        vec![
            ("Ec2".into(), P),
            ("Fargate".into(), F),
            ("Strategy".into(), I),
            ("WinService".into(), P)
        ]
    );
    assert_eq!(
        statuses(&controls, "ECS.10"),
        vec![
            ("Ec2".into(), NA),
            ("Fargate".into(), F),
            ("Strategy".into(), I),
            ("WinService".into(), P)
        ]
    );
    assert_eq!(
        statuses(&controls, "ECS.13"),
        vec![
            ("Ec2".into(), F),
            ("Fargate".into(), F),
            ("Strategy".into(), F),
            ("WinService".into(), P)
        ]
    );
    assert_eq!(statuses(&controls, "ECS.16"), vec![("Set".into(), F)]);
    assert_eq!(statuses(&controls, "ECS.12"), vec![("Cluster".into(), I)]);
    assert_eq!(statuses(&controls, "ECS.14"), vec![("Cluster".into(), F)]);
    assert_eq!(statuses(&controls, "ECS.19"), vec![("Fargate2".into(), NA)]);
    let strategy = controls
        .iter()
        .find(|c| c.id == "ECS.10" && c.resource.name == "Strategy")
        .unwrap();
    assert!(strategy.parity_unverified);
}

#[test]
fn bad_inputs_are_clear_errors_naming_the_file_and_place() {
    let cases = [
        (
            "bad.json",
            "{\"family\": \"web\",\n \"containerDefinitions\": [}",
            "bad.json:2",
        ),
        ("bad.yaml", "Resources:\n  A: [unclosed\n", "bad.yaml"),
        (
            "none.yaml",
            "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
            "no AWS::ECS::TaskDefinition",
        ),
        ("other.json", "{\"name\": \"x\"}", "not an ECS input"),
        (
            "containers.json",
            "[{\"name\": \"app\", \"image\": \"app:1\"}]",
            "a list of container definitions",
        ),
        (
            "main.tf.json",
            "{\"resource\": {\"aws_ecs_task_definition\": {\"t\": {\"family\": \"t\"}}}}",
            "Terraform JSON configuration",
        ),
        (
            "partial.json",
            "{\"resource_changes\": []}",
            "without its `format_version`",
        ),
        (
            "tf.json",
            "{\"format_version\": \"1.2\", \"values\": {\"root_module\": {\"resources\": [{\"address\": \"aws_ecs_task_definition.x\", \"mode\": \"managed\", \"type\": \"aws_ecs_task_definition\", \"values\": {\"container_definitions\": \"[{\"}}]}}}",
            "aws_ecs_task_definition.x.container_definitions is not valid JSON",
        ),
    ];
    for (file, text, expected) in cases {
        let error = load_text_inventory(file, text).expect_err(file).to_string();
        assert!(
            error.contains(expected) && error.contains(file.split('.').next().unwrap()),
            "{file}: {error}"
        );
    }
    // A container without a name: every task-definition control is INDETERMINATE, naming it.
    let text =
        json!({"family": "web", "containerDefinitions": [{"image": "x", "privileged": true}]})
            .to_string();
    let controls = evaluate(&load_text_inventory("noname.json", &text).unwrap());
    // Every task-definition control, ECS.15 (tags) included: there is nothing to judge.
    for control in &controls {
        assert_eq!(control.status, I, "{control:?}");
    }
    assert!(controls.iter().any(|c| c.id == "ECS.15"));
    let ecs4 = controls.iter().find(|c| c.id == "ECS.4").unwrap();
    assert_eq!(ecs4.status, I);
    assert!(
        ecs4.offenders[0]
            .message
            .contains("/containerDefinitions/0")
            && ecs4.offenders[0].message.contains("no name"),
        "{ecs4:?}"
    );
}

#[test]
fn services_give_their_task_definition_enable_execute_command() {
    let template = r#"
Resources:
  Web:
    Type: AWS::ECS::Service
    Properties: {TaskDefinition: !Ref TaskDef, EnableExecuteCommand: "true"}
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions: [{Name: app, Image: x, LinuxParameters: {Capabilities: {Add: [cap_net_admin], Drop: [ALL]}}}]
  Lonely:
    Type: AWS::ECS::TaskDefinition
    Properties: {ContainerDefinitions: [{Name: app, Image: x}]}
"#;
    let inventory = load_text_inventory("t.yaml", template).unwrap();
    let task_def = inventory
        .task_definitions
        .iter()
        .find(|t| t.resource.name == "TaskDef")
        .unwrap();
    let lonely = inventory
        .task_definitions
        .iter()
        .find(|t| t.resource.name == "Lonely")
        .unwrap();
    assert_eq!(inventory.services_running(task_def).count(), 1);
    assert_eq!(inventory.enable_execute_command(task_def), Some(true));
    assert_eq!(inventory.enable_execute_command(lonely), None);
    let app = &task_def.container_definitions()[0];
    assert_eq!(app.added_capabilities(), vec!["NET_ADMIN".to_string()]);
    assert_eq!(app.dropped_capabilities(), vec!["ALL".to_string()]);
    assert_eq!(
        app.origin.source_path,
        "Resources/TaskDef/Properties/ContainerDefinitions/0"
    );
    assert_eq!(app.origin.line, Some(9));
}

/// Every fixture cut short at many points is either a clear error or a report, never a panic.
#[test]
fn truncated_inputs_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ecs");
    let mut inputs = 0;
    for dir in std::fs::read_dir(&root).unwrap().filter_map(Result::ok) {
        for file in std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let text = std::fs::read_to_string(file.path()).unwrap();
            let name = file.file_name().to_string_lossy().into_owned();
            for cut in (0..text.len())
                .step_by(23)
                .filter(|c| text.is_char_boundary(*c))
            {
                inputs += 1;
                if let Ok(inventory) = load_text_inventory(&name, &text[..cut]) {
                    evaluate(&inventory);
                }
            }
        }
    }
    assert!(inputs > 1000, "only {inputs} truncated inputs");
}

/// JSON-looking text that only a YAML parser accepts (prettier's trailing commas, `#` comments)
/// is read as YAML, as the deploy Action's `yaml.parse` reads it; text neither parser accepts is
/// still the JSON error.
#[test]
fn json_with_yaml_only_syntax_is_read_as_yaml() {
    let text = "{\n  \"family\": \"web\",\n  \"containerDefinitions\": [\n    {\"name\": \"app\", \"image\": \"x\", \"user\": \"0\",},\n  ],\n}\n";
    for file in ["td.yml", "td.json", "td.template"] {
        let inventory = load_text_inventory(file, text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let ecs20 = evaluate(&inventory)
            .into_iter()
            .find(|c| c.id == "ECS.20")
            .unwrap();
        assert_eq!(ecs20.status, F, "{file}");
        assert_eq!(ecs20.offenders[0].line, Some(4), "{file}");
    }
    let error = load_text_inventory("td.json", "{\"family\": \"web\" \"x\": 1}")
        .expect_err("missing comma")
        .to_string();
    assert!(
        error.contains("td.json:1:") && error.contains("invalid JSON"),
        "{error}"
    );
}

/// A plan marks unknown every optional argument the AWS provider computes (`network_mode`,
/// `platform_version`, `tags_all`...). One the configuration leaves out is not sent to ECS, which
/// applies its default; one set from an unknown value stays unknown.
#[test]
fn plan_arguments_the_configuration_leaves_out_take_the_api_default() {
    let plan = |expressions: Value, provider: Value| {
        json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": "aws_ecs_task_definition.t", "mode": "managed",
                "type": "aws_ecs_task_definition", "name": "t",
                "change": {
                    "actions": ["create"],
                    "after": {"family": "t", "tags": null,
                              "container_definitions": "[{\"name\":\"a\",\"image\":\"a:1\"}]"},
                    "after_unknown": {"network_mode": true, "tags_all": true}
                }
            }],
            "configuration": {
                "provider_config": {"aws": {"expressions": provider}},
                "root_module": {"resources": [{
                    "address": "aws_ecs_task_definition.t", "mode": "managed",
                    "type": "aws_ecs_task_definition", "name": "t",
                    "provider_config_key": "aws", "expressions": expressions
                }]}
            }
        })
        .to_string()
    };
    let status = |text: &str, id: &str| {
        evaluate(&load_text_inventory("plan.json", text).unwrap())
            .into_iter()
            .find(|c| c.id == id)
            .unwrap()
            .status
    };
    let left_out = plan(json!({"family": {"constant_value": "t"}}), json!({}));
    assert_eq!(status(&left_out, "ECS.17"), P);
    assert_eq!(status(&left_out, "ECS.15"), F, "no tags, no default_tags");
    let from_unknown = plan(
        json!({"network_mode": {"references": ["var.mode"]}}),
        json!({"default_tags": [{"tags": {"references": ["var.tags"]}}]}),
    );
    assert_eq!(status(&from_unknown, "ECS.17"), I);
    assert_eq!(status(&from_unknown, "ECS.15"), I);
    let mut without_configuration: Value = serde_json::from_str(&left_out).unwrap();
    without_configuration
        .as_object_mut()
        .unwrap()
        .remove("configuration");
    let without_configuration = without_configuration.to_string();
    assert_eq!(status(&without_configuration, "ECS.17"), I);
    assert_eq!(status(&without_configuration, "ECS.15"), I);
}

/// A value behind `Fn::If` on a condition the template cannot decide offline: the control is
/// decided when every combination of the conditions gives the same verdict (as Security Hub,
/// which sees the one deployed, would then report whichever was deployed), else INDETERMINATE.
#[test]
fn fn_if_branches_that_agree_decide_the_control() {
    let template = r#"
Parameters:
  LaunchType: {Type: String}
  Debug: {Type: String}
Conditions:
  Fargate: !Equals [!Ref LaunchType, FARGATE]
  Debugging: !Equals [!Ref Debug, "yes"]
Resources:
  Agree:
    Type: AWS::ECS::TaskDefinition
    Properties:
      NetworkMode: !If [Fargate, awsvpc, bridge]
      ContainerDefinitions: [{Name: app, Image: x, User: "1000", Privileged: !If [Debugging, false, false]}]
  Disagree:
    Type: AWS::ECS::TaskDefinition
    Properties:
      NetworkMode: !If [Fargate, awsvpc, host]
      ContainerDefinitions: [{Name: app, Image: x, User: !If [Debugging, root, "1000"]}]
  BothFail:
    Type: AWS::ECS::TaskDefinition
    Properties:
      NetworkMode: !If [Fargate, host, host]
      ContainerDefinitions:
        - !If
          - Debugging
          - {Name: debug, Image: x, User: "1000", Privileged: true}
          - !Ref AWS::NoValue
        - {Name: app, Image: x, User: "1000", Privileged: !If [Fargate, true, true]}
  OnlyContainer:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - !If [Debugging, {Name: app, Image: x, Privileged: true}, !Ref AWS::NoValue]
  Unresolved:
    Type: AWS::ECS::TaskDefinition
    Properties:
      NetworkMode: !Ref Mode
      ContainerDefinitions: [{Name: app, Image: x, User: "1000", Privileged: !If [Debugging, false, false]}]
"#;
    let controls = evaluate(&load_text_inventory("t.yaml", template).unwrap());
    assert_eq!(
        statuses(&controls, "ECS.17"),
        vec![
            ("Agree".into(), P),
            ("BothFail".into(), F),
            ("Disagree".into(), I),
            ("OnlyContainer".into(), P),
            ("Unresolved".into(), I),
        ]
    );
    assert_eq!(
        statuses(&controls, "ECS.4"),
        vec![
            ("Agree".into(), P),
            ("BothFail".into(), F),
            ("Disagree".into(), P),
            ("OnlyContainer".into(), F),
            ("Unresolved".into(), P),
        ]
    );
    assert_eq!(
        statuses(&controls, "ECS.20"),
        vec![
            ("Agree".into(), P),
            ("BothFail".into(), P),
            ("Disagree".into(), I),
            ("OnlyContainer".into(), F),
            ("Unresolved".into(), P),
        ]
    );
    let result = |id: &str, name: &str| {
        controls
            .iter()
            .find(|c| c.id == id && c.resource.name == name)
            .unwrap()
    };
    // A failure on every branch is reported at each branch: that is where it is fixed.
    let places = |id: &str, name: &str| -> Vec<String> {
        let mut places: Vec<String> = result(id, name)
            .offenders
            .iter()
            .map(|o| o.source_path.clone().unwrap_or_else(|| o.pointer.clone()))
            .collect();
        places.sort();
        places
    };
    assert_eq!(
        places("ECS.17", "BothFail"),
        vec![
            "Resources/BothFail/Properties/NetworkMode/Fn::If/1",
            "Resources/BothFail/Properties/NetworkMode/Fn::If/2",
        ]
    );
    // The debug container fails where it exists; the app container fails on both branches.
    assert_eq!(
        places("ECS.4", "BothFail"),
        vec![
            "Resources/BothFail/Properties/ContainerDefinitions/0/Fn::If/1/Privileged",
            "Resources/BothFail/Properties/ContainerDefinitions/1/Privileged/Fn::If/1",
            "Resources/BothFail/Properties/ContainerDefinitions/1/Privileged/Fn::If/2",
        ]
    );
    assert!(
        result("ECS.17", "Agree")
            .notes
            .iter()
            .any(|n| n.contains("(Debugging, Fargate)") && n.contains("does not depend")),
        "{:?}",
        result("ECS.17", "Agree").notes
    );
    // The combination without any container is not deployable, so it does not count.
    assert!(
        result("ECS.4", "OnlyContainer")
            .notes
            .iter()
            .any(|n| n.contains("no container definition"))
    );
}

/// More conditions than the variants are read for: the value stays unknown.
#[test]
fn fn_if_on_many_conditions_stays_undecided() {
    let names = ["A", "B", "C", "D", "E"];
    let mut template = String::from(
        "Resources:\n  Many:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      NetworkMode: !If [A, awsvpc, bridge]\n      ContainerDefinitions:\n",
    );
    for (i, name) in names.iter().enumerate() {
        template.push_str(&format!(
            "        - {{Name: c{i}, Image: x, Privileged: !If [{name}, false, false]}}\n"
        ));
    }
    let controls = evaluate(&load_text_inventory("t.yaml", &template).unwrap());
    assert_eq!(statuses(&controls, "ECS.4"), vec![("Many".into(), I)]);
    assert_eq!(statuses(&controls, "ECS.17"), vec![("Many".into(), I)]);
    // With four, they are read.
    let four = template.replace("Privileged: !If [E, false, false]", "Privileged: false");
    let controls = evaluate(&load_text_inventory("t.yaml", &four).unwrap());
    assert_eq!(statuses(&controls, "ECS.4"), vec![("Many".into(), P)]);
}
