//! Exposure of each ECS service (issue 14): the service linked to its task definition and roles,
//! its security groups and their ingress rules, and its target groups, load balancers and
//! listeners, the way AWS links them; then the traits AWS Security Hub's exposure findings name,
//! each with where it comes from, and the traits that cannot be decided with why. The EX checks
//! read the result; severity is theirs.

use std::collections::HashMap;

use crate::findings::{Location, ResourceRef};
use crate::join::pairing::Pairing;
use crate::model::ecs::{EcsInventory, Origin, Service, TaskDefinition, Value};
use crate::model::image::Image;
use crate::model::stack::{Link, LinkAt, Links, Stack};

/// One trait present on a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Trait {
    pub name: &'static str,
    /// What makes it so (`port 22 open to 0.0.0.0/0 in WebSG`).
    pub detail: String,
    pub location: Location,
}

/// One trait that cannot be decided, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTrait {
    pub name: &'static str,
    pub why: String,
}

/// What a vulnerability source says about one image: the hand-off from a vulnerability scan
/// (`--vulns`, another branch) plugs in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulnerabilityAssessment {
    /// Vulnerabilities exploitable over the network with a high likelihood of exploitation.
    pub network_exploitable: Vec<String>,
    /// Any other software vulnerability.
    pub other: Vec<String>,
}

/// Where vulnerability findings for an image come from. Without one, both vulnerability traits
/// are unknown ("not assessed").
pub trait VulnerabilitySource {
    /// The assessment of the image a container runs (`image` as the task definition names it),
    /// `None` when this source did not assess it.
    fn assess(&self, image: &str) -> Option<VulnerabilityAssessment>;
}

/// The linked resources and traits of one service.
#[derive(Debug, Clone)]
pub struct Exposure<'a> {
    pub service: &'a Service,
    /// Logical id or address of the service.
    pub service_id: String,
    pub task_definition: Option<&'a TaskDefinition>,
    pub traits: Vec<Trait>,
    pub unknown: Vec<UnknownTrait>,
    /// The security groups it is attached to (file and id), for EX002.
    pub security_groups: Vec<(String, String)>,
    /// Whether the service's tasks get a public IP.
    pub public_ip: bool,
}

impl Exposure<'_> {
    pub fn has(&self, name: &str) -> bool {
        self.traits.iter().any(|t| t.name == name)
    }

    pub fn trait_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.traits.iter().map(|t| t.name).collect();
        names.dedup();
        names
    }

    pub fn unknown_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .unknown
            .iter()
            .map(|t| t.name)
            .filter(|n| !self.has(n))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Every trait name, in the order findings list them.
pub const TRAITS: &[&str] = &[
    "public-ip",
    "open-security-group",
    "internet-facing-load-balancer",
    "privileged-container",
    "host-pid-namespace",
    "host-network-mode",
    "host-filesystem-access",
    "cleartext-credentials",
    "assumable-iam-role",
    "admin-iam-role",
    "network-exploitable-vulnerability",
    "software-vulnerability",
    "image-root-user",
    "image-setuid-files",
    "image-shell",
];

/// Computes the exposure of every service in the inventory.
pub fn expose<'a>(
    ecs: &'a EcsInventory,
    image: Option<&'a Image>,
    pairs: &[Pairing<'a>],
    vulnerabilities: Option<&dyn VulnerabilitySource>,
) -> Vec<Exposure<'a>> {
    let lookup = Lookup::new(ecs, image, pairs);
    ecs.services
        .iter()
        .map(|service| expose_one(ecs, &lookup, service, image, vulnerabilities))
        .collect()
}

/// What every service looks up, indexed once: each service searched the stack's services and
/// task definitions, the pairs, and the image's whole filesystem for a setuid file, which made a
/// template of thousands of services quadratic.
struct Lookup<'a> {
    /// Stack links by file and id (the first of each).
    services: HashMap<(&'a str, &'a str), &'a crate::model::stack::ServiceLinks>,
    task_definitions: HashMap<(&'a str, &'a str), &'a crate::model::stack::TaskDefinitionLinks>,
    /// The pairs of each task definition (by address), in order.
    pairs: HashMap<*const TaskDefinition, Vec<&'a Pairing<'a>>>,
    /// The image's first setuid/setgid file and its shell, found on first use.
    setuid: std::cell::OnceCell<Option<String>>,
    shell: std::cell::OnceCell<Option<String>>,
}

