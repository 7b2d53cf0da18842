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

type J = serde_json::Value;

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
        assumed: None,
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
    let mut variant_budget = MAX_VARIANT_VALUES;
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
                let mut task_definition =
                    extractor.task_definition(&root, resource_ref.clone(), format, tags);
                task_definition.variants = variants(properties, &mut variant_budget, |assumed| {
                    let converter = Converter {
                        assumed: Some(assumed),
                        ..converter
                    };
                    let root = converter.convert(properties, &Place::root("", &base, &pointer));
                    let tags = extractor.tags(&extractor.slot(&Slot::Present(&root), "tags"));
                    extractor.task_definition(&root, resource_ref.clone(), format, tags)
                });
                task_definition_ids
                    .insert(logical_id.clone(), loaded.inventory.task_definitions.len());
                loaded.inventory.task_definitions.push(task_definition);
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

/// How many distinct conditions a resource's `Fn::If`s may name for its variants to be read: 4
/// conditions are 16 variants, each a copy of the resource.
const MAX_VARIANT_CONDITIONS: usize = 4;
/// How many JSON values the variants of one template's resources may hold in all: a large
/// resource (or 2,000 made by `Fn::ForEach`) is not copied 16 times each.
const MAX_VARIANT_VALUES: usize = 1_000_000;

/// The task definitions a resource deploys, one per combination of the conditions its `Fn::If`s
/// name (the conditions are taken as independent: a combination the template's `Conditions` rule
/// out only makes a verdict less often decided, never wrong). Empty when there are none or more
/// than [`MAX_VARIANT_CONDITIONS`], or when the copies would take more than what is left of the
/// template's `budget` (starting at [`MAX_VARIANT_VALUES`]).
fn variants(
    properties: &J,
    budget: &mut usize,
    mut read: impl FnMut(&HashMap<String, bool>) -> crate::model::ecs::TaskDefinition,
) -> Vec<crate::model::ecs::Variant> {
    let mut names: Vec<&str> = Vec::new();
    let mut values = 0usize;
    // A stack, not recursion: the properties are as deep as the document.
    let mut pending = vec![properties];
    while let Some(value) = pending.pop() {
        values += 1;
        match value {
            J::Array(items) => pending.extend(items),
            J::Object(map) => {
                if let (1, Some(J::Array(arguments))) = (map.len(), map.get("Fn::If"))
                    && let Some(J::String(name)) = arguments.first()
                    && !names.contains(&name.as_str())
                {
                    if names.len() == MAX_VARIANT_CONDITIONS {
                        return Vec::new();
                    }
                    names.push(name);
                }
                pending.extend(map.values());
            }
            _ => {}
        }
    }
    let copied = values.saturating_mul(1 << names.len());
    if names.is_empty() || copied > *budget {
        return Vec::new();
    }
    *budget -= copied;
    names.sort_unstable();
    (0..1usize << names.len())
        .map(|bits| {
            let assumed: Vec<(String, bool)> = names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.to_string(), bits & (1 << i) == 0))
                .collect();
            let task_definition = read(&assumed.iter().cloned().collect());
            crate::model::ecs::Variant {
                assumed,
                task_definition,
            }
        })
        .collect()
}

/// How many resources `Fn::ForEach` may make in one template, nested loops together (CloudFormation
/// allows 500 resources per template; this bounds a hostile one at four times that).
const MAX_FOR_EACH_RESOURCES: usize = 2_000;
/// How deep `Fn::ForEach` loops may nest (CloudFormation allows 5).
const MAX_FOR_EACH_DEPTH: usize = 5;
/// How many JSON values the copies `Fn::ForEach` makes may hold in all: a large resource copied
/// thousands of times must not take memory the input did not bring.
const MAX_FOR_EACH_VALUES: usize = 2_000_000;

/// Why `Fn::ForEach` loops could not be expanded.
pub(crate) enum ExpandError {
    Limit(crate::limits::LimitExceeded),
    /// A logical id made twice, or made by a loop and written in the template too.
    Duplicate(String),
    /// The loops go past a bound (depth, resources, values): refused rather than read in part.
    Bound(String),
}

