//! The image loader against images built by the test kit: every layout and compression, layer
//! application (whiteouts, opaque directories, hardlinks, symlinked parents, replacements),
//! content requests, platform and image selection, and the real images in ../shared/images.

mod common;

use std::path::{Path, PathBuf};

use harden::load::image::{ImageOptions, load};
use harden::model::image::{ContentRequest, EntryKind, Image, LayerChange};
use harden::testkit::{
    Compression, ImageSpec, LayerSpec, Layout, parse_image, write_docker_archive_images,
    write_oci_images,
};

fn options() -> ImageOptions {
    ImageOptions {
        wants: vec![
            ContentRequest::Path("/etc/passwd"),
            ContentRequest::FileName {
                name: ".npmrc",
                max_size: 64,
            },
            ContentRequest::PathSuffix {
                suffix: "/.aws/credentials",
                max_size: 1024,
            },
            ContentRequest::ContentPrefix {
                prefix: b"-----BEGIN",
                max_size: 4096,
            },
        ],
        ..ImageOptions::default()
    }
}

/// Writes `image` in `layout` under `dir` and returns the spec harden should be given.
fn write(image: &ImageSpec, layout: Layout, dir: &Path) -> String {
    let path = dir.join(format!("{layout:?}"));
    image.write(layout, &path).unwrap();
    format!("{}:{}", layout.transport(), path.display())
}

