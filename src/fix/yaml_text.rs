//! Edits block-style YAML (CloudFormation templates, `--cli-input-yaml`) as text, by lines and
//! indentation, so comments and layout stay. Values written are JSON flow text (`{"A": 1}`),
//! which is YAML. What it does not follow (a value in a flow collection, a block scalar, the only
//! item of a sequence) it declines (`None`), and the fix is described instead of written.

use std::collections::HashMap;

use serde_json::Value;

use crate::findings::Edit;

#[derive(Debug, Clone)]
struct Entry {
    /// Byte offset of the entry's line start.
    line_start: usize,
    /// Column of the key (or of the item's dash).
    column: usize,
    /// The inline scalar value's byte span, when the value is on the key's line.
    inline: Option<(usize, usize)>,
    /// Byte offset after the entry's last line (its whole block).
    end: usize,
    is_item: bool,
}

/// The block structure of one YAML document.
#[derive(Debug)]
pub struct YamlText<'a> {
    text: &'a str,
    entries: HashMap<String, Entry>,
    children: HashMap<String, Vec<String>>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl<'a> YamlText<'a> {
    pub fn parse(text: &'a str) -> YamlText<'a> {
        struct Frame {
            column: usize,
            path: String,
            is_item: bool,
            next_item: usize,
        }
        let mut entries: HashMap<String, Entry> = HashMap::new();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut root_next_item = 0usize;
        let mut block_scalar_column: Option<usize> = None;
        // Every open entry, to close their `end` when a line at or left of their column comes.
        let mut open: Vec<String> = Vec::new();
        let mut offset = 0usize;
        for raw in text.split_inclusive('\n') {
            let line_start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let trimmed = line.trim_start_matches(' ');
            let mut column = line.len() - trimmed.len();
            if let Some(block) = block_scalar_column {
                if trimmed.is_empty() || column > block {
                    continue;
                }
                block_scalar_column = None;
            }
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            // This line closes every open entry it is not inside: an item at or left of its
            // column; a key left of it, or at it unless this is the key's own `- ` item.
            let is_item_line = trimmed == "-" || trimmed.starts_with("- ");
            open.retain(|path| {
                let Some(entry) = entries.get_mut(path) else {
                    return false;
                };
                let closes = if entry.is_item {
                    column <= entry.column
                } else {
                    column < entry.column
                        || (column == entry.column && !(is_item_line && entry.inline.is_none()))
                };
                if closes {
                    entry.end = line_start;
                }
                !closes
            });
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
                let rest = content[1..].trim_start_matches(' ');
                let value_column = column + (content.len() - rest.len());
                let inline = (!rest.is_empty() && !rest.contains(": ") && !rest.ends_with(':'))
                    .then(|| {
                        let start = line_start + value_column;
                        (start, line_start + line.len())
                    });
                entries.insert(
                    path.clone(),
                    Entry {
                        line_start,
                        column,
                        inline,
                        end: text.len(),
                        is_item: true,
                    },
                );
                children.entry(parent_path).or_default().push(path.clone());
                open.push(path.clone());
                stack.push(Frame {
                    column,
                    path,
                    is_item: true,
                    next_item: 0,
                });
                column = value_column;
                content = rest;
            }
            let Some((key, value_offset)) = mapping_key(content) else {
                continue;
            };
            while stack.last().is_some_and(|f| f.column >= column) {
                stack.pop();
            }
            let parent_path = stack.last().map(|f| f.path.clone()).unwrap_or_default();
            let path = format!("{parent_path}/{}", escape(&key));
            let value = &content[value_offset..];
            let value_text = value.trim_start();
            let value_start =
                line_start + line.len() - value.len() + (value.len() - value_text.len());
            let value_text = strip_comment(value_text);
            let inline = (!value_text.is_empty()
                && !value_text.starts_with('|')
                && !value_text.starts_with('>'))
            .then(|| (value_start, value_start + value_text.len()));
            if value_text.starts_with('|') || value_text.starts_with('>') {
                block_scalar_column = Some(column);
            }
            entries.insert(
                path.clone(),
                Entry {
                    line_start,
                    column,
                    inline,
                    end: text.len(),
                    is_item: false,
                },
            );
            children.entry(parent_path).or_default().push(path.clone());
            open.push(path.clone());
            stack.push(Frame {
                column,
                path,
                is_item: false,
                next_item: 0,
            });
        }
        // A block ends after its last non-blank line, not at the next entry's line.
        for entry in entries.values_mut() {
            let body = &text[entry.line_start..entry.end];
            let trimmed = body.trim_end_matches([' ', '\n', '\r', '\t']);
            let cut = trimmed.len();
            let after = body[cut..].find('\n').map_or(body.len(), |n| cut + n + 1);
            entry.end = entry.line_start + after;
        }
        YamlText {
            text,
            entries,
            children,
        }
    }
}

