//! The loaders' common intermediate: a JSON-like tree already in the API's camelCase shape, where
//! every node knows its [`Origin`] and CloudFormation intrinsics or Terraform unknowns are
//! [`Node::Unknown`]. Also the cheap line scanners (JSON and block YAML) that give origins a line.
//! Nothing here leaves `load/`.

use std::collections::HashMap;

use crate::model::ecs::Origin;

/// A value in the API shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Doc>),
    Object(Vec<(String, Doc)>),
    /// Cannot be known offline; the string says why (`Fn::Sub`, `Ref Parameter`).
    Unknown(String),
}

/// A node with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub node: Node,
    pub origin: Origin,
}

impl Doc {
    pub fn object(entries: Vec<(String, Doc)>, origin: Origin) -> Doc {
        Doc {
            node: Node::Object(entries),
            origin,
        }
    }

    /// The member `key` of an object.
    pub fn member(&self, key: &str) -> Option<&Doc> {
        match &self.node {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short description of the node's type, for "invalid" messages.
    pub fn type_name(&self) -> String {
        match &self.node {
            Node::Null => "null".into(),
            Node::Bool(b) => format!("the boolean {b}"),
            Node::Int(i) => format!("the number {i}"),
            Node::Float(f) => format!("the number {f}"),
            Node::Str(s) => format!(
                "the string {:?}",
                crate::excerpt::excerpt(s, crate::excerpt::EXCERPT_CHARS)
            ),
            Node::Array(_) => "an array".into(),
            Node::Object(_) => "an object".into(),
            Node::Unknown(why) => format!("an unknown value ({why})"),
        }
    }
}

/// How a source document names paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    /// A JSON pointer: `/taskDefinition/containerDefinitions/0/user`.
    Pointer,
    /// A template path: `Resources/TaskDef/Properties/ContainerDefinitions/0/User`.
    Template,
    /// Terraform attribute syntax: `aws_ecs_task_definition.web: container_definitions[0].user`.
    Terraform,
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A place being converted: the API pointer, the source path, and the key for the line index.
#[derive(Debug, Clone)]
pub struct Place {
    pub api: String,
    pub source: String,
    /// JSON pointer into the source document, for [`LineIndex::line`]; `None` once inside an
    /// embedded document (Terraform's `container_definitions` string), whose line is `frozen_line`.
    pub line_key: Option<String>,
    pub frozen_line: Option<u32>,
}

impl Place {
    pub fn root(api: &str, source: &str, line_key: &str) -> Place {
        Place {
            api: api.to_string(),
            source: source.to_string(),
            line_key: Some(line_key.to_string()),
            frozen_line: None,
        }
    }

    pub fn child(&self, style: PathStyle, api_key: &str, source_key: &str) -> Place {
        let source = match style {
            PathStyle::Pointer => format!("{}/{}", self.source, escape(source_key)),
            PathStyle::Template if self.source.is_empty() => source_key.to_string(),
            PathStyle::Template => format!("{}/{}", self.source, source_key),
            PathStyle::Terraform => match source_key.parse::<usize>() {
                Ok(index) => format!("{}[{index}]", self.source),
                Err(_) => format!("{}.{}", self.source, source_key),
            },
        };
        Place {
            api: format!("{}/{}", self.api, escape(api_key)),
            source,
            line_key: self
                .line_key
                .as_ref()
                .map(|k| format!("{k}/{}", escape(source_key))),
            frozen_line: self.frozen_line,
        }
    }

    /// The branch `index` of an `Fn::If` here: the same API field, written further in the source.
    pub fn branch(&self, style: PathStyle, index: usize) -> Place {
        let inner = self
            .child(style, "Fn::If", "Fn::If")
            .child(style, "", &index.to_string());
        Place {
            api: self.api.clone(),
            ..inner
        }
    }

    pub fn origin(&self, lines: &LineIndex) -> Origin {
        Origin {
            pointer: self.api.clone(),
            source_path: self.source.clone(),
            line: self
                .frozen_line
                .or_else(|| self.line_key.as_ref().and_then(|k| lines.line(k))),
        }
    }
}

/// How a source format's keys map to API keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Already the API's camelCase (register input, describe output, container_definitions).
    Api,
    /// CloudFormation PascalCase, with its quirks (reference §3.3).
    CloudFormation,
}

/// API keys whose values are maps with user-chosen keys, kept verbatim (`awslogs-group`).
const VERBATIM_MAPS: &[&str] = &["options", "dockerLabels", "driverOpts", "labels"];

/// CloudFormation property name → API member name (reference §3.3).
pub fn cloudformation_key(key: &str) -> String {
    match key {
        "EFSVolumeConfiguration" => "efsVolumeConfiguration".into(),
        "FilesystemId" => "fileSystemId".into(),
        "IAM" => "iam".into(),
        "ProxyConfigurationProperties" => "properties".into(),
        "ClusterSettings" => "settings".into(),
        // Service says `AwsvpcConfiguration`, TaskSet `AwsVpcConfiguration` (cfn-lint schemas).
        "AwsvpcConfiguration" | "AwsVpcConfiguration" => "awsvpcConfiguration".into(),
        "PlacementStrategies" => "placementStrategy".into(),
        "FSxWindowsFileServerVolumeConfiguration" => {
            "fsxWindowsFileServerVolumeConfiguration".into()
        }
        _ => {
            let mut chars = key.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// The key of the one-member object a loader writes for a value it knows is unknown offline (a
/// Terraform configuration's `var.x`); its string says why. Read as unknown in every format.
pub const UNKNOWN_KEY: &str = "\u{0}harden:unknown";

/// Converts a parsed document (JSON, or YAML turned into JSON with tags as intrinsics) into a
/// [`Doc`] tree.
pub struct Converter<'a> {
    pub lines: &'a LineIndex,
    pub style: PathStyle,
    pub keys: Keys,
    /// Read `{"Ref": ..}` and `{"Fn::*": ..}` as unknown (CloudFormation, and YAML tags).
    pub intrinsics: bool,
    /// Condition values to assume: an `Fn::If` on one of them is its branch (an `AWS::NoValue`
    /// branch removes the property, or the list item), not unknown.
    pub assumed: Option<&'a HashMap<String, bool>>,
}

impl Converter<'_> {
    pub fn convert(&self, value: &serde_json::Value, place: &Place) -> Doc {
        self.convert_in(value, place, false)
    }

    fn convert_in(&self, value: &serde_json::Value, place: &Place, verbatim_keys: bool) -> Doc {
        use serde_json::Value as J;
        let origin = place.origin(self.lines);
        let node = match value {
            J::Null => Node::Null,
            J::Bool(b) => Node::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Node::Str(s.clone()),
            J::Array(items) => Node::Array(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| !self.removed_item(item))
                    .map(|(i, item)| {
                        let index = i.to_string();
                        self.convert_in(item, &place.child(self.style, &index, &index), false)
                    })
                    .collect(),
            ),
            J::Object(map) if map.len() == 1 && map.contains_key(UNKNOWN_KEY) => {
                Node::Unknown(map[UNKNOWN_KEY].as_str().unwrap_or("unknown").to_string())
            }
            J::Object(map) => {
                if let Some((branch, index)) = self.assumed_branch(map) {
                    let place = place.branch(self.style, index);
                    return self.convert_in(branch, &place, verbatim_keys);
                }
                if self.intrinsics
                    && let Some(node) = intrinsic(map)
                {
                    return Doc { node, origin };
                }
                Node::Object(
                    map.iter()
                        .map(|(key, child)| {
                            let api_key = match (verbatim_keys, self.keys) {
                                (true, _) | (false, Keys::Api) => key.clone(),
                                (false, Keys::CloudFormation) => cloudformation_key(key),
                            };
                            let verbatim = VERBATIM_MAPS.contains(&api_key.as_str());
                            let doc = self.convert_in(
                                child,
                                &place.child(self.style, &api_key, key),
                                verbatim,
                            );
                            (api_key, doc)
                        })
                        .collect(),
                )
            }
        };
        Doc { node, origin }
    }
}

impl Converter<'_> {
    /// `Fn::If [condition, a, b]` on an assumed condition: the branch and its index (1 or 2).
    fn assumed_branch<'v>(
        &self,
        map: &'v serde_json::Map<String, serde_json::Value>,
    ) -> Option<(&'v serde_json::Value, usize)> {
        let assumed = self.assumed.filter(|_| self.intrinsics)?;
        if map.len() != 1 {
            return None;
        }
        let [condition, a, b] = map.get("Fn::If")?.as_array()?.as_slice() else {
            return None;
        };
        match assumed.get(condition.as_str()?)? {
            true => Some((a, 1)),
            false => Some((b, 2)),
        }
    }

    /// A list item that CloudFormation drops: `Ref AWS::NoValue`, directly or as the branch an
    /// assumed `Fn::If` takes. Only with assumed conditions: otherwise the item stays, unknown.
    fn removed_item(&self, item: &serde_json::Value) -> bool {
        if self.assumed.is_none() || !self.intrinsics {
            return false;
        }
        let mut item = item;
        // A loop, not recursion: the chain of nested `Fn::If`s is as deep as the document.
        loop {
            let Some(map) = item.as_object() else {
                return false;
            };
            if let Some((branch, _)) = self.assumed_branch(map) {
                item = branch;
                continue;
            }
            return map.len() == 1
                && map.get("Ref").and_then(serde_json::Value::as_str) == Some("AWS::NoValue");
        }
    }
}

