//! Test kit: describes small container images (in code or in the `.image` text form of
//! `fixtures/image/`) and writes them as real images in every layout harden reads (OCI layout
//! directory, OCI archive, docker-archive classic, Docker 25+ OCI-in-tar), with real layer tars
//! made by the `tar` crate. Used by tests, the fixture test and the demo/benchmark generators; it is
//! not part of harden's scanning path.
//!
//! ```
//! use harden::testkit::{ImageSpec, LayerSpec, Layout};
//! let image = ImageSpec::new()
//!     .user("app")
//!     .env("PATH=/usr/bin")
//!     .layer(LayerSpec::gzip().dir("/etc", 0o755).file("/etc/passwd", 0o644, "root:x:0:0::/root:/bin/sh\n"))
//!     .layer(LayerSpec::zstd().whiteout("/etc/passwd"));
//! let dir = tempfile::tempdir().unwrap();
//! image.write(Layout::OciDir, &dir.path().join("oci")).unwrap();
//! ```

mod text;
mod write;

pub use text::{ParseError, parse_image};
pub use write::{
    BuiltLayer, Files, Layout, layer_tar, sha256_digest, write_docker_archive_images,
    write_oci_images,
};

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// A plain tar (`application/vnd.oci.image.layer.v1.tar`).
    None,
    #[default]
    Gzip,
    Zstd,
}

/// What one tar member of a layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySpecKind {
    File(Vec<u8>),
    Directory,
    Symlink(String),
    /// A hard link to another path (absolute, as written in the tar without the leading `/`).
    Hardlink(String),
    /// Writes `.wh.NAME` beside the path: removes the path from lower layers.
    Whiteout,
    /// Writes `DIR/.wh..wh..opq`: hides lower layers' children of the directory.
    Opaque,
    CharDevice(u32, u32),
    BlockDevice(u32, u32),
    Fifo,
}

/// One tar member of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySpec {
    /// Absolute path inside the image (`/etc/passwd`); written to the tar without the `/`.
    pub path: String,
    pub kind: EntrySpecKind,
    /// Permission bits including setuid/setgid/sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Extended attributes, written as PAX `SCHILY.xattr.NAME` records.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// One layer: its members in tar order, and how its blob is compressed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerSpec {
    pub compression: Compression,
    pub entries: Vec<EntrySpec>,
}

impl LayerSpec {
    pub fn new(compression: Compression) -> LayerSpec {
        LayerSpec {
            compression,
            entries: Vec::new(),
        }
    }

    pub fn gzip() -> LayerSpec {
        LayerSpec::new(Compression::Gzip)
    }

    pub fn zstd() -> LayerSpec {
        LayerSpec::new(Compression::Zstd)
    }

    pub fn plain() -> LayerSpec {
        LayerSpec::new(Compression::None)
    }

    /// Adds any member (root-owned unless changed with [`LayerSpec::owner`]).
    pub fn entry(mut self, path: &str, kind: EntrySpecKind, mode: u32) -> LayerSpec {
        self.entries.push(EntrySpec {
            path: path.to_string(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            xattrs: Vec::new(),
        });
        self
    }

    pub fn file(self, path: &str, mode: u32, content: impl AsRef<[u8]>) -> LayerSpec {
        self.entry(path, EntrySpecKind::File(content.as_ref().to_vec()), mode)
    }

    pub fn dir(self, path: &str, mode: u32) -> LayerSpec {
        self.entry(path, EntrySpecKind::Directory, mode)
    }

    pub fn symlink(self, path: &str, target: &str) -> LayerSpec {
        self.entry(path, EntrySpecKind::Symlink(target.to_string()), 0o777)
    }

    pub fn hardlink(self, path: &str, target: &str) -> LayerSpec {
        self.entry(path, EntrySpecKind::Hardlink(target.to_string()), 0o644)
    }

    pub fn whiteout(self, path: &str) -> LayerSpec {
        self.entry(path, EntrySpecKind::Whiteout, 0o644)
    }

    pub fn opaque(self, dir: &str) -> LayerSpec {
        self.entry(dir, EntrySpecKind::Opaque, 0o644)
    }

    /// Sets the owner of the last member added.
    pub fn owner(mut self, uid: u64, gid: u64) -> LayerSpec {
        if let Some(last) = self.entries.last_mut() {
            last.uid = uid;
            last.gid = gid;
        }
        self
    }

    /// Adds an extended attribute to the last member added.
    pub fn xattr(mut self, name: &str, value: impl AsRef<[u8]>) -> LayerSpec {
        if let Some(last) = self.entries.last_mut() {
            last.xattrs
                .push((name.to_string(), value.as_ref().to_vec()));
        }
        self
    }
}

/// The image config fields the kit can set (OCI image spec config.md, plus Docker's Healthcheck).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigSpec {
    pub user: Option<String>,
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    /// `Healthcheck.Test`: `["CMD", "/app", "--health"]`, or `["NONE"]`.
    pub healthcheck: Option<Vec<String>>,
    /// Docker's `Shell`: `["/bin/bash", "-c"]`.
    pub shell: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub labels: Vec<(String, String)>,
}

/// One history step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistorySpec {
    pub created_by: String,
    pub empty_layer: bool,
}

/// A whole image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    pub config: ConfigSpec,
    pub history: Vec<HistorySpec>,
    pub layers: Vec<LayerSpec>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// The name it is tagged with (`app:1.0`): `RepoTags` in docker archives,
    /// `org.opencontainers.image.ref.name` in OCI ones.
    pub reference: Option<String>,
}

impl Default for ImageSpec {
    fn default() -> ImageSpec {
        ImageSpec {
            config: ConfigSpec::default(),
            history: Vec::new(),
            layers: Vec::new(),
            os: "linux".to_string(),
            architecture: "amd64".to_string(),
            variant: None,
            reference: None,
        }
    }
}

impl ImageSpec {
    pub fn new() -> ImageSpec {
        ImageSpec::default()
    }

    pub fn user(mut self, user: &str) -> ImageSpec {
        self.config.user = Some(user.to_string());
        self
    }

    pub fn env(mut self, entry: &str) -> ImageSpec {
        self.config.env.push(entry.to_string());
        self
    }

    pub fn expose(mut self, port: &str) -> ImageSpec {
        self.config.exposed_ports.push(port.to_string());
        self
    }

    pub fn healthcheck(mut self, test: &[&str]) -> ImageSpec {
        self.config.healthcheck = Some(test.iter().map(|s| s.to_string()).collect());
        self
    }

    pub fn history(mut self, created_by: &str, empty_layer: bool) -> ImageSpec {
        self.history.push(HistorySpec {
            created_by: created_by.to_string(),
            empty_layer,
        });
        self
    }

    pub fn layer(mut self, layer: LayerSpec) -> ImageSpec {
        self.layers.push(layer);
        self
    }

    /// `linux/arm64`, `linux/arm/v7`.
    pub fn platform(mut self, platform: &str) -> ImageSpec {
        let mut parts = platform.split('/');
        self.os = parts.next().unwrap_or("linux").to_string();
        self.architecture = parts.next().unwrap_or("amd64").to_string();
        self.variant = parts.next().map(str::to_string);
        self
    }

    pub fn reference(mut self, reference: &str) -> ImageSpec {
        self.reference = Some(reference.to_string());
        self
    }

    /// `os/arch[/variant]`.
    pub fn platform_string(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{}/{}/{variant}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}
