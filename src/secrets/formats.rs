//! Values: placeholders, well-known secret formats (AWS keys, GitHub and Slack tokens, JWTs,
//! private keys), entropy, and a named value judged by its name and its format.

use super::*;

/// True when a value is not a literal secret: empty, a variable reference, a path, an ARN, a
/// boolean or null, a `<placeholder>`, or one character repeated.
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if value.is_empty() {
        return true;
    }
    let is_variable = |v: &str| {
        let name = v
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| v.strip_prefix('$'));
        name.is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '?'))
        })
    };
    if is_variable(value) {
        return true;
    }
    if (value.starts_with('/') || value.starts_with("./") || value.starts_with("~/"))
        && !value.contains(char::is_whitespace)
    {
        return true;
    }
    if value.starts_with("arn:") {
        return true;
    }
    if matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null" | "nil" | "undefined"
    ) {
        return true;
    }
    if value.starts_with('<') && value.ends_with('>') {
        return true;
    }
    let mut chars = value.chars();
    let first = chars.next().unwrap_or_default();
    chars.all(|c| c == first)
}

pub(super) fn is_boundary(byte: Option<&u8>) -> bool {
    byte.is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// Length of the run of bytes matching `allowed` starting at `from`.
pub(super) fn run_length(bytes: &[u8], from: usize, allowed: impl Fn(u8) -> bool) -> usize {
    bytes[from.min(bytes.len())..]
        .iter()
        .take_while(|&&b| allowed(b))
        .count()
}

pub(super) fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// A secret of a known format found in text: its kind and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatMatch {
    pub kind: SecretKind,
    pub start: usize,
    pub end: usize,
}

/// Finds every known-format secret (AWS key ids, GitHub and Slack tokens, JWTs, private key PEM
/// headers) in `text`, in order. Does not look at names; see [`find_secrets_in_text`].
pub fn find_known_formats(text: &str) -> Vec<FormatMatch> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let before = index.checked_sub(1).and_then(|i| bytes.get(i));
        let rest = &bytes[index..];
        let at_word_start = is_boundary(before);
        let matched: Option<(SecretKind, usize)> =
            if at_word_start && (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA")) {
                let tail = run_length(bytes, index + 4, |b| {
                    b.is_ascii_uppercase() || b.is_ascii_digit()
                });
                (tail == 16 && is_boundary(bytes.get(index + 20)))
                    .then_some((SecretKind::AwsAccessKeyId, 20))
            } else if at_word_start && rest.starts_with(b"github_pat_") {
                let tail = run_length(bytes, index + 11, |b| {
                    b.is_ascii_alphanumeric() || b == b'_'
                });
                (tail >= 22).then_some((SecretKind::GitHubToken, 11 + tail))
            } else if at_word_start
                && rest.len() > 4
                && rest.starts_with(b"gh")
                && matches!(rest[2], b'p' | b'o' | b'u' | b's' | b'r')
                && rest[3] == b'_'
            {
                let tail = run_length(bytes, index + 4, |b| b.is_ascii_alphanumeric());
                (tail >= 36).then_some((SecretKind::GitHubToken, 4 + tail))
            } else if at_word_start
                && rest.len() > 5
                && rest.starts_with(b"xox")
                && matches!(rest[3], b'a' | b'b' | b'p' | b'r')
                && rest[4] == b'-'
            {
                let tail = run_length(bytes, index + 5, |b| b.is_ascii_alphanumeric() || b == b'-');
                (tail >= 10).then_some((SecretKind::SlackToken, 5 + tail))
            } else if at_word_start && rest.starts_with(b"eyJ") {
                jwt_length(rest).map(|length| (SecretKind::Jwt, length))
            } else if rest.starts_with(b"-----BEGIN ") {
                private_key_header_length(rest).map(|length| (SecretKind::PrivateKey, length))
            } else {
                None
            };
        match matched {
            Some((kind, length)) => {
                found.push(FormatMatch {
                    kind,
                    start: index,
                    end: index + length,
                });
                index += length;
            }
            None => index += 1,
        }
    }
    found
}

/// Length of a JWT at the start of `bytes`: three base64url segments, the first two JSON objects
/// (`eyJ` is base64 for `{"`).
pub(super) fn jwt_length(bytes: &[u8]) -> Option<usize> {
    let header = run_length(bytes, 0, is_base64url);
    if header < 10 || bytes.get(header) != Some(&b'.') {
        return None;
    }
    let payload_start = header + 1;
    if !bytes[payload_start..].starts_with(b"eyJ") {
        return None;
    }
    let payload = run_length(bytes, payload_start, is_base64url);
    let signature_start = payload_start + payload;
    if payload < 10 || bytes.get(signature_start) != Some(&b'.') {
        return None;
    }
    let signature = run_length(bytes, signature_start + 1, is_base64url);
    Some(signature_start + 1 + signature)
}

