//! Fixes in task definitions: the value each ECS/TD/XC finding calls for, written as minimal text
//! edits into the file the finding came from (register input, describe output, CloudFormation
//! JSON), keeping everything else byte-identical. Terraform plans and YAML are not edited: the
//! change is described instead.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::json_text::{JsonEditor, JsonText};
use super::yaml_text::{YamlEditor, YamlText};
use super::{FixOptions, Outcome, Sources};
use crate::checks::cross::support::find_program;
use crate::checks::cross::xc004_readonly_rootfs_mismatch::paths_to_mount;
use crate::findings::{Applicability, Finding, Fix};
use crate::join::Joined;
use crate::model::ecs::{Container, Origin, SourceFormat, TaskDefinition};
use crate::model::image::Image;
use crate::model::users::parse_passwd;

/// The task definitions of a scan by file and resource name (the first of each), built once: each
/// finding looked its task definition up in the whole list, which made `fix` quadratic.
pub struct TaskDefinitions<'j> {
    by_place: HashMap<(&'j str, &'j str), &'j TaskDefinition>,
}

impl<'j> TaskDefinitions<'j> {
    pub fn new(joined: &Joined<'j>) -> TaskDefinitions<'j> {
        let mut by_place = HashMap::new();
        for td in joined
            .ecs
            .map(|e| e.task_definitions.as_slice())
            .unwrap_or_default()
        {
            by_place
                .entry((td.resource.file.as_str(), td.resource.name.as_str()))
                .or_insert(td);
        }
        TaskDefinitions { by_place }
    }
}

/// The task-definition files, indexed once each.
pub struct Documents<'s> {
    sources: &'s Sources,
    max_depth: usize,
    parsed: HashMap<String, Option<Document<'s>>>,
}

