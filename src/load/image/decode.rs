//! Layer decoding: one pass over a layer blob that hashes it as stored, detects its compression
//! from magic bytes (gzip including eStargz's concatenated members, zstd, plain), hashes the
//! uncompressed tar (the diff id), and walks the tar headers into [`Member`] records, keeping the
//! contents of requested files only. Memory grows with the number of members, not their size.

use std::io::{self, Read};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::ImageError;
use super::pipe;
use super::resolve::LayerSource;
use super::store::BlobStore;
use super::tar_stream::{TarMember, TarStream, as_limit, limit_error};
use crate::limits::{LimitExceeded, Limits};
use crate::model::image::{ContentRequest, normalize_path};

/// How a layer blob is compressed, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    pub fn detect(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The Docker layer media type of this compression, for a layer whose source names none.
    pub fn docker_media_type(self) -> &'static str {
        match self {
            Compression::Gzip => "application/vnd.docker.image.rootfs.diff.tar.gzip",
            Compression::Zstd => "application/vnd.docker.image.rootfs.diff.tar.zstd",
            Compression::None => "application/vnd.docker.image.rootfs.diff.tar",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::None => "none",
        }
    }
}

/// What a tar member is, once whiteout names are understood (OCI image spec, layer.md
/// "Whiteouts").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MemberKind {
    File,
    Directory,
    Symlink(String),
    /// A hard link to this normalized absolute path.
    Hardlink(String),
    CharDevice(u32, u32),
    BlockDevice(u32, u32),
    Fifo,
    /// `.wh.NAME`: `path` is the removed path (`DIR/NAME`).
    Whiteout,
    /// `.wh..wh..opq`: `path` is the directory whose lower children are hidden.
    Opaque,
}

/// One tar member, as the layer wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// Normalized absolute path (for whiteouts, the path removed; for opaque markers, the dir).
    pub path: String,
    pub kind: MemberKind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub xattrs: Vec<(String, Vec<u8>)>,
    #[serde(with = "shared_bytes")]
    pub content: Option<Arc<[u8]>>,
}

/// A decoded layer: everything the rest of the loader takes from a layer blob, and what the
/// layer cache ([`super::cache`]) stores for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DecodedLayer {
    pub digest: String,
    pub diff_id: String,
    pub compression: Compression,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    /// Tar entries walked, those that carry no filesystem object included (what the image-wide
    /// `entries` limit counts).
    pub entries: u64,
    pub members: Vec<Member>,
}

/// Kept file contents as one byte string each (not a sequence of numbers) in the cache's encoding.
mod shared_bytes {
    use std::sync::Arc;

    use serde::{Deserializer, Serializer};

    struct Bytes<'a>(&'a [u8]);

    impl serde::Serialize for Bytes<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    pub fn serialize<S: Serializer>(
        value: &Option<Arc<[u8]>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => serializer.serialize_some(&Bytes(bytes)),
            None => serializer.serialize_none(),
        }
    }

    struct Owned(Arc<[u8]>);

    impl<'de> serde::Deserialize<'de> for Owned {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Owned, D::Error> {
            struct Visitor;
            impl serde::de::Visitor<'_> for Visitor {
                type Value = Owned;
                fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    formatter.write_str("a byte string")
                }
                fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Owned, E> {
                    Ok(Owned(bytes.into()))
                }
            }
            deserializer.deserialize_bytes(Visitor)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<[u8]>>, D::Error> {
        let owned: Option<Owned> = serde::Deserialize::deserialize(deserializer)?;
        Ok(owned.map(|o| o.0))
    }
}

/// A reader that hashes what passes through it and counts it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    progress: Option<indicatif::ProgressBar>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..n]);
        self.count += n as u64;
        if let Some(progress) = &self.progress {
            progress.inc(n as u64);
        }
        Ok(n)
    }
}

impl<R> Hashing<R> {
    fn new(inner: R, progress: Option<indicatif::ProgressBar>) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            count: 0,
            progress,
        }
    }

    fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.count,
        )
    }
}