/// Expands `Fn::ForEach::Name: [Identifier, [values...], {OutputKey: OutputValue}]` loops in
/// `Resources` (the `AWS::LanguageExtensions` transform) before the resources are read, as
/// CloudFormation does when it processes the transform: one copy of the output per value, with
/// `${Identifier}` and `&{Identifier}` (the value without its non-alphanumeric characters) replaced
/// in the key, and `Ref: Identifier` and `${Identifier}` in strings replaced in the value. A
/// collection that is not a literal list (a `Ref` to a `CommaDelimitedList` parameter) cannot be
/// known offline: the output is then read once, as written, for all the copies it stands for (a
/// privileged container in it is one whatever the list holds), and a note says so.
///
/// The bytes the copies' substituted keys and strings hold count against `resolve-steps`, as an
/// `Fn::Sub`'s output does: a 1 MB value named 200,000 times in one string is 200 GB otherwise
/// (exit 2). A logical id made twice is an error too, as CloudFormation's.
pub(crate) fn expand_for_each(
    document: &mut Document,
    limits: &crate::limits::Limits,
) -> Result<(), ExpandError> {
    let Some(resources) = document
        .value
        .get_mut("Resources")
        .and_then(|r| r.as_object_mut())
    else {
        return Ok(());
    };
    if !resources.keys().any(|k| k.starts_with("Fn::ForEach::")) {
        return Ok(());
    }
    let mut expander = Expander {
        file: &document.file,
        resources: 0,
        values: 0,
        bytes_left: limits.resolve_steps,
        out_of_bytes: false,
        duplicate: None,
        stopped: None,
        notes: Vec::new(),
    };
    let expanded = expander.fragment(std::mem::take(resources), 0);
    if expander.out_of_bytes {
        return Err(ExpandError::Limit(crate::limits::LimitExceeded {
            limit: "resolve-steps",
            max: limits.resolve_steps,
            what: "the bytes its Fn::ForEach loops write into the resources they copy".into(),
        }));
    }
    if let Some(key) = expander.duplicate {
        return Err(ExpandError::Duplicate(key));
    }
    if let Some(why) = expander.stopped {
        return Err(ExpandError::Bound(why));
    }
    *resources = expanded;
    document.notes.extend(expander.notes);
    Ok(())
}

struct Expander<'a> {
    file: &'a str,
    /// Resources and values made so far, all loops together.
    resources: usize,
    values: usize,
    /// Bytes substitution may still write (`resolve-steps`); whether they ran out.
    bytes_left: u64,
    out_of_bytes: bool,
    /// A logical id made twice (the first found).
    duplicate: Option<String>,
    /// Why expansion stopped at a bound (the note), once.
    stopped: Option<String>,
    notes: Vec<String>,
}

impl Expander<'_> {
    /// Adds a resource, keeping the first of two with one logical id: CloudFormation rejects a
    /// template whose loops make a logical id twice or one it already has, and harden says so
    /// (exit 2) rather than read one and drop the other.
    fn add(&mut self, out: &mut serde_json::Map<String, J>, key: String, value: J) {
        if out.contains_key(&key) {
            self.duplicate.get_or_insert(key);
        } else {
            out.insert(key, value);
        }
    }

    fn fragment(
        &mut self,
        fragment: serde_json::Map<String, J>,
        depth: usize,
    ) -> serde_json::Map<String, J> {
        let mut out = serde_json::Map::new();
        for (key, value) in fragment {
            if !key.starts_with("Fn::ForEach::") {
                if depth > 0 {
                    // A resource a loop made.
                    if self.resources >= MAX_FOR_EACH_RESOURCES {
                        self.stopped.get_or_insert_with(|| {
                            format!(
                                "Fn::ForEach loops make more than {MAX_FOR_EACH_RESOURCES} \
                                 resources (CloudFormation allows 500 in a template)"
                            )
                        });
                        break;
                    }
                    self.resources += 1;
                }
                self.add(&mut out, key, value);
                continue;
            }
            if self.stopped.is_some() || self.out_of_bytes {
                continue;
            }
            let file = self.file;
            let not_read = |why: &str| {
                format!(
                    "{file}: Resources/{key}: {why}; the resources this Fn::ForEach loop makes \
                     are not read"
                )
            };
            if depth >= MAX_FOR_EACH_DEPTH {
                self.stopped = Some(format!(
                    "Resources/{key}: Fn::ForEach loops nest deeper than {MAX_FOR_EACH_DEPTH} \
                     (CloudFormation's limit)"
                ));
                continue;
            }
            let (identifier, collection, template) = match value.as_array().map(Vec::as_slice) {
                Some([J::String(identifier), collection, J::Object(template)]) => {
                    (identifier, collection, template)
                }
                _ => {
                    self.notes.push(not_read(
                        "not [identifier, collection, output] as Fn::ForEach takes",
                    ));
                    continue;
                }
            };
            let items = collection.as_array().and_then(|items| {
                items
                    .iter()
                    .map(|item| match item {
                        J::String(s) => Some(s.clone()),
                        J::Number(n) => Some(n.to_string()),
                        J::Bool(b) => Some(b.to_string()),
                        _ => None,
                    })
                    .collect::<Option<Vec<String>>>()
            });
            let Some(items) = items else {
                // A parameter's list (`!Ref Names`, `!FindInMap`): one copy, as written, stands
                // for every value it may hold; `Ref Identifier` in it stays unknown.
                let copy = self.fragment(template.clone(), depth + 1);
                for (key, value) in copy {
                    self.add(&mut out, key, value);
                }
                self.notes.push(format!(
                    "{file}: Resources/{key}: its collection cannot be known offline (a \
                     parameter's list); its output is read once, as written, standing for each \
                     resource the loop makes"
                ));
                continue;
            };
            let before = out.len();
            for item in &items {
                if self.stopped.is_some() || self.out_of_bytes {
                    break;
                }
                if self.values >= MAX_FOR_EACH_VALUES {
                    self.stopped.get_or_insert_with(|| {
                        format!(
                            "the copies Fn::ForEach loops make hold more than \
                             {MAX_FOR_EACH_VALUES} values"
                        )
                    });
                    break;
                }
                let mut substitution = Substitution {
                    plain: format!("${{{identifier}}}"),
                    compact: format!("&{{{identifier}}}"),
                    identifier,
                    item,
                    bare: item.chars().filter(char::is_ascii_alphanumeric).collect(),
                    values: &mut self.values,
                    bytes_left: &mut self.bytes_left,
                };
                let mut copy = serde_json::Map::new();
                for (output_key, output_value) in template {
                    let (Some(output_key), Some(value)) = (
                        substitution.key(output_key),
                        substitution.value(output_value),
                    ) else {
                        self.out_of_bytes = true;
                        break;
                    };
                    copy.insert(output_key, value);
                }
                if self.out_of_bytes {
                    break;
                }
                for (key, value) in self.fragment(copy, depth + 1) {
                    self.add(&mut out, key, value);
                }
            }
            if depth == 0 && out.len() > before {
                let made: Vec<&str> = out.keys().skip(before).map(String::as_str).collect();
                let more = if made.len() > 5 { ", …" } else { "" };
                self.notes.push(format!(
                    "{}: Resources/{key} (AWS::LanguageExtensions) is expanded as \
                     CloudFormation expands it, into {}{more}",
                    self.file,
                    made[..made.len().min(5)].join(", ")
                ));
            }
        }
        out
    }
}