/// `{"Ref": "X"}` / `{"Fn::Sub": ..}` (one key) → Unknown; `{"Ref": "AWS::NoValue"}` removes the
/// property, so it reads as null (absent).
fn intrinsic(map: &serde_json::Map<String, serde_json::Value>) -> Option<Node> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    if key == "Ref" {
        return Some(match value.as_str() {
            Some("AWS::NoValue") => Node::Null,
            Some(name) => Node::Unknown(format!("Ref {name}")),
            None => Node::Unknown("Ref".into()),
        });
    }
    if key.starts_with("Fn::") || key == "Condition" {
        let detail = match value {
            serde_json::Value::String(s) => format!("{key} {s:?}"),
            _ => key.clone(),
        };
        return Some(Node::Unknown(detail));
    }
    None
}

/// Turns a YAML value into JSON, writing short-form tags as CloudFormation's long form
/// (`!Ref X` → `{"Ref": "X"}`, `!Sub s` → `{"Fn::Sub": "s"}`, `!Condition c` → `{"Condition": "c"}`)
/// so one converter reads both.
pub fn yaml_to_json(value: &serde_norway::Value) -> serde_json::Value {
    use serde_json::Value as J;
    use serde_norway::Value as Y;
    match value {
        Y::Null => J::Null,
        Y::Bool(b) => J::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                J::from(i)
            } else if let Some(u) = n.as_u64() {
                J::from(u)
            } else {
                serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0))
                    .map(J::Number)
                    .unwrap_or(J::Null)
            }
        }
        Y::String(s) => J::String(s.clone()),
        Y::Sequence(items) => J::Array(items.iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => J::Object(
            map.iter()
                .map(|(k, v)| (yaml_key(k), yaml_to_json(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_string(),
                _ => format!("Fn::{name}"),
            };
            let mut map = serde_json::Map::new();
            map.insert(key, yaml_to_json(&tagged.value));
            J::Object(map)
        }
    }
}

fn yaml_key(key: &serde_norway::Value) -> String {
    match key {
        serde_norway::Value::String(s) => s.clone(),
        serde_norway::Value::Bool(b) => b.to_string(),
        serde_norway::Value::Number(n) => n.to_string(),
        serde_norway::Value::Null => "null".into(),
        other => format!("{other:?}"),
    }
}

/// Line of each JSON pointer in a source document. A pointer not recorded (inside a YAML flow
/// collection) takes its nearest recorded ancestor's line.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    lines: HashMap<String, u32>,
}