fn load_ok(spec: &str) -> Image {
    load(spec, &options()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn load_err(spec: &str) -> String {
    match load(spec, &options()) {
        Ok(_) => panic!("{spec}: loaded, expected an error"),
        Err(e) => e.to_string(),
    }
}

fn kind(image: &Image, path: &str) -> Option<EntryKind> {
    image.filesystem.get(path).map(|e| e.kind.clone())
}

/// The layered image most tests read: every kind of change across three layers.
fn layered() -> ImageSpec {
    parse_image(
        r#"
config user=app
config env=PATH=/usr/bin
history created_by=ADD rootfs /
history created_by=ENV A=b empty_layer
history created_by=RUN cleanup
history created_by=RUN more
tag app:1.0
layer gzip
dir /etc
file /etc/passwd content="root:x:0:0:root:/root:/bin/sh\n"
file /etc/shadow mode=0640 content="root:*:1::::::\n"
dir /usr
dir /usr/bin
file /usr/bin/busybox mode=4755 content="ELF"
xattr /usr/bin/busybox security.capability=hex:0100000200100000000000000000000000000000
symlink /bin -> usr/bin
symlink /usr/bin/sh -> busybox
symlink /usr/bin/ash -> /bin/sh
dir /var
dir /var/cache
file /var/cache/a content="a"
file /var/cache/b content="b"
dir /secret
file /secret/id_rsa mode=0600 content="-----BEGIN OPENSSH PRIVATE KEY-----\nxxx\n"
dir /tmp mode=1777
dir /opt
file /opt/thing content="was a file"
layer zstd
hardlink /usr/bin/su => /usr/bin/busybox
file /bin/added content="through the symlinked parent"
whiteout /secret
opaque /var/cache
file /var/cache/c content="c"
dir /opt/thing
file /opt/thing/inside content="now a directory"
dir /home
dir /home/app uid=1000 gid=1000
file /home/app/.npmrc uid=1000 gid=1000 content="//registry/:_authToken=abc"
layer plain
file /home/app/.npmrc content="replaced"
whiteout /home/app/.npmrc
file /etc/shadow mode=0600 content="root:!:1::::::\n"
"#,
    )
    .unwrap()
}

#[test]
fn every_layout_loads_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let image = layered();
    let mut trees = Vec::new();
    let mut digests = Vec::new();
    for layout in Layout::ALL {
        let loaded = load_ok(&write(&image, layout, dir.path()));
        assert_eq!(loaded.layers.len(), 3, "{layout:?}");
        assert_eq!(loaded.config.user.as_deref(), Some("app"));
        assert_eq!(loaded.platform.to_string(), "linux/amd64");
        digests.push((layout, loaded.manifest_digest.clone()));
        trees.push((layout, loaded.filesystem));
    }
    for (layout, tree) in &trees[1..] {
        assert_eq!(tree, &trees[0].1, "{layout:?} differs from the OCI layout");
    }
    // The manifest digest (what a task definition pins) is known wherever a manifest exists:
    // OCI layouts and Docker 25+ archives (from their index.json); the classic docker-archive
    // layout has no manifest, so it is unknown there.
    let oci = digests[0].1.clone();
    assert!(
        oci.as_deref().is_some_and(|d| d.starts_with("sha256:")),
        "{digests:?}"
    );
    for (layout, digest) in &digests {
        let expected = if *layout == Layout::DockerArchive {
            None
        } else {
            oci.clone()
        };
        assert_eq!(digest, &expected, "{layout:?}");
    }
}

#[test]
fn layers_apply_per_the_oci_layer_spec() {
    let dir = tempfile::tempdir().unwrap();
    let image = load_ok(&write(&layered(), Layout::OciDir, dir.path()));
    let fs = &image.filesystem;
    // Whiteout of a directory removes its subtree.
    assert!(fs.get("/secret").is_none());
    assert!(fs.get("/secret/id_rsa").is_none());
    // Opaque directory: lower children hidden, this layer's kept.
    assert!(fs.get("/var/cache/a").is_none() && fs.get("/var/cache/b").is_none());
    assert!(fs.get("/var/cache/c").is_some());
    // A file written through a symlinked parent lands where the symlink points.
    assert!(fs.get("/bin/added").is_none());
    assert_eq!(fs.get("/usr/bin/added").unwrap().layer, 1);
    // A file replaced by a directory.
    assert_eq!(kind(&image, "/opt/thing"), Some(EntryKind::Directory));
    assert!(fs.get("/opt/thing/inside").is_some());
    // A whiteout only hides lower layers' files, never its own layer's (layer.md "Whiteouts").
    assert_eq!(fs.get("/home/app/.npmrc").unwrap().layer, 2);
    // Hardlink into a lower layer: same inode, so the target's mode and xattrs.
    let su = fs.get("/usr/bin/su").unwrap();
    assert_eq!(su.hardlink_to.as_deref(), Some("/usr/bin/busybox"));
    assert_eq!(su.mode, 0o4755);
    assert!(su.xattrs.contains_key("security.capability"));
    // Modes, owners, symlink chains.
    assert_eq!(fs.get("/tmp").unwrap().mode, 0o1777);
    assert_eq!(fs.get("/home/app").unwrap().uid, 1000);
    assert_eq!(fs.get("/etc/shadow").unwrap().mode, 0o600);
    assert_eq!(
        fs.resolve("/usr/bin/ash").as_deref(),
        Some("/usr/bin/busybox")
    );
    assert_eq!(
        fs.get("/usr/bin/busybox").unwrap().xattrs["security.capability"][..4],
        [1, 0, 0, 2]
    );
}

#[test]
fn per_layer_changes_keep_what_later_layers_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let image = load_ok(&write(&layered(), Layout::DockerArchive, dir.path()));
    let key = image.layers[0]
        .changes
        .iter()
        .find_map(|c| match c {
            LayerChange::Added { path, entry } if path == "/secret/id_rsa" => Some(entry),
            _ => None,
        })
        .expect("layer 0 still records the private key");
    assert!(key.content.as_deref().unwrap().starts_with(b"-----BEGIN"));
    let second = &image.layers[1].changes;
    assert!(second.contains(&LayerChange::Removed {
        path: "/secret".into()
    }));
    assert!(second.contains(&LayerChange::Opaque {
        path: "/var/cache".into()
    }));
    assert!(
        second
            .iter()
            .any(|c| matches!(c, LayerChange::Added { path, .. } if path == "/usr/bin/added"))
    );
    assert_eq!(image.layers[0].created_by.as_deref(), Some("ADD rootfs /"));
    assert_eq!(image.layers[1].created_by.as_deref(), Some("RUN cleanup"));
    let compressions: Vec<&str> = image
        .layers
        .iter()
        .map(|l| l.compression.as_str())
        .collect();
    assert_eq!(compressions, ["gzip", "zstd", "none"]);
    assert_eq!(image.reference.as_deref(), Some("app:1.0"));
}

