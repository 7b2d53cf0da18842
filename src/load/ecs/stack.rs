//! The stack around the ECS resources (`model::stack`): security groups and ingress rules, load
//! balancers, listeners and target groups, subnets, IAM roles and policies, and what services and
//! task definitions link to. CloudFormation intrinsics are resolved as far as the template alone
//! allows (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If` on parameters with defaults); Terraform links
//! come from planned values, or from the plan's `configuration` references when a value is
//! unknown until apply. Whatever cannot be resolved is [`Link::Unknown`] with the reason.

use serde_json::Value as J;

use super::Document;
use super::tree::escape;
use crate::findings::ResourceRef;
use crate::limits::{LimitExceeded, Limits};
use crate::model::ecs::{Origin, Value};
use crate::model::stack::*;

/// How deep `Fn::If` / `Fn::Sub` / conditions may nest before the resolver gives up: bounds the
/// work on a hostile template (conditions may name each other).
const MAX_DEPTH: usize = 16;

/// Why a value is unknown once the `resolve-steps` budget is spent (the load then fails).
const OUT_OF_STEPS: &str = "too much work to resolve (resolve-steps limit)";

/// The work resolving one file's intrinsic functions (CloudFormation) or module references
/// (Terraform) may take: the `resolve-steps` limit. Depth alone does not bound it: an `Fn::Sub`
/// naming a variable ten times, whose value is an `Fn::Sub` naming its own variable ten times...
/// is 10^16 steps within the depth bound, from a template of a kilobyte, and so is a module
/// output referencing another module's output ten times, fifteen modules deep. Once spent, every
/// further value is unknown and the loader fails with the limit (never a partial stack).
struct Budget {
    left: std::cell::Cell<u64>,
    max: u64,
}

impl Budget {
    fn new(limits: &Limits) -> Budget {
        Budget {
            left: std::cell::Cell::new(limits.resolve_steps),
            max: limits.resolve_steps,
        }
    }

    /// Takes `steps` from what is left; `false` (and nothing left) when that is not enough.
    fn spend(&self, steps: usize) -> bool {
        let steps = steps as u64;
        match self.left.get().checked_sub(steps) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.left.set(0);
                false
            }
        }
    }

    fn exhausted(&self) -> bool {
        self.left.get() == 0
    }

    /// `Err` naming the limit when the work ran out.
    fn check(&self, what: &str) -> Result<(), LimitExceeded> {
        if !self.exhausted() {
            return Ok(());
        }
        Err(LimitExceeded {
            limit: "resolve-steps",
            max: self.max,
            what: what.to_string(),
        })
    }
}

/// Where a value is: a JSON pointer into the file, with its line.
fn origin(document: &Document, pointer: &str, source_path: &str) -> Origin {
    Origin {
        pointer: pointer.to_string(),
        source_path: source_path.to_string(),
        line: document.lines.line(pointer),
    }
}

fn at(document: &Document, kind: &str, id: &str, pointer: &str, source: &str) -> StackResource {
    StackResource {
        resource: ResourceRef {
            file: document.file.clone(),
            kind: kind.into(),
            name: id.to_string(),
        },
        id: id.to_string(),
        origin: origin(document, pointer, source),
        known_as: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// CloudFormation

struct Template<'a> {
    document: &'a Document,
    parameters: Option<&'a serde_json::Map<String, J>>,
    resources: &'a serde_json::Map<String, J>,
    conditions: Option<&'a serde_json::Map<String, J>>,
    /// Each condition's value once computed (`None` while it is being computed, so a cycle is
    /// undecided): conditions name each other, so without this a template of a few lines could
    /// make the work exponential.
    decided: std::cell::RefCell<std::collections::HashMap<String, Option<bool>>>,
    budget: Budget,
}

/// A value somewhere in a resource: the JSON and its place.
#[derive(Clone)]
struct Here<'a> {
    value: Option<&'a J>,
    pointer: String,
    path: String,
}

impl<'a> Here<'a> {
    fn get(&self, key: &str) -> Here<'a> {
        Here {
            value: self.value.and_then(|v| v.get(key)),
            pointer: format!("{}/{}", self.pointer, escape(key)),
            path: format!("{}/{key}", self.path),
        }
    }
}

impl<'a> Template<'a> {
    fn origin(&self, here: &Here) -> Origin {
        origin(self.document, &here.pointer, &here.path)
    }

