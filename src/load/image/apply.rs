//! Layer application: decoded layers applied in order to an in-memory tree, as the OCI image
//! spec's layer section says (image-spec layer.md "Applying Changesets", "Whiteouts"), and as
//! containerd and umoci apply them on disk:
//! - a member lands where its parent path resolves, following symlinks written by lower layers
//!   (or earlier in the same layer) inside the image root;
//! - `.wh.NAME` removes NAME and everything under it, `.wh..wh..opq` hides the directory's
//!   children; both only affect lower layers, never entries of the layer that carries them;
//! - a non-directory replacing a directory removes the directory's subtree; a directory over a
//!   directory keeps the children and takes the new metadata;
//! - a hard link shares its target's inode: same type, mode, owner, xattrs and contents.

use std::collections::BTreeMap;

use super::decode::{DecodedLayer, Member, MemberKind};
use crate::limits::{LimitExceeded, Limits};
use crate::model::image::{Entry, EntryKind, FileTree, LayerChange};

/// Builds the merged tree, and each layer's changes (in tar order, at the paths they landed on).
pub struct Applier {
    tree: FileTree,
    limits: Limits,
    /// Bytes of the keys of directories created because a member's parent was missing. Every
    /// other key is a member's own path, so the tree's memory is linear in the tar's path bytes;
    /// these are not (one 16 KiB path of one-letter components implies 8,000 ancestors whose
    /// keys sum to 64 MiB), hence the `implied-dir-bytes` limit.
    implied_bytes: u64,
    /// The first limit reached, reported when the layer is done.
    exceeded: Option<LimitExceeded>,
}

impl Default for Applier {
    fn default() -> Applier {
        Applier::new(Limits::default())
    }
}