/// Decodes one layer. `diff_id` is the config's rootfs.diff_ids entry for it.
pub fn decode_layer(
    store: &dyn BlobStore,
    source: &LayerSource,
    diff_id: &str,
    wants: &[ContentRequest],
    progress: Option<indicatif::ProgressBar>,
    budget: &ImageBudget<'_>,
) -> Result<DecodedLayer, ImageError> {
    let input = store.input();
    let blob = source.location.to_string();
    let corrupt = |e: io::Error| match as_limit(&e) {
        Some(limit) => ImageError::Limit {
            input: input.to_string(),
            error: limit.clone(),
        },
        None => ImageError::Truncated {
            input: input.to_string(),
            blob: blob.clone(),
            detail: e.to_string(),
        },
    };
    let mut raw = Declared {
        inner: store.open(&source.location)?,
        count: 0,
        declared: source.expected_size,
    };
    let layer = format!("layer {blob}");
    let mut head = Vec::with_capacity(4);
    (&mut raw).take(4).read_to_end(&mut head).map_err(corrupt)?;
    let compression = Compression::detect(&head);
    let raw = io::Cursor::new(head).chain(raw);
    // The stages run on threads of their own, so one layer's work spreads over the cores (the
    // big base layer is most of an image's time, and decoding layers in parallel cannot split
    // it): the reader hashes the blob as stored, the inflater inflates it, this thread hashes the
    // tar and walks it. Errors flow down the pipes, so the walk sees the first one in stream
    // order. A plain tar (`docker save`'s layers) needs no inflater, and its diff id is its
    // digest: the same bytes are not hashed twice.
    let decoded = std::thread::scope(|scope| -> io::Result<_> {
        let plain = compression == Compression::None;
        let (tar_sender, mut tar) = pipe::pipe(!plain);
        let layer = layer.as_str();
        let (reader, inflater) = if plain {
            let bounded = Bounded {
                inner: raw,
                count: 0,
                budget,
                layer,
            };
            let reader = std::thread::Builder::new()
                .name("harden-read".into())
                .spawn_scoped(scope, move || read_blob(bounded, progress, tar_sender))?;
            (reader, None)
        } else {
            let (blob_sender, blob_chunks) = pipe::pipe(false);
            let reader = std::thread::Builder::new()
                .name("harden-read".into())
                .spawn_scoped(scope, move || read_blob(raw, progress, blob_sender))?;
            let inflater = std::thread::Builder::new()
                .name("harden-inflate".into())
                .spawn_scoped(scope, move || {
                    inflate(blob_chunks, compression, tar_sender, budget, layer)
                })?;
            (reader, Some(inflater))
        };
        let walked = walk(&mut tar, wants, budget);
        // Dropped before the joins: a walk that stopped early makes the next send of the stage
        // before it fail, and that stage's end of its own input pipe goes with it.
        let (tar_digest, uncompressed_size) = tar.finish();
        let inflated = inflater.map(join).transpose();
        let read = join(reader);
        // The walk's error first: the stages' errors reached it through the pipes.
        let (members, entries) = walked?;
        inflated?;
        let (digest, compressed_size) = read?;
        let diff_id = tar_digest.unwrap_or_else(|| digest.clone());
        Ok((
            members,
            entries,
            diff_id,
            uncompressed_size,
            digest,
            compressed_size,
        ))
    });
    let (members, entries, diff_actual, uncompressed_size, digest, compressed_size) =
        decoded.map_err(corrupt)?;
    if let Some(expected) = source.expected_size
        && expected != compressed_size
    {
        return Err(ImageError::SizeMismatch {
            input: input.to_string(),
            blob,
            expected,
            actual: compressed_size,
        });
    }
    if let Some(expected) = &source.expected_digest
        && *expected != digest
    {
        return Err(ImageError::DigestMismatch {
            input: input.to_string(),
            blob,
            expected: expected.clone(),
            actual: digest,
        });
    }
    if diff_actual != diff_id {
        return Err(ImageError::DiffIdMismatch {
            input: input.to_string(),
            blob,
            expected: diff_id.to_string(),
            actual: diff_actual,
        });
    }
    Ok(DecodedLayer {
        digest,
        diff_id: diff_actual,
        compression,
        compressed_size,
        uncompressed_size,
        entries,
        members,
    })
}

/// What the layers of one image share while they decode in parallel: the limits, and the
/// running totals that image-wide limits (`image-bytes`, `entries`, `kept-bytes`) bound.
#[derive(Debug)]
pub struct ImageBudget<'l> {
    pub limits: &'l Limits,
    image_bytes: AtomicU64,
    entries: AtomicU64,
    kept_bytes: AtomicU64,
}