#[test]
fn keeps_contents_only_of_requested_files() {
    let dir = tempfile::tempdir().unwrap();
    let image = load_ok(&write(&layered(), Layout::OciArchive, dir.path()));
    assert_eq!(
        image.filesystem.content("/etc/passwd"),
        Some(&b"root:x:0:0:root:/root:/bin/sh\n"[..])
    );
    assert_eq!(image.filesystem.content("/etc/shadow"), None);
    assert_eq!(
        image.filesystem.get("/usr/bin/busybox").unwrap().content,
        None
    );
    let npmrc = image.layers[1]
        .changes
        .iter()
        .find_map(|c| match c {
            LayerChange::Added { path, entry } if path == "/home/app/.npmrc" => Some(entry),
            _ => None,
        })
        .unwrap();
    assert!(npmrc.content.is_some(), ".npmrc (FileName) is kept");
}

#[test]
fn content_prefix_respects_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let big_key = format!("-----BEGIN RSA PRIVATE KEY-----\n{}", "A".repeat(5000));
    let spec = ImageSpec::new().layer(
        LayerSpec::plain()
            .file("/small.pem", 0o600, "-----BEGIN CERTIFICATE-----\n")
            .file("/big.pem", 0o600, big_key)
            .file("/other", 0o600, "-----END"),
    );
    let image = load_ok(&write(&spec, Layout::OciDir, dir.path()));
    assert!(image.filesystem.content("/small.pem").is_some());
    assert!(image.filesystem.content("/big.pem").is_none());
    assert!(image.filesystem.content("/other").is_none());
}

fn platform_image(platform: &str) -> ImageSpec {
    ImageSpec::new()
        .platform(platform)
        .reference("multi:1")
        .layer(LayerSpec::gzip().file("/arch", 0o644, platform))
}

#[test]
fn multi_platform_indexes_pick_a_platform() {
    let dir = tempfile::tempdir().unwrap();
    let images = [
        platform_image("linux/arm64/v8"),
        platform_image("linux/amd64"),
        platform_image("linux/arm/v7"),
    ];
    for (nested, layout) in [(true, Layout::OciDir), (false, Layout::OciArchive)] {
        let path = dir.path().join(format!("multi-{nested}"));
        write_oci_images(&images, nested, layout, &path).unwrap();
        let spec = format!("{}:{}", layout.transport(), path.display());
        let default = load_ok(&spec);
        assert_eq!(default.platform.to_string(), "linux/amd64");
        // A nested index is on the way to the manifest: its digest (what a multi-platform tag
        // resolves to) is kept, so a task definition pinned to it pairs with this image.
        assert_eq!(default.index_digests.len(), usize::from(nested), "{nested}");
        assert_eq!(default.filesystem.get("/arch").unwrap().size, 11);
        let arm = load(
            &spec,
            &ImageOptions {
                platform: Some("linux/arm64".into()),
                ..options()
            },
        )
        .unwrap();
        assert_eq!(arm.platform.to_string(), "linux/arm64/v8");
        assert!(arm.manifest_digest.is_some());
        let error = load(
            &spec,
            &ImageOptions {
                platform: Some("linux/s390x".into()),
                ..options()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("no image for platform linux/s390x")
                && error.contains("linux/arm64/v8, linux/amd64, linux/arm/v7"),
            "{error}"
        );
    }
}

#[test]
fn the_only_platform_is_the_default_and_a_mismatch_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        &platform_image("linux/arm64"),
        Layout::DockerArchive,
        dir.path(),
    );
    assert_eq!(load_ok(&spec).platform.to_string(), "linux/arm64");
    let error = load(
        &spec,
        &ImageOptions {
            platform: Some("linux/amd64".into()),
            ..options()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("available: linux/arm64"), "{error}");
}

fn named(reference: &str) -> ImageSpec {
    ImageSpec::new()
        .reference(reference)
        .layer(LayerSpec::gzip().file("/name", 0o644, reference))
}

