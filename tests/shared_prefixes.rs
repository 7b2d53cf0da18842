//! Images of one base share the base's applied tree within a run (`load::image::memo`). The
//! oracle is the one-image loader (itself checked against umoci in tests/umoci_oracle.rs): every
//! image loaded beside others, in any order and at any concurrency, equals that image loaded alone,
//! and a load that fails leaves nothing behind for the others.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use harden::load::image::memo::RunMemo;
use harden::load::image::{ImageOptions, load};
use harden::model::image::Image;
use harden::testkit::{ImageSpec, LayerSpec, Layout, write_oci_images};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";

fn options(memo: Option<Arc<RunMemo>>) -> ImageOptions {
    ImageOptions {
        wants: harden::checks::content_requests()
            .into_iter()
            .chain(harden::model::os::OS_FILES.iter().cloned())
            .chain(harden::load::packages::DATABASE_FILES.iter().cloned())
            .collect(),
        memo,
        ..ImageOptions::default()
    }
}

fn base_layers() -> Vec<LayerSpec> {
    vec![
        LayerSpec::gzip()
            .dir("/etc", 0o755)
            .file("/etc/passwd", 0o644, PASSWD)
            .file("/etc/os-release", 0o644, "ID=alpine\nVERSION_ID=3.19.1\n")
            .dir("/usr/bin", 0o755)
            .file("/usr/bin/su", 0o4755, "#!/bin/true\n")
            .symlink("/bin", "usr/bin")
            .dir("/opt/tool", 0o755)
            .file("/opt/tool/run", 0o755, "#!/bin/sh\n")
            .file("/srv/data", 0o666, "data"),
        LayerSpec::zstd()
            .file("/etc/shadow", 0o640, "root:*:19000:0:99999:7:::\n")
            .file(
                "/root/.ssh/id_rsa",
                0o600,
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            )
            .file("/usr/share/passwd", 0o644, PASSWD),
        LayerSpec::gzip()
            .whiteout("/srv/data")
            .opaque("/opt/tool")
            .file("/opt/tool/new", 0o755, "#!/bin/sh\n"),
    ]
}

/// The base, five images on it (one of them twice, by two names), and one on another base.
fn images() -> Vec<ImageSpec> {
    let on_base = |reference: &str, layers: Vec<LayerSpec>| {
        let mut spec = ImageSpec::new().reference(reference).user("app");
        for layer in base_layers().into_iter().chain(layers) {
            spec = spec.layer(layer);
        }
        spec
    };
    let app_a = || {
        LayerSpec::gzip()
            .file("/app/a", 0o644, "a")
            .hardlink("/app/su-link", "/usr/bin/su")
            .whiteout("/etc/shadow")
    };
    vec![
        on_base("base", Vec::new()),
        on_base("a", vec![app_a()]),
        on_base("a-again", vec![app_a()]),
        on_base(
            "b",
            vec![
                // A base directory replaced by a file; /etc/passwd becomes a link into the base.
                LayerSpec::gzip()
                    .file("/opt/tool", 0o644, "not a directory any more")
                    .whiteout("/etc/passwd")
                    .symlink("/etc/passwd", "../usr/share/passwd"),
            ],
        ),
        on_base(
            "c",
            vec![app_a(), LayerSpec::plain().file("/app/c", 0o4755, "c")],
        ),
        on_base("d", vec![LayerSpec::gzip().whiteout("/usr")]),
        ImageSpec::new()
            .reference("other")
            .layer(LayerSpec::gzip().file("/etc/passwd", 0o644, PASSWD)),
    ]
}

fn specs(layout: &Path) -> Vec<String> {
    ["base", "a", "a-again", "b", "c", "d", "other"]
        .iter()
        .map(|name| format!("oci:{}:{name}", layout.display()))
        .collect()
}

