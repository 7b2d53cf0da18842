//! Reads the package databases the image loader kept ([`DATABASE_FILES`]) into the model's
//! [`PackageInventory`]: dpkg (`status` and distroless's `status.d/`) and apk. Each package is
//! attributed to the layer whose change last wrote its database entry, by replaying every
//! layer's copy of the database in order. rpm databases are detected and named in a note, not
//! read yet.
//!
//! Hostile-input safe: every database is at most the loader's kept-content cap, parsing is one
//! linear pass per layer copy, and nothing here panics on any bytes.

mod apk;
mod dpkg;

use std::collections::BTreeMap;

use crate::model::image::{ContentRequest, Image, LayerChange};
use crate::model::packages::{Package, PackageInventory, PackageManager};

const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
const APK_INSTALLED: &str = "/lib/apk/db/installed";

/// The database files the inventory reads; the scan adds them to the loader's requests.
pub const DATABASE_FILES: &[ContentRequest] = &[
    ContentRequest::Path(DPKG_STATUS),
    // Distroless: one small file per package (its stanza) and its md5sums.
    ContentRequest::Under {
        dir: DPKG_STATUS_D,
        max_size: 16 * 1024 * 1024,
    },
    ContentRequest::Path(APK_INSTALLED),
];

/// rpm databases: present in an image, named in a note (not read by this version).
const RPM_DATABASES: &[&str] = &[
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
    "/usr/lib/sysimage/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/Packages.db",
];

/// One package's entry in one copy of a database: its identity, its whole entry text (what
/// layer attribution compares) and the fields the inventory keeps.
pub(crate) struct Record {
    pub key: (String, String),
    pub text: String,
    pub package: Package,
}

/// The inventory of the image's final filesystem.
pub fn inventory(image: &Image) -> PackageInventory {
    let mut inventory = PackageInventory::default();
    let tree = &image.filesystem;
    if tree.get(DPKG_STATUS).is_some() {
        replay(image, DPKG_STATUS, dpkg::parse, &mut inventory);
    }
    for (path, entry) in tree.entries.range::<str, _>((
        std::ops::Bound::Excluded(DPKG_STATUS_D),
        std::ops::Bound::Unbounded,
    )) {
        if !path.starts_with(DPKG_STATUS_D) {
            break;
        }
        // Distroless writes `<package>.md5sums` beside each stanza file.
        if !entry.is_file() || path.ends_with(".md5sums") {
            continue;
        }
        let Some(content) = &entry.content else {
            inventory
                .notes
                .push(format!("{path} was not read: larger than 16 MiB"));
            continue;
        };
        let text = String::from_utf8_lossy(content);
        for mut record in dpkg::parse(&text, path) {
            record.package.layer = entry.layer;
            inventory.packages.push(record.package);
        }
    }
    if tree.get(APK_INSTALLED).is_some() {
        replay(image, APK_INSTALLED, apk::parse, &mut inventory);
    }
    for path in RPM_DATABASES {
        if tree.get(path).is_some() {
            inventory.notes.push(format!(
                "rpm database {path} found but not read: this version of harden reads dpkg and apk databases only, so rpm packages are missing from the inventory"
            ));
        }
    }
    inventory.packages.sort_by(|a, b| {
        (a.name.as_str(), a.architecture.as_deref(), a.manager).cmp(&(
            b.name.as_str(),
            b.architecture.as_deref(),
            b.manager,
        ))
    });
    inventory
}

/// What one layer did to a database file: wrote a new copy, removed it, or left it alone.
enum Step<'a> {
    Wrote(Option<&'a [u8]>),
    Removed,
    Unchanged,
}

fn step<'a>(changes: &'a [LayerChange], path: &str) -> Step<'a> {
    let mut result = Step::Unchanged;
    let covers = |dir: &str| dir == "/" || path == dir || path.starts_with(&format!("{dir}/"));
    for change in changes {
        match change {
            LayerChange::Added { path: p, entry } if p == path => {
                result = Step::Wrote(entry.content.as_deref());
            }
            // A whiteout of the file or a parent, or an opaque parent, hides lower copies; a copy
            // this layer writes (after it, in tar order or not) still counts.
            LayerChange::Removed { path: p } | LayerChange::Opaque { path: p }
                if covers(p) && !matches!(result, Step::Wrote(_)) =>
            {
                result = Step::Removed;
            }
            _ => {}
        }
    }
    result
}

/// Replays every layer's copy of one database, so each package of the final copy carries the
/// layer that last changed its entry.
fn replay(
    image: &Image,
    path: &str,
    parse: fn(&str, &str) -> Vec<Record>,
    inventory: &mut PackageInventory,
) {
    // Per package: its entry text and the layer that wrote that text.
    let mut current: BTreeMap<(String, String), (String, usize, Package)> = BTreeMap::new();
    let mut unreadable = false;
    for (index, layer) in image.layers.iter().enumerate() {
        match step(&layer.changes, path) {
            Step::Unchanged => {}
            Step::Removed => current.clear(),
            Step::Wrote(None) => {
                // Not a regular file with kept contents (a link, or over the size cap).
                current.clear();
                unreadable = true;
            }
            Step::Wrote(Some(bytes)) => {
                unreadable = false;
                let text = String::from_utf8_lossy(bytes);
                let mut next = BTreeMap::new();
                for record in parse(&text, path) {
                    let layer = match current.get(&record.key) {
                        Some((text, layer, _)) if *text == record.text => *layer,
                        _ => index,
                    };
                    next.insert(record.key, (record.text, layer, record.package));
                }
                current = next;
            }
        }
    }
    if unreadable {
        inventory.notes.push(format!(
            "{path} was not read: not a regular file, or larger than the 64 MiB kept for one file"
        ));
    }
    for (_, (_, layer, mut package)) in current {
        package.layer = layer;
        inventory.packages.push(package);
    }
}

/// Splits a database in the deb822-like paragraph form dpkg and apk share: paragraphs separated
/// by blank lines.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n")
        .flat_map(|chunk| chunk.split("\r\n\r\n"))
        .map(|p| p.trim_matches(['\n', '\r']))
        .filter(|p| !p.trim().is_empty())
}

/// At most this many characters of a name or version are kept (they are shown in reports).
pub(crate) const MAX_FIELD_CHARS: usize = 512;

pub(crate) fn clip(value: &str) -> String {
    value.trim().chars().take(MAX_FIELD_CHARS).collect()
}

pub(crate) fn manager_package(manager: PackageManager, database: &str) -> Package {
    Package {
        name: String::new(),
        version: String::new(),
        architecture: None,
        source_name: None,
        source_version: None,
        manager,
        database: database.to_string(),
        layer: 0,
    }
}
