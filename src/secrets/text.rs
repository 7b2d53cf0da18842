//! Free text (image history, RUN lines, commands): the secrets in it, and the text redacted.

use super::*;

/// A secret found in free text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSecret {
    pub kind: SecretKind,
    /// The variable or option that held it, when there was one (`TOKEN`, `curl -u`).
    pub name: Option<String>,
    /// Why it was flagged, without the value.
    pub reason: String,
    /// The value, redacted.
    pub redacted: String,
}

/// Splits shell-ish text into words: whitespace separates, quotes group (without escapes). Each
/// word comes with the byte range it was written in, so a value found in it can be placed. An
/// iterator: a 60 MB command line of 30,000,000 words held them all (3 GB) when collected.
pub(super) struct ShellWords<'a> {
    text: &'a str,
    chars: std::str::CharIndices<'a>,
}

impl<'a> ShellWords<'a> {
    pub(super) fn new(text: &'a str) -> ShellWords<'a> {
        ShellWords {
            text,
            chars: text.char_indices(),
        }
    }
}

impl Iterator for ShellWords<'_> {
    type Item = (String, std::ops::Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut current = String::new();
        let mut quote: Option<char> = None;
        let mut in_word = false;
        let mut start = 0;
        for (at, c) in self.chars.by_ref() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => current.push(c),
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    if !in_word {
                        start = at;
                    }
                    in_word = true;
                }
                None if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')') => {
                    if in_word {
                        return Some((current, start..at));
                    }
                }
                None => {
                    if !in_word {
                        start = at;
                    }
                    current.push(c);
                    in_word = true;
                }
            }
        }
        in_word.then_some((current, start..self.text.len()))
    }
}

/// Finds credentials in a command line or history entry: known formats anywhere, `NAME=value`
/// assignments with credential names (`ENV`, `ARG`, `export`, `--build-arg`, the `|1 TOKEN=...`
/// prefix Docker writes for build args used by a RUN), `ENV NAME value`, URLs with passwords,
/// `curl -u user:password` and `Authorization:` headers. Each value is reported once.
pub fn find_secrets_in_text(text: &str) -> Vec<TextSecret> {
    find_with_values(text).0
}

/// `text` with every secret [`find_secrets_in_text`] finds replaced by its redaction, for showing
/// a history line or a command as evidence. Every occurrence of a found value is replaced, in one
/// pass over the text for all the values together (a line with 60,000 `PASSWORD=` assignments
/// took minutes when each value was replaced in turn).
pub fn redact_text(text: &str) -> String {
    let (found, values) = find_with_values(text);
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .zip(&values)
        .filter(|(_, value)| !value.is_empty())
        .map(|(secret, value)| (value.as_str(), secret.redacted.as_str()))
        .collect();
    if pairs.is_empty() {
        return text.to_string();
    }
    // Leftmost-longest: a value inside a longer one never leaves the longer one's tail shown.
    let Ok(matcher) = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(pairs.iter().map(|(value, _)| value))
    else {
        // Only a pattern set beyond aho-corasick's size limits fails; show nothing of the text.
        return redact(text);
    };
    let replacements: Vec<&str> = pairs.iter().map(|(_, redacted)| *redacted).collect();
    matcher.replace_all(text, &replacements)
}

