//! The OCI distribution API client (distribution-spec, spec.md "Pull"): manifests by tag or
//! digest, blobs as streams, authentication on 401, redirects to blob storage, retries with
//! backoff, timeouts.
//!
//! Why ureq 3 (with rustls + ring and Mozilla's roots from `webpki-roots`) and not reqwest or
//! oci-client: the loader is synchronous (rayon over layers), so a blocking client without an
//! async runtime is the natural fit; ureq pulls in no tokio/hyper stack, which keeps the build short
//! on a 2-core machine; oci-client is async-only and owns manifest parsing that the image reader
//! already does. `webpki-roots` rather than the system's store: harden also runs in minimal CI
//! containers without `ca-certificates`, and the result does not depend on the host. Redirects
//! are followed here, not by ureq, so that the `Authorization` header is only ever sent to the
//! registry itself and plain HTTP is only used for hosts named with `--insecure-registry`.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::Digest as _;
use ureq::http::{Response, StatusCode};

use super::auth::{self, Authorization, Challenge};
use super::credentials::{Credential, CredentialStore, FoundCredential};
use super::url::Url;
use super::{MANIFEST_MEDIA_TYPES, RegistryError};
use crate::model::reference::{Reference, hostname_of};

/// A manifest or index larger than this is refused (distribution's own limit is 4 MiB).
const MANIFEST_SIZE_LIMIT: u64 = 4 << 20;
/// Token server replies and error bodies are small.
pub(super) const SMALL_BODY_LIMIT: u64 = 1 << 20;
/// More redirects than this is a loop.
const MAX_REDIRECTS: u32 = 10;
/// How many times a blob stream that breaks mid-way is resumed with a `Range` request.
const MAX_BLOB_RESUMES: u32 = 5;

/// How long one request may take in all: long enough for a multi-gigabyte layer over a slow
/// link, short enough that a registry trickling a byte a second does not hold a CI job for hours.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubles after each.
    pub initial_backoff: Duration,
    /// Upper bound of one delay (also caps a server's `Retry-After`).
    pub max_backoff: Duration,
    /// No retry starts after this much time has gone by since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistrySettings {
    /// `host[:port]` values from `--insecure-registry`: plain HTTP is used for exactly these.
    pub insecure_hosts: Vec<String>,
    pub credentials: CredentialStore,
    pub retry: RetryPolicy,
    /// TCP connect (and TLS handshake) timeout; default 30 s.
    pub connect_timeout: Option<Duration>,
    /// Longest silence while reading a reply; default 60 s.
    pub read_timeout: Option<Duration>,
    /// Longest one request may take, its body included (a blob resumed after a broken
    /// connection included); default [`DEFAULT_TOTAL_TIMEOUT`].
    pub total_timeout: Option<Duration>,
    /// `--registry-ca FILE`: PEM files whose certificates are the only TLS roots trusted (as with
    /// curl's `--cacert`), for registries behind a private CA. Empty: Mozilla's roots.
    pub ca_files: Vec<std::path::PathBuf>,
}