/// `key: value` → (key, offset of the text after the colon).
fn mapping_key(content: &str) -> Option<(String, usize)> {
    if content.starts_with('{') || content.starts_with('[') {
        return None;
    }
    let (key, rest_at) = if let Some(quote) =
        content.chars().next().filter(|c| *c == '"' || *c == '\'')
    {
        let end = content[1..].find(quote)? + 1;
        (content[1..end].to_string(), end + 1)
    } else {
        let colon = content
            .char_indices()
            .find(|(i, c)| *c == ':' && content[i + 1..].chars().next().is_none_or(|n| n == ' '))?
            .0;
        (content[..colon].trim_end().to_string(), colon)
    };
    let rest = &content[rest_at..];
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    let after_colon = rest.trim_start_matches(' ').strip_prefix(':')?;
    if !(after_colon.is_empty() || after_colon.starts_with(' ')) {
        return None;
    }
    Some((key, rest_at + spaces + 1))
}

/// A plain scalar's text without a trailing ` # comment` (quoted scalars kept whole).
fn strip_comment(value: &str) -> &str {
    if value.starts_with('"') || value.starts_with('\'') {
        let quote = value.as_bytes()[0] as char;
        return match value[1..].find(quote) {
            Some(end) => &value[..end + 2],
            None => value,
        };
    }
    match value.find(" #") {
        Some(cut) => value[..cut].trim_end(),
        None => value.trim_end(),
    }
}

/// Collects one fix's operations on a YAML document.
pub struct YamlEditor<'t, 'a> {
    doc: &'t YamlText<'a>,
    file: String,
    edits: Vec<Edit>,
}

impl<'t, 'a> YamlEditor<'t, 'a> {
    pub fn new(doc: &'t YamlText<'a>, file: &str) -> YamlEditor<'t, 'a> {
        YamlEditor {
            doc,
            file: file.to_string(),
            edits: Vec::new(),
        }
    }

    fn edit(&mut self, start: usize, end: usize, replacement: String) {
        self.edits.push(Edit {
            file: self.file.clone(),
            start,
            end,
            replacement,
        });
    }

    /// Sets a scalar in place, or adds `key: value` to the nearest existing mapping.
    pub fn set(&mut self, pointer: &str, value: Value) -> Option<()> {
        if let Some(entry) = self.doc.entries.get(pointer) {
            let (start, end) = entry.inline?;
            // An inline value (a scalar, `null`) takes any value as one line of flow text.
            let rendered = flow(&value);
            let written = &self.doc.text[start..end];
            // `awsvpc` written plain is the same value as `"awsvpc"`.
            let same = written == rendered || value.as_str() == Some(written);
            if !same {
                self.edit(start, end, rendered);
            }
            return Some(());
        }
        let mut value = value;
        let mut current = pointer.to_string();
        loop {
            let slash = current.rfind('/')?;
            let parent = current[..slash].to_string();
            let key = current[slash + 1..].replace("~1", "/").replace("~0", "~");
            if let Some(siblings) = self.doc.children.get(&parent) {
                let first = self.doc.entries.get(siblings.first()?)?;
                // Members of a mapping sit at its keys' column (after the dash for an item's
                // first key); a sequence takes no member.
                if first.is_item {
                    return None;
                }
                let column = first.column;
                let end = siblings
                    .iter()
                    .filter_map(|s| self.doc.entries.get(s))
                    .map(|e| e.end)
                    .max()?;
                let prefix = if self.doc.text[..end].ends_with('\n') || end == 0 {
                    ""
                } else {
                    "\n"
                };
                let key_text = if key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    key
                } else {
                    Value::String(key).to_string()
                };
                let text = format!(
                    "{prefix}{}{key_text}: {}\n",
                    " ".repeat(column),
                    flow(&value)
                );
                self.edit(end, end, text);
                return Some(());
            }
            // A parent written inline (`Options: {a: b}`) or absent at the root: not followed.
            if self.doc.entries.contains_key(&parent) || parent.is_empty() {
                return None;
            }
            let mut object = serde_json::Map::new();
            object.insert(key, value);
            value = Value::Object(object);
            current = parent;
        }
    }

    /// Removes a key (with its block) or a sequence item that has siblings.
    pub fn remove(&mut self, pointer: &str) -> Option<()> {
        let entry = self.doc.entries.get(pointer)?;
        let slash = pointer.rfind('/')?;
        let siblings = self.doc.children.get(&pointer[..slash])?;
        let is_item = pointer[slash + 1..].parse::<usize>().is_ok();
        if siblings.len() < 2 {
            return None;
        }
        // The first key of a `- key: v` item carries the dash: removing it would drop the item.
        let line = &self.doc.text[entry.line_start..];
        if !is_item && line.trim_start_matches(' ').starts_with("- ") {
            return None;
        }
        self.edit(entry.line_start, entry.end, String::new());
        Some(())
    }

    /// Appends an item to a block sequence (or creates the key with a one-item flow sequence).
    pub fn append(&mut self, pointer: &str, item: Value) -> Option<()> {
        match self.doc.children.get(pointer) {
            Some(items) if items.last()?.rsplit('/').next()?.parse::<usize>().is_ok() => {
                let last = self.doc.entries.get(items.last()?)?;
                let end = last.end;
                let prefix = if self.doc.text[..end].ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                let text = format!("{prefix}{}- {}\n", " ".repeat(last.column), flow(&item));
                self.edit(end, end, text);
                Some(())
            }
            Some(_) => None,
            None if self.doc.entries.contains_key(pointer) => None,
            None => self.set(pointer, Value::Array(vec![item])),
        }
    }

    pub fn finish(mut self) -> Vec<Edit> {
        self.edits.sort();
        self.edits
    }
}

