//! Dockerfile syntax, faithful to BuildKit's parser (`frontend/dockerfile/parser`): parser
//! directives, line continuation, comments inside continuations, builder flags, per-instruction
//! argument shapes (JSON or shell form, `KEY=VALUE` lists, legacy `ENV key value`), heredocs.
//! The output mirrors BuildKit's AST node (keyword, flags, values, JSON attribute, heredocs, line
//! span) so it can be compared with BuildKit's own parse; meaning (stages, ARG/ENV) is built from it
//! in `super`. This is the input-format layer: it never leaves `load/`.

use std::borrow::Cow;

use serde::Serialize;

use super::shell::{self, LexOptions};

/// One instruction as BuildKit's parser returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawInstruction {
    /// Lower-case keyword (`run`), as BuildKit normalizes it.
    pub keyword: String,
    /// The instruction's text after continuation lines are joined, comments dropped.
    pub original: String,
    /// Builder flags as written (`--mount=type=cache,target=/x`).
    pub flags: Vec<String>,
    /// The arguments in BuildKit's shape for this keyword.
    pub values: Vec<String>,
    /// JSON (exec) form.
    pub json: bool,
    pub heredocs: Vec<RawHeredoc>,
    /// 1-based first and last physical line, heredoc bodies included.
    pub start_line: u32,
    pub end_line: u32,
    /// The instruction inside `ONBUILD`.
    pub sub: Option<Box<RawInstruction>>,
}

/// A heredoc attached to an instruction (`<<EOF` ... `EOF`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawHeredoc {
    pub name: String,
    pub file_descriptor: u32,
    /// Unquoted delimiter: the body's variables expand.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body.
    pub chomp: bool,
    /// The body as written, line endings kept.
    pub content: String,
}

/// A whole parsed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxTree {
    pub escape: char,
    /// `# syntax=` directive.
    pub syntax: Option<String>,
    pub instructions: Vec<RawInstruction>,
    /// BuildKit's warnings (empty continuation lines).
    pub warnings: Vec<String>,
    /// Ignore pragmas in comment lines between instructions, each bound to the instruction below.
    #[serde(skip)]
    pub pragmas: Vec<crate::model::dockerfile::Pragma>,
    /// Comments meant as `# harden` pragmas that do not parse.
    #[serde(skip)]
    pub malformed_pragmas: Vec<crate::model::dockerfile::MalformedPragma>,
}

/// A syntax error at a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SyntaxError {
    pub line: u32,
    pub message: String,
    /// The limit reached (`nesting-depth`) and its value, when that is the reason.
    pub limit: Option<(&'static str, u64)>,
}

/// Parser directive state (BuildKit `directives`).
struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    syntax: Option<String>,
}

impl Directives {
    /// BuildKit `possibleParserDirective`: directives come first; the first line that is not one
    /// ends them. Matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`.
    fn possible_directive(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((key, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let key = key.to_ascii_lowercase();
        if !matches!(key.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&key) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        self.seen.push(key.clone());
        match key.as_str() {
            "escape" => match value {
                "`" => self.escape = '`',
                "\\" => self.escape = '\\',
                other => {
                    return Err(format!(
                        "invalid escape token '{other}' does not match ` or \\"
                    ));
                }
            },
            "syntax" => self.syntax = Some(value.to_string()),
            _ => {}
        }
        Ok(())
    }
}

/// RE2 `\s`: `[\t\n\f\r ]`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start_matches(is_re_space);
    let key_end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if key_end == 0 {
        return None;
    }
    let (key, rest) = rest.split_at(key_end);
    let value = rest
        .trim_start_matches(is_re_space)
        .strip_prefix('=')?
        .trim_matches(is_re_space);
    (!value.is_empty()).then_some((key, value))
}

/// Lines with their endings kept (BuildKit's `scanLines`).
fn physical_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
}

fn trim_newline(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

/// The first line of an instruction is left-trimmed; a comment line becomes empty.
fn process_line<'l>(
    directives: &mut Directives,
    raw: &'l str,
    strip_left: bool,
    line_number: u32,
) -> Result<&'l str, SyntaxError> {
    let mut token = trim_newline(raw);
    if strip_left {
        token = token.trim_start();
    }
    directives
        .possible_directive(token)
        .map_err(|message| SyntaxError {
            line: line_number,
            message,
            limit: None,
        })?;
    Ok(if token.starts_with('#') { "" } else { token })
}

