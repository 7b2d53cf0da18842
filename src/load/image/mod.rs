//! Image inputs: docker-archive (classic and Docker 25+ OCI-in-tar), OCI layout directories, OCI
//! archives, standard input, and (later) registries, all read without a daemon into
//! [`crate::model::image::Image`].
//!
//! - [`source`]: specs, transports, format detection, whole-archive compression, stdin spooling;
//! - [`store`]: the [`BlobStore`] seam blobs are streamed through (directory, tar, registry later);
//! - [`resolve`]: manifest.json / index.json, nested indexes, platform and image selection;
//! - [`config`]: the image config; [`decode`]: one pass per layer (hash, inflate, walk the tar);
//! - [`cache`]: decoded layers kept on disk by diff id, so a layer seen before is not read again;
//! - [`memo`]: applied first layers shared by the images of one run;
//! - [`apply`]: layers applied in order into the merged tree and per-layer changes.

pub mod apply;
pub mod cache;
pub mod config;
pub mod decode;
pub mod dir_open;
pub mod error;
pub mod linked;
pub mod memo;
mod pipe;
pub mod registry;
pub mod resolve;
pub mod source;
pub mod spool;
pub mod store;
pub mod tar_stream;

use std::sync::Arc;

use rayon::prelude::*;

pub use error::ImageError;
pub use store::{BlobLocation, BlobStore, Root};

use crate::model::image::{ContentRequest, Image, Layer};

/// How to read an image.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// `os/arch[/variant]`; `None` means linux/amd64, or the only platform there is.
    pub platform: Option<String>,
    /// File contents the checks need (see [`crate::checks::content_requests`]).
    pub wants: Vec<ContentRequest>,
    /// Draw progress bars on stderr (only when it is a terminal).
    pub progress: bool,
    /// How to reach registries, for `docker://` specs (insecure hosts, credentials, retries).
    pub registry: crate::load::image::registry::RegistrySettings,
    /// Bounds on every size and count the image chooses (`--limit`).
    pub limits: crate::limits::Limits,
    /// The layer cache (`--cache-dir`); `None` reads every layer.
    pub cache: Option<cache::LayerCache>,
    /// The applied prefixes the images of one run share (`None`: this image alone). Loads that
    /// share one wait for each other: run them on threads of their own ([`memo`]).
    pub memo: Option<Arc<memo::RunMemo>>,
}

/// Reads the image named by `spec` (a path, `-`, or `docker-archive:`/`oci:`/`oci-archive:` forms).
pub fn load(spec: &str, options: &ImageOptions) -> Result<Image, ImageError> {
    let parsed = source::parse_spec(spec)?;
    if parsed.transport == source::Transport::Registry {
        return crate::load::image::registry::load(spec, &parsed.path, options);
    }
    let opened = source::open(spec, &parsed, &options.limits)?;
    load_from(spec, &opened, parsed.selector.as_ref(), options)
}

