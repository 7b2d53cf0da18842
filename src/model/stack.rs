//! The resources around an ECS service that decide what it exposes: security groups and their
//! ingress rules, load balancers, listeners and target groups, subnets, IAM roles and policies,
//! and the links between them as the template or plan writes them ([`Link`]). Read from
//! CloudFormation and Terraform by `load/ecs/stack.rs`; linked per service by `join/exposure.rs`.

use crate::findings::ResourceRef;
use crate::model::ecs::{Origin, Value};

/// What a reference in the stack points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Another resource of the same file: a CloudFormation logical id (`Ref`, `Fn::GetAtt`,
    /// `Fn::Sub "${X}"`) or a Terraform address from the plan's `configuration` references.
    Resource(String),
    /// A literal value: an id, ARN or name (a parameter default, a known planned value).
    Literal(String),
    /// Cannot be resolved from the file alone; the string says why.
    Unknown(String),
}

/// A link with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkAt {
    pub link: Link,
    pub origin: Origin,
}

/// A list of links that may itself be unresolvable (`SecurityGroups: !Ref ParameterList`).
pub type Links = Value<Vec<LinkAt>>;

/// One resource of the stack: where it is, and the names other resources may use for it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackResource {
    pub resource: ResourceRef,
    /// The logical id or Terraform address (without the CDK path).
    pub id: String,
    pub origin: Origin,
    /// Literal ids, ARNs and names it is known by (a Terraform state's `id`, `arn`, `name`).
    pub known_as: Vec<String>,
}

impl StackResource {
    /// Whether `link` (written in the same file) names this resource. A Terraform reference
    /// without an instance key (`aws_security_group.web`) names every instance
    /// (`aws_security_group.web[0]`).
    pub fn is(&self, link: &Link) -> bool {
        match link {
            Link::Resource(id) => {
                self.id == *id
                    || self
                        .id
                        .strip_prefix(id.as_str())
                        .is_some_and(|rest| rest.starts_with('['))
            }
            Link::Literal(value) => self.known_as.iter().any(|k| k == value),
            Link::Unknown(_) => false,
        }
    }
}

/// One ingress rule: inline in a security group, or its own resource pointing at its group.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressRule {
    /// The resource that writes the rule (the group for inline rules).
    pub at: StackResource,
    pub origin: Origin,
    /// The group of a separate rule; `None` for inline rules.
    pub group: Option<LinkAt>,
    /// IPv4 and IPv6 CIDR ranges (a rule from another group or a prefix list has none).
    pub cidrs: Vec<Value<String>>,
    /// `tcp`, `udp`, `-1`...
    pub protocol: Value<String>,
    pub from_port: Value<i64>,
    pub to_port: Value<i64>,
}

impl IngressRule {
    /// Whether a CIDR of the rule is the whole internet.
    pub fn open_to_internet(&self) -> bool {
        self.cidrs
            .iter()
            .any(|c| matches!(c, Value::Known(c) if c == "0.0.0.0/0" || c == "::/0"))
    }

    /// Why a CIDR cannot be decided, if one cannot.
    pub fn unknown_cidr(&self) -> Option<&str> {
        self.cidrs.iter().find_map(|c| match c {
            Value::Unknown(why) => Some(why.as_str()),
            _ => None,
        })
    }

    /// The port range as written: `443`, `8000-8080`, `all`.
    pub fn ports(&self) -> String {
        let all = matches!(&self.protocol, Value::Known(p) if p == "-1" || p == "all");
        match (&self.from_port, &self.to_port) {
            _ if all => "all".into(),
            (Value::Known(from), Value::Known(to)) if from == to => from.to_string(),
            (Value::Known(-1), Value::Known(-1)) => "all".into(),
            (Value::Known(from), Value::Known(to)) => format!("{from}-{to}"),
            (Value::Known(from), _) => from.to_string(),
            _ => "unknown".into(),
        }
    }