#[test]
fn several_images_need_a_reference_or_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let images = [named("one:1"), named("two:2")];
    let docker = dir.path().join("docker.tar");
    write_docker_archive_images(&images, Layout::DockerArchive, &docker).unwrap();
    let docker25 = dir.path().join("docker25.tar");
    write_docker_archive_images(&images, Layout::DockerOciArchive, &docker25).unwrap();
    let oci = dir.path().join("oci");
    write_oci_images(&images, false, Layout::OciDir, &oci).unwrap();
    for (transport, path) in [
        ("docker-archive", &docker),
        ("docker-archive", &docker25),
        ("oci", &oci),
    ] {
        let base = format!("{transport}:{}", path.display());
        let error = load_err(&base);
        assert!(
            error.contains("several images") && error.contains("@0") && error.contains("@1"),
            "{error}"
        );
        let two = load_ok(&format!("{base}:two:2"));
        assert_eq!(two.filesystem.get("/name").unwrap().size, 5);
        assert_eq!(
            load_ok(&format!("{base}:@0"))
                .filesystem
                .get("/name")
                .unwrap()
                .size,
            5
        );
        assert_eq!(
            two.reference.as_deref().map(|r| r.ends_with('2')),
            Some(true)
        );
        let error = load_err(&format!("{base}:three:3"));
        assert!(error.contains("no image named \"three:3\""), "{error}");
        assert!(load_err(&format!("{base}:@7")).contains("\"@7\""));
    }
    // A bare path is detected by content; the docker manifest.json wins in a Docker 25+ archive.
    assert!(load_err(&docker25.display().to_string()).contains("several images"));
    // The hint is a spec that works: a bare path takes no selector, so the hint adds the
    // transport (`oci:DIR:@1`, not `DIR:@1`).
    for (bare, transport) in [(&oci, "oci"), (&docker, "docker-archive")] {
        let error = load_err(&bare.display().to_string());
        let hint = format!("{transport}:{}:@N", bare.display());
        assert!(error.contains(&hint), "{error}");
        load_ok(&hint.replace("@N", "@1"));
    }
}

#[test]
fn whole_archive_gzip_and_zstd_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let tar = layered()
        .files(Layout::DockerArchive)
        .unwrap()
        .tar_bytes()
        .unwrap();
    let gz = dir.path().join("image.tar.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &tar).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let zst = dir.path().join("image.tar.zst");
    std::fs::write(&zst, zstd::encode_all(&tar[..], 3).unwrap()).unwrap();
    for path in [gz, zst] {
        let image = load_ok(&path.display().to_string());
        assert!(image.filesystem.get("/usr/bin/busybox").is_some());
    }
}

#[test]
fn standard_input_is_read_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    layered().write(Layout::DockerArchive, &path).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--format", "json", "--fail-on", "never", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["inputs"]["image"]["source"], "-");
    assert_eq!(report["inputs"]["image"]["layers"], 3);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: each error names the input, the blob and what is wrong.

fn small() -> ImageSpec {
    ImageSpec::new().layer(LayerSpec::new(Compression::Gzip).file("/a", 0o644, "a"))
}

fn layer_blob_name(files: &harden::testkit::Files, image: &ImageSpec) -> String {
    let layer = &image.built_layers().unwrap()[0];
    let name = format!("blobs/sha256/{}", &layer.digest[7..]);
    assert!(files.files.contains_key(&name));
    name
}

#[test]
fn a_wrong_digest_is_an_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let image = small();
    let mut files = image.files(Layout::OciDir).unwrap();
    let name = layer_blob_name(&files, &image);
    let mut other = ImageSpec::new()
        .layer(LayerSpec::gzip().file("/a", 0o644, "b"))
        .built_layers()
        .unwrap();
    // Same size, different bytes: the digest check, not the size check, must catch it.
    let blob = files.files.get_mut(&name).unwrap();
    let replacement = other.remove(0).blob;
    assert_eq!(blob.len(), replacement.len());
    *blob = replacement;
    files.write_dir(&dir.path().join("oci")).unwrap();
    let error = load_err(&format!("oci:{}", dir.path().join("oci").display()));
    assert!(
        error.contains("digest mismatch") && error.contains(&name[13..]),
        "{error}"
    );
}

/// The config file of a classic `docker save` (`<id>.json`).
fn classic_config_name(files: &harden::testkit::Files) -> String {
    files
        .files
        .keys()
        .find(|k| k.ends_with(".json") && *k != "manifest.json")
        .unwrap()
        .clone()
}

