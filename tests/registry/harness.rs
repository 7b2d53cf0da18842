//! The registry test harness: a real CNCF distribution registry (Debian's `docker-registry`, 2.8)
//! on 127.0.0.1 with a throwaway config and filesystem storage in a temp dir, anonymous, with
//! htpasswd basic auth, or with a token realm served by [`TokenServer`] (JWTs signed RS256 by
//! `openssl` with a key and self-signed certificate made for the test); images pushed to it with
//! `skopeo copy`. Every process is killed on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::http::{Reply, Server};

/// Whether `tool` is on PATH. In CI (`CI=true`) a missing tool fails the test; locally the test
/// is skipped with a note.
pub fn require_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is required in CI (.ci/run installs it)");
        }
        eprintln!("note: {tool} is not installed; skipping this registry test");
    }
    found
}

/// All the tools a registry test needs.
pub fn require_tools() -> bool {
    ["docker-registry", "skopeo", "umoci", "openssl", "htpasswd"]
        .iter()
        .all(|tool| require_tool(tool))
}

/// How the registry authenticates pulls and pushes.
pub enum RegistryAuth<'a> {
    Anonymous,
    Htpasswd { user: &'a str, password: &'a str },
    Token(&'a TokenServer),
}

/// A running `docker-registry serve` on 127.0.0.1.
pub struct Registry {
    child: Child,
    pub port: u16,
    pub directory: tempfile::TempDir,
    /// Credentials skopeo pushes with.
    push_credentials: Option<(String, String)>,
}

/// A registry's TLS certificate and key (PEM files), for `http.tls`.
pub struct Tls<'a> {
    pub certificate: &'a Path,
    pub key: &'a Path,
}

impl Registry {
    pub fn start(auth: RegistryAuth<'_>) -> Registry {
        Registry::start_with(auth, None)
    }

