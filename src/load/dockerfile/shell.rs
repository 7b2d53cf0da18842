//! BuildKit's shell-word lexer (`frontend/dockerfile/shell/lex.go`), the part the Dockerfile
//! frontend uses: quote removal, escapes, and `$X` / `${X}` / `${X:-word}` / `${X-word}` /
//! `${X:+word}` / `${X+word}` / `${X:?msg}` / `${X#prefix}` / `${X%suffix}` expansion.
//! It does not run a shell: RUN/CMD/ENTRYPOINT text is never expanded here (BuildKit does not
//! either; their shell does at run time).

/// How the lexer treats quotes, escapes and unset variables (BuildKit's `Lex` options).
#[derive(Debug, Clone, Copy)]
pub struct LexOptions {
    pub escape: char,
    /// Keep quote characters in the output (`RawQuotes`).
    pub raw_quotes: bool,
    /// Keep escape characters in the output (`RawEscapes`).
    pub raw_escapes: bool,
    /// Leave `$X` as written when X is unset (`SkipUnsetEnv`).
    pub skip_unset: bool,
    /// `${..}` nested deeper than this is refused (the `nesting-depth` limit): the lexer recurses
    /// once per level, so an attacker's `${a:-${b:-...}}` must not reach the stack's end.
    pub max_depth: u64,
    /// A word expanded beyond this many bytes is refused (the `expansion-bytes` limit): `ARG`s
    /// that double each other reach a gigabyte in thirty lines.
    pub max_bytes: u64,
}

impl LexOptions {
    pub fn expanding(escape: char) -> LexOptions {
        LexOptions {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset: false,
            max_depth: crate::limits::Limits::default().nesting_depth,
            max_bytes: crate::limits::Limits::default().expansion_bytes,
        }
    }

    /// The same options bounded by `limits` rather than the defaults.
    pub fn bounded_by(self, limits: &crate::limits::Limits) -> LexOptions {
        LexOptions {
            max_depth: limits.nesting_depth,
            max_bytes: limits.expansion_bytes,
            ..self
        }
    }
}

/// Why a word cannot be expanded (BuildKit's messages), or which limit it reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LexError {
    pub message: String,
    /// The limit reached (`nesting-depth`, `expansion-bytes`), when that is the reason: a limit is
    /// an input error, where a BuildKit error is only a note.
    pub limit: Option<(&'static str, u64)>,
}

impl LexError {
    fn new(message: impl Into<String>) -> LexError {
        LexError {
            message: message.into(),
            limit: None,
        }
    }
}