/// One indexed task-definition file.
enum Document<'s> {
    Json(JsonText<'s>),
    Yaml(YamlText<'s>),
}

impl<'s> Documents<'s> {
    pub fn new(sources: &'s Sources, max_depth: usize) -> Documents<'s> {
        Documents {
            sources,
            max_depth,
            parsed: HashMap::new(),
        }
    }

    fn get(&mut self, file: &str) -> Option<&Document<'s>> {
        let sources = self.sources;
        let max_depth = self.max_depth;
        self.parsed
            .entry(file.to_string())
            .or_insert_with(|| {
                let text = sources.texts.get(file)?;
                if text.trim_start().starts_with('{') {
                    JsonText::parse(text, max_depth).ok().map(Document::Json)
                } else {
                    Some(Document::Yaml(YamlText::parse(text)))
                }
            })
            .as_ref()
    }
}

/// One change to make, by pointer into the source document.
enum Op {
    Set(String, Value),
    Remove(String),
    Append(String, Value),
}

struct Plan {
    applicability: Applicability,
    description: String,
    ops: Vec<Op>,
}

/// The fix of one task-definition finding.
pub fn fix(
    joined: &Joined,
    task_definitions: &TaskDefinitions,
    finding: &Finding,
    documents: &mut Documents,
    options: &FixOptions,
) -> Outcome {
    if joined.ecs.is_none() {
        return Outcome::NotFixable;
    }
    let location = &finding.location;
    let (Some(file), Some(resource), Some(pointer)) = (
        location.file.as_deref(),
        location.resource.as_deref(),
        location.pointer.as_deref(),
    ) else {
        return Outcome::NotFixable;
    };
    let Some(&td) = task_definitions.by_place.get(&(file, resource)) else {
        return Outcome::NotFixable;
    };
    let container = container_index(pointer).and_then(|i| td.containers.items().get(i));
    let writer = Writer { td };
    let plan = match (finding.id, container) {
        ("ECS.20" | "ECS.1" | "XC001" | "XC008", Some(container)) => {
            user_plan(joined, &writer, container)
        }
        ("ECS.4", Some(container)) if container.privileged.known() == Some(&true) => {
            Ok(Plan {
                applicability: Applicability::Safe,
                description: "remove \"privileged\": true".into(),
                ops: vec![Op::Remove(writer.pointer(&container.privileged.origin))],
            })
        }
        ("ECS.3", _) if td.pid_mode.as_str() == Some("host") => Ok(Plan {
            applicability: Applicability::Safe,
            description: "remove \"pidMode\": \"host\" (the task gets its own PID namespace)"
                .into(),
            ops: vec![Op::Remove(writer.pointer(&td.pid_mode.origin))],
        }),
        ("TD005", _) if td.ipc_mode.as_str() == Some("host") => Ok(Plan {
            applicability: Applicability::Safe,
            description: "remove \"ipcMode\": \"host\"".into(),
            ops: vec![Op::Remove(writer.pointer(&td.ipc_mode.origin))],
        }),
        ("ECS.17", _) if td.network_mode.as_str() == Some("host") => Ok(Plan {
            applicability: Applicability::Review,
            description: "\"networkMode\": \"awsvpc\" instead of host (review: each task gets its own ENI; port mappings and security groups change meaning)".into(),
            ops: vec![Op::Set(
                writer.pointer(&td.network_mode.origin),
                json!("awsvpc"),
            )],
        }),
        ("ECS.5" | "XC004", Some(container)) => readonly_plan(joined, &writer, container),
        ("TD002", Some(container)) => Ok(Plan {
            applicability: Applicability::Review,
            description: "drop every capability: \"linuxParameters\": {\"capabilities\": {\"drop\": [\"ALL\"]}} (review: add back only what the program needs)".into(),
            ops: vec![Op::Set(
                writer.child(&container.origin, &["linuxParameters", "capabilities", "drop"]),
                json!(["ALL"]),
            )],
        }),
        ("TD001", Some(_)) if pointer.contains("/capabilities/add/") => {
            let capability = finding.evidence.get("capability").cloned().unwrap_or_default();
            let origin = Origin {
                pointer: pointer.to_string(),
                source_path: source_path_of(td, pointer).unwrap_or_default(),
                line: None,
            };
            Ok(Plan {
                applicability: Applicability::Review,
                description: format!(
                    "remove {capability} from linuxParameters.capabilities.add (review: the program may need it)"
                ),
                ops: vec![Op::Remove(writer.pointer(&origin))],
            })
        }
        ("XC003", Some(container)) => healthcheck_plan(joined, &writer, container),
        ("XC005", Some(container)) => match finding.evidence.get("pinned_reference") {
            Some(pinned) => Ok(Plan {
                applicability: Applicability::Safe,
                description: format!("pin the scanned image: \"image\": \"{pinned}\""),
                ops: vec![Op::Set(writer.pointer(&container.image.origin), json!(pinned))],
            }),
            None => return Outcome::NotFixable,
        },
        ("ECS.9", Some(container)) => log_plan(&writer, container, options),
        ("ECS.8" | "TD007", Some(container)) => secrets_plan(&writer, container, pointer, options),
        _ => return Outcome::NotFixable,
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(missing) => return Outcome::Missing(missing),
    };
    match td.format {
        SourceFormat::Terraform => {
            return Outcome::Missing(terraform_suggestion(td, pointer, &plan));
        }
        SourceFormat::CloudFormation
        | SourceFormat::RegisterInput
        | SourceFormat::DescribeOutput => {}
    }
    let Some(document) = documents.get(file) else {
        return Outcome::Missing(format!(
            "{file} could not be read again; make the change by hand: {}",
            plan.description
        ));
    };
    let declined = || {
        Outcome::Missing(format!(
            "the edit does not fit the document's layout; make the change by hand: {}",
            plan.description
        ))
    };
    let edits = match document {
        Document::Json(document) => {
            let mut editor = JsonEditor::new(document, file);
            for op in &plan.ops {
                let done = match op {
                    Op::Set(pointer, value) => editor.set(pointer, writer.value(value)),
                    Op::Remove(pointer) => editor.remove(pointer),
                    Op::Append(pointer, value) => editor.append(pointer, writer.value(value)),
                };
                if done.is_none() {
                    return declined();
                }
            }
            editor.finish()
        }
        Document::Yaml(document) => {
            let mut editor = YamlEditor::new(document, file);
            for op in &plan.ops {
                let done = match op {
                    Op::Set(pointer, value) => editor.set(pointer, writer.value(value)),
                    Op::Remove(pointer) => editor.remove(pointer),
                    Op::Append(pointer, value) => editor.append(pointer, writer.value(value)),
                };
                if done.is_none() {
                    return declined();
                }
            }
            editor.finish()
        }
    };
    if edits.is_empty() {
        return Outcome::NotFixable;
    }
    Outcome::Fixed(Fix {
        applicability: plan.applicability,
        description: plan.description,
        edits,
    })
}

/// The change to make in the Terraform configuration (a plan is never edited): inside the
/// `container_definitions` JSON for a container's field, else the resource's snake_case argument.
fn terraform_suggestion(td: &TaskDefinition, pointer: &str, plan: &Plan) -> String {
    let resource = &td.resource.name;
    let change = match container_index(pointer) {
        Some(index) => format!(
            "in container_definitions[{index}] (the jsonencode'd list): {}",
            plan.description
        ),
        None => {
            let key = pointer.rsplit('/').next().unwrap_or_default();
            let mut argument = String::new();
            for c in key.chars() {
                if c.is_ascii_uppercase() {
                    argument.push('_');
                }
                argument.push(c.to_ascii_lowercase());
            }
            let hcl: Vec<String> = plan
                .ops
                .iter()
                .map(|op| match op {
                    Op::Set(_, value) => format!("{argument} = {value}"),
                    Op::Remove(_) => format!("remove {argument}"),
                    Op::Append(_, value) => format!("add {value} to {argument}"),
                })
                .collect();
            format!("{} ({})", hcl.join("; "), plan.description)
        }
    };
    let line = td
        .origin
        .line
        .map(|line| format!(" (line {line})"))
        .unwrap_or_default();
    if crate::load::ecs::is_terraform_configuration(&td.resource.file) {
        format!("Terraform files are not edited; in {resource}{line}, {change}")
    } else {
        format!("Terraform plans are not edited; in the configuration of {resource}, {change}")
    }
}

/// `/containerDefinitions/3/...` → 3.
fn container_index(pointer: &str) -> Option<usize> {
    pointer
        .strip_prefix("/containerDefinitions/")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// The source path of an API pointer inside `td`, through the container's origin.
fn source_path_of(td: &TaskDefinition, api_pointer: &str) -> Option<String> {
    let index = container_index(api_pointer)?;
    let container = td.containers.items().get(index)?;
    let rest = api_pointer.strip_prefix(&container.origin.pointer)?;
    let writer = Writer { td };
    let mut path = container.origin.source_path.clone();
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        path.push_str(&writer.key(segment));
    }
    Some(path)
}

/// Writes pointers and values in the source document's spelling.
struct Writer<'a> {
    td: &'a TaskDefinition,
}