    /// Resolves a scalar to a link (a resource it names, a literal, or unknown).
    fn link(&self, value: &J, depth: usize) -> Link {
        if depth > MAX_DEPTH {
            return Link::Unknown("intrinsic functions nested too deep".into());
        }
        if !self.budget.spend(1) {
            return Link::Unknown(OUT_OF_STEPS.into());
        }
        match value {
            J::String(s) => Link::Literal(s.clone()),
            J::Number(n) => Link::Literal(n.to_string()),
            J::Bool(b) => Link::Literal(b.to_string()),
            J::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => self.reference(arg.as_str().unwrap_or_default(), depth),
                    "Fn::GetAtt" => {
                        let target = match arg {
                            J::Array(parts) => {
                                parts.first().and_then(J::as_str).map(str::to_string)
                            }
                            J::String(s) => s.split('.').next().map(str::to_string),
                            _ => None,
                        };
                        match target {
                            Some(t) if self.resources.contains_key(&t) => Link::Resource(t),
                            Some(t) => {
                                Link::Unknown(format!("Fn::GetAtt on {t}, not in the template"))
                            }
                            None => Link::Unknown("Fn::GetAtt".into()),
                        }
                    }
                    "Fn::Sub" => self.sub(arg, depth),
                    "Fn::If" => match self.choose(arg, depth) {
                        Ok(Some(chosen)) => self.link(chosen, depth + 1),
                        Ok(None) => Link::Literal(String::new()),
                        Err((why, a, b)) => {
                            let (a, b) = (self.link(a, depth + 1), self.link(b, depth + 1));
                            if a == b { a } else { Link::Unknown(why) }
                        }
                    },
                    other => Link::Unknown(format!("{other} cannot be resolved offline")),
                }
            }
            _ => Link::Unknown("not a scalar".into()),
        }
    }

    fn reference(&self, name: &str, depth: usize) -> Link {
        if self.resources.contains_key(name) {
            return Link::Resource(name.to_string());
        }
        match self.parameters.and_then(|p| p.get(name)) {
            Some(parameter) => match parameter.get("Default") {
                Some(default) => self.link(default, depth + 1),
                None => Link::Unknown(format!("Ref {name}: a parameter without a default")),
            },
            None if name.starts_with("AWS::") => {
                Link::Unknown(format!("Ref {name}: a pseudo parameter"))
            }
            None => Link::Unknown(format!("Ref {name}: not in the template")),
        }
    }

    /// `Fn::Sub`: literal when every `${X}` resolves to a literal; `${X}` alone (or `${X.Attr}`)
    /// naming a resource is that resource.
    fn sub(&self, arg: &J, depth: usize) -> Link {
        let (text, vars) = match arg {
            J::String(s) => (s.as_str(), None),
            J::Array(items) => match items.first().and_then(J::as_str) {
                Some(s) => (s, items.get(1).and_then(J::as_object)),
                None => return Link::Unknown("Fn::Sub".into()),
            },
            _ => return Link::Unknown("Fn::Sub".into()),
        };
        if !self.budget.spend(text.len()) {
            return Link::Unknown(OUT_OF_STEPS.into());
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `${!Literal}` writes `${Literal}`.
            if let Some(literal) = after.strip_prefix('!') {
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Link::Unknown("Fn::Sub with an unclosed ${".into());
            };
            let name = &after[..end];
            let resolved = match vars.and_then(|v| v.get(name)) {
                Some(value) => self.link(value, depth + 1),
                None => match name.split_once('.') {
                    Some((target, _)) if self.resources.contains_key(target) => {
                        Link::Resource(target.to_string())
                    }
                    _ => self.reference(name, depth + 1),
                },
            };
            match resolved {
                Link::Literal(value) if !self.budget.spend(value.len()) => {
                    return Link::Unknown(OUT_OF_STEPS.into());
                }
                Link::Literal(value) => out.push_str(&value),
                Link::Resource(id) if text == format!("${{{name}}}") => return Link::Resource(id),
                Link::Resource(id) => {
                    return Link::Unknown(format!(
                        "Fn::Sub with ${{{id}}}, known only after deploy"
                    ));
                }
                Link::Unknown(why) => return Link::Unknown(format!("Fn::Sub: {why}")),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Link::Literal(out)
    }

    /// `Fn::If [condition, a, b]`: the branch taken, `Ok(None)` for `AWS::NoValue`; `Err` with
    /// both branches when the condition cannot be decided.
    fn choose<'v>(
        &self,
        arg: &'v J,
        depth: usize,
    ) -> Result<Option<&'v J>, (String, &'v J, &'v J)> {
        let items = arg.as_array().map(Vec::as_slice).unwrap_or_default();
        let [condition, a, b] = items else {
            static NULL: J = J::Null;
            return Err(("Fn::If without three arguments".into(), &NULL, &NULL));
        };
        let name = condition.as_str().unwrap_or_default();
        let taken = match self.condition(name, depth + 1) {
            Some(true) => a,
            Some(false) => b,
            None => {
                return Err((
                    format!(
                        "Fn::If on condition {name}, which depends on values not in the template"
                    ),
                    a,
                    b,
                ));
            }
        };
        if taken.get("Ref").and_then(J::as_str) == Some("AWS::NoValue") {
            Ok(None)
        } else {
            Ok(Some(taken))
        }
    }

    fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        if let Some(known) = self.decided.borrow().get(name) {
            return *known;
        }
        let body = self.conditions?.get(name)?;
        self.decided.borrow_mut().insert(name.to_string(), None);
        let value = self.truth(body, depth);
        // Only a value reached within the depth bound is final.
        if value.is_some() {
            self.decided.borrow_mut().insert(name.to_string(), value);
        }
        value
    }

    fn truth(&self, value: &J, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH || !self.budget.spend(1) {
            return None;
        }
        let map = value.as_object().filter(|m| m.len() == 1)?;
        let (key, arg) = map.iter().next()?;
        let args = arg.as_array();
        match key.as_str() {
            "Condition" => self.condition(arg.as_str()?, depth + 1),
            "Fn::Equals" => {
                let args = args?;
                match (
                    self.link(args.first()?, depth + 1),
                    self.link(args.get(1)?, depth + 1),
                ) {
                    (Link::Literal(a), Link::Literal(b)) => Some(a == b),
                    _ => None,
                }
            }
            "Fn::Not" => self.truth(args?.first()?, depth + 1).map(|b| !b),
            "Fn::And" => {
                let values: Option<Vec<bool>> =
                    args?.iter().map(|a| self.truth(a, depth + 1)).collect();
                Some(values?.into_iter().all(|b| b))
            }
            "Fn::Or" => {
                let values: Option<Vec<bool>> =
                    args?.iter().map(|a| self.truth(a, depth + 1)).collect();
                Some(values?.into_iter().any(|b| b))
            }
            _ => None,
        }
    }

    /// A property that is a scalar, resolved to a literal string where possible.
    fn scalar(&self, here: &Here) -> Value<String> {
        match here.value {
            None | Some(J::Null) => Value::Absent,
            Some(v) if v.get("Ref").and_then(J::as_str) == Some("AWS::NoValue") => Value::Absent,
            Some(v) => match self.link(v, 0) {
                Link::Literal(s) if s.is_empty() => Value::Absent,
                Link::Literal(s) => Value::Known(s),
                Link::Resource(id) => {
                    Value::Unknown(format!("the id of {id}, known only after deploy"))
                }
                Link::Unknown(why) => Value::Unknown(why),
            },
        }
    }

    fn number(&self, here: &Here) -> Value<i64> {
        match self.scalar(here) {
            Value::Known(s) => match s.trim().parse() {
                Ok(n) => Value::Known(n),
                Err(_) => Value::Invalid(format!("{s:?} is not a number")),
            },
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }

    fn boolean(&self, here: &Here) -> Value<bool> {
        match self.scalar(here) {
            Value::Known(s) if s.eq_ignore_ascii_case("true") => Value::Known(true),
            Value::Known(s) if s.eq_ignore_ascii_case("false") => Value::Known(false),
            Value::Known(s) => Value::Invalid(format!("{s:?} is not a boolean")),
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }

    /// A list property: its items (an `Fn::If` picks a branch; a `CommaDelimitedList` parameter
    /// with a default is split), or why it cannot be known.
    fn items(&self, here: &Here<'a>, depth: usize) -> Value<Vec<Here<'a>>> {
        match here.value {
            None | Some(J::Null) => Value::Absent,
            Some(J::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let child = Here {
                        value: Some(item),
                        pointer: format!("{}/{i}", here.pointer),
                        path: format!("{}/{i}", here.path),
                    };
                    // An item may be an `Fn::If` that removes it.
                    if let Some(arg) = item.get("Fn::If")
                        && depth < MAX_DEPTH
                    {
                        match self.choose(arg, depth) {
                            Ok(Some(chosen)) => out.push(Here {
                                value: Some(chosen),
                                ..child
                            }),
                            Ok(None) => {}
                            Err(_) => out.push(child),
                        }
                        continue;
                    }
                    if item.get("Ref").and_then(J::as_str) == Some("AWS::NoValue") {
                        continue;
                    }
                    out.push(child);
                }
                Value::Known(out)
            }
            Some(J::Object(map)) if map.len() == 1 && depth < MAX_DEPTH => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Fn::If" => match self.choose(arg, depth) {
                        Ok(Some(chosen)) => self.items(
                            &Here {
                                value: Some(chosen),
                                ..here.clone()
                            },
                            depth + 1,
                        ),
                        Ok(None) => Value::Absent,
                        Err((why, _, _)) => Value::Unknown(why),
                    },
                    "Ref" => {
                        let name = arg.as_str().unwrap_or_default();
                        match self
                            .parameters
                            .and_then(|p| p.get(name))
                            .and_then(|p| p.get("Default"))
                            .and_then(J::as_str)
                        {
                            // Each property naming the parameter splits it again.
                            Some(default) if !self.budget.spend(default.len()) => {
                                Value::Unknown(OUT_OF_STEPS.into())
                            }
                            Some(default) => Value::Known(
                                default
                                    .split(',')
                                    .map(|s| Here {
                                        value: None,
                                        pointer: here.pointer.clone(),
                                        path: format!("{}={}", here.path, s.trim()),
                                    })
                                    .collect(),
                            ),
                            None => Value::Unknown(format!(
                                "Ref {name}: a list parameter without a default"
                            )),
                        }
                    }
                    other => Value::Unknown(format!("{other} cannot be resolved offline")),
                }
            }
            Some(_) => Value::Invalid("not a list".into()),
        }
    }

    /// A list of links (`SecurityGroups`, `Subnets`, `ManagedPolicyArns`).
    fn links(&self, here: &Here<'a>) -> Links {
        match self.items(here, 0) {
            Value::Known(items) => Value::Known(
                items
                    .iter()
                    .map(|item| LinkAt {
                        link: match item.value {
                            Some(v) => self.link(v, 0),
                            // A split list parameter default: the value follows `=`.
                            None => Link::Literal(
                                item.path
                                    .rsplit_once('=')
                                    .map(|(_, v)| v.to_string())
                                    .unwrap_or_default(),
                            ),
                        },
                        origin: self.origin(item),
                    })
                    .collect(),
            ),
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }

    fn link_at(&self, here: &Here) -> Option<LinkAt> {
        let value = here.value.filter(|v| !v.is_null())?;
        Some(LinkAt {
            link: self.link(value, 0),
            origin: self.origin(here),
        })
    }

    fn ingress(
        &self,
        rule: &Here<'a>,
        resource: &StackResource,
        group: Option<LinkAt>,
    ) -> IngressRule {
        IngressRule {
            at: resource.clone(),
            origin: self.origin(rule),
            group,
            cidrs: ["CidrIp", "CidrIpv6"]
                .iter()
                .map(|key| self.scalar(&rule.get(key)))
                .filter(|v| !matches!(v, Value::Absent))
                .collect(),
            protocol: self.scalar(&rule.get("IpProtocol")),
            from_port: self.number(&rule.get("FromPort")),
            to_port: self.number(&rule.get("ToPort")),
        }
    }

    fn policy_document(&self, here: &Here<'a>) -> PolicyDocument {
        let statements = match here.value {
            Some(J::String(text)) => {
                // A document given as a JSON string.
                return match serde_json::from_str::<J>(text) {
                    Ok(parsed) => statements_of(&parsed, self.origin(here)),
                    Err(e) => Value::Invalid(format!("policy document is not JSON: {e}")),
                };
            }
            _ => here.get("Statement"),
        };
        // A single statement may be an object rather than a list.
        let list = match statements.value {
            Some(J::Object(map)) if !map.keys().any(|k| k.starts_with("Fn::") || k == "Ref") => {
                Value::Known(vec![statements.clone()])
            }
            _ => self.items(&statements, 0),
        };
        match list {
            Value::Known(items) => Value::Known(
                items
                    .iter()
                    .map(|s| Statement {
                        origin: self.origin(s),
                        effect: self.scalar(&s.get("Effect")),
                        actions: self.strings(&s.get("Action")),
                        resources: self.strings(&s.get("Resource")),
                    })
                    .collect(),
            ),
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }

    /// A string or list of strings (`Action`, `Resource`).
    fn strings(&self, here: &Here<'a>) -> Value<Vec<String>> {
        if let Some(J::String(s)) = here.value {
            return Value::Known(vec![s.clone()]);
        }
        match self.items(here, 0) {
            Value::Known(items) => {
                let mut out = Vec::new();
                for item in &items {
                    match self.scalar(item) {
                        Value::Known(s) => out.push(s),
                        Value::Unknown(why) => return Value::Unknown(why),
                        _ => {}
                    }
                }
                Value::Known(out)
            }
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }
}

/// Statements of a parsed JSON policy document, all at one origin (a document in a string has
/// no finer places).
fn statements_of(document: &J, origin: Origin) -> PolicyDocument {
    let statements = match document.get("Statement") {
        Some(J::Array(items)) => items.iter().collect(),
        Some(single @ J::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    let strings = |v: Option<&J>| match v {
        Some(J::String(s)) => Value::Known(vec![s.clone()]),
        Some(J::Array(items)) => Value::Known(
            items
                .iter()
                .filter_map(J::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => Value::Absent,
    };
    Value::Known(
        statements
            .into_iter()
            .map(|s| Statement {
                origin: origin.clone(),
                effect: s
                    .get("Effect")
                    .and_then(J::as_str)
                    .map(|e| Value::Known(e.to_string()))
                    .unwrap_or(Value::Absent),
                actions: strings(s.get("Action")),
                resources: strings(s.get("Resource")),
            })
            .collect(),
    )
}

/// The stack resources of a CloudFormation template.
pub(crate) fn cloudformation(document: &Document, limits: &Limits) -> Result<Stack, LimitExceeded> {
    let mut stack = Stack::default();
    let Some(resources) = document.value.get("Resources").and_then(J::as_object) else {
        return Ok(stack);
    };
    let template = Template {
        document,
        parameters: document.value.get("Parameters").and_then(J::as_object),
        resources,
        conditions: document.value.get("Conditions").and_then(J::as_object),
        decided: Default::default(),
        budget: Budget::new(limits),
    };
    for (id, resource) in resources {
        let Some(kind) = resource.get("Type").and_then(J::as_str) else {
            continue;
        };
        let properties = Here {
            value: resource.get("Properties"),
            pointer: format!("/Resources/{}/Properties", escape(id)),
            path: format!("Resources/{id}/Properties"),
        };
        let report_kind = match kind {
            "AWS::EC2::SecurityGroup" => "AwsEc2SecurityGroup",
            "AWS::EC2::SecurityGroupIngress" => "AwsEc2SecurityGroup",
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => "AwsElbv2LoadBalancer",
            "AWS::ElasticLoadBalancingV2::Listener"
            | "AWS::ElasticLoadBalancingV2::ListenerRule" => "Other",
            "AWS::ElasticLoadBalancingV2::TargetGroup" => "Other",
            "AWS::EC2::Subnet" => "AwsEc2Subnet",
            "AWS::IAM::Role" => "AwsIamRole",
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => "AwsIamPolicy",
            "AWS::ECS::Service" | "AWS::ECS::TaskDefinition" => "",
            _ => continue,
        };
        let here = at(
            document,
            report_kind,
            id,
            &properties.pointer,
            &properties.path,
        );
        match kind {
            "AWS::EC2::SecurityGroup" => {
                let rules = match template.items(&properties.get("SecurityGroupIngress"), 0) {
                    Value::Known(rules) => rules
                        .iter()
                        .map(|rule| template.ingress(rule, &here, None))
                        .collect(),
                    Value::Unknown(why) => vec![IngressRule {
                        at: here.clone(),
                        origin: here.origin.clone(),
                        group: None,
                        cidrs: vec![Value::Unknown(why)],
                        protocol: Value::Absent,
                        from_port: Value::Absent,
                        to_port: Value::Absent,
                    }],
                    _ => Vec::new(),
                };
                stack.security_groups.push(SecurityGroup {
                    at: here,
                    ingress: rules,
                });
            }
            "AWS::EC2::SecurityGroupIngress" => {
                let group = template
                    .link_at(&properties.get("GroupId"))
                    .or_else(|| template.link_at(&properties.get("GroupName")));
                let rule = template.ingress(&properties, &here, group);
                stack.ingress_rules.push(rule);
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                let scheme = properties.get("Scheme");
                stack.load_balancers.push(LoadBalancer {
                    internet_facing: match template.scalar(&scheme) {
                        // internet-facing is the default (AWS::ElasticLoadBalancingV2::LoadBalancer).
                        Value::Absent => Value::Known(true),
                        Value::Known(s) => Value::Known(s == "internet-facing"),
                        Value::Unknown(why) => Value::Unknown(why),
                        Value::Invalid(why) => Value::Invalid(why),
                    },
                    scheme_origin: template.origin(&scheme),
                    at: here,
                });
            }
            "AWS::ElasticLoadBalancingV2::Listener"
            | "AWS::ElasticLoadBalancingV2::ListenerRule" => {
                let is_rule = kind.ends_with("ListenerRule");
                let (parent_key, actions_key) = if is_rule {
                    ("ListenerArn", "Actions")
                } else {
                    ("LoadBalancerArn", "DefaultActions")
                };
                let mut target_groups = Vec::new();
                if let Value::Known(actions) = template.items(&properties.get(actions_key), 0) {
                    for action in actions {
                        target_groups.extend(template.link_at(&action.get("TargetGroupArn")));
                        if let Value::Known(groups) =
                            template.items(&action.get("ForwardConfig").get("TargetGroups"), 0)
                        {
                            for group in groups {
                                target_groups
                                    .extend(template.link_at(&group.get("TargetGroupArn")));
                            }
                        }
                    }
                }
                stack.listeners.push(Listener {
                    parent: template.link_at(&properties.get(parent_key)),
                    is_rule,
                    port: template.number(&properties.get("Port")),
                    target_groups,
                    at: here,
                });
            }
            "AWS::ElasticLoadBalancingV2::TargetGroup" => stack.target_groups.push(here),
            "AWS::EC2::Subnet" => stack.subnets.push(Subnet {
                map_public_ip_on_launch: template.boolean(&properties.get("MapPublicIpOnLaunch")),
                at: here,
            }),
            "AWS::IAM::Role" => {
                let mut inline = Vec::new();
                if let Value::Known(policies) = template.items(&properties.get("Policies"), 0) {
                    for policy in policies {
                        let document = policy.get("PolicyDocument");
                        inline.push(Policy {
                            at: here.clone(),
                            origin: template.origin(&policy),
                            roles: Vec::new(),
                            document: template.policy_document(&document),
                            managed: None,
                        });
                    }
                }
                stack.roles.push(Role {
                    managed_policies: template.links(&properties.get("ManagedPolicyArns")),
                    inline,
                    at: here,
                });
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let roles = match template.links(&properties.get("Roles")) {
                    Value::Known(roles) => roles,
                    _ => Vec::new(),
                };
                stack.policies.push(Policy {
                    origin: here.origin.clone(),
                    roles,
                    document: template.policy_document(&properties.get("PolicyDocument")),
                    managed: None,
                    at: here,
                });
            }
            "AWS::ECS::Service" => {
                let vpc = properties
                    .get("NetworkConfiguration")
                    .get("AwsvpcConfiguration");
                let target_groups = match template.items(&properties.get("LoadBalancers"), 0) {
                    Value::Known(items) => Value::Known(
                        items
                            .iter()
                            .filter_map(|lb| template.link_at(&lb.get("TargetGroupArn")))
                            .collect(),
                    ),
                    Value::Absent => Value::Absent,
                    Value::Unknown(why) => Value::Unknown(why),
                    Value::Invalid(why) => Value::Invalid(why),
                };
                stack.services.push(ServiceLinks {
                    file: document.file.clone(),
                    id: id.clone(),
                    security_groups: template.links(&vpc.get("SecurityGroups")),
                    subnets: template.links(&vpc.get("Subnets")),
                    target_groups,
                    task_definition: template.link_at(&properties.get("TaskDefinition")),
                });
            }
            "AWS::ECS::TaskDefinition" => stack.task_definitions.push(TaskDefinitionLinks {
                file: document.file.clone(),
                id: id.clone(),
                task_role: template.link_at(&properties.get("TaskRoleArn")),
                execution_role: template.link_at(&properties.get("ExecutionRoleArn")),
            }),
            _ => {}
        }
        if template.budget.exhausted() {
            break;
        }
    }
    template
        .budget
        .check("resolving its intrinsic functions (Ref, Fn::Sub, Fn::If, conditions)")?;
    Ok(stack)
}

// ---------------------------------------------------------------------------------------------
// Terraform

/// One managed resource of a plan or state.
struct TfResource<'a> {
    /// The address without instance keys: what configuration references name.
    id: String,
    address: String,
    kind: String,
    values: &'a J,
    unknown: Option<&'a J>,
    pointer: String,
    expressions: Option<&'a J>,
    /// The module calls it sits in (`["ecs", "service"]`), for its references.
    modules: Vec<String>,
}

/// `module.a[0].aws_x.b["k"]` → `module.a.aws_x.b`.
fn without_keys(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A module output as followed: the module calls leading to it, its name, and the depth.
type OutputKey = (Vec<String>, String, usize);

struct Plan<'a> {
    document: &'a Document,
    root: &'a J,
    budget: Budget,
    /// The targets of each module output already followed (module calls, output, depth): a
    /// module output is followed once, however many references name it.
    outputs: std::cell::RefCell<std::collections::HashMap<OutputKey, Vec<String>>>,
}

impl<'a> Plan<'a> {
    fn resources(&self) -> Vec<TfResource<'a>> {
        let mut out = Vec::new();
        if self
            .root
            .get("resource_changes")
            .and_then(J::as_array)
            .is_some()
        {
            let configs = super::terraform::Configs::new(self.root);
            for (i, change, after) in super::terraform::planned_resources(self.root) {
                let address = change
                    .get("address")
                    .and_then(J::as_str)
                    .unwrap_or_default();
                let modules = change
                    .get("module_address")
                    .and_then(J::as_str)
                    .map(super::terraform::module_calls)
                    .unwrap_or_default();
                out.push(TfResource {
                    id: without_keys(address),
                    address: address.to_string(),
                    kind: change
                        .get("type")
                        .and_then(J::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    values: after,
                    unknown: change.pointer("/change/after_unknown"),
                    pointer: format!("/resource_changes/{i}/change/after"),
                    expressions: configs.config(change).map(|c| c.expressions),
                    modules,
                });
            }
        } else {
            for top in ["planned_values", "values"] {
                if let Some(module) = self.root.get(top).and_then(|v| v.get("root_module")) {
                    collect(module, &format!("/{top}/root_module"), 0, &mut out);
                    break;
                }
            }
        }
        out
    }

    /// The configuration of the module reached through `calls`.
    fn module(&self, calls: &[String]) -> Option<&'a J> {
        let mut module = self.root.get("configuration")?.get("root_module")?;
        for call in calls {
            module = module.get("module_calls")?.get(call)?.get("module")?;
        }
        Some(module)
    }

    /// The resources a list of configuration references names, following module outputs
    /// (`module.sg.security_group_id`) into the module, to a bounded depth.
    fn targets(&self, references: &J, modules: &[String], depth: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let Some(references) = references.as_array() else {
            return out;
        };
        for reference in references.iter().filter_map(J::as_str) {
            if !self.budget.spend(1) {
                break;
            }
            let plain = without_keys(reference);
            let parts: Vec<&str> = plain.split('.').collect();
            let prefix: String = modules.iter().map(|m| format!("module.{m}.")).collect();
            let found = match parts.as_slice() {
                ["module", call, output, ..] if depth < MAX_DEPTH => {
                    let mut inner = modules.to_vec();
                    inner.push(call.to_string());
                    let key = (inner, output.to_string(), depth);
                    let known = self.outputs.borrow().get(&key).cloned();
                    match known {
                        Some(targets) => targets,
                        None => {
                            let targets = self
                                .module(&key.0)
                                .and_then(|m| {
                                    m.pointer(&format!(
                                        "/outputs/{}/expression/references",
                                        escape(output)
                                    ))
                                })
                                .map(|refs| self.targets(refs, &key.0, depth + 1))
                                .unwrap_or_default();
                            self.outputs.borrow_mut().insert(key, targets.clone());
                            targets
                        }
                    }
                }
                ["data", kind, name, ..] => vec![format!("{prefix}data.{kind}.{name}")],
                [kind, name, ..] if kind.starts_with("aws_") => {
                    vec![format!("{prefix}{kind}.{name}")]
                }
                _ => Vec::new(),
            };
            if !self.budget.spend(found.len()) {
                break;
            }
            for target in found {
                if seen.insert(target.clone()) {
                    out.push(target);
                }
            }
        }
        out
    }
}

fn collect<'a>(module: &'a J, pointer: &str, depth: usize, out: &mut Vec<TfResource<'a>>) {
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
            let Some(values) = resource.get("values").filter(|v| v.is_object()) else {
                continue;
            };
            let address = resource
                .get("address")
                .and_then(J::as_str)
                .unwrap_or_default();
            out.push(TfResource {
                id: without_keys(address),
                address: address.to_string(),
                kind: resource
                    .get("type")
                    .and_then(J::as_str)
                    .unwrap_or_default()
                    .to_string(),
                values,
                unknown: None,
                pointer: format!("{pointer}/resources/{i}/values"),
                expressions: None,
                modules: Vec::new(),
            });
        }
    }
    if depth < MAX_DEPTH
        && let Some(children) = module.get("child_modules").and_then(J::as_array)
    {
        for (i, child) in children.iter().enumerate() {
            collect(
                child,
                &format!("{pointer}/child_modules/{i}"),
                depth + 1,
                out,
            );
        }
    }
}

/// A path into a resource's values, expressions and `after_unknown` at once.
#[derive(Clone)]
struct Tf<'a> {
    value: Option<&'a J>,
    unknown: Option<&'a J>,
    expression: Option<&'a J>,
    pointer: String,
    path: String,
}

