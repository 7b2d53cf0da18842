//! Terraform configuration (`.tf`, HCL), read statically as checkov does: every `resource` block
//! becomes a planned resource in the shape `terraform show -json` writes (attributes by name,
//! nested blocks as lists of objects), so [`super::terraform`] reads it like a plan, with each
//! value's line in the `.tf` file.
//!
//! Only what the file itself says is known: literals, `jsonencode(...)` of them, heredoc JSON,
//! `local.*` defined in the same file, `concat`/`merge`/`to*` of known values, and a conditional
//! whose condition is known or whose branches agree. Everything Terraform decides when it runs
//! (`var.*`, other resources' attributes, `each`/`count`, `file()`, other functions, `for`
//! expressions) is unknown, so a control that reads it is INDETERMINATE, never PASSED. No other
//! file is opened (`file("task.json")` stays unknown) and modules are not followed (a note names
//! them).
//!
//! HCL is parsed with `hcl-edit` rather than `hcl-rs`' `Body`, because only `hcl-edit` keeps each
//! expression's position, which gives every finding its line.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Element, Template};
use serde_json::{Map, Value as J};

use super::tree::{LineIndex, UNKNOWN_KEY, escape};
use super::{Document, EcsLoadError};
use crate::limits::Limits;

/// How many `local.*` references may be followed inside one another (a chain longer than this,
/// or a cycle, is unknown).
const MAX_LOCAL_DEPTH: usize = 32;

/// Parses `text` as a Terraform configuration into a plan-shaped document.
pub(crate) fn parse(file: &str, text: &str, limits: &Limits) -> Result<Document, EcsLoadError> {
    // hcl-edit's parser recurses on nesting, parentheses and template interpolations included;
    // the caller's nesting check counts only brackets and braces.
    limits
        .check("nesting-depth", hcl_depth(text), || {
            "its nesting of blocks, brackets and parentheses".into()
        })
        .map_err(|error| EcsLoadError::Limit {
            file: file.to_string(),
            error,
        })?;
    let body = hcl_edit::parser::parse_body(text).map_err(|error| EcsLoadError::Hcl {
        file: file.to_string(),
        line: error.location().line(),
        column: error.location().column(),
        message: crate::excerpt::excerpt(error.message(), crate::excerpt::EXCERPT_CHARS),
    })?;
    let reader = Reader {
        file,
        max_values: limits.get("yaml-values").unwrap_or(u64::MAX),
        text,
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect(),
        locals: locals(&body),
        lines: Default::default(),
        values_left: Cell::new(limits.get("yaml-values").unwrap_or(u64::MAX)),
        computed: Default::default(),
    };
    let mut changes = Vec::new();
    let mut configuration = Vec::new();
    let mut notes = Vec::new();
    for block in body.iter().filter_map(Structure::as_block) {
        match (block.ident.as_str(), block.labels.as_slice()) {
            ("resource", [kind, name]) => {
                let (kind, name) = (kind.as_str(), name.as_str());
                let address = format!("{kind}.{name}");
                if let Some(count) = block.body.get_attribute("count")
                    && matches!(&count.value, Expression::Number(n) if n.as_u64() == Some(0))
                {
                    continue;
                }
                if let Some(meta) = ["count", "for_each"]
                    .into_iter()
                    .find(|m| block.body.get_attribute(m).is_some())
                    && kind.starts_with("aws_ecs_")
                {
                    notes.push(format!(
                        "{file}: {address} is made once per {meta} value; read once, as written"
                    ));
                }
                let pointer = format!("/resource_changes/{}/change/after", changes.len());
                reader.line(&pointer, block.span());
                let (after, after_unknown, expressions) = reader.body(&block.body, &pointer)?;
                changes.push(serde_json::json!({
                    "address": address,
                    "mode": "managed",
                    "type": kind,
                    "name": name,
                    "change": {"actions": ["create"], "after": after, "after_unknown": after_unknown},
                }));
                configuration.push(serde_json::json!({
                    "address": address,
                    "mode": "managed",
                    "type": kind,
                    "name": name,
                    "expressions": expressions,
                }));
            }
            ("module", [name]) => {
                let name = name.as_str();
                let source = block
                    .body
                    .get_attribute("source")
                    .and_then(|s| s.value.as_str())
                    .unwrap_or("?");
                notes.push(format!(
                    "{file}: module {name} ({source}) is not followed: pass its own .tf files, or \
                     the plan (`terraform show -json`)"
                ));
            }
            _ => {}
        }
    }
    let ecs = changes.iter().any(|c| {
        c["type"]
            .as_str()
            .is_some_and(|kind| kind.starts_with("aws_ecs_"))
    });
    if !ecs {
        let modules: Vec<&str> = notes
            .iter()
            .filter_map(|n| n.split("module ").nth(1)?.split(' ').next())
            .collect();
        let followed = if modules.is_empty() {
            String::new()
        } else {
            format!(
                "; its modules ({}) are not followed: pass their .tf files, or the plan \
                 (`terraform show -json`)",
                modules.join(", ")
            )
        };
        return Err(EcsLoadError::Format {
            file: file.to_string(),
            message: format!(
                "the Terraform file has no aws_ecs_task_definition, aws_ecs_service, \
                 aws_ecs_task_set, aws_ecs_cluster or aws_ecs_capacity_provider resource{followed}"
            ),
        });
    }
    let lines = LineIndex::from_lines(reader.lines.take());
    Ok(Document {
        file: file.to_string(),
        value: serde_json::json!({
            "format_version": "1.2",
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": configuration}},
        }),
        lines,
        yaml: false,
        notes,
    })
}

