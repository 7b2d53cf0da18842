//! A container image as checks see it: its config, and two views of its filesystem, the merged
//! tree after every layer (what runs) and per-layer records of what each layer added and removed
//! (what ships: a secret deleted by a later layer is still in the image).

use std::collections::BTreeMap;
use std::sync::Arc;

/// The platform an image was built for (`linux/amd64`, `linux/arm/v7`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// The image config's `Healthcheck` (`Test` is `["NONE"]` when disabled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Healthcheck {
    pub test: Vec<String>,
}

/// The runtime part of the image config (OCI image spec, config.md `config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `User` as written (`""` and absent both mean root).
    pub user: Option<String>,
    /// `KEY=value` entries, in order.
    pub env: Vec<String>,
    /// `80/tcp`, `53/udp`.
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    /// Docker's `Shell` (the Dockerfile `SHELL` instruction): what runs `CMD-SHELL` health checks
    /// and shell-form commands; `None` means the runtime default, `/bin/sh -c`.
    pub shell: Option<Vec<String>>,
}

/// One entry of the config's `history`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created_by: String,
    pub comment: Option<String>,
    /// True when the step wrote no layer (ENV, USER...).
    pub empty_layer: bool,
}

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink { target: String },
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
    Fifo,
}

/// One object in a filesystem tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    /// Extended attributes from PAX `SCHILY.xattr.*` records (`security.capability` ...).
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// For a file written as a hardlink: the absolute path it links to (same inode, same mode).
    pub hardlink_to: Option<String>,
    /// Index (0-based, bottom first) of the layer that wrote this entry last.
    pub layer: usize,
    /// The contents, only for files some check asked for (see [`ContentRequest`]).
    pub content: Option<Arc<[u8]>>,
}

impl Entry {
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::File
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }

    pub fn symlink_target(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::Symlink { target } => Some(target),
            _ => None,
        }
    }
}

/// The merged filesystem after every layer: absolute, normalized paths (`/`, `/etc/passwd`) to
/// entries. Ordered, so iteration is deterministic and a directory's children follow it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTree {
    /// A persistent map (`imbl`): cloning a tree is O(1) and a clone shares every node it does not
    /// change, so images of one base share the base's applied tree ([`crate::load::image::memo`]).
    pub entries: imbl::OrdMap<String, Entry>,
}

/// How many symlinks one lookup may follow before it is a loop (Linux's MAXSYMLINKS is 40).
const MAX_SYMLINK_HOPS: usize = 40;

impl FileTree {
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// The entries whose paths start with `prefix` (`"/etc/"`: everything under `/etc`), in order.
    pub fn starting_with<'t, 'p>(
        &'t self,
        prefix: &'p str,
    ) -> impl Iterator<Item = (&'t str, &'t Entry)> + use<'t, 'p> {
        self.entries
            .range::<_, str>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .map(|(path, entry)| (path.as_str(), entry))
            .take_while(move |(path, _)| path.starts_with(prefix))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries
            .iter()
            .map(|(path, entry)| (path.as_str(), entry))
    }

    /// Contents of a file, following symlinks and hardlinks, when the loader kept them.
    pub fn content(&self, path: &str) -> Option<&[u8]> {
        let resolved = self.resolve(path)?;
        let entry = self.entries.get(&resolved)?;
        if let Some(content) = &entry.content {
            return Some(content);
        }
        let target = entry.hardlink_to.as_deref()?;
        self.entries.get(target)?.content.as_deref()
    }

    /// Resolves `path` inside the image the way the kernel would inside the container (every
    /// symlink, in every component, relative to the image root; `..` never leaves `/`). Returns
    /// the final path, which may not exist; `None` on a symlink loop.
    pub fn resolve(&self, path: &str) -> Option<String> {
        self.resolve_with(path, false)
    }

