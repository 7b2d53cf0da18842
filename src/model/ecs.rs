//! Amazon ECS resources as checks see them: task definitions in the API's camelCase shape whatever
//! format they came from (register input, describe output, CloudFormation, Terraform), plus
//! services, task sets, clusters and capacity providers. Every value carries where it came from
//! ([`Origin`]) and may be unknown offline ([`Value::Unknown`]); the input formats themselves live in
//! `load/ecs/`.

use serde::Serialize;

use crate::findings::ResourceRef;

/// Where one value is: in the API shape, in the source document, and on which line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// JSON pointer in the API's camelCase shape: `/containerDefinitions/0/user`.
    pub pointer: String,
    /// The same place in the source document: a JSON pointer into a register/describe file
    /// (`/taskDefinition/containerDefinitions/0/user`), a template path
    /// (`Resources/TaskDef/Properties/ContainerDefinitions/0/User`), or a Terraform address and
    /// attribute (`aws_ecs_task_definition.web: container_definitions[0].user`).
    pub source_path: String,
    /// 1-based line in the source file, when it could be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Origin {
    /// Where this value is, as a finding location in `resource` (its file, name, pointer and
    /// line).
    pub fn location(&self, resource: &ResourceRef) -> crate::findings::Location {
        crate::findings::Location {
            lines: self.line.map(|line| crate::findings::LineSpan {
                start: line,
                end: line,
            }),
            ..crate::findings::Location::task_definition(
                &resource.file,
                &resource.name,
                self.pointer.clone(),
            )
        }
    }
}

/// One value after normalization (reference §1.2): JSON `null` and `""` are [`Value::Absent`],
/// CloudFormation string booleans are booleans, an integer `User` is its string.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<T> {
    Absent,
    Known(T),
    /// Cannot be known offline (CloudFormation `Ref`/`Fn::*`/`!Sub`, Terraform `after_unknown`).
    /// The string says why (`Fn::Sub`, `unknown until apply`).
    Unknown(String),
    /// Present but of the wrong type (`"privileged": "yes"`): ECS would reject it. The string
    /// says what was found.
    Invalid(String),
}

/// A value with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Field<T> {
    pub value: Value<T>,
    pub origin: Origin,
}

/// A list that may itself be absent or unknown.
pub type List<T> = Field<Vec<T>>;

impl<T> Field<T> {
    pub fn new(value: Value<T>, origin: Origin) -> Field<T> {
        Field { value, origin }
    }

    pub fn absent(origin: Origin) -> Field<T> {
        Field {
            value: Value::Absent,
            origin,
        }
    }

    pub fn known(&self) -> Option<&T> {
        match &self.value {
            Value::Known(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.value, Value::Absent)
    }

    /// Why this value cannot be judged (unknown offline or of the wrong type), naming the place
    /// in the source document; `None` when it is known or absent.
    pub fn undecidable(&self) -> Option<String> {
        let place = if self.origin.source_path.is_empty() {
            self.origin.pointer.clone()
        } else {
            self.origin.source_path.clone()
        };
        let line = self
            .origin
            .line
            .map(|l| format!(" (line {l})"))
            .unwrap_or_default();
        match &self.value {
            Value::Unknown(why) => Some(format!("{place}{line} cannot be known offline: {why}")),
            Value::Invalid(why) => Some(format!("{place}{line} is invalid: {why}")),
            _ => None,
        }
    }
}

impl<T> List<T> {
    /// The items when the list is known; an absent list is empty.
    pub fn items(&self) -> &[T] {
        match &self.value {
            Value::Known(items) => items,
            _ => &[],
        }
    }
}

impl Field<String> {
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// Which format a resource came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// `register-task-definition` input (`--cli-input-json|yaml`), the deploy GitHub Action's
    /// task-definition.json, or a bare TaskDefinition object.
    RegisterInput,
    /// `aws ecs describe-task-definition` output.
    DescribeOutput,
    CloudFormation,
    Terraform,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::RegisterInput => "register-input",
            SourceFormat::DescribeOutput => "describe-output",
            SourceFormat::CloudFormation => "cloudformation",
            SourceFormat::Terraform => "terraform",
        }
    }
}

