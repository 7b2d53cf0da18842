//! Registry credentials as users already have them: `--username`/`--password-stdin`, Docker's
//! `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`: `auths` with a base64
//! `auth` or `username`/`password`, `identitytoken`, `credHelpers`, `credsStore`) and the
//! `docker-credential-<name>` helper programs (docker/docker-credential-helpers protocol: `get`,
//! server URL on stdin, `{"Username","Secret"}` on stdout).
//!
//! Nothing here ever formats a secret: [`Secret`]'s `Debug` and `Display` print `<redacted>`, and
//! errors name the file and the line, never the value.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;

use crate::model::reference::DOCKER_HUB_DOMAIN;

/// The key Docker stores Docker Hub credentials under (docker/cli `registry.IndexServer`).
const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";
/// Host names that all mean Docker Hub in a config file's `auths`.
const DOCKER_HUB_ALIASES: [&str; 3] = ["index.docker.io", "docker.io", "registry-1.docker.io"];
/// A credential helper that has not answered by then is stuck (waiting on a GUI prompt, say).
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);
/// The user name credential helpers return to say the secret is an identity (refresh) token
/// (docker/cli `credentials/native_store.go` `tokenUsername`).
const IDENTITY_TOKEN_USERNAME: &str = "<token>";

/// A password or token. Only [`Secret::expose`] reveals it, to put it in a request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for an Authorization header or a token request, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What a user authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user name and password: HTTP basic auth, or basic auth to the token server.
    Basic { username: String, password: Secret },
    /// An OAuth2 refresh token (`identitytoken`; or a helper's `<token>` user): exchanged at the
    /// token server with `grant_type=refresh_token` (distribution docs, spec/auth/oauth.md).
    IdentityToken(Secret),
    /// A bearer token to send as is (`registrytoken`).
    RegistryToken(Secret),
}

/// Where a credential came from, for error messages ("rejected the credentials from ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    CommandLine,
    ConfigFile(PathBuf),
    Helper(String),
}

impl fmt::Display for CredentialOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialOrigin::CommandLine => f.write_str("--username/--password-stdin"),
            CredentialOrigin::ConfigFile(path) => write!(f, "{}", path.display()),
            CredentialOrigin::Helper(name) => write!(f, "docker-credential-{name}"),
        }
    }
}

/// A credential and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCredential {
    pub credential: Credential,
    pub origin: CredentialOrigin,
}

/// Why credentials could not be read. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{path}: {message}")]
    ConfigFile { path: String, message: String },
    #[error("credential helper docker-credential-{helper} for {server}: {message}")]
    Helper {
        helper: String,
        server: String,
        message: String,
    },
}

/// Docker's config.json, the parts that hold credentials.
#[derive(Debug, Clone, Default, Deserialize)]
struct DockerConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
}

/// One `auths` entry (docker/cli `types.AuthConfig`).
#[derive(Clone, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry { <redacted> }")
    }
}

/// The helper's reply to `get` (docker-credential-helpers `credentials.Credentials`).
#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Where to look for credentials, in Docker's order: the command line, then `credHelpers` for the
/// host, then `credsStore`, then the file's own `auths`.
#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    /// From `--username`/`--password-stdin`: used for the scanned image's registry.
    command_line: Option<Credential>,
    config_path: Option<PathBuf>,
    config: DockerConfigFile,
    /// Where to find `docker-credential-*` programs; `None` searches `PATH` as Docker does.
    helper_directory: Option<PathBuf>,
}

impl CredentialStore {
    /// A store with no credentials at all (anonymous access).
    pub fn anonymous() -> CredentialStore {
        CredentialStore::default()
    }

