//! `aws ecs describe-task-definition` output (and the register-task-definition response, which has
//! the same shape): `{"taskDefinition": {...}, "tags": [...]}` (reference §3.2). `status` and
//! `revision` are kept: they decide which revision is evaluated. `tags` is present only with
//! `--include TAGS`; without it the tags are unknown, not empty.

use super::extract::{Extractor, Slot};
use super::tree::{Converter, Keys, PathStyle, Place};
use super::{Document, EcsLoadError, Loaded};
use crate::findings::ResourceRef;
use crate::model::ecs::{Field, SourceFormat, Value};

pub(crate) fn load(document: &Document) -> Result<Loaded, EcsLoadError> {
    let converter = Converter {
        lines: &document.lines,
        style: PathStyle::Pointer,
        keys: Keys::Api,
        intrinsics: document.yaml,
        assumed: None,
    };
    let extractor = Extractor {
        style: PathStyle::Pointer,
        keys: Keys::Api,
        lenient: false,
        empty_enum_invalid: false,
    };
    let td_value = &document.value["taskDefinition"];
    let root = converter.convert(
        td_value,
        &Place::root("", "/taskDefinition", "/taskDefinition"),
    );
    let tags = match document.value.get("tags") {
        Some(tags) => {
            let doc = converter.convert(tags, &Place::root("/tags", "/tags", "/tags"));
            extractor.tags(&Slot::Present(&doc))
        }
        None => Field::new(
            Value::Unknown(
                "describe-task-definition output has no `tags`: it lists them only with \
                 `--include TAGS`"
                    .into(),
            ),
            crate::model::ecs::Origin {
                pointer: "/tags".into(),
                source_path: "/tags".into(),
                line: None,
            },
        ),
    };
    let at = |key: &str| extractor.slot(&Slot::Present(&root), key);
    let family = extractor.string(&at("family"));
    let revision = extractor.integer(&at("revision"));
    let name = match (family.as_str(), revision.known()) {
        (Some(f), Some(r)) => format!("{f}:{r}"),
        (Some(f), None) => f.to_string(),
        _ => "(no family)".to_string(),
    };
    let resource = ResourceRef {
        file: document.file.clone(),
        kind: "AwsEcsTaskDefinition".into(),
        name,
    };
    let td = extractor.task_definition(&root, resource, SourceFormat::DescribeOutput, tags);
    let mut loaded = Loaded::default();
    loaded.inventory.task_definitions.push(td);
    Ok(loaded)
}