/// Whether the task-definition controls evaluate this revision (reference §1.2: only the latest
/// ACTIVE revision of each family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluation {
    Evaluated,
    /// NOT_APPLICABLE for every task-definition control, with this note.
    NotEvaluated(String),
}

/// A key/value tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub key: Field<String>,
    pub value: Field<String>,
}

/// `environment[]` and `secrets[]` entries (`valueFrom` in `value` for secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct NameValue {
    pub name: Field<String>,
    pub value: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogConfiguration {
    pub log_driver: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub host_path: Field<String>,
    pub container_path: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tmpfs {
    pub container_path: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MountPoint {
    pub source_volume: Field<String>,
    pub container_path: Field<String>,
    pub read_only: Field<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub command: List<Field<String>>,
}

/// `linuxParameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinuxParameters {
    pub capabilities_add: List<Field<String>>,
    pub capabilities_drop: List<Field<String>>,
    pub devices: List<Device>,
    pub tmpfs: List<Tmpfs>,
}

/// One container definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// Position in `containerDefinitions`.
    pub index: usize,
    /// The container definition object itself.
    pub origin: Origin,
    pub name: Field<String>,
    pub image: Field<String>,
    pub user: Field<String>,
    pub privileged: Field<bool>,
    pub readonly_root_filesystem: Field<bool>,
    pub essential: Field<bool>,
    pub cpu: Field<i64>,
    pub memory: Field<i64>,
    pub memory_reservation: Field<i64>,
    pub environment: List<NameValue>,
    pub secrets: List<NameValue>,
    pub log_configuration: Field<LogConfiguration>,
    pub linux_parameters: Field<LinuxParameters>,
    pub mount_points: List<MountPoint>,
    pub health_check: Field<HealthCheck>,
    pub docker_security_options: List<Field<String>>,
    /// `firelensConfiguration.type` (`fluentbit`, `fluentd`): the FireLens log router.
    pub firelens_type: Field<String>,
}

impl Container {
    /// The name for messages: the `name`, or `#index` when it has none.
    pub fn label(&self) -> String {
        match self.name.as_str() {
            Some(name) => name.to_string(),
            None => format!("#{}", self.index),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EfsVolume {
    pub transit_encryption: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub index: usize,
    pub origin: Origin,
    pub name: Field<String>,
    /// `host.sourcePath` (Terraform `host_path`).
    pub host_source_path: Field<String>,
    pub efs: Field<EfsVolume>,
}

/// OS class for ECS.5/20/21 (reference §1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsClass {
    Linux,
    /// Any `operatingSystemFamily` starting with `WINDOWS_SERVER`.
    Windows,
    /// No `runtimePlatform` or no `operatingSystemFamily`: both ECS.20 and ECS.21 run.
    Unset,
    /// Unknown offline, with the reason.
    Unknown(String),
}

/// One task definition (one revision, one template resource, one Terraform resource).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDefinition {
    pub resource: ResourceRef,
    pub format: SourceFormat,
    pub origin: Origin,
    pub family: Field<String>,
    pub revision: Field<i64>,
    pub status: Field<String>,
    pub network_mode: Field<String>,
    pub pid_mode: Field<String>,
    pub ipc_mode: Field<String>,
    pub cpu: Field<String>,
    pub memory: Field<String>,
    pub task_role_arn: Field<String>,
    pub execution_role_arn: Field<String>,
    pub requires_compatibilities: List<Field<String>>,
    pub operating_system_family: Field<String>,
    pub containers: List<Container>,
    pub volumes: List<Volume>,
    /// Absent means no tags. Unknown when describe output lacks `tags` (no `--include TAGS`).
    pub tags: List<Tag>,
    pub evaluation: Evaluation,
    /// Structural problems that would make ECS reject the task definition (a container without a
    /// name): every task-definition control reports INDETERMINATE with them.
    pub problems: Vec<String>,
    /// The task definitions a template can deploy, one per combination of the conditions its
    /// `Fn::If`s name (empty when it names none, or too many): a control this one cannot decide
    /// is decided when every variant gives the same verdict.
    pub variants: Vec<Variant>,
}

/// One task definition a template deploys when its conditions take these values.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Each condition an `Fn::If` names, with the value assumed for it.
    pub assumed: Vec<(String, bool)>,
    pub task_definition: TaskDefinition,
}