impl<'l> ImageBudget<'l> {
    pub fn new(limits: &'l Limits) -> ImageBudget<'l> {
        ImageBudget {
            limits,
            image_bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            kept_bytes: AtomicU64::new(0),
        }
    }

    /// Adds to a shared total, failing once it passes the limit `name`.
    fn spend(
        &self,
        total: &AtomicU64,
        name: &'static str,
        amount: u64,
        what: impl FnOnce() -> String,
    ) -> io::Result<()> {
        self.add(total, name, amount, what).map_err(limit_error)
    }

    fn add(
        &self,
        total: &AtomicU64,
        name: &'static str,
        amount: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), LimitExceeded> {
        let now = total.fetch_add(amount, Ordering::Relaxed) + amount;
        self.limits.check(name, now, what)
    }

    /// Spends what a layer taken from the cache would have spent had it been decoded here: its
    /// uncompressed bytes, its tar entries and its kept contents, against the same limits.
    pub fn charge(&self, layer: &DecodedLayer, name: &str) -> Result<(), LimitExceeded> {
        let kept: u64 = layer
            .members
            .iter()
            .filter_map(|m| m.content.as_ref())
            .map(|c| c.len() as u64)
            .sum();
        self.charge_counts(layer.uncompressed_size, layer.entries, kept, name)
    }

    /// [`ImageBudget::charge`] from a layer's counts (a layer another image of the run applied).
    pub fn charge_counts(
        &self,
        uncompressed_size: u64,
        entries: u64,
        kept: u64,
        name: &str,
    ) -> Result<(), LimitExceeded> {
        self.limits.check("layer-bytes", uncompressed_size, || {
            format!("the uncompressed {name}")
        })?;
        self.add(&self.image_bytes, "image-bytes", uncompressed_size, || {
            "the uncompressed layers of the image".to_string()
        })?;
        self.add(&self.entries, "entries", entries, || {
            "the tar entries of the image".to_string()
        })?;
        self.add(&self.kept_bytes, "kept-bytes", kept, || {
            format!("the file contents kept for the checks (in {name})")
        })
    }
}

/// Counts the uncompressed bytes of a layer as they are inflated, and stops the inflation the
/// moment the layer (`layer-bytes`) or the image (`image-bytes`) passes its limit: a zstd bomb
/// costs the time to inflate up to the limit, not to its end.
struct Bounded<'b, R> {
    inner: R,
    count: u64,
    budget: &'b ImageBudget<'b>,
    layer: &'b str,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.count += n as u64;
        let layer = self.layer;
        self.budget
            .limits
            .check("layer-bytes", self.count, || {
                format!("the uncompressed {layer}")
            })
            .map_err(limit_error)?;
        self.budget
            .spend(&self.budget.image_bytes, "image-bytes", n as u64, || {
                "the uncompressed layers of the image".to_string()
            })?;
        Ok(n)
    }
}

/// Refuses a blob that goes on past the size its descriptor declares (a registry streaming
/// forever, a file that grows), as soon as the first extra byte arrives.
struct Declared<R> {
    inner: R,
    count: u64,
    declared: Option<u64>,
}

impl<R: Read> Read for Declared<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.count += n as u64;
        if let Some(declared) = self.declared
            && self.count > declared
        {
            return Err(invalid(format!(
                "the blob is longer than the {declared} bytes its descriptor declares"
            )));
        }
        Ok(n)
    }
}

/// Walks the tar, then reads to the end of the uncompressed stream so the diff id covers it all.
fn walk<R: Read>(
    tar: &mut R,
    wants: &[ContentRequest],
    budget: &ImageBudget<'_>,
) -> io::Result<(Vec<Member>, u64)> {
    let mut members = Vec::new();
    let mut entries = 0u64;
    {
        let mut stream = TarStream::new(&mut *tar, budget.limits);
        while let Some(raw) = stream.next_member()? {
            entries += 1;
            budget.spend(&budget.entries, "entries", 1, || {
                "the tar entries of the image".to_string()
            })?;
            if let Some(member) = read_member(&mut stream, raw, wants, budget)? {
                members.push(member);
            }
        }
    }
    io::copy(tar, &mut io::sink())?;
    Ok((members, entries))
}

