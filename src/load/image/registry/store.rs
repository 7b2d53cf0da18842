//! The registry as a [`BlobStore`] for the image reader: the root manifest or index fetched by
//! tag or digest, child manifests from the manifests endpoint, configs and layers streamed from
//! the blobs endpoint. The reader verifies every digest and size as it reads (`resolve.rs`
//! `read_verified`, `decode.rs` hashing), so registry bytes go through the same checks as an
//! archive's. One progress bar per layer (bytes), only when asked (a terminal).

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, Mutex};

use crate::load::image::{BlobLocation, BlobStore, ImageError, Root};

use super::client::{BlobReader, RegistryClient};

/// A repository of a registry, read blob by blob.
pub struct RegistryStore {
    /// `docker://REF` as the user wrote it.
    input: String,
    client: Arc<RegistryClient>,
    /// Digests of documents reached through an index: these are fetched from the manifests
    /// endpoint (distribution serves a manifest only there, not as a blob).
    manifest_digests: Mutex<HashSet<String>>,
    progress: Option<indicatif::MultiProgress>,
}

impl RegistryStore {
    pub fn new(input: &str, client: Arc<RegistryClient>, progress: bool) -> RegistryStore {
        RegistryStore {
            input: input.to_string(),
            client,
            manifest_digests: Mutex::new(HashSet::new()),
            progress: progress.then(|| {
                indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr())
            }),
        }
    }

    /// Fetches the manifest or index the reference names: the reader's starting point.
    pub fn fetch_root(&self) -> Result<Root, ImageError> {
        let reference = self.client.reference().clone();
        let manifest = self
            .client
            .fetch_manifest(reference.manifest_reference())
            .map_err(ImageError::from)?;
        self.remember_children(&manifest.bytes);
        Ok(Root::Manifest {
            media_type: Some(manifest.media_type).filter(|t| !t.is_empty()),
            digest: Some(manifest.digest),
            bytes: manifest.bytes,
        })
    }

    /// Notes the digests an index lists, so reading them goes to the manifests endpoint.
    fn remember_children(&self, bytes: &[u8]) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return;
        };
        let Some(children) = value.get("manifests").and_then(|m| m.as_array()) else {
            return;
        };
        if let Ok(mut known) = self.manifest_digests.lock() {
            known.extend(
                children
                    .iter()
                    .filter_map(|child| child.get("digest")?.as_str().map(str::to_string)),
            );
        }
    }

    fn digest_of<'a>(&self, location: &'a BlobLocation) -> Result<&'a str, ImageError> {
        match location {
            BlobLocation::Digest(digest) => Ok(digest),
            BlobLocation::Path(path) => Err(ImageError::invalid(
                &self.input,
                format!("{path}: a registry names blobs by digest only"),
            )),
        }
    }
}

impl BlobStore for RegistryStore {
    fn open(&self, location: &BlobLocation) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let digest = self.digest_of(location)?;
        let reader = self.client.open_blob(digest).map_err(ImageError::from)?;
        match &self.progress {
            Some(multi) => Ok(Box::new(ProgressReader::new(multi, digest, reader))),
            None => Ok(Box::new(reader)),
        }
    }

    fn size(&self, _location: &BlobLocation) -> Option<u64> {
        None
    }

    fn read_small(&self, location: &BlobLocation, limit: u64) -> Result<Vec<u8>, ImageError> {
        let digest = self.digest_of(location)?;
        let is_manifest = self
            .manifest_digests
            .lock()
            .map(|known| known.contains(digest))
            .unwrap_or(false);
        let bytes = if is_manifest {
            let manifest = self
                .client
                .fetch_manifest(digest)
                .map_err(ImageError::from)?;
            self.remember_children(&manifest.bytes);
            manifest.bytes
        } else {
            let mut bytes = Vec::new();
            self.client
                .open_blob(digest)
                .map_err(ImageError::from)?
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| self.error(location, e))?;
            bytes
        };
        if bytes.len() as u64 > limit {
            return Err(ImageError::invalid(
                &self.input,
                format!(
                    "{location}: larger than {limit} bytes, too large for a manifest or config"
                ),
            ));
        }
        Ok(bytes)
    }

    fn input(&self) -> &str {
        &self.input
    }
}

/// A layer download with its own progress bar (bytes so far of the blob's `Content-Length`).
struct ProgressReader {
    inner: BlobReader,
    bar: indicatif::ProgressBar,
}

impl ProgressReader {
    fn new(multi: &indicatif::MultiProgress, digest: &str, inner: BlobReader) -> ProgressReader {
        let bar = multi.add(match inner.content_length() {
            Some(length) => indicatif::ProgressBar::new(length),
            None => indicatif::ProgressBar::no_length(),
        });
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let short = digest
            .split_once(':')
            .map_or(digest, |(_, hex)| &hex[..hex.len().min(12)]);
        bar.set_message(format!("layer {short}"));
        ProgressReader { inner, bar }
    }
}

impl Read for ProgressReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.bar.inc(count as u64);
        Ok(count)
    }
}

impl Drop for ProgressReader {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
