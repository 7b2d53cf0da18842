//! The layer cache: what decoding a layer produced ([`DecodedLayer`]: its members' metadata, the
//! file contents the checks asked for, the blob's digest, compression and sizes), stored once per
//! layer on disk, so an image sharing layers with one scanned before reads only its new layers.
//!
//! **Key.** A layer is found by its uncompressed digest (the config's `rootfs.diff_ids` entry),
//! harden's version, a stamp of the decoder's source (`build.rs`: a build whose decoder differs
//! never reads another build's entries), the set of file contents requested (a check asking for
//! one more file misses) and the limits in force. The diff id comes from the config, which is read
//! and verified against its digest on every scan, so a hit needs no read of the layer blob: a
//! cached layer is not read at all. A blob that is read (a miss) is hashed and verified as always,
//! and only a verified decode is stored. When the source names the blob's digest or size (every
//! OCI descriptor does), an entry written for a different blob of the same diff id (the same tar
//! compressed otherwise) is a miss, so the report names the blob that is there.
//!
//! **On disk.** `DIR/layers-v1/<key as hex>`: a header (magic, format version, the key, the
//! payload's length and its SHA-256) and the payload ([`postcard`]). Written to a temporary file
//! in the same directory and renamed over the entry, so readers and concurrent writers (two harden
//! processes on one cache) see a whole entry or none. An entry is as untrusted as any input: one
//! whose header, length, hash, encoding or contents do not check out is ignored (the layer is
//! decoded and the entry rewritten), and what it holds is charged against the same limits as a
//! decoded layer.
//!
//! **Size.** Reading an entry sets its modification time; after an image that wrote entries, the
//! oldest entries are removed until the directory holds at most the maximum size (least recently
//! used first).

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

use super::decode::{self, DecodedLayer, ImageBudget, MemberKind};
use super::error::ImageError;
use super::resolve::LayerSource;
use super::store::BlobStore;
use crate::limits::Limits;
use crate::model::image::{ContentRequest, normalize_path};

const MAGIC: &[u8; 8] = b"HARDENLC";
/// The payload's layout; bump it when [`DecodedLayer`] changes shape.
const FORMAT: u32 = 1;
const HEADER: usize = 8 + 4 + 32 + 8 + 32;
/// The subdirectory entries of this format live in.
const SUBDIR: &str = "layers-v1";
/// A temporary file older than this is a crashed writer's leftover and is removed on eviction.
const STALE_TEMP: Duration = Duration::from_secs(3600);
const TEMP_PREFIX: &str = ".tmp-";

/// The default maximum size of the cache directory.
pub const DEFAULT_MAX_SIZE: u64 = 2 << 30;

/// Where the cache is and how large it may grow.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
    max_size: u64,
    /// Bytes this process wrote since the last eviction.
    written: Arc<AtomicU64>,
}

impl LayerCache {
    /// The cache under `dir`, created when the first entry is written.
    pub fn new(dir: &Path, max_size: u64) -> LayerCache {
        LayerCache {
            dir: dir.join(SUBDIR),
            max_size,
            written: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The cache under `dir`, created now: an error says the directory cannot be used.
    pub fn open(dir: &Path, max_size: u64) -> std::io::Result<LayerCache> {
        let cache = LayerCache::new(dir, max_size);
        fs::create_dir_all(&cache.dir)?;
        Ok(cache)
    }

    /// The user's cache directory for harden: `$XDG_CACHE_HOME/harden` or `~/.cache/harden` on
    /// Linux, the platform's cache directory elsewhere.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("harden"))
    }

    /// The directory entries are written to.
    pub fn entries_dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &[u8; 32]) -> PathBuf {
        self.dir.join(hex::encode(key))
    }

    /// The entry under `key`, when there is a whole, well-formed one; its modification time is set
    /// to now (it is the most recently used).
    pub fn get(&self, key: &[u8; 32]) -> Option<DecodedLayer> {
        let mut file = open_entry(&self.path_of(key))?;
        let metadata = file.metadata().ok()?;
        if !metadata.is_file() {
            return None;
        }
        let length = metadata.len();
        if length < HEADER as u64 || length > self.max_size {
            return None;
        }
        let mut bytes = Vec::with_capacity(length as usize);
        (&mut file).take(length).read_to_end(&mut bytes).ok()?;
        let layer = parse(&bytes, key)?;
        // Best effort: a cache on a read-only mount still serves hits.
        let _ = file.set_modified(SystemTime::now());
        Some(layer)
    }