/// The trusted roots: the certificates of every `--registry-ca` file, or Mozilla's roots. A file
/// that cannot be read, or that holds no certificate, is an error naming it (never a silent fall
/// back to other roots).
fn root_certificates(files: &[std::path::PathBuf]) -> Result<ureq::tls::RootCerts, RegistryError> {
    if files.is_empty() {
        return Ok(ureq::tls::RootCerts::WebPki);
    }
    let mut certificates = Vec::new();
    for file in files {
        let fail = |message: String| RegistryError::CaCertificates {
            path: file.display().to_string(),
            message,
        };
        let pem = std::fs::read(file).map_err(|e| fail(format!("cannot read it: {e}")))?;
        let before = certificates.len();
        for item in ureq::tls::parse_pem(&pem) {
            // A bundle may carry keys beside the certificates: they are not roots.
            let item = item.map_err(|e| fail(format!("not valid PEM: {e}")))?;
            if let ureq::tls::PemItem::Certificate(certificate) = item {
                certificates.push(certificate);
            }
        }
        if certificates.len() == before {
            return Err(fail(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
    }
    Ok(ureq::tls::RootCerts::from(certificates))
}

/// A manifest or index as the registry served it.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    /// The `Content-Type` the registry gave, else the JSON's own `mediaType`.
    pub media_type: String,
    /// `sha256:` of the bytes, checked against the requested digest or `Docker-Content-Digest`.
    pub digest: String,
    pub bytes: Vec<u8>,
}

/// A client for one repository of one registry. Cheap to share (`Arc`) across layer threads.
pub struct RegistryClient {
    agent: ureq::Agent,
    reference: Reference,
    /// `https://host[:port]` or `http://` for an insecure registry.
    base: Url,
    insecure_hosts: Vec<String>,
    credential: Option<FoundCredential>,
    /// The `Authorization` that last worked (Basic, or a Bearer token from the token server).
    authorization: Mutex<Option<Authorization>>,
    retry: RetryPolicy,
    total_timeout: Duration,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("reference", &self.reference.to_string())
            .field("base", &self.base.to_string())
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

/// Whether a transport error is rustls reading a plain-HTTP answer to its ClientHello (the
/// `HTTP/1.1 400` bytes are no TLS record: "received corrupt message of type InvalidContentType").
fn speaks_plain_http(reason: &str) -> bool {
    reason.contains("InvalidContentType")
}

/// One failed attempt, before deciding whether to retry.
enum Attempt {
    Done(Response<ureq::Body>),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Trying again cannot help (the registry's certificate is not trusted).
    Fail(String),
}

impl RegistryClient {
    /// A client for `reference`'s repository; looks its credential up once.
    pub fn new(
        reference: &Reference,
        settings: &RegistrySettings,
    ) -> Result<RegistryClient, RegistryError> {
        let insecure = is_insecure(&settings.insecure_hosts, &reference.domain);
        let scheme = if insecure { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{}/", reference.api_host())).map_err(|_| {
            RegistryError::InvalidResponse {
                reference: reference.to_string(),
                message: format!("cannot make a URL for host {}", reference.api_host()),
            }
        })?;
        let credential = settings
            .credentials
            .lookup(&reference.domain)
            .map_err(|error| RegistryError::Credentials {
                reference: reference.to_string(),
                error,
            })?;
        let roots = root_certificates(&settings.ca_files)?;
        let total_timeout = settings.total_timeout.unwrap_or(DEFAULT_TOTAL_TIMEOUT);
        let config = ureq::Agent::config_builder()
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(false)
            .user_agent(concat!("harden/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(
                settings.connect_timeout.unwrap_or(Duration::from_secs(30)),
            ))
            .timeout_per_read(Some(
                settings.read_timeout.unwrap_or(Duration::from_secs(60)),
            ))
            .timeout_recv_response(Some(
                settings.read_timeout.unwrap_or(Duration::from_secs(60)),
            ))
            .timeout_global(Some(total_timeout))
            .build();
        Ok(RegistryClient {
            agent: config.into(),
            reference: reference.clone(),
            base,
            insecure_hosts: settings.insecure_hosts.clone(),
            credential,
            authorization: Mutex::new(None),
            retry: settings.retry.clone(),
            total_timeout,
        })
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// `scheme://host[:port]/`, where the registry's API is.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Fetches a manifest or index by tag or digest, verifying its digest.
    pub fn fetch_manifest(&self, tag_or_digest: &str) -> Result<FetchedManifest, RegistryError> {
        let path = format!("v2/{}/manifests/{tag_or_digest}", self.reference.path);
        let what = format!("manifest {tag_or_digest}");
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let response = self.fetch(&path, Some(&accept), None, &what)?;
        let header_digest = header(&response, "docker-content-digest");
        let content_type = header(&response, "content-type")
            .map(|value| value.split(';').next().unwrap_or("").trim().to_string())
            .filter(|value| !value.is_empty() && value != "application/json");
        let bytes = response
            .into_body()
            .into_with_config()
            .limit(MANIFEST_SIZE_LIMIT)
            .read_to_vec()
            .map_err(|error| self.transport_error(&what, &error.to_string()))?;
        let media_type = content_type
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|value| value.get("mediaType")?.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        if media_type.starts_with("application/vnd.docker.distribution.manifest.v1") {
            return Err(RegistryError::InvalidResponse {
                reference: self.reference.to_string(),
                message: format!(
                    "{what} is a Docker schema 1 manifest ({media_type}), deprecated since 2017 and not supported; push the image again with a current tool"
                ),
            });
        }
        // Check what was asked for by digest, else what the registry says it served.
        let expected = if tag_or_digest.contains(':') {
            Some(tag_or_digest.to_string())
        } else {
            header_digest
        };
        let digest = match &expected {
            Some(expected) if expected.starts_with("sha512:") => sha512_digest(&bytes),
            _ => sha256_digest(&bytes),
        };
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(RegistryError::DigestMismatch {
                reference: self.reference.to_string(),
                what,
                expected,
                actual: digest,
            });
        }
        Ok(FetchedManifest {
            media_type,
            digest,
            bytes,
        })
    }

    /// Opens a blob as a stream. The caller verifies its digest while reading (the image reader
    /// hashes every blob it reads); a stream that breaks is resumed where it stopped.
    pub fn open_blob(self: &Arc<Self>, digest: &str) -> Result<BlobReader, RegistryError> {
        let (body, content_length) = self.blob_body(digest, 0)?;
        Ok(BlobReader {
            client: Arc::clone(self),
            digest: digest.to_string(),
            body: Some(body),
            content_length,
            offset: 0,
            resumes: 0,
            deadline: Instant::now() + self.total_timeout,
        })
    }

    /// A blob's body from `offset` on (a `Range` request when `offset > 0`), and its
    /// `Content-Length`.
    fn blob_body(
        &self,
        digest: &str,
        offset: u64,
    ) -> Result<(ureq::BodyReader<'static>, Option<u64>), RegistryError> {
        let path = format!("v2/{}/blobs/{digest}", self.reference.path);
        let what = format!("blob {digest}");
        let range = (offset > 0).then(|| format!("bytes={offset}-"));
        let response = self.fetch(&path, None, range.as_deref(), &what)?;
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let content_length =
            header(&response, "content-length").and_then(|value| value.trim().parse().ok());
        let mut body = response.into_body().into_reader();
        if offset > 0 && !partial {
            // The server ignored the Range header: skip what was already read.
            let skipped = std::io::copy(&mut (&mut body).take(offset), &mut std::io::sink())
                .map_err(|error| self.transport_error(&what, &error.to_string()))?;
            if skipped != offset {
                return Err(self.transport_error(&what, "the blob is shorter than before"));
            }
        }
        Ok((body, content_length))
    }

    /// GET `path` on the registry: authenticates on 401, follows redirects (sending credentials
    /// only to the registry itself), retries transient failures, and turns error statuses into
    /// errors that name the reference.
    pub(super) fn fetch(
        &self,
        path: &str,
        accept: Option<&str>,
        range: Option<&str>,
        what: &str,
    ) -> Result<Response<ureq::Body>, RegistryError> {
        let mut url = self.base.join(path);
        let mut redirects = 0;
        let mut authentications = 0;
        loop {
            let on_registry = url.same_origin(&self.base);
            let authorization = if on_registry {
                self.authorization.lock().map(|a| a.clone()).unwrap_or(None)
            } else {
                None
            };
            let response =
                self.get_with_retries(&url, accept, range, authorization.as_ref(), what)?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status.is_redirection() {
                let Some(location) = header(&response, "location") else {
                    return Err(self.status_error(status, response, what));
                };
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(RegistryError::InvalidResponse {
                        reference: self.reference.to_string(),
                        message: format!("{what}: more than {MAX_REDIRECTS} redirects"),
                    });
                }
                let next = url.join(&location);
                self.check_scheme(&next, what)?;
                url = next;
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && on_registry && authentications < 2 {
                authentications += 1;
                let challenges: Vec<String> = response
                    .headers()
                    .get_all("www-authenticate")
                    .iter()
                    .filter_map(|value| value.to_str().ok().map(str::to_string))
                    .collect();
                let challenge = auth::parse_challenges(challenges.iter().map(String::as_str));
                let refreshed = match challenge {
                    Some(challenge) => self.authenticate(&challenge, authorization.as_ref())?,
                    None => None,
                };
                match refreshed {
                    Some(new_authorization) => {
                        if let Ok(mut slot) = self.authorization.lock() {
                            *slot = Some(new_authorization);
                        }
                        continue;
                    }
                    None => return Err(self.status_error(status, response, what)),
                }
            }
            return Err(self.status_error(status, response, what));
        }
    }

    /// Answers a challenge. `None` when there is nothing new to try (Basic without credentials,
    /// or the same Basic credentials already refused).
    fn authenticate(
        &self,
        challenge: &Challenge,
        refused: Option<&Authorization>,
    ) -> Result<Option<Authorization>, RegistryError> {
        match challenge {
            Challenge::Basic => {
                let Some(FoundCredential {
                    credential: Credential::Basic { username, password },
                    ..
                }) = &self.credential
                else {
                    return Ok(None);
                };
                let authorization = Authorization::basic(username, password);
                Ok((Some(&authorization) != refused).then_some(authorization))
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                if let Some(FoundCredential {
                    credential: Credential::RegistryToken(token),
                    ..
                }) = &self.credential
                {
                    let authorization = Authorization::bearer(token);
                    return Ok((Some(&authorization) != refused).then_some(authorization));
                }
                let scope = scope
                    .clone()
                    .unwrap_or_else(|| auth::pull_scope(&self.reference.path));
                self.request_token(realm, service.as_deref(), &scope)
                    .map(|token| Some(Authorization::bearer(&token)))
            }
        }
    }

    /// Gets a bearer token from the realm (token.md; oauth.md for identity tokens).
    fn request_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<super::credentials::Secret, RegistryError> {
        let realm_url = Url::parse(realm).map_err(|_| RegistryError::InvalidResponse {
            reference: self.reference.to_string(),
            message: "the registry's token realm is not an http(s) URL".to_string(),
        })?;
        self.check_scheme(&realm_url, "the token server")?;
        let what = format!("a token from {}", realm_url.authority());
        let mut query = vec![("scope", scope.to_string())];
        if let Some(service) = service {
            query.push(("service", service.to_string()));
        }
        let started = Instant::now();
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            let result = match &self.credential {
                Some(FoundCredential {
                    credential: Credential::IdentityToken(refresh),
                    ..
                }) => {
                    let mut form: Vec<(&str, &str)> = vec![
                        ("grant_type", "refresh_token"),
                        ("client_id", "harden"),
                        ("refresh_token", refresh.expose()),
                        ("scope", scope),
                    ];
                    if let Some(service) = service {
                        form.push(("service", service));
                    }
                    self.agent.post(realm_url.as_str()).send_form(form)
                }
                other => {
                    let mut request = self.agent.get(realm_url.as_str());
                    for (name, value) in &query {
                        request = request.query(*name, value);
                    }
                    if let Some(FoundCredential {
                        credential: Credential::Basic { username, password },
                        ..
                    }) = other
                    {
                        request = request.header(
                            "Authorization",
                            Authorization::basic(username, password).header_value(),
                        );
                    }
                    request.call()
                }
            };
            match self.classify(result) {
                Attempt::Done(response) => break response,
                Attempt::Retry { reason, after } => {
                    self.backoff(attempt, started, after, &what, reason)?;
                }
                Attempt::Fail(reason) => return Err(self.transport_error(&what, &reason)),
            }
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_error(status, response, &what));
        }
        let body = response
            .into_body()
            .into_with_config()
            .limit(SMALL_BODY_LIMIT)
            .read_to_vec()
            .map_err(|error| self.transport_error(&what, &error.to_string()))?;
        auth::parse_token_reply(&body).map_err(|message| RegistryError::InvalidResponse {
            reference: self.reference.to_string(),
            message,
        })
    }

    /// One GET with retries on connection errors, timeouts, 429 and 5xx.
    fn get_with_retries(
        &self,
        url: &Url,
        accept: Option<&str>,
        range: Option<&str>,
        authorization: Option<&Authorization>,
        what: &str,
    ) -> Result<Response<ureq::Body>, RegistryError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.agent.get(url.as_str());
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            if let Some(range) = range {
                request = request.header("Range", range);
            }
            if let Some(authorization) = authorization {
                request = request.header("Authorization", authorization.header_value());
            }
            match self.classify(request.call()) {
                Attempt::Done(response) => return Ok(response),
                Attempt::Retry { reason, after } => {
                    self.backoff(attempt, started, after, what, reason)?;
                }
                Attempt::Fail(reason) => return Err(self.transport_error(what, &reason)),
            }
        }
    }

    /// Sorts one attempt's outcome into done (any status worth acting on) or retry.
    fn classify(&self, result: Result<Response<ureq::Body>, ureq::Error>) -> Attempt {
        match result {
            Ok(response) => {
                let status = response.status();
                let transient = status == StatusCode::TOO_MANY_REQUESTS
                    || (status.is_server_error()
                        && status != StatusCode::NOT_IMPLEMENTED
                        && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED);
                if transient {
                    let after = header(&response, "retry-after")
                        .and_then(|value| value.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Attempt::Retry {
                        reason: format!("HTTP {}", status.as_u16()),
                        after,
                    }
                } else {
                    Attempt::Done(response)
                }
            }
            Err(error) => {
                let reason = describe_transport_error(&error);
                // rustls reports an untrusted or mismatched certificate as "invalid peer
                // certificate: ..." (inside an I/O error): the same every time.
                if reason.contains("invalid peer certificate") {
                    Attempt::Fail(format!(
                        "{reason}: the registry's TLS certificate is not trusted; trust its CA with --registry-ca PEM_FILE"
                    ))
                } else if speaks_plain_http(&reason) {
                    // A TLS handshake answered with plain HTTP fails the same way every time:
                    // say so at once, with the flag, instead of retrying into rustls' wording.
                    Attempt::Fail(format!(
                        "the registry answered in plain HTTP, not TLS; if it is meant to be reached over HTTP, pass --insecure-registry {} ({reason})",
                        self.base.authority()
                    ))
                } else {
                    Attempt::Retry {
                        reason,
                        after: None,
                    }
                }
            }
        }
    }

    /// Sleeps before the next attempt, or gives up with the last reason.
    fn backoff(
        &self,
        attempt: u32,
        started: Instant,
        server_delay: Option<Duration>,
        what: &str,
        reason: String,
    ) -> Result<(), RegistryError> {
        let exponential = self
            .retry
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16));
        let delay = server_delay
            .unwrap_or(exponential)
            .min(self.retry.max_backoff);
        if attempt >= self.retry.max_attempts || started.elapsed() + delay > self.retry.max_elapsed
        {
            return Err(RegistryError::Unavailable {
                reference: self.reference.to_string(),
                host: self.base.authority().to_string(),
                what: what.to_string(),
                attempts: attempt,
                reason,
            });
        }
        std::thread::sleep(delay);
        Ok(())
    }

    /// Plain HTTP only to hosts named with `--insecure-registry` (by `host:port`, or by host
    /// for a token realm or blob store on the same machine as an insecure registry).
    fn check_scheme(&self, url: &Url, what: &str) -> Result<(), RegistryError> {
        if url.scheme() == "https"
            || is_insecure(&self.insecure_hosts, url.authority())
            || self
                .insecure_hosts
                .iter()
                .any(|host| hostname_of(host).eq_ignore_ascii_case(hostname_of(url.authority())))
        {
            return Ok(());
        }
        Err(RegistryError::InsecureUrl {
            reference: self.reference.to_string(),
            what: what.to_string(),
            host: url.authority().to_string(),
        })
    }

    fn transport_error(&self, what: &str, reason: &str) -> RegistryError {
        RegistryError::Unavailable {
            reference: self.reference.to_string(),
            host: self.base.authority().to_string(),
            what: what.to_string(),
            attempts: 1,
            reason: reason.to_string(),
        }
    }

    /// An error for a final non-success status, with the registry's own error codes.
    fn status_error(
        &self,
        status: StatusCode,
        response: Response<ureq::Body>,
        what: &str,
    ) -> RegistryError {
        let detail = response
            .into_body()
            .into_with_config()
            .limit(SMALL_BODY_LIMIT)
            .read_to_vec()
            .ok()
            .and_then(|body| registry_error_summary(&body))
            .unwrap_or_default();
        let reference = self.reference.to_string();
        let host = self.base.authority().to_string();
        let what = what.to_string();
        match status {
            StatusCode::UNAUTHORIZED => RegistryError::Unauthorized {
                reference,
                host,
                what,
                credentials: self.credential.as_ref().map(|c| c.origin.to_string()),
                detail,
            },
            StatusCode::FORBIDDEN => RegistryError::Denied {
                reference,
                host,
                what,
                credentials: self.credential.as_ref().map(|c| c.origin.to_string()),
                detail,
            },
            StatusCode::NOT_FOUND => RegistryError::NotFound {
                reference,
                host,
                what,
                detail,
            },
            other => RegistryError::Status {
                reference,
                host,
                what,
                status: other.as_u16(),
                detail,
            },
        }
    }
}