fn is_comment(raw: &str) -> bool {
    trim_newline(raw).trim_start().starts_with('#')
}

/// BuildKit's continuation regex `([^E])E[ \t]*$|^E[ \t]*$`: the escape token ends the line
/// unless it is itself escaped (`\\` at the end is not a continuation).
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    if let Some(before) = trimmed.strip_suffix(escape)
        && !before.ends_with(escape)
    {
        return (before, false);
    }
    (line, true)
}

/// Parses a Dockerfile's text, with the default `nesting-depth`.
pub fn parse(text: &str) -> Result<SyntaxTree, SyntaxError> {
    let limits = crate::limits::Limits::default();
    parse_with(text, limits.nesting_depth, limits.dockerfile_words)
}

/// At least as many as the words, values and simple commands that `text` can split into, in any
/// form: every word, key/value pair, JSON item or command ends at one of these characters or at
/// the end. Counting them allocates nothing, so the bound is known before anything is split.
fn word_bound(text: &str) -> u64 {
    let separators = text
        .bytes()
        .filter(|b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    0x0b | b'=' | b',' | b';' | b'&' | b'|' | b'(' | b')' | b'`'
                )
        })
        .count();
    separators as u64 + 1
}

/// Parses a Dockerfile's text; `max_depth` (`nesting-depth`) bounds the `${` nesting the heredoc
/// search lexes through, `max_words` (`dockerfile-words`) the words of all the instructions and
/// heredocs (by [`word_bound`], charged before each is split: the model's and the checks' words
/// of a 60 MB `LABEL` took 5 GB).
pub fn parse_with(text: &str, max_depth: u64, max_words: u64) -> Result<SyntaxTree, SyntaxError> {
    let mut words: u64 = 0;
    let mut charge = |text: &str, line: u32| {
        words = words.saturating_add(word_bound(text));
        if words > max_words {
            return Err(SyntaxError {
                line,
                message: format!("more than {max_words} words in the instructions"),
                limit: Some(("dockerfile-words", max_words)),
            });
        }
        Ok(())
    };
    let mut directives = Directives {
        escape: '\\',
        done: false,
        seen: Vec::new(),
        syntax: None,
    };
    let mut lines = physical_lines(text);
    let mut current_line: u32 = 0;
    let mut instructions = Vec::new();
    let mut warnings = Vec::new();
    // Pragmas read so far and, of those, the ones in the comment run right above the next line.
    let mut pragmas: Vec<crate::model::dockerfile::Pragma> = Vec::new();
    let mut pending = 0;
    let mut malformed_pragmas = Vec::new();
    while let Some(mut raw) = lines.next() {
        if current_line == 0 {
            raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        }
        let processed = process_line(&mut directives, raw, true, current_line + 1)?;
        current_line += 1;
        let start_line = current_line;
        let (first, mut end_of_line) = trim_continuation(processed, directives.escape);
        if end_of_line && first.is_empty() {
            if is_comment(raw) {
                if let Some(pragma) = super::pragma::parse(trim_newline(raw), current_line) {
                    pragmas.push(pragma);
                    pending += 1;
                } else if let Some(malformed) =
                    super::pragma::malformed(trim_newline(raw), current_line)
                {
                    malformed_pragmas.push(malformed);
                }
            } else {
                pending = 0; // a blank line ends the comment run: those pragmas bind to nothing
            }
            continue;
        }
        let bound = pragmas.len() - pending;
        pending = 0;
        let mut line = first.to_string();
        let mut has_empty_continuation = false;
        while !end_of_line {
            let Some(raw) = lines.next() else { break };
            let processed = process_line(&mut directives, raw, false, current_line + 1)?;
            current_line += 1;
            if is_comment(raw) {
                continue;
            }
            if processed.trim_start().is_empty() {
                has_empty_continuation = true;
                continue;
            }
            let (continuation, end) = trim_continuation(processed, directives.escape);
            end_of_line = end;
            line.push_str(continuation);
        }
        if has_empty_continuation {
            warnings.push(format!(
                "line {start_line}: empty continuation line in: {line}"
            ));
        }
        let error_at = |message: String| SyntaxError {
            line: start_line,
            message,
            limit: None,
        };
        charge(&line, start_line)?;
        let mut instruction = node_from_line(&line, directives.escape, false).map_err(error_at)?;
        if instruction.can_contain_heredoc() {
            let heredocs = heredocs_from_line(&line, max_depth).map_err(|e| SyntaxError {
                line: start_line,
                message: e.message,
                limit: e.limit,
            })?;
            for mut heredoc in heredocs {
                let mut terminated = false;
                for raw in lines.by_ref() {
                    current_line += 1;
                    let mut candidate = trim_newline(raw);
                    if heredoc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == heredoc.name {
                        terminated = true;
                        break;
                    }
                    heredoc.content.push_str(raw);
                }
                charge(&heredoc.content, start_line)?;
                if !terminated {
                    return Err(SyntaxError {
                        line: start_line,
                        message: format!("unterminated heredoc {:?}", heredoc.name),
                        limit: None,
                    });
                }
                instruction.heredocs.push(heredoc);
            }
        }
        instruction.set_lines(start_line, current_line);
        for pragma in &mut pragmas[bound..] {
            if !pragma.global {
                pragma.instruction = Some(crate::findings::LineSpan {
                    start: start_line,
                    end: current_line,
                });
            }
        }
        instructions.push(instruction);
    }
    if instructions.is_empty() {
        return Err(SyntaxError {
            line: current_line.max(1),
            message: "file with no instructions".into(),
            limit: None,
        });
    }
    Ok(SyntaxTree {
        escape: directives.escape,
        syntax: directives.syntax,
        instructions,
        warnings,
        pragmas,
        malformed_pragmas,
    })
}

