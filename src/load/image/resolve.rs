//! From a source's root document to one image: docker manifest.json entries, OCI index.json,
//! nested indexes and multi-platform selection, then the chosen manifest's config and layers.
//! Manifests and indexes are verified against their descriptors' digests and sizes on the way.
//!
//! Several images in one source: `:ref` picks one by name, `:@N` by position; without either, a
//! source whose entries name more than one image is an error listing them (we never guess which
//! image the user meant, and a report on one image must not silently skip the others).

use std::collections::HashMap;

use oci_spec::image::{ImageIndex, ImageManifest};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::error::ImageError;
use super::source::{Selector, Source};
use super::store::{BlobLocation, BlobStore, Root, is_sha256_hex};
use crate::limits::Limits;
use crate::model::image::{Attestation, Platform};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const CONFIG_TYPES: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];
/// Layer media types we read; the compression itself is detected from magic bytes. Includes
/// BuildKit's non-standard `application/vnd.docker.image.rootfs.diff.tar.zstd`.
const LAYER_TYPES: &[&str] = &[
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
];
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// BuildKit's attestation storage (docs.docker.com/build/metadata/attestations/attestation-storage/):
/// an index entry with these annotations is an attestation manifest for the manifest named by
/// digest, and each of its layers an in-toto statement annotated with its predicate type.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";
const PREDICATE_TYPE: &str = "in-toto.io/predicate-type";
/// At most this many characters of a predicate type are kept (they are shown in reports).
const MAX_PREDICATE_CHARS: usize = 256;
const CONTAINERD_NAME: &str = "io.containerd.image.name";
/// Indexes nested deeper than this are refused (a loop of indexes would never end).
const MAX_INDEX_DEPTH: usize = 8;

/// One layer to read.
#[derive(Debug, Clone)]
pub struct LayerSource {
    pub location: BlobLocation,
    /// The digest the blob must hash to, when the source names one.
    pub expected_digest: Option<String>,
    pub expected_size: Option<u64>,
    pub media_type: Option<String>,
}

/// The chosen image, before its config and layers are read.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub reference: Option<String>,
    pub manifest_digest: Option<String>,
    /// Digests of the image indexes that led to the manifest, outermost first (a multi-platform
    /// tag's digest): a task definition pinned to one of them runs this image too.
    pub index_digests: Vec<String>,
    pub config: LayerSource,
    pub layers: Vec<LayerSource>,
    /// BuildKit attestation manifests the index attaches to the chosen manifest.
    pub attestations: Vec<Attestation>,
}

