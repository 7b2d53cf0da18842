//! The operating-system packages of an image's final filesystem, as its package databases list
//! them, each with the layer that installed it. Built by `load::packages` from the database
//! files the loader kept.

use serde::Serialize;

/// Which package database a package is listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageManager {
    /// Debian, Ubuntu, distroless: `var/lib/dpkg/status` or `var/lib/dpkg/status.d/*`.
    Dpkg,
    /// Alpine, Wolfi, Chainguard: `lib/apk/db/installed`.
    Apk,
    /// Fedora, RHEL/UBI, Rocky, Alma, Amazon Linux, SUSE.
    Rpm,
}

impl PackageManager {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageManager::Dpkg => "dpkg",
            PackageManager::Apk => "apk",
            PackageManager::Rpm => "rpm",
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub name: String,
    /// The version as the package manager writes it (`1:2.36-9+deb12u4`, `1.36.1-r5`).
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// The source package (dpkg `Source`, apk origin), when it differs or is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version, when dpkg writes one that differs (`Source: glibc (2.36-9)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    pub manager: PackageManager,
    /// The database file that lists it, inside the image.
    pub database: String,
    /// Index (0-based, bottom first) of the layer whose change last wrote this package's entry
    /// in the database: the layer that installed (or last upgraded) it.
    pub layer: usize,
}

/// Every package of the final filesystem, sorted by name and architecture, and what could not be
/// read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageInventory {
    pub packages: Vec<Package>,
    /// Databases present but not read (over the size cap, malformed, a second rpm database), and
    /// malformed entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