/// The result of a stage's thread; its panic goes on in the caller.
fn join<T>(stage: std::thread::ScopedJoinHandle<'_, T>) -> T {
    stage
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The reader stage: the blob as stored, hashed (its digest) and counted, down the blob pipe.
fn read_blob<R: Read>(
    raw: R,
    progress: Option<indicatif::ProgressBar>,
    blob: pipe::ChunkSender,
) -> io::Result<(String, u64)> {
    let mut hashing = Hashing::new(raw, progress);
    match blob.feed(&mut hashing) {
        Ok(pipe::Fed::All) => {
            blob.end();
            Ok(hashing.finish())
        }
        Ok(pipe::Fed::Abandoned) => Err(stopped()),
        Err(error) => {
            let kept = same_error(&error);
            blob.fail(error);
            Err(kept)
        }
    }
}

/// The inflater stage: inflates the blob into the tar pipe, bounded by `layer-bytes` and `image-bytes` so a bomb stops at the limit, then reads
/// whatever follows the compressed stream (part of the blob and its digest).
fn inflate(
    mut blob: pipe::Chunks,
    compression: Compression,
    tar: pipe::ChunkSender,
    budget: &ImageBudget<'_>,
    layer: &str,
) -> io::Result<()> {
    let fed = (|| -> io::Result<pipe::Fed> {
        let decoder: Box<dyn Read + '_> = match compression {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut blob)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(&mut blob)?),
            Compression::None => Box::new(&mut blob),
        };
        let mut bounded = Bounded {
            inner: decoder,
            count: 0,
            budget,
            layer,
        };
        let fed = tar.feed(&mut bounded)?;
        drop(bounded);
        if fed == pipe::Fed::All {
            io::copy(&mut blob, &mut io::sink())?;
        }
        Ok(fed)
    })();
    match fed {
        Ok(pipe::Fed::All) => {
            tar.end();
            Ok(())
        }
        Ok(pipe::Fed::Abandoned) => Err(stopped()),
        Err(error) => {
            let kept = same_error(&error);
            tar.fail(error);
            Err(kept)
        }
    }
}

/// A stage's error when the next stage stopped first (its own error is the one reported).
fn stopped() -> io::Error {
    io::Error::other("the next decoding stage stopped")
}

