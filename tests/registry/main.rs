//! Registry tests against a real CNCF distribution registry on loopback (see harness.rs), and
//! against small in-test servers for what a real registry will not do on demand (redirects to
//! another host, 429/503, broken bodies).

mod harness;
mod http;
mod scan;
mod tags;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use harden::load::image::registry::client::sha256_digest;
use harden::load::image::registry::{
    Credential, CredentialStore, Reference, RegistryClient, RegistrySettings, RetryPolicy, Secret,
};
use harness::{Registry, RegistryAuth, TokenField, TokenServer};
use http::{Reply, Server};

const USER: &str = "tester";
const PASSWORD: &str = "correct-horse-battery-staple";

fn settings(authority: &str, credential: Option<Credential>) -> RegistrySettings {
    RegistrySettings {
        insecure_hosts: vec![authority.to_string()],
        credentials: CredentialStore::anonymous().with_command_line(credential),
        retry: RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_elapsed: Duration::from_secs(10),
        },
        ..RegistrySettings::default()
    }
}

fn basic(user: &str, password: &str) -> Option<Credential> {
    Some(Credential::Basic {
        username: user.to_string(),
        password: Secret::new(password),
    })
}

fn client(reference: &str, settings: &RegistrySettings) -> Arc<RegistryClient> {
    Arc::new(RegistryClient::new(&Reference::parse(reference).unwrap(), settings).unwrap())
}

/// Fetches the manifest and every blob it names, checking each blob's digest: what a pull does.
/// Errors come back as their message, what a user would see.
fn pull_all(client: &Arc<RegistryClient>, tag: &str) -> Result<usize, String> {
    let manifest = client.fetch_manifest(tag).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap();
    let mut digests = vec![value["config"]["digest"].as_str().unwrap().to_string()];
    for layer in value["layers"].as_array().unwrap() {
        digests.push(layer["digest"].as_str().unwrap().to_string());
    }
    for digest in &digests {
        let mut bytes = Vec::new();
        client
            .open_blob(digest)
            .map_err(|e| e.to_string())?
            .read_to_end(&mut bytes)
            .expect("read blob");
        assert_eq!(&sha256_digest(&bytes), digest);
    }
    Ok(digests.len())
}

fn pushed_image(registry: &Registry) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let layout = harness::build_oci_layout(work.path(), "1");
    registry.push(&layout, "1", "app:1", &[]);
    work
}

