//! Edits a JSON document as text, so a fix keeps the rest of the file byte-identical (comments
//! aside, JSON has none; key order, spacing and indentation stay). [`JsonText`] maps each JSON
//! pointer to the byte span of its value in one pass without recursion (an explicit stack), and
//! [`JsonEditor`] turns "set / remove / append at this pointer" into minimal [`Edit`]s written in
//! the file's own indentation. serde_json keeps no spans, hence this small scanner.

use std::collections::HashMap;

use serde_json::Value;

use crate::findings::Edit;

/// Where one value is.
#[derive(Debug, Clone)]
struct Span {
    /// The member's first byte (its key's opening quote), or the value's for an array item.
    member_start: usize,
    start: usize,
    end: usize,
    /// For objects and arrays: the children's pointers in order, and the closing bracket.
    children: Vec<String>,
    container: bool,
}

/// Why a document could not be indexed (the loader parsed it, so this is a harden bug or a
/// format the scanner does not follow); the fix is then not offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot index the JSON text at byte {0}")]
pub struct ScanError(pub usize);

/// The byte spans of every value of one JSON document.
#[derive(Debug)]
pub struct JsonText<'a> {
    pub text: &'a str,
    spans: HashMap<String, Span>,
    /// The file's indentation step and key-value separator, found once.
    unit: String,
    separator: String,
    /// Where each line starts, and whether the document spans lines, found once: each edit
    /// looked for them again (a search to the start of a minified file, per finding).
    line_starts: Vec<usize>,
    multi_line: bool,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl<'a> JsonText<'a> {
    /// Indexes `text`; at most `max_depth` nested containers.
    pub fn parse(text: &'a str, max_depth: usize) -> Result<JsonText<'a>, ScanError> {
        let bytes = text.as_bytes();
        let mut spans: HashMap<String, Span> = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut i = skip_ws(bytes, 0);
        // The pointer and member start of the value about to be read.
        let mut pending: Option<(String, usize)> = Some((String::new(), i));
        loop {
            if let Some((pointer, member_start)) = pending.take() {
                i = skip_ws(bytes, i);
                let start = i;
                match bytes.get(i) {
                    Some(b'{') | Some(b'[') => {
                        if stack.len() >= max_depth {
                            return Err(ScanError(i));
                        }
                        let object = bytes[i] == b'{';
                        spans.insert(
                            pointer.clone(),
                            Span {
                                member_start,
                                start,
                                end: start,
                                children: Vec::new(),
                                container: true,
                            },
                        );
                        stack.push(Frame {
                            pointer,
                            object,
                            next_index: 0,
                        });
                        i += 1;
                        // An empty container closes at once; otherwise read its first member.
                        let after = skip_ws(bytes, i);
                        let close = if object { b'}' } else { b']' };
                        if bytes.get(after) == Some(&close) {
                            i = after;
                        } else {
                            pending = Some(next_member(bytes, &mut i, stack.last_mut().unwrap())?);
                            if let Some((child, _)) = &pending {
                                let parent = &stack.last().unwrap().pointer;
                                spans.get_mut(parent).unwrap().children.push(child.clone());
                            }
                            continue;
                        }
                    }
                    Some(b'"') => {
                        i = end_of_string(bytes, i)?;
                        spans.insert(pointer, leaf(member_start, start, i));
                    }
                    Some(_) => {
                        while i < bytes.len()
                            && !matches!(
                                bytes[i],
                                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                            )
                        {
                            i += 1;
                        }
                        if i == start {
                            return Err(ScanError(i));
                        }
                        spans.insert(pointer, leaf(member_start, start, i));
                    }
                    None => return Err(ScanError(i)),
                }
            }
            // After a value: a comma, or the close of the innermost container.
            let Some(frame) = stack.last_mut() else {
                let mut document = JsonText {
                    text,
                    spans,
                    unit: String::new(),
                    separator: String::new(),
                    line_starts: std::iter::once(0)
                        .chain(text.match_indices('\n').map(|(n, _)| n + 1))
                        .collect(),
                    multi_line: text.trim().contains('\n'),
                };
                document.unit = document.find_indent_unit();
                document.separator = document.find_colon();
                return Ok(document);
            };
            i = skip_ws(bytes, i);
            match bytes.get(i) {
                Some(b',') => {
                    i += 1;
                    pending = Some(next_member(bytes, &mut i, frame)?);
                    if let Some((child, _)) = &pending {
                        let parent = frame.pointer.clone();
                        spans.get_mut(&parent).unwrap().children.push(child.clone());
                    }
                }
                Some(b'}') | Some(b']') => {
                    i += 1;
                    let frame = stack.pop().unwrap();
                    spans.get_mut(&frame.pointer).unwrap().end = i;
                }
                _ => return Err(ScanError(i)),
            }
        }
    }

    fn span(&self, pointer: &str) -> Option<&Span> {
        self.spans.get(pointer)
    }

    /// Whether a value exists at `pointer`.
    pub fn contains(&self, pointer: &str) -> bool {
        self.spans.contains_key(pointer)
    }

    /// The value's text at `pointer`.
    pub fn value_text(&self, pointer: &str) -> Option<&'a str> {
        self.span(pointer).map(|s| &self.text[s.start..s.end])
    }

    /// The line's leading whitespace before byte `at`, if only whitespace precedes it there.
    /// The start of the line `at` is on.
    fn line_start(&self, at: usize) -> usize {
        match self.line_starts.binary_search(&at) {
            Ok(index) => self.line_starts[index],
            Err(index) => self.line_starts[index - 1],
        }
    }

    fn indent_before(&self, at: usize) -> Option<&'a str> {
        let line_start = self.line_start(at);
        let indent = &self.text[line_start..at];
        indent
            .bytes()
            .all(|b| b == b' ' || b == b'\t')
            .then_some(indent)
    }

    /// The indentation of the line a value starts on.
    fn line_indent(&self, at: usize) -> &'a str {
        let line_start = self.line_start(at);
        let line = &self.text[line_start..];
        let width = line
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        &line[..width]
    }

    fn indent_unit(&self) -> String {
        self.unit.clone()
    }

    fn colon(&self) -> String {
        self.separator.clone()
    }

    /// The file's indentation step: the first increase of indentation between two lines.
    fn find_indent_unit(&self) -> String {
        let mut previous = 0usize;
        for line in self.text.lines() {
            let width = line.bytes().take_while(|b| *b == b' ').count();
            if line.trim().is_empty() {
                continue;
            }
            if width > previous {
                return " ".repeat(width - previous);
            }
            previous = width;
        }
        if self.text.contains("\n\t") {
            return "\t".into();
        }
        "  ".into()
    }

    /// What separates a key from its value in this file (`": "` or `":"`): the first member's.
    fn find_colon(&self) -> String {
        self.spans
            .values()
            .filter(|span| span.member_start != span.start)
            .min_by_key(|span| span.member_start)
            .and_then(|span| {
                let between = &self.text[span.member_start..span.start];
                between
                    .rfind('"')
                    .map(|quote| between[quote + 1..].to_string())
            })
            .unwrap_or_else(|| ": ".into())
    }
}