#[test]
fn a_wrong_diff_id_is_an_error_naming_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let image = small();
    let mut files = image.files(Layout::DockerArchive).unwrap();
    let config_name = classic_config_name(&files);
    let config = String::from_utf8(files.files[&config_name].clone()).unwrap();
    let diff_id = &image.built_layers().unwrap()[0].diff_id;
    let forged = config.replace(&diff_id[7..], &"0".repeat(64));
    files.files.remove(&config_name);
    // The config file name is its digest: rename so only the diff id is wrong.
    let new_name = format!(
        "{}.json",
        &harden::testkit::sha256_digest(forged.as_bytes())[7..]
    );
    let manifest = String::from_utf8(files.files["manifest.json"].clone())
        .unwrap()
        .replace(&config_name, &new_name);
    files.files.insert(new_name, forged.into_bytes());
    files
        .files
        .insert("manifest.json".into(), manifest.into_bytes());
    let path = dir.path().join("image.tar");
    files.write_tar(&path).unwrap();
    let error = load_err(&path.display().to_string());
    assert!(
        error.contains("does not match the config's rootfs.diff_ids")
            && error.contains("layer.tar"),
        "{error}"
    );
}

#[test]
fn a_missing_blob_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let image = small();
    let mut files = image.files(Layout::OciArchive).unwrap();
    let name = layer_blob_name(&files, &image);
    files.files.remove(&name);
    let path = dir.path().join("image.tar");
    files.write_tar(&path).unwrap();
    let error = load_err(&format!("oci-archive:{}", path.display()));
    assert!(
        error.contains("missing from the image") && error.contains(&name[13..]),
        "{error}"
    );
}

#[test]
fn a_truncated_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = ImageSpec::new().layer(LayerSpec::plain().file("/big", 0o644, vec![7u8; 64 * 1024]));
    let tar = spec
        .files(Layout::DockerArchive)
        .unwrap()
        .tar_bytes()
        .unwrap();
    // manifest.json sorts after the layer, so cut inside the layer data but keep the manifest:
    // rebuild with the layer truncated instead.
    let mut files = spec.files(Layout::DockerArchive).unwrap();
    let layer = files
        .files
        .keys()
        .find(|k| k.ends_with("layer.tar"))
        .unwrap()
        .clone();
    files.files.get_mut(&layer).unwrap().truncate(10 * 1024);
    let path = dir.path().join("truncated-layer.tar");
    files.write_tar(&path).unwrap();
    let error = load_err(&path.display().to_string());
    assert!(
        error.contains("layer.tar") && error.contains("truncated"),
        "{error}"
    );
    // The whole archive cut short: the manifest is gone or a member is short.
    let path = dir.path().join("truncated.tar");
    std::fs::write(&path, &tar[..tar.len() / 2]).unwrap();
    let error = load_err(&path.display().to_string());
    assert!(
        error.contains("truncated") || error.contains("not an image"),
        "{error}"
    );
}

