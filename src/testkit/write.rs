//! Writes [`ImageSpec`]s as real images: layer tars (plain, gzip, zstd) made with the `tar` crate,
//! then assembled as an OCI layout (directory or tar), a classic `docker save` archive, or the
//! OCI-in-tar archive Docker 25+ writes (index.json and blobs/ beside manifest.json).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::{Compression, EntrySpecKind, ImageSpec, LayerSpec};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where and how an image is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// OCI image layout directory (oci-layout, index.json, blobs/sha256/).
    OciDir,
    /// The same as a tar file (`oci-archive:`).
    OciArchive,
    /// Classic `docker save`: manifest.json, `<id>/layer.tar`, `<config>.json`, repositories.
    DockerArchive,
    /// Docker 25+ `docker save`: OCI layout plus manifest.json pointing into blobs/.
    DockerOciArchive,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::OciDir,
        Layout::OciArchive,
        Layout::DockerArchive,
        Layout::DockerOciArchive,
    ];

    /// The transport prefix harden (and skopeo) use for this layout.
    pub fn transport(self) -> &'static str {
        match self {
            Layout::OciDir => "oci",
            Layout::OciArchive => "oci-archive",
            Layout::DockerArchive | Layout::DockerOciArchive => "docker-archive",
        }
    }
}

/// A layer blob as written.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    pub blob: Vec<u8>,
    /// `sha256:` of the blob as stored.
    pub digest: String,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    pub media_type: &'static str,
}

/// The files of an image layout, by relative path, before they are written; tests may corrupt
/// them first.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Files {
    /// Writes the files under `dest` (created).
    pub fn write_dir(&self, dest: &Path) -> io::Result<()> {
        for (name, bytes) in &self.files {
            let path = dest.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, bytes)?;
        }
        Ok(())
    }

    /// The files as one tar.
    pub fn tar_bytes(&self) -> io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in &self.files {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            header.set_size(bytes.len() as u64);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, name, &bytes[..])?;
        }
        builder.into_inner()
    }

    /// Writes the files as one tar file at `dest`.
    pub fn write_tar(&self, dest: &Path) -> io::Result<()> {
        std::fs::write(dest, self.tar_bytes()?)
    }

    /// Writes a directory for [`Layout::OciDir`], a tar file for the others.
    pub fn write(&self, layout: Layout, dest: &Path) -> io::Result<()> {
        match layout {
            Layout::OciDir => self.write_dir(dest),
            _ => self.write_tar(dest),
        }
    }

    fn add_blob(&mut self, bytes: Vec<u8>) -> (String, u64) {
        let digest = sha256_digest(&bytes);
        let size = bytes.len() as u64;
        self.files
            .insert(format!("blobs/sha256/{}", &digest[7..]), bytes);
        (digest, size)
    }
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl ImageSpec {
    /// The uncompressed tar of layer `index`.
    pub fn layer_tar(&self, index: usize) -> io::Result<Vec<u8>> {
        layer_tar(&self.layers[index])
    }

    /// Every layer, tarred and compressed.
    pub fn built_layers(&self) -> io::Result<Vec<BuiltLayer>> {
        self.layers.iter().map(build_layer).collect()
    }

    /// The image config JSON (OCI config.md, with Docker's `Healthcheck`).
    pub fn config_json(&self, layers: &[BuiltLayer]) -> Vec<u8> {
        let config = &self.config;
        let mut runtime = Map::new();
        if let Some(user) = &config.user {
            runtime.insert("User".into(), json!(user));
        }
        if !config.env.is_empty() {
            runtime.insert("Env".into(), json!(config.env));
        }
        let set = |items: &[String]| -> Value {
            Value::Object(items.iter().map(|i| (i.clone(), json!({}))).collect())
        };
        if !config.exposed_ports.is_empty() {
            runtime.insert("ExposedPorts".into(), set(&config.exposed_ports));
        }
        if !config.volumes.is_empty() {
            runtime.insert("Volumes".into(), set(&config.volumes));
        }
        if let Some(test) = &config.healthcheck {
            runtime.insert("Healthcheck".into(), json!({ "Test": test }));
        }
        if let Some(shell) = &config.shell {
            runtime.insert("Shell".into(), json!(shell));
        }
        if let Some(entrypoint) = &config.entrypoint {
            runtime.insert("Entrypoint".into(), json!(entrypoint));
        }
        if let Some(cmd) = &config.cmd {
            runtime.insert("Cmd".into(), json!(cmd));
        }
        if let Some(dir) = &config.working_dir {
            runtime.insert("WorkingDir".into(), json!(dir));
        }
        if !config.labels.is_empty() {
            let labels: Map<String, Value> = config
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            runtime.insert("Labels".into(), Value::Object(labels));
        }
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|h| {
                let mut step =
                    json!({ "created": "2024-01-01T00:00:00Z", "created_by": h.created_by });
                if h.empty_layer {
                    step["empty_layer"] = json!(true);
                }
                step
            })
            .collect();
        let mut document = json!({
            "architecture": self.architecture,
            "os": self.os,
            "config": runtime,
            "rootfs": {
                "type": "layers",
                "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>(),
            },
        });
        if let Some(variant) = &self.variant {
            document["variant"] = json!(variant);
        }
        if !history.is_empty() {
            document["history"] = json!(history);
        }
        serde_json::to_vec(&document).expect("a JSON value serializes")
    }

    /// Every file of this image in `layout`.
    pub fn files(&self, layout: Layout) -> io::Result<Files> {
        match layout {
            Layout::OciDir | Layout::OciArchive => oci_files(std::slice::from_ref(self), false),
            Layout::DockerArchive | Layout::DockerOciArchive => {
                docker_files(std::slice::from_ref(self), layout)
            }
        }
    }

    /// Writes this image at `dest` (a directory for [`Layout::OciDir`], else a tar file).
    pub fn write(&self, layout: Layout, dest: &Path) -> io::Result<()> {
        self.files(layout)?.write(layout, dest)
    }
}