    /// [`FileTree::resolve`] for a tree in which every entry's ancestors are directories (no key
    /// has a symlink or a file above it), as the layer applier builds it. Runs of components that
    /// are existing directories are then found by binary search rather than one lookup each, so
    /// resolving a path 8,000 components deep behind a symlink costs a few lookups, not 8,000
    /// lookups of ever longer keys (quadratic in the path's length).
    pub fn resolve_applied(&self, path: &str) -> Option<String> {
        self.resolve_with(path, true)
    }

    fn resolve_with(&self, path: &str, ancestors_are_directories: bool) -> Option<String> {
        // One growing string (`/a/b`, empty for `/`) rather than a join per component.
        let mut hops = 0;
        let mut resolved = String::with_capacity(path.len());
        let mut pending: Vec<&str> = split_components(path).rev().collect();
        // With the applier's invariant, a run of existing directories is skipped in one binary
        // search (at the start, and after a link or a `.`/`..` changes where we are), and once a
        // component is missing or a file nothing under it exists: the rest is appended as is.
        let mut skip = ancestors_are_directories;
        loop {
            if skip {
                self.skip_directories(&mut resolved, &mut pending);
                skip = false;
            }
            let Some(component) = pending.pop() else {
                break;
            };
            match component {
                "." => {
                    skip = ancestors_are_directories;
                    continue;
                }
                ".." => {
                    let parent = resolved.rfind('/').unwrap_or(0);
                    resolved.truncate(parent);
                    skip = ancestors_are_directories;
                    continue;
                }
                _ => {}
            }
            let before = resolved.len();
            resolved.push('/');
            resolved.push_str(component);
            match self.entries.get(resolved.as_str()).map(|e| &e.kind) {
                Some(EntryKind::Symlink { target }) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return None;
                    }
                    resolved.truncate(before);
                    if target.starts_with('/') {
                        resolved.clear();
                    }
                    pending.extend(split_components(target).rev());
                    skip = ancestors_are_directories;
                }
                Some(EntryKind::Directory) => {}
                _ if ancestors_are_directories => {
                    while let Some(next) = pending.last().filter(|c| **c != "." && **c != "..") {
                        resolved.push('/');
                        resolved.push_str(next);
                        pending.pop();
                    }
                }
                _ => {}
            }
        }
        if resolved.is_empty() {
            resolved.push('/');
        }
        Some(resolved)
    }

    /// Appends to `resolved` the longest run of the next `pending` components that are existing
    /// directories. Valid only when every key's ancestors are directories: then "the first k
    /// components form a directory" holds for every k up to some point and for none after it.
    fn skip_directories(&self, resolved: &mut String, pending: &mut Vec<&str>) {
        let plain = pending
            .iter()
            .rev()
            .take_while(|c| **c != "." && **c != "..")
            .count();
        if plain < 4 {
            return;
        }
        let base = resolved.len();
        let mut ends = Vec::with_capacity(plain);
        for component in pending.iter().rev().take(plain) {
            resolved.push('/');
            resolved.push_str(component);
            ends.push(resolved.len());
        }
        let (mut low, mut high) = (0, plain);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if self
                .entries
                .get(&resolved[..ends[middle - 1]])
                .is_some_and(Entry::is_dir)
            {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        resolved.truncate(if low == 0 { base } else { ends[low - 1] });
        pending.truncate(pending.len() - low);
    }
}

fn split_components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// Normalizes a tar member name into an absolute image path: strips `./`, leading `/`, trailing
/// `/`, empty and `.` components, and applies `..` without ever leaving the root.
pub fn normalize_path(name: &str) -> String {
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
    if parts.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", parts.join("/"))
    }
}

/// What one layer did to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerChange {
    /// The layer wrote this entry (a new file, or a replacement of a lower one).
    Added { path: String, entry: Entry },
    /// A whiteout (`.wh.NAME`) removed this path and everything under it.
    Removed { path: String },
    /// An opaque directory marker (`.wh..wh..opq`): lower layers' children of this directory are hidden.
    Opaque { path: String },
}