#[test]
fn garbage_and_invalid_documents_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(
        &garbage,
        (0..5000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let error = load_err(&garbage.display().to_string());
    assert!(error.contains("not an image"), "{error}");

    let mut files = small().files(Layout::OciDir).unwrap();
    files
        .files
        .insert("index.json".into(), b"{ not json".to_vec());
    files.write_dir(&dir.path().join("badjson")).unwrap();
    let error = load_err(&format!("oci:{}", dir.path().join("badjson").display()));
    assert!(error.contains("index.json: invalid JSON"), "{error}");

    let mut files = small().files(Layout::OciDir).unwrap();
    files.files.insert(
        "index.json".into(),
        br#"{"schemaVersion":1,"manifests":[]}"#.to_vec(),
    );
    files.write_dir(&dir.path().join("v1")).unwrap();
    let error = load_err(&format!("oci:{}", dir.path().join("v1").display()));
    assert!(error.contains("unsupported schema version 1"), "{error}");

    let image = small();
    let mut files = image.files(Layout::OciDir).unwrap();
    let manifest_name = files
        .files
        .iter()
        .find(|(_, v)| {
            v.starts_with(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest"#)
        })
        .map(|(k, _)| k.clone())
        .unwrap();
    let manifest = String::from_utf8(files.files.remove(&manifest_name).unwrap())
        .unwrap()
        .replace("image.layer.v1.tar+gzip", "image.layer.v1.tar+lzma");
    let digest = harden::testkit::sha256_digest(manifest.as_bytes());
    let index = String::from_utf8(files.files["index.json"].clone())
        .unwrap()
        .replace(&manifest_name[13..], &digest[7..]);
    files.files.insert(
        format!("blobs/sha256/{}", &digest[7..]),
        manifest.into_bytes(),
    );
    files.files.insert("index.json".into(), index.into_bytes());
    files.write_dir(&dir.path().join("lzma")).unwrap();
    let error = load_err(&format!("oci:{}", dir.path().join("lzma").display()));
    assert!(
        error.contains("unknown media type \"application/vnd.oci.image.layer.v1.tar+lzma\""),
        "{error}"
    );
}

#[test]
fn a_missing_input_is_a_clear_error() {
    let error = load_err("/nonexistent/image.tar");
    assert!(
        error.contains("/nonexistent/image.tar: no such file"),
        "{error}"
    );
    let error = load_err("oci-archive:/nonexistent/x.tar:@0");
    assert!(error.contains("no such file"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Real images written by real tools.

fn shared_images() -> Option<PathBuf> {
    let dir = common::shared_images_dir();
    if dir.is_none() {
        println!(
            "note: the shared images (../shared/images) are absent; skipping the real-image test"
        );
    }
    dir
}

#[test]
fn every_shared_real_image_loads() {
    let Some(dir) = shared_images() else { return };
    let mut loaded = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".tar") || name.ends_with(".tar.gz")) {
            continue;
        }
        let result = load(&path.display().to_string(), &options());
        if name.starts_with("dive-readme-only-not-an-image") {
            let error = result
                .expect_err("a README-only tar is not an image")
                .to_string();
            assert!(
                error.contains("not an image") && error.contains("README.md"),
                "{error}"
            );
            continue;
        }
        let image = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!image.layers.is_empty(), "{name}: no layers");
        loaded += 1;
        if name == "test-docker-image.tar" {
            // dive's fixture: busybox hardlinks and whiteouts across 14 layers.
            assert_eq!(image.layers.len(), 14);
            assert!(
                image
                    .filesystem
                    .iter()
                    .any(|(_, e)| e.hardlink_to.is_some())
            );
            assert!(image.layers.iter().any(|l| {
                l.changes
                    .iter()
                    .any(|c| matches!(c, LayerChange::Removed { .. }))
            }));
        }
        if name == "alpine-310.tar.gz" {
            assert_eq!(image.reference.as_deref(), Some("alpine:3.10"));
            assert!(
                image
                    .filesystem
                    .content("/etc/passwd")
                    .unwrap()
                    .starts_with(b"root:x:0:0")
            );
        }
    }
    assert!(loaded >= 9, "only {loaded} real images loaded");
}

#[test]
fn mutated_and_truncated_layers_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = parse_image(
        "layer plain\ndir /etc\nfile /etc/passwd content=\"root:x:0:0::/:/bin/sh\\n\"\nsymlink /bin -> usr/bin\nhardlink /etc/p2 => /etc/passwd\nwhiteout /gone\n",
    )
    .unwrap();
    let tar = spec.layer_tar(0).unwrap();
    let files = spec.files(Layout::OciDir).unwrap();
    let layer_name = layer_blob_name(&files, &spec);
    for position in (0..tar.len()).step_by(97) {
        for mutation in [0x00u8, 0xff, b'7'] {
            let mut mutated = tar.clone();
            mutated[position] = mutation;
            let mut files = files.clone();
            files.files.insert(layer_name.clone(), mutated);
            let path = dir.path().join(format!("m{position}-{mutation}"));
            files.write_dir(&path).unwrap();
            // Either loads (the byte did not matter) or fails with an error; never panics.
            let _ = load(&format!("oci:{}", path.display()), &options());
        }
    }
    let mut files = files.clone();
    files.files.insert(layer_name.clone(), tar[..700].to_vec());
    files.write_dir(&dir.path().join("short")).unwrap();
    let error = load_err(&format!("oci:{}", dir.path().join("short").display()));
    assert!(error.contains(&layer_name[13..]), "{error}");
}

