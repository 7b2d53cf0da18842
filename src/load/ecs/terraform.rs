//! `terraform show -json` output, plan or state (reference §3.5): `aws_ecs_task_definition` (with
//! its `container_definitions` JSON string), `aws_ecs_service`, `aws_ecs_task_set`,
//! `aws_ecs_cluster`, `aws_ecs_capacity_provider`. A plan is read from `resource_changes`
//! (create/update/no-op; deletions skipped) with `after_unknown` marking values unknown until apply;
//! a state (or a plan without changes) from `values` / `planned_values` and their child modules.
//! Attributes are mapped to the API shape by hand, since Terraform's names are snake_case and its
//! nested blocks are arrays.

use std::collections::HashMap;

use serde_json::Value as J;

use super::extract::Extractor;
use super::tree::{Converter, Doc, Keys, LineIndex, Node, PathStyle, Place, escape};
use super::{Document, EcsLoadError, Loaded};
use crate::findings::ResourceRef;
use crate::model::ecs::{Origin, SourceFormat};

/// One managed resource as Terraform shows it.
struct Resource<'a> {
    address: String,
    kind: String,
    values: &'a J,
    /// `after_unknown` (plans only).
    unknown: Option<&'a J>,
    /// JSON pointer of `values` in the file, for lines.
    pointer: String,
    /// The resource's block in the plan's `configuration` (plans only): which arguments the
    /// configuration sets, and its provider's configuration.
    config: Option<Config<'a>>,
}

/// What a plan's `configuration` says about one resource.
#[derive(Clone, Copy)]
pub(super) struct Config<'a> {
    /// `expressions` of the resource: one member per argument the configuration sets (blocks
    /// written with `dynamic` are not listed, so only arguments are read from it).
    pub(super) expressions: &'a J,
    /// `expressions` of the provider configuration the resource uses.
    provider: Option<&'a J>,
}

/// Optional arguments the AWS provider computes when the configuration leaves them out
/// (`network_mode`, `launch_type`, `platform_version`, an Auto Scaling group provider's
/// `managed_termination_protection`...): unknown in a plan, but left out of the API request, so
/// ECS applies its default (bridge network mode, no launch type, LATEST, DISABLED).
const ARGUMENTS: &[&str] = &[
    "network_mode",
    "pid_mode",
    "ipc_mode",
    "cpu",
    "memory",
    "task_role_arn",
    "execution_role_arn",
    "requires_compatibilities",
    "launch_type",
    "platform_version",
    "task_definition",
    "enable_execute_command",
    "managed_termination_protection",
];

/// A module's managed resources by type and name.
type ByTypeAndName<'a> = HashMap<(&'a str, &'a str), &'a J>;

/// The configuration block of each resource in a plan: `module_address` `module.a[0].module.b` is
/// `configuration.root_module.module_calls.a.module.module_calls.b.module`; found through one
/// index per module by type and name (each change searched its module's whole list: a plan of
/// 30,000 resources did not finish).
pub(super) struct Configs<'a> {
    root: &'a J,
    /// Per module (by address in the document): its managed resources by type and name, the
    /// first of each as the list has it.
    modules: std::cell::RefCell<HashMap<*const J, ByTypeAndName<'a>>>,
}

impl<'a> Configs<'a> {
    pub(super) fn new(root: &'a J) -> Configs<'a> {
        Configs {
            root,
            modules: Default::default(),
        }
    }

    pub(super) fn config(&self, change: &J) -> Option<Config<'a>> {
        let configuration = self.root.get("configuration")?;
        let mut module = configuration.get("root_module")?;
        if let Some(address) = change.get("module_address").and_then(J::as_str) {
            for call in module_calls(address) {
                module = module.get("module_calls")?.get(&call)?.get("module")?;
            }
        }
        let (kind, name) = (change.get("type")?.as_str()?, change.get("name")?.as_str()?);
        let resource = *self
            .modules
            .borrow_mut()
            .entry(module as *const J)
            .or_insert_with(|| {
                let mut index = HashMap::new();
                for resource in module
                    .get("resources")
                    .and_then(J::as_array)
                    .into_iter()
                    .flatten()
                {
                    if resource.get("mode").and_then(J::as_str) != Some("managed") {
                        continue;
                    }
                    if let (Some(kind), Some(name)) = (
                        resource.get("type").and_then(J::as_str),
                        resource.get("name").and_then(J::as_str),
                    ) {
                        index.entry((kind, name)).or_insert(resource);
                    }
                }
                index
            })
            .get(&(kind, name))?;
        let provider = resource
            .get("provider_config_key")
            .and_then(J::as_str)
            .and_then(|key| {
                configuration
                    .get("provider_config")?
                    .get(key)?
                    .get("expressions")
            });
        Some(Config {
            expressions: resource.get("expressions").filter(|e| e.is_object())?,
            provider,
        })
    }
}