/// Chooses the image of `source` the selector and platform name.
pub fn resolve(
    source: &Source,
    selector: Option<&Selector>,
    platform: Option<&str>,
    limits: &Limits,
) -> Result<Resolved, ImageError> {
    let store = source.store.as_ref();
    match &source.root {
        Root::DockerManifest(bytes) => resolve_docker(store, bytes, selector, limits),
        Root::OciIndex(bytes) => {
            let index = parse_index(store, "index.json", bytes, None)?;
            resolve_oci(store, index, selector, platform, limits)
        }
        Root::Manifest {
            media_type,
            digest,
            bytes,
        } => {
            let blob = digest.clone().unwrap_or_else(|| "manifest".to_string());
            match kind_of(store, &blob, bytes, media_type.as_deref())? {
                DocumentKind::Index => {
                    let index = parse_index(store, &blob, bytes, None)?;
                    let mut resolved = resolve_oci(store, index, None, platform, limits)?;
                    if let Some(digest) = digest {
                        resolved.index_digests.insert(0, digest.clone());
                    }
                    Ok(resolved)
                }
                DocumentKind::Manifest => {
                    let manifest = parse_manifest(store, &blob, bytes)?;
                    let mut resolved = from_manifest(store, &blob, manifest)?;
                    resolved.manifest_digest = digest.clone();
                    Ok(resolved)
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// docker save: manifest.json

/// One entry of docker save's manifest.json (moby image/tarexport).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
    /// Docker 25+: media type, size and digest of each layer blob, by digest.
    #[serde(default)]
    layer_sources: Option<HashMap<String, DockerLayerSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerLayerSource {
    media_type: Option<String>,
    size: Option<u64>,
}

/// The digest a docker-archive path commits to: only the content-addressed `blobs/sha256/<hex>` of
/// a Docker 25+ archive's OCI part. A classic `<hex>.json` config or kaniko's `sha256:<hex>` is a
/// name, not a descriptor: `docker load`, containerd's importer and skopeo read it by path and
/// compute its digest from the content (go-containerregistry's `mutate` writes a changed config
/// under its old name), so harden does too.
fn digest_from_path(path: &str) -> Option<String> {
    let name = path.trim_start_matches("./");
    let hex = name.strip_prefix("blobs/sha256/")?;
    is_sha256_hex(hex).then(|| format!("sha256:{hex}"))
}

fn resolve_docker(
    store: &dyn BlobStore,
    bytes: &[u8],
    selector: Option<&Selector>,
    limits: &Limits,
) -> Result<Resolved, ImageError> {
    let input = store.input();
    let entries: Vec<DockerManifestEntry> =
        serde_json::from_slice(bytes).map_err(|e| ImageError::InvalidJson {
            input: input.to_string(),
            blob: "manifest.json".to_string(),
            detail: e.to_string(),
        })?;
    let describe = |i: usize, e: &DockerManifestEntry| -> String {
        let tags = e.repo_tags.clone().unwrap_or_default();
        if tags.is_empty() {
            format!("@{i} (untagged, config {})", e.config)
        } else {
            format!("@{i} {}", tags.join(", "))
        }
    };
    let listing = || -> Vec<String> {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| describe(i, e))
            .collect()
    };
    let (entry, reference) = match selector {
        Some(Selector::Index(n)) => {
            let entry = entries.get(*n).ok_or_else(|| ImageError::NoSuchReference {
                input: input.to_string(),
                reference: format!("@{n}"),
                available: listing(),
            })?;
            let first_tag = entry.repo_tags.as_ref().and_then(|t| t.first().cloned());
            (entry, first_tag)
        }
        Some(Selector::Name(name)) => {
            let found = entries.iter().find_map(|e| {
                e.repo_tags
                    .iter()
                    .flatten()
                    .find(|tag| same_reference(tag, name))
                    .map(|tag| (e, tag.clone()))
            });
            let (entry, tag) = found.ok_or_else(|| ImageError::NoSuchReference {
                input: input.to_string(),
                reference: name.clone(),
                available: listing(),
            })?;
            (entry, Some(tag))
        }
        None => match entries.as_slice() {
            [] => {
                return Err(ImageError::NotAnImage {
                    input: input.to_string(),
                    reason: "manifest.json lists no image".to_string(),
                });
            }
            [only] => (
                only,
                only.repo_tags.as_ref().and_then(|t| t.first().cloned()),
            ),
            _ => {
                return Err(ImageError::SeveralImages {
                    input: input.to_string(),
                    base: crate::load::image::error::selector_base(input, false),
                    images: listing(),
                });
            }
        },
    };
    let sources = entry.layer_sources.as_ref();
    let layers = entry
        .layers
        .iter()
        .map(|path| {
            let expected_digest = digest_from_path(path);
            let described = expected_digest
                .as_ref()
                .and_then(|d| sources.and_then(|s| s.get(d)));
            LayerSource {
                location: BlobLocation::Path(path.clone()),
                expected_size: described.and_then(|s| s.size),
                media_type: described.and_then(|s| s.media_type.clone()),
                expected_digest,
            }
        })
        .collect();
    // The config's digest from its content (a classic name may be stale), for finding the
    // manifest of a Docker 25+ archive in its index.json.
    let config_digest = match digest_from_path(&entry.config) {
        Some(digest) => Some(digest),
        None => store
            .read_small(
                &BlobLocation::Path(entry.config.clone()),
                limits.metadata_bytes,
            )
            .ok()
            .map(|bytes| {
                use sha2::Digest as _;
                format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes)))
            }),
    };
    let (manifest_digest, index_digests) = config_digest
        .as_deref()
        .and_then(|config| docker_manifest_digest(store, config, limits))
        .unzip();
    Ok(Resolved {
        reference,
        manifest_digest,
        index_digests: index_digests.unwrap_or_default(),
        attestations: Vec::new(),
        config: LayerSource {
            location: BlobLocation::Path(entry.config.clone()),
            expected_digest: digest_from_path(&entry.config),
            expected_size: None,
            media_type: None,
        },
        layers,
    })
}

/// The manifest digest of a Docker 25+ archive's image (and the indexes leading to it), found in
/// the `index.json` Docker writes beside `manifest.json`: the manifest whose config is `config`.
/// Best effort: the classic layout has no `index.json`, and the image itself is read from
/// `manifest.json` either way, so an unreadable index only leaves the digest unknown.
fn docker_manifest_digest(
    store: &dyn BlobStore,
    config: &str,
    limits: &Limits,
) -> Option<(String, Vec<String>)> {
    let bytes = store
        .read_small(
            &BlobLocation::Path("index.json".into()),
            limits.metadata_bytes,
        )
        .ok()?;
    let top = parse_index(store, "index.json", &bytes, None).ok()?;
    let mut candidates = Vec::new();
    let mut skipped = None;
    let mut attestations = Vec::new();
    let mut fan_out = FanOut::new(limits, top.len()).ok()?;
    for descriptor in &top {
        collect_manifests(
            store,
            descriptor,
            &None,
            &[],
            &mut Found {
                candidates: &mut candidates,
                attestations: &mut attestations,
                skipped_type: &mut skipped,
            },
            &mut fan_out,
        )
        .ok()?;
    }
    candidates.into_iter().find_map(|candidate| {
        let bytes = read_verified(store, &by_digest(&candidate.descriptor), limits).ok()?;
        let manifest = parse_manifest(store, "manifest", &bytes).ok()?;
        (manifest.config().digest().to_string() == config)
            .then(|| (candidate.descriptor.digest.clone(), candidate.via))
    })
}

/// `app` matches `app:latest`, and `nginx:1` matches `docker.io/library/nginx:1`.
fn same_reference(candidate: &str, wanted: &str) -> bool {
    fn normalize(reference: &str) -> String {
        let short = reference
            .strip_prefix("docker.io/library/")
            .or_else(|| reference.strip_prefix("docker.io/"))
            .unwrap_or(reference);
        let last = short.rsplit('/').next().unwrap_or(short);
        if last.contains(':') || last.contains('@') {
            short.to_string()
        } else {
            format!("{short}:latest")
        }
    }
    candidate == wanted || normalize(candidate) == normalize(wanted)
}

// ---------------------------------------------------------------------------------------------
// OCI: index.json, indexes, manifests

/// A descriptor, copied out of oci-spec's types (which keep fields private behind getters).
#[derive(Debug, Clone)]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
    platform: Option<Platform>,
    annotations: HashMap<String, String>,
}

