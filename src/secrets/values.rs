//! One redaction path for everything a report prints. The detectors of this module run once over
//! every value the inputs carry (image ENV, labels, HEALTHCHECK, CMD, history, kept credential
//! files; Dockerfile instructions; task definitions) and collect the secret values they find;
//! [`Redactor`] then replaces each of those values, wherever it appears, in every string of the
//! report: messages, evidence, related locations, suggested fixes (XC003's `healthCheck` JSON),
//! control offenders and notes, before any format renders them. A check that forgets to redact,
//! or echoes an input it did not scan, still prints no secret whole.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::*;

/// Values shorter than this are not replaced across the report: a two-letter "password" would
/// redact every occurrence of those letters. The detector's own finding still shows it redacted.
const SHORTEST_REPLACED: usize = 4;

/// The secret values found in the inputs, each with its redaction.
#[derive(Debug, Default, Clone)]
pub struct SecretValues {
    values: BTreeMap<String, String>,
}

impl SecretValues {
    fn insert(&mut self, value: &str, redacted: &str) {
        let value = value.trim();
        if value.chars().count() >= SHORTEST_REPLACED {
            self.values
                .entry(value.to_string())
                .or_insert_with(|| redacted.to_string());
        }
    }

    /// Free text: a command line, a history entry, a Dockerfile instruction, a label value.
    pub fn add_text(&mut self, text: &str) {
        let (found, values) = find_with_values(text);
        for (secret, value) in found.iter().zip(&values) {
            self.insert(value, &secret.redacted);
        }
    }

    /// A named value (`ENV NAME=value`, a label, a task-definition `environment` entry), judged
    /// by its name and its format, and also read as free text (a URL with a password).
    pub fn add_named(&mut self, name: &str, value: &str) {
        if let Some(secret) = check_named_value(name, value) {
            self.insert(value, &secret.redacted);
        }
        self.add_text(value);
    }

    /// A file the file scanners know (`.netrc`, `.aws/credentials`...).
    pub fn add_file(&mut self, path: &str, content: &[u8]) {
        for secret in scan_file(path, content) {
            if secret.kind != SecretFileKind::PrivateKey {
                self.insert(&secret.value, &secret.redacted);
            }
        }
        self.add_text(&String::from_utf8_lossy(content));
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds another input's values (the report of several Dockerfiles has one redactor).
    pub fn extend(&mut self, other: SecretValues) {
        for (value, redacted) in other.values {
            self.values.entry(value).or_insert(redacted);
        }
    }

    /// The matcher that replaces every collected value.
    pub fn redactor(&self) -> Redactor {
        if self.values.is_empty() {
            return Redactor::default();
        }
        // Leftmost-longest: a value inside a longer one never leaves the longer one's tail shown.
        let matcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(self.values.keys())
            .ok();
        Redactor {
            refuse_all: matcher.is_none(),
            matcher,
            replacements: self.values.values().cloned().collect(),
        }
    }
}

/// Replaces collected secret values in a string, in one pass whatever their number.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    matcher: Option<aho_corasick::AhoCorasick>,
    replacements: Vec<String>,
    /// The values could not be compiled (beyond aho-corasick's size limits): hide every string.
    refuse_all: bool,
}

impl Redactor {
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.refuse_all {
            return Cow::Owned(redact(text));
        }
        match &self.matcher {
            Some(matcher) if matcher.is_match(text) => {
                Cow::Owned(matcher.replace_all(text, &self.replacements))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// Redacts `text` in place.
    pub fn apply(&self, text: &mut String) {
        if let Cow::Owned(redacted) = self.redact(text) {
            *text = redacted;
        }
    }

    /// Like [`Redactor::redact`], but a value that spans lines leaves as many line breaks as it
    /// had, so the text keeps its line numbers (`harden fix`'s diff of a file with a secret).
    pub fn redact_keeping_lines<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.refuse_all {
            return Cow::Owned(
                text.split_inclusive('\n')
                    .map(|line| {
                        let (body, end) = match line.strip_suffix('\n') {
                            Some(body) => (body, "\n"),
                            None => (line, ""),
                        };
                        format!("{}{end}", redact(body))
                    })
                    .collect(),
            );
        }
        match &self.matcher {
            Some(matcher) if matcher.is_match(text) => {
                let mut out = String::with_capacity(text.len());
                matcher.replace_all_with(text, &mut out, |found, matched, out| {
                    out.push_str(&self.replacements[found.pattern().as_usize()]);
                    for _ in matched.matches('\n') {
                        out.push('\n');
                    }
                    true
                });
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_can_keep_line_numbers() {
        let mut values = SecretValues::default();
        values.insert("line one secret\nline two secret", "[redacted]");
        values.insert("hunter2hunter2", "[hunter]");
        let redactor = values.redactor();
        let text = "a\nline one secret\nline two secret\nb hunter2hunter2 c\n";
        let kept = redactor.redact_keeping_lines(text);
        assert_eq!(kept, "a\n[redacted]\n\nb [hunter] c\n");
        assert_eq!(kept.lines().count(), text.lines().count());
        let all = Redactor {
            refuse_all: true,
            ..Redactor::default()
        };
        assert_eq!(all.redact_keeping_lines(text).lines().count(), 4);
    }

    #[test]
    fn every_occurrence_of_every_found_value_is_replaced() {
        let password = ["s3cr", "et-pa55word"].concat();
        let mut values = SecretValues::default();
        values.add_named("DB_PASSWORD", &password);
        values.add_text(&format!("curl -u admin:{password}x https://h/"));
        let redactor = values.redactor();
        let suggested = format!(
            "{{\"command\": [\"CMD-SHELL\", \"check --pw {password} && curl -u admin:{password}x\"]}}"
        );
        let shown = redactor.redact(&suggested);
        assert!(!shown.contains(&password), "{shown}");
        assert!(shown.contains("s3cr… (15 chars)"), "{shown}");
        assert_eq!(redactor.redact("nothing here"), "nothing here");
    }

    #[test]
    fn short_values_are_not_replaced_everywhere() {
        let mut values = SecretValues::default();
        values.add_named("DB_PASSWORD", "abc");
        assert!(values.is_empty());
    }
}
