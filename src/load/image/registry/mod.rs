//! Images straight from a registry (`docker://REF`, skopeo's transport syntax) over the OCI
//! distribution API, without a daemon: reference parsing (`reference.rs`), credentials
//! (`credentials.rs`), authentication (`auth.rs`), the HTTP client (`client.rs`). Layer decoding,
//! digest verification and layer application are the image reader's (`load/image`): registry
//! blobs are streamed into the same pipeline.

pub mod auth;
pub mod client;
pub mod credentials;
pub mod store;
pub mod tags;
pub mod url;

use std::sync::Arc;

use crate::load::image::{self, ImageError, ImageOptions, source::Source};
use crate::model::image::Image;

pub use crate::model::reference::{Reference, ReferenceError};
pub use client::{BlobReader, FetchedManifest, RegistryClient, RegistrySettings, RetryPolicy};
pub use credentials::{Credential, CredentialError, CredentialStore, Secret};

/// The transport prefix of a registry image spec.
pub const TRANSPORT_PREFIX: &str = "docker://";

/// Reads `docker://REF` (`spec`, as the user wrote it; `reference` is what follows the prefix):
/// fetches the manifest or index, then hands the registry to the image reader as a blob store,
/// so platform selection, digest checks, layer decoding and application are the reader's.
pub fn load(spec: &str, reference: &str, options: &ImageOptions) -> Result<Image, ImageError> {
    let reference = Reference::parse(reference).map_err(RegistryError::from)?;
    let client = Arc::new(RegistryClient::new(&reference, &options.registry)?);
    let store = store::RegistryStore::new(spec, client, options.progress);
    let root = store.fetch_root()?;
    let source = Source {
        store: Box::new(store),
        root,
    };
    // The registry store draws one progress bar per layer download; the reader's own bar would
    // draw over them.
    let reader_options = ImageOptions {
        progress: false,
        ..options.clone()
    };
    let mut image = image::load_from(spec, &source, None, &reader_options)?;
    image.reference = Some(reference.to_string());
    Ok(image)
}

/// What the manifest endpoint is asked for, in order of preference: OCI and Docker v2 schema 2
/// manifests and their multi-platform indexes (image-spec media-types.md; Docker's
/// manifest-v2-2.md).
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Why a registry image could not be fetched. Every variant names the reference; none holds a
/// credential or a blob store URL.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The cause is part of the message, not a `source`: the CLI prints the error chain, which
    /// would repeat it.
    #[error("docker://{reference}: {error}")]
    Credentials {
        reference: String,
        error: CredentialError,
    },
    #[error("docker://{reference}: {host} refused {what} (401 Unauthorized{}){}: {}",
        detail_suffix(detail),
        credentials.as_ref().map(|c| format!(" with the credentials from {c}")).unwrap_or_default(),
        if credentials.is_some() { "check the user name and password" }
        else { "the registry needs credentials: `docker login`, or --username with --password-stdin" })]
    Unauthorized {
        reference: String,
        host: String,
        what: String,
        credentials: Option<String>,
        detail: String,
    },
    #[error("docker://{reference}: {host} denied access to {what} (403 Forbidden{}){}",
        detail_suffix(detail),
        credentials.as_ref().map(|c| format!(" for the credentials from {c}")).unwrap_or_default())]
    Denied {
        reference: String,
        host: String,
        what: String,
        credentials: Option<String>,
        detail: String,
    },
    #[error(
        "docker://{reference}: {what} not found on {host} (404{})",
        detail_suffix(detail)
    )]
    NotFound {
        reference: String,
        host: String,
        what: String,
        detail: String,
    },
    #[error(
        "docker://{reference}: {host} answered {status} for {what}{}",
        detail_suffix(detail)
    )]
    Status {
        reference: String,
        host: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error(
        "docker://{reference}: cannot get {what} from {host} after {attempts} attempt(s): {reason}"
    )]
    Unavailable {
        reference: String,
        host: String,
        what: String,
        attempts: u32,
        reason: String,
    },
    #[error(
        "docker://{reference}: {what} would use plain HTTP to {host}; allow it with --insecure-registry {host}"
    )]
    InsecureUrl {
        reference: String,
        what: String,
        host: String,
    },
    #[error(
        "docker://{reference}: {what}: digest mismatch: expected {expected}, the content hashes to {actual}"
    )]
    DigestMismatch {
        reference: String,
        what: String,
        expected: String,
        actual: String,
    },
    #[error("docker://{reference}: {message}")]
    InvalidResponse { reference: String, message: String },
    #[error("--registry-ca {path}: {message}")]
    CaCertificates { path: String, message: String },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}