impl Descriptor {
    fn from_oci(descriptor: &oci_spec::image::Descriptor) -> Descriptor {
        Descriptor {
            media_type: descriptor.media_type().to_string(),
            digest: descriptor.digest().to_string(),
            size: descriptor.size(),
            platform: descriptor.platform().as_ref().map(|p| Platform {
                os: p.os().to_string(),
                architecture: p.architecture().to_string(),
                variant: p.variant().clone(),
            }),
            annotations: descriptor.annotations().clone().unwrap_or_default(),
        }
    }

    fn name(&self) -> Option<&str> {
        self.annotations
            .get(CONTAINERD_NAME)
            .or_else(|| self.annotations.get(REF_NAME))
            .map(String::as_str)
    }

    fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_LIST
    }

    fn is_manifest(&self) -> bool {
        self.media_type == OCI_MANIFEST || self.media_type == DOCKER_MANIFEST
    }

    /// BuildKit's provenance/SBOM manifests sit in the index as `unknown/unknown` images.
    fn is_attestation(&self) -> bool {
        self.annotations
            .get(REFERENCE_TYPE)
            .is_some_and(|t| t == "attestation-manifest")
    }

    /// The manifest an attestation manifest is about (`vnd.docker.reference.digest`).
    fn attests(&self) -> Option<&str> {
        self.annotations.get(REFERENCE_DIGEST).map(String::as_str)
    }
}

/// Just enough of a manifest or index to say which it is and whether we can read it. Parsed
/// before oci-spec's types, which would report a schema 1 manifest as a confusing missing field.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    schema_version: Option<serde_json::Value>,
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
}

enum DocumentKind {
    Index,
    Manifest,
}

fn invalid_json(store: &dyn BlobStore, blob: &str, error: impl std::fmt::Display) -> ImageError {
    ImageError::InvalidJson {
        input: store.input().to_string(),
        blob: blob.to_string(),
        detail: error.to_string(),
    }
}

