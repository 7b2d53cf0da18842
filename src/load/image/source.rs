//! Image specs and sources: parses `docker-archive:PATH[:ref]`, `oci:DIR[:ref]`,
//! `oci-archive:PATH[:ref]`, `docker://` (not yet), `-` and bare paths; detects a bare path's
//! format by content; undoes whole-archive compression; opens the [`BlobStore`] and its [`Root`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::error::ImageError;
use super::spool::Spool;
use super::store::{ArchiveStore, BlobStore, DirStore, Root};
use crate::limits::Limits;

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
pub fn open(input: &str, spec: &Spec, limits: &Limits) -> Result<Source, ImageError> {
    if spec.transport == Transport::Registry {
        return Err(ImageError::UnsupportedTransport {
            input: input.to_string(),
            transport: "docker:// (registry)".to_string(),
        });
    }
    if spec.path == "-" && spec.transport != Transport::Oci {
        let mut stdin = io::stdin().lock();
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut stdin)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| ImageError::io(input, e))?;
        // Refused before a byte is spooled: `yes | harden scan -` ends here, not on a full disk.
        if let Err(reason) = looks_like_an_archive(&head) {
            return Err(not_an_image(input, reason));
        }
        let mut spool = Spool::new(input)?;
        spool
            .fill(
                &mut io::Cursor::new(head).chain(stdin),
                limits,
                "stdin-bytes",
                "the image read from standard input",
            )
            .map_err(|error| spool_error(input, error))?;
        let path = spool.path().to_path_buf();
        return open_file(input, spec, &path, Some(spool), limits);
    }
    let path = Path::new(&spec.path);
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ImageError::NotFound {
            input: input.to_string(),
        },
        _ => ImageError::io(input, e),
    })?;
    if metadata.is_dir() {
        open_dir(input, spec, path, limits)
    } else {
        if spec.transport == Transport::Oci {
            return Err(ImageError::invalid(
                input,
                "oci: names an OCI layout directory; use oci-archive: for a tar",
            ));
        }
        open_file(input, spec, path, None, limits)
    }
}

/// How much of standard input is looked at before anything is spooled.
const HEAD_BYTES: usize = 64 * 1024;

/// Whether the first bytes of a stream can begin an image archive: a tar header (a valid
/// checksum), or gzip or zstd whose first inflated block is one. `head` is the stream's first
/// [`HEAD_BYTES`] (fewer only when that is all there is).
pub fn looks_like_an_archive(head: &[u8]) -> Result<(), String> {
    if head.is_empty() {
        return Err("the input is empty".to_string());
    }
    let mut inflated = Vec::with_capacity(512);
    let (tar_head, compressed) = match sniff(head) {
        Magic::Gzip => {
            let _ = flate2::read::MultiGzDecoder::new(head)
                .take(512)
                .read_to_end(&mut inflated);
            (&inflated[..], Some("gzip"))
        }
        Magic::Zstd => {
            if let Ok(decoder) = zstd::stream::read::Decoder::new(head) {
                let _ = decoder.take(512).read_to_end(&mut inflated);
            }
            (&inflated[..], Some("zstd"))
        }
        Magic::Xz | Magic::Bzip2 => {
            return Err(
                "xz and bzip2 compressed archives are not supported; decompress it first (or use gzip or zstd)"
                    .to_string(),
            );
        }
        Magic::Other => (head, None),
    };
    if is_tar_header(tar_head) {
        return Ok(());
    }
    Err(match compressed {
        Some(format) => format!("{format} data whose content does not begin with a tar header"),
        None => "the first bytes are not a tar header (nor gzip or zstd of one)".to_string(),
    })
}

/// A 512-byte ustar/GNU/v7 header with a correct checksum (POSIX ustar "chksum").
fn is_tar_header(block: &[u8]) -> bool {
    let Some(block) = block.get(..512) else {
        return false;
    };
    if block.iter().all(|b| *b == 0) {
        return false;
    }
    let sum = block[..148]
        .iter()
        .chain(&block[156..])
        .fold(0u32, |a, b| a + u32::from(*b))
        + 8 * 32;
    tar::Header::from_byte_slice(block).cksum().ok() == Some(sum)
}

fn spool_error(input: &str, error: Result<crate::limits::LimitExceeded, io::Error>) -> ImageError {
    match error {
        Ok(limit) => ImageError::Limit {
            input: input.to_string(),
            error: limit,
        },
        Err(io) => ImageError::io(input, io),
    }
}

fn open_dir(input: &str, spec: &Spec, path: &Path, limits: &Limits) -> Result<Source, ImageError> {
    let store = DirStore::new(input, path);
    let index = store.read_top("index.json", limits.metadata_bytes)?;
    let manifest = store.read_top("manifest.json", limits.metadata_bytes)?;
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
    spool: Option<Spool>,
    limits: &Limits,
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
        crate::load::sniff::InputKind::Dockerfile
            | crate::load::sniff::InputKind::TaskDefinition
            | crate::load::sniff::InputKind::VulnerabilityReport
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
            let mut tar = Spool::new(input)?;
            // The inflated archive holds the (compressed) layers and documents: bounded as an
            // image is.
            tar.fill(
                &mut stream,
                limits,
                "image-bytes",
                "the decompressed archive",
            )
            .map_err(|error| match error {
                Err(e) => ImageError::Truncated {
                    input: input.to_string(),
                    blob: "the compressed archive".to_string(),
                    detail: e.to_string(),
                },
                limit => spool_error(input, limit),
            })?;
            (tar.path().to_path_buf(), Some(tar))
        }
        None => (path.to_path_buf(), spool),
    };
    let store = ArchiveStore::open(input, &path, spool, limits)?;
    let manifest = store.read_top("manifest.json", limits.metadata_bytes)?;
    let index = store.read_top("index.json", limits.metadata_bytes)?;
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
