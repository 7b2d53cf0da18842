//! Helpers shared by the image checks: per-file locations, octal modes, and the lookup of
//! executables in PATH-like directories with symlinks and hardlinks resolved inside the image.
//! Not a check (build.rs skips `support.rs`).

use std::collections::BTreeSet;

use crate::findings::Location;
use crate::model::image::{DEFAULT_PATH, Entry, Image};

/// A per-file location: the image, the absolute path, the layer that wrote it and its diff id.
pub fn file_location(image: &Image, path: &str, layer: usize) -> Location {
    let mut location = Location::image_file(&image.source, path, Some(layer));
    location.layer_digest = image
        .layers
        .get(layer)
        .map(|l| l.diff_id.clone())
        .filter(|d| !d.is_empty());
    location
}

/// Permission bits as `ls`/`chmod` write them: `4755`.
pub fn octal_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// `uid:gid`.
pub fn owner(entry: &Entry) -> String {
    format!("{}:{}", entry.uid, entry.gid)
}

/// The PATH-like directories of the image, each resolved through symlinks (so `/bin` → `/usr/bin`
/// on merged-/usr distributions is searched once), in search order, without duplicates.
pub fn search_dirs(image: &Image) -> Vec<String> {
    let from_config = image
        .config
        .env
        .iter()
        .filter_map(|e| e.strip_prefix("PATH="))
        .flat_map(|path| path.split(':'))
        .filter(|dir| dir.starts_with('/'));
    let mut dirs: Vec<String> = Vec::new();
    // The FHS bin directories (Docker's default `PATH`) after whatever the config's `PATH` adds
    // (`/opt/venv/bin`...).
    for dir in from_config.chain(DEFAULT_PATH.split(':')) {
        let Some(resolved) = image.filesystem.resolve(dir) else {
            continue;
        };
        let is_dir = image.filesystem.get(&resolved).is_some_and(Entry::is_dir);
        if is_dir && !dirs.contains(&resolved) {
            dirs.push(resolved);
        }
    }
    dirs
}

/// How a name in a bin directory reaches the file that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The name is the regular file itself.
    Itself,
    /// A symlink (chain) inside the image.
    Symlink,
    /// A hardlink: the same inode as another path.
    Hardlink,
}

/// An executable name found in a bin directory.
#[derive(Debug, Clone)]
pub struct Executable<'a> {
    /// Where the name is (`/usr/bin/sh`), in the resolved directory.
    pub path: String,
    /// The base name (`sh`).
    pub name: String,
    /// The regular file that runs (`/usr/bin/busybox`); equals `path` for [`Via::Itself`].
    pub resolves_to: String,
    pub via: Via,
    /// The entry of the name itself (symlink, hardlink or file): its layer is where it was added.
    pub entry: &'a Entry,
    /// The entry of the file that runs.
    pub target: &'a Entry,
}

/// The files that run busybox, by path: a file named `busybox*`, or any file that some name
/// `busybox*` links to. The second case matters: the `busybox` image stores the binary as `/bin/[`
/// and every applet, `/bin/busybox` included, as a hardlink to it.
pub fn busybox_binaries<'a>(found: &'a [Executable<'_>]) -> BTreeSet<&'a str> {
    found
        .iter()
        .filter(|e| {
            e.name.starts_with("busybox") || base_name(&e.resolves_to).starts_with("busybox")
        })
        .map(|e| e.resolves_to.as_str())
        .collect()
}

/// The last component of a path.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Every name directly inside the search directories that leads to a regular file. Dangling
/// symlinks, symlink loops and links to directories are skipped: they cannot be run.
pub fn executables(image: &Image) -> Vec<Executable<'_>> {
    let tree = &image.filesystem;
    let mut found = Vec::new();
    for dir in search_dirs(image) {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let children = tree
            .starting_with(&prefix)
            .filter(|(path, _)| !path[prefix.len()..].contains('/'));
        for (path, entry) in children {
            let (resolves_to, via) = if entry.symlink_target().is_some() {
                match tree.resolve(path) {
                    Some(resolved) => (resolved, Via::Symlink),
                    None => continue,
                }
            } else if let Some(linked) = &entry.hardlink_to {
                (linked.clone(), Via::Hardlink)
            } else {
                (path.to_string(), Via::Itself)
            };
            let target = match via {
                // A hardlink's entry already carries the inode's metadata; its target path may
                // have been removed since.
                Via::Hardlink => Some(entry),
                _ => tree.get(&resolves_to),
            };
            let Some(target) = target.filter(|t| t.is_file()) else {
                continue;
            };
            found.push(Executable {
                path: path.to_string(),
                name: base_name(path).to_string(),
                resolves_to,
                via,
                entry,
                target,
            });
        }
    }
    found
}

