//! CloudFormation templates, JSON or YAML, CDK synth output included (reference §3.3, §3.4): every
//! `AWS::ECS::TaskDefinition`, `Service`, `TaskSet`, `Cluster` and `CapacityProvider`. PascalCase
//! properties become the API's camelCase (with the quirks in `tree::cloudformation_key`); string
//! booleans and numeric strings are coerced as CloudFormation does; `Ref`/`Fn::*` (and their YAML
//! short forms) are unknown, except `Ref AWS::NoValue`, which removes the property.

use std::collections::HashMap;

use super::extract::{Extractor, Slot};
use super::tree::{Converter, Keys, PathStyle, Place};
use super::{Document, EcsLoadError, Loaded};
use crate::findings::ResourceRef;

pub(crate) fn load(
    document: &Document,
    limits: &crate::limits::Limits,
) -> Result<Loaded, EcsLoadError> {
    let resources = document
        .value
        .get("Resources")
        .and_then(|r| r.as_object())
        .ok_or_else(|| EcsLoadError::Format {
            file: document.file.clone(),
            message: "CloudFormation template without a Resources object".into(),
        })?;
    let converter = Converter {
        lines: &document.lines,
        style: PathStyle::Template,
        keys: Keys::CloudFormation,
        intrinsics: true,
    };
    let extractor = Extractor {
        style: PathStyle::Template,
        keys: Keys::CloudFormation,
        lenient: true,
        empty_enum_invalid: true,
    };
    let mut loaded = Loaded::default();
    let mut task_definition_ids: HashMap<String, usize> = HashMap::new();
    let mut service_refs: Vec<(usize, String)> = Vec::new();
    let empty = serde_json::Value::Object(Default::default());
    for (logical_id, resource) in resources {
        let Some(kind) = resource.get("Type").and_then(|t| t.as_str()) else {
            continue;
        };
        let report_kind = match kind {
            "AWS::ECS::TaskDefinition" => "AwsEcsTaskDefinition",
            "AWS::ECS::Service" => "AwsEcsService",
            "AWS::ECS::TaskSet" => "AwsEcsTaskSet",
            "AWS::ECS::Cluster" => "AwsEcsCluster",
            "AWS::ECS::CapacityProvider" => "AwsEcsCapacityProvider",
            _ => continue,
        };
        let properties = resource.get("Properties").unwrap_or(&empty);
        let base = format!("Resources/{logical_id}/Properties");
        let pointer = format!("/Resources/{}/Properties", super::tree::escape(logical_id));
        let root = converter.convert(properties, &Place::root("", &base, &pointer));
        // CDK names every resource by its construct path, which users know better than the
        // hashed logical id (reference §3.4).
        let name = match resource
            .pointer("/Metadata/aws:cdk:path")
            .and_then(|p| p.as_str())
        {
            Some(path) => format!("{logical_id} ({path})"),
            None => logical_id.clone(),
        };
        let resource_ref = ResourceRef {
            file: document.file.clone(),
            kind: report_kind.into(),
            name,
        };
        if let Some(condition) = resource.get("Condition").and_then(|c| c.as_str()) {
            loaded.notes.push(format!(
                "{}: {logical_id} is created only when condition {condition} holds; evaluated as if it does",
                document.file
            ));
        }
        let format = crate::model::ecs::SourceFormat::CloudFormation;
        match kind {
            "AWS::ECS::TaskDefinition" => {
                let tags = extractor.tags(&extractor.slot(&Slot::Present(&root), "tags"));
                task_definition_ids
                    .insert(logical_id.clone(), loaded.inventory.task_definitions.len());
                loaded
                    .inventory
                    .task_definitions
                    .push(extractor.task_definition(&root, resource_ref, format, tags));
            }
            "AWS::ECS::Service" => {
                if let Some(target) = properties
                    .get("TaskDefinition")
                    .and_then(|t| t.get("Ref"))
                    .and_then(|r| r.as_str())
                {
                    service_refs.push((loaded.inventory.services.len(), target.to_string()));
                }
                loaded
                    .inventory
                    .services
                    .push(extractor.service(&root, resource_ref, format));
            }
            "AWS::ECS::TaskSet" => {
                loaded
                    .inventory
                    .task_sets
                    .push(extractor.task_set(&root, resource_ref, format))
            }
            "AWS::ECS::Cluster" => {
                loaded
                    .inventory
                    .clusters
                    .push(extractor.cluster(&root, resource_ref, format))
            }
            _ => loaded
                .inventory
                .capacity_providers
                .push(extractor.capacity_provider(&root, resource_ref, format)),
        }
    }
    for (service, target) in service_refs {
        loaded.inventory.services[service].task_definition_index =
            task_definition_ids.get(&target).copied();
    }
    loaded.inventory.stack =
        super::stack::cloudformation(document, limits).map_err(|error| EcsLoadError::Limit {
            file: document.file.clone(),
            error,
        })?;
    let inventory = &loaded.inventory;
    if inventory.task_definitions.is_empty()
        && inventory.stack == Default::default()
        && inventory.services.is_empty()
        && inventory.task_sets.is_empty()
        && inventory.clusters.is_empty()
        && inventory.capacity_providers.is_empty()
    {
        return Err(EcsLoadError::Format {
            file: document.file.clone(),
            message: "the template has no AWS::ECS::TaskDefinition, Service, TaskSet, Cluster or \
                      CapacityProvider resource"
                .into(),
        });
    }
    Ok(loaded)
}
