//! The layer cache (issue 16), through the binary as a user runs it: a warm cache gives the same
//! report as a cold one and as `--no-cache`, without reading the cached layers; damaged entries
//! are ignored and rewritten; two processes share one cache; eviction keeps the size bound, least
//! recently used first; and the key follows the set of file contents requested.
//!
//! The oracle is harden itself with `--no-cache`: the cache must change nothing but the work done.
//! That a layer was not read is shown by damaging its blob after the first scan: a scan that reads
//! it fails on the digest, one served by the cache does not.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use harden::load::image::cache::LayerCache;
use harden::load::image::{ImageOptions, load};
use harden::model::image::ContentRequest;
use harden::testkit::{ImageSpec, LayerSpec, Layout};

mod common;

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";

/// harden writing a JSON report with the cache in `cache` (`None`: `--no-cache`), whatever the
/// test environment says.
fn harden(cache: Option<&Path>, args: &[&str]) -> Command {
    harden_format(cache, args, "json")
}

fn harden_format(cache: Option<&Path>, args: &[&str], format: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
    command
        .env_remove("HARDEN_NO_CACHE")
        .env_remove("HARDEN_CACHE_DIR")
        .env_remove("HARDEN_CACHE_MAX_SIZE")
        .arg("scan")
        .args(args)
        .args(["-f", format, "--fail-on", "never", "--no-progress"]);
    match cache {
        Some(dir) => command.arg("--cache-dir").arg(dir),
        None => command.arg("--no-cache"),
    };
    command
}

fn report_of(output: Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "harden scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn scan(cache: Option<&Path>, args: &[&str]) -> String {
    report_of(harden(cache, args).output().expect("harden runs"))
}

/// The cache's entries by file name (temporary files left out).
fn entries(cache: &Path) -> BTreeMap<String, Vec<u8>> {
    let dir = cache.join("layers-v1");
    let Ok(read) = std::fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    read.flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

fn total_size(cache: &Path) -> u64 {
    std::fs::read_dir(cache.join("layers-v1"))
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// A small image: a base layer shared by every `tag`, and a layer of its own with a setuid file,
/// a secret-looking file and a symlinked config, so several checks and kept contents are involved.
fn image(tag: &str) -> ImageSpec {
    ImageSpec::new()
        .user("app")
        .env("APP_MODE=prod")
        .layer(
            LayerSpec::gzip()
                .dir("/etc", 0o755)
                .file("/etc/passwd", 0o644, PASSWD)
                .file("/etc/group", 0o644, "root:x:0:\napp:x:1000:\n")
                .file(
                    "/etc/os-release",
                    0o644,
                    "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
                )
                .dir("/home/app", 0o755)
                .owner(1000, 1000),
        )
        .layer(
            LayerSpec::zstd()
                .file(
                    &format!("/app/{tag}"),
                    0o4755,
                    format!("#!/bin/sh\necho {tag}\n"),
                )
                .file(
                    "/app/.npmrc",
                    0o600,
                    "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n",
                )
                .symlink("/app/config", "/etc/group"),
        )
}

fn write_oci(spec: &ImageSpec, dir: &Path) -> String {
    spec.write(Layout::OciDir, dir).unwrap();
    format!("oci:{}", dir.display())
}

/// Replaces every layer blob of an OCI layout by bytes of the same size that are not the layer.
fn damage_layer_blobs(layout: &Path) {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    let blob = |digest: &str| layout.join("blobs/sha256").join(&digest[7..]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest)).unwrap()).unwrap();
    for layer in manifest["layers"].as_array().unwrap() {
        let path = blob(layer["digest"].as_str().unwrap());
        let size = std::fs::metadata(&path).unwrap().len() as usize;
        std::fs::write(&path, vec![0x5a; size]).unwrap();
    }
}

#[test]
fn a_warm_cache_gives_the_same_report_without_reading_the_layers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    let uncached = scan(None, &[&spec]);
    assert!(entries(&cache).is_empty());
    let cold = scan(Some(&cache), &[&spec]);
    let written = entries(&cache);
    assert_eq!(written.len(), 2, "one entry per layer");
    let warm = scan(Some(&cache), &[&spec]);
    assert_eq!(cold, uncached, "a cold cache changes nothing");
    assert_eq!(warm, uncached, "a warm cache changes nothing");
    assert_eq!(entries(&cache), written, "hits rewrite nothing");

    // The layers are not read on a hit: with their blobs damaged, harden reading them fails,
    // harden served by the cache gives the same report.
    damage_layer_blobs(&dir.path().join("oci"));
    let failed = harden(None, &[&spec]).output().unwrap();
    assert_eq!(failed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("digest mismatch") || stderr.contains("corrupt"),
        "{stderr}"
    );
    assert_eq!(scan(Some(&cache), &[&spec]), uncached);
}