    /// Reads Docker's config file from `$DOCKER_CONFIG` or `~/.docker`; a missing file means no
    /// stored credentials, an unreadable or invalid one is an error naming it.
    pub fn from_environment(
        command_line: Option<Credential>,
    ) -> Result<CredentialStore, CredentialError> {
        let directory = std::env::var_os("DOCKER_CONFIG")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|value| !value.is_empty())
                    .map(|home| Path::new(&home).join(".docker"))
            });
        let mut store = match directory {
            Some(directory) => CredentialStore::from_config_file(&directory.join("config.json"))?,
            None => CredentialStore::anonymous(),
        };
        store.command_line = command_line;
        Ok(store)
    }

    /// Reads one config file; a missing file gives an empty store.
    pub fn from_config_file(path: &Path) -> Result<CredentialStore, CredentialError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CredentialStore::anonymous());
            }
            Err(error) => {
                return Err(CredentialError::ConfigFile {
                    path: path.display().to_string(),
                    message: format!("cannot read it: {error}"),
                });
            }
        };
        // serde_json's messages can quote the offending value, which may be a secret: report
        // only where and what kind of problem it is.
        let config: DockerConfigFile =
            serde_json::from_str(&text).map_err(|error| CredentialError::ConfigFile {
                path: path.display().to_string(),
                message: format!(
                    "invalid JSON ({:?} error) at line {} column {}",
                    error.classify(),
                    error.line(),
                    error.column()
                ),
            })?;
        Ok(CredentialStore {
            command_line: None,
            config_path: Some(path.to_path_buf()),
            config,
            helper_directory: None,
        })
    }

    /// Sets the `--username`/`--password-stdin` credential, which wins over stored ones.
    pub fn with_command_line(mut self, credential: Option<Credential>) -> CredentialStore {
        self.command_line = credential;
        self
    }

    /// Looks for helper programs in this directory only (tests use fake helpers).
    pub fn with_helper_directory(mut self, directory: PathBuf) -> CredentialStore {
        self.helper_directory = Some(directory);
        self
    }

    /// The credential for a registry `domain` as references spell it (`docker.io`,
    /// `127.0.0.1:5000`), or `None` for anonymous access.
    pub fn lookup(&self, domain: &str) -> Result<Option<FoundCredential>, CredentialError> {
        if let Some(credential) = &self.command_line {
            return Ok(Some(FoundCredential {
                credential: credential.clone(),
                origin: CredentialOrigin::CommandLine,
            }));
        }
        let is_hub = domain == DOCKER_HUB_DOMAIN;
        // Helpers are keyed by the host name; Docker Hub's by its historical URL.
        let helper_keys: Vec<&str> = if is_hub {
            std::iter::once(DOCKER_HUB_CONFIG_KEY)
                .chain(DOCKER_HUB_ALIASES)
                .collect()
        } else {
            vec![domain]
        };
        let server_url = if is_hub {
            DOCKER_HUB_CONFIG_KEY
        } else {
            domain
        };
        if let Some(helper) = helper_keys
            .iter()
            .find_map(|key| self.config.cred_helpers.get(*key))
        {
            return run_helper(self.helper_directory.as_deref(), helper, server_url);
        }
        if let Some(store) = self.config.creds_store.as_deref().filter(|s| !s.is_empty())
            && let Some(found) = run_helper(self.helper_directory.as_deref(), store, server_url)?
        {
            return Ok(Some(found));
        }
        self.lookup_auths(domain, is_hub)
    }

    fn lookup_auths(
        &self,
        domain: &str,
        is_hub: bool,
    ) -> Result<Option<FoundCredential>, CredentialError> {
        let matches = |key: &str| {
            let host = config_key_host(key);
            if is_hub {
                DOCKER_HUB_ALIASES.contains(&host.as_str())
            } else {
                host.eq_ignore_ascii_case(domain)
            }
        };
        let path = self.config_path.clone().unwrap_or_default();
        let Some((_, entry)) = self.config.auths.iter().find(|(key, _)| matches(key)) else {
            return Ok(None);
        };
        let fail = |message: String| CredentialError::ConfigFile {
            path: path.display().to_string(),
            message,
        };
        let credential =
            if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
                Some(Credential::IdentityToken(Secret::new(token)))
            } else if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
                Some(Credential::RegistryToken(Secret::new(token)))
            } else if let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        fail(format!(
                            "the \"auth\" of auths entry for {domain} is not valid base64"
                        ))
                    })?;
                let decoded = String::from_utf8(decoded).map_err(|_| {
                    fail(format!(
                        "the \"auth\" of auths entry for {domain} is not UTF-8 text"
                    ))
                })?;
                let (username, password) = decoded.split_once(':').ok_or_else(|| {
                    fail(format!(
                        "the \"auth\" of auths entry for {domain} is not base64 of user:password"
                    ))
                })?;
                Some(Credential::Basic {
                    username: username.to_string(),
                    password: Secret::new(password),
                })
            } else {
                match (&entry.username, &entry.password) {
                    (Some(username), Some(password)) if !username.is_empty() => {
                        Some(Credential::Basic {
                            username: username.clone(),
                            password: Secret::new(password.clone()),
                        })
                    }
                    // `{}`: a placeholder Docker writes when a credsStore holds the secret.
                    _ => None,
                }
            };
        Ok(credential.map(|credential| FoundCredential {
            credential,
            origin: CredentialOrigin::ConfigFile(path.clone()),
        }))
    }
}