/// One item of a loop being copied into its output: `Ref: identifier` becomes the item, and
/// `${identifier}` in strings and keys the item too (`&{identifier}` in keys its alphanumerics,
/// `bare`: an inner loop's output key may name an outer loop's identifier). `values` counts the
/// values copied; the bytes written by substitution are taken from `bytes_left` (`None` when it
/// runs out).
struct Substitution<'a> {
    identifier: &'a str,
    item: &'a str,
    bare: String,
    plain: String,
    compact: String,
    values: &'a mut usize,
    bytes_left: &'a mut u64,
}

impl Substitution<'_> {
    /// `text` with every `pattern` replaced by `by`, the bytes of the copy charged first (a
    /// long string copied once per item costs its length each time, replaced or not).
    fn replace(&mut self, text: &str, pattern: &str, by: &str) -> Option<String> {
        let count = text.matches(pattern).count() as u64;
        let bytes = (text.len() as u64).saturating_add(count.saturating_mul(by.len() as u64));
        *self.bytes_left = self.bytes_left.checked_sub(bytes)?;
        Some(if count == 0 {
            text.to_string()
        } else {
            text.replace(pattern, by)
        })
    }

    fn key(&mut self, key: &str) -> Option<String> {
        if !key.contains('{') {
            *self.bytes_left = self.bytes_left.checked_sub(key.len() as u64)?;
            return Some(key.to_string());
        }
        let (plain, compact) = (self.plain.clone(), self.compact.clone());
        let key = self.replace(key, &plain, self.item)?;
        let bare = std::mem::take(&mut self.bare);
        let key = self.replace(&key, &compact, &bare);
        self.bare = bare;
        key
    }

    fn value(&mut self, value: &J) -> Option<J> {
        *self.values += 1;
        Some(match value {
            J::Object(map) => {
                if map.len() == 1 && map.get("Ref").and_then(J::as_str) == Some(self.identifier) {
                    *self.bytes_left = self.bytes_left.checked_sub(self.item.len() as u64)?;
                    return Some(J::String(self.item.to_string()));
                }
                let mut out = serde_json::Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(self.key(k)?, self.value(v)?);
                }
                J::Object(out)
            }
            J::Array(items) => J::Array(
                items
                    .iter()
                    .map(|v| self.value(v))
                    .collect::<Option<Vec<J>>>()?,
            ),
            J::String(s) => {
                let plain = self.plain.clone();
                J::String(self.replace(s, &plain, self.item)?)
            }
            other => other.clone(),
        })
    }
}