/// The module call names in a module address, instance keys dropped:
/// `module.a[0].module.b["x"]` → `["a", "b"]`.
pub(super) fn module_calls(address: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let parts: Vec<&str> = plain.split('.').collect();
    parts
        .windows(2)
        .filter(|pair| pair[0] == "module")
        .map(|pair| pair[1].to_string())
        .collect()
}

/// The managed resources a plan's `resource_changes` creates or keeps (a pure delete is gone after
/// apply): each change's index, the change, and its planned `after` object.
pub(crate) fn planned_resources(root: &J) -> impl Iterator<Item = (usize, &J, &J)> {
    root.get("resource_changes")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, change)| {
            if change.get("mode").and_then(J::as_str).unwrap_or("managed") != "managed" {
                return None;
            }
            let actions: Vec<&str> = change
                .pointer("/change/actions")
                .and_then(J::as_array)
                .map(|a| a.iter().filter_map(J::as_str).collect())
                .unwrap_or_default();
            if actions == ["delete"] {
                return None;
            }
            let after = change.pointer("/change/after").filter(|a| a.is_object())?;
            Some((i, change, after))
        })
}

pub(crate) fn load(
    document: &Document,
    limits: &crate::limits::Limits,
) -> Result<Loaded, EcsLoadError> {
    let mut resources = Vec::new();
    let root = &document.value;
    if root.get("resource_changes").and_then(J::as_array).is_some() {
        let configs = Configs::new(root);
        for (i, change, after) in planned_resources(root) {
            resources.push(Resource {
                address: text(change.get("address")),
                kind: text(change.get("type")),
                values: after,
                unknown: change.pointer("/change/after_unknown"),
                pointer: format!("/resource_changes/{i}/change/after"),
                config: configs.config(change),
            });
        }
    } else {
        for top in ["planned_values", "values"] {
            if let Some(module) = root.get(top).and_then(|v| v.get("root_module")) {
                collect_module(module, &format!("/{top}/root_module"), &mut resources);
                break;
            }
        }
    }

    let mut loaded = Loaded::default();
    // `value-path-bytes` for the converted resources: each value's origin starts with its
    // resource's address, and a `container_definitions` string is a document of its own.
    let paths_left = std::cell::Cell::new(limits.value_path_bytes);
    for resource in &resources {
        let kind = match resource.kind.as_str() {
            "aws_ecs_task_definition" => "AwsEcsTaskDefinition",
            "aws_ecs_service" => "AwsEcsService",
            "aws_ecs_task_set" => "AwsEcsTaskSet",
            "aws_ecs_cluster" => "AwsEcsCluster",
            "aws_ecs_capacity_provider" => "AwsEcsCapacityProvider",
            _ => continue,
        };
        let builder = Builder {
            resource,
            lines: &document.lines,
            paths_left: &paths_left,
            limits,
        };
        builder.charge_paths(&document.file, resource.values)?;
        let reference = ResourceRef {
            file: document.file.clone(),
            kind: kind.into(),
            name: resource.address.clone(),
        };
        let extractor = Extractor {
            style: PathStyle::Terraform,
            keys: Keys::Api,
            // Terraform types its own attributes, and the provider unmarshals
            // container_definitions into the SDK's types, which reject string booleans.
            lenient: false,
            // State stores unset optional strings as "".
            empty_enum_invalid: false,
        };
        let format = SourceFormat::Terraform;
        let inventory = &mut loaded.inventory;
        match resource.kind.as_str() {
            "aws_ecs_task_definition" => {
                let doc = builder.task_definition(&document.file)?;
                let tags = builder.tags();
                let tags = extractor.tags(&super::extract::Slot::Present(&tags));
                inventory
                    .task_definitions
                    .push(extractor.task_definition(&doc, reference, format, tags));
            }
            "aws_ecs_service" => {
                let doc = builder.service();
                inventory
                    .services
                    .push(extractor.service(&doc, reference, format));
            }
            "aws_ecs_task_set" => {
                let doc = builder.object(vec![
                    ("networkConfiguration", builder.network_configuration()),
                    ("tags", builder.tags()),
                ]);
                inventory
                    .task_sets
                    .push(extractor.task_set(&doc, reference, format));
            }
            "aws_ecs_cluster" => {
                let settings = builder.blocks("setting", |i| {
                    builder.object(vec![
                        (
                            "name",
                            builder
                                .scalar(&format!("settings/{i}/name"), &[&"setting", &i, &"name"]),
                        ),
                        (
                            "value",
                            builder.scalar(
                                &format!("settings/{i}/value"),
                                &[&"setting", &i, &"value"],
                            ),
                        ),
                    ])
                });
                let doc = builder.object(vec![("settings", settings), ("tags", builder.tags())]);
                inventory
                    .clusters
                    .push(extractor.cluster(&doc, reference, format));
            }
            _ => {
                let asg = match builder.lookup(&[&"auto_scaling_group_provider", &0usize]) {
                    Lookup::Value(_) => builder.object(vec![(
                        "managedTerminationProtection",
                        builder.scalar(
                            "autoScalingGroupProvider/managedTerminationProtection",
                            &[
                                &"auto_scaling_group_provider",
                                &0usize,
                                &"managed_termination_protection",
                            ],
                        ),
                    )]),
                    Lookup::Unknown => builder.unknown("autoScalingGroupProvider"),
                    Lookup::Missing => builder.null("autoScalingGroupProvider"),
                };
                let doc = builder.object(vec![("autoScalingGroupProvider", asg)]);
                inventory
                    .capacity_providers
                    .push(extractor.capacity_provider(&doc, reference, format));
            }
        }
    }
    loaded.inventory.stack =
        super::stack::terraform(document, limits).map_err(|error| EcsLoadError::Limit {
            file: document.file.clone(),
            error,
        })?;
    if loaded.inventory.task_definitions.is_empty()
        && loaded.inventory.stack == Default::default()
        && loaded.inventory.services.is_empty()
        && loaded.inventory.task_sets.is_empty()
        && loaded.inventory.clusters.is_empty()
        && loaded.inventory.capacity_providers.is_empty()
    {
        return Err(EcsLoadError::Format {
            file: document.file.clone(),
            message: "the Terraform output has no aws_ecs_task_definition, aws_ecs_service, \
                      aws_ecs_task_set, aws_ecs_cluster or aws_ecs_capacity_provider resource"
                .into(),
        });
    }
    Ok(loaded)
}

