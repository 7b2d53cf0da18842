//! Where blobs come from: the [`BlobStore`] seam (blobs streamed by digest or archive path), and
//! its two local implementations, a directory ([`DirStore`]: OCI layout, extracted docker save)
//! and a tar file read in place ([`ArchiveStore`]: members indexed once, then read by offset,
//! each reader on its own file handle so layers decode in parallel). A registry client (issue 6)
//! implements [`BlobStore`] over HTTP: `Digest` locations only, manifests fetched by reference
//! into a [`Root::Manifest`].

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::error::ImageError;

/// Where one blob lives in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// Content-addressed: `sha256:<hex>` (OCI layouts, registries, Docker 25+ archives).
    Digest(String),
    /// A path inside a docker archive (`<id>/layer.tar`, `<hex>.json`), for classic docker save.
    Path(String),
}

impl std::fmt::Display for BlobLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobLocation::Digest(digest) => write!(f, "blob {digest}"),
            BlobLocation::Path(path) => write!(f, "{path}"),
        }
    }
}

/// The document a source starts from.
#[derive(Debug, Clone)]
pub enum Root {
    /// An OCI layout's `index.json`.
    OciIndex(Vec<u8>),
    /// A docker save archive's `manifest.json`.
    DockerManifest(Vec<u8>),
    /// A manifest or index fetched by reference (the registry client's root), with its
    /// media type and digest when known.
    Manifest {
        media_type: Option<String>,
        digest: Option<String>,
        bytes: Vec<u8>,
    },
}

/// A source of blobs, read as streams. Must be `Sync`: layers are decoded in parallel.
pub trait BlobStore: Sync {
    /// Opens a blob for streaming; [`ImageError::MissingBlob`] when it is not there.
    fn open(&self, location: &BlobLocation) -> Result<Box<dyn Read + Send + '_>, ImageError>;

    /// The blob's size when the store knows it without reading (for progress and size checks).
    fn size(&self, location: &BlobLocation) -> Option<u64>;

    /// Reads a whole small blob (manifests, configs), at most `limit` bytes.
    fn read_small(&self, location: &BlobLocation, limit: u64) -> Result<Vec<u8>, ImageError> {
        let mut bytes = Vec::new();
        self.open(location)?
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.error(location, e))?;
        if bytes.len() as u64 > limit {
            return Err(ImageError::invalid(
                self.input(),
                format!(
                    "{location}: larger than {limit} bytes, too large for a manifest or config"
                ),
            ));
        }
        Ok(bytes)
    }

    /// The input as the user named it, for messages.
    fn input(&self) -> &str;

    /// An I/O error while reading `location`: a short read is a truncated blob.
    fn error(&self, location: &BlobLocation, error: io::Error) -> ImageError {
        ImageError::Truncated {
            input: self.input().to_string(),
            blob: location.to_string(),
            detail: error.to_string(),
        }
    }
}

/// Relative path of a blob in an OCI layout (`blobs/sha256/<hex>`); refuses anything that is not
/// `sha256:` and 64 lowercase hex digits, so a digest can never name a path outside the layout.
pub fn blob_path(input: &str, digest: &str) -> Result<String, ImageError> {
    match digest.split_once(':') {
        Some(("sha256", hex)) if is_sha256_hex(hex) => Ok(format!("blobs/sha256/{hex}")),
        Some((algorithm @ ("sha384" | "sha512"), _)) => Err(ImageError::invalid(
            input,
            format!("{digest}: digest algorithm {algorithm} is not supported (only sha256)"),
        )),
        _ => Err(ImageError::invalid(
            input,
            format!("{digest:?} is not a valid sha256 digest"),
        )),
    }
}