/// One layer as the image ships it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    /// Digest of the blob as stored (compressed).
    pub digest: String,
    /// Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: String,
    pub media_type: String,
    /// `gzip`, `zstd` or `none`, as detected from the blob's magic bytes.
    pub compression: String,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    /// Every change, in tar order. Entries keep content only for requested files. Shared: images
    /// of one base hold one copy of the base's changes.
    pub changes: std::sync::Arc<Vec<LayerChange>>,
    /// The history step that created the layer, when the history lines up.
    pub created_by: Option<String>,
}

/// Docker's default `PATH` for Linux containers when neither the image nor the runtime sets one.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl Image {
    /// The config's `PATH`, else Docker's default.
    pub fn path_env(&self) -> &str {
        self.config
            .env
            .iter()
            .find_map(|entry| entry.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH)
    }

    /// The shell Docker runs `CMD-SHELL` health checks and shell-form commands with: the config's
    /// `Shell` (the Dockerfile `SHELL` instruction), else `/bin/sh -c` (moby `daemon/health.go`).
    pub fn runtime_shell(&self) -> Vec<String> {
        self.config
            .shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string()])
    }

    /// Where `program` runs from inside the image, as the runtime finds it: an absolute path (or
    /// one relative to the working directory) resolved through the image's symlinks, or a bare
    /// name searched in `path` (a `PATH` value). `None` when nothing there is a regular file: the
    /// runtime would fail with "executable file not found".
    pub fn find_program(&self, program: &str, path: &str) -> Option<String> {
        let tree = &self.filesystem;
        let runs = |candidate: &str| -> Option<String> {
            let resolved = tree.resolve(candidate)?;
            tree.get(&resolved)
                .is_some_and(Entry::is_file)
                .then_some(resolved)
        };
        if program.contains('/') {
            let absolute = if program.starts_with('/') {
                program.to_string()
            } else {
                let dir = self.config.working_dir.as_deref().unwrap_or("/");
                format!("{}/{program}", dir.trim_end_matches('/'))
            };
            return runs(&absolute);
        }
        path.split(':')
            .filter(|dir| dir.starts_with('/'))
            .find_map(|dir| runs(&format!("{}/{program}", dir.trim_end_matches('/'))))
    }
}

/// A fully loaded image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    /// The input as the user named it (`docker-archive:app.tar`, `oci:dir:tag`, `-`).
    pub source: String,
    /// Repository and tag or digest, when the input names one (`docker.io/library/nginx:1.27`).
    pub reference: Option<String>,
    /// Digest of the image manifest, when there is one.
    pub manifest_digest: Option<String>,
    /// Digests of the image indexes that led to the manifest, outermost first (a multi-platform
    /// tag's digest): a task definition pinned to one of them runs this image too.
    pub index_digests: Vec<String>,
    pub config_digest: String,
    pub platform: Platform,
    pub config: ImageConfig,
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    pub filesystem: FileTree,
    /// The config's `created` (RFC 3339, as written), when it has one.
    pub created: Option<String>,
    /// BuildKit attestation manifests (provenance, SBOM) the index attaches to this image.
    pub attestations: Vec<Attestation>,
}

/// A BuildKit attestation manifest attached to the image in its index: an entry annotated
/// `vnd.docker.reference.type: attestation-manifest` whose `vnd.docker.reference.digest` is this
/// image's manifest (docs.docker.com/build/metadata/attestations/attestation-storage/).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Attestation {
    /// The attestation manifest's digest.
    pub digest: String,
    /// Each attestation blob's `in-toto.io/predicate-type` annotation
    /// (`https://slsa.dev/provenance/v0.2`, `https://spdx.dev/Document`), in manifest order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub predicate_types: Vec<String>,
    /// Why the attestation manifest was not read (absent from the source, not a manifest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Attestation {
    /// `provenance`, `sbom` or `other`, from the predicate types.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        for kind in self.predicate_types.iter().map(|t| {
            if t.starts_with("https://slsa.dev/provenance") {
                "provenance"
            } else if t.starts_with("https://spdx.dev/Document")
                || t.starts_with("https://cyclonedx.org/bom")
            {
                "sbom"
            } else {
                "other"
            }
        }) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }
}