impl LineIndex {
    /// The lines a loader found itself, by JSON pointer.
    pub fn from_lines(lines: HashMap<String, u32>) -> LineIndex {
        LineIndex { lines }
    }

    pub fn line(&self, pointer: &str) -> Option<u32> {
        let mut key = pointer;
        loop {
            if let Some(line) = self.lines.get(key) {
                return Some(*line);
            }
            let cut = key.rfind('/')?;
            key = &key[..cut];
        }
    }

    /// Scans JSON text (validated by serde_json, or JSON-looking YAML flow text with comments or
    /// trailing commas) and records the line where each value starts.
    pub fn json(text: &str) -> LineIndex {
        let mut scanner = JsonScanner {
            bytes: text.as_bytes(),
            position: 0,
            line: 1,
            index: LineIndex::default(),
        };
        scanner.value(String::new(), 0);
        scanner.index
    }

    /// Scans block-style YAML by indentation and records the line of each mapping key and
    /// sequence item. Flow collections (`{a: 1}`, `[x]`) are not entered: their members take the
    /// line of the key that holds them. Best effort: a line is a convenience for SARIF, never a
    /// verdict input.
    pub fn yaml(text: &str) -> LineIndex {
        struct Frame {
            column: usize,
            path: String,
            is_item: bool,
            next_item: usize,
        }
        let mut index = LineIndex::default();
        let mut stack: Vec<Frame> = Vec::new();
        let mut root_next_item = 0usize;
        let mut block_scalar_column: Option<usize> = None;
        for (number, raw) in text.lines().enumerate() {
            let line = number as u32 + 1;
            let trimmed = raw.trim_start_matches(' ');
            let mut column = raw.len() - trimmed.len();
            if let Some(block) = block_scalar_column {
                if trimmed.is_empty() || column > block {
                    continue;
                }
                block_scalar_column = None;
            }
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed.starts_with("---")
                || trimmed.starts_with("...")
            {
                continue;
            }
            let mut content = trimmed;
            while content == "-" || content.starts_with("- ") {
                while stack
                    .last()
                    .is_some_and(|f| f.column > column || (f.column == column && f.is_item))
                {
                    stack.pop();
                }
                let (parent_path, item) = match stack.last_mut() {
                    Some(parent) => {
                        parent.next_item += 1;
                        (parent.path.clone(), parent.next_item - 1)
                    }
                    None => {
                        root_next_item += 1;
                        (String::new(), root_next_item - 1)
                    }
                };
                let path = format!("{parent_path}/{item}");
                index.lines.entry(path.clone()).or_insert(line);
                stack.push(Frame {
                    column,
                    path,
                    is_item: true,
                    next_item: 0,
                });
                let rest = content[1..].trim_start_matches(' ');
                column += content.len() - rest.len();
                content = rest;
            }
            let Some((key, value)) = yaml_mapping_key(content) else {
                continue;
            };
            while stack.last().is_some_and(|f| f.column >= column) {
                stack.pop();
            }
            let parent_path = stack.last().map(|f| f.path.clone()).unwrap_or_default();
            let path = format!("{parent_path}/{}", escape(&key));
            // A key given twice: the last one is the value read (`yaml_budget`), so its line.
            index.lines.insert(path.clone(), line);
            stack.push(Frame {
                column,
                path,
                is_item: false,
                next_item: 0,
            });
            let value = value.trim_start();
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar_column = Some(column);
            }
        }
        index
    }
}

