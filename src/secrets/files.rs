//! Files known to hold credentials (`.netrc`, `.npmrc`, `.aws/credentials`, private keys) and the
//! secrets in their contents.

use super::*;

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
    /// The credential itself, for [`super::SecretValues`] only: never printed.
    pub(crate) value: String,
}

/// `key = value` / `key=value` / `key: value` on one line; the key is trimmed, the value trimmed and
/// unquoted.
pub(super) fn key_value(line: &str) -> Option<(&str, &str)> {
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
                value: String::from_utf8_lossy(content).into_owned(),
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
                            value: value.to_string(),
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
                                value: value.to_string(),
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
                        value: value.to_string(),
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
                        value: value.to_string(),
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
                        value: password.to_string(),
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
                            value: pair[1].to_string(),
                        });
                    }
                }
            }
        }
    }
    found
}
