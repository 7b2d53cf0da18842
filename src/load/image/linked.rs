//! Requested files reached through a link. A check asks for `/etc/passwd`; the loader keeps the
//! member at that exact path while streaming. When the merged filesystem shows the path is a
//! symlink (`/etc/passwd` → `../usr/share/base-passwd/passwd`), lies under a symlinked directory
//! (`/etc` → `usr/etc`) or is a hardlink, the file that really holds the contents is only known once
//! every layer is applied, so the one layer that wrote it is read once more for that file. Links are
//! resolved inside the image as runc resolves them for `GetExecUser` (every component, absolute
//! targets relative to the image root, `..` clamped at `/`; `FileTree::resolve`).

use std::collections::BTreeMap;

use super::decode::{self, MemberKind};
use super::error::ImageError;
use super::resolve::LayerSource;
use super::store::BlobStore;
use crate::model::image::{ContentRequest, FileTree};

/// Fills in the contents of the files that requested paths reach through links.
pub fn fetch_link_targets(
    cache: Option<&super::cache::LayerCache>,
    store: &dyn BlobStore,
    layers: &[LayerSource],
    diff_ids: &[String],
    wants: &[ContentRequest],
    filesystem: &mut FileTree,
    limits: &crate::limits::Limits,
) -> Result<(), ImageError> {
    // A budget of its own: a layer read again is not more of the image (`image-bytes`).
    let budget = decode::ImageBudget::new(limits);
    let mut by_layer: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for want in wants {
        let ContentRequest::Path(requested) = want else {
            continue;
        };
        if let Some((target, layer)) = link_target(filesystem, requested) {
            let targets = by_layer.entry(layer).or_default();
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    for (layer, targets) in by_layer {
        let (Some(source), Some(diff_id)) = (layers.get(layer), diff_ids.get(layer)) else {
            continue;
        };
        let requests: Vec<ContentRequest> = targets
            .iter()
            .map(|target| ContentRequest::LinkTarget(target.as_str().into()))
            .collect();
        // The blob is verified again (digest, size, diff id) when it is read from the store anew
        // (not when the layer cache holds this layer for these requests).
        let decoded =
            super::cache::decode_layer(cache, store, source, diff_id, &requests, None, &budget)?;
        // The tree holds what the layer wrote last at the path.
        for member in decoded.members.into_iter().rev() {
            if member.kind != MemberKind::File || member.content.is_none() {
                continue;
            }
            if let Some(entry) = filesystem.entries.get_mut(&member.path)
                && entry.is_file()
                && entry.content.is_none()
                && entry.layer == layer
            {
                entry.content = member.content;
            }
        }
    }
    Ok(())
}

/// The regular file `requested` reaches through symlinks (in any component) or a hardlink, and the
/// layer that wrote it, when that file is not `requested` itself and its contents were not kept.
fn link_target(filesystem: &FileTree, requested: &str) -> Option<(String, usize)> {
    let resolved = filesystem.resolve(requested)?;
    let entry = filesystem.get(&resolved)?;
    let (path, entry) = match &entry.hardlink_to {
        Some(target) => (target.clone(), filesystem.get(target)?),
        None => (resolved, entry),
    };
    (entry.is_file() && entry.content.is_none() && path != requested).then_some((path, entry.layer))
}
