//! Why an image could not be read. Every variant names the input (as the user gave it) and, where
//! there is one, the blob or archive member, and says what is wrong.

/// Why an image could not be read. Never a partial image: any of these aborts the load.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{input}: {message}")]
    Invalid { input: String, message: String },
    /// The cause is part of the message, not a `source`: the CLI prints the error chain, which
    /// would repeat it.
    #[error("{input}: {error}")]
    Io {
        input: String,
        error: std::io::Error,
    },
    #[error("{input}: no such file or directory")]
    NotFound { input: String },
    #[error("{input}: not an image: {reason}")]
    NotAnImage { input: String, reason: String },
    #[error(
        "{input}: the {transport} transport is not supported yet (save the image with `docker save` or `skopeo copy` and scan the archive)"
    )]
    UnsupportedTransport { input: String, transport: String },
    #[error("{input}: {blob}: missing from the image")]
    MissingBlob { input: String, blob: String },
    #[error("{input}: {blob}: truncated or corrupt: {detail}")]
    Truncated {
        input: String,
        blob: String,
        detail: String,
    },
    #[error("{input}: {blob}: invalid JSON: {detail}")]
    InvalidJson {
        input: String,
        blob: String,
        detail: String,
    },
    #[error("{input}: {blob}: unknown media type {media_type:?}")]
    UnknownMediaType {
        input: String,
        blob: String,
        media_type: String,
    },
    #[error(
        "{input}: {blob}: digest mismatch: the descriptor says {expected}, the content hashes to {actual}"
    )]
    DigestMismatch {
        input: String,
        blob: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{input}: {blob}: size mismatch: the descriptor says {expected} bytes, the blob has {actual}"
    )]
    SizeMismatch {
        input: String,
        blob: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "{input}: layer {blob}: uncompressed digest {actual} does not match the config's rootfs.diff_ids entry {expected}"
    )]
    DiffIdMismatch {
        input: String,
        blob: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{input}: {blob}: unsupported schema version {version} (only version 2 manifests and indexes are read)"
    )]
    UnsupportedSchemaVersion {
        input: String,
        blob: String,
        version: String,
    },
    #[error("{input}: no image for platform {wanted}; available: {}", available.join(", "))]
    NoSuchPlatform {
        input: String,
        wanted: String,
        available: Vec<String>,
    },
    #[error("{input}: the archive holds several images; pick one with {base}:REF or {base}:@N ({})", images.join("; "))]
    SeveralImages {
        input: String,
        /// The input with its transport prefix, to which `:REF` or `:@N` is appended (a bare
        /// path takes no selector).
        base: String,
        images: Vec<String>,
    },
    #[error("{input}: no image named {reference:?} in the archive; it holds: {}", available.join("; "))]
    NoSuchReference {
        input: String,
        reference: String,
        available: Vec<String>,
    },
    /// A bound on untrusted input was reached (`--limit` raises it).
    #[error("{input}: {error}")]
    Limit {
        input: String,
        error: crate::limits::LimitExceeded,
    },
    /// A `docker://` image: the registry client's error (names the reference; never a credential).
    #[error(transparent)]
    Registry(Box<crate::load::image::registry::RegistryError>),
}

impl From<crate::load::image::registry::RegistryError> for ImageError {
    fn from(error: crate::load::image::registry::RegistryError) -> ImageError {
        ImageError::Registry(Box::new(error))
    }
}

impl ImageError {
    pub(crate) fn invalid(input: &str, message: impl Into<String>) -> ImageError {
        ImageError::Invalid {
            input: input.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn io(input: &str, error: std::io::Error) -> ImageError {
        ImageError::Io {
            input: input.to_string(),
            error,
        }
    }
}

/// The spec to which `:REF` or `:@N` is appended to pick one image of `input`: the input itself
/// when it names its transport, else the transport it was detected as (`oci:DIR`,
/// `oci-archive:FILE`, `docker-archive:FILE`), since a bare path takes no selector.
pub fn selector_base(input: &str, oci: bool) -> String {
    for prefix in ["oci:", "oci-archive:", "docker-archive:"] {
        if let Some(rest) = input.strip_prefix(prefix) {
            // Without a selector already given (`oci:dir:latest` matching several).
            let path = rest.split(':').next().unwrap_or(rest);
            return format!("{prefix}{path}");
        }
    }
    if !oci {
        format!("docker-archive:{input}")
    } else if std::path::Path::new(input).is_dir() {
        format!("oci:{input}")
    } else {
        format!("oci-archive:{input}")
    }
}
