//! Reads the API-shaped [`Doc`] tree into the typed model, applying the value normalization of
//! the reference (§1.2): `null` and `""` are absent, CloudFormation string booleans are booleans,
//! an integer `User` is its string, intrinsics and Terraform unknowns stay unknown, and wrong types
//! are [`Value::Invalid`] naming the place. Shared by every format's loader.

use super::tree::{Doc, Keys, Node, PathStyle};
use crate::findings::ResourceRef;
use crate::model::ecs::*;

/// A place in the tree that may or may not hold a node.
#[derive(Debug, Clone)]
pub enum Slot<'a> {
    Present(&'a Doc),
    Absent(Origin),
    /// The parent is unknown or not an object: every member inherits that.
    Undecidable(Origin, Value<()>),
}

impl Slot<'_> {
    fn origin(&self) -> &Origin {
        match self {
            Slot::Present(doc) => &doc.origin,
            Slot::Absent(origin) | Slot::Undecidable(origin, _) => origin,
        }
    }
}

/// The conversion rules of one source format.
#[derive(Debug, Clone, Copy)]
pub struct Extractor {
    pub style: PathStyle,
    pub keys: Keys,
    /// CloudFormation (and Terraform attributes) coerce `"true"`/`"false"` to booleans and numbers
    /// to strings; the ECS API itself rejects both.
    pub lenient: bool,
    /// An empty string in an enum field (`PidMode: ""`) is invalid rather than absent: only the
    /// deploy GitHub Action strips `""` before registering (reference §1.2, ECS.3).
    pub empty_enum_invalid: bool,
}

fn undecidable<T>(value: &Value<()>) -> Value<T> {
    match value {
        Value::Unknown(why) => Value::Unknown(why.clone()),
        Value::Invalid(why) => Value::Invalid(why.clone()),
        _ => Value::Absent,
    }
}