impl Writer<'_> {
    fn cloudformation(&self) -> bool {
        self.td.format == SourceFormat::CloudFormation
    }

    /// A key as the document spells it (CloudFormation's PascalCase).
    fn key(&self, api_key: &str) -> String {
        if !self.cloudformation() || api_key.parse::<usize>().is_ok() {
            return api_key.to_string();
        }
        let mut chars = api_key.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    /// The JSON pointer into the source text of a value's origin.
    fn pointer(&self, origin: &Origin) -> String {
        if self.cloudformation() {
            let segments: Vec<String> = origin
                .source_path
                .split('/')
                .map(|s| s.replace('~', "~0"))
                .collect();
            format!("/{}", segments.join("/"))
        } else {
            origin.source_path.clone()
        }
    }

    /// The pointer of `keys` (API spelling) below an origin.
    fn child(&self, origin: &Origin, keys: &[&str]) -> String {
        let mut pointer = self.pointer(origin);
        for key in keys {
            pointer.push('/');
            pointer.push_str(&self.key(key).replace('~', "~0").replace('/', "~1"));
        }
        pointer
    }

    /// A value in the document's spelling: CloudFormation's keys are PascalCase, except the
    /// user-chosen keys of `options` maps.
    fn value(&self, value: &Value) -> Value {
        if !self.cloudformation() {
            return value.clone();
        }
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| {
                        let item = if key == "options" {
                            item.clone()
                        } else {
                            self.value(item)
                        };
                        (self.key(key), item)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            other => other.clone(),
        }
    }
}

