//! Credential detection shared by the image, Dockerfile and ECS checks: names that look like
//! credentials, values that look like secrets, free-text scanning (history lines, RUN commands),
//! scanners for well-known credential files, and [`redact`], which every finding must use so no
//! secret is ever printed in full. Pure functions over strings and bytes; no I/O.
//!
//! Decisions (each has a test):
//! - Names are split into tokens on `_`, `-`, `.` and camelCase boundaries, and matched per token,
//!   so `TOKENIZER_PARALLELISM` and `BYPASS_PROXY` are not credentials but `githubToken` is.
//! - A name whose last token says the value is *about* a credential rather than the credential
//!   (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `SECRET_ARN`, `KEY_ID`, `PASSWORD_MIN_LENGTH`...)
//!   is not a credential. So `AWS_ACCESS_KEY_ID` is not a credential *by name*; its value is still
//!   caught by format (`AKIA` + 16), and the ECS.8 check matches the AWS names exactly anyway.
//! - `KEY` alone is too common (`GPG_KEY`, `SORT_KEY`), so it counts only after a qualifier
//!   (`API_KEY`, `SECRET_KEY`, `PRIVATE_KEY`, `ACCESS_KEY`, `APP_KEY`...). `AUTH` counts only as the
//!   last token or before `DATA`/`TOKEN`/`KEY` (`NPM_AUTH`, `ECS_ENGINE_AUTH_DATA`), not in
//!   `AUTH_TYPE`. `PASS` and `PWD` count only as the last token of a longer name (`DB_PASS`; `PWD` alone
//!   is the working directory).
//! - Values that are not literal secrets are ignored: empty, a single variable reference (`$X`,
//!   `${X}`), a path (`/run/secrets/db`, for `GOOGLE_APPLICATION_CREDENTIALS`), an ARN reference to
//!   Secrets Manager or SSM, booleans/`none`/`null`, `<placeholder>`, or one character repeated
//!   (`****`).
//! - Generic high entropy alone is never a finding (official images carry checksums and GPG
//!   fingerprints in ENV); entropy is only reported as supporting evidence.

use std::fmt;

/// What kind of secret a value, a text span or a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    /// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
    AwsAccessKeyId,
    /// 40 base64 characters next to an AWS secret key name.
    AwsSecretAccessKey,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` or `github_pat_` tokens.
    GitHubToken,
    /// `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-` tokens.
    SlackToken,
    /// A PEM `-----BEGIN ... PRIVATE KEY-----` block.
    PrivateKey,
    /// A JSON Web Token (`eyJ...`.`eyJ...`.signature).
    Jwt,
    /// A password in a URL (`https://user:password@host`) or `curl -u user:password`.
    UrlCredentials,
    /// An `Authorization: Bearer/Basic ...` header value.
    AuthorizationHeader,
    /// A credential-named variable (`DB_PASSWORD`) with a literal value of no known format.
    CredentialName,
}

impl SecretKind {
    /// A short human description.
    pub fn description(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::AwsSecretAccessKey => "AWS secret access key",
            SecretKind::GitHubToken => "GitHub token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::PrivateKey => "private key",
            SecretKind::Jwt => "JSON Web Token",
            SecretKind::UrlCredentials => "password in a URL or -u user:password",
            SecretKind::AuthorizationHeader => "Authorization header",
            SecretKind::CredentialName => "credential-named variable",
        }
    }

    /// True for formats that are certainly a live credential when they appear (provider-issued token
    /// formats and private keys), as opposed to a name-based guess.
    pub fn is_known_format(self) -> bool {
        !matches!(self, SecretKind::CredentialName)
    }

    /// How bad a literal credential of this kind is where it ships (image config, history, task
    /// definition): critical for a known format, high for a name-based guess.
    pub fn severity(self) -> crate::findings::Severity {
        if self.is_known_format() {
            crate::findings::Severity::Critical
        } else {
            crate::findings::Severity::High
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction

/// Values up to this many characters show no prefix at all: four characters of an eight-character
/// password is half of it.
const SHORT_SECRET: usize = 12;

/// Redacts a secret for display: the first four characters and the length (`AKIA… (20 chars)`),
/// or only the length when the value is short. Never returns the value in full.
pub fn redact(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHORT_SECRET {
        return format!("[redacted, {count} chars]");
    }
    let prefix: String = value.chars().take(4).collect();
    format!("{prefix}… ({count} chars)")
}

// ---------------------------------------------------------------------------------------------
// Names

/// Splits a variable name into upper-case tokens on separators and camelCase boundaries:
/// `githubAPIToken` → `GITHUB`, `API`, `TOKEN`.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (previous, current) = (chars[i - 1], chars[i]);
            let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            let boundary = (previous.is_ascii_lowercase() && current.is_ascii_uppercase())
                || (previous.is_ascii_uppercase() && current.is_ascii_uppercase() && next_is_lower);
            if boundary {
                tokens.push(
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .to_ascii_uppercase(),
                );
                start = i;
            }
        }
        if start < chars.len() {
            tokens.push(
                chars[start..]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase(),
            );
        }
    }
    tokens
}

