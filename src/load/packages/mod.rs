//! Reads the package databases the image loader kept ([`DATABASE_FILES`]) into the model's
//! [`PackageInventory`]: dpkg (`status` and distroless's `status.d/`), apk, and rpm's three
//! databases: SQLite `rpmdb.sqlite`, BerkeleyDB `Packages` and ndb `Packages.db`. Each package is
//! attributed to the layer whose change last wrote its database entry, by replaying every layer's
//! copy of the database in order.
//!
//! Hostile-input safe: every database is at most the loader's kept-content cap, parsing is one
//! linear pass per layer copy, and nothing here panics on any bytes.

mod apk;
mod dpkg;
mod rpm;
mod rpm_bdb;
mod rpm_ndb;

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
    ContentRequest::Path(RPM_DATABASES[0]),
    ContentRequest::Path(RPM_DATABASES[1]),
    ContentRequest::Path(RPM_DATABASES[2]),
    ContentRequest::Path(RPM_DATABASES[3]),
    ContentRequest::Path(RPM_DATABASES[4]),
    ContentRequest::Path(RPM_DATABASES[5]),
];

/// rpm's databases, in the order harden prefers them when an image has more than one (rpm uses
/// one; a newer format left beside an older one is the converted database). SQLite
/// `rpmdb.sqlite`: `/usr/lib/sysimage/rpm` on current Fedora and openSUSE (where `/var/lib/rpm`
/// links to it), `/var/lib/rpm` on RHEL/UBI 9 and Amazon Linux 2023. ndb `Packages.db`: SLES
/// and openSUSE Leap 15. BerkeleyDB `Packages`: RHEL/CentOS 5 to 8, UBI 8 and its rebuilds,
/// Amazon Linux 2.
const RPM_DATABASES: [&str; 6] = [
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/Packages.db",
    "/var/lib/rpm/Packages.db",
    "/var/lib/rpm/Packages",
    "/usr/lib/sysimage/rpm/Packages",
];

/// One package's entry in one copy of a database: its identity, its whole entry text (what
/// layer attribution compares) and the fields the inventory keeps.
pub(crate) struct Record {
    pub key: (String, String),
    pub text: String,
    pub package: Package,
}

impl Record {
    /// An entry identified by package name and architecture (dpkg, apk: one version of a name
    /// per architecture is installed), whose text is its database paragraph.
    pub fn by_name_and_arch(package: Package, paragraph: &str) -> Record {
        Record {
            key: (
                package.name.clone(),
                package.architecture.clone().unwrap_or_default(),
            ),
            text: paragraph.to_string(),
            package,
        }
    }
}

/// The inventory of the image's final filesystem.
pub fn inventory(image: &Image) -> PackageInventory {
    let mut inventory = PackageInventory::default();
    let tree = &image.filesystem;
    if tree.get(DPKG_STATUS).is_some() {
        replay(image, DPKG_STATUS, &text(dpkg::parse), &mut inventory);
    }
    for (path, entry) in tree.starting_with(DPKG_STATUS_D) {
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
        replay(image, APK_INSTALLED, &text(apk::parse), &mut inventory);
    }
    // One rpm database: where `/var/lib/rpm` is a link to `/usr/lib/sysimage/rpm`, only one path
    // is a file.
    let present: Vec<&str> = RPM_DATABASES
        .into_iter()
        .filter(|path| tree.get(path).is_some_and(|e| e.is_file()))
        .collect();
    if let Some((read, others)) = present.split_first() {
        if read.ends_with("rpmdb.sqlite") {
            replay(image, read, &rpm::parse, &mut inventory);
        } else {
            replay(image, read, &rpm::parse_older, &mut inventory);
        }
        for other in others {
            inventory.notes.push(format!(
                "rpm database {other} was not read: {read} was read instead (rpm uses one database)"
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

/// A database parser: one copy's bytes and its path in, its records out, with what could not be
/// read in the notes.
type Parser = dyn Fn(&[u8], &str, &mut Vec<String>) -> Vec<Record>;

/// A text database's parser (dpkg, apk) as a [`Parser`].
fn text(
    parse: fn(&str, &str) -> Vec<Record>,
) -> impl Fn(&[u8], &str, &mut Vec<String>) -> Vec<Record> {
    move |bytes, path, _notes| parse(&String::from_utf8_lossy(bytes), path)
}

/// Replays every layer's copy of one database, so each package of the final copy carries the
/// layer that last changed its entry.
fn replay(image: &Image, path: &str, parse: &Parser, inventory: &mut PackageInventory) {
    // Per package: its entry text and the layer that wrote that text.
    let mut current: BTreeMap<(String, String), (String, usize, Package)> = BTreeMap::new();
    let mut unreadable = false;
    // What the last copy read could not read (an earlier copy's problems are gone with it).
    let mut notes = Vec::new();
    for (index, layer) in image.layers.iter().enumerate() {
        match step(&layer.changes, path) {
            Step::Unchanged => {}
            Step::Removed => {
                current.clear();
                notes.clear();
            }
            Step::Wrote(None) => {
                // Not a regular file with kept contents (a link, or over the size cap).
                current.clear();
                notes.clear();
                unreadable = true;
            }
            Step::Wrote(Some(bytes)) => {
                unreadable = false;
                notes.clear();
                let mut next = BTreeMap::new();
                for record in parse(bytes, path, &mut notes) {
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
    inventory.notes.extend(notes);
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