/// A blob being downloaded. Resumes with a `Range` request when the connection breaks.
pub struct BlobReader {
    client: Arc<RegistryClient>,
    digest: String,
    body: Option<ureq::BodyReader<'static>>,
    /// The first response's `Content-Length`, when it had one.
    content_length: Option<u64>,
    offset: u64,
    resumes: u32,
    /// A resumed download keeps the first request's deadline: resuming does not reset the clock.
    deadline: Instant,
}

impl BlobReader {
    /// The blob's length as the registry announced it (for progress; the reader checks sizes).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("digest", &self.digest)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl Read for BlobReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let result = match self.body.as_mut() {
                Some(body) => body.read(buffer),
                None => Err(std::io::Error::other("the connection was lost")),
            };
            match result {
                Ok(count) => {
                    self.offset += count as u64;
                    return Ok(count);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) if self.resumes < MAX_BLOB_RESUMES && Instant::now() < self.deadline => {
                    self.resumes += 1;
                    self.body = None;
                    std::thread::sleep(
                        self.client
                            .retry
                            .initial_backoff
                            .saturating_mul(self.resumes)
                            .min(self.client.retry.max_backoff),
                    );
                    match self.client.blob_body(&self.digest, self.offset) {
                        Ok((body, _)) => self.body = Some(body),
                        Err(resume_error) => {
                            return Err(std::io::Error::other(format!(
                                "{} of {}: {error}; resuming failed: {resume_error}",
                                self.digest, self.client.reference
                            )));
                        }
                    }
                }
                Err(error) => {
                    return Err(std::io::Error::new(
                        error.kind(),
                        format!(
                            "{} of {}: {error} (after {} resumed downloads)",
                            self.digest, self.client.reference, self.resumes
                        ),
                    ));
                }
            }
        }
    }
}