/// Tokens that make a name a credential wherever they appear.
const CREDENTIAL_TOKENS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "APIKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "PRIVATEKEY",
    "AUTHTOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
];

/// Tokens that make `KEY` right after them a credential (`API_KEY`, `APP_KEY`).
const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "SECRET",
    "PRIVATE",
    "SIGNING",
    "SIGN",
    "ENCRYPTION",
    "ENCRYPT",
    "MASTER",
    "AUTH",
    "LICENSE",
    "APP",
    "SESSION",
    "JWT",
    "HMAC",
    "SSH",
    "DEPLOY",
    "CLIENT",
];

/// Last tokens that say the value is about a credential, not the credential itself.
const NON_VALUE_SUFFIXES: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "NAME",
    "ARN",
    "ID",
    "TYPE",
    "METHOD",
    "LENGTH",
    "LEN",
    "MIN",
    "MAX",
    "POLICY",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TTL",
    "TIMEOUT",
    "FIELD",
    "PARAM",
    "REF",
    "VERSION",
    "MODE",
    "PROVIDER",
    "LOCATION",
    "REGION",
    "SIZE",
    "COUNT",
    "FORMAT",
    "ALGORITHM",
    "PREFIX",
    "SUFFIX",
    "HINT",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "LIMIT",
    "INTERVAL",
    "LIFETIME",
    "DAYS",
    "STORE",
    "COMMAND",
    "CMD",
    "KIND",
];