/// Loads every spec on `threads` threads of their own sharing one memo, in `order`.
fn load_together(
    specs: &[String],
    order: &[usize],
    threads: usize,
    memo: &Arc<RunMemo>,
) -> Vec<Option<Image>> {
    let next = AtomicUsize::new(0);
    let loaded: std::sync::Mutex<Vec<Option<Image>>> =
        std::sync::Mutex::new(vec![None; specs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let image = load(&specs[index], &options(Some(Arc::clone(memo)))).ok();
                    loaded.lock().unwrap()[index] = image;
                }
            });
        }
    });
    loaded.into_inner().unwrap()
}

#[test]
fn every_image_loaded_beside_others_equals_it_loaded_alone() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    write_oci_images(&images(), false, Layout::OciDir, &layout).unwrap();
    let specs = specs(&layout);
    let alone: Vec<Image> = specs
        .iter()
        .map(|spec| load(spec, &options(None)).unwrap_or_else(|e| panic!("{spec}: {e}")))
        .collect();
    // The images really differ where their own layers do (the memo could not hide a mix-up).
    assert_ne!(alone[1].filesystem, alone[3].filesystem);
    assert_eq!(alone[1].filesystem, alone[2].filesystem);
    assert!(alone[3].filesystem.content("/etc/passwd").is_some());

    let orders: [Vec<usize>; 4] = [
        (0..specs.len()).collect(),
        (0..specs.len()).rev().collect(),
        vec![4, 1, 6, 0, 3, 5, 2],
        vec![3, 3, 5, 0, 0, 1, 2, 4, 6],
    ];
    for threads in [1, 2, 4] {
        for order in &orders {
            // A fresh memo (a cold run), then the same memo again (every prefix held).
            let memo = Arc::new(RunMemo::default());
            for pass in 0..2 {
                let together = load_together(&specs, order, threads, &memo);
                for (index, image) in together.iter().enumerate() {
                    let image = image
                        .as_ref()
                        .unwrap_or_else(|| panic!("{} did not load", specs[index]));
                    assert!(
                        *image == alone[index],
                        "{} differs from its one-image load ({threads} threads, order {order:?}, pass {pass})",
                        specs[index]
                    );
                }
            }
        }
    }
}

#[test]
fn an_image_that_fails_leaves_nothing_behind_for_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    write_oci_images(&images(), false, Layout::OciDir, &good).unwrap();
    write_oci_images(&images(), false, Layout::OciDir, &bad).unwrap();
    // The bad copy's second base layer is damaged: same name, other bytes.
    let damaged = ImageSpec::new()
        .layer(base_layers().remove(1))
        .built_layers()
        .unwrap()
        .remove(0);
    let hex = damaged.digest.trim_start_matches("sha256:");
    let blob = bad.join("blobs/sha256").join(hex);
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();

    let bad_specs = specs(&bad);
    let good_specs = specs(&good);
    let alone: Vec<Image> = good_specs
        .iter()
        .map(|spec| load(spec, &options(None)).unwrap())
        .collect();
    // Alone, every bad image of the base fails ("other" does not use the layer).
    for spec in &bad_specs[..6] {
        assert!(load(spec, &options(None)).is_err(), "{spec} loaded");
    }
    // The bad images first, so they claim the base's prefixes and give them up; then the good
    // ones, which must apply the base themselves and be whole.
    let all: Vec<String> = bad_specs.iter().chain(&good_specs).cloned().collect();
    let order: Vec<usize> = (0..all.len()).collect();
    for threads in [1, 3] {
        let memo = Arc::new(RunMemo::default());
        let loaded = load_together(&all, &order, threads, &memo);
        for (index, image) in loaded[7..].iter().enumerate() {
            assert!(
                image.as_ref() == Some(&alone[index]),
                "{} differs from its one-image load ({threads} threads)",
                good_specs[index]
            );
        }
        // A bad image either failed or, served the base another image verified under the same
        // digest, equals the good one: never a partial tree.
        for (index, image) in loaded[..7].iter().enumerate() {
            if let Some(image) = image {
                assert!(
                    image.filesystem == alone[index].filesystem,
                    "{}",
                    bad_specs[index]
                );
            }
        }
    }
}