fn leaf(member_start: usize, start: usize, end: usize) -> Span {
    Span {
        member_start,
        start,
        end,
        children: Vec::new(),
        container: false,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The byte after the string starting at `i` (an opening quote).
fn end_of_string(bytes: &[u8], mut i: usize) -> Result<usize, ScanError> {
    let start = i;
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(ScanError(start))
}

/// An open container while scanning.
struct Frame {
    pointer: String,
    object: bool,
    next_index: usize,
}

/// Reads the next member's key (objects) and returns its pointer and member start.
fn next_member(
    bytes: &[u8],
    i: &mut usize,
    frame: &mut Frame,
) -> Result<(String, usize), ScanError> {
    *i = skip_ws(bytes, *i);
    let member_start = *i;
    let segment = if frame.object {
        if bytes.get(*i) != Some(&b'"') {
            return Err(ScanError(*i));
        }
        let end = end_of_string(bytes, *i)?;
        let key: String = std::str::from_utf8(&bytes[*i..end])
            .ok()
            .and_then(|quoted| serde_json::from_str(quoted).ok())
            .ok_or(ScanError(*i))?;
        *i = skip_ws(bytes, end);
        if bytes.get(*i) != Some(&b':') {
            return Err(ScanError(*i));
        }
        *i += 1;
        escape(&key)
    } else {
        frame.next_index += 1;
        (frame.next_index - 1).to_string()
    };
    Ok((format!("{}/{segment}", frame.pointer), member_start))
}

/// Collects the operations of one fix on one document and writes them as edits.
pub struct JsonEditor<'t, 'a> {
    doc: &'t JsonText<'a>,
    file: String,
    edits: Vec<Edit>,
    /// Members to add, by the object they go in (kept in order).
    inserts: Vec<(String, Vec<(String, Value)>)>,
    /// Items to append, by the array they go in.
    appends: Vec<(String, Vec<Value>)>,
}

impl<'t, 'a> JsonEditor<'t, 'a> {
    pub fn new(doc: &'t JsonText<'a>, file: &str) -> JsonEditor<'t, 'a> {
        JsonEditor {
            doc,
            file: file.to_string(),
            edits: Vec::new(),
            inserts: Vec::new(),
            appends: Vec::new(),
        }
    }

    /// Sets the value at `pointer`: replaces it, or adds the member (creating missing parent
    /// objects as one nested member). `None` when no ancestor object exists.
    pub fn set(&mut self, pointer: &str, value: Value) -> Option<()> {
        if let Some(span) = self.doc.span(pointer) {
            let rendered = self.render(&value, self.doc.line_indent(span.start));
            if self.doc.text[span.start..span.end] != rendered {
                self.edits.push(Edit {
                    file: self.file.clone(),
                    start: span.start,
                    end: span.end,
                    replacement: rendered,
                });
            }
            return Some(());
        }
        // Climb to the nearest existing ancestor, wrapping the value in objects on the way.
        let mut value = value;
        let mut current = pointer.to_string();
        loop {
            let slash = current.rfind('/')?;
            let parent = current[..slash].to_string();
            let key = unescape(&current[slash + 1..]);
            match self.doc.span(&parent) {
                Some(span) if span.container && self.doc.text[span.start..].starts_with('{') => {
                    match self.inserts.iter_mut().find(|(p, _)| *p == parent) {
                        Some((_, members)) => members.push((key, value)),
                        None => self.inserts.push((parent, vec![(key, value)])),
                    }
                    return Some(());
                }
                Some(_) => return None,
                None => {
                    let mut object = serde_json::Map::new();
                    object.insert(key, value);
                    value = Value::Object(object);
                    current = parent;
                }
            }
        }
    }

    /// Removes the member or array item at `pointer` with its separating comma.
    pub fn remove(&mut self, pointer: &str) -> Option<()> {
        let slash = pointer.rfind('/')?;
        let parent = self.doc.span(&pointer[..slash])?;
        let position = parent.children.iter().position(|c| c == pointer)?;
        let span = self.doc.span(pointer)?;
        let (start, end) = if position > 0 {
            let previous = self.doc.span(&parent.children[position - 1])?;
            (previous.end, span.end)
        } else if let Some(next) = parent.children.get(1) {
            (span.member_start, self.doc.span(next)?.member_start)
        } else {
            (parent.start + 1, parent.end - 1)
        };
        self.edits.push(Edit {
            file: self.file.clone(),
            start,
            end,
            replacement: String::new(),
        });
        Some(())
    }

    /// Appends an item to the array at `pointer`, or creates the array with it.
    pub fn append(&mut self, pointer: &str, item: Value) -> Option<()> {
        match self.doc.span(pointer) {
            Some(span) if span.container && self.doc.text[span.start..].starts_with('[') => {
                match self.appends.iter_mut().find(|(p, _)| p == pointer) {
                    Some((_, items)) => items.push(item),
                    None => self.appends.push((pointer.to_string(), vec![item])),
                }
                Some(())
            }
            Some(_) => None,
            None => self.set(pointer, Value::Array(vec![item])),
        }
    }

    /// Renders a value at a base indentation as a person would in this file: objects one
    /// member a line (when the file is multi-line), arrays of scalars on one line.
    fn render(&self, value: &Value, base: &str) -> String {
        let colon = self.doc.colon();
        if !self.doc.multi_line {
            return compact(value, &colon);
        }
        let unit = self.doc.indent_unit();
        // An explicit stack of pieces to write: no recursion on nesting depth.
        enum Piece<'v> {
            Value(&'v Value, String),
            Text(String),
        }
        let mut out = String::new();
        let mut stack = vec![Piece::Value(value, base.to_string())];
        while let Some(piece) = stack.pop() {
            let (value, indent) = match piece {
                Piece::Text(text) => {
                    out.push_str(&text);
                    continue;
                }
                Piece::Value(value, indent) => (value, indent),
            };
            match value {
                Value::Object(map) if !map.is_empty() => {
                    out.push('{');
                    let inner = format!("{indent}{unit}");
                    let mut pieces = Vec::new();
                    for (n, (key, item)) in map.iter().enumerate() {
                        let key = serde_json::to_string(key).expect("a string serializes");
                        let lead = if n == 0 { "" } else { "," };
                        pieces.push(Piece::Text(format!("{lead}\n{inner}{key}{colon}")));
                        pieces.push(Piece::Value(item, inner.clone()));
                    }
                    pieces.push(Piece::Text(format!("\n{indent}}}")));
                    stack.extend(pieces.into_iter().rev());
                }
                Value::Array(items)
                    if items
                        .iter()
                        .any(|i| matches!(i, Value::Object(_) | Value::Array(_))) =>
                {
                    out.push('[');
                    let inner = format!("{indent}{unit}");
                    let mut pieces = Vec::new();
                    for (n, item) in items.iter().enumerate() {
                        let lead = if n == 0 { "" } else { "," };
                        pieces.push(Piece::Text(format!("{lead}\n{inner}")));
                        pieces.push(Piece::Value(item, inner.clone()));
                    }
                    pieces.push(Piece::Text(format!("\n{indent}]")));
                    stack.extend(pieces.into_iter().rev());
                }
                other => out.push_str(&compact(other, &colon)),
            }
        }
        out
    }

    /// The edits, member insertions and appends last (each one edit per container).
    pub fn finish(mut self) -> Vec<Edit> {
        let colon = self.doc.colon();
        let unit = self.doc.indent_unit();
        for (parent, members) in std::mem::take(&mut self.inserts) {
            let span = self.doc.span(&parent).expect("checked when added");
            let rendered: Vec<(String, &Value)> = members
                .iter()
                .map(|(key, value)| (serde_json::to_string(key).expect("serializes"), value))
                .collect();
            let edit = self.insert_items(span, &rendered, &colon, &unit);
            self.edits.push(edit);
        }
        for (array, items) in std::mem::take(&mut self.appends) {
            let span = self.doc.span(&array).expect("checked when added");
            let rendered: Vec<(String, &Value)> =
                items.iter().map(|value| (String::new(), value)).collect();
            let edit = self.insert_items(span, &rendered, &colon, &unit);
            self.edits.push(edit);
        }
        self.edits.sort();
        self.edits
    }

    /// One edit adding `items` (`"key"` + value, or an empty key for array items) at the end
    /// of the container `span`, laid out as its last child is.
    fn insert_items(
        &self,
        span: &Span,
        items: &[(String, &Value)],
        colon: &str,
        unit: &str,
    ) -> Edit {
        let last = span.children.last().and_then(|c| self.doc.span(c));
        // Multi-line when the last child starts its own line (or, for an empty container, when
        // the file is multi-line).
        let (indent, at, lead) = match last {
            Some(last) => match self.doc.indent_before(last.member_start) {
                Some(indent) => (Some(indent.to_string()), last.end, ","),
                None => (None, last.end, ","),
            },
            None if self.doc.multi_line => (
                Some(format!("{}{unit}", self.doc.line_indent(span.start))),
                span.start + 1,
                "",
            ),
            None => (None, span.start + 1, ""),
        };
        let mut replacement = String::new();
        for (n, (key, value)) in items.iter().enumerate() {
            if n > 0 || !lead.is_empty() {
                replacement.push(',');
            }
            match &indent {
                Some(indent) => {
                    replacement.push('\n');
                    replacement.push_str(indent);
                }
                // A minified document gets no space after the comma.
                None if (n > 0 || !lead.is_empty()) && self.doc.multi_line => replacement.push(' '),
                None => {}
            }
            if !key.is_empty() {
                replacement.push_str(key);
                replacement.push_str(colon);
            }
            let base = indent.clone().unwrap_or_default();
            // Items beside one-line siblings are written on one line too.
            let one_line = last.is_some_and(|l| !self.doc.text[l.start..l.end].contains('\n'));
            if one_line && key.is_empty() {
                replacement.push_str(&spaced(&compact(value, colon)));
            } else {
                replacement.push_str(&self.render(value, &base));
            }
        }
        if last.is_none()
            && let Some(indent) = &indent
        {
            let outer = indent.strip_suffix(unit).unwrap_or("");
            replacement.push('\n');
            replacement.push_str(outer);
        }
        Edit {
            file: self.file.clone(),
            start: at,
            end: at,
            replacement,
        }
    }
}

fn compact(value: &Value, colon: &str) -> String {
    let text = value.to_string();
    if colon == ":" || !matches!(value, Value::Object(_) | Value::Array(_)) {
        return text;
    }
    // serde_json's compact form has no spaces; match a file that writes `"key": value`.
    let mut out = String::with_capacity(text.len() + 8);
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
        } else {
            match c {
                '"' => in_string = true,
                ':' => out.push_str(&colon[1..]),
                ',' => out.push(' '),
                _ => {}
            }
        }
    }
    out
}