#[test]
fn anonymous_registry_serves_manifest_and_blobs() {
    if !harness::require_tools() {
        return;
    }
    let registry = Registry::start(RegistryAuth::Anonymous);
    let _image = pushed_image(&registry);
    let settings = settings(&registry.authority(), None);
    let client = client(&format!("{}/app:1", registry.authority()), &settings);
    let manifest = client.fetch_manifest("1").unwrap();
    assert_eq!(
        manifest.media_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(manifest.digest, sha256_digest(&manifest.bytes));
    // Pinned by digest, the same manifest comes back and is verified.
    assert_eq!(
        client.fetch_manifest(&manifest.digest).unwrap().bytes,
        manifest.bytes
    );
    assert!(
        pull_all(&client, "1").unwrap() >= 3,
        "config and two layers"
    );

    let missing = client.fetch_manifest("nope").unwrap_err().to_string();
    assert!(
        missing.contains(&format!("docker://{}/app:1", registry.authority())),
        "{missing}"
    );
    assert!(missing.contains("manifest nope not found"), "{missing}");
    assert!(missing.contains("MANIFEST_UNKNOWN"), "{missing}");
}

#[test]
fn htpasswd_registry_needs_the_right_password_and_never_prints_it() {
    if !harness::require_tools() {
        return;
    }
    let registry = Registry::start(RegistryAuth::Htpasswd {
        user: USER,
        password: PASSWORD,
    });
    let _image = pushed_image(&registry);
    let reference = format!("{}/app:1", registry.authority());

    let anonymous = pull_all(
        &client(&reference, &settings(&registry.authority(), None)),
        "1",
    )
    .unwrap_err()
    .to_string();
    assert!(anonymous.contains("401 Unauthorized"), "{anonymous}");
    assert!(
        anonymous.contains(&format!("docker://{reference}")),
        "{anonymous}"
    );
    assert!(anonymous.contains("needs credentials"), "{anonymous}");

    let wrong_password = "wrong-password-value";
    let wrong = pull_all(
        &client(
            &reference,
            &settings(&registry.authority(), basic(USER, wrong_password)),
        ),
        "1",
    )
    .unwrap_err();
    assert!(wrong.contains("401 Unauthorized"), "{wrong}");
    assert!(wrong.contains("--username/--password-stdin"), "{wrong}");
    assert!(!wrong.contains(wrong_password), "{wrong}");

    let good = client(
        &reference,
        &settings(&registry.authority(), basic(USER, PASSWORD)),
    );
    assert!(pull_all(&good, "1").unwrap() >= 3);
    assert!(!format!("{good:?}").contains(PASSWORD));
}

#[test]
fn token_realm_registry_issues_bearer_tokens() {
    if !harness::require_tools() {
        return;
    }
    for field in [TokenField::Token, TokenField::AccessToken] {
        let token_server = TokenServer::start(USER, PASSWORD, field);
        let registry = Registry::start(RegistryAuth::Token(&token_server));
        let _image = pushed_image(&registry);
        let reference = format!("{}/app:1", registry.authority());
        // The realm is plain HTTP on the same host as the insecure registry: allowed.
        let good = client(
            &reference,
            &settings(&registry.authority(), basic(USER, PASSWORD)),
        );
        assert!(pull_all(&good, "1").unwrap() >= 3);
        let token_requests = token_server.server.requests();
        let pull_request = token_requests.last().unwrap();
        assert!(
            pull_request
                .query
                .contains(&("scope".into(), "repository:app:pull".into())),
            "{pull_request:?}"
        );
        assert!(
            pull_request
                .query
                .contains(&("service".into(), harness::TOKEN_SERVICE.into()))
        );

        let refused = pull_all(
            &client(
                &reference,
                &settings(&registry.authority(), basic(USER, "nope-nope")),
            ),
            "1",
        )
        .unwrap_err();
        assert!(refused.contains("401"), "{refused}");
        assert!(refused.contains("a token from"), "{refused}");
        assert!(!refused.contains("nope-nope"), "{refused}");
    }
}

/// What a real registry does not do on demand: send blobs elsewhere, fail for a while.
#[test]
fn redirects_drop_credentials_across_hosts_and_transient_errors_are_retried() {
    let blob = b"layer bytes".to_vec();
    let digest = sha256_digest(&blob);
    let storage = {
        let blob = blob.clone();
        Server::start(move |_| Reply::new(200, blob.clone()))
    };
    let storage_url = format!(
        "http://{}/bucket/blob?X-Amz-Signature=abc",
        storage.authority()
    );
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let registry = {
        let attempts = Arc::clone(&attempts);
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{USER}:{PASSWORD}")
            )
        );
        Server::start(move |request| {
            if request.header("authorization") != Some(expected.as_str()) {
                return Reply::new(401, "").header("WWW-Authenticate", "Basic realm=\"test\"");
            }
            // The first two authenticated tries fail transiently.
            match attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => Reply::new(503, ""),
                1 => Reply::new(429, "").header("Retry-After", "0"),
                _ => Reply::new(307, "").header("Location", &storage_url),
            }
        })
    };
    let mut settings = settings(&registry.authority(), basic(USER, PASSWORD));
    settings.insecure_hosts.push(storage.authority());
    let client = client(&format!("{}/app:1", registry.authority()), &settings);
    let mut bytes = Vec::new();
    client
        .open_blob(&digest)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, blob);
    let stored = storage.requests();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].header("authorization"),
        None,
        "credentials leaked to blob storage"
    );
    assert_eq!(stored[0].path, "/bucket/blob");

    // Plain HTTP to a host not named with --insecure-registry is refused (before connecting).
    let elsewhere = format!(
        "http://localhost:{}/bucket/blob?X-Amz-Signature=abc",
        storage.port
    );
    let redirecting = Server::start(move |_| Reply::new(307, "").header("Location", &elsewhere));
    let strict_client = self::client(
        &format!("{}/app:1", redirecting.authority()),
        &self::settings(&redirecting.authority(), None),
    );
    let refused = strict_client.open_blob(&digest).unwrap_err().to_string();
    assert!(
        refused.contains("--insecure-registry localhost:"),
        "{refused}"
    );
    assert!(!refused.contains("X-Amz-Signature"), "{refused}");
    assert_eq!(storage.requests().len(), 1);
}