/// A copy of `error` for the stage's own result; the original goes down the pipe, and the walk
/// reports it (with a limit's details intact).
fn same_error(error: &io::Error) -> io::Error {
    match as_limit(error) {
        Some(limit) => limit_error(limit.clone()),
        None => io::Error::new(error.kind(), error.to_string()),
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A numeric header field. An empty field (all NULs or spaces) reads as 0, as Go's archive/tar
/// (containerd, umoci, BuildKit) reads it; anything else unparsable is an error naming the member.
fn numeric(parsed: io::Result<u64>, raw: &[u8], path: &str, field: &str) -> io::Result<u64> {
    match parsed {
        Ok(value) => Ok(value),
        Err(_) if raw.iter().all(|b| *b == 0 || *b == b' ') => Ok(0),
        Err(e) => Err(invalid(format!("{path}: tar header field {field}: {e}"))),
    }
}

fn read_member<R: Read>(
    stream: &mut TarStream<'_, R>,
    raw: TarMember,
    wants: &[ContentRequest],
    budget: &ImageBudget<'_>,
) -> io::Result<Option<Member>> {
    let raw_path = String::from_utf8_lossy(&raw.path).into_owned();
    let header = &raw.header;
    let entry_type = header.entry_type();
    let old = header.as_old();
    let mode = numeric(header.mode().map(u64::from), &old.mode, &raw_path, "mode")? as u32 & 0o7777;
    let uid = match raw.uid {
        Some(uid) => uid,
        None => numeric(header.uid(), &old.uid, &raw_path, "uid")?,
    };
    let gid = match raw.gid {
        Some(gid) => gid,
        None => numeric(header.gid(), &old.gid, &raw_path, "gid")?,
    };
    let device = |header: &tar::Header| -> (u32, u32) {
        (
            header.device_major().ok().flatten().unwrap_or(0),
            header.device_minor().ok().flatten().unwrap_or(0),
        )
    };
    let link = || {
        raw.link
            .as_deref()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default()
    };
    let mut kind = match entry_type {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            MemberKind::File
        }
        tar::EntryType::Directory => MemberKind::Directory,
        tar::EntryType::Symlink => MemberKind::Symlink(link()),
        tar::EntryType::Link => MemberKind::Hardlink(normalize_path(&link())),
        tar::EntryType::Char => {
            let (major, minor) = device(header);
            MemberKind::CharDevice(major, minor)
        }
        tar::EntryType::Block => {
            let (major, minor) = device(header);
            MemberKind::BlockDevice(major, minor)
        }
        tar::EntryType::Fifo => MemberKind::Fifo,
        // Anything else carries no filesystem object.
        _ => return Ok(None),
    };
    let mut path = normalize_path(&raw_path);
    let (parent, base) = match path.rsplit_once('/') {
        Some((parent, base)) => (if parent.is_empty() { "/" } else { parent }, base),
        None => ("/", path.as_str()),
    };
    if base == ".wh..wh..opq" {
        path = parent.to_string();
        kind = MemberKind::Opaque;
    } else if base.starts_with(".wh..wh.") {
        // AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): no filesystem object.
        return Ok(None);
    } else if let Some(name) = base.strip_prefix(".wh.") {
        path = if parent == "/" {
            format!("/{name}")
        } else {
            format!("{parent}/{name}")
        };
        kind = MemberKind::Whiteout;
    }
    let size = raw.size;
    // A GNU sparse file's data in the stream is its fragments, not its contents: never kept.
    let content = if kind == MemberKind::File && !raw.sparse {
        read_wanted(&mut stream.data(), &path, size, wants, budget)?
    } else {
        None
    };
    let size = if kind == MemberKind::File { size } else { 0 };
    Ok(Some(Member {
        path,
        kind,
        mode,
        uid,
        gid,
        size,
        xattrs: raw.xattrs,
        content,
    }))
}

/// The most of one file's contents kept in memory (a `ContentRequest::Path` has no size cap of its
/// own; an `/etc/passwd` beyond this is not a real one).
const MAX_KEPT_CONTENT: u64 = 64 * 1024 * 1024;

/// Reads a file's contents when a request names it, or sniffs its first bytes when a
/// [`ContentRequest::ContentPrefix`] might match. Everything else is skipped unread.
fn read_wanted(
    entry: &mut impl Read,
    path: &str,
    size: u64,
    wants: &[ContentRequest],
    budget: &ImageBudget<'_>,
) -> io::Result<Option<Arc<[u8]>>> {
    let kept = |content: Vec<u8>| -> io::Result<Option<Arc<[u8]>>> {
        budget.spend(
            &budget.kept_bytes,
            "kept-bytes",
            content.len() as u64,
            || format!("the file contents kept for the checks (at {path})"),
        )?;
        Ok(Some(content.into()))
    };
    let base = path.rsplit('/').next().unwrap_or(path);
    let mut keep = false;
    let mut longest_prefix = 0usize;
    for want in wants {
        match want {
            ContentRequest::Path(wanted) => keep |= path == *wanted,
            ContentRequest::LinkTarget(target) => keep |= path == &**target,
            ContentRequest::FileName { name, max_size } => {
                keep |= base == *name && size <= *max_size
            }
            ContentRequest::PathSuffix { suffix, max_size } => {
                keep |= path.ends_with(suffix) && size <= *max_size
            }
            ContentRequest::Under { dir, max_size } => {
                keep |= path.starts_with(*dir) && size <= *max_size
            }
            ContentRequest::ContentPrefix { prefix, max_size } => {
                if size <= *max_size && size >= prefix.len() as u64 {
                    longest_prefix = longest_prefix.max(prefix.len());
                }
            }
        }
    }
    if keep {
        // The header's size is untrusted: never reserve more than the cap up front, and never
        // keep more than MAX_KEPT_CONTENT of a file requested by exact path.
        let mut content = Vec::with_capacity(size.min(MAX_KEPT_CONTENT) as usize);
        entry.take(MAX_KEPT_CONTENT).read_to_end(&mut content)?;
        return kept(content);
    }
    if longest_prefix == 0 {
        return Ok(None);
    }
    let mut head = vec![0u8; longest_prefix.min(size as usize)];
    entry.read_exact(&mut head)?;
    let matched = wants.iter().any(|want| match want {
        ContentRequest::ContentPrefix { prefix, max_size } => {
            size <= *max_size && head.starts_with(prefix)
        }
        _ => false,
    });
    if !matched {
        return Ok(None);
    }
    let mut content = head;
    content.reserve((size.min(MAX_KEPT_CONTENT) as usize).saturating_sub(content.len()));
    entry.read_to_end(&mut content)?;
    kept(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(header_setup: impl Fn(&mut tar::Header)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(2);
        header_setup(&mut header);
        builder
            .append_data(&mut header, "etc/passwd", &b"ok"[..])
            .unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn empty_numeric_fields_read_as_zero_like_go_archive_tar() {
        let tar = tar_with(|h| h.set_mode(0o644));
        let limits = Limits::default();
        let budget = ImageBudget::new(&limits);
        let (members, _) = walk(
            &mut &tar[..],
            &[ContentRequest::Path("/etc/passwd")],
            &budget,
        )
        .unwrap();
        assert_eq!(
            (members[0].uid, members[0].gid, members[0].mode),
            (0, 0, 0o644)
        );
        assert_eq!(members[0].content.as_deref(), Some(&b"ok"[..]));
    }

    #[test]
    fn garbage_numeric_fields_are_errors_naming_the_member() {
        let mut tar = tar_with(|h| {
            h.set_mode(0o644);
            h.set_uid(0);
        });
        // uid field: offset 108, 8 bytes; then fix the checksum so only the field is wrong.
        tar[108..116].copy_from_slice(b"zz\0\0\0\0\0\0");
        let mut header = tar::Header::new_old();
        header.as_mut_bytes().copy_from_slice(&tar[..512]);
        header.set_cksum();
        tar[..512].copy_from_slice(header.as_bytes());
        let limits = Limits::default();
        let error = walk(&mut &tar[..], &[], &ImageBudget::new(&limits))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("etc/passwd: tar header field uid"),
            "{error}"
        );
    }

    /// A store of one endless blob that counts the bytes it served.
    struct Endless {
        head: Vec<u8>,
        served: std::sync::Arc<AtomicU64>,
    }

    struct EndlessReader {
        head: io::Cursor<Vec<u8>>,
        served: std::sync::Arc<AtomicU64>,
    }

    impl Read for EndlessReader {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let mut n = self.head.read(buffer)?;
            if n == 0 {
                buffer.fill(b'x');
                n = buffer.len();
            }
            self.served.fetch_add(n as u64, Ordering::Relaxed);
            Ok(n)
        }
    }

    impl BlobStore for Endless {
        fn open(
            &self,
            _: &super::super::store::BlobLocation,
        ) -> Result<Box<dyn Read + Send + '_>, ImageError> {
            Ok(Box::new(EndlessReader {
                head: io::Cursor::new(self.head.clone()),
                served: self.served.clone(),
            }))
        }
        fn size(&self, _: &super::super::store::BlobLocation) -> Option<u64> {
            None
        }
        fn input(&self) -> &str {
            "endless"
        }
    }

    /// The walk stops on a bad first header; the reader and inflater stages must stop with it,
    /// not read the (here endless) rest of the blob into closed pipes. Plain and gzip (whose
    /// stream goes on with a megabyte of tar after the bad header, then the endless bytes).
    #[test]
    fn a_walk_that_fails_stops_the_stages_before_it() {
        let mut bad = tar_with(|h| h.set_mode(0o644));
        bad[148..156].copy_from_slice(b"bad sum\0");
        let mut more = bad.clone();
        more.extend((0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gzip, &more).unwrap();
        for head in [bad, gzip.finish().unwrap()] {
            let served = std::sync::Arc::new(AtomicU64::new(0));
            let store = Endless {
                head,
                served: served.clone(),
            };
            let source = LayerSource {
                location: super::super::store::BlobLocation::Digest("sha256:00".into()),
                expected_digest: None,
                expected_size: None,
                media_type: None,
            };
            let limits = Limits::default();
            let budget = ImageBudget::new(&limits);
            let error = decode_layer(&store, &source, "sha256:00", &[], None, &budget)
                .unwrap_err()
                .to_string();
            assert!(error.contains("cksum for etc/passwd"), "{error}");
            // What was in the pipes and the stages' buffers when the walk stopped: a few chunks.
            let read = served.load(Ordering::Relaxed);
            assert!(read < 16 * pipe::CHUNK as u64, "{read} bytes read");
        }
    }

    #[test]
    fn compression_is_detected_from_magic_bytes() {
        assert_eq!(Compression::detect(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::detect(b"etc/"), Compression::None);
    }
}