fn paired_image<'a>(joined: &Joined<'a>, container: &Container) -> Option<&'a Image> {
    let image = joined.image?;
    joined
        .pairs
        .iter()
        .any(|pair| std::ptr::eq(pair.container, container))
        .then_some(image)
}

/// The non-root `uid:gid` the container should run as, whether a person should review it, and why.
fn chosen_user(image: &Image) -> (String, Applicability, String) {
    let spec = image.config_user();
    if !spec.is_empty()
        && let Ok(resolved) = image.resolve_user(spec)
        && !resolved.is_root()
    {
        return (
            resolved.uid_gid(),
            Applicability::Safe,
            format!("the image's own USER {spec:?}"),
        );
    }
    let passwd = image
        .filesystem
        .content("/etc/passwd")
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    if let Some(user) = parse_passwd(&passwd)
        .into_iter()
        .find(|u| (1000..65534).contains(&u.uid))
    {
        return (
            format!("{}:{}", user.uid, user.gid),
            Applicability::Review,
            format!(
                "the image runs as root; {} is its first regular user (review: it must be able to read and write what the program uses)",
                user.name
            ),
        );
    }
    (
        "65534:65534".into(),
        Applicability::Review,
        "the image has no non-root user; 65534 is the conventional nobody (review: the program must not need to own files)".into(),
    )
}

fn user_plan(joined: &Joined, writer: &Writer, container: &Container) -> Result<Plan, String> {
    let Some(image) = paired_image(joined, container) else {
        return Err(format!(
            "scan with the image container {} runs, so harden can take its non-root user for \"user\"",
            container.label()
        ));
    };
    let (user, applicability, why) = chosen_user(image);
    Ok(Plan {
        applicability,
        description: format!("\"user\": \"{user}\", {why}"),
        ops: vec![Op::Set(
            writer.child(&container.origin, &["user"]),
            json!(user),
        )],
    })
}

/// A volume name for a container path: `/var/cache/nginx` → `harden-var-cache-nginx`.
fn volume_name(path: &str) -> String {
    let mut name = String::from("harden");
    for c in path.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-').to_string();
    name.chars().take(255).collect()
}

fn readonly_plan(joined: &Joined, writer: &Writer, container: &Container) -> Result<Plan, String> {
    let mut ops = vec![Op::Set(
        writer.child(&container.origin, &["readonlyRootFilesystem"]),
        json!(true),
    )];
    let mut mounted: Vec<String> = Vec::new();
    if let Some(image) = paired_image(joined, container) {
        // The uid after the user fix, which is what the container will run as.
        let uid = match container.user.known() {
            Some(user) => image.resolve_user(user).map(|r| r.uid).unwrap_or(0),
            None => chosen_user(image)
                .0
                .split(':')
                .next()
                .and_then(|uid| uid.parse().ok())
                .unwrap_or(0),
        };
        let existing: Vec<&str> = container
            .mount_points
            .items()
            .iter()
            .filter_map(|m| m.container_path.as_str())
            .collect();
        let volumes: Vec<&str> = writer
            .td
            .volumes
            .items()
            .iter()
            .filter_map(|v| v.name.as_str())
            .collect();
        for path in paths_to_mount(image, uid) {
            if existing.contains(&path.as_str()) {
                continue;
            }
            let name = volume_name(&path);
            if !volumes.contains(&name.as_str()) {
                ops.push(Op::Append(
                    writer.child(&writer.td.origin, &["volumes"]),
                    json!({ "name": name }),
                ));
            }
            ops.push(Op::Append(
                writer.child(&container.origin, &["mountPoints"]),
                json!({ "sourceVolume": name, "containerPath": path, "readOnly": false }),
            ));
            mounted.push(path);
        }
    }
    let mounts = if mounted.is_empty() {
        String::new()
    } else {
        format!(" and a volume mounted at {}", mounted.join(", "))
    };
    Ok(Plan {
        applicability: Applicability::Review,
        description: format!(
            "\"readonlyRootFilesystem\": true{mounts} (review: other paths the program writes need a mount too)"
        ),
        ops,
    })
}