impl<'a> Lookup<'a> {
    fn new(ecs: &'a EcsInventory, image: Option<&Image>, pairs: &'a [Pairing<'a>]) -> Lookup<'a> {
        let mut lookup = Lookup {
            services: HashMap::new(),
            task_definitions: HashMap::new(),
            pairs: HashMap::new(),
            setuid: Default::default(),
            shell: Default::default(),
        };
        for links in &ecs.stack.services {
            lookup
                .services
                .entry((links.file.as_str(), links.id.as_str()))
                .or_insert(links);
        }
        for links in &ecs.stack.task_definitions {
            lookup
                .task_definitions
                .entry((links.file.as_str(), links.id.as_str()))
                .or_insert(links);
        }
        if image.is_some() {
            for pair in pairs {
                lookup
                    .pairs
                    .entry(std::ptr::from_ref(pair.task_definition))
                    .or_default()
                    .push(pair);
            }
        }
        lookup
    }
}

/// The logical id or address of a service: its resource name without the CDK path.
fn service_id(service: &Service) -> String {
    let name = &service.resource.name;
    match name.split_once(" (") {
        Some((id, _)) => id.to_string(),
        None => name.clone(),
    }
}

struct Builder<'a> {
    stack: &'a Stack,
    file: String,
    resource: ResourceRef,
    traits: Vec<Trait>,
    unknown: Vec<UnknownTrait>,
}

impl Builder<'_> {
    fn add(&mut self, name: &'static str, detail: String, location: Location) {
        self.traits.push(Trait {
            name,
            detail,
            location,
        });
    }

    fn unknown(&mut self, name: &'static str, why: impl Into<String>) {
        self.unknown.push(UnknownTrait {
            name,
            why: why.into(),
        });
    }

    fn location(&self, origin: &Origin, resource: &ResourceRef) -> Location {
        let _ = &self.resource;
        origin.location(resource)
    }
}

fn expose_one<'a>(
    ecs: &'a EcsInventory,
    lookup: &Lookup,
    service: &'a Service,
    image: Option<&'a Image>,
    vulnerabilities: Option<&dyn VulnerabilitySource>,
) -> Exposure<'a> {
    let stack = &ecs.stack;
    let id = service_id(service);
    let file = service.resource.file.clone();
    let links = lookup.services.get(&(file.as_str(), id.as_str())).copied();
    let mut b = Builder {
        stack,
        file: file.clone(),
        resource: service.resource.clone(),
        traits: Vec::new(),
        unknown: Vec::new(),
    };

    // Public IP: awsvpcConfiguration.assignPublicIp.
    let public_ip = match &service.assign_public_ip.value {
        Value::Known(v) if v == "ENABLED" => {
            let location = service.assign_public_ip.origin.location(&service.resource);
            b.add("public-ip", "assignPublicIp is ENABLED".into(), location);
            true
        }
        Value::Unknown(_) | Value::Invalid(_) => {
            b.unknown(
                "public-ip",
                service.assign_public_ip.undecidable().unwrap_or_default(),
            );
            false
        }
        _ => false,
    };

    // Security groups → ingress rules open to the internet.
    let mut security_groups = Vec::new();
    match links.map(|l| &l.security_groups) {
        Some(Value::Known(groups)) => {
            for group_link in groups {
                security_groups.extend(open_rules(&mut b, group_link));
            }
        }
        Some(Value::Unknown(why)) | Some(Value::Invalid(why)) => {
            b.unknown("open-security-group", format!("security groups: {why}"))
        }
        _ => {}
    }

    // Target groups → listeners (and listener rules) → load balancers.
    if let Some(links) = links {
        internet_facing(&mut b, &links.target_groups);
    }

    // The task definition and what runs in it.
    let task_definition = service
        .task_definition_index
        .and_then(|i| ecs.task_definitions.get(i))
        .or_else(|| {
            let link = links?.task_definition.as_ref()?;
            ecs.task_definitions.iter().find(|td| {
                td.resource.file == file
                    && match &link.link {
                        Link::Resource(target) => {
                            td.resource.name == *target
                                || td.resource.name.starts_with(&format!("{target} ("))
                                || td.resource.name.starts_with(&format!("{target}["))
                        }
                        _ => false,
                    }
            })
        });
    match task_definition {
        Some(td) => task_traits(&mut b, ecs, lookup, td, image, vulnerabilities),
        None => {
            let why = match service.task_definition.as_str() {
                Some(name) => format!("its task definition {name} is not among the inputs"),
                None => match links
                    .and_then(|l| l.task_definition.as_ref())
                    .map(|l| &l.link)
                {
                    Some(Link::Unknown(why)) => format!("its task definition: {why}"),
                    _ => "its task definition is not among the inputs".into(),
                },
            };
            for name in [
                "privileged-container",
                "host-pid-namespace",
                "host-network-mode",
                "host-filesystem-access",
                "cleartext-credentials",
                "assumable-iam-role",
                "admin-iam-role",
                "network-exploitable-vulnerability",
                "software-vulnerability",
            ] {
                b.unknown(name, why.clone());
            }
        }
    }

    Exposure {
        service,
        service_id: id,
        task_definition,
        traits: b.traits,
        unknown: b.unknown,
        security_groups,
        public_ip,
    }
}