    /// Starts the registry, serving HTTPS when `tls` is given.
    pub fn start_with(auth: RegistryAuth<'_>, tls: Option<Tls<'_>>) -> Registry {
        let tls_config = tls
            .map(|tls| {
                format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    tls.certificate.display(),
                    tls.key.display()
                )
            })
            .unwrap_or_default();
        let directory = tempfile::tempdir().unwrap();
        let (auth_config, push_credentials) = match &auth {
            RegistryAuth::Anonymous => (String::new(), None),
            RegistryAuth::Htpasswd { user, password } => {
                let output = Command::new("htpasswd")
                    .args(["-Bbn", user, password])
                    .output()
                    .expect("run htpasswd");
                assert!(output.status.success(), "htpasswd failed");
                let path = directory.path().join("htpasswd");
                std::fs::write(&path, &output.stdout).unwrap();
                (
                    format!(
                        "auth:\n  htpasswd:\n    realm: harden-test\n    path: {}\n",
                        path.display()
                    ),
                    Some((user.to_string(), password.to_string())),
                )
            }
            RegistryAuth::Token(token_server) => (
                format!(
                    "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                    token_server.realm(),
                    TOKEN_SERVICE,
                    TOKEN_ISSUER,
                    token_server.certificate.display()
                ),
                Some((
                    token_server.user.to_string(),
                    token_server.password.to_string(),
                )),
            ),
        };
        // A free port can be taken between our probe and the registry's bind: try a few.
        let mut last_log = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: harden-test-secret\n{tls_config}{auth_config}",
                directory.path().join("data").display()
            );
            let config_path = directory.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(directory.path().join("registry.log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let mut child = child;
            if wait_ready(&mut child, port) {
                return Registry {
                    child,
                    port,
                    directory,
                    push_credentials,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            last_log =
                std::fs::read_to_string(directory.path().join("registry.log")).unwrap_or_default();
        }
        panic!("docker-registry did not start; its log: {last_log}");
    }

    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `skopeo copy [OPTIONS] oci:LAYOUT:TAG docker://127.0.0.1:PORT/REPOSITORY` (`--all` for
    /// every platform of an index, `--format v2s2` for Docker's manifest types).
    pub fn push(&self, layout: &Path, tag: &str, repository: &str, options: &[&str]) {
        let mut command = Command::new("skopeo");
        // An empty home: no auth file or policy of the user's leaks into the test.
        command
            .env("HOME", self.directory.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("DOCKER_CONFIG")
            .arg("copy")
            .arg("--dest-tls-verify=false");
        command.args(options);
        match &self.push_credentials {
            Some((user, password)) => {
                command.arg(format!("--dest-creds={user}:{password}"));
            }
            None => {
                command.arg("--dest-no-creds");
            }
        }
        let output = command
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{}/{repository}", self.authority()))
            .output()
            .expect("run skopeo");
        assert!(
            output.status.success(),
            "skopeo copy failed: {}\nregistry log: {}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.directory.path().join("registry.log")).unwrap_or_default()
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const TOKEN_SERVICE: &str = "harden-test-registry";
pub const TOKEN_ISSUER: &str = "harden-test-issuer";

/// Which field the token server puts the token in (the spec allows both).
#[derive(Clone, Copy)]
pub enum TokenField {
    Token,
    AccessToken,
}

/// A token server (distribution docs/spec/auth/token.md) for the registry's `auth: token:`.
/// Grants what is asked to `user`/`password` (basic auth); refuses anything else with 401.
pub struct TokenServer {
    pub server: Server,
    pub certificate: PathBuf,
    pub user: &'static str,
    pub password: &'static str,
    _keys: tempfile::TempDir,
}

impl TokenServer {
    pub fn start(user: &'static str, password: &'static str, field: TokenField) -> TokenServer {
        let keys = tempfile::tempdir().unwrap();
        let key = keys.path().join("key.pem");
        let certificate = keys.path().join("cert.pem");
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=harden-test-token-issuer"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl");
        assert!(status.success(), "openssl req failed");
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&certificate)
            .output()
            .expect("run openssl x509");
        assert!(der.status.success());
        let x5c = STANDARD.encode(&der.stdout);
        let expected_basic = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let server = Server::start(move |request| {
            if request.header("authorization") != Some(expected_basic.as_str()) {
                return Reply::new(401, r#"{"details":"bad credentials"}"#)
                    .header("Content-Type", "application/json");
            }
            let access: Vec<serde_json::Value> = request
                .query
                .iter()
                .filter(|(name, _)| name == "scope")
                .filter_map(|(_, scope)| {
                    // `repository:NAME:pull,push` (NAME may hold ':' only in a host, not here).
                    let mut parts = scope.splitn(3, ':');
                    let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                    Some(serde_json::json!({
                        "type": kind, "name": name,
                        "actions": actions.split(',').collect::<Vec<_>>()
                    }))
                })
                .collect();
            let token = sign_jwt(&key, &x5c, user, &access);
            let body = match field {
                TokenField::Token => serde_json::json!({ "token": token, "expires_in": 300 }),
                TokenField::AccessToken => {
                    serde_json::json!({ "access_token": token, "expires_in": 300 })
                }
            };
            Reply::new(200, body.to_string()).header("Content-Type", "application/json")
        });
        TokenServer {
            server,
            certificate,
            user,
            password,
            _keys: keys,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.server.port)
    }
}

/// A JWT as distribution's token auth verifies it (registry/auth/token/token.go): RS256, the
/// certificate in `x5c` (chained to `rootcertbundle`), `iss`, `aud`, `exp`/`nbf`, `access`.
fn sign_jwt(key: &Path, x5c: &str, subject: &str, access: &[serde_json::Value]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "x5c": [x5c] });
    let claims = serde_json::json!({
        "iss": TOKEN_ISSUER, "sub": subject, "aud": TOKEN_SERVICE,
        "exp": now + 300, "nbf": now - 60, "iat": now - 60,
        "jti": format!("harden-{now}-{}", std::process::id()),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut openssl = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl dgst");
    openssl
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())
        .unwrap();
    let output = openssl.wait_with_output().unwrap();
    assert!(output.status.success(), "openssl dgst failed");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(output.stdout))
}

/// A small single-platform OCI layout made by umoci from a rootfs the test writes: a setuid
/// file, `/etc/passwd`, a world-writable directory, and `USER app`.
pub fn build_oci_layout(directory: &Path, tag: &str) -> PathBuf {
    let layout = directory.join("layout");
    let rootfs = directory.join("rootfs");
    for dir in ["etc", "usr/bin", "tmp"] {
        std::fs::create_dir_all(rootfs.join(dir)).unwrap();
    }
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(rootfs.join("usr/bin/tool"), "#!/bin/true\n").unwrap();
    let run = |args: &[&str]| run_tool("umoci", args, None);
    let image = format!("{}:{tag}", layout.display());
    run(&["init", "--layout", &layout.display().to_string()]);
    run(&["new", "--image", &image]);
    run(&[
        "insert",
        "--image",
        &image,
        &rootfs.join("etc").display().to_string(),
        "/etc",
    ]);
    run(&[
        "insert",
        "--image",
        &image,
        &rootfs.join("usr").display().to_string(),
        "/usr",
    ]);
    run(&["config", "--image", &image, "--config.user", "app"]);
    layout
}

/// Polls `GET /v2/` until the registry answers (200, or 401 when it wants auth).
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut head = [0u8; 12];
            // 400: a TLS registry answering plain HTTP ("Client sent an HTTP request to an
            // HTTPS server"): it is up.
            if stream.read_exact(&mut head).is_ok()
                && (head.ends_with(b"200") || head.ends_with(b"401") || head.ends_with(b"400"))
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A private CA and a server certificate it signed for 127.0.0.1, made by openssl under `dir`:
/// (CA certificate, server certificate, server key).
pub fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| run_tool("openssl", args, Some(dir));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=harden test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        path("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    (path("ca.pem"), path("server.pem"), path("server.key"))
}

/// Runs `program ARGS` (in `dir` when given) and fails the test, with its stderr, unless it
/// succeeds.
fn run_tool(program: &str, args: &[&str], dir: Option<&Path>) {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