impl<'a> Tf<'a> {
    fn root(resource: &TfResource<'a>) -> Tf<'a> {
        Tf {
            value: Some(resource.values),
            unknown: resource.unknown,
            expression: resource.expressions,
            pointer: resource.pointer.clone(),
            path: format!("{}:", resource.address),
        }
    }

    fn get(&self, key: &str) -> Tf<'a> {
        Tf {
            value: self.value.and_then(|v| v.get(key)),
            unknown: self.unknown.and_then(|v| v.get(key)),
            expression: self.expression.and_then(|v| v.get(key)),
            pointer: format!("{}/{}", self.pointer, escape(key)),
            path: if self.path.ends_with(':') {
                format!("{} {key}", self.path)
            } else {
                format!("{}.{key}", self.path)
            },
        }
    }

    fn at(&self, index: usize) -> Tf<'a> {
        Tf {
            value: self.value.and_then(|v| v.get(index)),
            unknown: self.unknown.and_then(|v| v.get(index)),
            expression: self.expression.and_then(|v| v.get(index)),
            pointer: format!("{}/{index}", self.pointer),
            path: format!("{}[{index}]", self.path),
        }
    }

    fn is_unknown(&self) -> bool {
        self.unknown == Some(&J::Bool(true))
    }

    /// Blocks (`ingress`, `load_balancer`): as many as the values or the configuration list.
    fn blocks(&self) -> Vec<Tf<'a>> {
        let count = self
            .value
            .and_then(J::as_array)
            .map(Vec::len)
            .unwrap_or(0)
            .max(
                self.expression
                    .and_then(J::as_array)
                    .map(Vec::len)
                    .unwrap_or(0),
            );
        (0..count).map(|i| self.at(i)).collect()
    }

    fn scalar(&self) -> Value<String> {
        if self.is_unknown() {
            return Value::Unknown("unknown until apply".into());
        }
        match self.value {
            None | Some(J::Null) => Value::Absent,
            Some(J::String(s)) if s.is_empty() => Value::Absent,
            Some(J::String(s)) => Value::Known(s.clone()),
            Some(J::Number(n)) => Value::Known(n.to_string()),
            Some(J::Bool(b)) => Value::Known(b.to_string()),
            Some(other) => Value::Invalid(format!("expected a scalar, found {other}")),
        }
    }

    fn number(&self) -> Value<i64> {
        match self.scalar() {
            Value::Known(s) => s
                .parse()
                .map(Value::Known)
                .unwrap_or(Value::Invalid(format!("{s:?} is not a number"))),
            Value::Absent => Value::Absent,
            Value::Unknown(why) => Value::Unknown(why),
            Value::Invalid(why) => Value::Invalid(why),
        }
    }

    fn strings(&self) -> Value<Vec<String>> {
        if self.is_unknown() {
            return Value::Unknown("unknown until apply".into());
        }
        match self.value {
            None | Some(J::Null) => Value::Absent,
            Some(J::Array(items)) => {
                let unknown = self
                    .unknown
                    .and_then(J::as_array)
                    .is_some_and(|u| u.iter().any(|v| v == &J::Bool(true)));
                if unknown {
                    return Value::Unknown("an element is unknown until apply".into());
                }
                Value::Known(
                    items
                        .iter()
                        .filter_map(J::as_str)
                        .map(str::to_string)
                        .collect(),
                )
            }
            Some(J::String(s)) => Value::Known(vec![s.clone()]),
            Some(other) => Value::Invalid(format!("expected a list, found {other}")),
        }
    }

    fn origin(&self, document: &Document) -> Origin {
        origin(document, &self.pointer, &self.path)
    }
}