impl Variant {
    /// `IsFargate true, UsePublicIp false`.
    pub fn describe(&self) -> String {
        self.assumed
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl TaskDefinition {
    pub fn os_class(&self) -> OsClass {
        match &self.operating_system_family.value {
            Value::Absent => OsClass::Unset,
            Value::Known(family) if family.starts_with("WINDOWS_SERVER") => OsClass::Windows,
            Value::Known(_) => OsClass::Linux,
            _ => OsClass::Unknown(
                self.operating_system_family
                    .undecidable()
                    .unwrap_or_default(),
            ),
        }
    }

    /// `Some(true)` when the task runs on EC2 (or EXTERNAL) only, not Fargate.
    pub fn requires_fargate(&self) -> Option<bool> {
        let list = self.requires_compatibilities.known()?;
        Some(list.iter().any(|c| c.as_str() == Some("FARGATE")))
    }
}

/// `awsvpcConfiguration.assignPublicIp`, normalized to `ENABLED`/`DISABLED` (Terraform's boolean
/// `assign_public_ip = true` is `ENABLED`).
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub resource: ResourceRef,
    pub format: SourceFormat,
    pub origin: Origin,
    pub launch_type: Field<String>,
    /// Whether a capacity provider strategy is given (its length when known).
    pub capacity_provider_strategy: Field<usize>,
    pub platform_version: Field<String>,
    pub platform_family: Field<String>,
    pub assign_public_ip: Field<String>,
    pub task_definition: Field<String>,
    /// Index into [`EcsInventory::task_definitions`] when `task_definition` names one given as input.
    pub task_definition_index: Option<usize>,
    pub enable_execute_command: Field<bool>,
    pub tags: List<Tag>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskSet {
    pub resource: ResourceRef,
    pub format: SourceFormat,
    pub origin: Origin,
    pub assign_public_ip: Field<String>,
    pub tags: List<Tag>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSetting {
    pub name: Field<String>,
    pub value: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub resource: ResourceRef,
    pub format: SourceFormat,
    pub origin: Origin,
    pub settings: List<ClusterSetting>,
    pub tags: List<Tag>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutoScalingGroupProvider {
    pub managed_termination_protection: Field<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapacityProvider {
    pub resource: ResourceRef,
    pub format: SourceFormat,
    pub origin: Origin,
    pub auto_scaling_group_provider: Field<AutoScalingGroupProvider>,
}

/// One `--task-def` input file as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcsInput {
    pub file: String,
    pub format: SourceFormat,
    pub task_definitions: usize,
    pub other_resources: usize,
}

/// Options that change control verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EcsSettings {
    /// `--required-tags`: ECS.13-15 `requiredTagKeys`. Empty: any non-`aws:` tag passes.
    pub required_tag_keys: Vec<String>,
    /// `--evaluate-inactive`: evaluate INACTIVE revisions and every revision, not only the latest
    /// ACTIVE one.
    pub evaluate_inactive: bool,
}

/// Every ECS resource read from the `--task-def` inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EcsInventory {
    pub inputs: Vec<EcsInput>,
    pub task_definitions: Vec<TaskDefinition>,
    pub services: Vec<Service>,
    pub task_sets: Vec<TaskSet>,
    pub clusters: Vec<Cluster>,
    pub capacity_providers: Vec<CapacityProvider>,
    /// Security groups, load balancers, subnets and IAM roles around the services, and the
    /// links between them (CloudFormation and Terraform inputs).
    pub stack: crate::model::stack::Stack,
    pub settings: EcsSettings,
    /// checkov and trivy skip comments (and CloudFormation `Metadata` skips) in the inputs, with
    /// the part of the file each applies to; the policy stage honours them for the equivalent
    /// checks.
    pub peer_skips: Vec<PeerSkip>,
}

/// Whose skip a [`PeerSkip`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerTool {
    /// `#checkov:skip=CKV_AWS_336:reason`, or `Metadata: {checkov: {skip: [{id, comment}]}}`.
    Checkov,
    /// `#trivy:ignore:AVD-AWS-0035` (also `tfsec:`), optionally `:exp:2027-01-01`.
    Trivy,
}

impl PeerTool {
    pub fn as_str(self) -> &'static str {
        match self {
            PeerTool::Checkov => "checkov",
            PeerTool::Trivy => "trivy",
        }
    }
}