fn kind_of(
    store: &dyn BlobStore,
    blob: &str,
    bytes: &[u8],
    descriptor_type: Option<&str>,
) -> Result<DocumentKind, ImageError> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| invalid_json(store, blob, e))?;
    let version = probe.schema_version.as_ref().and_then(|v| v.as_u64());
    if version != Some(2) {
        return Err(ImageError::UnsupportedSchemaVersion {
            input: store.input().to_string(),
            blob: blob.to_string(),
            version: probe
                .schema_version
                .map_or("(missing)".to_string(), |v| v.to_string()),
        });
    }
    let media_type = probe.media_type.as_deref().or(descriptor_type);
    match media_type {
        Some(OCI_INDEX | DOCKER_LIST) => Ok(DocumentKind::Index),
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => Ok(DocumentKind::Manifest),
        None if probe.manifests.is_some() => Ok(DocumentKind::Index),
        None => Ok(DocumentKind::Manifest),
        Some(other) => Err(ImageError::UnknownMediaType {
            input: store.input().to_string(),
            blob: blob.to_string(),
            media_type: other.to_string(),
        }),
    }
}

fn parse_index(
    store: &dyn BlobStore,
    blob: &str,
    bytes: &[u8],
    descriptor_type: Option<&str>,
) -> Result<Vec<Descriptor>, ImageError> {
    match kind_of(store, blob, bytes, descriptor_type)? {
        DocumentKind::Index => {}
        DocumentKind::Manifest => {
            return Err(ImageError::invalid(
                store.input(),
                format!("{blob}: expected an image index, found a manifest"),
            ));
        }
    }
    let index: ImageIndex =
        serde_json::from_slice(bytes).map_err(|e| invalid_json(store, blob, e))?;
    Ok(index.manifests().iter().map(Descriptor::from_oci).collect())
}

fn parse_manifest(
    store: &dyn BlobStore,
    blob: &str,
    bytes: &[u8],
) -> Result<ImageManifest, ImageError> {
    match kind_of(store, blob, bytes, None)? {
        DocumentKind::Manifest => {}
        DocumentKind::Index => {
            return Err(ImageError::invalid(
                store.input(),
                format!("{blob}: expected an image manifest, found an index"),
            ));
        }
    }
    serde_json::from_slice(bytes).map_err(|e| invalid_json(store, blob, e))
}