impl Plan<'_> {
    /// Links from a string or list attribute: the planned values when known, else the
    /// resources the configuration references.
    fn links(&self, resource: &TfResource, here: &Tf) -> Links {
        let origin = here.origin(self.document);
        match here.strings() {
            Value::Known(values) if !values.is_empty() => {
                return Value::Known(
                    values
                        .into_iter()
                        .map(|v| LinkAt {
                            link: Link::Literal(v),
                            origin: origin.clone(),
                        })
                        .collect(),
                );
            }
            Value::Known(_) | Value::Absent
                if here
                    .expression
                    .is_none_or(|e| e.get("references").is_none()) =>
            {
                return Value::Absent;
            }
            _ => {}
        }
        let targets = here
            .expression
            .and_then(|e| e.get("references"))
            .map(|refs| self.targets(refs, &resource.modules, 0))
            .unwrap_or_default();
        if targets.is_empty() {
            return Value::Unknown(format!(
                "{} is unknown until apply and the plan's configuration names no resource for it",
                here.path
            ));
        }
        Value::Known(
            targets
                .into_iter()
                .map(|t| LinkAt {
                    link: Link::Resource(t),
                    origin: origin.clone(),
                })
                .collect(),
        )
    }

    fn link(&self, resource: &TfResource, here: &Tf) -> Option<LinkAt> {
        let origin = here.origin(self.document);
        match self.links(resource, here) {
            Value::Known(mut links) if !links.is_empty() => Some(links.remove(0)),
            Value::Unknown(why) => Some(LinkAt {
                link: Link::Unknown(why),
                origin,
            }),
            _ => None,
        }
    }

    /// A policy attribute (a JSON string): parsed when known, else the statements of the
    /// `aws_iam_policy_document` data source the configuration references.
    fn policy_document(&self, resource: &TfResource, here: &Tf) -> PolicyDocument {
        let origin = here.origin(self.document);
        if let Value::Known(text) = here.scalar() {
            return match serde_json::from_str::<J>(&text) {
                Ok(parsed) => statements_of(&parsed, origin),
                Err(e) => Value::Invalid(format!("policy is not JSON: {e}")),
            };
        }
        let targets = here
            .expression
            .and_then(|e| e.get("references"))
            .map(|refs| self.targets(refs, &resource.modules, 0))
            .unwrap_or_default();
        for target in &targets {
            if let Some(document) = self.policy_data(target) {
                return document;
            }
        }
        match here.scalar() {
            Value::Absent => Value::Absent,
            _ => Value::Unknown(format!("{} is unknown until apply", here.path)),
        }
    }

    /// An `aws_iam_policy_document` data source: its `json` read during the plan
    /// (`prior_state`), else its `statement` blocks in the configuration when constant.
    fn policy_data(&self, address: &str) -> Option<PolicyDocument> {
        let (modules, local) = split_module(address);
        let name = local.strip_prefix("data.aws_iam_policy_document.")?;
        if let Some(resources) = self
            .root
            .pointer("/prior_state/values/root_module/resources")
            .and_then(J::as_array)
            && let Some((i, data)) = resources.iter().enumerate().find(|(_, r)| {
                r.get("address")
                    .and_then(J::as_str)
                    .map(without_keys)
                    .as_deref()
                    == Some(address)
            })
            && let Some(json) = data.pointer("/values/json").and_then(J::as_str)
            && let Ok(parsed) = serde_json::from_str::<J>(json)
        {
            let pointer = format!("/prior_state/values/root_module/resources/{i}/values/json");
            return Some(statements_of(
                &parsed,
                origin(self.document, &pointer, &format!("{address}: json")),
            ));
        }
        let module = self.module(&modules)?;
        let resources = module.get("resources")?.as_array()?;
        let data = resources.iter().find(|r| {
            r.get("mode").and_then(J::as_str) == Some("data")
                && r.get("type").and_then(J::as_str) == Some("aws_iam_policy_document")
                && r.get("name").and_then(J::as_str) == Some(name)
        })?;
        let statements = data.pointer("/expressions/statement")?.as_array()?;
        let constant = |s: &J, key: &str| -> Value<Vec<String>> {
            match s.get(key) {
                None => Value::Absent,
                Some(e) => match e.get("constant_value") {
                    Some(J::Array(items)) => Value::Known(
                        items
                            .iter()
                            .filter_map(J::as_str)
                            .map(str::to_string)
                            .collect(),
                    ),
                    Some(J::String(v)) => Value::Known(vec![v.clone()]),
                    _ => Value::Unknown(format!("{address}: statement {key} is not a constant")),
                },
            }
        };
        let origin = origin(
            self.document,
            "/configuration",
            &format!("{address}: statement"),
        );
        Some(Value::Known(
            statements
                .iter()
                .map(|s| Statement {
                    origin: origin.clone(),
                    // `effect` defaults to Allow in aws_iam_policy_document.
                    effect: match constant(s, "effect") {
                        Value::Known(v) => Value::Known(v.first().cloned().unwrap_or_default()),
                        Value::Absent => Value::Known("Allow".into()),
                        Value::Unknown(why) => Value::Unknown(why),
                        Value::Invalid(why) => Value::Invalid(why),
                    },
                    actions: constant(s, "actions"),
                    resources: constant(s, "resources"),
                })
                .collect(),
        ))
    }
}