fn text(value: Option<&J>) -> String {
    value.and_then(J::as_str).unwrap_or_default().to_string()
}

fn collect_module<'a>(module: &'a J, pointer: &str, out: &mut Vec<Resource<'a>>) {
    if let Some(resources) = module.get("resources").and_then(J::as_array) {
        for (i, resource) in resources.iter().enumerate() {
            if resource
                .get("mode")
                .and_then(J::as_str)
                .unwrap_or("managed")
                != "managed"
            {
                continue;
            }
            if let Some(values) = resource.get("values").filter(|v| v.is_object()) {
                out.push(Resource {
                    address: text(resource.get("address")),
                    kind: text(resource.get("type")),
                    values,
                    unknown: None,
                    pointer: format!("{pointer}/resources/{i}/values"),
                    config: None,
                });
            }
        }
    }
    if let Some(children) = module.get("child_modules").and_then(J::as_array) {
        for (i, child) in children.iter().enumerate() {
            collect_module(child, &format!("{pointer}/child_modules/{i}"), out);
        }
    }
}

enum Lookup<'a> {
    Value(&'a J),
    Unknown,
    Missing,
}

/// A path segment: an attribute name or a block index.
trait Segment {
    fn key(&self) -> String;
    fn step<'a>(&self, value: &'a J) -> Option<&'a J>;
}

impl Segment for &str {
    fn key(&self) -> String {
        self.to_string()
    }
    fn step<'a>(&self, value: &'a J) -> Option<&'a J> {
        value.get(*self)
    }
}