/// If `name` looks like it holds a credential, the marker that matched (`PASSWORD`, `API_KEY`).
pub fn credential_name(name: &str) -> Option<String> {
    let tokens = name_tokens(name);
    let last = tokens.last()?;
    if NON_VALUE_SUFFIXES.contains(&last.as_str()) {
        return None;
    }
    for (index, token) in tokens.iter().enumerate() {
        let is_last = index + 1 == tokens.len();
        let next = tokens.get(index + 1).map(String::as_str);
        if CREDENTIAL_TOKENS.contains(&token.as_str()) {
            return Some(token.clone());
        }
        if token == "KEY" && index > 0 && KEY_QUALIFIERS.contains(&tokens[index - 1].as_str()) {
            return Some(format!("{}_KEY", tokens[index - 1]));
        }
        if token == "AUTH" && (is_last || matches!(next, Some("DATA" | "TOKEN" | "KEY"))) {
            return Some(token.clone());
        }
        if matches!(token.as_str(), "PASS" | "PWD") && is_last && tokens.len() > 1 {
            return Some(token.clone());
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Values

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

fn is_boundary(byte: Option<&u8>) -> bool {
    byte.is_none_or(|b| !b.is_ascii_alphanumeric())
}

/// Length of the run of bytes matching `allowed` starting at `from`.
fn run_length(bytes: &[u8], from: usize, allowed: impl Fn(u8) -> bool) -> usize {
    bytes[from.min(bytes.len())..]
        .iter()
        .take_while(|&&b| allowed(b))
        .count()
}

fn is_base64url(byte: u8) -> bool {
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
fn jwt_length(bytes: &[u8]) -> Option<usize> {
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
fn private_key_header_length(bytes: &[u8]) -> Option<usize> {
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
fn is_aws_secret_shape(value: &str) -> bool {
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
fn known_kind_or(value: &str, fallback: SecretKind) -> SecretKind {
    find_known_formats(value)
        .first()
        .map(|m| m.kind)
        .unwrap_or(fallback)
}

/// If `text` is or contains `scheme://user:password@host` with a literal password, the password.
fn url_credentials(text: &str) -> Option<&str> {
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

// ---------------------------------------------------------------------------------------------
// Free text (image history, RUN lines)

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

/// Splits shell-ish text into words: whitespace separates, quotes group (without escapes).
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')') => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Finds credentials in a command line or history entry: known formats anywhere, `NAME=value`
/// assignments with credential names (`ENV`, `ARG`, `export`, `--build-arg`, the `|1 TOKEN=...`
/// prefix Docker writes for build args used by a RUN), `ENV NAME value`, URLs with passwords,
/// `curl -u user:password` and `Authorization:` headers. Each value is reported once.
pub fn find_secrets_in_text(text: &str) -> Vec<TextSecret> {
    find_with_values(text).0
}

/// `text` with every secret [`find_secrets_in_text`] finds replaced by its redaction, for showing
/// a history line or a command as evidence.
pub fn redact_text(text: &str) -> String {
    let (found, values) = find_with_values(text);
    let mut redacted = text.to_string();
    for (secret, value) in found.iter().zip(&values) {
        if !value.is_empty() {
            redacted = redacted.replace(value.as_str(), &secret.redacted);
        }
    }
    redacted
}

/// The secrets in `text` and, in the same order, their raw values (never leave this module).
fn find_with_values(text: &str) -> (Vec<TextSecret>, Vec<String>) {
    let mut found: Vec<TextSecret> = Vec::new();
    let mut seen_values: Vec<String> = Vec::new();
    let mut push = |found: &mut Vec<TextSecret>, secret: TextSecret, value: &str| {
        let overlaps = seen_values
            .iter()
            .any(|seen| seen.contains(value) || value.contains(seen.as_str()));
        if !overlaps {
            seen_values.push(value.to_string());
            found.push(secret);
        }
    };

    let words = shell_words(text);
    for (index, word) in words.iter().enumerate() {
        let next = words.get(index + 1);
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
                );
                continue;
            }
        }
        // `ENV NAME value` (the legacy form) and `--password value`.
        // `aws configure set aws_secret_access_key VALUE`, `git config --global NAME VALUE`-style.
        if word == "set"
            && let (Some(name), Some(value)) = (next, words.get(index + 2))
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
            );
            continue;
        }
        let takes_value = matches!(word.as_str(), "ENV" | "ARG")
            || word.starts_with("--") && credential_name(word.trim_start_matches('-')).is_some();
        if takes_value && let Some(candidate) = next {
            let (name, value) = if word.starts_with("--") {
                (word.trim_start_matches('-').to_string(), candidate.clone())
            } else {
                match (candidate.contains('='), words.get(index + 2)) {
                    (false, Some(value)) => (candidate.clone(), value.clone()),
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
                );
                continue;
            }
        }
        if let Some(password) = url_credentials(word) {
            push(
                &mut found,
                TextSecret {
                    kind: known_kind_or(password, SecretKind::UrlCredentials),
                    name: None,
                    reason: "a URL with a password".to_string(),
                    redacted: redact(password),
                },
                password,
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
        );
    }
    (found, seen_values)
}

// ---------------------------------------------------------------------------------------------
// Files

/// A kind of file that is known to hold credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretFileKind {
    /// A PEM private key, found by content anywhere, or an SSH key by its usual name.
    PrivateKey,
    /// `~/.aws/credentials` with `aws_secret_access_key` or `aws_session_token`.
    AwsCredentials,
    /// `~/.docker/config.json` with `auths.*.auth` (base64 `user:password`) or an identity token.
    DockerConfig,
    /// `.npmrc` with `_authToken`, `_auth` or `_password`.
    Npmrc,
    /// `.pypirc` with a `password`.
    Pypirc,
    /// `.git-credentials` with `https://user:token@host` lines.
    GitCredentials,
    /// `.netrc` with a `password`.
    Netrc,
}

impl SecretFileKind {
    pub fn description(self) -> &'static str {
        match self {
            SecretFileKind::PrivateKey => "private key",
            SecretFileKind::AwsCredentials => "AWS credentials file",
            SecretFileKind::DockerConfig => "Docker registry credentials",
            SecretFileKind::Npmrc => "npm registry token",
            SecretFileKind::Pypirc => "PyPI password",
            SecretFileKind::GitCredentials => "git credentials",
            SecretFileKind::Netrc => "netrc password",
        }
    }
}

impl fmt::Display for SecretFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// SSH private key file names (`ssh-keygen` defaults); `.pub` siblings are public.
pub const SSH_PRIVATE_KEY_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
];