#[test]
fn the_demo_bundle_reports_the_same_from_the_cache() {
    let root = common::manifest_dir();
    let demo = root.join("images/demo");
    let args = [
        demo.join("demo.tar").display().to_string(),
        "--dockerfile".to_string(),
        demo.join("Dockerfile").display().to_string(),
        "--task-def".to_string(),
        demo.join("taskdef.json").display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dir = tempfile::tempdir().unwrap();
    let uncached = scan(None, &args);
    let cold = scan(Some(dir.path()), &args);
    let warm = scan(Some(dir.path()), &args);
    assert!(!entries(dir.path()).is_empty());
    assert_eq!(cold, uncached);
    assert_eq!(warm, uncached);
    // Every format, not only JSON, renders the same model.
    for format in ["sarif", "text", "cyclonedx"] {
        let render =
            |cache: Option<&Path>| report_of(harden_format(cache, &args, format).output().unwrap());
        assert_eq!(render(Some(dir.path())), render(None), "{format}");
    }
}

#[test]
fn the_default_cache_is_under_xdg_cache_home() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    // Neither --cache-dir nor --no-cache: the user's cache directory.
    let command = |xdg: &Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
        command
            .env_remove("HARDEN_NO_CACHE")
            .env_remove("HARDEN_CACHE_DIR")
            .env("XDG_CACHE_HOME", xdg)
            .args(["scan", &spec, "-f", "json", "--fail-on", "never"]);
        command
    };
    let xdg = dir.path().join("xdg");
    report_of(command(&xdg).output().unwrap());
    assert_eq!(entries(&xdg.join("harden")).len(), 2);
    // HARDEN_NO_CACHE (which the test environment sets for every other test) turns it off.
    let other = dir.path().join("other");
    report_of(
        command(&other)
            .env("HARDEN_NO_CACHE", "1")
            .output()
            .unwrap(),
    );
    assert!(!other.join("harden").exists());
}

#[test]
fn truncated_and_bit_flipped_entries_are_ignored_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    let expected = scan(None, &[&spec]);
    scan(Some(&cache), &[&spec]);
    let written = entries(&cache);
    let layers = cache.join("layers-v1");
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 5] = [
        ("truncated to half", |b| b.truncate(b.len() / 2)),
        ("truncated inside the header", |b| b.truncate(20)),
        ("empty", |b| b.clear()),
        // The last bytes are inside the payload: kept contents or metadata.
        ("a bit flipped in the payload", |b| {
            let at = b.len() - 3;
            b[at] ^= 0x10
        }),
        ("a bit flipped in the header's length", |b| b[44] ^= 1),
    ];
    for (what, damage) in damages {
        for (name, bytes) in &written {
            let mut damaged = bytes.clone();
            damage(&mut damaged);
            std::fs::write(layers.join(name), damaged).unwrap();
        }
        assert_eq!(scan(Some(&cache), &[&spec]), expected, "{what}");
        assert_eq!(entries(&cache), written, "{what}: every entry rewritten");
    }
    // A damaged entry is not trusted even when its blob cannot be read: the scan fails on the
    // blob instead of using what the entry says.
    for (name, bytes) in &written {
        let mut damaged = bytes.clone();
        let at = damaged.len() - 3;
        damaged[at] ^= 0x10;
        std::fs::write(layers.join(name), damaged).unwrap();
    }
    damage_layer_blobs(&dir.path().join("oci"));
    let failed = harden(Some(&cache), &[&spec]).output().unwrap();
    assert_eq!(failed.status.code(), Some(2));
}