/// Writes several images into one OCI layout (`Layout::OciDir` or `Layout::OciArchive`).
/// `nested`: index.json holds one descriptor of an image index listing every image with its
/// platform (a multi-platform image, the first image's reference names it); otherwise index.json
/// lists every image's manifest directly, with its platform and its reference as `ref.name`.
pub fn write_oci_images(
    images: &[ImageSpec],
    nested: bool,
    layout: Layout,
    dest: &Path,
) -> io::Result<()> {
    oci_files(images, nested)?.write(layout, dest)
}

/// Writes several images into one docker archive (`Layout::DockerArchive` or
/// `Layout::DockerOciArchive`): one manifest.json entry per image, in order.
pub fn write_docker_archive_images(
    images: &[ImageSpec],
    layout: Layout,
    dest: &Path,
) -> io::Result<()> {
    docker_files(images, layout)?.write_tar(dest)
}

struct WrittenImage {
    manifest_digest: String,
    manifest_size: u64,
    config_digest: String,
    layers: Vec<BuiltLayer>,
}

/// Adds an image's layers, config and OCI manifest to `files` as blobs.
fn add_oci_image(files: &mut Files, image: &ImageSpec) -> io::Result<WrittenImage> {
    let layers = image.built_layers()?;
    let (config_digest, config_size) = files.add_blob(image.config_json(&layers));
    let layer_descriptors: Vec<Value> = layers
        .iter()
        .map(|layer| {
            files.add_blob(layer.blob.clone());
            json!({ "mediaType": layer.media_type, "digest": layer.digest, "size": layer.blob.len() })
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size },
        "layers": layer_descriptors,
    });
    let (manifest_digest, manifest_size) =
        files.add_blob(serde_json::to_vec(&manifest).expect("serializes"));
    Ok(WrittenImage {
        manifest_digest,
        manifest_size,
        config_digest,
        layers,
    })
}

fn platform_json(image: &ImageSpec) -> Value {
    let mut platform = json!({ "architecture": image.architecture, "os": image.os });
    if let Some(variant) = &image.variant {
        platform["variant"] = json!(variant);
    }
    platform
}