/// Reads a small blob and checks it against its descriptor's size and digest.
pub fn read_verified(
    store: &dyn BlobStore,
    source: &LayerSource,
    limits: &Limits,
) -> Result<Vec<u8>, ImageError> {
    // A descriptor declaring more than the limit is refused before a byte is read; one that
    // lies is cut at its declared size (`read_small` reads at most the limit plus one byte).
    let limit = match source.expected_size {
        Some(declared) => {
            limits
                .check("metadata-bytes", declared, || {
                    format!("{} (declared size)", source.location)
                })
                .map_err(|error| ImageError::Limit {
                    input: store.input().to_string(),
                    error,
                })?;
            // One byte more than declared, to tell a longer blob from an exact one.
            declared.saturating_add(1)
        }
        None => limits.metadata_bytes,
    };
    let bytes = store.read_small(&source.location, limit)?;
    if let Some(declared) = source.expected_size
        && bytes.len() as u64 > declared
    {
        return Err(ImageError::invalid(
            store.input(),
            format!(
                "{}: longer than the {declared} bytes its descriptor declares",
                source.location
            ),
        ));
    }
    let input = store.input().to_string();
    if let Some(expected) = source.expected_size
        && expected != bytes.len() as u64
    {
        return Err(ImageError::SizeMismatch {
            input,
            blob: source.location.to_string(),
            expected,
            actual: bytes.len() as u64,
        });
    }
    if let Some(expected) = &source.expected_digest {
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if &actual != expected {
            return Err(ImageError::DigestMismatch {
                input,
                blob: source.location.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(bytes)
}

fn by_digest(descriptor: &Descriptor) -> LayerSource {
    LayerSource {
        location: BlobLocation::Digest(descriptor.digest.clone()),
        expected_digest: Some(descriptor.digest.clone()),
        expected_size: Some(descriptor.size),
        media_type: Some(descriptor.media_type.clone()),
    }
}

/// A manifest found under the index, with the name of the top-level entry it came from.
#[derive(Debug, Clone)]
struct Candidate {
    descriptor: Descriptor,
    name: Option<String>,
    /// The digests of the indexes passed through to reach it, outermost first.
    via: Vec<String>,
}

fn resolve_oci(
    store: &dyn BlobStore,
    top: Vec<Descriptor>,
    selector: Option<&Selector>,
    platform: Option<&str>,
    limits: &Limits,
) -> Result<Resolved, ImageError> {
    let input = store.input();
    let mut fan_out = FanOut::new(limits, top.len()).map_err(|error| ImageError::Limit {
        input: input.to_string(),
        error,
    })?;
    let listing = || -> Vec<String> {
        top.iter()
            .enumerate()
            .map(|(i, d)| match d.name() {
                Some(name) => format!("@{i} {name}"),
                None => format!("@{i} {}", d.digest),
            })
            .collect()
    };
    let chosen: Vec<&Descriptor> = match selector {
        Some(Selector::Index(n)) => {
            vec![top.get(*n).ok_or_else(|| ImageError::NoSuchReference {
                input: input.to_string(),
                reference: format!("@{n}"),
                available: listing(),
            })?]
        }
        Some(Selector::Name(name)) => {
            let matching: Vec<&Descriptor> = top
                .iter()
                .filter(|d| {
                    d.annotations.get(REF_NAME) == Some(name)
                        || d.annotations
                            .get(CONTAINERD_NAME)
                            .is_some_and(|n| same_reference(n, name))
                })
                .collect();
            if matching.is_empty() {
                return Err(ImageError::NoSuchReference {
                    input: input.to_string(),
                    reference: name.clone(),
                    available: listing(),
                });
            }
            matching
        }
        None => top.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(ImageError::NotAnImage {
            input: input.to_string(),
            reason: "index.json lists no image".to_string(),
        });
    }
    // Entries naming different images: several images, not several platforms of one.
    let mut names: Vec<&str> = chosen.iter().filter_map(|d| d.name()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() > 1 {
        return Err(ImageError::SeveralImages {
            input: input.to_string(),
            base: crate::load::image::error::selector_base(input, true),
            images: listing(),
        });
    }
    let mut candidates = Vec::new();
    let mut skipped_type = None;
    let mut attached = Vec::new();
    for descriptor in chosen {
        let name = descriptor.name().map(str::to_string);
        collect_manifests(
            store,
            descriptor,
            &name,
            &[],
            &mut Found {
                candidates: &mut candidates,
                attestations: &mut attached,
                skipped_type: &mut skipped_type,
            },
            &mut fan_out,
        )?;
    }
    if candidates.is_empty() {
        return Err(match skipped_type {
            Some((blob, media_type)) => ImageError::UnknownMediaType {
                input: input.to_string(),
                blob,
                media_type,
            },
            None => ImageError::NotAnImage {
                input: input.to_string(),
                reason: "the index leads to no image manifest".to_string(),
            },
        });
    }
    let candidate = choose_platform(store, candidates, platform, limits)?;
    let manifest_source = by_digest(&candidate.descriptor);
    let bytes = read_verified(store, &manifest_source, limits)?;
    let blob = format!("manifest {}", candidate.descriptor.digest);
    let manifest = parse_manifest(store, &blob, &bytes)?;
    let mut resolved = from_manifest(store, &blob, manifest)?;
    resolved.attestations = attached
        .iter()
        .filter(|a| a.attests() == Some(candidate.descriptor.digest.as_str()))
        .map(|a| read_attestation(store, a, limits))
        .collect();
    resolved.manifest_digest = Some(candidate.descriptor.digest.clone());
    resolved.index_digests = candidate.via;
    resolved.reference = candidate.name;
    Ok(resolved)
}

/// Lists one attestation manifest's predicate types. An attestation is metadata about the image,
/// not the image: one that cannot be read (a copy that left its blob behind, a manifest that does
/// not parse) is listed with why, never an error.
fn read_attestation(
    store: &dyn BlobStore,
    descriptor: &Descriptor,
    limits: &Limits,
) -> Attestation {
    let mut attestation = Attestation {
        digest: descriptor.digest.clone(),
        ..Attestation::default()
    };
    let manifest = read_verified(store, &by_digest(descriptor), limits).and_then(|bytes| {
        let blob = format!("attestation manifest {}", descriptor.digest);
        parse_manifest(store, &blob, &bytes)
    });
    match manifest {
        Ok(manifest) => {
            attestation.predicate_types = manifest
                .layers()
                .iter()
                .filter_map(|layer| layer.annotations().as_ref()?.get(PREDICATE_TYPE))
                .map(|t| crate::excerpt::excerpt(t, MAX_PREDICATE_CHARS))
                .collect();
        }
        Err(error) => {
            attestation.note = Some(format!("not read: {error}"));
        }
    }
    attestation
}

/// Counts the descriptors an index and the indexes under it list, against `manifests`: an index
/// fanning out to a million manifests (or to indexes that each do) is refused as it is read.
///
/// Also remembers the digests already walked: an index or manifest listed many times (directly or
/// under several indexes) is read once, not once per listing. 5,000 listings of one 8 MB index,
/// or 9,000 of one manifest without a platform, read and hashed gigabytes and never ended.
struct FanOut<'l> {
    limits: &'l Limits,
    seen: u64,
    walked: std::collections::HashSet<String>,
}

impl<'l> FanOut<'l> {
    fn new(limits: &'l Limits, top: usize) -> Result<FanOut<'l>, crate::limits::LimitExceeded> {
        let mut fan_out = FanOut {
            limits,
            seen: 0,
            walked: std::collections::HashSet::new(),
        };
        fan_out.add(top, "index.json")?;
        Ok(fan_out)
    }

    fn add(&mut self, count: usize, index: &str) -> Result<(), crate::limits::LimitExceeded> {
        self.seen += count as u64;
        self.limits.check("manifests", self.seen, || {
            format!("the manifests listed by {index} and the indexes it leads to")
        })
    }
}

/// What walking an index found: image manifests, attestation manifests, and the first entry of a
/// type harden does not read.
struct Found<'a> {
    candidates: &'a mut Vec<Candidate>,
    attestations: &'a mut Vec<Descriptor>,
    skipped_type: &'a mut Option<(String, String)>,
}

fn collect_manifests(
    store: &dyn BlobStore,
    descriptor: &Descriptor,
    name: &Option<String>,
    via: &[String],
    found: &mut Found<'_>,
    fan_out: &mut FanOut<'_>,
) -> Result<(), ImageError> {
    // Listed again (the same bytes, digest-verified): what it leads to is already found.
    if !fan_out.walked.insert(descriptor.digest.clone()) {
        return Ok(());
    }
    if descriptor.is_attestation() {
        found.attestations.push(descriptor.clone());
        return Ok(());
    }
    if descriptor.is_manifest() {
        found.candidates.push(Candidate {
            descriptor: descriptor.clone(),
            name: name.clone(),
            via: via.to_vec(),
        });
        return Ok(());
    }
    if !descriptor.is_index() {
        found.skipped_type.get_or_insert((
            format!("blob {}", descriptor.digest),
            descriptor.media_type.clone(),
        ));
        return Ok(());
    }
    if via.len() >= MAX_INDEX_DEPTH {
        return Err(ImageError::invalid(
            store.input(),
            format!(
                "index {}: indexes nested deeper than {MAX_INDEX_DEPTH}",
                descriptor.digest
            ),
        ));
    }
    let bytes = read_verified(store, &by_digest(descriptor), fan_out.limits)?;
    let blob = format!("index {}", descriptor.digest);
    let mut via = via.to_vec();
    via.push(descriptor.digest.clone());
    let children = parse_index(store, &blob, &bytes, Some(&descriptor.media_type))?;
    fan_out
        .add(children.len(), &blob)
        .map_err(|error| ImageError::Limit {
            input: store.input().to_string(),
            error,
        })?;
    for child in children {
        collect_manifests(store, &child, name, &via, found, fan_out)?;
    }
    Ok(())
}

/// `os/arch[/variant]`.
pub fn parse_platform(text: &str) -> Platform {
    let mut parts = text.split('/');
    Platform {
        os: parts.next().unwrap_or_default().to_string(),
        architecture: parts.next().unwrap_or_default().to_string(),
        variant: parts.next().map(str::to_string),
    }
}

/// Whether an image's platform satisfies the one asked for. A request without a variant accepts
/// any variant; arm64's default variant is v8 (containerd's platforms.Normalize).
pub fn platform_matches(candidate: &Platform, wanted: &Platform) -> bool {
    let arch = |a: &str| match a {
        "x86_64" | "x86-64" => "amd64".to_string(),
        "aarch64" => "arm64".to_string(),
        other => other.to_string(),
    };
    if candidate.os != wanted.os || arch(&candidate.architecture) != arch(&wanted.architecture) {
        return false;
    }
    match (&wanted.variant, &candidate.variant) {
        (None, _) => true,
        (Some(w), Some(c)) => w == c,
        (Some(w), None) => arch(&wanted.architecture) == "arm64" && w == "v8",
    }
}

/// The default platform when the user names none and there are several.
pub const DEFAULT_PLATFORM: &str = "linux/amd64";

fn choose_platform(
    store: &dyn BlobStore,
    candidates: Vec<Candidate>,
    platform: Option<&str>,
    limits: &Limits,
) -> Result<Candidate, ImageError> {
    if candidates.len() == 1 && platform.is_none() {
        return Ok(candidates.into_iter().next().expect("one candidate"));
    }
    let wanted = parse_platform(platform.unwrap_or(DEFAULT_PLATFORM));
    let mut available = Vec::new();
    for candidate in &candidates {
        let candidate_platform = match &candidate.descriptor.platform {
            Some(p) => p.clone(),
            None => platform_from_config(store, &candidate.descriptor, limits)?,
        };
        if platform_matches(&candidate_platform, &wanted) {
            return Ok(candidate.clone());
        }
        available.push(candidate_platform.to_string());
    }
    Err(ImageError::NoSuchPlatform {
        input: store.input().to_string(),
        wanted: match platform {
            Some(p) => p.to_string(),
            None => format!("{DEFAULT_PLATFORM} (the default; choose one with --platform)"),
        },
        available,
    })
}

/// A manifest listed without a platform: its config says which.
fn platform_from_config(
    store: &dyn BlobStore,
    descriptor: &Descriptor,
    limits: &Limits,
) -> Result<Platform, ImageError> {
    let bytes = read_verified(store, &by_digest(descriptor), limits)?;
    let blob = format!("manifest {}", descriptor.digest);
    let manifest = parse_manifest(store, &blob, &bytes)?;
    let resolved = from_manifest(store, &blob, manifest)?;
    let config = read_verified(store, &resolved.config, limits)?;
    let platform =
        super::config::parse_config(store.input(), &resolved.config.location, &config)?.platform;
    Ok(platform)
}

fn from_manifest(
    store: &dyn BlobStore,
    blob: &str,
    manifest: ImageManifest,
) -> Result<Resolved, ImageError> {
    let unknown = |descriptor: &Descriptor| ImageError::UnknownMediaType {
        input: store.input().to_string(),
        blob: format!("{blob}: blob {}", descriptor.digest),
        media_type: descriptor.media_type.clone(),
    };
    let config = Descriptor::from_oci(manifest.config());
    if !CONFIG_TYPES.contains(&config.media_type.as_str()) {
        return Err(unknown(&config));
    }
    let layers = manifest
        .layers()
        .iter()
        .map(|layer| {
            let descriptor = Descriptor::from_oci(layer);
            if LAYER_TYPES.contains(&descriptor.media_type.as_str()) {
                Ok(by_digest(&descriptor))
            } else {
                Err(unknown(&descriptor))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Resolved {
        reference: None,
        manifest_digest: None,
        index_digests: Vec::new(),
        config: by_digest(&config),
        layers,
        attestations: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_match_with_and_without_variants() {
        let arm64 = parse_platform("linux/arm64");
        assert!(platform_matches(&parse_platform("linux/arm64/v8"), &arm64));
        assert!(platform_matches(&arm64, &parse_platform("linux/arm64/v8")));
        assert!(!platform_matches(
            &parse_platform("linux/arm/v6"),
            &parse_platform("linux/arm/v7")
        ));
        assert!(!platform_matches(&parse_platform("linux/amd64"), &arm64));
    }

    #[test]
    fn references_normalize_like_docker() {
        assert!(same_reference("docker.io/library/nginx:latest", "nginx"));
        assert!(same_reference("app:1.0", "app:1.0"));
        assert!(!same_reference("app:1.0", "app"));
    }

    #[test]
    fn docker_paths_imply_digests() {
        let hex = "a".repeat(64);
        assert_eq!(
            digest_from_path(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        // A classic config name and kaniko's `sha256:` name are names, not descriptors.
        assert_eq!(digest_from_path(&format!("{hex}.json")), None);
        assert_eq!(digest_from_path(&format!("sha256:{hex}")), None);
        assert_eq!(digest_from_path(&format!("{hex}/layer.tar")), None);
    }
}