/// A FIFO, a symbolic link or a directory under an entry's name (a shared or planted cache
/// directory) is a miss: the scan neither waits for a writer nor follows the link, and the entry
/// is rewritten as a regular file.
#[test]
fn entries_that_are_not_regular_files_are_misses() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    let expected = scan(None, &[&spec]);
    scan(Some(&cache), &[&spec]);
    let written = entries(&cache);
    let layers = cache.join("layers-v1");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    type Plant = fn(&Path, &Path);
    let plants: [(&str, Plant); 3] = [
        ("a FIFO", |entry, _| {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                entry,
                rustix::fs::FileType::Fifo,
                rustix::fs::Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap()
        }),
        ("a symbolic link to a whole entry", |entry, elsewhere| {
            let target = elsewhere.join(entry.file_name().unwrap());
            std::fs::rename(entry, &target).unwrap();
            std::os::unix::fs::symlink(&target, entry).unwrap();
        }),
        ("a directory", |entry, _| {
            std::fs::create_dir(entry).unwrap()
        }),
    ];
    for (what, plant) in plants {
        for (name, bytes) in &written {
            let entry = layers.join(name);
            std::fs::write(&entry, bytes).unwrap();
            if what != "a symbolic link to a whole entry" {
                std::fs::remove_file(&entry).unwrap();
            }
            plant(&entry, &elsewhere);
        }
        let mut child = harden(Some(&cache), &[&spec])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > std::time::Duration::from_secs(120) {
                child.kill().unwrap();
                panic!("{what}: the scan is still waiting after 120 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(
            report_of(child.wait_with_output().unwrap()),
            expected,
            "{what}"
        );
        if what != "a directory" {
            // A directory is not replaced by rename(2); its layer is decoded on every scan.
            assert_eq!(entries(&cache), written, "{what}: every entry rewritten");
            for name in written.keys() {
                let meta = std::fs::symlink_metadata(layers.join(name)).unwrap();
                assert!(meta.is_file(), "{what}: {name} is a regular file again");
            }
        }
        for name in written.keys() {
            let entry = layers.join(name);
            match std::fs::symlink_metadata(&entry) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir(&entry).unwrap(),
                Ok(_) => std::fs::remove_file(&entry).unwrap(),
                Err(_) => {}
            }
        }
    }
}

#[test]
fn two_processes_share_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let specs: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|tag| write_oci(&image(tag), &dir.path().join(tag)))
        .collect();
    let expected: Vec<String> = specs.iter().map(|s| scan(None, &[s])).collect();
    // Cold, then warm, then with a wiped cache: each round starts two processes per image on the
    // one cache at once (the shared base layer is written by all six).
    for round in 0..3 {
        if round == 2 {
            std::fs::remove_dir_all(&cache).unwrap();
        }
        let children: Vec<_> = specs
            .iter()
            .flat_map(|spec| [spec, spec])
            .map(|spec| {
                harden(Some(&cache), &[spec])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let reports: Vec<String> = children
            .into_iter()
            .map(|child| report_of(child.wait_with_output().unwrap()))
            .collect();
        for (index, report) in reports.iter().enumerate() {
            assert_eq!(
                *report,
                expected[index / 2],
                "round {round}, process {index}"
            );
        }
        // One shared base layer and one layer per image.
        assert_eq!(entries(&cache).len(), 4, "round {round}");
        for (spec, expected) in specs.iter().zip(&expected) {
            assert_eq!(scan(Some(&cache), &[spec]), *expected);
        }
    }
}

/// An image of `layers` layers of its own (nothing shared with another `name`).
fn distinct_image(name: &str, layers: usize) -> ImageSpec {
    (0..layers).fold(ImageSpec::new(), |spec, index| {
        spec.layer(LayerSpec::gzip().file(
            &format!("/{name}/{index}"),
            0o644,
            format!("{name} {index} ").repeat(200),
        ))
    })
}

#[test]
fn eviction_keeps_the_bound_and_drops_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|name| write_oci(&distinct_image(name, 3), &dir.path().join(name)))
        .collect();
    // What each image's entries are and weigh, each in a cache of its own.
    let alone: Vec<(BTreeMap<String, Vec<u8>>, u64)> = specs
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let cache = dir.path().join(format!("alone-{index}"));
            scan(Some(&cache), &[spec]);
            (entries(&cache), total_size(&cache))
        })
        .collect();
    let (a, b, c) = (&alone[0], &alone[1], &alone[2]);
    let names = |sets: &[&(BTreeMap<String, Vec<u8>>, u64)]| -> Vec<String> {
        let mut names: Vec<String> = sets.iter().flat_map(|s| s.0.keys().cloned()).collect();
        names.sort();
        names
    };
    let entry_names = |cache: &Path| entries(cache).into_keys().collect::<Vec<_>>();

    // a and b with room for all, then a again (hits: a becomes the most recently used), then c
    // with room for two images: b is the least recently used and goes; a and c stay.
    let cache = dir.path().join("shared");
    let scan_with_limit = |spec: &str, limit: u64| {
        let limit = limit.to_string();
        report_of(
            harden(Some(&cache), &[spec, "--cache-max-size", &limit])
                .output()
                .unwrap(),
        )
    };
    let roomy = 10 * (a.1 + b.1 + c.1);
    scan_with_limit(&specs[0], roomy);
    scan_with_limit(&specs[1], roomy);
    assert_eq!(entry_names(&cache), names(&[a, b]));
    // Date the entries (whatever the clock's granularity): a's older than b's, so only the
    // touch of a's entries by the hits below makes b's the least recently used.
    let date = |set: &BTreeMap<String, Vec<u8>>, seconds: u64| {
        for name in set.keys() {
            let file = std::fs::File::options()
                .write(true)
                .open(cache.join("layers-v1").join(name))
                .unwrap();
            file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
                .unwrap();
        }
    };
    date(&a.0, 1_000_000);
    date(&b.0, 2_000_000);
    scan_with_limit(&specs[0], roomy);
    assert_eq!(entry_names(&cache), names(&[a, b]));
    let limit = a.1 + c.1;
    scan_with_limit(&specs[2], limit);
    assert!(total_size(&cache) <= limit);
    assert_eq!(entry_names(&cache), names(&[a, c]));

    // A bound smaller than one image: the total never passes it, and scans stay right.
    let small = dir.path().join("small");
    let bound = a.1 / 2;
    for spec in &specs {
        let bound_arg = bound.to_string();
        let report = report_of(
            harden(Some(&small), &[spec, "--cache-max-size", &bound_arg])
                .output()
                .unwrap(),
        );
        assert_eq!(report, scan(None, &[spec]));
        assert!(
            total_size(&small) <= bound,
            "{} > {bound}",
            total_size(&small)
        );
    }
}