fn oci_layout_marker(files: &mut Files) {
    files.files.insert(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
}

fn oci_files(images: &[ImageSpec], nested: bool) -> io::Result<Files> {
    let mut files = Files::default();
    oci_layout_marker(&mut files);
    let mut descriptors = Vec::new();
    for image in images {
        let written = add_oci_image(&mut files, image)?;
        let mut descriptor = json!({
            "mediaType": OCI_MANIFEST,
            "digest": written.manifest_digest,
            "size": written.manifest_size,
        });
        if images.len() > 1 || nested {
            descriptor["platform"] = platform_json(image);
        }
        if let (Some(reference), false) = (&image.reference, nested) {
            descriptor["annotations"] = json!({ REF_NAME: reference });
        }
        descriptors.push(descriptor);
    }
    let top = if nested {
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors });
        let (digest, size) = files.add_blob(serde_json::to_vec(&index).expect("serializes"));
        let mut descriptor = json!({ "mediaType": OCI_INDEX, "digest": digest, "size": size });
        if let Some(reference) = images.first().and_then(|i| i.reference.as_ref()) {
            descriptor["annotations"] = json!({ REF_NAME: reference });
        }
        vec![descriptor]
    } else {
        descriptors
    };
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": top });
    files.files.insert(
        "index.json".into(),
        serde_json::to_vec(&index).expect("serializes"),
    );
    Ok(files)
}

fn docker_files(images: &[ImageSpec], layout: Layout) -> io::Result<Files> {
    let mut files = Files::default();
    let mut entries = Vec::new();
    let mut index_descriptors = Vec::new();
    for image in images {
        let repo_tags: Vec<String> = image.reference.iter().cloned().collect();
        if layout == Layout::DockerOciArchive {
            let written = add_oci_image(&mut files, image)?;
            let mut descriptor = json!({
                "mediaType": OCI_MANIFEST,
                "digest": written.manifest_digest,
                "size": written.manifest_size,
            });
            if let Some(reference) = &image.reference {
                let tag = reference.rsplit_once(':').map_or("latest", |(_, t)| t);
                descriptor["annotations"] = json!({
                    "io.containerd.image.name": format!("docker.io/library/{reference}"),
                    REF_NAME: tag,
                });
            }
            index_descriptors.push(descriptor);
            let layer_sources: Map<String, Value> = written
                .layers
                .iter()
                .map(|l| {
                    let source = json!({ "mediaType": l.media_type, "size": l.blob.len(), "digest": l.digest });
                    (l.digest.clone(), source)
                })
                .collect();
            entries.push(json!({
                "Config": format!("blobs/sha256/{}", &written.config_digest[7..]),
                "RepoTags": repo_tags,
                "Layers": written.layers.iter().map(|l| format!("blobs/sha256/{}", &l.digest[7..])).collect::<Vec<_>>(),
                "LayerSources": layer_sources,
            }));
        } else {
            let layers = image.built_layers()?;
            let config = image.config_json(&layers);
            let config_name = format!("{}.json", &sha256_digest(&config)[7..]);
            files.files.insert(config_name.clone(), config);
            let mut layer_names = Vec::new();
            for layer in layers {
                let id = &layer.diff_id[7..];
                files.files.insert(format!("{id}/VERSION"), b"1.0".to_vec());
                files.files.insert(
                    format!("{id}/json"),
                    format!(r#"{{"id":"{id}"}}"#).into_bytes(),
                );
                let name = format!("{id}/layer.tar");
                files.files.insert(name.clone(), layer.blob);
                layer_names.push(name);
            }
            entries.push(
                json!({ "Config": config_name, "RepoTags": repo_tags, "Layers": layer_names }),
            );
        }
    }
    files.files.insert(
        "manifest.json".into(),
        serde_json::to_vec(&entries).expect("serializes"),
    );
    if layout == Layout::DockerOciArchive {
        oci_layout_marker(&mut files);
        let index =
            json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index_descriptors });
        files.files.insert(
            "index.json".into(),
            serde_json::to_vec(&index).expect("serializes"),
        );
    }
    Ok(files)
}

