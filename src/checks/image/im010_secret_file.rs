//! IM010 secret-file: a file in any layer holds credentials, even if a later layer deleted it.

use std::collections::HashMap;

use crate::checks::Emitter;
use crate::checks::image::support::file_location;
use crate::findings::Severity;
use crate::model::image::{ContentRequest, Image, LayerChange};
use crate::secrets::{self, SecretFileKind};

/// Credential files are small; anything bigger is not one of these formats.
const SMALL: u64 = 64 * 1024;
/// A Docker config can list many registries.
const DOCKER_CONFIG: u64 = 256 * 1024;

crate::declare_check! {
    /// ## What it does
    /// Walks what **every layer** added (not only the final filesystem) and reports files holding
    /// credentials:
    /// - a PEM private key, by content, in any file up to 64 KiB that starts with `-----BEGIN`
    ///   (`RSA`, `EC`, `DSA`, `OPENSSH`, PKCS#8, encrypted ones flagged as such), and SSH keys by
    ///   their usual names (`id_rsa`, `id_ed25519`...);
    /// - `.aws/credentials` with `aws_secret_access_key` or `aws_session_token`;
    /// - `.docker/config.json` with a non-empty `auths.*.auth`, `identitytoken` or `password`;
    /// - `.npmrc` with `_authToken`, `_auth` or `_password` (not `${NPM_TOKEN}`, which npm expands at
    ///   run time), `.pypirc` with a `password`, `.git-credentials` with `https://user:token@host`,
    ///   `.netrc` with a `password`.
    ///
    /// Each finding says whether the file is still in the final filesystem, was replaced by a later
    /// layer, or was deleted by one (and which): a deleted file still ships in its layer's blob.
    /// Contents are requested from the loader under size caps and never printed: values are
    /// redacted.
    ///
    /// ## Why is this bad?
    /// Anyone who can pull the image can extract every layer (`docker save`, `crane export`) and
    /// read the file, including one a later `RUN rm` "removed": whiteouts hide files, they do not
    /// erase them. Registry tokens and cloud credentials give access beyond the container.
    /// Severity **critical** for cloud, registry and git credentials (live access elsewhere),
    /// **high** for private keys, **medium** for encrypted private keys.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY .npmrc /root/.npmrc
    /// RUN npm ci && rm /root/.npmrc   # still in the COPY layer
    /// ```
    /// Fix: `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci`, and a `.dockerignore`
    /// that excludes credential files.
    SecretFile {
        id: "IM010",
        name: "secret-file",
        severity: High,
        target: Image,
        wants: [
            ContentRequest::ContentPrefix { prefix: b"-----BEGIN", max_size: SMALL },
            ContentRequest::PathSuffix { suffix: "/.aws/credentials", max_size: SMALL },
            ContentRequest::PathSuffix { suffix: "/.docker/config.json", max_size: DOCKER_CONFIG },
            ContentRequest::FileName { name: ".npmrc", max_size: SMALL },
            ContentRequest::FileName { name: "npmrc", max_size: SMALL },
            ContentRequest::FileName { name: ".pypirc", max_size: SMALL },
            ContentRequest::FileName { name: ".git-credentials", max_size: SMALL },
            ContentRequest::FileName { name: ".netrc", max_size: SMALL },
            ContentRequest::FileName { name: "id_rsa", max_size: SMALL },
            ContentRequest::FileName { name: "id_dsa", max_size: SMALL },
            ContentRequest::FileName { name: "id_ecdsa", max_size: SMALL },
            ContentRequest::FileName { name: "id_ed25519", max_size: SMALL },
            ContentRequest::FileName { name: "id_ecdsa_sk", max_size: SMALL },
            ContentRequest::FileName { name: "id_ed25519_sk", max_size: SMALL },
        ],
        references: {
            cis: ["4.10 (do not store secrets in Dockerfiles)"],
            dockle: ["CIS-DI-0010 (suspicious files)"],
            trivy: ["secret scanning"],
            see_also: ["OCI image spec \"Whiteouts\""],
        },
        run: check,
    }
}