/// A file whose contents a check needs; the loader keeps contents only for matching files, so memory
/// grows with the number of files, not their size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentRequest {
    /// One exact absolute path (`/etc/passwd`).
    Path(&'static str),
    /// Any file with this base name (`.npmrc`), at most `max_size` bytes.
    FileName { name: &'static str, max_size: u64 },
    /// Any file whose path ends with this suffix (`/.aws/credentials`), at most `max_size` bytes.
    PathSuffix { suffix: &'static str, max_size: u64 },
    /// Any file under this directory (`/var/lib/dpkg/status.d/`, with the trailing slash), at
    /// most `max_size` bytes: a database kept as one file per record.
    Under { dir: &'static str, max_size: u64 },
    /// Any regular file at most `max_size` bytes whose first bytes start with `prefix`
    /// (`-----BEGIN`): sniffed while streaming, kept only on a match.
    ContentPrefix {
        prefix: &'static [u8],
        max_size: u64,
    },
    /// The file a requested [`ContentRequest::Path`] reaches through a symlink or hardlink
    /// (`/etc/passwd` → `/usr/share/base-passwd/passwd`, or `/etc` → `/usr/etc`): asked for by the
    /// loader itself, in a second pass over the one layer that wrote it, since which file that is
    /// is only known once every layer is applied.
    LinkTarget(std::sync::Arc<str>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symlink(target: &str) -> Entry {
        Entry {
            kind: EntryKind::Symlink {
                target: target.to_string(),
            },
            mode: 0o777,
            uid: 0,
            gid: 0,
            size: 0,
            xattrs: BTreeMap::new(),
            hardlink_to: None,
            layer: 0,
            content: None,
        }
    }

    #[test]
    fn normalize_strips_dots_and_never_leaves_root() {
        assert_eq!(normalize_path("./etc/passwd"), "/etc/passwd");
        assert_eq!(normalize_path("usr/bin/"), "/usr/bin");
        assert_eq!(normalize_path("../../etc//shadow"), "/etc/shadow");
        assert_eq!(normalize_path("./"), "/");
    }

    #[test]
    fn resolve_follows_relative_absolute_and_intermediate_links() {
        let mut tree = FileTree::default();
        tree.entries.insert("/bin".into(), symlink("usr/bin"));
        tree.entries
            .insert("/usr/bin/sh".into(), symlink("busybox"));
        tree.entries
            .insert("/sbin/su".into(), symlink("/bin/../bin/busybox"));
        assert_eq!(tree.resolve("/bin/sh").as_deref(), Some("/usr/bin/busybox"));
        assert_eq!(
            tree.resolve("/sbin/su").as_deref(),
            Some("/usr/bin/busybox")
        );
        tree.entries.insert("/loop".into(), symlink("/loop"));
        assert_eq!(tree.resolve("/loop/x"), None);
    }

    #[test]
    fn resolve_applied_agrees_with_resolve_on_applied_trees() {
        let dir = || Entry {
            kind: EntryKind::Directory,
            ..symlink("")
        };
        let mut tree = FileTree::default();
        tree.entries.insert("/".into(), dir());
        let mut path = String::new();
        for _ in 0..50 {
            path.push_str("/a");
            tree.entries.insert(path.clone(), dir());
        }
        tree.entries.insert("/x".into(), symlink("/"));
        tree.entries
            .insert(format!("{path}/up"), symlink("../../b"));
        let deep = "/a".repeat(50);
        for query in [
            format!("/x{deep}/f"),
            format!("/x{deep}/up/c/d/e/f"),
            format!("{deep}/../a/./a/x/a/a/a/a/a"),
            "/x/x/x/a/a/a/a/a/a/nope/a/a/a/a".to_string(),
        ] {
            assert_eq!(
                tree.resolve_applied(&query),
                tree.resolve(&query),
                "{query}"
            );
        }
        assert_eq!(
            tree.resolve_applied(&format!("/x{deep}/up/c/d/e/f"))
                .unwrap(),
            format!("{}/b/c/d/e/f", "/a".repeat(48))
        );
    }
}