/// The kind of credential file a path names, by its name alone.
pub fn secret_file_kind(path: &str) -> Option<SecretFileKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.ends_with("/.aws/credentials") {
        Some(SecretFileKind::AwsCredentials)
    } else if path.ends_with("/.docker/config.json") {
        Some(SecretFileKind::DockerConfig)
    } else {
        match name {
            ".npmrc" | "npmrc" => Some(SecretFileKind::Npmrc),
            ".pypirc" => Some(SecretFileKind::Pypirc),
            ".git-credentials" => Some(SecretFileKind::GitCredentials),
            ".netrc" => Some(SecretFileKind::Netrc),
            _ if SSH_PRIVATE_KEY_NAMES.contains(&name) => Some(SecretFileKind::PrivateKey),
            _ => None,
        }
    }
}

/// A credential found in a file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSecret {
    pub kind: SecretFileKind,
    /// What was found, without the value: `aws_secret_access_key in [default]`.
    pub detail: String,
    /// 1-based line, when the format has lines.
    pub line: Option<usize>,
    /// The credential, redacted.
    pub redacted: String,
}

/// `key = value` / `key=value` / `key: value` on one line; the key is trimmed, the value trimmed and
/// unquoted.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let separator = line.find(['=', ':'])?;
    let key = line[..separator].trim();
    let value = line[separator + 1..]
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    Some((key, value))
}