impl RawInstruction {
    fn set_lines(&mut self, start: u32, end: u32) {
        self.start_line = start;
        self.end_line = end;
        if let Some(sub) = &mut self.sub {
            sub.set_lines(start, end);
        }
    }

    /// RUN, COPY and ADD in shell form (also inside ONBUILD) may carry heredocs.
    fn can_contain_heredoc(&self) -> bool {
        let node = match (&self.keyword[..], &self.sub) {
            ("onbuild", Some(sub)) => sub,
            _ => self,
        };
        matches!(node.keyword.as_str(), "run" | "copy" | "add") && !node.json
    }
}

/// BuildKit `newNodeFromLine`: keyword, builder flags, then the keyword's argument parser.
/// `in_trigger`: the line is an ONBUILD's trigger.
fn node_from_line(line: &str, escape: char, in_trigger: bool) -> Result<RawInstruction, String> {
    let trimmed = line.trim();
    let (keyword, rest) = match trimmed.find(is_token_space) {
        Some(i) => (
            &trimmed[..i],
            trimmed[i..].trim_start_matches(is_token_space),
        ),
        None => (trimmed, ""),
    };
    let keyword = keyword.to_ascii_lowercase();
    let (args, flags) = extract_builder_flags(rest);
    let args = args.trim();
    let mut instruction = RawInstruction {
        keyword: keyword.clone(),
        original: line.to_string(),
        flags,
        values: Vec::new(),
        json: false,
        heredocs: Vec::new(),
        start_line: 0,
        end_line: 0,
        sub: None,
    };
    match keyword.as_str() {
        "add" | "copy" | "volume" => {
            (instruction.values, instruction.json) = maybe_json_to_list(args)?
        }
        "arg" => instruction.values = parse_words(args, escape),
        "cmd" | "entrypoint" | "run" | "shell" => {
            (instruction.values, instruction.json) = maybe_json(args)?
        }
        "env" | "label" => instruction.values = name_values(args, &keyword, escape)?,
        "expose" | "from" => instruction.values = whitespace_delimited(args),
        "healthcheck" => (instruction.values, instruction.json) = health_config(args)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !args.is_empty() {
                instruction.values = vec![args.to_string()];
            }
        }
        // BuildKit's ONBUILD node holds its trigger in a child of a node with an empty value.
        // A chained trigger (`ONBUILD ONBUILD RUN x`) parses, and its build rejects it: its own
        // trigger is not parsed, so `ONBUILD ` repeated a million times is neither a million
        // nested calls nor a million copies of the rest of the line.
        "onbuild" => {
            if !args.is_empty() {
                instruction.values = vec![String::new()];
                if !in_trigger {
                    instruction.sub = Some(Box::new(node_from_line(args, escape, true)?));
                }
            }
        }
        // BuildKit's parser keeps an unknown instruction (`parseIgnore`: one empty value); only
        // its build stage rejects it. The resolver skips it with a note.
        _ => instruction.values = vec![String::new()],
    }
    Ok(instruction)
}

