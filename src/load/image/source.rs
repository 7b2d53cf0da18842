//! Image specs and sources: parses `docker-archive:PATH[:ref]`, `oci:DIR[:ref]`,
//! `oci-archive:PATH[:ref]`, `docker://` (not yet), `-` and bare paths; detects a bare path's
//! format by content; undoes whole-archive compression; opens the [`BlobStore`] and its [`Root`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use super::error::ImageError;
use super::store::{ArchiveStore, BlobStore, DirStore, Root};

/// How the user named the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A bare path or `-`: the format is detected from the content.
    Detect,
    DockerArchive,
    Oci,
    OciArchive,
    /// `docker://` (a registry; issue 6).
    Registry,
}

/// Which image of a source holding several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `:name:tag` (RepoTags) or `:tag` (OCI `org.opencontainers.image.ref.name`).
    Name(String),
    /// `:@N`, 0-based, in manifest.json or index.json order.
    Index(usize),
}

/// A parsed image spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub transport: Transport,
    pub path: String,
    pub selector: Option<Selector>,
}

/// Splits an image spec. As in skopeo, the path ends at the first `:` after the transport, and
/// what follows picks an image (`docker-archive:app.tar:app:1.0`, `oci:dir:latest`, `:@1`).
pub fn parse_spec(spec: &str) -> Result<Spec, ImageError> {
    if let Some(reference) = spec.strip_prefix("docker://") {
        return Ok(Spec {
            transport: Transport::Registry,
            path: reference.to_string(),
            selector: None,
        });
    }
    let transports = [
        ("docker-archive:", Transport::DockerArchive),
        ("oci-archive:", Transport::OciArchive),
        ("oci:", Transport::Oci),
    ];
    for (prefix, transport) in transports {
        if let Some(rest) = spec.strip_prefix(prefix) {
            let (path, selector) = match rest.split_once(':') {
                Some((path, reference)) => (path, Some(parse_selector(spec, reference)?)),
                None => (rest, None),
            };
            if path.is_empty() {
                return Err(ImageError::invalid(spec, "no path after the transport"));
            }
            return Ok(Spec {
                transport,
                path: path.to_string(),
                selector,
            });
        }
    }
    Ok(Spec {
        transport: Transport::Detect,
        path: spec.to_string(),
        selector: None,
    })
}

fn parse_selector(spec: &str, reference: &str) -> Result<Selector, ImageError> {
    if let Some(index) = reference.strip_prefix('@') {
        return index.parse().map(Selector::Index).map_err(|_| {
            ImageError::invalid(
                spec,
                format!("{reference:?}: `@` must be followed by an image index"),
            )
        });
    }
    if reference.is_empty() {
        return Err(ImageError::invalid(spec, "empty image reference after `:`"));
    }
    Ok(Selector::Name(reference.to_string()))
}

/// An opened source: where blobs come from, and the document it starts from.
pub struct Source {
    pub store: Box<dyn BlobStore>,
    pub root: Root,
}

/// Opens the source a spec names. `-` reads standard input: it is spooled to a temporary file
/// first, because tar members are not seekable in a pipe and manifest.json may come last.
pub fn open(input: &str, spec: &Spec) -> Result<Source, ImageError> {
    if spec.transport == Transport::Registry {
        return Err(ImageError::UnsupportedTransport {
            input: input.to_string(),
            transport: "docker:// (registry)".to_string(),
        });
    }
    if spec.path == "-" && spec.transport != Transport::Oci {
        let mut spool = tempfile::NamedTempFile::new().map_err(|e| ImageError::io(input, e))?;
        io::copy(&mut io::stdin().lock(), spool.as_file_mut())
            .map_err(|e| ImageError::io(input, e))?;
        return open_file(
            input,
            spec,
            spool.path().to_path_buf().as_path(),
            Some(spool),
        );
    }
    let path = Path::new(&spec.path);
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ImageError::NotFound {
            input: input.to_string(),
        },
        _ => ImageError::io(input, e),
    })?;
    if metadata.is_dir() {
        open_dir(input, spec, path)
    } else {
        if spec.transport == Transport::Oci {
            return Err(ImageError::invalid(
                input,
                "oci: names an OCI layout directory; use oci-archive: for a tar",
            ));
        }
        open_file(input, spec, path, None)
    }
}

fn open_dir(input: &str, spec: &Spec, path: &Path) -> Result<Source, ImageError> {
    let store = DirStore::new(input, path);
    let index = store.read_top("index.json")?;
    let manifest = store.read_top("manifest.json")?;
    let root = match (spec.transport, index, manifest) {
        (Transport::DockerArchive, _, Some(manifest)) => Root::DockerManifest(manifest),
        (Transport::DockerArchive, _, None) => {
            return Err(not_an_image(
                input,
                "no manifest.json: not a docker archive",
            ));
        }
        (_, Some(index), _) => Root::OciIndex(index),
        (Transport::Detect, None, Some(manifest)) => Root::DockerManifest(manifest),
        _ => {
            return Err(not_an_image(
                input,
                "the directory has no index.json (OCI layout) nor manifest.json (docker save)",
            ));
        }
    };
    Ok(Source {
        store: Box::new(store),
        root,
    })
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Other,
}