pub(super) fn header(response: &Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

/// Whether `authority` (`host:port`) was named with `--insecure-registry`.
fn is_insecure(insecure_hosts: &[String], authority: &str) -> bool {
    insecure_hosts
        .iter()
        .any(|host| host.eq_ignore_ascii_case(authority))
}

/// A transport error in words, never with the URL (a blob store's URL carries a signature).
fn describe_transport_error(error: &ureq::Error) -> String {
    match error {
        ureq::Error::BadUri(_) => "invalid URL".to_string(),
        ureq::Error::Io(io) => format!("I/O error: {io}"),
        other => other.to_string(),
    }
}

/// `CODE: message` for each entry of the distribution error body (spec.md "Error Codes").
fn registry_error_summary(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let errors = value.get("errors")?.as_array()?;
    let parts: Vec<String> = errors
        .iter()
        .filter_map(|error| {
            let code = error.get("code").and_then(|c| c.as_str()).unwrap_or("");
            let message = error.get("message").and_then(|m| m.as_str()).unwrap_or("");
            let text = match (code.is_empty(), message.is_empty()) {
                (false, false) => format!("{code}: {message}"),
                (false, true) => code.to_string(),
                (true, false) => message.to_string(),
                (true, true) => return None,
            };
            Some(text.chars().take(300).collect())
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

fn sha512_digest(bytes: &[u8]) -> String {
    format!("sha512:{}", hex::encode(sha2::Sha512::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_error_bodies_are_summarized() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        assert_eq!(
            registry_error_summary(body).as_deref(),
            Some("MANIFEST_UNKNOWN: manifest unknown")
        );
        assert_eq!(registry_error_summary(b"<html>"), None);
    }

    #[test]
    fn digests_are_prefixed_hex() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