/// BuildKit's `tokenWhitespace` / `reWhitespace`: `[\t\v\f\r ]`.
fn is_token_space(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// BuildKit `extractBuilderFlags`: leading `--words` (quotes and `\` processed, always with `\`),
/// up to the first word not starting with `--` or a lone `--`. BuildKit reads this part byte by
/// byte and turns each byte into a character of its own (`rune(line[pos])`), so a flag with
/// non-ASCII text comes out as its bytes read as Latin-1 (`usér` is `usÃ©r`), and the bytes 0x85
/// and 0xA0 (inside UTF-8 characters such as `à`) separate words. This does the same.
fn extract_builder_flags(line: &str) -> (Cow<'_, str>, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    // Go's `unicode.IsSpace` of a byte taken as a rune.
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0);
    // The rest of the line from a byte offset; BuildKit may cut inside a UTF-8 character.
    let rest = |position: usize| match line.get(position..) {
        Some(rest) => Cow::Borrowed(rest),
        None => String::from_utf8_lossy(&line.as_bytes()[position..]),
    };
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut position = 0;
    while position <= bytes.len() {
        let ch = bytes.get(position).copied().unwrap_or(0);
        let at_end = position == bytes.len();
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if is_space(ch) {
                position += 1;
                continue;
            }
            if ch != b'-' || bytes.get(position + 1) != Some(&b'-') {
                return (rest(position), words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        if phase == Phase::Word {
            if is_space(ch) {
                phase = Phase::Spaces;
                if word == "--" {
                    return (rest(position), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                position += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                position += 1;
                continue;
            }
            let mut ch = ch;
            if ch == b'\\' {
                if position + 1 == bytes.len() {
                    position += 1;
                    continue;
                }
                position += 1;
                ch = bytes[position];
            }
            word.push(char::from(ch));
            position += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
            position += 1;
            continue;
        }
        let mut ch = ch;
        if ch == b'\\' {
            if position + 1 == bytes.len() {
                phase = Phase::Word;
                position += 1;
                continue;
            }
            position += 1;
            ch = bytes[position];
        }
        word.push(char::from(ch));
        position += 1;
    }
    (Cow::Borrowed(""), words)
}

/// BuildKit `parseWords`: whitespace-separated words, quotes kept, the escape token keeps the
/// next character in the word.
fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut position = 0;
    while position <= chars.len() {
        let at_end = position == chars.len();
        let mut ch = chars.get(position).copied().unwrap_or('\0');
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                position += 1;
                continue;
            }
            phase = Phase::Word;
        }
        if at_end {
            if blank_ok || !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                position += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if position + 1 == chars.len() {
                    position += 1;
                    continue;
                }
                word.push(ch);
                position += 1;
                ch = chars[position];
            }
            word.push(ch);
            position += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if position + 1 == chars.len() {
                phase = Phase::Word;
                position += 1;
                continue;
            }
            position += 1;
            word.push(ch);
            ch = chars[position];
        }
        word.push(ch);
        position += 1;
    }
    words
}

/// BuildKit `parseNameVal` (ENV, LABEL): `KEY=VALUE ...`, or the legacy `KEY VALUE` when the first
/// word has no `=`. Returns key, value, key, value...
fn name_values(rest: &str, keyword: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        let Some(split) = rest.find(is_token_space) else {
            return Err(format!(
                "{} must have two arguments",
                keyword.to_uppercase()
            ));
        };
        let value = rest[split..].trim_start_matches(is_token_space);
        return Ok(vec![rest[..split].to_string(), value.to_string()]);
    }
    let mut values = Vec::with_capacity(words.len() * 2);
    for word in words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
            ));
        };
        values.push(key.to_string());
        values.push(value.to_string());
    }
    Ok(values)
}

fn whitespace_delimited(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    rest.split(is_token_space)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// BuildKit `parseJSON`: `Ok(None)` when the text is not a JSON array (shell form); an error when
/// it is an array of something other than strings.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    // Like Go's json.Decoder, read one value and ignore what follows it.
    let Some(Ok(serde_json::Value::Array(items))) = serde_json::Deserializer::from_str(rest)
        .into_iter::<serde_json::Value>()
        .next()
    else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(s) => Ok(s),
            _ => {
                Err("when using JSON array syntax, arrays must be comprised of strings only".into())
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match parse_json(rest)? {
        Some(items) => (items, true),
        None => (vec![rest.to_string()], false),
    })
}