/// The later changes that can remove a file, by the path they act on, so a file's fate costs one
/// lookup per ancestor rather than a scan of every change of every later layer (40,000 deleted
/// keys behind one whiteout were 40,000 x 40,000 comparisons).
#[derive(Default)]
struct Removals<'a> {
    /// Whiteouts: the path and everything under it. Layer indexes, ascending.
    removed: HashMap<&'a str, Vec<usize>>,
    /// Opaque markers and non-directories written over a directory: everything under the path.
    hidden: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Removals<'a> {
    fn of(image: &'a Image) -> Removals<'a> {
        let mut removals = Removals::default();
        for (index, layer) in image.layers.iter().enumerate() {
            for change in layer.changes.iter() {
                let (map, path) = match change {
                    LayerChange::Removed { path } => (&mut removals.removed, path),
                    LayerChange::Opaque { path } => (&mut removals.hidden, path),
                    LayerChange::Added { path, entry } if !entry.is_dir() => {
                        (&mut removals.hidden, path)
                    }
                    LayerChange::Added { .. } => continue,
                };
                let layers = map.entry(path.as_str()).or_default();
                if layers.last() != Some(&index) {
                    layers.push(index);
                }
            }
        }
        removals
    }

    /// The first layer after `layer` that removed or hid `path`.
    fn remover(&self, path: &str, layer: usize) -> Option<usize> {
        let after = |layers: Option<&Vec<usize>>| {
            let layers = layers?;
            layers.get(layers.partition_point(|&l| l <= layer)).copied()
        };
        let mut first = after(self.removed.get(path));
        let mut ancestor = path;
        while let Some(cut) = ancestor.rfind('/') {
            ancestor = if cut == 0 { "/" } else { &ancestor[..cut] };
            for found in [
                after(self.removed.get(ancestor)),
                after(self.hidden.get(ancestor)),
            ]
            .into_iter()
            .flatten()
            {
                first = Some(first.map_or(found, |f: usize| f.min(found)));
            }
            if ancestor == "/" {
                break;
            }
        }
        first
    }
}

/// What became of a file a layer added.
fn fate<'a>(
    image: &'a Image,
    removals: &mut Option<Removals<'a>>,
    path: &str,
    layer: usize,
) -> (String, Option<usize>) {
    match image.filesystem.get(path) {
        Some(entry) if entry.layer == layer => ("still in the final filesystem".to_string(), None),
        Some(entry) => (
            format!(
                "replaced by layer {}, but this copy still ships in layer {layer}",
                entry.layer
            ),
            Some(entry.layer),
        ),
        None => {
            let remover = removals
                .get_or_insert_with(|| Removals::of(image))
                .remover(path, layer);
            match remover {
                Some(index) => (
                    format!("deleted by layer {index}, but still ships in layer {layer}"),
                    Some(index),
                ),
                None => (
                    format!("not in the final filesystem, but still ships in layer {layer}"),
                    None,
                ),
            }
        }
    }
}

fn severity(kind: SecretFileKind, detail: &str) -> Severity {
    match kind {
        SecretFileKind::PrivateKey if detail.contains("encrypted") => Severity::Medium,
        SecretFileKind::PrivateKey => Severity::High,
        _ => Severity::Critical,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let mut removals = None;
    for (layer_index, layer) in image.layers.iter().enumerate() {
        for change in layer.changes.iter() {
            let LayerChange::Added { path, entry } = change else {
                continue;
            };
            if !entry.is_file() {
                continue;
            }
            let by_name = secrets::secret_file_kind(path);
            let found = match &entry.content {
                Some(content) => secrets::scan_file(path, content),
                None => Vec::new(),
            };
            let (kind, details, values) = if let Some(first) = found.first() {
                (
                    first.kind,
                    found
                        .iter()
                        .map(|s| match s.line {
                            Some(line) => format!("{} (line {line})", s.detail),
                            None => s.detail.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    found
                        .iter()
                        .map(|s| s.redacted.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            } else if by_name == Some(SecretFileKind::PrivateKey) && entry.content.is_none() {
                // An SSH key name whose contents were not kept (over the size cap).
                (
                    SecretFileKind::PrivateKey,
                    "SSH private key file name (contents not read)".to_string(),
                    format!("[{} bytes]", entry.size),
                )
            } else {
                continue;
            };
            let (status, later_layer) = fate(image, &mut removals, path, layer_index);
            let finding = out
                .finding(
                    format!("{path} holds credentials ({kind}): {details}; {status}"),
                    file_location(image, path, layer_index),
                )
                .with_severity(severity(kind, &details))
                .with_evidence("kind", kind.description())
                .with_evidence("found", details)
                .with_evidence("value", values)
                .with_evidence("status", status);
            if let Some(later) = later_layer {
                finding.with_evidence("later_layer", later.to_string());
            }
        }
    }
}