/// `module.a.module.b.data.x.y` → (`["a", "b"]`, `data.x.y`).
fn split_module(address: &str) -> (Vec<String>, &str) {
    let mut modules = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let Some((call, tail)) = after.split_once('.') else {
            break;
        };
        modules.push(call.to_string());
        rest = tail;
    }
    (modules, rest)
}

/// The stack resources of `terraform show -json` output.
pub(crate) fn terraform(document: &Document, limits: &Limits) -> Result<Stack, LimitExceeded> {
    let plan = Plan {
        document,
        root: &document.value,
        budget: Budget::new(limits),
        outputs: Default::default(),
    };
    let mut stack = Stack::default();
    for resource in plan.resources() {
        let report_kind = match resource.kind.as_str() {
            "aws_security_group"
            | "aws_security_group_rule"
            | "aws_vpc_security_group_ingress_rule" => "AwsEc2SecurityGroup",
            "aws_lb" | "aws_alb" => "AwsElbv2LoadBalancer",
            "aws_lb_listener"
            | "aws_alb_listener"
            | "aws_lb_listener_rule"
            | "aws_alb_listener_rule"
            | "aws_lb_target_group"
            | "aws_alb_target_group" => "Other",
            "aws_subnet" => "AwsEc2Subnet",
            "aws_iam_role" => "AwsIamRole",
            "aws_iam_role_policy" | "aws_iam_policy" | "aws_iam_role_policy_attachment" => {
                "AwsIamPolicy"
            }
            "aws_ecs_service" | "aws_ecs_task_definition" => "",
            _ => continue,
        };
        let root = Tf::root(&resource);
        let mut here = at(
            document,
            report_kind,
            &resource.id,
            &resource.pointer,
            &resource.address,
        );
        here.resource.name = resource.address.clone();
        for key in ["id", "arn", "name"] {
            if let Value::Known(v) = root.get(key).scalar() {
                here.known_as.push(v);
            }
        }
        let rule = |r: &Tf, group: Option<LinkAt>, v4: &str, v6: &str, protocol: &str| {
            let mut cidrs = Vec::new();
            for key in [v4, v6] {
                match r.get(key).strings() {
                    Value::Known(values) => cidrs.extend(values.into_iter().map(Value::Known)),
                    Value::Unknown(why) => cidrs.push(Value::Unknown(why)),
                    _ => {}
                }
            }
            IngressRule {
                at: here.clone(),
                origin: r.origin(document),
                group,
                cidrs,
                protocol: r.get(protocol).scalar(),
                from_port: r.get("from_port").number(),
                to_port: r.get("to_port").number(),
            }
        };
        match resource.kind.as_str() {
            "aws_security_group" => {
                let ingress = root
                    .get("ingress")
                    .blocks()
                    .iter()
                    .map(|r| rule(r, None, "cidr_blocks", "ipv6_cidr_blocks", "protocol"))
                    .collect();
                stack
                    .security_groups
                    .push(SecurityGroup { at: here, ingress });
            }
            "aws_security_group_rule" => {
                if root.get("type").scalar() != Value::Known("ingress".into()) {
                    continue;
                }
                let group = plan.link(&resource, &root.get("security_group_id"));
                let rule = rule(&root, group, "cidr_blocks", "ipv6_cidr_blocks", "protocol");
                stack.ingress_rules.push(rule);
            }
            "aws_vpc_security_group_ingress_rule" => {
                let group = plan.link(&resource, &root.get("security_group_id"));
                let rule = rule(&root, group, "cidr_ipv4", "cidr_ipv6", "ip_protocol");
                stack.ingress_rules.push(rule);
            }
            "aws_lb" | "aws_alb" => {
                let internal = root.get("internal");
                stack.load_balancers.push(LoadBalancer {
                    internet_facing: match internal.scalar() {
                        Value::Known(v) => Value::Known(v != "true"),
                        // `internal` defaults to false: internet-facing.
                        Value::Absent => Value::Known(true),
                        Value::Unknown(why) => Value::Unknown(why),
                        Value::Invalid(why) => Value::Invalid(why),
                    },
                    scheme_origin: internal.origin(document),
                    at: here,
                });
            }
            "aws_lb_listener"
            | "aws_alb_listener"
            | "aws_lb_listener_rule"
            | "aws_alb_listener_rule" => {
                let is_rule = resource.kind.ends_with("_rule");
                let (parent, actions) = if is_rule {
                    ("listener_arn", "action")
                } else {
                    ("load_balancer_arn", "default_action")
                };
                let mut target_groups = Vec::new();
                for action in root.get(actions).blocks() {
                    target_groups.extend(plan.link(&resource, &action.get("target_group_arn")));
                    for forward in action.get("forward").blocks() {
                        for group in forward.get("target_group").blocks() {
                            target_groups.extend(plan.link(&resource, &group.get("arn")));
                        }
                    }
                }
                stack.listeners.push(Listener {
                    parent: plan.link(&resource, &root.get(parent)),
                    is_rule,
                    port: root.get("port").number(),
                    target_groups,
                    at: here,
                });
            }
            "aws_lb_target_group" | "aws_alb_target_group" => stack.target_groups.push(here),
            "aws_subnet" => {
                let map = root.get("map_public_ip_on_launch");
                stack.subnets.push(Subnet {
                    map_public_ip_on_launch: match map.scalar() {
                        Value::Known(v) => Value::Known(v == "true"),
                        Value::Absent => Value::Known(false),
                        Value::Unknown(why) => Value::Unknown(why),
                        Value::Invalid(why) => Value::Invalid(why),
                    },
                    at: here,
                });
            }
            "aws_iam_role" => {
                let inline = root
                    .get("inline_policy")
                    .blocks()
                    .iter()
                    .map(|block| Policy {
                        at: here.clone(),
                        origin: block.origin(document),
                        roles: Vec::new(),
                        document: plan.policy_document(&resource, &block.get("policy")),
                        managed: None,
                    })
                    .collect();
                stack.roles.push(Role {
                    managed_policies: plan.links(&resource, &root.get("managed_policy_arns")),
                    inline,
                    at: here,
                });
            }
            "aws_iam_role_policy" | "aws_iam_policy" | "aws_iam_role_policy_attachment" => {
                let attachment = resource.kind == "aws_iam_role_policy_attachment";
                stack.policies.push(Policy {
                    origin: here.origin.clone(),
                    roles: plan
                        .link(&resource, &root.get("role"))
                        .into_iter()
                        .collect(),
                    document: if attachment {
                        Value::Absent
                    } else {
                        plan.policy_document(&resource, &root.get("policy"))
                    },
                    managed: if attachment {
                        plan.link(&resource, &root.get("policy_arn"))
                    } else {
                        None
                    },
                    at: here,
                });
            }
            "aws_ecs_service" => {
                let network = root.get("network_configuration").at(0);
                let blocks = root.get("load_balancer").blocks();
                let target_groups = if blocks.is_empty() {
                    Value::Absent
                } else {
                    Value::Known(
                        blocks
                            .iter()
                            .filter_map(|b| plan.link(&resource, &b.get("target_group_arn")))
                            .collect(),
                    )
                };
                stack.services.push(ServiceLinks {
                    file: document.file.clone(),
                    id: resource.address.clone(),
                    security_groups: plan.links(&resource, &network.get("security_groups")),
                    subnets: plan.links(&resource, &network.get("subnets")),
                    target_groups,
                    task_definition: plan.link(&resource, &root.get("task_definition")),
                });
            }
            "aws_ecs_task_definition" => stack.task_definitions.push(TaskDefinitionLinks {
                file: document.file.clone(),
                id: resource.address.clone(),
                task_role: plan.link(&resource, &root.get("task_role_arn")),
                execution_role: plan.link(&resource, &root.get("execution_role_arn")),
            }),
            _ => {}
        }
    }
    plan.budget
        .check("following its module outputs' references")?;
    Ok(stack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ecs::tree::LineIndex;

    fn document(value: J) -> Document {
        let text = value.to_string();
        Document {
            file: "t.json".into(),
            lines: LineIndex::json(&text),
            value,
            yaml: false,
            notes: Vec::new(),
        }
    }

    /// `Fn::Sub` naming its variable `fan_out` times, whose value is the same again, `levels`
    /// deep, ending in `x`: `fan_out ^ levels` copies of `x`.
    fn fanning_sub(fan_out: usize, levels: usize) -> J {
        (0..levels).fold(
            J::from("x"),
            |inner, _| serde_json::json!({"Fn::Sub": ["${a}".repeat(fan_out), {"a": inner}]}),
        )
    }

    fn template(cidr: J) -> Document {
        document(serde_json::json!({"Resources": {"Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"SecurityGroupIngress": [{"IpProtocol": "tcp", "CidrIp": cidr}]}
        }}}))
    }

    #[test]
    fn fn_sub_fanning_out_resolves_until_resolve_steps_runs_out() {
        let limits = Limits::default();
        let stack = cloudformation(&template(fanning_sub(10, 3)), &limits).unwrap();
        let cidr = &stack.security_groups[0].ingress[0].cidrs[0];
        assert_eq!(cidr, &Value::Known("x".repeat(1000)));
        // 10^15 steps from a kilobyte: refused by the limit, not resolved for ever.
        let error = cloudformation(&template(fanning_sub(10, 15)), &limits).unwrap_err();
        assert_eq!(error.limit, "resolve-steps");
        // A parameter split into list items by every property naming it counts too.
        let many = Limits {
            resolve_steps: 1000,
            ..Limits::default()
        };
        let big = document(serde_json::json!({
            "Parameters": {"Groups": {"Type": "CommaDelimitedList", "Default": "sg-1,".repeat(500)}},
            "Resources": {"Svc": {"Type": "AWS::ECS::Service", "Properties": {
                "NetworkConfiguration": {"AwsvpcConfiguration": {"SecurityGroups": {"Ref": "Groups"}}}
            }}}
        }));
        assert_eq!(
            cloudformation(&big, &many).unwrap_err().limit,
            "resolve-steps"
        );
    }

    #[test]
    fn module_outputs_named_many_times_are_followed_once() {
        // Module `n` inside module `n`..., 15 deep; each output names the next module's output
        // ten times: 10^15 paths to the one security group at the bottom.
        let levels = 15;
        let mut module = serde_json::json!({
            "resources": [{"address": "aws_security_group.sg", "mode": "managed",
                           "type": "aws_security_group", "name": "sg", "expressions": {}}],
            "outputs": {"o": {"expression": {"references": ["aws_security_group.sg.id"]}}}
        });
        for _ in 1..levels {
            module = serde_json::json!({
                "module_calls": {"n": {"source": "./n", "module": module}},
                "outputs": {"o": {"expression": {"references": vec!["module.n.o"; 10]}}}
            });
        }
        let plan = document(serde_json::json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": "aws_security_group_rule.r", "mode": "managed",
                "type": "aws_security_group_rule", "name": "r",
                "change": {"actions": ["create"],
                           "after": {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"]},
                           "after_unknown": {"security_group_id": true}}
            }],
            "configuration": {"root_module": {
                "resources": [{"address": "aws_security_group_rule.r", "mode": "managed",
                               "type": "aws_security_group_rule", "name": "r",
                               "expressions": {"security_group_id":
                                   {"references": vec!["module.n.o"; 10]}}}],
                "module_calls": {"n": {"source": "./n", "module": module}}
            }}
        }));
        let stack = terraform(&plan, &Limits::default()).unwrap();
        let group = stack.ingress_rules[0].group.as_ref().unwrap();
        let expected = format!("{}aws_security_group.sg", "module.n.".repeat(levels));
        assert_eq!(group.link, Link::Resource(expected));
    }
}