    /// Stores `layer` under `key`, atomically. Failures are ignored: the cache only saves work.
    pub fn put(&self, key: &[u8; 32], layer: &DecodedLayer) {
        let Ok(payload) = postcard::to_stdvec(layer) else {
            return;
        };
        let length = (HEADER + payload.len()) as u64;
        if length > self.max_size {
            return;
        }
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT.to_le_bytes());
        header.extend_from_slice(key);
        header.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        header.extend_from_slice(&Sha256::digest(&payload));
        let written = (|| -> std::io::Result<()> {
            let temp = || {
                tempfile::Builder::new()
                    .prefix(TEMP_PREFIX)
                    .tempfile_in(&self.dir)
            };
            let mut temp = match temp() {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    fs::create_dir_all(&self.dir)?;
                    temp()?
                }
                other => other?,
            };
            temp.write_all(&header)?;
            temp.write_all(&payload)?;
            temp.persist(self.path_of(key)).map_err(|e| e.error)?;
            Ok(())
        })();
        if written.is_ok() {
            self.written.fetch_add(length, Ordering::Relaxed);
        }
    }

    /// After entries were written: removes the least recently used entries until the directory
    /// holds at most the maximum size, and crashed writers' stale temporary files.
    pub fn evict_if_written(&self) {
        if self.written.swap(0, Ordering::Relaxed) > 0 {
            self.evict();
        }
    }

    /// Removes the least recently used entries until the directory holds at most the maximum size.
    pub fn evict(&self) {
        let Ok(read) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries: Vec<(SystemTime, String, u64)> = Vec::new();
        let mut total = 0u64;
        for item in read.flatten() {
            let Ok(metadata) = item.metadata() else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            let name = item.file_name().to_string_lossy().into_owned();
            let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.starts_with(TEMP_PREFIX) {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = fs::remove_file(item.path());
                } else {
                    total += metadata.len();
                }
                continue;
            }
            total += metadata.len();
            entries.push((modified, name, metadata.len()));
        }
        if total <= self.max_size {
            return;
        }
        entries.sort();
        for (_, name, length) in entries {
            if total <= self.max_size {
                break;
            }
            // Another process may have removed it already: either way it no longer counts.
            let _ = fs::remove_file(self.dir.join(&name));
            total = total.saturating_sub(length);
        }
    }
}

/// The cache key of a layer decoded for `wants` under `limits`.
pub fn key(diff_id: &str, wants: &[ContentRequest], limits: &Limits) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"harden layer cache");
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(env!("HARDEN_LAYER_CODE").as_bytes());
    field(&FORMAT.to_le_bytes());
    field(diff_id.as_bytes());
    // Which file a request keeps does not depend on the order of the requests.
    let mut requests: Vec<String> = wants.iter().map(|want| format!("{want:?}")).collect();
    requests.sort();
    requests.dedup();
    field(&(requests.len() as u64).to_le_bytes());
    for request in &requests {
        field(request.as_bytes());
    }
    field(format!("{limits:?}").as_bytes());
    hasher.finalize().into()
}

/// Opens an entry without following a symbolic link and without blocking: the cache directory
/// may be shared or planted, and a FIFO or device under an entry's name must be a miss, not a
/// scan that waits for a writer forever (std's `File::open` would block on a FIFO).
fn open_entry(path: &Path) -> Option<fs::File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
        .ok()
        .map(fs::File::from)
}

/// A whole entry's bytes, checked: header, key, length, hash, encoding, contents.
fn parse(bytes: &[u8], key: &[u8; 32]) -> Option<DecodedLayer> {
    let (header, payload) = bytes.split_at_checked(HEADER)?;
    let (magic, rest) = header.split_at(8);
    let (format, rest) = rest.split_at(4);
    let (stored_key, rest) = rest.split_at(32);
    let (length, hash) = rest.split_at(8);
    if magic != MAGIC
        || format != FORMAT.to_le_bytes()
        || stored_key != key
        || length != (payload.len() as u64).to_le_bytes()
        || hash != Sha256::digest(payload).as_slice()
    {
        return None;
    }
    let layer: DecodedLayer = postcard::from_bytes(payload).ok()?;
    well_formed(&layer).then_some(layer)
}

/// What the decoder guarantees of a layer, checked again on an entry read back: digests as the
/// decoder writes them, paths normalized and absolute, no more members than tar entries.
fn well_formed(layer: &DecodedLayer) -> bool {
    let is_digest = |d: &str| {
        d.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
    };
    let normalized = |p: &str| p.starts_with('/') && normalize_path(p) == p;
    is_digest(&layer.digest)
        && is_digest(&layer.diff_id)
        && layer.members.len() as u64 <= layer.entries
        && layer.members.iter().all(|member| {
            normalized(&member.path)
                && match &member.kind {
                    MemberKind::Hardlink(target) => normalized(target),
                    _ => true,
                }
        })
}