    /// Whether the rule opens a port other than 80 and 443 (an unknown range counts).
    pub fn beyond_web_ports(&self) -> bool {
        match (&self.from_port, &self.to_port) {
            _ if self.ports() == "all" => true,
            (Value::Known(from), Value::Known(to)) => {
                !(from == to && (*from == 80 || *from == 443))
            }
            (Value::Known(from), Value::Absent) => *from != 80 && *from != 443,
            _ => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    pub at: StackResource,
    /// Inline rules (`SecurityGroupIngress`, Terraform `ingress` blocks).
    pub ingress: Vec<IngressRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadBalancer {
    pub at: StackResource,
    /// Whether it faces the internet (`Scheme: internet-facing`, the default; Terraform
    /// `internal = false`).
    pub internet_facing: Value<bool>,
    pub scheme_origin: Origin,
}

/// A listener or a listener rule: forwards to target groups, on a load balancer or listener.
#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub at: StackResource,
    /// The load balancer (a listener) or the listener (a listener rule).
    pub parent: Option<LinkAt>,
    pub is_rule: bool,
    pub port: Value<i64>,
    pub target_groups: Vec<LinkAt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    pub at: StackResource,
    pub map_public_ip_on_launch: Value<bool>,
}

/// One statement of an IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub origin: Origin,
    pub effect: Value<String>,
    pub actions: Value<Vec<String>>,
    pub resources: Value<Vec<String>>,
}

impl Statement {
    /// `Effect: Allow, Action: *, Resource: *` (AWS's definition of administrative access).
    pub fn is_admin(&self) -> Value<bool> {
        let star = |v: &Value<Vec<String>>| match v {
            Value::Known(items) => Value::Known(items.iter().any(|i| i == "*" || i == "*:*")),
            Value::Unknown(why) => Value::Unknown(why.clone()),
            _ => Value::Known(false),
        };
        let effect = match &self.effect {
            Value::Unknown(why) => Value::Unknown(why.clone()),
            Value::Known(effect) => Value::Known(effect.clone()),
            _ => Value::Absent,
        };
        match (effect, star(&self.actions), star(&self.resources)) {
            (Value::Known(effect), _, _) if effect != "Allow" => Value::Known(false),
            (Value::Absent, _, _) => Value::Known(false),
            (_, Value::Known(false), _) | (_, _, Value::Known(false)) => Value::Known(false),
            (Value::Known(_), Value::Known(true), Value::Known(true)) => Value::Known(true),
            (Value::Unknown(why), _, _)
            | (_, Value::Unknown(why), _)
            | (_, _, Value::Unknown(why)) => Value::Unknown(why),
            _ => Value::Known(false),
        }
    }
}

/// A policy document: its statements, or why they cannot be read.
pub type PolicyDocument = Value<Vec<Statement>>;

/// An IAM policy: inline in a role, its own resource attached to roles, or a Terraform
/// attachment of a managed policy (`document` absent, `managed` set).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub at: StackResource,
    pub origin: Origin,
    /// The roles it applies to (empty for a role's inline policy, which applies to that role).
    pub roles: Vec<LinkAt>,
    pub document: PolicyDocument,
    /// A managed policy it attaches (Terraform `aws_iam_role_policy_attachment`).
    pub managed: Option<LinkAt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub at: StackResource,
    pub managed_policies: Links,
    /// Inline policies written in the role.
    pub inline: Vec<Policy>,
}

/// Whether a managed policy ARN is AWS's `AdministratorAccess`.
pub fn is_administrator_access(arn: &str) -> bool {
    arn.starts_with("arn:aws") && arn.ends_with(":iam::aws:policy/AdministratorAccess")
}

/// What a service links to.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLinks {
    pub file: String,
    /// Logical id or address of the service.
    pub id: String,
    pub security_groups: Links,
    pub subnets: Links,
    pub target_groups: Links,
    pub task_definition: Option<LinkAt>,
}