#[cfg(test)]
pub mod testing {
    //! Builds [`Image`] values in code for unit tests of the image checks.

    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crate::checks::{Check, Emitter};
    use crate::findings::Finding;
    use crate::model::image::{Entry, EntryKind, Image};

    pub fn entry(kind: EntryKind, mode: u32) -> Entry {
        Entry {
            kind,
            mode,
            uid: 0,
            gid: 0,
            size: 0,
            xattrs: BTreeMap::new(),
            hardlink_to: None,
            layer: 0,
            content: None,
        }
    }

    pub fn file(mode: u32, content: &str) -> Entry {
        let mut file = entry(EntryKind::File, mode);
        file.size = content.len() as u64;
        file.content = Some(Arc::from(content.as_bytes()));
        file
    }

    pub fn dir(mode: u32) -> Entry {
        entry(EntryKind::Directory, mode)
    }

    pub fn symlink(target: &str) -> Entry {
        entry(
            EntryKind::Symlink {
                target: target.to_string(),
            },
            0o777,
        )
    }

    /// An image whose final tree holds `entries` (parents are not added implicitly).
    pub fn image(entries: Vec<(&str, Entry)>) -> Image {
        let mut image = Image {
            source: "test.tar".to_string(),
            ..Image::default()
        };
        for (path, entry) in entries {
            image.filesystem.entries.insert(path.to_string(), entry);
        }
        image
    }

    /// Runs one check on an image.
    pub fn run(check: &'static Check, image: &Image) -> Vec<Finding> {
        let (mut findings, mut controls) = (Vec::new(), Vec::new());
        let mut emitter = Emitter::new(check, &mut findings, &mut controls);
        if let crate::checks::Run::Image(run) = check.run {
            run(image, &mut emitter);
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn executables_follow_symlinked_dirs_and_links_once() {
        let mut image = image(vec![
            ("/bin", symlink("usr/bin")),
            ("/usr", dir(0o755)),
            ("/usr/bin", dir(0o755)),
            ("/usr/bin/busybox", file(0o755, "")),
            ("/usr/bin/sh", symlink("busybox")),
            ("/usr/bin/dangling", symlink("/nowhere")),
            ("/usr/bin/sub", dir(0o755)),
            ("/usr/bin/sub/hidden", file(0o755, "")),
            ("/opt/venv/bin", dir(0o755)),
            ("/opt/venv/bin/pip", file(0o755, "")),
        ]);
        image
            .config
            .env
            .push("PATH=/opt/venv/bin:/usr/bin:/bin".to_string());
        let found = executables(&image);
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|e| (e.path.as_str(), e.resolves_to.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("/opt/venv/bin/pip", "/opt/venv/bin/pip"),
                ("/usr/bin/busybox", "/usr/bin/busybox"),
                ("/usr/bin/sh", "/usr/bin/busybox"),
            ]
        );
        assert_eq!(
            busybox_binaries(&found).into_iter().collect::<Vec<_>>(),
            ["/usr/bin/busybox"]
        );
    }
}