/// The deepest nesting of `(`, `[`, `{` (template interpolations open a brace), counted
/// everywhere: inside strings it can only overcount, which errs on the side of refusing.
fn hcl_depth(text: &str) -> u64 {
    let (mut open, mut deepest) = (0u64, 0u64);
    for byte in text.bytes() {
        match byte {
            b'(' | b'[' | b'{' => {
                open += 1;
                deepest = deepest.max(open);
            }
            b')' | b']' | b'}' => open = open.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A value with its unknown markers replaced by `null`, and its `after_unknown` mirror: `true`
/// for a marker, an object or array of the members that hold one, `false` when none does.
/// Recursion follows the value's nesting, which the expression's bounds.
fn split_unknowns(value: J) -> (J, J) {
    match value {
        value if is_unknown(&value) => (J::Null, J::Bool(true)),
        J::Array(items) => {
            let (items, unknowns): (Vec<J>, Vec<J>) = items.into_iter().map(split_unknowns).unzip();
            let any = unknowns.iter().any(|u| u != &J::Bool(false));
            (
                J::Array(items),
                if any {
                    J::Array(unknowns)
                } else {
                    J::Bool(false)
                },
            )
        }
        J::Object(map) => {
            let mut known = Map::new();
            let mut unknown = Map::new();
            for (key, value) in map {
                let (k, u) = split_unknowns(value);
                if u != J::Bool(false) {
                    unknown.insert(key.clone(), u);
                }
                known.insert(key, k);
            }
            let mirror = if unknown.is_empty() {
                J::Bool(false)
            } else {
                J::Object(unknown)
            };
            (J::Object(known), mirror)
        }
        other => (other, J::Bool(false)),
    }
}

/// What an expression refers to, as a plan's configuration lists it: `aws_security_group.web.id`
/// and `aws_security_group.web` for a resource attribute, `var.x`, `local.y`.
fn references(expression: &Expression) -> Vec<String> {
    use hcl_edit::visit::{Visit, visit_traversal};
    struct Collector(Vec<String>);
    impl Visit for Collector {
        fn visit_traversal(&mut self, traversal: &hcl_edit::expr::Traversal) {
            if let Expression::Variable(root) = &traversal.expr {
                let mut path = root.as_str().to_string();
                let mut paths = Vec::new();
                for operator in &traversal.operators {
                    let TraversalOperator::GetAttr(name) = operator.value() else {
                        break;
                    };
                    path = format!("{path}.{}", name.as_str());
                    paths.push(path.clone());
                }
                // `type.name.attribute` then `type.name` (`data.type.name.attribute` then
                // `data.type.name`), as Terraform writes them; `var.x`, `local.y` alone.
                let wanted: Vec<&String> = match root.as_str() {
                    "var" | "local" | "each" | "count" | "path" | "terraform" | "self" => {
                        paths.iter().take(1).collect()
                    }
                    "data" => paths.iter().skip(1).take(2).rev().collect(),
                    _ => paths.iter().take(2).rev().collect(),
                };
                for reference in wanted {
                    if !self.0.contains(reference) {
                        self.0.push(reference.clone());
                    }
                }
            }
            visit_traversal(self, traversal);
        }
    }
    let mut collector = Collector(Vec::new());
    collector.visit_expr(expression);
    collector.0
}

/// `locals { name = expression }` of every `locals` block in the file.
fn locals(body: &Body) -> HashMap<String, &Expression> {
    body.iter()
        .filter_map(Structure::as_block)
        .filter(|block| block.ident.as_str() == "locals" && block.labels.is_empty())
        .flat_map(|block| block.body.iter().filter_map(Structure::as_attribute))
        .map(|attribute| (attribute.key.as_str().to_string(), &attribute.value))
        .collect()
}

struct Reader<'a> {
    file: &'a str,
    max_values: u64,
    text: &'a str,
    line_starts: Vec<usize>,
    locals: HashMap<String, &'a Expression>,
    lines: std::cell::RefCell<HashMap<String, u32>>,
    /// JSON values the document may still hold: `local.*` can copy a value many times.
    values_left: Cell<u64>,
    /// Each local's value once computed (`None` while it is being computed).
    computed: std::cell::RefCell<HashMap<String, Option<J>>>,
}

/// How many JSON values `value` holds (a loop, not recursion).
fn size(value: &J) -> u64 {
    let mut count = 0u64;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        count += 1;
        match value {
            J::Array(items) => pending.extend(items),
            J::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    count
}

/// Why a value is not known, as the unknown marker [`super::tree::Converter`] reads.
fn unknown(why: String) -> J {
    let mut map = Map::new();
    map.insert(UNKNOWN_KEY.into(), J::String(why));
    J::Object(map)
}

fn is_unknown(value: &J) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.contains_key(UNKNOWN_KEY))
}

impl<'a> Reader<'a> {
    fn line(&self, pointer: &str, span: Option<Range<usize>>) {
        if let Some(span) = span {
            let line = self
                .line_starts
                .partition_point(|&start| start <= span.start);
            self.lines
                .borrow_mut()
                .entry(pointer.to_string())
                .or_insert(line as u32);
        }
    }

    /// The source text of an expression, shortened, for "unknown" reasons.
    fn source(&self, span: Option<Range<usize>>) -> String {
        let text = span
            .and_then(|span| self.text.get(span))
            .unwrap_or("an expression");
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        crate::excerpt::excerpt(&one_line, 60)
    }

    fn spend(&self, file_values: u64) -> Result<(), EcsLoadError> {
        match self.values_left.get().checked_sub(file_values) {
            Some(left) => {
                self.values_left.set(left);
                Ok(())
            }
            None => Err(EcsLoadError::Limit {
                file: self.file.to_string(),
                error: crate::limits::LimitExceeded {
                    limit: "yaml-values",
                    max: self.max_values,
                    what: "the values of the configuration, locals expanded".into(),
                },
            }),
        }
    }

    /// A block body as a plan shows it: the planned values (attributes by name, nested blocks as
    /// lists of objects), `after_unknown` (`true` where a value is known only when Terraform runs;
    /// a `dynamic` block is unknown as a whole), and the configuration's `expressions` (each
    /// argument's `references`, which link resources for the exposure checks).
    fn body(&self, body: &'a Body, pointer: &str) -> Result<(J, J, J), EcsLoadError> {
        let mut values = Map::new();
        let mut unknowns = Map::new();
        let mut expressions = Map::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let key = attribute.key.as_str();
                    let here = format!("{pointer}/{}", escape(key));
                    self.line(&here, attribute.span());
                    let value = self.value(&attribute.value, &here, 0)?;
                    let mut expression = Map::new();
                    let references = references(&attribute.value);
                    if !references.is_empty() {
                        expression.insert("references".into(), J::from(references));
                    }
                    if key == "container_definitions" {
                        // A plan holds it as a JSON string, wholly unknown if any part is;
                        // structured, each unknown member stays in place for the converter.
                        values.insert(key.to_string(), value);
                    } else {
                        let (known, unknown) = split_unknowns(value);
                        if unknown != J::Bool(false) {
                            unknowns.insert(key.to_string(), unknown);
                        } else {
                            expression.insert("constant_value".into(), known.clone());
                        }
                        values.insert(key.to_string(), known);
                    }
                    expressions.insert(key.to_string(), J::Object(expression));
                }
                Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                    if let Some(label) = block.labels.first() {
                        unknowns.insert(label.as_str().to_string(), J::Bool(true));
                    }
                }
                Structure::Block(block) => {
                    let key = block.ident.as_str();
                    let index = values.get(key).and_then(J::as_array).map_or(0, Vec::len);
                    let here = format!("{pointer}/{}/{index}", escape(key));
                    self.line(&here, block.span());
                    let (value, unknown, expression) = self.body(&block.body, &here)?;
                    for (map, item) in [
                        (&mut values, value),
                        (&mut unknowns, unknown),
                        (&mut expressions, expression),
                    ] {
                        if let J::Array(list) = map
                            .entry(key.to_string())
                            .or_insert_with(|| J::Array(Vec::new()))
                        {
                            list.push(item);
                        }
                    }
                }
            }
        }
        self.spend(values.len() as u64)?;
        Ok((
            J::Object(values),
            J::Object(unknowns),
            J::Object(expressions),
        ))
    }

    /// One expression's value, or the unknown marker saying why it is not known offline.
    /// Recursion follows the expression's nesting (bounded by `nesting-depth` before parsing)
    /// and `local.*` chains (bounded by [`MAX_LOCAL_DEPTH`]).
    fn value(
        &self,
        expression: &'a Expression,
        pointer: &str,
        locals: usize,
    ) -> Result<J, EcsLoadError> {
        self.line(pointer, expression.span());
        self.spend(1)?;
        let unknown_here =
            |why: &str| unknown(format!("{} ({why})", self.source(expression.span())));
        Ok(match expression {
            Expression::Null(_) => J::Null,
            Expression::Bool(b) => J::Bool(*b.value()),
            Expression::Number(n) => {
                let n = n.value();
                match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => J::from(i),
                    (None, Some(f)) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
                    _ => J::Null,
                }
            }
            Expression::String(s) => J::String(s.value().to_string()),
            Expression::Array(array) => J::Array(
                array
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.value(item, &format!("{pointer}/{i}"), locals))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Object(object) => {
                let mut map = Map::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(key) => match self.value(key, pointer, locals)? {
                            J::String(s) => s,
                            _ => return Ok(unknown_here("a computed key")),
                        },
                    };
                    let here = format!("{pointer}/{}", escape(&key));
                    let value = self.value(value.expr(), &here, locals)?;
                    map.insert(key, value);
                }
                J::Object(map)
            }
            Expression::StringTemplate(template) => self.template(template, pointer, locals)?,
            Expression::HeredocTemplate(heredoc) => {
                self.template(&heredoc.template, pointer, locals)?
            }
            Expression::Parenthesis(inner) => self.value(inner.inner(), pointer, locals)?,
            Expression::Conditional(conditional) => {
                match self.value(&conditional.cond_expr, pointer, locals)? {
                    J::Bool(true) => self.value(&conditional.true_expr, pointer, locals)?,
                    J::Bool(false) => self.value(&conditional.false_expr, pointer, locals)?,
                    _ => {
                        let a = self.value(&conditional.true_expr, pointer, locals)?;
                        let b = self.value(&conditional.false_expr, pointer, locals)?;
                        if a == b && !is_unknown(&a) {
                            a
                        } else {
                            unknown_here("a condition known when Terraform runs")
                        }
                    }
                }
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                match (name, args.as_slice()) {
                    (
                        "jsonencode" | "tolist" | "toset" | "tomap" | "tostring" | "tonumber"
                        | "tobool",
                        [arg],
                    ) if call.name.namespace.is_empty() => self.value(arg, pointer, locals)?,
                    ("concat", items) if call.name.namespace.is_empty() => {
                        let mut all = Vec::new();
                        for item in items {
                            match self.value(item, pointer, locals)? {
                                J::Array(list) => all.extend(list),
                                _ => return Ok(unknown_here("a list known when Terraform runs")),
                            }
                        }
                        J::Array(all)
                    }
                    ("merge", items) if call.name.namespace.is_empty() => {
                        let mut all = Map::new();
                        for item in items {
                            match self.value(item, pointer, locals)? {
                                J::Object(map) if !map.contains_key(UNKNOWN_KEY) => all.extend(map),
                                _ => return Ok(unknown_here("a map known when Terraform runs")),
                            }
                        }
                        J::Object(all)
                    }
                    ("file" | "templatefile", _) => {
                        unknown_here("harden opens only the files it is given")
                    }
                    _ => unknown_here("a function Terraform evaluates"),
                }
            }
            Expression::Traversal(traversal) => {
                let local = match (&traversal.expr, traversal.operators.as_slice()) {
                    (Expression::Variable(root), [first, ..]) if root.as_str() == "local" => {
                        match first.value() {
                            TraversalOperator::GetAttr(name) => Some(name.as_str()),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match local.and_then(|name| self.locals.get(name).map(|e| (name, *e))) {
                    Some((name, defined)) if locals < MAX_LOCAL_DEPTH => {
                        let value = self.local(name, defined, pointer, locals)?;
                        let rest = &traversal.operators[1..];
                        self.traverse(value, rest, pointer, locals)?
                            .unwrap_or_else(|| unknown_here("known when Terraform runs"))
                    }
                    Some(_) => unknown_here("locals nested too deep"),
                    None => unknown_here("known when Terraform runs"),
                }
            }
            Expression::Variable(_)
            | Expression::UnaryOp(_)
            | Expression::BinaryOp(_)
            | Expression::ForExpr(_) => unknown_here("known when Terraform runs"),
        })
    }

    /// A local's value, computed once; each use after the first costs its size against the
    /// values limit (it is copied), and a local that refers to itself is unknown.
    fn local(
        &self,
        name: &str,
        defined: &'a Expression,
        pointer: &str,
        locals: usize,
    ) -> Result<J, EcsLoadError> {
        let cached = self.computed.borrow().get(name).cloned();
        match cached {
            Some(Some(value)) => {
                self.spend(size(&value))?;
                Ok(value)
            }
            Some(None) => Ok(unknown(format!("local.{name} (refers to itself)"))),
            None => {
                self.computed.borrow_mut().insert(name.to_string(), None);
                let value = self.value(defined, pointer, locals + 1)?;
                self.computed
                    .borrow_mut()
                    .insert(name.to_string(), Some(value.clone()));
                Ok(value)
            }
        }
    }

    /// Attribute and index steps into a known value; `None` when a step cannot be followed.
    fn traverse(
        &self,
        mut value: J,
        operators: &'a [hcl_edit::Decorated<TraversalOperator>],
        pointer: &str,
        locals: usize,
    ) -> Result<Option<J>, EcsLoadError> {
        for operator in operators {
            if is_unknown(&value) {
                return Ok(None);
            }
            value = match operator.value() {
                TraversalOperator::GetAttr(name) => match value {
                    J::Object(mut map) => match map.remove(name.as_str()) {
                        Some(v) => v,
                        None => return Ok(None),
                    },
                    _ => return Ok(None),
                },
                TraversalOperator::Index(index) => {
                    match (value, self.value(index, pointer, locals)?) {
                        (J::Array(mut list), J::Number(n)) => match n.as_u64() {
                            Some(i) if (i as usize) < list.len() => list.swap_remove(i as usize),
                            _ => return Ok(None),
                        },
                        (J::Object(mut map), J::String(key)) => match map.remove(&key) {
                            Some(v) => v,
                            None => return Ok(None),
                        },
                        _ => return Ok(None),
                    }
                }
                TraversalOperator::LegacyIndex(i) => match value {
                    J::Array(mut list) if (*i.value() as usize) < list.len() => {
                        list.swap_remove(*i.value() as usize)
                    }
                    _ => return Ok(None),
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return Ok(None);
                }
            };
        }
        Ok(Some(value))
    }

    /// A template: its text when every part is known (a lone `${x}` keeps `x`'s value), else
    /// unknown.
    fn template(
        &self,
        template: &'a Template,
        pointer: &str,
        locals: usize,
    ) -> Result<J, EcsLoadError> {
        let elements: Vec<&Element> = template.iter().collect();
        if let [Element::Interpolation(only)] = elements.as_slice() {
            return self.value(&only.expr, pointer, locals);
        }
        let mut text = String::new();
        for element in elements {
            match element {
                Element::Literal(literal) => text.push_str(literal.value()),
                Element::Interpolation(interpolation) => {
                    match self.value(&interpolation.expr, pointer, locals)? {
                        J::String(s) => text.push_str(&s),
                        J::Number(n) => text.push_str(&n.to_string()),
                        J::Bool(b) => text.push_str(&b.to_string()),
                        _ => {
                            return Ok(unknown(format!(
                                "{} (known when Terraform runs)",
                                self.source(interpolation.expr.span())
                            )));
                        }
                    }
                }
                Element::Directive(_) => {
                    return Ok(unknown(
                        "a template directive (%{...}) Terraform evaluates".into(),
                    ));
                }
            }
        }
        Ok(J::String(text))
    }
}