/// The secrets in `text` and, in the same order, their raw values (never leave this module).
pub(super) fn find_with_values(text: &str) -> (Vec<TextSecret>, Vec<String>) {
    let mut found: Vec<TextSecret> = Vec::new();
    let mut seen_values: Vec<String> = Vec::new();
    // Each value is reported once: the same value again, or a value written inside one already
    // found (a token format inside a named value), is no new secret. Exact values in a set and
    // found places as sorted ranges keep this linear in the number of secrets.
    let mut distinct: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut places: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut push = |found: &mut Vec<TextSecret>,
                    secret: TextSecret,
                    value: &str,
                    place: std::ops::Range<usize>| {
        let inside_another = places
            .range(..place.end.max(place.start + 1))
            .next_back()
            .is_some_and(|(_, end)| *end > place.start);
        if distinct.contains(value) || inside_another {
            return;
        }
        distinct.insert(value.to_string());
        places.insert(place.start, place.end);
        seen_values.push(value.to_string());
        found.push(secret);
    };

    // Where `value` is written in the word written at `extent` (the whole word when quotes split
    // it).
    let place_at =
        |extent: std::ops::Range<usize>, value: &str| match text[extent.clone()].find(value) {
            Some(at) if !value.is_empty() => extent.start + at..extent.start + at + value.len(),
            _ => extent,
        };
    // Each word with the two after it: the words are read as they are needed, never all held.
    let mut source = ShellWords::new(text);
    let mut window: std::collections::VecDeque<(String, std::ops::Range<usize>)> =
        source.by_ref().take(2).collect();
    while let Some((word, extent)) = window.pop_front() {
        window.extend(source.next());
        let next = window.front().map(|(w, _)| w);
        let after = window.get(1).map(|(w, _)| w);
        // The extent of this word (0) or of the one `n` after it.
        let extent_of = |n: usize| match n {
            0 => extent.clone(),
            n => window
                .get(n - 1)
                .map_or_else(|| extent.clone(), |(_, e)| e.clone()),
        };
        // NAME=value (also --name=value).
        if let Some((raw_name, value)) = word.split_once('=') {
            let name = raw_name.trim_start_matches('-');
            let plausible_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
            if plausible_name && let Some(secret) = check_named_value(name, value) {
                push(
                    &mut found,
                    TextSecret {
                        kind: secret.kind,
                        name: Some(name.to_string()),
                        reason: format!("{name}: {}", secret.reason),
                        redacted: secret.redacted,
                    },
                    value.trim(),
                    place_at(extent_of(0), value.trim()),
                );
                continue;
            }
        }
        // `ENV NAME value` (the legacy form) and `--password value`.
        // `aws configure set aws_secret_access_key VALUE`, `git config --global NAME VALUE`-style.
        if word == "set"
            && let (Some(name), Some(value)) = (next, after)
            && !name.contains('=')
            && let Some(secret) = check_named_value(name, value)
        {
            push(
                &mut found,
                TextSecret {
                    kind: secret.kind,
                    reason: format!("{name}: {}", secret.reason),
                    name: Some(name.clone()),
                    redacted: secret.redacted,
                },
                value.trim(),
                place_at(extent_of(2), value.trim()),
            );
            continue;
        }
        let takes_value = matches!(word.as_str(), "ENV" | "ARG")
            || word.starts_with("--") && credential_name(word.trim_start_matches('-')).is_some();
        if takes_value && let Some(candidate) = next {
            let (name, value, value_index) = if word.starts_with("--") {
                (
                    word.trim_start_matches('-').to_string(),
                    candidate.clone(),
                    1,
                )
            } else {
                match (candidate.contains('='), after) {
                    (false, Some(value)) => (candidate.clone(), value.clone(), 2),
                    _ => continue,
                }
            };
            if let Some(secret) = check_named_value(&name, &value) {
                push(
                    &mut found,
                    TextSecret {
                        kind: secret.kind,
                        reason: format!("{name}: {}", secret.reason),
                        name: Some(name),
                        redacted: secret.redacted,
                    },
                    value.trim(),
                    place_at(extent_of(value_index), value.trim()),
                );
            }
            continue;
        }
        // curl/wget -u user:password, --user user:password.
        if matches!(word.as_str(), "-u" | "--user" | "--proxy-user")
            && let Some(credentials) = next
            && let Some((_user, password)) = credentials.split_once(':')
            && !is_placeholder(password)
        {
            push(
                &mut found,
                TextSecret {
                    kind: known_kind_or(password, SecretKind::UrlCredentials),
                    name: Some(format!("{word} user:password")),
                    reason: format!("password given with {word}"),
                    redacted: redact(password),
                },
                password,
                place_at(extent_of(1), password),
            );
            continue;
        }
        // Authorization: Bearer xyz / Basic xyz (one word when quoted).
        let lower = word.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("authorization:") {
            let original_rest = &word[word.len() - rest.len()..];
            let credential = original_rest
                .split_whitespace()
                .last()
                .unwrap_or_default()
                .to_string();
            if !is_placeholder(&credential) {
                push(
                    &mut found,
                    TextSecret {
                        kind: SecretKind::AuthorizationHeader,
                        name: Some("Authorization".to_string()),
                        reason: "an Authorization header value".to_string(),
                        redacted: redact(&credential),
                    },
                    &credential,
                    place_at(extent_of(0), &credential),
                );
                continue;
            }
        }
        if let Some(password) = url_credentials(&word) {
            push(
                &mut found,
                TextSecret {
                    kind: known_kind_or(password, SecretKind::UrlCredentials),
                    name: None,
                    reason: "a URL with a password".to_string(),
                    redacted: redact(password),
                },
                password,
                place_at(extent_of(0), password),
            );
        }
    }
    for matched in find_known_formats(text) {
        let value = &text[matched.start..matched.end];
        push(
            &mut found,
            TextSecret {
                kind: matched.kind,
                name: None,
                reason: format!("a {}", matched.kind.description()),
                redacted: redact(value),
            },
            value,
            matched.start..matched.end,
        );
    }
    (found, seen_values)
}