/// Reads the image a source (any [`BlobStore`] and its [`Root`]) holds. The registry client
/// (issue 6) builds a [`source::Source`] from a fetched manifest and calls this.
pub fn load_from(
    spec: &str,
    opened: &source::Source,
    selector: Option<&source::Selector>,
    options: &ImageOptions,
) -> Result<Image, ImageError> {
    let store = opened.store.as_ref();
    let limits = &options.limits;
    let resolved = resolve::resolve(opened, selector, options.platform.as_deref(), limits)?;
    let limit_error = |error| ImageError::Limit {
        input: spec.to_string(),
        error,
    };
    limits
        .check("layers", resolved.layers.len() as u64, || {
            "the image's layer list".to_string()
        })
        .map_err(limit_error)?;
    let config_bytes = resolve::read_verified(store, &resolved.config, limits)?;
    let parsed = config::parse_config(spec, &resolved.config.location, &config_bytes)?;
    if let Some(wanted) = &options.platform
        && !resolve::platform_matches(&parsed.platform, &resolve::parse_platform(wanted))
    {
        return Err(ImageError::NoSuchPlatform {
            input: spec.to_string(),
            wanted: wanted.clone(),
            available: vec![parsed.platform.to_string()],
        });
    }
    if parsed.diff_ids.len() != resolved.layers.len() {
        return Err(ImageError::invalid(
            spec,
            format!(
                "the manifest lists {} layers but the config's rootfs.diff_ids has {}",
                resolved.layers.len(),
                parsed.diff_ids.len()
            ),
        ));
    }
    let config_digest = resolved.config.expected_digest.clone().unwrap_or_else(|| {
        use sha2::Digest as _;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(&config_bytes))
        )
    });

    let progress = options
        .progress
        .then(|| progress_bar(store, &resolved.layers));
    let budget = decode::ImageBudget::new(limits);
    // Another image of the run may have applied this image's first layers already.
    let mut claim = options.memo.as_deref().map(|memo| {
        let identities = resolved
            .layers
            .iter()
            .zip(&parsed.diff_ids)
            .map(|(source, diff_id)| {
                memo::layer_identity(
                    &cache::key(diff_id, &options.wants, limits),
                    source.expected_digest.as_deref(),
                    source.expected_size,
                )
            });
        memo.claim(&memo::chain(identities))
    });
    let start = claim.as_mut().and_then(memo::Claim::take_start);
    let (first, mut applier, mut applied) = match &start {
        Some((len, prefix)) => {
            for (layer, source) in prefix.layers.iter().zip(&resolved.layers) {
                budget
                    .charge_counts(
                        layer.uncompressed_size,
                        layer.entries,
                        layer.kept_bytes,
                        &format!("layer {}", source.location),
                    )
                    .map_err(limit_error)?;
                if let Some(progress) = &progress {
                    progress.inc(layer.compressed_size);
                }
            }
            (
                *len,
                apply::Applier::resume(prefix.tree.clone(), prefix.implied_bytes, *limits),
                prefix.layers.clone(),
            )
        }
        None => (0, apply::Applier::new(*limits), Vec::new()),
    };
    drop(start);

    // Decode the other layers in parallel (each on its own reader), then apply them in order.
    let decoded = resolved.layers[first..]
        .par_iter()
        .zip(parsed.diff_ids[first..].par_iter())
        .map(|(layer, diff_id)| {
            cache::decode_layer(
                options.cache.as_ref(),
                store,
                layer,
                diff_id,
                &options.wants,
                progress.clone(),
                &budget,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(progress) = &progress {
        progress.finish_and_clear();
    }
    for (index, layer) in (first..).zip(decoded) {
        let kept_bytes = layer
            .members
            .iter()
            .filter_map(|m| m.content.as_ref())
            .map(|c| c.len() as u64)
            .sum();
        let (digest, diff_id, entries) =
            (layer.digest.clone(), layer.diff_id.clone(), layer.entries);
        let (compression, compressed_size, uncompressed_size) = (
            layer.compression,
            layer.compressed_size,
            layer.uncompressed_size,
        );
        let changes = applier.apply(index, layer).map_err(limit_error)?;
        let weight = changes.len() as u64 + memo::PREFIX_OVERHEAD;
        applied.push(Arc::new(memo::AppliedLayer {
            digest,
            diff_id,
            compression,
            compressed_size,
            uncompressed_size,
            entries,
            kept_bytes,
            changes: Arc::new(changes),
        }));
        if let Some(claim) = claim.as_mut()
            && claim.owns(index + 1)
        {
            let (tree, implied_bytes) = applier.snapshot();
            let prefix = memo::AppliedPrefix {
                tree,
                implied_bytes,
                layers: applied.clone(),
            };
            claim.publish(index + 1, prefix, weight);
        }
    }
    drop(claim);

    let mut created_by = parsed
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created_by.clone());
    let layers: Vec<Layer> = applied
        .iter()
        .zip(&resolved.layers)
        .map(|(layer, source)| Layer {
            digest: layer.digest.clone(),
            diff_id: layer.diff_id.clone(),
            // A classic `docker save` names no media type: say what the magic bytes found.
            media_type: source
                .media_type
                .clone()
                .unwrap_or_else(|| layer.compression.docker_media_type().to_string()),
            compression: layer.compression.name().to_string(),
            compressed_size: layer.compressed_size,
            uncompressed_size: layer.uncompressed_size,
            changes: Arc::clone(&layer.changes),
            created_by: created_by.next(),
        })
        .collect();
    let mut filesystem = applier.finish();
    linked::fetch_link_targets(
        options.cache.as_ref(),
        store,
        &resolved.layers,
        &parsed.diff_ids,
        &options.wants,
        &mut filesystem,
        limits,
    )?;
    if let Some(cache) = &options.cache {
        cache.evict_if_written();
    }

    Ok(Image {
        source: spec.to_string(),
        reference: resolved.reference,
        manifest_digest: resolved.manifest_digest,
        index_digests: resolved.index_digests,
        config_digest,
        platform: parsed.platform,
        config: parsed.config,
        history: parsed.history,
        layers,
        filesystem,
        created: parsed.created,
        attestations: resolved.attestations,
    })
}

fn progress_bar(store: &dyn BlobStore, layers: &[resolve::LayerSource]) -> indicatif::ProgressBar {
    let total: u64 = layers
        .iter()
        .map(|l| {
            l.expected_size
                .or_else(|| store.size(&l.location))
                .unwrap_or(0)
        })
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading {} layers", layers.len()));
    bar
}