#[test]
fn retries_are_bounded_and_the_error_says_how_many() {
    let server = Server::start(|_| Reply::new(503, ""));
    let client = client(
        &format!("{}/app:1", server.authority()),
        &settings(&server.authority(), None),
    );
    let message = client.fetch_manifest("1").unwrap_err().to_string();
    assert!(
        message.contains("after 3 attempt(s): HTTP 503"),
        "{message}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_broken_blob_download_resumes_with_a_range_request() {
    let blob: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let digest = sha256_digest(&blob);
    let server = {
        let blob = blob.clone();
        Server::start(move |request| {
            assert_eq!(request.method, "GET");
            match request.header("range") {
                // The first answer promises everything and breaks off half-way.
                None => {
                    let mut reply = Reply::new(200, blob[..40_000].to_vec());
                    reply.declared_length = Some(blob.len());
                    reply
                }
                Some(range) => {
                    let start: usize = range
                        .trim_start_matches("bytes=")
                        .trim_end_matches('-')
                        .parse()
                        .unwrap();
                    Reply::new(206, blob[start..].to_vec()).header(
                        "Content-Range",
                        &format!("bytes {start}-{}/{}", blob.len() - 1, blob.len()),
                    )
                }
            }
        })
    };
    let client = client(
        &format!("{}/app:1", server.authority()),
        &settings(&server.authority(), None),
    );
    let mut bytes = Vec::new();
    client
        .open_blob(&digest)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes.len(), blob.len());
    assert_eq!(sha256_digest(&bytes), digest);
    let ranges: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, vec![None, Some("bytes=40000-".to_string())]);
}

/// `identitytoken` credentials (and helpers answering `<token>`) are OAuth2 refresh tokens,
/// exchanged with a POST (distribution docs/spec/auth/oauth.md).
#[test]
fn identity_tokens_are_exchanged_with_a_post() {
    let token_server = Server::start(|request| {
        let form = http::parse_query(&String::from_utf8_lossy(&request.body));
        let has = |name: &str, value: &str| form.contains(&(name.into(), value.into()));
        if request.method == "POST"
            && has("grant_type", "refresh_token")
            && has("refresh_token", "refresh-secret")
            && has("scope", "repository:app:pull")
            && has("service", "svc")
        {
            Reply::new(200, r#"{"access_token":"bearer-ok"}"#)
        } else {
            Reply::new(401, "")
        }
    });
    let realm = format!("http://{}/oauth", token_server.authority());
    let registry = Server::start(move |request| {
        if request.header("authorization") == Some("Bearer bearer-ok") {
            Reply::new(200, "blob")
        } else {
            Reply::new(401, "").header(
                "WWW-Authenticate",
                &format!("Bearer realm=\"{realm}\",service=\"svc\""),
            )
        }
    });
    let mut settings = settings(
        &registry.authority(),
        Some(Credential::IdentityToken(Secret::new("refresh-secret"))),
    );
    settings.insecure_hosts.push(token_server.authority());
    let client = client(&format!("{}/app:1", registry.authority()), &settings);
    let mut bytes = Vec::new();
    client
        .open_blob(&sha256_digest(b"blob"))
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, b"blob");
}