/// Expands one word (BuildKit `ProcessWord`): the result keeps inner whitespace.
pub fn expand_word(
    text: &str,
    options: LexOptions,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, LexError> {
    let mut lexer = Lexer::new(text, options, lookup);
    lexer
        .process_stop_on(None, options.raw_escapes)
        .map(|(s, _)| s)
}

/// Splits and expands into words (BuildKit `ProcessWords`).
pub fn expand_words(
    text: &str,
    options: LexOptions,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, LexError> {
    let mut lexer = Lexer::new(text, options, lookup);
    lexer
        .process_stop_on(None, options.raw_escapes)
        .map(|(_, words)| words)
}

/// Words as BuildKit collects them (`wordsStruct`): whitespace from plain characters splits,
/// quoted or escaped characters never do, and an empty word (`""`) is never one: BuildKit only
/// ends a word that has characters, so `"" a` is the one word `a` and `<<""` names no heredoc.
#[derive(Default)]
struct Words {
    words: Vec<String>,
    current: String,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.current.is_empty() {
                self.words.push(std::mem::take(&mut self.current));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.current.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, text: &str) {
        text.chars().for_each(|c| self.add_char(c));
    }
    fn add_raw_string(&mut self, text: &str) {
        self.current.push_str(text);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.current.is_empty() {
            self.words.push(self.current);
        }
        self.words
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    position: usize,
    /// `${` levels open now (bounded by `options.max_depth`).
    depth: u64,
    options: LexOptions,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Lexer<'a> {
    fn new(
        text: &str,
        options: LexOptions,
        lookup: &'a dyn Fn(&str) -> Option<String>,
    ) -> Lexer<'a> {
        // Go's `text/scanner`, which BuildKit's lexer reads with, drops a byte-order mark at the
        // very start of its input.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Lexer {
            chars: text.chars().collect(),
            position: 0,
            depth: 0,
            options,
            lookup,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek();
        if ch.is_some() {
            self.position += 1;
        }
        ch
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), LexError> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            self.check_size(&result)?;
            if Some(ch) == stop {
                self.next();
                return Ok((result, words.finish()));
            }
            match ch {
                '\'' => {
                    let text = self.process_single_quote()?;
                    result.push_str(&text);
                    words.add_raw_string(&text);
                }
                '"' => {
                    let text = self.process_double_quote()?;
                    result.push_str(&text);
                    words.add_raw_string(&text);
                }
                '$' => {
                    let text = self.process_dollar()?;
                    result.push_str(&text);
                    words.add_string(&text);
                }
                _ => {
                    self.next();
                    if ch == self.options.escape {
                        if raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        // The escape token escapes the next character, except at the end.
                        let Some(escaped) = self.next() else { break };
                        words.add_raw_char(escaped);
                        result.push(escaped);
                    } else {
                        words.add_char(ch);
                        result.push(ch);
                    }
                }
            }
        }
        self.check_size(&result)?;
        if let Some(stop) = stop {
            return Err(LexError::new(format!(
                "unexpected end of statement while looking for matching {stop}"
            )));
        }
        Ok((result, words.finish()))
    }

    /// Expansion is checked as it goes, so a bomb stops at the limit rather than after it.
    fn check_size(&self, result: &str) -> Result<(), LexError> {
        if result.len() as u64 > self.options.max_bytes {
            return Err(LexError {
                message: format!(
                    "a word expands to more than {} bytes",
                    self.options.max_bytes
                ),
                limit: Some(("expansion-bytes", self.options.max_bytes)),
            });
        }
        Ok(())
    }

    fn process_single_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let quote = self.next();
        if self.options.raw_quotes {
            result.extend(quote);
        }
        loop {
            match self.next() {
                None => {
                    return Err(LexError::new(
                        "unexpected end of statement while looking for matching single-quote",
                    ));
                }
                Some('\'') => {
                    if self.options.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => result.push(ch),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let quote = self.next();
        if self.options.raw_quotes {
            result.extend(quote);
        }
        loop {
            self.check_size(&result)?;
            match self.peek() {
                None => {
                    return Err(LexError::new(
                        "unexpected end of statement while looking for matching double-quote",
                    ));
                }
                Some('"') => {
                    self.next();
                    if self.options.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => result.push_str(&self.process_dollar()?),
                Some(_) => {
                    let mut ch = self.next().expect("peeked");
                    if ch == self.options.escape {
                        if self.options.raw_escapes {
                            result.push(ch);
                        }
                        // Only `"`, `$` and the escape token can be escaped inside double quotes.
                        if let Some(next) = self.peek()
                            && (next == '"' || next == '$' || next == self.options.escape)
                        {
                            ch = self.next().expect("peeked");
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(digit) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(digit);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                name.push(ch);
                return name;
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_dollar(&mut self) -> Result<String, LexError> {
        self.next(); // `$`
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match (self.lookup)(&name) {
                Some(value) => value,
                None if self.options.skip_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.next(); // `{`
        match self.peek() {
            None => return Err(LexError::new("syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(LexError::new("syntax error: bad substitution")),
            Some(_) => {}
        }
        let name = self.process_name();
        let Some(mut modifier) = self.next() else {
            return Err(LexError::new("syntax error: missing '}'"));
        };
        let mut written = modifier.to_string();
        let value = (self.lookup)(&name);
        if modifier == '}' {
            return Ok(match value {
                Some(value) => value,
                None if self.options.skip_unset => format!("${{{name}}}"),
                None => String::new(),
            });
        }
        let mut null_is_unset = false;
        if modifier == ':' {
            null_is_unset = true;
            modifier = self
                .next()
                .ok_or_else(|| LexError::new("syntax error: missing '}'"))?;
            written.push(modifier);
        }
        let supported = matches!(modifier, '+' | '-' | '?' | '#' | '%');
        let unsupported =
            || LexError::new(format!("unsupported modifier ({written}) in substitution"));
        let raw_escapes = modifier == '#' || modifier == '%';
        // After `:` BuildKit falls through to reading the word whatever the modifier is, and
        // only then rejects an unknown one: an unset variable left as written (`SkipUnsetEnv`,
        // heredoc detection) hides it.
        if (null_is_unset && raw_escapes) || (!null_is_unset && !supported) {
            return Err(unsupported());
        }
        if self.depth >= self.options.max_depth {
            return Err(LexError {
                message: format!(
                    "variable substitutions nested more than {} deep",
                    self.options.max_depth
                ),
                limit: Some(("nesting-depth", self.options.max_depth)),
            });
        }
        self.depth += 1;
        let inner = self.process_stop_on(Some('}'), raw_escapes);
        self.depth -= 1;
        let (word, _) = inner.map_err(|e| {
            if e.limit.is_some() {
                e
            } else if self.peek().is_none() {
                LexError::new("syntax error: missing '}'")
            } else {
                e
            }
        })?;
        if value.is_none() && self.options.skip_unset {
            return Ok(format!("${{{name}{written}{word}}}"));
        }
        if !supported {
            return Err(unsupported());
        }
        let Some(value) = value else {
            return match modifier {
                '-' => Ok(word),
                '?' => Err(LexError::new(format!(
                    "{name}: {}",
                    if word.is_empty() {
                        "is not allowed to be unset"
                    } else {
                        &word
                    }
                ))),
                _ => Ok(String::new()),
            };
        };
        let empty = null_is_unset && value.is_empty();
        Ok(match modifier {
            '-' if empty => word,
            '-' => value,
            '+' if empty => String::new(),
            '+' => word,
            '?' if empty => {
                return Err(LexError::new(format!(
                    "{name}: {}",
                    if word.is_empty() {
                        "is not allowed to be empty"
                    } else {
                        &word
                    }
                )));
            }
            '?' => value,
            // Pattern removal: literal prefixes/suffixes only (globs are rare in Dockerfiles).
            '#' => value
                .strip_prefix(word.as_str())
                .unwrap_or(&value)
                .to_string(),
            _ => value
                .strip_suffix(word.as_str())
                .unwrap_or(&value)
                .to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn expand(text: &str) -> String {
        expand_word(text, LexOptions::expanding('\\'), &env).unwrap()
    }

    #[test]
    fn expands_the_buildkit_forms() {
        assert_eq!(expand("$SET"), "value");
        assert_eq!(expand("${SET}x"), "valuex");
        assert_eq!(expand("${UNSET:-dflt}"), "dflt");
        assert_eq!(expand("${EMPTY:-dflt}"), "dflt");
        assert_eq!(expand("${EMPTY-dflt}"), "");
        assert_eq!(expand("${SET:+alt}"), "alt");
        assert_eq!(expand("${UNSET:+alt}"), "");
        assert_eq!(expand("${UNSET:-${SET}}"), "value");
        assert_eq!(expand("'$SET'"), "$SET");
        assert_eq!(expand("\"$SET b\""), "value b");
        assert_eq!(expand("a\\ b"), "a b");
        assert_eq!(expand("$UNSET"), "");
        assert!(expand_word("${UNSET:?needed}", LexOptions::expanding('\\'), &env).is_err());
    }

    #[test]
    fn splits_raw_words_keeping_quotes() {
        let options = LexOptions {
            raw_quotes: true,
            raw_escapes: true,
            skip_unset: true,
            ..LexOptions::expanding('\\')
        };
        let words = expand_words("RUN <<EOF cat <<-\"X Y\" $Z", options, &env).unwrap();
        assert_eq!(words, ["RUN", "<<EOF", "cat", "<<-\"X Y\"", "$Z"]);
    }

    #[test]
    fn an_unknown_modifier_after_a_colon_is_read_before_it_is_rejected() {
        let skipping = LexOptions {
            skip_unset: true,
            ..LexOptions::expanding('\\')
        };
        let words = expand_words("a ${UNSET:x b} c", skipping, &env).unwrap();
        assert_eq!(words, ["a", "${UNSET:x", "b}", "c"]);
        assert!(expand_word("${SET:x b}", skipping, &env).is_err());
        assert!(expand_word("${UNSET:x b}", LexOptions::expanding('\\'), &env).is_err());
        assert!(expand_word("${UNSET:#b}", skipping, &env).is_err());
        assert!(expand_word("${UNSET/b}", skipping, &env).is_err());
    }

    #[test]
    fn a_leading_byte_order_mark_is_dropped_as_go_text_scanner_does() {
        assert_eq!(expand("\u{feff}$SET"), "value");
        assert_eq!(expand("a\u{feff}"), "a\u{feff}");
    }

    #[test]
    fn empty_quoted_strings_are_no_words() {
        let words = expand_words("\"\" a '' \"\"b", LexOptions::expanding('\\'), &env).unwrap();
        assert_eq!(words, ["a", "b"]);
        let words = expand_words("\"\"", LexOptions::expanding('\\'), &env).unwrap();
        assert!(words.is_empty());
    }
}