fn sniff(bytes: &[u8]) -> Magic {
    match bytes {
        [0x1f, 0x8b, ..] => Magic::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Magic::Zstd,
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Magic::Xz,
        [b'B', b'Z', b'h', ..] => Magic::Bzip2,
        _ => Magic::Other,
    }
}

fn open_file(
    input: &str,
    spec: &Spec,
    path: &Path,
    spool: Option<tempfile::NamedTempFile>,
) -> Result<Source, ImageError> {
    let file = File::open(path).map_err(|e| ImageError::io(input, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(|e| ImageError::io(input, e))?;
    if head.is_empty() {
        return Err(not_an_image(input, "the file is empty"));
    }
    // Given to the wrong flag: say what it is and where it goes, not a tar error quoting it.
    let kind = crate::load::sniff::classify(head);
    if matches!(
        kind,
        crate::load::sniff::InputKind::Dockerfile | crate::load::sniff::InputKind::TaskDefinition
    ) {
        return Err(not_an_image(
            input,
            format!("it is {}; pass it {}", kind.describe(), kind.how_to_pass()),
        ));
    }
    // `docker load` takes a whole archive compressed with gzip (or zstd); so do we. The tar
    // inside is spooled to a temporary file so its members can be read in place and in parallel.
    let decompressed: Option<Box<dyn Read>> = match sniff(head) {
        Magic::Gzip => Some(Box::new(flate2::bufread::MultiGzDecoder::new(reader))),
        Magic::Zstd => Some(Box::new(
            zstd::stream::read::Decoder::with_buffer(reader)
                .map_err(|e| ImageError::io(input, e))?,
        )),
        Magic::Xz | Magic::Bzip2 => {
            return Err(ImageError::invalid(
                input,
                "xz and bzip2 compressed archives are not supported; decompress it first (or use gzip or zstd)",
            ));
        }
        Magic::Other => None,
    };
    let (path, spool) = match decompressed {
        Some(mut stream) => {
            let mut tar = tempfile::NamedTempFile::new().map_err(|e| ImageError::io(input, e))?;
            io::copy(&mut stream, tar.as_file_mut()).map_err(|e| ImageError::Truncated {
                input: input.to_string(),
                blob: "the compressed archive".to_string(),
                detail: e.to_string(),
            })?;
            tar.as_file_mut()
                .flush()
                .map_err(|e| ImageError::io(input, e))?;
            (tar.path().to_path_buf(), Some(tar))
        }
        None => (path.to_path_buf(), spool),
    };
    let store = ArchiveStore::open(input, &path, spool)?;
    let manifest = store.read_top("manifest.json")?;
    let index = store.read_top("index.json")?;
    let root = match (spec.transport, manifest, index) {
        (Transport::OciArchive, _, Some(index)) => Root::OciIndex(index),
        (Transport::OciArchive, _, None) => {
            return Err(not_an_image(input, "no index.json: not an OCI archive"));
        }
        (_, Some(manifest), _) => Root::DockerManifest(manifest),
        (Transport::DockerArchive, None, _) => {
            return Err(not_an_image(
                input,
                "no manifest.json: not a docker archive (for an OCI archive use oci-archive:)",
            ));
        }
        (_, None, Some(index)) => Root::OciIndex(index),
        (_, None, None) => {
            let mut listed: Vec<&str> = store.names.iter().map(String::as_str).take(5).collect();
            if store.names.len() > 5 {
                listed.push("...");
            }
            return Err(not_an_image(
                input,
                format!(
                    "the archive has neither manifest.json (docker save) nor index.json (OCI layout); it holds: {}",
                    if listed.is_empty() {
                        "nothing".to_string()
                    } else {
                        listed.join(", ")
                    }
                ),
            ));
        }
    };
    Ok(Source {
        store: Box::new(store),
        root,
    })
}

fn not_an_image(input: &str, reason: impl Into<String>) -> ImageError {
    ImageError::NotAnImage {
        input: input.to_string(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_transports_paths_and_selectors() {
        let spec = parse_spec("docker-archive:app.tar:app:1.0").unwrap();
        assert_eq!(spec.transport, Transport::DockerArchive);
        assert_eq!(spec.path, "app.tar");
        assert_eq!(spec.selector, Some(Selector::Name("app:1.0".into())));
        let spec = parse_spec("oci-archive:x.tar:@2").unwrap();
        assert_eq!(spec.selector, Some(Selector::Index(2)));
        assert_eq!(parse_spec("oci:dir").unwrap().selector, None);
        assert_eq!(parse_spec("./a.tar").unwrap().transport, Transport::Detect);
        assert_eq!(
            parse_spec("docker://nginx").unwrap().transport,
            Transport::Registry
        );
        assert!(parse_spec("oci:dir:@x").is_err());
        assert!(parse_spec("oci:").is_err());
    }
}