/// Adds `open-security-group` for each rule of the linked group open to the internet; returns
/// the group's (file, id) when it is in the stack.
fn open_rules(b: &mut Builder, link: &LinkAt) -> Option<(String, String)> {
    let stack = b.stack;
    let group = match &link.link {
        Link::Unknown(why) => {
            b.unknown("open-security-group", format!("a security group: {why}"));
            return None;
        }
        other => stack
            .security_groups
            .iter()
            .find(|g| g.at.resource.file == b.file && g.at.is(other)),
    };
    let Some(group) = group else {
        let name = match &link.link {
            Link::Literal(v) | Link::Resource(v) => v.clone(),
            Link::Unknown(_) => String::new(),
        };
        b.unknown(
            "open-security-group",
            format!("security group {name} is not among the inputs"),
        );
        return None;
    };
    for rule in stack.rules_of(group) {
        if rule.open_to_internet() {
            let cidr = rule
                .cidrs
                .iter()
                .find_map(|c| match c {
                    Value::Known(c) if c == "0.0.0.0/0" || c == "::/0" => Some(c.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let location = b.location(&rule.origin, &rule.at.resource);
            b.add(
                "open-security-group",
                format!(
                    "security group {} allows port {} from {cidr}",
                    group.at.id,
                    rule.ports()
                ),
                location,
            );
        } else if let Some(why) = rule.unknown_cidr() {
            b.unknown(
                "open-security-group",
                format!("an ingress rule of {}: {why}", group.at.id),
            );
        }
    }
    Some((group.at.resource.file.clone(), group.at.id.clone()))
}

fn internet_facing(b: &mut Builder, target_groups: &Links) {
    let stack = b.stack;
    let groups = match target_groups {
        Value::Known(groups) => groups,
        Value::Unknown(why) | Value::Invalid(why) => {
            b.unknown(
                "internet-facing-load-balancer",
                format!("load balancers: {why}"),
            );
            return;
        }
        Value::Absent => return,
    };
    for group in groups {
        if let Link::Unknown(why) = &group.link {
            b.unknown(
                "internet-facing-load-balancer",
                format!("a target group: {why}"),
            );
            continue;
        }
        let Some(target) = stack
            .target_groups
            .iter()
            .find(|t| t.resource.file == b.file && t.is(&group.link))
        else {
            b.unknown(
                "internet-facing-load-balancer",
                "a target group is not among the inputs",
            );
            continue;
        };
        let listeners: Vec<_> = stack
            .listeners
            .iter()
            .filter(|l| {
                l.at.resource.file == b.file && l.target_groups.iter().any(|g| target.is(&g.link))
            })
            .collect();
        if listeners.is_empty() {
            b.unknown(
                "internet-facing-load-balancer",
                format!(
                    "no listener in the inputs forwards to target group {}",
                    target.id
                ),
            );
        }
        for listener in listeners {
            // A listener rule hangs off a listener, which hangs off the load balancer.
            let mut parent = listener.parent.as_ref();
            // A rule whose listener cannot be resolved keeps that link, and its reason.
            if listener.is_rule && !matches!(parent.map(|p| &p.link), Some(Link::Unknown(_))) {
                parent = parent.and_then(|p| {
                    stack
                        .listeners
                        .iter()
                        .find(|l| l.at.resource.file == b.file && !l.is_rule && l.at.is(&p.link))
                        .and_then(|l| l.parent.as_ref())
                });
            }
            let balancer = parent.and_then(|p| {
                stack
                    .load_balancers
                    .iter()
                    .find(|lb| lb.at.resource.file == b.file && lb.at.is(&p.link))
            });
            let Some(balancer) = balancer else {
                let why = match parent.map(|p| &p.link) {
                    Some(Link::Unknown(why)) => why.clone(),
                    _ => "not among the inputs".into(),
                };
                b.unknown(
                    "internet-facing-load-balancer",
                    format!("the load balancer of listener {}: {why}", listener.at.id),
                );
                continue;
            };
            match &balancer.internet_facing {
                Value::Known(true) => {
                    let port = match &listener.port {
                        Value::Known(p) => format!(" port {p}"),
                        _ => String::new(),
                    };
                    let location = b.location(&balancer.at.origin, &balancer.at.resource);
                    b.add(
                        "internet-facing-load-balancer",
                        format!(
                            "internet-facing load balancer {} forwards{port} to target group {}",
                            balancer.at.id, target.id
                        ),
                        location,
                    );
                }
                Value::Unknown(why) | Value::Invalid(why) => b.unknown(
                    "internet-facing-load-balancer",
                    format!("the scheme of {}: {why}", balancer.at.id),
                ),
                _ => {}
            }
        }
    }
}

fn task_traits(
    b: &mut Builder,
    ecs: &EcsInventory,
    lookup: &Lookup,
    td: &TaskDefinition,
    image: Option<&Image>,
    vulnerabilities: Option<&dyn VulnerabilitySource>,
) {
    let at = |origin: &Origin| origin.location(&td.resource);
    for container in td.container_definitions() {
        match &container.privileged.value {
            Value::Known(true) => b.add(
                "privileged-container",
                format!("container {} is privileged", container.label()),
                at(&container.privileged.origin),
            ),
            Value::Unknown(_) | Value::Invalid(_) => b.unknown(
                "privileged-container",
                container.privileged.undecidable().unwrap_or_default(),
            ),
            _ => {}
        }
        for variable in container.environment.items() {
            let (Some(name), Some(value)) = (variable.name.as_str(), variable.value.as_str())
            else {
                continue;
            };
            if let Some(secret) = crate::secrets::check_named_value(name, value) {
                b.add(
                    "cleartext-credentials",
                    format!(
                        "container {}: environment variable {name} holds a credential ({})",
                        container.label(),
                        secret.reason
                    ),
                    at(&variable.value.origin),
                );
            }
        }
    }
    for (field, name, wanted) in [
        (&td.pid_mode, "host-pid-namespace", "host"),
        (&td.network_mode, "host-network-mode", "host"),
    ] {
        match &field.value {
            Value::Known(v) if v == wanted => b.add(
                name,
                format!(
                    "{} is {wanted}",
                    field.origin.pointer.trim_start_matches('/')
                ),
                at(&field.origin),
            ),
            Value::Unknown(_) | Value::Invalid(_) => {
                b.unknown(name, field.undecidable().unwrap_or_default())
            }
            _ => {}
        }
    }
    for volume in td.volumes.items() {
        match &volume.host_source_path.value {
            Value::Known(path) => b.add(
                "host-filesystem-access",
                format!(
                    "volume {} mounts the host path {path}",
                    volume.name.as_str().unwrap_or("?")
                ),
                at(&volume.host_source_path.origin),
            ),
            Value::Unknown(_) => b.unknown(
                "host-filesystem-access",
                volume.host_source_path.undecidable().unwrap_or_default(),
            ),
            _ => {}
        }
    }

    // Roles: the task role is what the containers can assume; both may grant admin.
    let td_id = td
        .resource
        .name
        .split_once(" (")
        .map(|(id, _)| id)
        .unwrap_or(&td.resource.name);
    let links = lookup
        .task_definitions
        .get(&(td.resource.file.as_str(), td_id))
        .copied();
    let roles = [
        (
            "task role",
            &td.task_role_arn,
            links.and_then(|l| l.task_role.as_ref()),
        ),
        (
            "execution role",
            &td.execution_role_arn,
            links.and_then(|l| l.execution_role.as_ref()),
        ),
    ];
    for (label, field, link) in roles {
        let link = link.cloned().or_else(|| {
            field.as_str().map(|arn| LinkAt {
                link: Link::Literal(arn.to_string()),
                origin: field.origin.clone(),
            })
        });
        let Some(link) = link else {
            continue;
        };
        if label == "task role" {
            b.add(
                "assumable-iam-role",
                "the containers can assume the task role".into(),
                at(&field.origin),
            );
        }
        let role = match &link.link {
            Link::Unknown(why) => {
                b.unknown("admin-iam-role", format!("the {label}: {why}"));
                continue;
            }
            other => ecs.stack.role(&td.resource.file, other),
        };
        let Some(role) = role else {
            b.unknown(
                "admin-iam-role",
                format!("the {label} is not among the inputs"),
            );
            continue;
        };
        match ecs.stack.admin_grant(role) {
            Ok(Some(origin)) => b.add(
                "admin-iam-role",
                format!("the {label} {} has administrative access", role.at.id),
                origin.location(&role.at.resource),
            ),
            Ok(None) => {}
            Err(why) => b.unknown(
                "admin-iam-role",
                format!("a policy of the {label} {}: {why}", role.at.id),
            ),
        }
    }

    // Vulnerabilities, from the hand-off when there is one.
    for container in td.container_definitions() {
        let assessment = vulnerabilities
            .zip(container.image.as_str())
            .and_then(|(source, image)| source.assess(image));
        match assessment {
            Some(found) => {
                for (name, ids) in [
                    (
                        "network-exploitable-vulnerability",
                        &found.network_exploitable,
                    ),
                    ("software-vulnerability", &found.other),
                ] {
                    if !ids.is_empty() {
                        b.add(
                            name,
                            format!("container {}: {}", container.label(), ids.join(", ")),
                            at(&container.image.origin),
                        );
                    }
                }
            }
            None => {
                for name in [
                    "network-exploitable-vulnerability",
                    "software-vulnerability",
                ] {
                    b.unknown(
                        name,
                        format!(
                            "not assessed: no vulnerability input for container {}",
                            container.label()
                        ),
                    );
                }
            }
        }
    }

    // What the scanned image adds, for the containers paired with it.
    let Some(image) = image else {
        return;
    };
    let pairs = lookup
        .pairs
        .get(&std::ptr::from_ref(td))
        .map(Vec::as_slice)
        .unwrap_or_default();
    for pair in pairs {
        let container = pair.container;
        let user = match &container.user.value {
            Value::Known(user) => Some(user.clone()),
            Value::Absent => Some(image.config.user.clone().unwrap_or_default()),
            _ => None,
        };
        let image_location = Location::image(&image.source);
        match user {
            Some(user) => {
                let name = user.split(':').next().unwrap_or_default();
                if name.is_empty() || name == "root" || name == "0" {
                    b.add(
                        "image-root-user",
                        format!("container {} runs as root", container.label()),
                        image_location.clone(),
                    );
                }
            }
            None => b.unknown(
                "image-root-user",
                container.user.undecidable().unwrap_or_default(),
            ),
        }
        let setuid = lookup.setuid.get_or_init(|| {
            image
                .filesystem
                .iter()
                .filter(|(_, e)| e.is_file() && e.mode & 0o6000 != 0)
                .map(|(p, _)| p.to_string())
                .next()
        });
        if let Some(path) = setuid {
            b.add(
                "image-setuid-files",
                format!("the image has setuid/setgid files ({path}...)"),
                Location::image_file(&image.source, path, None),
            );
        }
        let shell = lookup
            .shell
            .get_or_init(|| image.find_program("sh", image.path_env()));
        if let Some(shell) = shell {
            b.add(
                "image-shell",
                format!("the image has a shell ({shell})"),
                Location::image_file(&image.source, shell, None),
            );
        }
    }
}