fn load_with(
    spec: &str,
    cache: Option<&Path>,
    wants: &[ContentRequest],
) -> harden::model::image::Image {
    let options = ImageOptions {
        wants: wants.to_vec(),
        cache: cache.map(|dir| LayerCache::open(dir, 1 << 30).unwrap()),
        ..ImageOptions::default()
    };
    load(spec, &options).unwrap()
}

#[test]
fn the_key_follows_the_requested_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    let passwd = [ContentRequest::Path("/etc/passwd")];
    let first = load_with(&spec, Some(&cache), &passwd);
    assert_eq!(
        first
            .filesystem
            .get("/etc/passwd")
            .unwrap()
            .content
            .as_deref(),
        Some(PASSWD.as_bytes())
    );
    assert!(
        first
            .filesystem
            .get("/etc/group")
            .unwrap()
            .content
            .is_none()
    );
    let before = entries(&cache);

    // A check now also asks for /etc/group (and, through the /app/config symlink, the loader for
    // its target): the entries for the first request set must not answer for it.
    let more = [
        ContentRequest::Path("/etc/passwd"),
        ContentRequest::Path("/etc/group"),
        ContentRequest::Path("/app/config"),
    ];
    let cached = load_with(&spec, Some(&cache), &more);
    let uncached = load_with(&spec, None, &more);
    assert_eq!(
        cached
            .filesystem
            .get("/etc/group")
            .unwrap()
            .content
            .as_deref(),
        Some(&b"root:x:0:\napp:x:1000:\n"[..])
    );
    assert_eq!(cached.filesystem, uncached.filesystem);
    assert_eq!(cached.layers, uncached.layers);
    let after = entries(&cache);
    assert!(
        after.len() > before.len(),
        "new entries for the new request set"
    );
    assert!(
        before
            .iter()
            .all(|(name, bytes)| after.get(name) == Some(bytes))
    );
    // And warm, the same again.
    let warm = load_with(&spec, Some(&cache), &more);
    assert_eq!(warm.filesystem, uncached.filesystem);
    assert_eq!(warm.layers, uncached.layers);
}

#[test]
fn an_unusable_cache_dir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let spec = write_oci(&image("one"), &dir.path().join("oci"));
    let output = harden(Some(&file), &[&spec]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cache directory") && stderr.contains("a-file"),
        "{stderr}"
    );
}

/// `.cargo/config.toml` turns the cache off for every harden the tests start (none of them may
/// write to the user's cache or read what an earlier run left there); the tests above turn it on.
#[test]
fn tests_run_with_the_cache_off() {
    assert_eq!(std::env::var("HARDEN_NO_CACHE").as_deref(), Ok("1"));
}

/// The real images beside the checkout (docker save, kaniko, gzip-compressed archives) give the
/// same report cold, warm and without the cache.
#[test]
fn real_images_report_the_same_from_the_cache() {
    let Some(images) = common::shared_images_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "test-docker-image.tar",
        "alpine-310.tar.gz",
        "symbolic.tar",
        "test-kaniko-image.tar",
    ] {
        let path = images.join(name);
        if !path.exists() {
            continue;
        }
        let path = path.display().to_string();
        let uncached = scan(None, &[&path]);
        assert_eq!(scan(Some(dir.path()), &[&path]), uncached, "{name}, cold");
        assert_eq!(scan(Some(dir.path()), &[&path]), uncached, "{name}, warm");
        assert!(!entries(dir.path()).is_empty(), "{name}: entries written");
    }
}