/// `key: value` or `"key": value` at the start of a line → (key, rest after the colon).
fn yaml_mapping_key(content: &str) -> Option<(String, &str)> {
    if content.starts_with('{') || content.starts_with('[') {
        return None;
    }
    let (key, rest) = if let Some(quote) =
        content.chars().next().filter(|c| *c == '"' || *c == '\'')
    {
        let end = content[1..].find(quote)? + 1;
        (content[1..end].to_string(), &content[end + 1..])
    } else {
        let colon = content
            .char_indices()
            .find(|(i, c)| *c == ':' && content[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        (content[..colon].trim_end().to_string(), &content[colon..])
    };
    let rest = rest.trim_start_matches(' ').strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest))
}

struct JsonScanner<'a> {
    bytes: &'a [u8],
    position: usize,
    line: u32,
    index: LineIndex,
}

impl JsonScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.position += 1;
    }

    /// Skips whitespace and `#` comments: JSON has none, but JSON-looking text read as YAML
    /// (flow style, as the deploy Action's `yaml.parse` accepts it) may.
    fn whitespace(&mut self) {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.bump(),
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
    }

    /// Skips a string (at its opening quote) and returns its raw contents, escapes decoded for
    /// the common cases keys use.
    fn string(&mut self) -> String {
        self.bump();
        let start = self.position;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                break;
            }
            self.bump();
        }
        let raw = &self.bytes[start..self.position.min(self.bytes.len())];
        self.bump();
        let raw = String::from_utf8_lossy(raw);
        if raw.contains('\\') {
            serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or(raw.into_owned())
        } else {
            raw.into_owned()
        }
    }

    fn value(&mut self, path: String, depth: usize) {
        self.whitespace();
        // A key given twice: JSON parsers keep the last value, so its line.
        self.index.lines.insert(path.clone(), self.line);
        if depth > 256 {
            return;
        }
        match self.peek() {
            Some(b'{') => {
                self.bump();
                loop {
                    self.whitespace();
                    match self.peek() {
                        Some(b'"') => {
                            let key = self.string();
                            self.whitespace();
                            if self.peek() == Some(b':') {
                                self.bump();
                            }
                            self.value(format!("{path}/{}", escape(&key)), depth + 1);
                            self.whitespace();
                            if self.peek() == Some(b',') {
                                self.bump();
                            }
                        }
                        Some(b'}') => {
                            self.bump();
                            break;
                        }
                        None => break,
                        Some(_) => self.bump(),
                    }
                }
            }
            Some(b'[') => {
                self.bump();
                let mut item = 0usize;
                loop {
                    self.whitespace();
                    match self.peek() {
                        Some(b']') => {
                            self.bump();
                            break;
                        }
                        None => break,
                        Some(b',') => self.bump(),
                        Some(_) => {
                            let before = self.position;
                            self.value(format!("{path}/{item}"), depth + 1);
                            item += 1;
                            // A stray `}` (YAML text such as `['}']` read as JSON) is no value:
                            // step over it, or this loop would never end (found by fuzzing).
                            if self.position == before {
                                self.bump();
                            }
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.bump();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_follow_pointers() {
        let text = "{\n  \"a\": [\n    {\"b\": 1},\n    {\n      \"c/d\": \"x\"\n    }\n  ]\n}";
        let index = LineIndex::json(text);
        assert_eq!(index.line("/a"), Some(2));
        assert_eq!(index.line("/a/0/b"), Some(3));
        assert_eq!(index.line("/a/1/c~1d"), Some(5));
        assert_eq!(index.line("/a/1/missing"), Some(4));
    }

    #[test]
    fn json_lines_skip_yaml_comments() {
        // JSON-looking YAML flow text (read as YAML when JSON rejects it): a comment with a quote
        // does not shift the keys after it.
        let text = "{\n  \"a\": 1, # say \"b\": here\n  \"c\": [\n    {\"d\": 2,},\n  ],\n}";
        let index = LineIndex::json(text);
        assert_eq!(index.line("/a"), Some(2));
        assert_eq!(index.line("/c"), Some(3));
        assert_eq!(index.line("/c/0/d"), Some(4));
        assert_eq!(index.line("/b"), Some(1), "the comment is not a key");
    }

    #[test]
    fn yaml_lines_follow_block_structure() {
        let text = "Resources:\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n      - Name: app\n        User: \"0\"\n        Command: |\n          Not: a key\n      - Name: side\n        Environment:\n          - {Name: A, Value: b}\n      Family: web\n";
        let index = LineIndex::yaml(text);
        let base = "/Resources/TaskDef/Properties";
        assert_eq!(
            index.line(&format!("{base}/ContainerDefinitions/0")),
            Some(6)
        );
        assert_eq!(
            index.line(&format!("{base}/ContainerDefinitions/0/User")),
            Some(7)
        );
        assert_eq!(
            index.line(&format!("{base}/ContainerDefinitions/1/Name")),
            Some(10)
        );
        assert_eq!(
            index.line(&format!("{base}/ContainerDefinitions/1/Environment/0/Name")),
            Some(12)
        );
        assert_eq!(index.line(&format!("{base}/Family")), Some(13));
        assert_eq!(
            index.line(&format!("{base}/ContainerDefinitions/0/Not")),
            Some(6)
        );
    }
}