/// A value as one line of YAML flow text (JSON with spaces after `:` and `,`).
fn flow(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => {
            let text = serde_json::to_string(value).expect("a Value serializes");
            let mut out = String::with_capacity(text.len() + 16);
            let mut in_string = false;
            let mut escaped = false;
            for c in text.chars() {
                out.push(c);
                if in_string {
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => in_string = false,
                        _ => {}
                    }
                } else if c == '"' {
                    in_string = true;
                } else if c == ':' || c == ',' {
                    out.push(' ');
                }
            }
            out
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edited(text: &str, change: impl FnOnce(&mut YamlEditor)) -> String {
        let doc = YamlText::parse(text);
        let mut editor = YamlEditor::new(&doc, "f");
        change(&mut editor);
        super::super::apply(text, &editor.finish())
    }

    const TEMPLATE: &str = "Resources:\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      NetworkMode: host # why\n      ContainerDefinitions:\n        - Name: app\n          Privileged: true\n          Image: app:1\n        - Name: worker\n          Image: worker:1\n      Tags: [{Key: a, Value: b}]\n";

    #[test]
    fn edits_keep_comments_and_layout() {
        assert_eq!(
            edited(TEMPLATE, |e| {
                e.set("/Resources/TaskDef/Properties/NetworkMode", json!("awsvpc"))
                    .unwrap();
            }),
            TEMPLATE.replace("NetworkMode: host", "NetworkMode: \"awsvpc\"")
        );
        assert_eq!(
            edited(TEMPLATE, |e| {
                e.remove("/Resources/TaskDef/Properties/ContainerDefinitions/0/Privileged")
                    .unwrap();
            }),
            TEMPLATE.replace("          Privileged: true\n", "")
        );
        assert_eq!(
            edited(TEMPLATE, |e| {
                e.set(
                    "/Resources/TaskDef/Properties/ContainerDefinitions/1/User",
                    json!("1000"),
                )
                .unwrap();
            }),
            TEMPLATE.replace(
                "          Image: worker:1\n",
                "          Image: worker:1\n          User: \"1000\"\n"
            )
        );
    }

    #[test]
    fn what_it_does_not_follow_it_declines() {
        let doc = YamlText::parse(TEMPLATE);
        let mut editor = YamlEditor::new(&doc, "f");
        // The first key of an item carries the dash; a flow mapping is not entered.
        assert!(
            editor
                .remove("/Resources/TaskDef/Properties/ContainerDefinitions/0/Name")
                .is_none()
        );
        assert!(
            editor
                .set("/Resources/TaskDef/Properties/Tags/0/Key", json!("c"))
                .is_none()
        );
    }
}