impl Segment for usize {
    fn key(&self) -> String {
        self.to_string()
    }
    fn step<'a>(&self, value: &'a J) -> Option<&'a J> {
        value.get(*self)
    }
}

struct Builder<'a> {
    resource: &'a Resource<'a>,
    lines: &'a LineIndex,
    /// `value-path-bytes` left for the file's converted values.
    paths_left: &'a std::cell::Cell<u64>,
    limits: &'a crate::limits::Limits,
}

impl Builder<'_> {
    /// Takes the paths of `values` (each starting with the resource's address) from what is left
    /// of `value-path-bytes`.
    fn charge_paths(&self, file: &str, values: &J) -> Result<(), EcsLoadError> {
        let left = self.paths_left.get();
        let bytes = super::path_bytes(values, self.resource.address.len() as u64 + 1, left);
        match left.checked_sub(bytes) {
            Some(rest) => {
                self.paths_left.set(rest);
                Ok(())
            }
            None => Err(EcsLoadError::Limit {
                file: file.to_string(),
                error: crate::limits::LimitExceeded {
                    limit: "value-path-bytes",
                    max: self.limits.value_path_bytes,
                    what: "the paths to its resources' values (a long address or key above \
                           many values is repeated in each)"
                        .into(),
                },
            }),
        }
    }

    /// Follows `path` through the values and `after_unknown` together. An argument the
    /// provider computes because the configuration leaves it out is missing, not unknown: the
    /// API request leaves it out too ([`ARGUMENTS`]).
    fn lookup(&self, path: &[&dyn Segment]) -> Lookup<'_> {
        match self.lookup_raw(path) {
            Lookup::Unknown if self.unset_argument(path) => Lookup::Missing,
            other => other,
        }
    }

    fn lookup_raw(&self, path: &[&dyn Segment]) -> Lookup<'_> {
        let mut value = Some(self.resource.values);
        let mut unknown = self.resource.unknown;
        for segment in path {
            if unknown == Some(&J::Bool(true)) {
                return Lookup::Unknown;
            }
            value = value.and_then(|v| segment.step(v));
            unknown = unknown.and_then(|u| segment.step(u));
        }
        if unknown == Some(&J::Bool(true)) {
            return Lookup::Unknown;
        }
        match value {
            Some(J::Null) | None => Lookup::Missing,
            Some(value) => Lookup::Value(value),
        }
    }

    /// The plan's configuration is known and does not set this argument: a top-level one, or
    /// one in the first block of a block the configuration writes out (`dynamic` blocks are not
    /// in `expressions`, so a block missing there says nothing).
    fn unset_argument(&self, path: &[&dyn Segment]) -> bool {
        let Some(config) = self.resource.config else {
            return false;
        };
        let keys: Vec<String> = path.iter().map(|s| s.key()).collect();
        let (expressions, name) = match keys.as_slice() {
            [name] => (Some(config.expressions), name),
            [block, index, name] if index == "0" => (
                config
                    .expressions
                    .get(block.as_str())
                    .and_then(|b| b.get(0))
                    .filter(|b| b.is_object()),
                name,
            ),
            _ => (None, &keys[0]),
        };
        ARGUMENTS.contains(&name.as_str()) && expressions.is_some_and(|e| e.get(name).is_none())
    }

    /// `tags_all` is unknown in a plan when neither `tags` nor the provider's `default_tags` give
    /// a tag (the provider leaves it to apply); with no `default_tags` configured it is `tags`.
    fn tags_all_is_tags(&self) -> bool {
        self.resource
            .config
            .and_then(|c| c.provider)
            .is_some_and(|provider| provider.get("default_tags").is_none())
    }

    fn place(&self, api_key: &str, path: &[&dyn Segment]) -> Place {
        let mut source = self.resource.address.clone();
        let mut line_key = self.resource.pointer.clone();
        for segment in path {
            let key = segment.key();
            if key.parse::<usize>().is_ok() {
                source.push_str(&format!("[{key}]"));
            } else {
                source.push('.');
                source.push_str(&key);
            }
            line_key.push('/');
            line_key.push_str(&escape(&key));
        }
        Place {
            api: format!("/{api_key}"),
            source,
            line_key: Some(line_key),
            frozen_line: None,
        }
    }

    fn origin(&self, api_key: &str) -> Origin {
        Origin {
            pointer: format!("/{api_key}"),
            source_path: self.resource.address.clone(),
            line: self.lines.line(&self.resource.pointer),
        }
    }

    fn converter(&self) -> Converter<'_> {
        Converter {
            lines: self.lines,
            style: PathStyle::Terraform,
            keys: Keys::Api,
            intrinsics: false,
            assumed: None,
        }
    }

    /// A value copied as it is (a string, a boolean, a list of strings).
    fn scalar(&self, api_key: &str, path: &[&dyn Segment]) -> Doc {
        let place = self.place(api_key, path);
        match self.lookup(path) {
            Lookup::Value(value) => self.converter().convert(value, &place),
            Lookup::Unknown => Doc {
                node: Node::Unknown("known only after terraform apply".into()),
                origin: place.origin(self.lines),
            },
            Lookup::Missing => Doc {
                node: Node::Null,
                origin: place.origin(self.lines),
            },
        }
    }

    fn unknown(&self, api_key: &str) -> Doc {
        Doc {
            node: Node::Unknown("known only after terraform apply".into()),
            origin: self.origin(api_key),
        }
    }

    fn null(&self, api_key: &str) -> Doc {
        Doc {
            node: Node::Null,
            origin: self.origin(api_key),
        }
    }

    fn object(&self, entries: Vec<(&str, Doc)>) -> Doc {
        Doc::object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            Origin {
                pointer: String::new(),
                source_path: self.resource.address.clone(),
                line: self.lines.line(&self.resource.pointer),
            },
        )
    }

    /// A repeatable block (`volume`, `setting`) as an API array, one object per block.
    fn blocks(&self, name: &str, mut item: impl FnMut(usize) -> Doc) -> Doc {
        match self.lookup(&[&name]) {
            Lookup::Value(J::Array(blocks)) => {
                let place = self.place(name, &[&name]);
                Doc {
                    node: Node::Array((0..blocks.len()).map(&mut item).collect()),
                    origin: place.origin(self.lines),
                }
            }
            Lookup::Unknown => self.unknown(name),
            _ => self.null(name),
        }
    }

    fn task_definition(&self, file: &str) -> Result<Doc, EcsLoadError> {
        let mut entries: Vec<(&str, Doc)> = Vec::new();
        for (api, tf) in [
            ("family", "family"),
            ("revision", "revision"),
            ("networkMode", "network_mode"),
            ("pidMode", "pid_mode"),
            ("ipcMode", "ipc_mode"),
            ("cpu", "cpu"),
            ("memory", "memory"),
            ("taskRoleArn", "task_role_arn"),
            ("executionRoleArn", "execution_role_arn"),
            ("requiresCompatibilities", "requires_compatibilities"),
        ] {
            entries.push((api, self.scalar(api, &[&tf])));
        }
        let os_path: [&dyn Segment; 3] = [&"runtime_platform", &0usize, &"operating_system_family"];
        entries.push((
            "runtimePlatform",
            self.object(vec![(
                "operatingSystemFamily",
                self.scalar("runtimePlatform/operatingSystemFamily", &os_path),
            )]),
        ));
        entries.push(("containerDefinitions", self.container_definitions(file)?));
        entries.push((
            "volumes",
            self.blocks("volume", |i| {
                let efs = match self.lookup(&[&"volume", &i, &"efs_volume_configuration", &0usize])
                {
                    Lookup::Value(_) => self.object(vec![(
                        "transitEncryption",
                        self.scalar(
                            &format!("volumes/{i}/efsVolumeConfiguration/transitEncryption"),
                            &[
                                &"volume",
                                &i,
                                &"efs_volume_configuration",
                                &0usize,
                                &"transit_encryption",
                            ],
                        ),
                    )]),
                    Lookup::Unknown => self.unknown("efsVolumeConfiguration"),
                    Lookup::Missing => self.null("efsVolumeConfiguration"),
                };
                self.object(vec![
                    (
                        "name",
                        self.scalar(&format!("volumes/{i}/name"), &[&"volume", &i, &"name"]),
                    ),
                    (
                        "host",
                        self.object(vec![(
                            "sourcePath",
                            self.scalar(
                                &format!("volumes/{i}/host/sourcePath"),
                                &[&"volume", &i, &"host_path"],
                            ),
                        )]),
                    ),
                    ("efsVolumeConfiguration", efs),
                ])
            }),
        ));
        Ok(self.object(entries))
    }

    /// The `container_definitions` JSON string, parsed; its members' line is the string's line.
    fn container_definitions(&self, file: &str) -> Result<Doc, EcsLoadError> {
        let path: [&dyn Segment; 1] = [&"container_definitions"];
        let mut place = self.place("containerDefinitions", &path);
        match self.lookup(&path) {
            Lookup::Value(J::String(text)) => {
                let parsed: J = serde_json::from_str(text).map_err(|e| EcsLoadError::Format {
                    file: file.to_string(),
                    message: format!(
                        "{}.container_definitions is not valid JSON: {e}",
                        self.resource.address
                    ),
                })?;
                self.charge_paths(file, &parsed)?;
                place.frozen_line = place.origin(self.lines).line;
                place.line_key = None;
                Ok(self.converter().convert(&parsed, &place))
            }
            Lookup::Value(other) => Ok(self.converter().convert(other, &place)),
            Lookup::Unknown => Ok(Doc {
                node: Node::Unknown(
                    "container_definitions is known only after terraform apply".into(),
                ),
                origin: place.origin(self.lines),
            }),
            Lookup::Missing => Ok(Doc {
                node: Node::Null,
                origin: place.origin(self.lines),
            }),
        }
    }

    fn network_configuration(&self) -> Doc {
        let path: [&dyn Segment; 3] = [&"network_configuration", &0usize, &"assign_public_ip"];
        let mut doc = self.scalar(
            "networkConfiguration/awsvpcConfiguration/assignPublicIp",
            &path,
        );
        // Terraform's assign_public_ip is a boolean: true means ENABLED (reference §1.3 ECS.2).
        if let Node::Bool(enabled) = doc.node {
            doc.node = Node::Str(if enabled { "ENABLED" } else { "DISABLED" }.into());
        }
        self.object(vec![(
            "awsvpcConfiguration",
            self.object(vec![("assignPublicIp", doc)]),
        )])
    }

    fn service(&self) -> Doc {
        let mut entries: Vec<(&str, Doc)> = Vec::new();
        for (api, tf) in [
            ("launchType", "launch_type"),
            ("platformVersion", "platform_version"),
            ("capacityProviderStrategy", "capacity_provider_strategy"),
            ("taskDefinition", "task_definition"),
            ("enableExecuteCommand", "enable_execute_command"),
        ] {
            entries.push((api, self.scalar(api, &[&tf])));
        }
        entries.push(("networkConfiguration", self.network_configuration()));
        entries.push(("tags", self.tags()));
        self.object(entries)
    }

    /// `tags_all` (provider `default_tags` included), else `tags`, as API `[{key, value}]`.
    fn tags(&self) -> Doc {
        let attribute = match self.lookup(&[&"tags_all"]) {
            Lookup::Missing => "tags",
            Lookup::Unknown if self.tags_all_is_tags() => "tags",
            _ => "tags_all",
        };
        match self.lookup(&[&attribute]) {
            Lookup::Value(J::Object(map)) => {
                let place = self.place("tags", &[&attribute]);
                let items = map
                    .iter()
                    .enumerate()
                    .map(|(i, (key, value))| {
                        let item = place.child(PathStyle::Terraform, &i.to_string(), key);
                        let origin = item.origin(self.lines);
                        let value_doc = match self.lookup(&[&attribute, &key.as_str()]) {
                            Lookup::Unknown => {
                                Node::Unknown("known only after terraform apply".into())
                            }
                            _ => match value {
                                J::String(s) => Node::Str(s.clone()),
                                _ => Node::Null,
                            },
                        };
                        Doc::object(
                            vec![
                                (
                                    "key".to_string(),
                                    Doc {
                                        node: Node::Str(key.clone()),
                                        origin: origin.clone(),
                                    },
                                ),
                                (
                                    "value".to_string(),
                                    Doc {
                                        node: value_doc,
                                        origin: origin.clone(),
                                    },
                                ),
                            ],
                            origin,
                        )
                    })
                    .collect();
                Doc {
                    node: Node::Array(items),
                    origin: place.origin(self.lines),
                }
            }
            Lookup::Unknown => self.unknown("tags"),
            _ => self.null("tags"),
        }
    }
}