fn healthcheck_plan(
    joined: &Joined,
    writer: &Writer,
    container: &Container,
) -> Result<Plan, String> {
    let Some(image) = paired_image(joined, container) else {
        return Err("no paired image".into());
    };
    let Some(healthcheck) = &image.config.healthcheck else {
        return Err("the image has no HEALTHCHECK".into());
    };
    let test = &healthcheck.test;
    let program = match test.first().map(String::as_str) {
        Some("CMD-SHELL") => Some("sh".to_string()),
        Some("CMD") => test.get(1).cloned(),
        _ => None,
    };
    let Some(program) = program else {
        return Err("the image's HEALTHCHECK has no command".into());
    };
    // ECS runs CMD-SHELL with the container's /bin/sh; CMD needs its program in the image.
    let runs = if program.starts_with('/') {
        image.filesystem.resolve(&program).is_some()
    } else {
        find_program(image, container, &program).is_some()
    };
    let applicability = if runs {
        Applicability::Safe
    } else {
        Applicability::Review
    };
    Ok(Plan {
        applicability,
        description: format!(
            "carry the image's HEALTHCHECK: \"healthCheck\": {{\"command\": {}}}{}",
            serde_json::to_string(test).unwrap_or_default(),
            if runs {
                String::new()
            } else {
                format!(" (review: {program} is not in the image)")
            }
        ),
        ops: vec![Op::Set(
            writer.child(&container.origin, &["healthCheck"]),
            json!({ "command": test }),
        )],
    })
}

fn log_plan(writer: &Writer, container: &Container, options: &FixOptions) -> Result<Plan, String> {
    if !container.log_configuration.is_absent() {
        return Err("logConfiguration is set to another driver; change it by hand".into());
    }
    let (Some(group), Some(region)) = (&options.log_group, &options.region) else {
        return Err(
            "pass --log-group and --region (the awslogs group and its Region) to add \"logConfiguration\""
                .into(),
        );
    };
    let prefix = container.name.as_str().unwrap_or("ecs").to_string();
    Ok(Plan {
        applicability: Applicability::Safe,
        description: format!("send logs to CloudWatch Logs group {group} in {region} (awslogs)"),
        ops: vec![Op::Set(
            writer.child(&container.origin, &["logConfiguration"]),
            json!({
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": group,
                    "awslogs-region": region,
                    "awslogs-stream-prefix": prefix,
                }
            }),
        )],
    })
}

fn secrets_plan(
    writer: &Writer,
    container: &Container,
    pointer: &str,
    options: &FixOptions,
) -> Result<Plan, String> {
    // The finding points at one variable: `/containerDefinitions/0/environment/2/...`.
    let rest = pointer
        .strip_prefix(&container.origin.pointer)
        .and_then(|r| r.strip_prefix("/environment/"))
        .and_then(|r| r.split('/').next())
        .and_then(|i| i.parse::<usize>().ok());
    let Some(index) = rest else {
        return Err("the finding names no environment variable".into());
    };
    let Some(variable) = container.environment.items().get(index) else {
        return Err("the environment variable is not in the model".into());
    };
    let Some(name) = variable.name.as_str() else {
        return Err("the variable's name is not known offline".into());
    };
    let Some(arn) = options.secrets.get(name) else {
        return Err(format!(
            "map {name} to its Secrets Manager or SSM parameter ARN under [fix.secrets] in harden.toml to move it to \"secrets\""
        ));
    };
    let item_origin = Origin {
        source_path: variable
            .name
            .origin
            .source_path
            .rsplit_once('/')
            .map(|(parent, _)| parent.to_string())
            .unwrap_or_default(),
        ..Origin::default()
    };
    Ok(Plan {
        applicability: Applicability::Review,
        description: format!(
            "move {name} from \"environment\" to \"secrets\" (valueFrom {arn}; review: the execution role must be allowed to read it)"
        ),
        ops: vec![
            Op::Remove(writer.pointer(&item_origin)),
            Op::Append(
                writer.child(&container.origin, &["secrets"]),
                json!({ "name": name, "valueFrom": arn }),
            ),
        ],
    })
}