pub fn is_sha256_hex(hex: &str) -> bool {
    hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A directory: an OCI image layout, or an extracted docker save.
pub struct DirStore {
    input: String,
    root: PathBuf,
}

impl DirStore {
    pub fn new(input: &str, root: &Path) -> DirStore {
        DirStore {
            input: input.to_string(),
            root: root.to_path_buf(),
        }
    }

    fn relative_of(&self, location: &BlobLocation) -> Result<String, ImageError> {
        match location {
            BlobLocation::Digest(digest) => blob_path(&self.input, digest),
            BlobLocation::Path(path) => safe_relative(&self.input, path),
        }
    }

    /// Opens a regular file inside the directory (see `dir_open`: no link out, no FIFO/device).
    fn open_file(&self, relative: &str, what: &dyn std::fmt::Display) -> Result<File, ImageError> {
        super::dir_open::open_inside(&self.root, relative).map_err(|refused| match refused {
            super::dir_open::Refused::NotFound => ImageError::MissingBlob {
                input: self.input.clone(),
                blob: what.to_string(),
            },
            other => ImageError::invalid(&self.input, format!("{what}: {other}")),
        })
    }

    /// Reads a top-level file (`index.json`), `None` when absent; at most `limit` bytes.
    pub fn read_top(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ImageError> {
        match self.open_file(name, &name) {
            Ok(_) => {}
            Err(ImageError::MissingBlob { .. }) => return Ok(None),
            Err(other) => return Err(other),
        }
        self.read_small(&BlobLocation::Path(name.to_string()), limit)
            .map(Some)
    }
}

/// Refuses absolute paths and `..` in a path taken from a manifest.
fn safe_relative(input: &str, path: &str) -> Result<String, ImageError> {
    let cleaned = path.trim_start_matches("./");
    if cleaned.starts_with('/') || cleaned.split('/').any(|c| c == "..") {
        return Err(ImageError::invalid(
            input,
            format!("{path:?}: a path in the manifest leaves the archive"),
        ));
    }
    Ok(cleaned.to_string())
}

impl BlobStore for DirStore {
    fn open(&self, location: &BlobLocation) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let relative = self.relative_of(location)?;
        Ok(Box::new(self.open_file(&relative, location)?))
    }

    fn size(&self, location: &BlobLocation) -> Option<u64> {
        let relative = self.relative_of(location).ok()?;
        let file = self.open_file(&relative, location).ok()?;
        file.metadata().ok().map(|m| m.len())
    }

    fn input(&self) -> &str {
        &self.input
    }
}

/// Where a member's data sits in the archive.
#[derive(Debug, Clone, Copy)]
struct Member {
    offset: u64,
    size: u64,
}

/// A tar archive (docker save, OCI archive) read in place.
pub struct ArchiveStore {
    input: String,
    path: PathBuf,
    members: HashMap<String, Member>,
    /// Member names in archive order, for "not an image" messages.
    pub names: Vec<String>,
    /// Keeps a spooled temporary file (stdin, whole-archive gzip) alive as long as the store.
    _spool: Option<super::spool::Spool>,
}

/// How many symlinks between archive members to follow (symbolic.tar has `layer.tar` links).
const MAX_MEMBER_LINKS: usize = 16;

impl ArchiveStore {
    /// Indexes every member of the tar at `path` (headers only; data is skipped by seeking).
    pub fn open(
        input: &str,
        path: &Path,
        spool: Option<super::spool::Spool>,
        limits: &crate::limits::Limits,
    ) -> Result<ArchiveStore, ImageError> {
        let file = File::open(path).map_err(|e| ImageError::io(input, e))?;
        let corrupt = |e: io::Error| match super::tar_stream::as_limit(&e) {
            Some(limit) => ImageError::Limit {
                input: input.to_string(),
                error: limit.clone(),
            },
            None => ImageError::NotAnImage {
                input: input.to_string(),
                reason: format!("not a readable tar archive: {e}"),
            },
        };
        // The bounded reader (`tar_stream`), seeking over member data: a hostile archive's long
        // names and PAX headers are bounded like a layer's.
        let mut archive = super::tar_stream::TarStream::seekable(io::BufReader::new(file), limits);
        let mut members = HashMap::new();
        let mut links: Vec<(String, String, bool)> = Vec::new();
        let mut names = Vec::new();
        while let Some(entry) = archive.next_member().map_err(corrupt)? {
            limits
                .check("entries", names.len() as u64 + 1, || {
                    "the members of the archive".to_string()
                })
                .map_err(|error| ImageError::Limit {
                    input: input.to_string(),
                    error,
                })?;
            let name = normalize_member(&String::from_utf8_lossy(&entry.path));
            let kind = entry.header.entry_type();
            match kind {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link
                        .as_deref()
                        .map(|t| String::from_utf8_lossy(t).into_owned())
                        .unwrap_or_default();
                    links.push((name.clone(), target, kind == tar::EntryType::Symlink));
                }
                tar::EntryType::Directory => {}
                _ => {
                    members.insert(
                        name.clone(),
                        Member {
                            offset: archive.data_position(),
                            size: entry.size,
                        },
                    );
                }
            }
            names.push(name);
        }
        // Links resolve after every member is known; a symlink's target is relative to its
        // directory, a hardlink's to the archive root.
        for _ in 0..MAX_MEMBER_LINKS {
            let mut progressed = false;
            for (name, target, symbolic) in &links {
                if members.contains_key(name) {
                    continue;
                }
                let resolved = if *symbolic && !target.starts_with('/') {
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    normalize_member(&format!("{dir}/{target}"))
                } else {
                    normalize_member(target)
                };
                if let Some(member) = members.get(&resolved).copied() {
                    members.insert(name.clone(), member);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        Ok(ArchiveStore {
            input: input.to_string(),
            path: path.to_path_buf(),
            members,
            names,
            _spool: spool,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    fn member(&self, location: &BlobLocation) -> Result<Member, ImageError> {
        let name = match location {
            BlobLocation::Digest(digest) => blob_path(&self.input, digest)?,
            BlobLocation::Path(path) => normalize_member(path),
        };
        self.members
            .get(&name)
            .copied()
            .ok_or_else(|| ImageError::MissingBlob {
                input: self.input.clone(),
                blob: location.to_string(),
            })
    }

    /// Reads a top-level member (`manifest.json`), `None` when absent; at most `limit` bytes.
    pub fn read_top(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ImageError> {
        if !self.has(name) {
            return Ok(None);
        }
        let location = BlobLocation::Path(name.to_string());
        self.read_small(&location, limit).map(Some)
    }
}

/// `./a//b/` → `a/b`.
fn normalize_member(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in name.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

impl BlobStore for ArchiveStore {
    fn open(&self, location: &BlobLocation) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let member = self.member(location)?;
        let mut file = File::open(&self.path).map_err(|e| ImageError::io(&self.input, e))?;
        file.seek(SeekFrom::Start(member.offset))
            .map_err(|e| ImageError::io(&self.input, e))?;
        Ok(Box::new(file.take(member.size)))
    }

    fn size(&self, location: &BlobLocation) -> Option<u64> {
        self.member(location).ok().map(|m| m.size)
    }

    fn input(&self) -> &str {
        &self.input
    }
}
