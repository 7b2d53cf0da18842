//! register-task-definition input (`--cli-input-json|yaml`), the ECS deploy GitHub Action's
//! task-definition.json, and a bare TaskDefinition object (reference §3.1). Mirrors what the Action
//! registers: `null` and `""` are dropped, and describe-only members (`status`, `revision`...) are
//! ignored, since the Action strips them and registers the file as the next ACTIVE revision.

use super::extract::{Extractor, Slot};
use super::tree::{Converter, Keys, PathStyle, Place};
use super::{Document, EcsLoadError, Loaded};
use crate::findings::ResourceRef;
use crate::model::ecs::{SourceFormat, Value};

/// The describe-only members the deploy Action deletes (`IGNORED_TASK_DEFINITION_ATTRIBUTES`).
const IGNORED: &[&str] = &[
    "compatibilities",
    "taskDefinitionArn",
    "requiresAttributes",
    "revision",
    "status",
    "registeredAt",
    "deregisteredAt",
    "registeredBy",
    "deleteRequestedAt",
];

pub(crate) fn load(document: &Document) -> Result<Loaded, EcsLoadError> {
    let mut value = document.value.clone();
    let mut notes = Vec::new();
    if let Some(object) = value.as_object_mut() {
        let dropped: Vec<&str> = IGNORED
            .iter()
            .copied()
            .filter(|k| object.remove(*k).is_some())
            .collect();
        if dropped.iter().any(|k| *k == "status" || *k == "revision") {
            notes.push(format!(
                "{}: read as register input: {} ignored, as the ECS deploy GitHub Action strips \
                 them and registers the file as a new ACTIVE revision",
                document.file,
                dropped.join(", ")
            ));
        }
    }
    let converter = Converter {
        lines: &document.lines,
        style: PathStyle::Pointer,
        keys: Keys::Api,
        intrinsics: document.yaml,
        assumed: None,
    };
    let root = converter.convert(&value, &Place::root("", "", ""));
    let extractor = Extractor {
        style: PathStyle::Pointer,
        keys: Keys::Api,
        lenient: false,
        empty_enum_invalid: false,
    };
    let family = extractor.string(&extractor.slot(&Slot::Present(&root), "family"));
    let name = match &family.value {
        Value::Known(family) => family.clone(),
        _ => "(no family)".to_string(),
    };
    let tags = extractor.tags(&extractor.slot(&Slot::Present(&root), "tags"));
    let resource = ResourceRef {
        file: document.file.clone(),
        kind: "AwsEcsTaskDefinition".into(),
        name,
    };
    let td = extractor.task_definition(&root, resource, SourceFormat::RegisterInput, tags);
    let mut loaded = Loaded {
        notes,
        ..Loaded::default()
    };
    loaded.inventory.task_definitions.push(td);
    Ok(loaded)
}