/// What a skip applies to, as its tool scopes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipScope {
    /// The whole file (a task-definition file is one resource).
    File,
    /// One CloudFormation resource, by logical ID.
    Resource(String),
    /// Findings whose line falls in one of these spans (trivy: the block starting on the
    /// comment's line or the line after it, with everything nested in it).
    Lines(Vec<crate::findings::LineSpan>),
}

/// One skip written for a peer tool in an ECS input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSkip {
    pub tool: PeerTool,
    pub file: String,
    /// The line it is written on (for a `Metadata` skip, the resource's `Metadata` line, when
    /// known).
    pub line: Option<u32>,
    /// The rule ID as written (a trivy ID may hold `*` wildcards).
    pub id: String,
    pub reason: Option<String>,
    /// trivy's `:exp:YYYY-MM-DD`: the skip applies before that day; `Some(None)` for a date that
    /// does not parse, which trivy reads as already expired.
    pub expires: Option<Option<crate::dates::Date>>,
    pub scope: SkipScope,
}

impl EcsInventory {
    /// The task definitions Security Hub would evaluate (the latest ACTIVE revision of each family,
    /// or all with `--evaluate-inactive`): what cross-source checks should pair with an image.
    pub fn evaluated_task_definitions(&self) -> impl Iterator<Item = &TaskDefinition> {
        self.task_definitions
            .iter()
            .filter(|td| td.evaluation == Evaluation::Evaluated)
    }

    /// The services given as input that run this task definition (by CloudFormation `Ref`, or by
    /// `family`, `family:revision` or ARN).
    pub fn services_running<'a>(
        &'a self,
        task_definition: &'a TaskDefinition,
    ) -> impl Iterator<Item = &'a Service> {
        let index = self
            .task_definitions
            .iter()
            .position(|td| std::ptr::eq(td, task_definition));
        self.services
            .iter()
            .filter(move |s| index.is_some() && s.task_definition_index == index)
    }

    /// `enableExecuteCommand` of the services that run this task definition: `Some(true)` if any
    /// known one enables ECS Exec, `Some(false)` if all known ones disable it (absent is false),
    /// `None` when no service is given or a value is unknown.
    pub fn enable_execute_command(&self, task_definition: &TaskDefinition) -> Option<bool> {
        let mut any = false;
        let mut result = false;
        for service in self.services_running(task_definition) {
            any = true;
            match &service.enable_execute_command.value {
                Value::Known(true) => return Some(true),
                Value::Known(false) | Value::Absent => {}
                _ => result = true,
            }
        }
        (any && !result).then_some(false)
    }
}

impl TaskDefinition {
    /// The container definitions when known (empty when absent, unknown or invalid; see
    /// `containers.value` to tell those apart).
    pub fn container_definitions(&self) -> &[Container] {
        self.containers.items()
    }
}

impl Container {
    /// `linuxParameters.capabilities.add`, normalized (upper case, no `CAP_` prefix); unknown
    /// entries are skipped.
    pub fn added_capabilities(&self) -> Vec<String> {
        self.capability_list(|p| &p.capabilities_add)
    }

    /// `linuxParameters.capabilities.drop`, normalized.
    pub fn dropped_capabilities(&self) -> Vec<String> {
        self.capability_list(|p| &p.capabilities_drop)
    }

    fn capability_list(
        &self,
        pick: impl Fn(&LinuxParameters) -> &List<Field<String>>,
    ) -> Vec<String> {
        self.linux_parameters
            .known()
            .map(|p| {
                pick(p)
                    .items()
                    .iter()
                    .filter_map(|c| c.as_str())
                    .map(|c| {
                        let upper = c.trim().to_ascii_uppercase();
                        upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