#[test]
fn a_whiteout_creates_nothing_and_keeps_its_parent_as_it_is() {
    // As umoci repack writes a directory replaced by a file: the file, then a whiteout for the
    // directory's old child beneath it. And a whiteout under a path no layer has.
    let image = parse_image(
        "layer\ndir /srv/tree\nfile /srv/tree/leaf content=\"leaf\"\n\
         layer\nfile /srv/tree content=\"now a file\"\nwhiteout /srv/tree/leaf\nwhiteout /nowhere/at/all\n",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let loaded = load_ok(&write(&image, Layout::OciDir, dir.path()));
    assert_eq!(kind(&loaded, "/srv/tree"), Some(EntryKind::File));
    assert_eq!(kind(&loaded, "/srv/tree/leaf"), None);
    assert_eq!(kind(&loaded, "/nowhere"), None);
}

/// A classic `docker save` whose config file keeps its old name after the config changed (what
/// go-containerregistry's `mutate` writes): the name is a name, so the archive loads, with the
/// config's digest computed from its content, exactly as skopeo reads it.
#[test]
fn a_stale_classic_config_name_loads_like_skopeo_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let image = small().user("10001");
    let mut files = image.files(Layout::DockerArchive).unwrap();
    let config_name = classic_config_name(&files);
    let changed = String::from_utf8(files.files[&config_name].clone())
        .unwrap()
        .replace("\"User\":\"10001\"", "\"User\":\"20002\"");
    assert!(changed.contains("20002"), "the config was changed");
    files
        .files
        .insert(config_name.clone(), changed.clone().into_bytes());
    let path = dir.path().join("mutated.tar");
    files.write_tar(&path).unwrap();

    let loaded = load(&path.display().to_string(), &options()).unwrap();
    assert_eq!(loaded.config.user.as_deref(), Some("20002"));
    let content_digest = harden::testkit::sha256_digest(changed.as_bytes());
    assert_eq!(loaded.config_digest, content_digest);
    assert_ne!(
        format!("sha256:{}", config_name.trim_end_matches(".json")),
        content_digest
    );

    // The reference tool's view of the same archive.
    let skopeo = std::process::Command::new("skopeo")
        .args(["inspect", "--config", "--raw"])
        .arg(format!("docker-archive:{}", path.display()))
        .output();
    match skopeo {
        Ok(output) if output.status.success() => {
            assert_eq!(
                harden::testkit::sha256_digest(&output.stdout),
                loaded.config_digest,
                "skopeo reads the same config bytes"
            );
            let config: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(config["config"]["User"], "20002");
        }
        Ok(output) => panic!(
            "skopeo refused the archive: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "skopeo is required in CI: {error}"
        ),
    }
}

/// In a Docker 25+ archive the config lives under `blobs/sha256/`, content-addressed: a changed
/// config there is still refused.
#[test]
fn a_changed_content_addressed_config_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let image = small().user("10001");
    let mut files = image.files(Layout::DockerOciArchive).unwrap();
    let config_name = files
        .files
        .iter()
        .find(|(name, bytes)| {
            name.starts_with("blobs/sha256/")
                && std::str::from_utf8(bytes).is_ok_and(|t| t.contains("\"User\":\"10001\""))
        })
        .map(|(name, _)| name.clone())
        .expect("the config blob");
    let changed = String::from_utf8(files.files[&config_name].clone())
        .unwrap()
        .replace("\"User\":\"10001\"", "\"User\":\"20002\"");
    files
        .files
        .insert(config_name.clone(), changed.into_bytes());
    let path = dir.path().join("docker25.tar");
    files.write_tar(&path).unwrap();
    let error = load_err(&path.display().to_string());
    assert!(
        error.contains("mismatch") && error.contains(&config_name[13..]),
        "{error}"
    );
}

/// A classic `docker save` records no layer media type; the report says what the magic bytes
/// found instead of an empty string.
#[test]
fn classic_archive_layers_report_the_compression_they_have() {
    let dir = tempfile::tempdir().unwrap();
    let image = ImageSpec::new()
        .layer(LayerSpec::gzip().file("/a", 0o644, "a"))
        .layer(LayerSpec::plain().file("/b", 0o644, "b"));
    let path = dir.path().join("classic.tar");
    image.write(Layout::DockerArchive, &path).unwrap();
    let loaded = load(&path.display().to_string(), &options()).unwrap();
    let types: Vec<&str> = loaded
        .layers
        .iter()
        .map(|l| l.media_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "application/vnd.docker.image.rootfs.diff.tar"
        ]
    );
}