/// Decodes one layer through the cache: a well-formed entry for the same diff id, requests and
/// limits (and, when the source names them, the same blob digest and size) is used without
/// reading the blob; otherwise the blob is read and verified ([`decode::decode_layer`]) and the
/// result stored.
pub fn decode_layer(
    cache: Option<&LayerCache>,
    store: &dyn BlobStore,
    source: &LayerSource,
    diff_id: &str,
    wants: &[ContentRequest],
    progress: Option<indicatif::ProgressBar>,
    budget: &ImageBudget<'_>,
) -> Result<DecodedLayer, ImageError> {
    let Some(cache) = cache else {
        return decode::decode_layer(store, source, diff_id, wants, progress, budget);
    };
    let key = key(diff_id, wants, budget.limits);
    if let Some(layer) = cache.get(&key)
        && layer.diff_id == diff_id
        && source
            .expected_digest
            .as_ref()
            .is_none_or(|digest| *digest == layer.digest)
        && source
            .expected_size
            .or_else(|| store.size(&source.location))
            .is_none_or(|size| size == layer.compressed_size)
    {
        let name = format!("layer {}", source.location);
        budget
            .charge(&layer, &name)
            .map_err(|error| ImageError::Limit {
                input: store.input().to_string(),
                error,
            })?;
        if let Some(progress) = &progress {
            progress.inc(layer.compressed_size);
        }
        return Ok(layer);
    }
    let layer = decode::decode_layer(store, source, diff_id, wants, progress, budget)?;
    cache.put(&key, &layer);
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::image::decode::{Compression, Member};

    fn layer() -> DecodedLayer {
        DecodedLayer {
            digest: format!("sha256:{}", "a".repeat(64)),
            diff_id: format!("sha256:{}", "b".repeat(64)),
            compression: Compression::Gzip,
            compressed_size: 10,
            uncompressed_size: 2048,
            entries: 3,
            members: vec![
                Member {
                    path: "/etc/passwd".to_string(),
                    kind: MemberKind::File,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    size: 5,
                    xattrs: vec![("user.x".to_string(), vec![1, 2])],
                    content: Some(b"root\n"[..].into()),
                },
                Member {
                    path: "/bin/sh".to_string(),
                    kind: MemberKind::Hardlink("/bin/busybox".to_string()),
                    mode: 0o755,
                    uid: 1,
                    gid: 2,
                    size: 0,
                    xattrs: Vec::new(),
                    content: None,
                },
            ],
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::open(dir.path(), DEFAULT_MAX_SIZE).unwrap();
        let key = key("sha256:b", &[], &Limits::default());
        cache.put(&key, &layer());
        assert_eq!(cache.get(&key), Some(layer()));
        assert_eq!(cache.get(&[0; 32]), None);
    }

    #[test]
    fn every_flipped_bit_of_an_entry_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::open(dir.path(), DEFAULT_MAX_SIZE).unwrap();
        let key = key("sha256:b", &[], &Limits::default());
        cache.put(&key, &layer());
        let bytes = fs::read(cache.path_of(&key)).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(parse(&flipped, &key).is_none(), "bit {bit} flipped");
        }
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut], &key).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn a_well_hashed_entry_with_unnormalized_paths_is_refused() {
        let mut bad = layer();
        bad.members[0].path = "/etc/../root/.ssh/id_rsa".to_string();
        assert!(!well_formed(&bad));
        let mut bad = layer();
        bad.members[1].kind = MemberKind::Hardlink("bin/busybox".to_string());
        assert!(!well_formed(&bad));
        let mut bad = layer();
        bad.entries = 1;
        assert!(!well_formed(&bad));
        assert!(well_formed(&layer()));
    }

    #[test]
    fn the_key_follows_the_requests_not_their_order() {
        let limits = Limits::default();
        let a = ContentRequest::Path("/etc/passwd");
        let b = ContentRequest::Path("/etc/group");
        let id = "sha256:b";
        assert_eq!(
            key(id, &[a.clone(), b.clone()], &limits),
            key(id, &[b.clone(), a.clone()], &limits)
        );
        assert_ne!(
            key(id, std::slice::from_ref(&a), &limits),
            key(id, &[a.clone(), b], &limits)
        );
        assert_ne!(
            key(id, std::slice::from_ref(&a), &limits),
            key("sha256:c", std::slice::from_ref(&a), &limits)
        );
        let mut lower = limits;
        lower.kept_bytes = 1;
        assert_ne!(
            key(id, std::slice::from_ref(&a), &limits),
            key(id, &[a], &lower)
        );
    }
}