/// The host of an `auths` key: `https://index.docker.io/v1/` → `index.docker.io` (docker/cli
/// `credentials.ConvertToHostname`).
fn config_key_host(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_ascii_lowercase()
}

/// Runs `docker-credential-<helper> get` with the server URL on stdin. "Not found" is `None`.
fn run_helper(
    directory: Option<&Path>,
    helper: &str,
    server_url: &str,
) -> Result<Option<FoundCredential>, CredentialError> {
    let fail = |message: String| CredentialError::Helper {
        helper: helper.to_string(),
        server: server_url.to_string(),
        message,
    };
    if !helper
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(fail(
            "the helper name has characters a program name cannot have".into(),
        ));
    }
    let program = format!("docker-credential-{helper}");
    let executable = match directory {
        Some(directory) => directory.join(&program),
        None => PathBuf::from(&program),
    };
    let mut child = Command::new(&executable)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| fail(format!("cannot run {program}: {error}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading stdin gives a broken pipe: its exit status tells.
        let _ = stdin.write_all(server_url.as_bytes());
    }
    let mut stdout_pipe = child.stdout.take();
    let mut stderr_pipe = child.stderr.take();
    let stdout_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = stdout_pipe.as_mut() {
            let _ = pipe.take(1 << 20).read_to_end(&mut bytes);
        }
        bytes
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.take(1 << 16).read_to_end(&mut bytes);
        }
        bytes
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > HELPER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "no answer after {} seconds",
                    HELPER_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(fail(format!("cannot wait for it: {error}"))),
        }
    };
    let stdout = stdout_reader.join().unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    if !status.success() {
        let said = String::from_utf8_lossy(if stdout.is_empty() { &stderr } else { &stdout });
        let said = said.trim();
        // docker-credential-helpers `credentials.errCredentialsNotFoundMessage`.
        if said.contains("credentials not found") {
            return Ok(None);
        }
        // A helper's error is its own message, not the secret; keep only the first line.
        let first_line: String = said
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Err(fail(format!("it failed ({status}): {first_line}")));
    }
    let reply: HelperReply = serde_json::from_slice(&stdout).map_err(|error| {
        fail(format!(
            "its answer is not the expected JSON ({:?} error at line {} column {})",
            error.classify(),
            error.line(),
            error.column()
        ))
    })?;
    if reply.secret.is_empty() {
        return Ok(None);
    }
    let credential = if reply.username == IDENTITY_TOKEN_USERNAME {
        Credential::IdentityToken(Secret::new(reply.secret))
    } else {
        Credential::Basic {
            username: reply.username,
            password: Secret::new(reply.secret),
        }
    };
    Ok(Some(FoundCredential {
        credential,
        origin: CredentialOrigin::Helper(helper.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(config: &str) -> (tempfile::TempDir, CredentialStore) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        let store = CredentialStore::from_config_file(&path).unwrap();
        (directory, store)
    }

    fn basic(found: Option<FoundCredential>) -> (String, String) {
        match found.expect("a credential").credential {
            Credential::Basic { username, password } => (username, password.expose().to_string()),
            other => panic!("expected basic credentials, got {other:?}"),
        }
    }

    #[test]
    fn auths_base64_and_plain_entries_match_by_host() {
        // "alice:s3cret" and Docker Hub's historical key.
        let (_dir, store) = store_with(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcmV0"},
                "registry.example.com:5000": {"username": "bob", "password": "hunter2"},
                "http://other.example.com/v2/": {"auth": "Y2Fyb2w6cDphOnNz"},
                "placeholder.example.com": {}
            }}"#,
        );
        assert_eq!(
            basic(store.lookup("docker.io").unwrap()),
            ("alice".into(), "s3cret".into())
        );
        assert_eq!(
            basic(store.lookup("registry.example.com:5000").unwrap()),
            ("bob".into(), "hunter2".into())
        );
        // The password may contain colons: only the first separates the user.
        assert_eq!(
            basic(store.lookup("other.example.com").unwrap()),
            ("carol".into(), "p:a:ss".into())
        );
        assert!(store.lookup("registry.example.com").unwrap().is_none());
        assert!(store.lookup("placeholder.example.com").unwrap().is_none());
        assert!(store.lookup("ghcr.io").unwrap().is_none());
    }

    #[test]
    fn identity_and_registry_tokens() {
        let (_dir, store) = store_with(
            r#"{"auths": {"a.example": {"identitytoken": "refresh"}, "b.example": {"registrytoken": "bearer"}}}"#,
        );
        assert!(matches!(
            store.lookup("a.example").unwrap().unwrap().credential,
            Credential::IdentityToken(ref t) if t.expose() == "refresh"
        ));
        assert!(matches!(
            store.lookup("b.example").unwrap().unwrap().credential,
            Credential::RegistryToken(ref t) if t.expose() == "bearer"
        ));
    }

    #[test]
    fn command_line_wins_and_nothing_prints_a_secret() {
        let (_dir, store) = store_with(r#"{"auths": {"r.example": {"auth": "YWxpY2U6czNjcmV0"}}}"#);
        let store = store.with_command_line(Some(Credential::Basic {
            username: "cli".into(),
            password: Secret::new("from-stdin"),
        }));
        let found = store.lookup("r.example").unwrap().unwrap();
        assert_eq!(found.origin, CredentialOrigin::CommandLine);
        let debug = format!("{found:?} {store:?}");
        assert!(!debug.contains("from-stdin"), "{debug}");
        assert!(!debug.contains("YWxpY2U6czNjcmV0"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn bad_files_name_the_file_but_not_the_value() {
        let (_dir, store) = store_with(r#"{"auths": {"r.example": {"auth": "not base64!!"}}}"#);
        let message = store.lookup("r.example").unwrap_err().to_string();
        assert!(message.contains("config.json"), "{message}");
        assert!(message.contains("not valid base64"), "{message}");
        assert!(!message.contains("not base64!!"), "{message}");

        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("config.json");
        std::fs::write(&path, r#"{"auths": "topsecretvalue"}"#).unwrap();
        let message = CredentialStore::from_config_file(&path)
            .unwrap_err()
            .to_string();
        assert!(message.contains("line 1"), "{message}");
        assert!(!message.contains("topsecretvalue"), "{message}");

        assert!(
            CredentialStore::from_config_file(&directory.path().join("missing.json"))
                .unwrap()
                .lookup("r.example")
                .unwrap()
                .is_none()
        );
    }

    /// A fake `docker-credential-<name>` program on PATH, as the helper protocol describes.
    #[cfg(unix)]
    #[test]
    fn credential_helpers_and_stores_are_run() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let bin = directory.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let write_helper = |name: &str, body: &str| {
            let path = bin.join(format!("docker-credential-{name}"));
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        // Echoes the server URL it was given back as the user name, to check the protocol.
        write_helper(
            "fake",
            r#"[ "$1" = get ] || exit 3; read -r server; printf '{"ServerURL":"%s","Username":"%s","Secret":"helper-secret"}' "$server" "$server""#,
        );
        write_helper(
            "empty",
            "echo 'credentials not found in native keychain'; exit 1",
        );
        write_helper("broken", "echo 'keychain locked' >&2; exit 1");
        write_helper(
            "token",
            r#"printf '{"Username":"<token>","Secret":"refresh"}'"#,
        );
        let config = directory.path().join("config.json");
        std::fs::write(
            &config,
            r#"{"credsStore": "empty",
                "credHelpers": {"fake.example": "fake", "https://index.docker.io/v1/": "fake",
                                "broken.example": "broken", "token.example": "token"},
                "auths": {"fallback.example": {"auth": "dTpw"}}}"#,
        )
        .unwrap();
        let store = CredentialStore::from_config_file(&config)
            .unwrap()
            .with_helper_directory(bin.clone());

        let found = store.lookup("fake.example").unwrap().unwrap();
        assert_eq!(found.origin, CredentialOrigin::Helper("fake".into()));
        assert_eq!(
            basic(Some(found.clone())),
            ("fake.example".into(), "helper-secret".into())
        );
        assert!(!format!("{found:?}").contains("helper-secret"));
        // Docker Hub's helper is asked for Docker Hub's historical URL.
        assert_eq!(
            basic(store.lookup("docker.io").unwrap()).0,
            "https://index.docker.io/v1/"
        );
        assert!(matches!(
            store.lookup("token.example").unwrap().unwrap().credential,
            Credential::IdentityToken(_)
        ));
        // The credsStore has nothing: fall back to the file's auths, then to anonymous.
        assert_eq!(
            basic(store.lookup("fallback.example").unwrap()),
            ("u".into(), "p".into())
        );
        assert!(store.lookup("nothing.example").unwrap().is_none());
        let message = store.lookup("broken.example").unwrap_err().to_string();
        assert!(message.contains("docker-credential-broken"), "{message}");
        assert!(message.contains("keychain locked"), "{message}");
    }
}