fn directory(mode: u32, layer: usize) -> Entry {
    Entry {
        kind: EntryKind::Directory,
        mode,
        uid: 0,
        gid: 0,
        size: 0,
        xattrs: BTreeMap::new(),
        hardlink_to: None,
        layer,
        content: None,
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn split(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some(("", name)) => ("/", name),
        Some((parent, name)) => (parent, name),
        None => ("/", path),
    }
}

impl Applier {
    pub fn new(limits: Limits) -> Applier {
        let mut tree = FileTree::default();
        tree.entries.insert("/".to_string(), directory(0o755, 0));
        Applier {
            tree,
            limits,
            implied_bytes: 0,
            exceeded: None,
        }
    }

    /// Goes on from a tree an applier built before (`implied_bytes` is what it had counted).
    pub fn resume(tree: FileTree, implied_bytes: u64, limits: Limits) -> Applier {
        Applier {
            tree,
            limits,
            implied_bytes,
            exceeded: None,
        }
    }

    /// The tree so far (a clone shares it: [`FileTree`]) and what `implied-dir-bytes` counted.
    pub fn snapshot(&self) -> (FileTree, u64) {
        (self.tree.clone(), self.implied_bytes)
    }

    pub fn finish(self) -> FileTree {
        self.tree
    }

    /// Applies one layer; returns its changes, or the limit it reached.
    pub fn apply(
        &mut self,
        index: usize,
        layer: DecodedLayer,
    ) -> Result<Vec<LayerChange>, LimitExceeded> {
        let mut changes = Vec::with_capacity(layer.members.len());
        for member in layer.members {
            if let Some(change) = self.apply_member(index, member) {
                changes.push(change);
            }
            if let Some(exceeded) = self.exceeded.take() {
                return Err(exceeded);
            }
        }
        Ok(changes)
    }

    /// Inserts a directory the layer did not list, within `implied-dir-bytes`.
    fn imply_directory(&mut self, path: &str, layer: usize) {
        if self.exceeded.is_some() {
            return;
        }
        self.implied_bytes += path.len() as u64;
        if let Err(exceeded) = self
            .limits
            .check("implied-dir-bytes", self.implied_bytes, || {
                format!("layer {layer}'s implied parent directories")
            })
        {
            self.exceeded = Some(exceeded);
            return;
        }
        self.tree
            .entries
            .insert(path.to_string(), directory(0o755, layer));
    }

    /// Where `path` lands: its parent resolved through symlinks (the last component is not
    /// followed), with missing parent directories created.
    fn land(&mut self, path: &str, layer: usize) -> String {
        if path == "/" {
            return "/".to_string();
        }
        let (parent, name) = split(path);
        // Fast path: no key in the tree has a symlink above it (everything is inserted at its
        // resolved path, and a directory replaced by a symlink loses its subtree), so an existing
        // directory at `parent` is already resolved.
        let resolved_parent = match self.tree.entries.get(parent) {
            Some(entry) if entry.is_dir() => parent.to_string(),
            _ => self
                .tree
                .resolve_applied(parent)
                .unwrap_or_else(|| parent.to_string()),
        };
        self.ensure_directory(&resolved_parent, layer);
        join(&resolved_parent, name)
    }

    /// Where `path` is, its parent resolved through symlinks, without creating anything; `None`
    /// when the parent is not an existing directory.
    fn locate(&self, path: &str) -> Option<String> {
        let (parent, name) = split(path);
        let resolved_parent = match self.tree.entries.get(parent) {
            Some(entry) if entry.is_dir() => parent.to_string(),
            _ => self.tree.resolve_applied(parent)?,
        };
        let is_dir = resolved_parent == "/"
            || self
                .tree
                .entries
                .get(&resolved_parent)
                .is_some_and(Entry::is_dir);
        is_dir.then(|| join(&resolved_parent, name))
    }

    /// Creates missing directories down to `path` (as tar extraction does, root-owned, 0755);
    /// a non-directory in the way is replaced.
    fn ensure_directory(&mut self, path: &str, layer: usize) {
        if self.tree.entries.get(path).is_some_and(Entry::is_dir) {
            return;
        }
        let mut current = String::new();
        for component in path.split('/').filter(|c| !c.is_empty()) {
            current.push('/');
            current.push_str(component);
            match self.tree.entries.get(&current) {
                Some(entry) if entry.is_dir() => {}
                _ => self.imply_directory(&current, layer),
            }
        }
    }

    /// Removes `path`'s descendants written by layers below `below` (all of them when `None`).
    fn remove_descendants(&mut self, path: &str, below: Option<usize>) {
        let doomed: Vec<String> = if path == "/" {
            self.tree
                .entries
                .iter()
                .filter(|(k, e)| k.as_str() != "/" && below.is_none_or(|l| e.layer < l))
                .map(|(k, _)| k.clone())
                .collect()
        } else {
            // Children of "/a" sort between "/a/" and "/a0" ('0' follows '/').
            let start = format!("{path}/");
            let end = format!("{path}0");
            self.tree
                .entries
                .range(start..end)
                .filter(|(_, e)| below.is_none_or(|l| e.layer < l))
                .map(|(k, _)| k.clone())
                .collect()
        };
        for key in doomed {
            self.tree.entries.remove(&key);
        }
    }

    fn apply_member(&mut self, layer: usize, member: Member) -> Option<LayerChange> {
        match member.kind {
            MemberKind::Whiteout => {
                // A whiteout creates nothing: under a parent that is not a directory (umoci
                // writes `tree/.wh.leaf` after replacing the directory `tree` with a file) there
                // is nothing to remove, and the parent must stay what it is.
                let Some(path) = self.locate(&member.path) else {
                    return Some(LayerChange::Removed { path: member.path });
                };
                if self
                    .tree
                    .entries
                    .get(&path)
                    .is_some_and(|e| e.layer < layer)
                {
                    self.tree.entries.remove(&path);
                }
                self.remove_descendants(&path, Some(layer));
                return Some(LayerChange::Removed { path });
            }
            MemberKind::Opaque => {
                let path = self.land(&member.path, layer);
                self.ensure_directory(&path, layer);
                self.remove_descendants(&path, Some(layer));
                return Some(LayerChange::Opaque { path });
            }
            _ => {}
        }
        let path = self.land(&member.path, layer);
        let mut entry = Entry {
            kind: EntryKind::File,
            mode: member.mode,
            uid: member.uid,
            gid: member.gid,
            size: member.size,
            xattrs: member.xattrs.into_iter().collect(),
            hardlink_to: None,
            layer,
            content: member.content,
        };
        match member.kind {
            MemberKind::File => {}
            MemberKind::Directory => entry.kind = EntryKind::Directory,
            MemberKind::Symlink(target) => entry.kind = EntryKind::Symlink { target },
            MemberKind::CharDevice(major, minor) => {
                entry.kind = EntryKind::CharDevice { major, minor }
            }
            MemberKind::BlockDevice(major, minor) => {
                entry.kind = EntryKind::BlockDevice { major, minor }
            }
            MemberKind::Fifo => entry.kind = EntryKind::Fifo,
            MemberKind::Hardlink(target) => {
                let target_path = self.land(&target, layer);
                match self.tree.entries.get(&target_path) {
                    Some(linked) if !linked.is_dir() => {
                        // Same inode: the target's metadata and contents, not the header's.
                        entry.kind = linked.kind.clone();
                        entry.mode = linked.mode;
                        entry.uid = linked.uid;
                        entry.gid = linked.gid;
                        entry.size = linked.size;
                        entry.xattrs = linked.xattrs.clone();
                        entry.content = linked.content.clone();
                        entry.hardlink_to = Some(linked.hardlink_to.clone().unwrap_or(target_path));
                    }
                    // A link to nothing (or to a directory, which tar cannot link): keep the
                    // header's metadata and the link's target, so the entry is still visible.
                    _ => entry.hardlink_to = Some(target_path),
                }
            }
            MemberKind::Whiteout | MemberKind::Opaque => unreachable!("handled above"),
        }
        match self.tree.entries.get_mut(&path) {
            Some(existing) if existing.is_dir() && entry.is_dir() => {
                // A directory over a directory: new metadata, children stay.
                *existing = entry.clone();
            }
            Some(existing) if existing.is_dir() => {
                self.remove_descendants(&path, None);
                self.tree.entries.insert(path.clone(), entry.clone());
            }
            _ => {
                if !entry.is_dir() {
                    // Keys under a path left behind by a whiteout later in their own layer: a
                    // non-directory has no children (and `resolve_applied` relies on it).
                    self.remove_descendants(&path, None);
                }
                self.tree.entries.insert(path.clone(), entry.clone());
            }
        }
        Some(LayerChange::Added { path, entry })
    }
}