fn build_layer(layer: &LayerSpec) -> io::Result<BuiltLayer> {
    let tar = layer_tar(layer)?;
    let diff_id = sha256_digest(&tar);
    let (blob, media_type) = match layer.compression {
        Compression::None => (tar, "application/vnd.oci.image.layer.v1.tar"),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&tar)?;
            (
                encoder.finish()?,
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Compression::Zstd => (
            zstd::encode_all(&tar[..], 3)?,
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    };
    Ok(BuiltLayer {
        digest: sha256_digest(&blob),
        diff_id,
        blob,
        media_type,
    })
}

/// One PAX extended-header record: `"<len> key=value\n"`, where len counts the whole record.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body_len = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut total = body_len + 1;
    while total != body_len + total.to_string().len() {
        total = body_len + total.to_string().len();
    }
    let mut record = format!("{total} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

/// The uncompressed tar of one layer, members in the given order, mtime 0.
pub fn layer_tar(layer: &LayerSpec) -> io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in &layer.entries {
        let relative = entry.path.trim_start_matches('/');
        let (parent, base) = match relative.rsplit_once('/') {
            Some((parent, base)) => (format!("{parent}/"), base),
            None => (String::new(), relative),
        };
        let name = match &entry.kind {
            EntrySpecKind::Whiteout => format!("{parent}.wh.{base}"),
            EntrySpecKind::Opaque if relative.is_empty() => ".wh..wh..opq".to_string(),
            EntrySpecKind::Opaque => format!("{relative}/.wh..wh..opq"),
            EntrySpecKind::Directory if relative.is_empty() => "./".to_string(),
            EntrySpecKind::Directory => format!("{relative}/"),
            _ => relative.to_string(),
        };
        if !entry.xattrs.is_empty() {
            let mut records = Vec::new();
            for (key, value) in &entry.xattrs {
                records.extend(pax_record(&format!("SCHILY.xattr.{key}"), value));
            }
            let mut pax = tar::Header::new_ustar();
            pax.set_entry_type(tar::EntryType::XHeader);
            pax.set_size(records.len() as u64);
            pax.set_mode(0o644);
            builder.append_data(&mut pax, "PaxHeaders/entry", &records[..])?;
        }
        let mut header = tar::Header::new_gnu();
        header.set_mode(entry.mode);
        header.set_uid(entry.uid);
        header.set_gid(entry.gid);
        header.set_mtime(0);
        header.set_size(0);
        match &entry.kind {
            EntrySpecKind::File(content) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(content.len() as u64);
                builder.append_data(&mut header, &name, &content[..])?;
            }
            EntrySpecKind::Whiteout | EntrySpecKind::Opaque => {
                header.set_entry_type(tar::EntryType::Regular);
                builder.append_data(&mut header, &name, io::empty())?;
            }
            EntrySpecKind::Directory => {
                header.set_entry_type(tar::EntryType::Directory);
                builder.append_data(&mut header, &name, io::empty())?;
            }
            EntrySpecKind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, &name, target)?;
            }
            EntrySpecKind::Hardlink(target) => {
                header.set_entry_type(tar::EntryType::Link);
                builder.append_link(&mut header, &name, target.trim_start_matches('/'))?;
            }
            EntrySpecKind::CharDevice(major, minor) | EntrySpecKind::BlockDevice(major, minor) => {
                let kind = if matches!(entry.kind, EntrySpecKind::CharDevice(..)) {
                    tar::EntryType::Char
                } else {
                    tar::EntryType::Block
                };
                header.set_entry_type(kind);
                header.set_device_major(*major)?;
                header.set_device_minor(*minor)?;
                builder.append_data(&mut header, &name, io::empty())?;
            }
            EntrySpecKind::Fifo => {
                header.set_entry_type(tar::EntryType::Fifo);
                builder.append_data(&mut header, &name, io::empty())?;
            }
        }
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let record = pax_record("SCHILY.xattr.user.a", b"x");
        let text = String::from_utf8(record.clone()).unwrap();
        let (length, _) = text.split_once(' ').unwrap();
        assert_eq!(length.parse::<usize>().unwrap(), record.len());
        // crossing a power of ten: 98 + 2 digits = 100 → 3 digits
        let long = pax_record("k", &[b'v'; 94]);
        let text = String::from_utf8(long.clone()).unwrap();
        assert_eq!(
            text.split_once(' ').unwrap().0.parse::<usize>().unwrap(),
            long.len()
        );
    }
}