/// What a task definition links to.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDefinitionLinks {
    pub file: String,
    pub id: String,
    pub task_role: Option<LinkAt>,
    pub execution_role: Option<LinkAt>,
}

/// Every stack resource read from the `--task-def` inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stack {
    pub security_groups: Vec<SecurityGroup>,
    /// Separate ingress rules (`AWS::EC2::SecurityGroupIngress`, `aws_security_group_rule`,
    /// `aws_vpc_security_group_ingress_rule`).
    pub ingress_rules: Vec<IngressRule>,
    pub load_balancers: Vec<LoadBalancer>,
    pub listeners: Vec<Listener>,
    pub target_groups: Vec<StackResource>,
    pub subnets: Vec<Subnet>,
    pub roles: Vec<Role>,
    /// Separate policies (`AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy`, `aws_iam_role_policy`,
    /// `aws_iam_policy`, `aws_iam_role_policy_attachment`).
    pub policies: Vec<Policy>,
    pub services: Vec<ServiceLinks>,
    pub task_definitions: Vec<TaskDefinitionLinks>,
}

impl Stack {
    pub fn append(&mut self, other: &mut Stack) {
        self.security_groups.append(&mut other.security_groups);
        self.ingress_rules.append(&mut other.ingress_rules);
        self.load_balancers.append(&mut other.load_balancers);
        self.listeners.append(&mut other.listeners);
        self.target_groups.append(&mut other.target_groups);
        self.subnets.append(&mut other.subnets);
        self.roles.append(&mut other.roles);
        self.policies.append(&mut other.policies);
        self.services.append(&mut other.services);
        self.task_definitions.append(&mut other.task_definitions);
    }

    /// The ingress rules of a security group: inline, and separate ones that name it.
    pub fn rules_of<'a>(
        &'a self,
        group: &'a SecurityGroup,
    ) -> impl Iterator<Item = &'a IngressRule> {
        group
            .ingress
            .iter()
            .chain(self.ingress_rules.iter().filter(|rule| {
                rule.at.resource.file == group.at.resource.file
                    && rule.group.as_ref().is_some_and(|g| group.at.is(&g.link))
            }))
    }

    /// Whether a role has administrative access: `Some(origin)` of what grants it, `Err(why)`
    /// when a policy cannot be read, `Ok(None)` when none does.
    pub fn admin_grant(&self, role: &Role) -> Result<Option<Origin>, String> {
        let mut unknown: Option<String> = None;
        match &role.managed_policies {
            Value::Known(links) => {
                for link in links {
                    match &link.link {
                        Link::Literal(arn) if is_administrator_access(arn) => {
                            return Ok(Some(link.origin.clone()));
                        }
                        Link::Unknown(why) => unknown = Some(why.clone()),
                        _ => {}
                    }
                }
            }
            Value::Unknown(why) => unknown = Some(why.clone()),
            _ => {}
        }
        let attached = self.policies.iter().filter(|p| {
            p.at.resource.file == role.at.resource.file
                && p.roles.iter().any(|r| role.at.is(&r.link))
        });
        for policy in role.inline.iter().chain(attached) {
            if let Some(managed) = &policy.managed {
                match &managed.link {
                    Link::Literal(arn) if is_administrator_access(arn) => {
                        return Ok(Some(managed.origin.clone()));
                    }
                    Link::Unknown(why) => unknown = Some(why.clone()),
                    _ => {}
                }
            }
            match &policy.document {
                Value::Known(statements) => {
                    for statement in statements {
                        match statement.is_admin() {
                            Value::Known(true) => return Ok(Some(statement.origin.clone())),
                            Value::Unknown(why) => unknown = Some(why),
                            _ => {}
                        }
                    }
                }
                Value::Unknown(why) => unknown = Some(why.clone()),
                _ => {}
            }
        }
        match unknown {
            Some(why) => Err(why),
            None => Ok(None),
        }
    }

    /// The role a link names, in `file`.
    pub fn role(&self, file: &str, link: &Link) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.at.resource.file == file && r.at.is(link))
    }
}