/// Length of a `-----BEGIN ... PRIVATE KEY-----` line at the start of `bytes`.
pub(super) fn private_key_header_length(bytes: &[u8]) -> Option<usize> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len())
        .min(80);
    let line = &bytes[..line_end];
    let close = line.windows(5).skip(11).position(|w| w == b"-----")? + 11;
    let label = &line[11..close];
    label
        .ends_with(b"PRIVATE KEY")
        .then_some(close + 5)
        .or_else(|| (label == b"PGP PRIVATE KEY BLOCK").then_some(close + 5))
}

/// True for 40 characters of base64 (`A-Za-z0-9/+`): the shape of an AWS secret access key.
pub(super) fn is_aws_secret_shape(value: &str) -> bool {
    value.len() == 40
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
}

/// Shannon entropy of a string in bits per character.
pub fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0usize; 256];
    let mut total = 0usize;
    for byte in value.bytes() {
        counts[byte as usize] += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// True for values that look machine-generated: at least 20 characters of a token alphabet, mixed
/// letters and digits, and at least 4 bits of entropy per character. Supporting evidence only.
pub fn looks_random(value: &str) -> bool {
    value.len() >= 20
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-'))
        && value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && shannon_entropy(value) >= 4.0
}

/// A secret found in a name/value pair (an ENV entry, a build arg, a task definition variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSecret {
    pub kind: SecretKind,
    /// Why it was flagged, without the value: `name contains TOKEN`, `value is a GitHub token`.
    pub reason: String,
    /// The value, redacted.
    pub redacted: String,
}

/// Decides whether `name=value` holds a credential: a known secret format in the value, or a
/// credential-like name with a literal (non-placeholder) value. The AWS secret-key shape counts
/// only when the name mentions AWS or an access/secret key.
pub fn check_named_value(name: &str, value: &str) -> Option<NamedSecret> {
    let trimmed = value.trim();
    if is_placeholder(trimmed) {
        return None;
    }
    let marker = credential_name(name);
    if let Some(first) = find_known_formats(trimmed).first() {
        return Some(NamedSecret {
            kind: first.kind,
            reason: format!("the value has the format of: {}", first.kind.description()),
            redacted: redact(trimmed),
        });
    }
    let tokens = name_tokens(name);
    let names_aws_secret =
        tokens.iter().any(|t| t == "SECRET") && tokens.iter().any(|t| t == "AWS" || t == "ACCESS");
    if names_aws_secret && is_aws_secret_shape(trimmed) {
        return Some(NamedSecret {
            kind: SecretKind::AwsSecretAccessKey,
            reason: format!("{name} holds a 40-character AWS secret access key"),
            redacted: redact(trimmed),
        });
    }
    if let Some(url) = url_credentials(trimmed) {
        return Some(NamedSecret {
            kind: known_kind_or(url, SecretKind::UrlCredentials),
            reason: "value is a URL with a password".to_string(),
            redacted: redact(url),
        });
    }
    let marker = marker?;
    let mut reason = format!("the name contains {marker}");
    if looks_random(trimmed) {
        reason.push_str(&format!(
            " and the value looks random ({:.1} bits/char)",
            shannon_entropy(trimmed)
        ));
    }
    Some(NamedSecret {
        kind: SecretKind::CredentialName,
        reason,
        redacted: redact(trimmed),
    })
}

/// Splits an `ENV`-style `NAME=value` entry and checks it with [`check_named_value`].
pub fn check_env_entry(entry: &str) -> Option<(&str, NamedSecret)> {
    let (name, value) = entry.split_once('=')?;
    check_named_value(name, value).map(|secret| (name, secret))
}

/// The known format of `value` (a GitHub token used as a URL password), else `fallback`.
pub(super) fn known_kind_or(value: &str, fallback: SecretKind) -> SecretKind {
    find_known_formats(value)
        .first()
        .map(|m| m.kind)
        .unwrap_or(fallback)
}

/// If `text` is or contains `scheme://user:password@host` with a literal password, the password.
pub(super) fn url_credentials(text: &str) -> Option<&str> {
    let mut search = text;
    while let Some(position) = search.find("://") {
        let after = &search[position + 3..];
        let authority_end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some((userinfo, _host)) = authority.rsplit_once('@')
            && let Some((_user, password)) = userinfo.split_once(':')
            && !is_placeholder(password)
        {
            return Some(password);
        }
        search = after;
    }
    None
}