impl Extractor {
    /// The API key as the source document spells it, for the path of an absent member.
    fn source_key(&self, api_key: &str) -> String {
        match self.keys {
            Keys::Api => api_key.to_string(),
            Keys::CloudFormation => match api_key {
                "efsVolumeConfiguration" => "EFSVolumeConfiguration".into(),
                "fileSystemId" => "FilesystemId".into(),
                "settings" => "ClusterSettings".into(),
                _ => {
                    let mut chars = api_key.chars();
                    chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect())
                        .unwrap_or_default()
                }
            },
        }
    }

    fn child_origin(&self, parent: &Origin, api_key: &str) -> Origin {
        let source_key = self.source_key(api_key);
        let source_path = match self.style {
            PathStyle::Pointer => format!("{}/{}", parent.source_path, source_key),
            PathStyle::Template => format!("{}/{}", parent.source_path, source_key),
            PathStyle::Terraform => format!("{}.{}", parent.source_path, source_key),
        };
        Origin {
            pointer: format!("{}/{}", parent.pointer, api_key),
            source_path,
            line: parent.line,
        }
    }

    pub fn slot<'a>(&self, parent: &Slot<'a>, key: &str) -> Slot<'a> {
        match parent {
            Slot::Present(doc) => match &doc.node {
                Node::Object(_) => match doc.member(key) {
                    Some(child) => Slot::Present(child),
                    None => Slot::Absent(self.child_origin(&doc.origin, key)),
                },
                Node::Null => Slot::Absent(self.child_origin(&doc.origin, key)),
                Node::Unknown(why) => Slot::Undecidable(
                    self.child_origin(&doc.origin, key),
                    Value::Unknown(why.clone()),
                ),
                _ => Slot::Undecidable(
                    self.child_origin(&doc.origin, key),
                    Value::Invalid(format!(
                        "its parent {} is {}, expected an object",
                        place(&doc.origin),
                        doc.type_name()
                    )),
                ),
            },
            Slot::Absent(origin) => Slot::Absent(self.child_origin(origin, key)),
            Slot::Undecidable(origin, value) => {
                Slot::Undecidable(self.child_origin(origin, key), value.clone())
            }
        }
    }

    /// Follows several keys: `["runtimePlatform", "operatingSystemFamily"]`.
    pub fn path<'a>(&self, doc: &'a Doc, keys: &[&str]) -> Slot<'a> {
        keys.iter()
            .fold(Slot::Present(doc), |slot, key| self.slot(&slot, key))
    }

    fn convert<T>(
        &self,
        slot: &Slot<'_>,
        expected: &str,
        read: impl FnOnce(&Doc) -> Option<Value<T>>,
    ) -> Field<T> {
        let origin = slot.origin().clone();
        let value = match slot {
            Slot::Absent(_) => Value::Absent,
            Slot::Undecidable(_, value) => undecidable(value),
            Slot::Present(doc) => match &doc.node {
                Node::Null => Value::Absent,
                Node::Unknown(why) => Value::Unknown(why.clone()),
                _ => read(doc).unwrap_or_else(|| {
                    Value::Invalid(format!("{}, expected {expected}", doc.type_name()))
                }),
            },
        };
        Field::new(value, origin)
    }

    /// A string; `""` is absent.
    pub fn string(&self, slot: &Slot<'_>) -> Field<String> {
        self.convert(slot, "a string", |doc| match &doc.node {
            Node::Str(s) if s.is_empty() => Some(Value::Absent),
            Node::Str(s) => Some(Value::Known(s.clone())),
            Node::Int(i) if self.lenient => Some(Value::Known(i.to_string())),
            Node::Float(f) if self.lenient => Some(Value::Known(f.to_string())),
            Node::Bool(b) if self.lenient => Some(Value::Known(b.to_string())),
            _ => None,
        })
    }

    /// An enum string (`pidMode`, `networkMode`): like [`Extractor::string`], but `""` is invalid
    /// where the format hands it to the API unchanged.
    pub fn enumeration(&self, slot: &Slot<'_>) -> Field<String> {
        let field = self.string(slot);
        if self.empty_enum_invalid
            && field.is_absent()
            && let Slot::Present(doc) = slot
            && doc.node == Node::Str(String::new())
        {
            return Field::new(
                Value::Invalid("an empty string, which the ECS API rejects".into()),
                field.origin,
            );
        }
        field
    }

    /// `user`: a string; an integer (CloudFormation YAML `User: 0`) is its string form, as AWS's
    /// Guard rules read it (reference §1.2).
    pub fn user(&self, slot: &Slot<'_>) -> Field<String> {
        self.convert(slot, "a string", |doc| match &doc.node {
            Node::Str(s) if s.is_empty() => Some(Value::Absent),
            Node::Str(s) => Some(Value::Known(s.clone())),
            Node::Int(i) if self.lenient => Some(Value::Known(i.to_string())),
            _ => None,
        })
    }

    pub fn boolean(&self, slot: &Slot<'_>) -> Field<bool> {
        self.convert(slot, "a boolean", |doc| match &doc.node {
            Node::Bool(b) => Some(Value::Known(*b)),
            Node::Str(s) if self.lenient && s.eq_ignore_ascii_case("true") => {
                Some(Value::Known(true))
            }
            Node::Str(s) if self.lenient && s.eq_ignore_ascii_case("false") => {
                Some(Value::Known(false))
            }
            _ => None,
        })
    }

    pub fn integer(&self, slot: &Slot<'_>) -> Field<i64> {
        self.convert(slot, "an integer", |doc| match &doc.node {
            Node::Int(i) => Some(Value::Known(*i)),
            Node::Str(s) if self.lenient => s.trim().parse().ok().map(Value::Known),
            _ => None,
        })
    }

    pub fn object<T>(&self, slot: &Slot<'_>, read: impl FnOnce(&Doc) -> T) -> Field<T> {
        self.convert(slot, "an object", |doc| match &doc.node {
            Node::Object(_) => Some(Value::Known(read(doc))),
            _ => None,
        })
    }

    pub fn list<T>(&self, slot: &Slot<'_>, mut read: impl FnMut(&Doc, usize) -> T) -> List<T> {
        self.convert(slot, "an array", |doc| match &doc.node {
            Node::Array(items) => Some(Value::Known(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| read(item, i))
                    .collect(),
            )),
            _ => None,
        })
    }

    pub fn strings(&self, slot: &Slot<'_>) -> List<Field<String>> {
        self.list(slot, |item, _| self.string(&Slot::Present(item)))
    }

    fn name_values(&self, slot: &Slot<'_>, value_key: &str) -> List<NameValue> {
        self.list(slot, |item, _| {
            let item = Slot::Present(item);
            NameValue {
                name: self.string(&self.slot(&item, "name")),
                value: self.string(&self.slot(&item, value_key)),
            }
        })
    }

    pub fn tags(&self, slot: &Slot<'_>) -> List<Tag> {
        self.list(slot, |item, _| {
            let item = Slot::Present(item);
            Tag {
                key: self.string(&self.slot(&item, "key")),
                value: self.string(&self.slot(&item, "value")),
            }
        })
    }

    pub fn container(&self, doc: &Doc, index: usize) -> Container {
        let c = Slot::Present(doc);
        let at = |key: &str| self.slot(&c, key);
        Container {
            index,
            origin: doc.origin.clone(),
            name: self.string(&at("name")),
            image: self.string(&at("image")),
            user: self.user(&at("user")),
            privileged: self.boolean(&at("privileged")),
            readonly_root_filesystem: self.boolean(&at("readonlyRootFilesystem")),
            essential: self.boolean(&at("essential")),
            cpu: self.integer(&at("cpu")),
            memory: self.integer(&at("memory")),
            memory_reservation: self.integer(&at("memoryReservation")),
            environment: self.name_values(&at("environment"), "value"),
            secrets: self.name_values(&at("secrets"), "valueFrom"),
            log_configuration: self.object(&at("logConfiguration"), |log| {
                let driver = self.string(&self.slot(&Slot::Present(log), "logDriver"));
                // CT.ECS.PR.5 treats a whitespace-only driver as missing [AWS-GUARD].
                let driver = match driver.value {
                    Value::Known(ref d) if d.trim().is_empty() => Field::absent(driver.origin),
                    _ => driver,
                };
                LogConfiguration { log_driver: driver }
            }),
            linux_parameters: self.object(&at("linuxParameters"), |lp| {
                let lp = Slot::Present(lp);
                let capabilities = self.slot(&lp, "capabilities");
                LinuxParameters {
                    capabilities_add: self.strings(&self.slot(&capabilities, "add")),
                    capabilities_drop: self.strings(&self.slot(&capabilities, "drop")),
                    devices: self.list(&self.slot(&lp, "devices"), |d, _| {
                        let d = Slot::Present(d);
                        Device {
                            host_path: self.string(&self.slot(&d, "hostPath")),
                            container_path: self.string(&self.slot(&d, "containerPath")),
                        }
                    }),
                    tmpfs: self.list(&self.slot(&lp, "tmpfs"), |t, _| Tmpfs {
                        container_path: self.string(&self.slot(&Slot::Present(t), "containerPath")),
                    }),
                }
            }),
            mount_points: self.list(&at("mountPoints"), |m, _| {
                let m = Slot::Present(m);
                MountPoint {
                    source_volume: self.string(&self.slot(&m, "sourceVolume")),
                    container_path: self.string(&self.slot(&m, "containerPath")),
                    read_only: self.boolean(&self.slot(&m, "readOnly")),
                }
            }),
            health_check: self.object(&at("healthCheck"), |h| HealthCheck {
                command: self.strings(&self.slot(&Slot::Present(h), "command")),
            }),
            docker_security_options: self.strings(&at("dockerSecurityOptions")),
            firelens_type: self.string(&self.path(doc, &["firelensConfiguration", "type"])),
        }
    }

    /// A task definition object in the API shape (`tags` read by the caller when they live
    /// outside it, as in describe output).
    pub fn task_definition(
        &self,
        doc: &Doc,
        resource: ResourceRef,
        format: SourceFormat,
        tags: List<Tag>,
    ) -> TaskDefinition {
        let td = Slot::Present(doc);
        let at = |key: &str| self.slot(&td, key);
        let containers = self.list(&at("containerDefinitions"), |c, i| self.container(c, i));
        let mut problems = Vec::new();
        for container in containers.items() {
            if container.name.is_absent() {
                problems.push(format!(
                    "container definition {} has no name, which ECS requires",
                    place(&container.origin)
                ));
            }
        }
        TaskDefinition {
            resource,
            format,
            origin: doc.origin.clone(),
            family: self.string(&at("family")),
            revision: self.integer(&at("revision")),
            status: self.string(&at("status")),
            network_mode: self.enumeration(&at("networkMode")),
            pid_mode: self.enumeration(&at("pidMode")),
            ipc_mode: self.enumeration(&at("ipcMode")),
            cpu: self.string(&at("cpu")),
            memory: self.string(&at("memory")),
            task_role_arn: self.string(&at("taskRoleArn")),
            execution_role_arn: self.string(&at("executionRoleArn")),
            requires_compatibilities: self.strings(&at("requiresCompatibilities")),
            operating_system_family: self
                .enumeration(&self.path(doc, &["runtimePlatform", "operatingSystemFamily"])),
            containers,
            volumes: self.list(&at("volumes"), |v, index| {
                let slot = Slot::Present(v);
                Volume {
                    index,
                    origin: v.origin.clone(),
                    name: self.string(&self.slot(&slot, "name")),
                    host_source_path: self.string(&self.path(v, &["host", "sourcePath"])),
                    efs: self.object(&self.slot(&slot, "efsVolumeConfiguration"), |efs| {
                        EfsVolume {
                            transit_encryption: self
                                .enumeration(&self.slot(&Slot::Present(efs), "transitEncryption")),
                        }
                    }),
                }
            }),
            tags,
            evaluation: Evaluation::Evaluated,
            problems,
            variants: Vec::new(),
        }
    }

    pub fn service(&self, doc: &Doc, resource: ResourceRef, format: SourceFormat) -> Service {
        let s = Slot::Present(doc);
        let at = |key: &str| self.slot(&s, key);
        let strategy = self.list(&at("capacityProviderStrategy"), |_, _| ());
        Service {
            resource,
            format,
            origin: doc.origin.clone(),
            launch_type: self.enumeration(&at("launchType")),
            capacity_provider_strategy: Field::new(
                match strategy.value {
                    Value::Known(items) if items.is_empty() => Value::Absent,
                    Value::Known(items) => Value::Known(items.len()),
                    Value::Absent => Value::Absent,
                    Value::Unknown(why) => Value::Unknown(why),
                    Value::Invalid(why) => Value::Invalid(why),
                },
                strategy.origin,
            ),
            platform_version: self.string(&at("platformVersion")),
            platform_family: self.string(&at("platformFamily")),
            assign_public_ip: self.enumeration(&self.path(
                doc,
                &[
                    "networkConfiguration",
                    "awsvpcConfiguration",
                    "assignPublicIp",
                ],
            )),
            task_definition: self.string(&at("taskDefinition")),
            task_definition_index: None,
            enable_execute_command: self.boolean(&at("enableExecuteCommand")),
            tags: self.tags(&at("tags")),
        }
    }

    pub fn task_set(&self, doc: &Doc, resource: ResourceRef, format: SourceFormat) -> TaskSet {
        TaskSet {
            resource,
            format,
            origin: doc.origin.clone(),
            assign_public_ip: self.enumeration(&self.path(
                doc,
                &[
                    "networkConfiguration",
                    "awsvpcConfiguration",
                    "assignPublicIp",
                ],
            )),
            tags: self.tags(&self.slot(&Slot::Present(doc), "tags")),
        }
    }

    pub fn cluster(&self, doc: &Doc, resource: ResourceRef, format: SourceFormat) -> Cluster {
        let s = Slot::Present(doc);
        Cluster {
            resource,
            format,
            origin: doc.origin.clone(),
            settings: self.list(&self.slot(&s, "settings"), |item, _| {
                let item = Slot::Present(item);
                ClusterSetting {
                    name: self.string(&self.slot(&item, "name")),
                    value: self.string(&self.slot(&item, "value")),
                }
            }),
            tags: self.tags(&self.slot(&s, "tags")),
        }
    }

    pub fn capacity_provider(
        &self,
        doc: &Doc,
        resource: ResourceRef,
        format: SourceFormat,
    ) -> CapacityProvider {
        CapacityProvider {
            resource,
            format,
            origin: doc.origin.clone(),
            auto_scaling_group_provider: self.object(
                &self.slot(&Slot::Present(doc), "autoScalingGroupProvider"),
                |asg| AutoScalingGroupProvider {
                    managed_termination_protection: self.enumeration(
                        &self.slot(&Slot::Present(asg), "managedTerminationProtection"),
                    ),
                },
            ),
        }
    }
}

/// The source path of an origin (its API pointer when it has none), with its line.
pub fn place(origin: &Origin) -> String {
    let path = if origin.source_path.is_empty() {
        &origin.pointer
    } else {
        &origin.source_path
    };
    match origin.line {
        Some(line) => format!("{path} (line {line})"),
        None => path.clone(),
    }
}