/// `{"a": 1}` → `{ "a": 1 }`, as hand-written one-line objects usually are.
fn spaced(compact: &str) -> String {
    match compact.strip_prefix('{').and_then(|c| c.strip_suffix('}')) {
        Some(inner) if !inner.is_empty() => format!("{{ {inner} }}"),
        _ => compact.to_string(),
    }
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Applies non-overlapping edits to `text` (sorted or not).
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.start, edit.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let json = text.trim_start().starts_with('{');
    for edit in sorted {
        if edit.start < at {
            continue;
        }
        let (mut start, mut end) = (edit.start, edit.end);
        // Merged deletions that empty a JSON container leave `[]`, not a blank line inside.
        if json && edit.replacement.is_empty() {
            let before = text[..start].trim_end_matches([' ', '\t', '\n', '\r']);
            let after = text[end..].trim_start_matches([' ', '\t', '\n', '\r']);
            if (before.ends_with('[') && after.starts_with(']'))
                || (before.ends_with('{') && after.starts_with('}'))
            {
                start = before.len().max(at);
                end = text.len() - after.len();
            }
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edited(text: &str, change: impl FnOnce(&mut JsonEditor)) -> String {
        let doc = JsonText::parse(text, 64).unwrap();
        let mut editor = JsonEditor::new(&doc, "f");
        change(&mut editor);
        apply(text, &editor.finish())
    }

    #[test]
    fn edits_keep_every_other_byte_and_the_file_layout() {
        let text = "{\n    \"b\": 1,\n    \"a\" : [ 1,2 ],\n    \"c\": {\"x\": true}\n}\n";
        assert_eq!(
            edited(text, |e| {
                e.set("/b", json!(2)).unwrap();
            }),
            "{\n    \"b\": 2,\n    \"a\" : [ 1,2 ],\n    \"c\": {\"x\": true}\n}\n"
        );
        assert_eq!(
            edited(text, |e| {
                e.remove("/a").unwrap();
            }),
            "{\n    \"b\": 1,\n    \"c\": {\"x\": true}\n}\n"
        );
        assert_eq!(
            edited(text, |e| {
                e.remove("/b").unwrap();
            }),
            "{\n    \"a\" : [ 1,2 ],\n    \"c\": {\"x\": true}\n}\n"
        );
        // A new member goes after the last one, at its indentation; nested objects one member a
        // line with the file's step, arrays of scalars on one line.
        assert_eq!(
            edited(text, |e| {
                e.set("/d/e", json!(["ALL"])).unwrap();
            }),
            "{\n    \"b\": 1,\n    \"a\" : [ 1,2 ],\n    \"c\": {\"x\": true},\n    \"d\": {\n        \"e\": [\"ALL\"]\n    }\n}\n"
        );
        assert_eq!(
            edited(text, |e| {
                e.append("/a", json!(3)).unwrap();
            }),
            "{\n    \"b\": 1,\n    \"a\" : [ 1,2, 3 ],\n    \"c\": {\"x\": true}\n}\n"
        );
    }

    #[test]
    fn a_minified_document_stays_on_one_line() {
        let text = "{\"a\":{\"b\":1},\"l\":[]}";
        assert_eq!(
            edited(text, |e| {
                e.set("/a/c", json!({"k": [1, 2]})).unwrap();
                e.append("/l", json!("x")).unwrap();
            }),
            "{\"a\":{\"b\":1,\"c\":{\"k\":[1,2]}},\"l\":[\"x\"]}"
        );
    }

    #[test]
    fn deep_nesting_is_bounded_not_recursed() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(JsonText::parse(&deep, 128).is_err());
        let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(JsonText::parse(&fine, 128).is_ok());
    }
}