/// Scans a file's contents for credentials: a PEM private key in any file, plus the format of the
/// credential file its path names ([`secret_file_kind`]). Empty when nothing is found; never fails
/// (binary or malformed contents just yield nothing).
pub fn scan_file(path: &str, content: &[u8]) -> Vec<FileSecret> {
    let text = String::from_utf8_lossy(content);
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(start) = line.find("-----BEGIN ")
            && let Some(length) = private_key_header_length(&line.as_bytes()[start..])
        {
            let header = &line[start..start + length];
            let encrypted = header.contains("ENCRYPTED") || text.contains("Proc-Type: 4,ENCRYPTED");
            found.push(FileSecret {
                kind: SecretFileKind::PrivateKey,
                detail: format!(
                    "{}{}",
                    header.trim_matches('-').trim_start_matches("BEGIN "),
                    if encrypted { " (encrypted)" } else { "" }
                ),
                line: Some(index + 1),
                redacted: format!("[{} bytes]", content.len()),
            });
        }
    }
    let Some(kind) = secret_file_kind(path) else {
        return found;
    };
    match kind {
        SecretFileKind::PrivateKey => {}
        SecretFileKind::AwsCredentials => {
            let mut section = String::from("default");
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    section = name.trim().to_string();
                    continue;
                }
                if let Some((key, value)) = key_value(line) {
                    let key = key.to_ascii_lowercase();
                    if matches!(key.as_str(), "aws_secret_access_key" | "aws_session_token")
                        && !is_placeholder(value)
                    {
                        found.push(FileSecret {
                            kind,
                            detail: format!("{key} in [{section}]"),
                            line: Some(index + 1),
                            redacted: redact(value),
                        });
                    }
                }
            }
        }
        SecretFileKind::DockerConfig => {
            if let Ok(config) = serde_json::from_slice::<serde_json::Value>(content)
                && let Some(auths) = config.get("auths").and_then(|a| a.as_object())
            {
                for (registry, entry) in auths {
                    for field in ["auth", "identitytoken", "password", "registrytoken"] {
                        if let Some(value) = entry.get(field).and_then(|v| v.as_str())
                            && !value.is_empty()
                        {
                            found.push(FileSecret {
                                kind,
                                detail: format!("auths.{registry}.{field}"),
                                line: None,
                                redacted: redact(value),
                            });
                        }
                    }
                }
            }
        }
        SecretFileKind::Npmrc => {
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.starts_with('#') || line.starts_with(';') {
                    continue;
                }
                // `//registry.npmjs.org/:_authToken=...`: the key itself holds a `:`, so split on `=`.
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let key = key.trim();
                let value = value.trim().trim_matches('"');
                let field = key.rsplit(':').next().unwrap_or(key);
                // npm expands `${NPM_TOKEN}` from the environment at run time: not a literal.
                if matches!(field, "_authToken" | "_auth" | "_password") && !is_placeholder(value) {
                    found.push(FileSecret {
                        kind,
                        detail: key.to_string(),
                        line: Some(index + 1),
                        redacted: redact(value),
                    });
                }
            }
        }
        SecretFileKind::Pypirc => {
            let mut section = String::new();
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    section = name.trim().to_string();
                    continue;
                }
                if let Some((key, value)) = key_value(line)
                    && key.eq_ignore_ascii_case("password")
                    && !is_placeholder(value)
                {
                    found.push(FileSecret {
                        kind,
                        detail: format!("password in [{section}]"),
                        line: Some(index + 1),
                        redacted: redact(value),
                    });
                }
            }
        }
        SecretFileKind::GitCredentials => {
            for (index, line) in text.lines().enumerate() {
                if let Some(password) = url_credentials(line.trim()) {
                    let host = line
                        .split_once('@')
                        .map(|(_, host)| host.trim().trim_end_matches('/'))
                        .unwrap_or_default();
                    found.push(FileSecret {
                        kind,
                        detail: format!("credentials for {host}"),
                        line: Some(index + 1),
                        redacted: redact(password),
                    });
                }
            }
        }
        SecretFileKind::Netrc => {
            for (index, line) in text.lines().enumerate() {
                let words: Vec<&str> = line.split_whitespace().collect();
                for pair in words.windows(2) {
                    if pair[0] == "password" && !is_placeholder(pair[1]) {
                        found.push(FileSecret {
                            kind,
                            detail: "password".to_string(),
                            line: Some(index + 1),
                            redacted: redact(pair[1]),
                        });
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test values are built from parts so no literal token sits in the source.
    fn aws_key_id() -> String {
        format!("AKIA{}", "IOSFODNN7EXAMPLE")
    }
    fn aws_secret() -> String {
        format!("wJalrXUtnFEMI/K7MDENG/{}", "bPxRfiCYEXAMPLEKEY")
    }
    fn github_token() -> String {
        format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
    }

    #[test]
    fn redact_never_shows_the_whole_value() {
        assert_eq!(redact(&aws_key_id()), "AKIA… (20 chars)");
        assert_eq!(redact("hunter2"), "[redacted, 7 chars]");
        assert_eq!(redact(""), "[redacted, 0 chars]");
        let long = aws_secret();
        assert!(!redact(&long).contains(&long[4..]));
        assert!(redact("ééééééééééééééé").starts_with("éééé…"));
    }

    #[test]
    fn names_are_matched_per_token() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "db-passwd",
            "githubToken",
            "GITHUB_TOKEN",
            "API_KEY",
            "apiKey",
            "APIKEY",
            "STRIPE_SECRET_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "ECS_ENGINE_AUTH_DATA",
            "NPM_AUTH",
            "DB_PASS",
            "GOOGLE_CREDENTIALS",
            "PRIVATE_KEY",
            "APP_KEY",
            "SECRET_KEY_BASE",
            "clientSecret",
        ] {
            assert!(credential_name(name).is_some(), "{name} should match");
        }
        for name in [
            "TOKENIZER_PARALLELISM",
            "PASSWORD_FILE",
            "MYSQL_ROOT_PASSWORD_FILE",
            "TOKEN_URL",
            "SECRET_NAME",
            "SECRETS_MANAGER_ARN",
            "AWS_ACCESS_KEY_ID",
            "GPG_KEY",
            "GPG_KEYS",
            "SORT_KEY",
            "AUTH_TYPE",
            "OAUTH_ENABLED",
            "PWD",
            "OLDPWD",
            "BYPASS_PROXY",
            "PASS_THROUGH",
            "PASSWORD_MIN_LENGTH",
            "PATH",
            "HOME",
            "PYTHON_SHA256",
            "KEYCLOAK_VERSION",
        ] {
            assert!(credential_name(name).is_none(), "{name} should not match");
        }
        assert_eq!(name_tokens("githubAPIToken"), ["GITHUB", "API", "TOKEN"]);
    }

    #[test]
    fn values_of_known_formats_are_found() {
        let cases = [
            (aws_key_id(), SecretKind::AwsAccessKeyId),
            (github_token(), SecretKind::GitHubToken),
            (
                format!(
                    "github_pat_{}",
                    "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
                ),
                SecretKind::GitHubToken,
            ),
            (
                format!("xoxb-{}", "123456789012-abcdefghij"),
                SecretKind::SlackToken,
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE".to_string(),
                SecretKind::PrivateKey,
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----".to_string(),
                SecretKind::PrivateKey,
            ),
            (
                format!(
                    "{}.{}.{}",
                    "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "abcDEF123_-x"
                ),
                SecretKind::Jwt,
            ),
        ];
        for (value, kind) in cases {
            let found = find_known_formats(&value);
            assert_eq!(found.len(), 1, "{value}");
            assert_eq!(found[0].kind, kind, "{value}");
        }
        for value in [
            "AKIA123",                               // too short
            "XAKIAIOSFODNN7EXAMPLE",                 // not at a word start
            "AKIAIOSFODNN7EXAMPLEXX",                // too long
            "ghp_short",                             // too short
            "-----BEGIN CERTIFICATE-----",           // public
            "-----BEGIN PUBLIC KEY-----",            // public
            "eyJhbGciOiJIUzI1NiJ9",                  // one segment only
            "xoxz-123456789012",                     // not a Slack prefix
            "sha256:0123456789abcdef0123456789abcd", // a digest
        ] {
            assert!(find_known_formats(value).is_empty(), "{value}");
        }
    }

    #[test]
    fn named_values_skip_placeholders_and_detect_formats() {
        let secret = check_named_value("DB_PASSWORD", "hunter2hunter2").unwrap();
        assert_eq!(secret.kind, SecretKind::CredentialName);
        assert!(!secret.redacted.contains("hunter2hunter2"));
        assert_eq!(
            check_named_value("AWS_SECRET_ACCESS_KEY", &aws_secret())
                .unwrap()
                .kind,
            SecretKind::AwsSecretAccessKey
        );
        assert_eq!(
            check_named_value("AWS_ACCESS_KEY_ID", &aws_key_id())
                .unwrap()
                .kind,
            SecretKind::AwsAccessKeyId
        );
        assert_eq!(
            check_named_value("SOME_SETTING", &github_token())
                .unwrap()
                .kind,
            SecretKind::GitHubToken
        );
        assert_eq!(
            check_named_value("DATABASE_URL", "postgres://app:s3cretpw@db:5432/app")
                .unwrap()
                .kind,
            SecretKind::UrlCredentials
        );
        for (name, value) in [
            ("DB_PASSWORD", ""),
            ("DB_PASSWORD", "  "),
            ("DB_PASSWORD", "$DB_PASSWORD"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            (
                "GOOGLE_APPLICATION_CREDENTIALS",
                "/var/secrets/google/key.json",
            ),
            ("DB_SECRET", "arn:aws:secretsmanager:us-east-1:1:secret:db"),
            ("AUTH", "false"),
            ("API_TOKEN", "<your token here>"),
            ("DB_PASSWORD", "********"),
            (
                "PYTHON_SHA256",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
            ("GPG_KEY", "E3FF2839C048B25C084DEBE9B26995E310250568"),
            ("DATABASE_URL", "postgres://db:5432/app"),
            ("TOKENIZER_PARALLELISM", "false"),
        ] {
            assert!(check_named_value(name, value).is_none(), "{name}={value}");
        }
        let (name, _) = check_env_entry("API_KEY=abc123def456ghi").unwrap();
        assert_eq!(name, "API_KEY");
        assert!(check_env_entry("NOT_AN_ASSIGNMENT").is_none());
    }

    #[test]
    fn random_looking_values_are_only_supporting_evidence() {
        assert!(looks_random(&aws_secret()));
        assert!(!looks_random("passwordpassword1234"));
        let secret = check_named_value("API_TOKEN", &aws_secret()).unwrap();
        assert!(secret.reason.contains("looks random"));
        assert!(check_named_value("RANDOM_SETTING", &aws_secret()).is_none());
    }

    #[test]
    fn text_scanning_finds_build_args_env_urls_and_headers() {
        let history = "|2 NPM_TOKEN=npm_abcdefghijkl VERSION=1.2 /bin/sh -c npm ci";
        let found = find_secrets_in_text(history);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name.as_deref(), Some("NPM_TOKEN"));
        assert!(!found[0].redacted.contains("abcdefghijkl"));

        let legacy = "/bin/sh -c #(nop)  ENV DB_PASSWORD s3cr3t-value";
        assert_eq!(
            find_secrets_in_text(legacy)[0].name.as_deref(),
            Some("DB_PASSWORD")
        );

        let curl = "RUN curl -u admin:Passw0rd123 https://example.com/x";
        let found = find_secrets_in_text(curl);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, SecretKind::UrlCredentials);

        let header = "curl -H \"Authorization: Bearer abcdefghijklmnop\" https://x";
        assert_eq!(
            find_secrets_in_text(header)[0].kind,
            SecretKind::AuthorizationHeader
        );
        let url = "git clone https://user:tok3nvalue@github.com/org/repo";
        assert_eq!(
            find_secrets_in_text(url)[0].kind,
            SecretKind::UrlCredentials
        );

        let key = format!("ENV AWS_ACCESS_KEY_ID={}", aws_key_id());
        let found = find_secrets_in_text(&key);
        assert_eq!(found.len(), 1, "reported once: {found:?}");
        assert_eq!(found[0].kind, SecretKind::AwsAccessKeyId);

        let aws = format!("aws configure set aws_secret_access_key {}", aws_secret());
        let found = find_secrets_in_text(&aws);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, SecretKind::AwsSecretAccessKey);
        assert!(find_secrets_in_text("aws configure set region eu-west-1").is_empty());

        let redacted = redact_text(curl);
        assert!(!redacted.contains("Passw0rd123"), "{redacted}");
        assert!(
            redacted.starts_with("RUN curl -u admin:[redacted"),
            "{redacted}"
        );

        for clean in [
            "/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin",
            "|1 NPM_TOKEN=${NPM_TOKEN} /bin/sh -c npm ci",
            "ENV TOKENIZER_PARALLELISM=false",
            "RUN apt-get install -y curl && curl -fsSL https://example.com/install.sh | sh",
            "ARG PASSWORD_FILE=/run/secrets/pw",
            "/bin/sh -c #(nop) ADD file:abc123 in / ",
        ] {
            assert!(find_secrets_in_text(clean).is_empty(), "{clean}");
        }
    }

    #[test]
    fn credential_files_by_path_and_content() {
        assert_eq!(
            secret_file_kind("/root/.aws/credentials"),
            Some(SecretFileKind::AwsCredentials)
        );
        assert_eq!(
            secret_file_kind("/home/a/.ssh/id_ed25519"),
            Some(SecretFileKind::PrivateKey)
        );
        assert_eq!(secret_file_kind("/home/a/.ssh/id_ed25519.pub"), None);
        assert_eq!(secret_file_kind("/etc/aws/credentials"), None);

        let aws = format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            aws_key_id(),
            aws_secret()
        );
        let found = scan_file("/root/.aws/credentials", aws.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(3));
        assert!(!found[0].redacted.contains(&aws_secret()[4..]));
        assert!(scan_file("/root/.aws/credentials", b"[default]\nregion = eu-west-1\n").is_empty());

        let docker = br#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="},"empty.io":{"auth":""}}}"#;
        let found = scan_file("/root/.docker/config.json", docker);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].detail, "auths.registry.example.com.auth");
        assert!(
            scan_file(
                "/root/.docker/config.json",
                br#"{"credsStore":"ecr-login","auths":{}}"#
            )
            .is_empty()
        );
        assert!(scan_file("/root/.docker/config.json", b"not json").is_empty());

        let npmrc = "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_abcdefghijklmnop\n";
        assert_eq!(scan_file("/app/.npmrc", npmrc.as_bytes()).len(), 1);
        assert!(
            scan_file(
                "/app/.npmrc",
                b"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"
            )
            .is_empty()
        );

        let pypirc = "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcabcdef\n";
        assert_eq!(
            scan_file("/root/.pypirc", pypirc.as_bytes())[0].detail,
            "password in [pypi]"
        );
        assert!(scan_file("/root/.pypirc", b"[pypi]\nusername = __token__\n").is_empty());

        let git = "https://user:ghtokenvalue123@github.com\nhttps://github.com\n";
        let found = scan_file("/root/.git-credentials", git.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].detail, "credentials for github.com");

        let netrc = "machine example.com login me password s3cretvalue\n";
        assert_eq!(scan_file("/root/.netrc", netrc.as_bytes()).len(), 1);

        let pem =
            b"# comment\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
        let found = scan_file("/srv/tls/server.key", pem);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(2));
        assert_eq!(found[0].detail, "EC PRIVATE KEY");
        let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII\n";
        assert!(
            scan_file("/k.pem", encrypted)[0]
                .detail
                .ends_with("(encrypted)")
        );
        assert!(scan_file("/etc/ssl/cert.pem", b"-----BEGIN CERTIFICATE-----\nMII\n").is_empty());
        assert!(scan_file("/bin/app", &[0, 159, 146, 150, 0xff]).is_empty());
    }
}