fn maybe_json_to_list(rest: &str) -> Result<(Vec<String>, bool), String> {
    Ok(match parse_json(rest)? {
        Some(items) => (items, true),
        None => (whitespace_delimited(rest), false),
    })
}

/// BuildKit `parseHealthConfig`: the type word (`CMD`, `NONE`), then CMD's arguments.
fn health_config(rest: &str) -> Result<(Vec<String>, bool), String> {
    let separator = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '\x0b')
        .unwrap_or(rest.len());
    if separator == 0 {
        return Ok((Vec::new(), false));
    }
    let kind = &rest[..separator];
    let command =
        rest[separator..].trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
    let (mut values, json) = maybe_json(command)?;
    values.insert(0, kind.to_string());
    Ok((values, json))
}

/// BuildKit `heredocsFromLine`: every word of the line of the form `[n]<<[-]NAME`.
///
/// No variable is set here, so the words are made of the line's own characters: a line without
/// `<` has no heredoc (`${a:-<}<EOF` is one), and a word is never longer than the line, so the
/// `expansion-bytes` limit does not apply. BuildKit ignores a lexer error here (and finds no
/// heredoc); only reaching `nesting-depth`, which BuildKit does not have, is an error: ignoring it
/// would read the heredoc's body as instructions (a `USER` in it taken for the stage's).
fn heredocs_from_line(line: &str, max_depth: u64) -> Result<Vec<RawHeredoc>, shell::LexError> {
    if !line.contains('<') {
        return Ok(Vec::new());
    }
    let raw = LexOptions {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
        max_depth,
        max_bytes: u64::MAX,
        ..LexOptions::expanding('\\')
    };
    let unset = |_: &str| None;
    let words = match shell::expand_words(line, raw, &unset) {
        Ok(words) => words,
        Err(error) if error.limit.is_some() => return Err(error),
        Err(_) => Vec::new(),
    };
    let mut heredocs = Vec::new();
    for word in words {
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match after.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, after),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        // BuildKit `heredocFromMatch` lexes the delimiter again with escapes processed
        // (`<<\EOF` and `<<E\OF` name `EOF`), once without and once with its quotes.
        let cooked = LexOptions {
            raw_quotes: false,
            raw_escapes: false,
            ..raw
        };
        let names = shell::expand_words(rest, cooked, &unset)?;
        let [name] = names.as_slice() else { continue };
        let quoted = LexOptions {
            raw_quotes: true,
            ..cooked
        };
        let raw_names = shell::expand_words(rest, quoted, &unset)?;
        let quotes = |s: &str| s.matches(['\'', '"']).count();
        let expand = raw_names.first().is_some_and(|r| quotes(r) == quotes(name));
        heredocs.push(RawHeredoc {
            name: name.clone(),
            file_descriptor: word[..digits].parse().unwrap_or(0),
            expand,
            chomp,
            content: String::new(),
        });
    }
    Ok(heredocs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(text: &str) -> RawInstruction {
        let tree = parse(text).unwrap();
        assert_eq!(tree.instructions.len(), 1, "{tree:?}");
        tree.instructions.into_iter().next().unwrap()
    }

    #[test]
    fn double_escape_at_end_is_not_a_continuation() {
        let tree = parse("FROM a\nRUN echo \\\\\nRUN b\n").unwrap();
        assert_eq!(tree.instructions.len(), 3);
        assert_eq!(tree.instructions[1].values, ["echo \\\\"]);
    }

    #[test]
    fn continuation_skips_comments_and_empty_lines() {
        let run = only("RUN a \\\n  # comment\n\n  b\n");
        assert_eq!(run.values, ["a   b"]);
        assert_eq!((run.start_line, run.end_line), (1, 4));
    }

    #[test]
    fn empty_entrypoint_is_json() {
        let entrypoint = only("ENTRYPOINT []");
        assert!(entrypoint.json);
        assert!(entrypoint.values.is_empty());
    }

    #[test]
    fn heredocs_span_their_bodies() {
        let run = only("RUN <<EOF cat <<-'X'\necho a\nEOF\n\tb\n\tX\n");
        assert_eq!(run.heredocs.len(), 2);
        assert_eq!(run.heredocs[1].name, "X");
        assert!(!run.heredocs[1].expand);
        assert_eq!((run.start_line, run.end_line), (1, 5));
    }

    #[test]
    fn heredoc_delimiters_have_their_escapes_processed() {
        let run = only("RUN cat <<\\EOF <<E\\ND\nx\nEOF\ny\nEND\n");
        let names: Vec<&str> = run.heredocs.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["EOF", "END"]);
        assert_eq!(run.end_line, 5);
    }

    #[test]
    fn escape_directive_switches_continuation() {
        let tree = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  x\n").unwrap();
        assert_eq!(tree.escape, '`');
        assert_eq!(tree.instructions[1].values, ["dir c:\\   x"]);
    }

    #[test]
    fn legacy_env_and_flags() {
        let env = only("ENV K some value");
        assert_eq!(env.values, ["K", "some value"]);
        let run = only("RUN --mount=type=secret,id=x --network=none echo");
        assert_eq!(run.flags, ["--mount=type=secret,id=x", "--network=none"]);
        assert_eq!(run.values, ["echo"]);
    }

    #[test]
    fn flags_are_read_byte_by_byte_as_buildkit_reads_them() {
        let copy = only("COPY --chown=us\u{e9}r:g a b");
        assert_eq!(copy.flags, ["--chown=us\u{c3}\u{a9}r:g"]);
        // The second byte of `à` (0xA0) separates words, as Go's `unicode.IsSpace` says.
        let copy = only("COPY --chown=\u{e0} a b");
        assert_eq!(copy.flags, ["--chown=\u{c3}"]);
        assert_eq!(copy.values, ["a", "b"]);
        // A cut inside a character does not panic.
        let copy = only("COPY --x=\u{2800}y a");
        assert_eq!(copy.flags, ["--x=\u{e2}"]);
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse("FROM a\n\nRUN [\"a\", 1]\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(parse("FROM a\nRUN <<EOF\nx\n").is_err());
    }

    #[test]
    fn chained_onbuild_parses_one_trigger_deep() {
        let chained = only("ONBUILD ONBUILD RUN x");
        let trigger = chained.sub.unwrap();
        assert_eq!(
            (trigger.keyword.as_str(), &trigger.values[..]),
            ("onbuild", &[String::new()][..])
        );
        assert!(trigger.sub.is_none());
        // A million levels: one trigger parsed, not a million nested calls and line copies.
        // (Past dockerfile-words by default: the limit is lifted to reach the parser.)
        let deep = format!("FROM a\n{}RUN x\n", "ONBUILD ".repeat(1_000_000));
        let tree = parse_with(&deep, 128, u64::MAX).unwrap();
        let trigger = tree.instructions[1].sub.as_ref().unwrap();
        assert!(trigger.sub.is_none());
        assert!(trigger.original.len() < deep.len());
    }

    #[test]
    fn heredocs_are_found_on_long_lines_and_deep_nesting_is_a_limit() {
        // A line longer than expansion-bytes still opens its heredoc: the body is no instruction.
        let long = format!(
            "FROM a\nRUN cat <<EOF > /dev/null #{}\nUSER 1000\nEOF\n",
            "x".repeat(1_100_000)
        );
        let tree = parse(&long).unwrap();
        assert_eq!(tree.instructions.len(), 2);
        assert_eq!(tree.instructions[1].heredocs[0].content, "USER 1000\n");
        // Nesting past nesting-depth is the limit, not a line without heredocs.
        let nested = format!(
            "FROM a\nRUN cat <<EOF {}{}\nUSER 1000\nEOF\n",
            "${a:-".repeat(200),
            "}".repeat(200)
        );
        let error = parse(&nested).unwrap_err();
        assert_eq!(error.limit.map(|(name, _)| name), Some("nesting-depth"));
        assert_eq!(error.line, 2);
        assert!(parse_with(&nested, 1000, u64::MAX).is_ok());
        // BuildKit's other lexer errors still just mean no heredoc.
        let tree = parse("FROM a\nRUN echo \"<<EOF\n").unwrap();
        assert!(tree.instructions[1].heredocs.is_empty());
    }

    #[test]
    fn unknown_instructions_are_kept_as_buildkit_keeps_them() {
        let foo = only("FOO --x=1 bar baz");
        assert_eq!(foo.keyword, "foo");
        assert_eq!(foo.flags, ["--x=1"]);
        assert_eq!(foo.values, [""]);
        let onbuild = only("ONBUILD BAR x");
        assert_eq!(onbuild.sub.unwrap().keyword, "bar");
    }
}
